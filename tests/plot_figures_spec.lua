-- plot_figures_spec.lua: issue 13, the figures a course draws: margins on
-- autoscaled axes (read back from gnuplot's GPVAL_ variables), legends
-- off the data, opaque key samples, more output formats, the dumb
-- terminal's size and level lines, a dead display that falls back to PNG,
-- and the new kinds, rendered for real.
local u = require "tests.helpers.util"
local plt = gd.plot
local layout = require "gd.plot_layout"
local pr = require "tests.helpers.plotproc"
local shq, slurp, run = pr.shq, pr.slurp, pr.run

local GDLUA = pr.gdlua()
local _, path = pr.scratch()

describe("gd.plot margins", function()
  it("draws a range strictly containing the data, 5% each side, not snapped to a tick", function()
    local fig = plt.figure()
    -- data on [-40, 60] x [-17, 33]: gnuplot's autoscale would snap to [-40:60], [-20:40]
    fig:subplot(1):scatter(gd.linspace(-40, 60, 11), gd.linspace(-17, 33, 11))
    local r = fig:ranges()[1]
    u.close(r.x, { -40 - 5, 60 + 5 }, 1e-9)
    u.close(r.y, { -17 - 2.5, 33 + 2.5 }, 1e-9)
    assert(r.x[1] < -40 and r.x[2] > 60 and r.y[1] < -17 and r.y[2] > 33)
  end)

  it("keeps a limit the user set, bars on 0, a contour edge to edge, log axes in log space", function()
    local fig = plt.figure { layout = { 2, 2 } }
    fig:subplot(1):plot({ 0, 1, 2, 3 }, { 0, 1, 4, 9 }):xlim(-1, nil)
    fig:subplot(2):bar({ 3, 1, 2 })
    fig:subplot(3):contour(function(x, y) return x * x + y * y end, { x = { -2, 3 }, y = { -1, 1 }, n = 20 })
    fig:subplot(4):plot({ 1, 10, 100 }, { 1, 2, 3 }):logscale("x")
    local r = fig:ranges()
    u.close(r[1].x, { -1, 3.15 }, 1e-9)
    u.close(r[1].y, { -0.45, 9.45 }, 1e-9)
    -- bars 1..3 of width 0.8: x on [0.6, 3.4] widened by 5% of 2.8; y from 0 to 3 + 0.15
    u.close(r[2].x, { 0.6 - 0.14, 3.4 + 0.14 }, 1e-9)
    u.close(r[2].y, { 0, 3.15 }, 1e-9)
    u.close(r[3].x, { -2, 3 }, 1e-9)
    u.close(r[3].y, { -1, 1 }, 1e-9)
    -- log10 span 2 widened by 0.1 decades each side
    u.close(r[4].x, { 10 ^ -0.1, 10 ^ 2.1 }, 1e-7)
  end)
end)

describe("gd.plot legends", function()
  it("puts the key in a corner free of data, and outside when none is", function()
    local fig = plt.figure()
    local ax = fig:subplot(1)
    ax:plot(gd.linspace(0, 1, 50), gd.linspace(0, 1, 50), { title = "rising" })
    local rx, ry = layout.range(ax, "x"), layout.range(ax, "y")
    -- the diagonal crosses top right and bottom left: top left is the first free corner
    assert.equal("top left", layout.key_position(ax, rx, ry, { "rising" }, 640, 480))
    local fig2 = plt.figure()
    local ax2 = fig2:subplot(1)
    local xs, ys = {}, {}
    for i = 0, 20 do for j = 0, 20 do xs[#xs + 1], ys[#ys + 1] = i, j end end
    ax2:scatter(xs, ys, { title = "everywhere" })
    assert.equal("outside right top", layout.key_position(ax2, layout.range(ax2, "x"),
      layout.range(ax2, "y"), { "everywhere" }, 640, 480))
  end)

  it("draws a transparent scatter's key sample opaque", function()
    local fig = plt.figure()
    fig:subplot(1):scatter({ 1, 2, 3 }, { 1, 2, 3 }, { alpha = 0.2, color = "#ff0000", title = "pts" })
    local svg = slurp(fig:save(path("alpha.svg")))
    local _, n = svg:gsub("color='rgb%(255,   0,   0%)' opacity='0.20'", "")
    assert.equal(3, n)
    local after = svg:match("<text>pts</text>(.-)</g>%s*</g>")
    assert(after, svg)
    local key = svg:match("<text>pts</text>.-(<use[^>]*>)")
    assert(key and key:find("rgb(255,   0,   0)", 1, true) and not key:find("opacity"), key)
  end)
end)

describe("gd.plot output", function()
  local fig = plt.figure()
  fig:subplot(1):plot({ 1, 2, 3 }, { 1, 4, 9 })
  it("saves .eps, .jpg and .gif by extension, into a folder it makes", function()
    assert.equal("%!PS-Adobe", slurp(fig:save(path("new/a/b.eps"))):sub(1, 10))
    assert.equal("\255\216\255", slurp(fig:save(path("new/c.jpg"))):sub(1, 3))
    assert.equal("GIF8", slurp(fig:save(path("new/d.GIF"))):sub(1, 4))
  end)

  it("takes GD_PLOT in any case", function()
    local s = pr.write(path("upper.lua"), "gd.plot.plot({1, 2}); gd.plot.show()")
    local out, err, ok = run("GD_PLOT=PNG GD_PLOT_DIR=" .. shq(path("upper")) .. " " .. shq(GDLUA) .. " " .. shq(s))
    assert(ok, err)
    assert.equal("\137PNG", slurp(path("upper/upper-1.png")):sub(1, 4), out)
  end)

  it("sizes the dumb terminal from COLUMNS and LINES and draws level lines", function()
    local s = pr.write(path("dumb.lua"), [[
      gd.plot.contour(function(x, y) return x * x + y * y end, {x = {-2, 2}, y = {-2, 2}, levels = {1, 2, 3}})
      gd.plot.show()]])
    local out, err, ok = run("COLUMNS=70 LINES=30 GD_PLOT=dumb " .. shq(GDLUA) .. " " .. shq(s) .. " </dev/null")
    assert(ok, err)
    local lines, widest = 0, 0
    for l in out:gsub("\f", ""):gmatch("[^\n]*") do
      if l ~= "" then lines = lines + 1; widest = math.max(widest, #l) end
    end
    assert.equal(70, widest)
    assert(lines <= 30 and lines >= 25, out)
    -- three levels, three characters (line types 1, 2, 3 of the dumb terminal)
    for _, c in ipairs { "*", "#", "$" } do assert(out:find(c, 1, true), "no " .. c .. " in\n" .. out) end
  end)

  it("falls back to PNG within 5 s, with one line, when the display does not answer", function()
    local s = pr.write(path("nodisplay.lua"), "gd.plot.plot({1, 2}); gd.plot.show()")
    local t0 = os.time()
    local out, err, ok = run("env -u GD_PLOT -u WAYLAND_DISPLAY DISPLAY=:77 GD_PLOT_DIR=" .. shq(path("nodisp"))
      .. " " .. shq(GDLUA) .. " " .. shq(s))
    assert(ok, err)
    assert(os.time() - t0 <= 5)
    assert(err:find("the display :77 does not answer within 2 s", 1, true), err)
    local _, nl = err:gsub("\n", "")
    assert.equal(1, nl)
    assert.equal("\137PNG", slurp(path("nodisp/nodisplay-1.png")):sub(1, 4), out)
  end)

  it("falls back to PNG within 5 s when the display accepts connections but never answers", function()
    -- a display server that is stalled: it accepts and never replies to the X11 setup
    local bin = path("stalled_display")
    local _, cerr, cok = run("cc -std=c11 -O1 -o " .. shq(bin) .. " tests/helpers/stalled_display.c")
    assert(cok, cerr)
    local n = 60000 - (os.time() % 1000)          -- a display number nothing else uses
    local sock = "/tmp/.X11-unix/X" .. n
    assert(require("gd.core")._plotpipe.mkdir("/tmp/.X11-unix"))
    local server = assert(io.popen(shq(bin) .. " " .. shq(sock) .. " 8"))
    assert.equal("listening", server:read("l"))
    local s = pr.write(path("stalled.lua"), "gd.plot.plot({1, 2}); gd.plot.show()")
    local t0 = os.time()
    local out, err, ok = run("env -u GD_PLOT -u WAYLAND_DISPLAY DISPLAY=:" .. n .. " GD_PLOT_DIR="
      .. shq(path("stalled")) .. " " .. shq(GDLUA) .. " " .. shq(s))
    local took = os.time() - t0
    server:close()
    assert(ok, err)
    assert(took <= 5, "took " .. took .. " s")
    assert(err:find("the display :" .. n .. " does not answer within 2 s", 1, true), err)
    assert(err:find("timed out", 1, true), err)
    assert.equal("\137PNG", slurp(path("stalled/stalled-1.png")):sub(1, 4), out)
  end)
end)

describe("gd.plot new kinds", function()
  local f = function(v) return v[1] ^ 2 + 3 * v[2] ^ 2 end
  -- one figure with every new kind, rendered in each format
  local function every_kind()
    local fig = plt.figure { layout = { 2, 3 }, size = { 1200, 800 } }
    local x = gd.linspace(0, 6, 40)
    local ax = fig:subplot(1)
    ax:plot(x, gd.sin(x), { title = "sin" })
    ax:fill_between(x, gd.sin(x) - 0.3, gd.sin(x) + 0.3, { title = "band" })
    ax:hline(0, { title = "zero line" }):vline(3)
    ax:text(1.6, 1.1, "annotated peak"):arrow(2.5, 0.5, 1.7, 0.95)
    local ax2 = fig:subplot(2)
    ax2:gradient_field(f, { x = { -2, 2 }, y = { -2, 2 }, n = 5, title = "minus gradient" })
    ax2:point(0, 0, { label = "the minimum", marker = "o" })
    fig:subplot(3):errorbar({ 1, 2, 3 }, { 1, 3, 2 }, { 0.2, 0.5, 0.3 }, { title = "measured" })
      :quiver({ 1, 2 }, { 1, 1 }, { 0.5, 0.5 }, { 1, -0.5 })
    fig:subplot(4):heatmap({ { 50, 2 }, { 3, 45 } }, { labels = { "cat", "dog" }, fmt = "%d" })
    fig:subplot(5):scatter({ 1, 2, 3, 4 }, { 1, 2, 1, 2 }, { c = { "ham", "spam", "ham", "spam" } })
    fig:subplot(6):scatter({ 1, 2, 3 }, { 1, 2, 3 }, { c = { 0.1, 0.5, 0.9 }, cmap = "plasma" })
    return fig
  end

  it("renders every new kind in png, svg, pdf and dumb", function()
    local fig = every_kind()
    local png = slurp(fig:save(path("kinds.png")))
    assert.equal("\137PNG", png:sub(1, 4))
    assert.equal("%PDF", slurp(fig:save(path("kinds.pdf"))):sub(1, 4))
    local svg = slurp(fig:save(path("kinds.svg")))
    for _, s in ipairs { "annotated peak", "minus gradient", "the minimum", "measured", "cat", "dog",
                         ">50<", ">45<", "ham", "spam", "zero line", "band" } do
      assert(svg:find(s, 1, true), "no " .. s .. " in the svg")
    end
    -- the heatmap's colorbar: its tick labels 10..40 are no cell's value
    local plain = plt.figure()
    plain:subplot(1):heatmap({ { 50, 2 }, { 3, 45 } }, { colorbar = false })
    local nobar = slurp(plain:save(path("nobar.svg")))
    local barred = plt.figure()
    barred:subplot(1):heatmap({ { 50, 2 }, { 3, 45 } })
    local bar = slurp(barred:save(path("bar.svg")))
    for _, t in ipairs { "10", "20", "30", "40" } do
      assert(bar:find(">%s*" .. t .. "<") and not nobar:find(">%s*" .. t .. "<"), t)
    end
    local txt = slurp(fig:save(path("kinds.txt")))
    for _, s in ipairs { "annotated", "the minimum", "measured", "ham" } do
      assert(txt:find(s, 1, true), "no " .. s .. " in\n" .. txt)
    end
  end)

  it("renders a single kind as GIF", function()
    local fig = plt.figure()
    fig:subplot(1):heatmap({ { 1, 2 }, { 3, 4 } }):text(1, 1, "gif text")
    assert.equal("GIF8", slurp(fig:save(path("one.gif"))):sub(1, 4))
  end)

  it("draws -grad f from the tape: arrows point downhill, the longest 0.9 of a cell", function()
    local fig = plt.figure()
    local ax = fig:subplot(1):gradient_field(f, { x = { -2, 2 }, y = { -2, 2 }, n = 3 })
    local s = ax.series[1]
    local X, Y, U, V = s.cols[1]:totable(), s.cols[2]:totable(), s.cols[3]:totable(), s.cols[4]:totable()
    -- grad f = (2x, 6y); the longest on the grid is at (±2, ±2): |(4, 12)|; a cell is 2 wide
    local k = 0.9 * 2 / math.sqrt(4 ^ 2 + 12 ^ 2)
    assert.equal(9, #X)
    for i = 1, 9 do
      u.close(U[i], -2 * X[i] * k, 1e-12)
      u.close(V[i], -6 * Y[i] * k, 1e-12)
    end
  end)

  it("splits scatter{c = labels} into a series per class, values keep one series", function()
    local ax = plt.figure():subplot(1)
    ax:scatter({ 1, 2, 3, 4, 5 }, { 5, 4, 3, 2, 1 }, { c = { 2, 1, 2, 1, 3 } })
    assert.equal(3, #ax.series)
    assert.same({ "1", "2", "3" }, { ax.series[1].title, ax.series[2].title, ax.series[3].title })
    assert.same({ 2, 4 }, ax.series[1].cols[1]:totable())
    local ax2 = plt.figure():subplot(1)
    ax2:scatter({ 1, 2 }, { 1, 2 }, { c = { 0.5, 1.5 } })
    assert.equal(1, #ax2.series)
  end)

  it("checks the new kinds' arguments", function()
    local ax = plt.figure():subplot(1)
    u.errors(function() ax:text(1, "a", "s") end, "ax:text", "y")
    u.errors(function() ax:text(1, 2, "a\0b") end, "ax:text", "control character")
    u.errors(function() ax:arrow(1, 2, 3) end, "ax:arrow", "y2")
    u.errors(function() ax:quiver({ 1, 2 }, { 1 }, { 1, 1 }, { 1, 1 }) end, "ax:quiver", "different lengths")
    u.errors(function() ax:errorbar({ 1, 2 }, { 1, 2 }, { 1 }) end, "ax:errorbar", "x and err")
    u.errors(function() ax:fill_between({ 1 }, { 1 }, { 1 }, { alpha = 2 }) end, "ax:fill_between", "alpha")
    u.errors(function() ax:hline(0, { style = "o" }) end, "ax:hline", "line style")
    u.errors(function() ax:point(0, 0, { marker = "--" }) end, "ax:point", "marker")
    u.errors(function() ax:heatmap({ 1, 2 }) end, "ax:heatmap", "2-D grid")
    u.errors(function() ax:heatmap({ { 1, 2 } }, { labels = { "a" } }) end, "ax:heatmap", "list of 2 strings")
    u.errors(function() ax:heatmap({ { 1, 2 } }, { fmt = "%s%s" }) end, "ax:heatmap", "fmt")
    u.errors(function() ax:imshow({ { 1, 2 } }, { cmap = "jet" }) end, "ax:imshow", "cmap")
    u.errors(function() ax:scatter({ 1, 2 }, { 1, 2 }, { c = { 1 } }) end, "ax:scatter", "c has 1 values for 2 points")
    u.errors(function() ax:gradient_field(42) end, "ax:gradient_field", "function")
  end)
end)

describe("gd.plot colour", function()
  it("spaces log = true levels evenly in log, colors by log, writes level values and a colorbar", function()
    local fig = plt.figure()
    local ax = fig:subplot(1)
    -- z = 10^(x) on x in [0, 4]: levels between 1 and 10^4, 3 of them: 10, 100, 1000
    ax:contour(function(x, y) return 10 ^ x end, { x = { 0, 4 }, y = { 0, 1 }, n = 41, levels = 3, log = true,
      labels = true, colorbar = true, cmap = "plasma" })
    u.close(ax.series[1].levels, { 10, 100, 1000 }, 1e-9)
    local svg = slurp(fig:save(path("log.svg")))
    assert(svg:find(">1000<", 1, true) and svg:find(">100<", 1, true), "no level labels")
    -- the colorbar's log ticks: 10^2 and 10^3 label it ("1000" is also a line label)
    assert(svg:find(">%s*100<"))
    u.errors(function() plt.figure():subplot(1):contour(function(x, y) return -1 - x * x end, { log = true }) end,
      "ax:contour", "log")
    u.errors(function() plt.figure():subplot(1):contour(function(x, y) return x end, { cmap = "rainbow" }) end,
      "ax:contour", "cmap")
  end)
end)

describe("gd.plot layout", function()
  it("shares the y range across panels with sharey, and marks a path's ends", function()
    local fig = plt.figure { layout = { 1, 2 }, sharey = true }
    fig:subplot(1):plot({ 1, 2, 3 }, { 1, 2, 3 })
    local ax = fig:subplot(2):path({ { 0, 0 }, { 1, 5 }, { 2, 4 } }, { mark_ends = true })
    local r = fig:ranges()
    -- y data over both panels on [0, 5]: 5% of 5 each side; x stays each panel's own
    u.close(r[1].y, { -0.25, 5.25 }, 1e-9)
    u.close(r[2].y, { -0.25, 5.25 }, 1e-9)
    u.close(r[1].x, { 0.9, 3.1 }, 1e-9)
    u.close(r[2].x, { -0.1, 2.1 }, 1e-9)
    assert.equal(3, #ax.series)
    assert.same({ { 0 }, { 0 } }, { ax.series[2].cols[1]:totable(), ax.series[2].cols[2]:totable() })
    assert.same({ { 2 }, { 4 } }, { ax.series[3].cols[1]:totable(), ax.series[3].cols[2]:totable() })
    assert.equal("\137PNG", slurp(fig:save(path("share.png"))):sub(1, 4))
    u.errors(function() plt.figure { sharex = 1 } end, "gd.plot.figure", "sharex")
  end)
end)

-- The number of images in a GIF, walking its blocks: the header, the
-- logical screen (and its global color table), then extensions (0x21,
-- label, sub-blocks) and images (0x2C, descriptor, local color table,
-- LZW code size, sub-blocks) up to the trailer 0x3B.  Also the delay of
-- the first graphic control extension (1/100 s).
local function gif_frames(s)
  assert(s:sub(1, 6) == "GIF89a" or s:sub(1, 6) == "GIF87a", "not a GIF")
  local pos = 11
  local flags = s:byte(pos)
  pos = 14
  if flags & 0x80 ~= 0 then pos = pos + 3 * (1 << ((flags & 7) + 1)) end
  local function skip_subblocks()
    while true do
      local n = s:byte(pos)
      assert(n, "truncated GIF")
      pos = pos + 1
      if n == 0 then return end
      pos = pos + n
    end
  end
  local images, delay = 0, nil
  while true do
    local b = s:byte(pos)
    assert(b, "GIF without a trailer")
    if b == 0x3B then break end
    if b == 0x21 then
      if s:byte(pos + 1) == 0xF9 and not delay then delay = string.unpack("<I2", s, pos + 4) end
      pos = pos + 2
      skip_subblocks()
    elseif b == 0x2C then
      images = images + 1
      local f = s:byte(pos + 9)
      pos = pos + 10
      if f & 0x80 ~= 0 then pos = pos + 3 * (1 << ((f & 7) + 1)) end
      pos = pos + 1          -- LZW minimum code size
      skip_subblocks()
    else
      error(("unknown GIF block 0x%02x at %d"):format(b, pos))
    end
  end
  return images, delay
end

describe("gd.plot animation", function()
  local f = function(v) return v[1] ^ 2 + 10 * v[2] ^ 2 end
  it("writes a path{animate = true} as a GIF with one frame per point", function()
    local fig = plt.figure { size = { 300, 200 } }
    local ax = fig:subplot(1)
    ax:contour(f, { x = { -8, 8 }, y = { -3, 3 }, n = 40, levels = 8 })
    ax:path(gd.optim.trace(f, gd.tensor { -7, 2 }, gd.optim.SGD { lr = 0.05 }, 11), { animate = true })
    ax:path({ { 1, 1 }, { 2, 2 } }, { animate = true })
    local p = fig:save(path("path.gif"))
    local n, delay = gif_frames(slurp(p))
    local P = ax.series[2].cols[1]:numel()
    assert.equal(P, n)            -- the longer path's points: one frame each
    assert.equal(10, delay)       -- 10 frames a second
    -- a still figure saved as .gif is one image
    assert.equal(1, (gif_frames(slurp(plt.figure():subplot(1):plot({ 1, 2 }).fig:save(path("still.gif"))))))
  end)

  it("gd.plot.animate draws frames with draw_fn at fps into file", function()
    local calls = 0
    local p = plt.animate(function(fig, k)
      calls = calls + 1
      fig:subplot(1):plot({ 0, k }, { 0, k }):text(0.5, 0.5, "frame " .. k):title("t")
    end, 7, { fps = 4, file = path("anim/a.gif"), size = { 200, 150 } })
    assert.equal(7, calls)
    local n, delay = gif_frames(slurp(p))
    assert.equal(7, n)
    assert.equal(25, delay)
    u.errors(function() plt.animate(42, 3) end, "gd.plot.animate", "draw_fn")
    u.errors(function() plt.animate(function() end, 0) end, "gd.plot.animate", "frames")
    u.errors(function() plt.animate(function() end, 2, { fps = 0 }) end, "gd.plot.animate", "fps")
    u.errors(function() plt.animate(function() error("boom") end, 2, { file = path("x.gif") }) end, "boom")
  end)
end)

describe("gd.plot shared legend", function()
  it("draws each title once for the whole figure with fig:legend", function()
    local fig = plt.figure { layout = { 1, 2 }, title = "shared" }
    for i = 1, 2 do
      fig:subplot(i):plot({ 1, 2, 3 }, { 1, 2 * i, 3 }, { title = "GDkey" })
        :plot({ 1, 2, 3 }, { 3, 2, 1 }, "--o", { title = "Adamkey" })
    end
    local each = slurp(fig:save(path("each.svg")))
    local _, n_each = each:gsub(">GDkey<", "")
    assert.equal(2, n_each)             -- one key per panel
    fig:legend()
    local svg = slurp(fig:save(path("shared.svg")))
    local _, n = svg:gsub(">GDkey<", "")
    local _, m = svg:gsub(">Adamkey<", "")
    assert.same({ 1, 1 }, { n, m })
    fig:legend { position = "top" }
    assert.equal("\137PNG", slurp(fig:save(path("shared.png"))):sub(1, 4))
    u.errors(function() fig:legend { position = "left" } end, "fig:legend", "position")
  end)
end)
