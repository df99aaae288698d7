-- plot_figures_spec.lua: issue 13, the figures a course draws: margins on
-- autoscaled axes (read back from gnuplot's GPVAL_ variables), legends
-- off the data, opaque key samples, more output formats, the dumb
-- terminal's size and level lines, a dead display that falls back to PNG,
-- and the new kinds, rendered for real.
local u = require "tests.helpers.util"
local plt = gd.plot
local pp = require("gd.core")._plotpipe
local layout = require "gd.plot_layout"
local pr = require "tests.helpers.plotproc"
local shq, slurp, run = pr.shq, pr.slurp, pr.run

local cwd = u.sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua

local DIR = os.tmpname()
os.remove(DIR)
assert(pp.mkdir(DIR))
local function path(name) return DIR .. "/" .. name end

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
end)
