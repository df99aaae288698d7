-- plot_spec.lua: gd.plot draws through a real gnuplot (PNG files checked
-- byte by byte, text from the dumb terminal), turns its errors into Lua
-- errors, checks arguments before sending anything, and leaves no zombie,
-- fd or temp file behind.  The suite runs with GD_PLOT=none, so this spec
-- names its destinations itself (fig:save, plt.output, child processes).
local u = require "tests.helpers.util"
local plt = gd.plot
local pp = require("gd.core")._plotpipe

local pr = require "tests.helpers.plotproc"
local shq, slurp, run = pr.shq, pr.slurp, pr.run

local cwd = require("tests.helpers.util").sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua

local DIR = os.tmpname()
os.remove(DIR)
assert(pp.mkdir(DIR))

local function path(name) return DIR .. "/" .. name end

-- Width and height from a PNG's IHDR chunk, after checking the signature.
local png_size
local function wh(p) local w, h = png_size(p); return { w, h } end

function png_size(p)
  local s = assert(slurp(p), "no file " .. p)
  assert(s:sub(1, 8) == "\137PNG\r\n\26\n", p .. " has no PNG signature")
  assert(s:sub(13, 16) == "IHDR", p .. " has no IHDR chunk first")
  return string.unpack(">I4", s, 17), string.unpack(">I4", s, 21), #s
end

local function script(name, text) return pr.write(path(name), text) end

local mypid = pr.mypid

-- Our zombie children: their number, and their pids.
local function zombies()
  local found, pid = {}, mypid()
  for _, q in ipairs(pr.procs()) do
    if q.state == "Z" and q.ppid == pid then found[#found + 1] = q.pid .. " " .. q.comm end
  end
  return #found, table.concat(found, "; ")
end

-- Our live gnuplot children.
local function gnuplots()
  local n, pid = 0, mypid()
  for _, q in ipairs(pr.procs()) do
    if q.comm:match("^gnuplot") and q.state ~= "Z" and q.ppid == pid then n = n + 1 end
  end
  return n
end

local function open_fds()
  local p = io.popen("ls /proc/" .. mypid() .. "/fd | wc -l")
  local n = tonumber(p:read("l"))
  p:close()
  return n
end

-- Our temp files (named gdplot-<pid>-XXXXXX).
local function temp_files()
  local dir = os.getenv("TMPDIR")
  if not dir or dir == "" then dir = "/tmp" end
  local p = io.popen("ls " .. shq(dir) .. " 2>/dev/null | grep '^gdplot-" .. mypid() .. "-' | wc -l")
  local n = tonumber(p:read("l"))
  p:close()
  return n
end

local function f_vec(x) return x[1] ^ 2 / 20 + x[2] ^ 2 end
local function f_xy(x, y) return x ^ 2 / 20 + y ^ 2 end

teardown(function()
  plt.shutdown()
  os.execute("rm -rf " .. shq(DIR))
end)

describe("gd.plot to PNG", function()
  -- Each kind in its own figure of its own size.
  local kinds = {
    line = function(ax) ax:plot(gd.linspace(0, 6, 100), gd.sin(gd.linspace(0, 6, 100)), { title = "sin" }) end,
    dashed = function(ax) ax:plot({ 1, 2, 3 }, { 3, 1, 2 }, "--", { color = "red", linewidth = 2 }) end,
    linespoints = function(ax) ax:plot({ 1, 2, 3 }, { 3, 1, 2 }, "-o", { pointsize = 1.5 }) end,
    dots = function(ax) ax:plot(gd.randn(500), gd.randn(500), ".") end,
    y_only = function(ax) ax:plot(gd.tensor { { 1, 2 }, { 3, 4 } }) end,
    func = function(ax) ax:plot(math.sin, { x = { 0, 6 } }) end,
    scatter = function(ax) ax:scatter(gd.randn(300), gd.randn(300), { alpha = 0.2, title = "data" }) end,
    path = function(ax) ax:path(gd.tensor { { -7, 2 }, { -5, 1 }, { 0, 0 } }, { title = "Adam" }) end,
    path_list = function(ax) ax:path({ gd.tensor { 1, 2 }, gd.tensor { 2, 3 }, gd.tensor { 3, 1 } }) end,
    hist = function(ax) ax:hist(gd.randn(1000), { bins = 20, density = true }) end,
    bar = function(ax) ax:bar({ "a", "b", "c" }, { 3, 5, 2 }, { alpha = 0.5, color = "green" }) end,
    contour = function(ax)
      ax:contour(f_vec, { x = { -10, 10 }, y = { -10, 10 }, levels = 30 })
      ax:path(gd.tensor { { -7, 2 }, { -5, 1 }, { 0, 0 } })
    end,
    contour_filled = function(ax)
      ax:contour(f_xy, { x = { -10, 10 }, y = { -10, 10 }, levels = { 1, 5, 20, 50 }, filled = true })
    end,
    wireframe = function(ax) ax:wireframe(f_vec, { x = { -10, 10 }, y = { -10, 10 }, view = { 30, 200 } }) end,
    surface = function(ax) ax:surface(f_xy, { x = { -2, 2 }, n = 20 }) end,
    grid = function(ax)
      local x, y = gd.linspace(-1, 1, 30), gd.linspace(-2, 2, 20)
      ax:wireframe(x, y, gd.outer(y, x))
    end,
    log = function(ax)
      ax:plot(gd.linspace(1, 100, 50), gd.linspace(1, 100, 50) ^ 2)
      ax:logscale("xy"); ax:grid()
    end,
    many_points = function(ax) ax:plot(gd.randn(50000), gd.randn(50000), ".") end,
    nan = function(ax) ax:plot({ 1, 2, 3, 4 }, { 1, 0 / 0, 3, math.huge }) end,
    empty = function() end,
  }
  local names = {}
  for k in pairs(kinds) do names[#names + 1] = k end
  table.sort(names)
  for i, name in ipairs(names) do
    it("draws " .. name .. " at the requested size", function()
      local fig = plt.figure { size = { 300 + i, 200 + 2 * i } }
      local ax = fig:subplot(1)
      kinds[name](ax)
      ax:title(name); ax:xlabel("x"); ax:ylabel("y")
      local p = fig:save(path(name .. ".png"))
      local w, h, bytes = png_size(p)
      assert.equal(300 + i, w)
      assert.equal(200 + 2 * i, h)
      assert(bytes > 1000, name .. ": a PNG of only " .. bytes .. " bytes")
    end)
  end

  it("lays out subplots with a figure title", function()
    local fig, a, b, c = plt.subplots(1, 3, { size = { 900, 300 }, title = "three" })
    a:plot({ 1, 2 }, { 1, 2 })
    b:hist({ 1, 2, 2, 3, 3, 3 })
    c:contour(f_vec, { x = { -10, 10 }, levels = 5 })
    assert.equal(3, #fig.axes)
    local w, h = png_size(fig:save(path("subplots.png")))
    assert.same({ 900, 300 }, { w, h })
    -- an empty slot in a layout is skipped
    local fig2 = plt.figure { layout = { 2, 2 }, size = { 400, 400 } }
    fig2:subplot(2, 2):plot({ 1, 2, 3 })
    assert.same({ 400, 400 }, wh(fig2:save(path("sparse.png"))))
  end)

  it("writes svg, pdf and txt by extension; size overrides the figure's", function()
    local fig = plt.figure()
    fig:subplot(1):plot({ 1, 2, 3 }, { 1, 4, 9 })
    assert(slurp(fig:save(path("a.svg"))):find("<svg", 1, true))
    assert.equal("%PDF", slurp(fig:save(path("a.pdf"))):sub(1, 4))
    assert.same({ 123, 45 }, wh(fig:save(path("b.png"), { size = { 123, 45 } })))
    u.errors(function() fig:save(path("a.bmp")) end, "fig:save", ".png, .svg, .pdf, .eps, .jpg, .gif, .txt")
  end)

  it("draws the same picture from f(v), f(x, y) and grid tensors", function()
    local function draw(kind, ...)
      local fig = plt.figure { size = { 300, 300 } }
      fig:subplot(1)[kind](fig:subplot(1), ...)
      return slurp(fig:save(path(kind .. math.random(1e9) .. ".png")))
    end
    local o = { x = { -10, 10 }, y = { -10, 10 }, n = 21, levels = 8 }
    local a = draw("contour", f_vec, o)
    local b = draw("contour", f_xy, o)
    local xs = gd.linspace(-10, 10, 21)
    local Z = gd.zeros(21, 21)
    for j = 1, 21 do for i = 1, 21 do Z:set(f_xy(xs[i], xs[j]), j, i) end end
    local c = draw("contour", xs, xs, Z, { levels = 8 })
    local d = draw("contour", Z, { x = { -10, 10 }, y = { -10, 10 }, levels = 8 })
    assert(a == b, "f(v) and f(x, y) differ")
    assert(a == c, "f(v) and (X, Y, Z) differ")
    assert(a == d, "f(v) and (Z, {x, y}) differ")
    local w1 = draw("wireframe", f_vec, { x = { -10, 10 }, n = 15 })
    local w2 = draw("wireframe", f_xy, { x = { -10, 10 }, n = 15 })
    assert(w1 == w2, "wireframes of f(v) and f(x, y) differ")
  end)
end)

describe("gd.plot as text", function()
  it("puts the title and axis labels into the dumb terminal's text", function()
    local fig = plt.figure()
    local ax = fig:subplot(1)
    ax:plot({ 1, 2, 3 }, { 1, 4, 9 }, { title = "squares" })
    ax:title("Quadratic growth"); ax:xlabel("the x axis"); ax:ylabel("yvalue")
    local txt = slurp(fig:save(path("q.txt")))
    for _, s in ipairs { "Quadratic growth", "the x axis", "yvalue", "squares" } do
      assert(txt:find(s, 1, true), "no '" .. s .. "' in\n" .. txt)
    end
  end)

  it("prints the plot with GD_PLOT=dumb", function()
    local s = script("dumb.lua", [[
      gd.plot.plot({1, 2, 3}, {3, 1, 2}); gd.plot.title("dumb title"); gd.plot.xlabel("xlab")
      gd.plot.show()]])
    local out, err, ok = run("GD_PLOT=dumb " .. shq(GDLUA) .. " " .. shq(s))
    assert(ok, err)
    assert(out:find("dumb title", 1, true) and out:find("xlab", 1, true), out)
  end)
end)

describe("gd.plot destinations", function()
  it("writes <script>-<n>.png into GD_PLOT_DIR and prints each path", function()
    local s = script("myplot.lua", [[
      local plt = gd.plot
      plt.plot({1, 2, 3}); plt.show()
      local fig = plt.figure{size = {200, 100}}; fig:subplot(1):hist({1, 2, 2}); fig:show()]])
    local dir = path("out/nested")
    local out, err, ok = run("GD_PLOT=png GD_PLOT_DIR=" .. shq(dir) .. " " .. shq(GDLUA) .. " " .. shq(s))
    assert(ok, err)
    assert(out:find(dir .. "/myplot-1.png", 1, true), out)
    assert(out:find(dir .. "/myplot-2.png", 1, true), out)
    assert.same({ 640, 480 }, wh(dir .. "/myplot-1.png"))
    assert.same({ 200, 100 }, wh(dir .. "/myplot-2.png"))
  end)

  it("writes SVG with GD_PLOT=svg", function()
    local s = script("svgplot.lua", "gd.plot.plot({1, 2, 3}); gd.plot.show()")
    local out, err, ok = run("GD_PLOT=svg GD_PLOT_DIR=" .. shq(path("svg")) .. " " .. shq(GDLUA) .. " " .. shq(s))
    assert(ok, err)
    assert(slurp(path("svg/svgplot-1.svg")):find("<svg", 1, true), out)
  end)

  it("draws nothing and spawns nothing with GD_PLOT=none, but still checks arguments", function()
    local s = script("none.lua", [[
      local plt = gd.plot
      plt.plot({1, 2, 3}, {1, 2, 3}); plt.title("t"); plt.show()
      local fig = plt.figure{layout = {1, 2}}
      fig:subplot(1):contour(function(v) return v[1]^2 + v[2]^2 end, {x = {-1, 1}})
      fig:show()
      print("shown")
      plt.plot({1, 2, 3}, {1, 2})]])
    local out, err, ok = run("PATH=/nonexistent GD_PLOT=none " .. shq(GDLUA) .. " " .. shq(s))
    assert.is_falsy(ok)
    assert(out:find("shown", 1, true), out .. err)
    assert(err:find("gd.plot.plot: x and y have different lengths (3 and 2)", 1, true), err)
  end)

  it("reads GD_PLOT and GD_PLOT_DIR, and plt.output overrides them", function()
    local old_mode, old_dir = plt.output("svg", "somewhere")
    assert.same({ "svg", "somewhere" }, { plt.destination() })
    plt.output(old_mode, old_dir)
    local env = os.getenv("GD_PLOT")              -- the suite runs with GD_PLOT=none
    if env == "none" or env == "png" or env == "svg" or env == "dumb" then
      assert.equal(env, (plt.destination()))
    end
    u.errors(function() plt.output("jpeg") end, "gd.plot.output", "window, png, svg, dumb or none")
    local out = run("GD_PLOT=bogus " .. shq(GDLUA) .. " -e " .. shq("gd.plot.plot({1}) gd.plot.show()"))
    local _, err = run("GD_PLOT=bogus " .. shq(GDLUA) .. " -e " .. shq("gd.plot.plot({1}) gd.plot.show()"))
    assert(err:find("GD_PLOT must be window, png, svg, dumb or none", 1, true), out .. err)
  end)

  it("falls back to PNG without a display", function()
    local out, err, ok = run("env -u DISPLAY -u WAYLAND_DISPLAY -u GD_PLOT GD_PLOT_DIR=" .. shq(path("fb")) .. " "
      .. shq(GDLUA) .. " -e " .. shq("gd.plot.plot({1, 2}) gd.plot.show()"))
    assert(ok, err)
    assert(out:find(path("fb") .. "/gdlua-1.png", 1, true), out)
  end)
end)

describe("gd.plot errors", function()
  it("checks arguments when a series is added, naming the function", function()
    local fig = plt.figure()
    local ax = fig:subplot(1)
    u.errors(function() plt.plot({ 1, 2, 3 }, { 1, 2 }) end, "gd.plot.plot", "different lengths (3 and 2)")
    u.errors(function() ax:plot({ 1, 2, 3 }, { 1, 2 }) end, "ax:plot", "different lengths")
    u.errors(function() ax:plot({ 1, 2 }, { 1, 2 }, "-#") end, "ax:plot", "unknown style '-#'")
    u.errors(function() ax:scatter({ 1, 2 }, { 1, 2 }, { colour = "red" }) end, "ax:scatter", "unknown option 'colour'")
    u.errors(function() ax:scatter({ 1, 2 }, { 1, 2 }, { alpha = 2 }) end, "alpha must be in [0, 1]")
    u.errors(function() ax:plot({ 1, 2 }, { 1, "a" }) end, "ax:plot", "y")
    u.errors(function() ax:plot() end, "ax:plot", "no data")
    u.errors(function() ax:plot({}, {}) end, "ax:plot")
    u.errors(function() ax:hist({ 1, 2 }, { bins = 0 }) end, "ax:hist", "bins")
    u.errors(function() ax:bar({ 1, 2 }, { 1, 2, 3 }) end, "ax:bar", "different lengths")
    u.errors(function() ax:path(gd.ones(3, 3)) end, "ax:path", "(n, 2)")
    u.errors(function() ax:contour(function() return "x" end, { x = { 0, 1 } }) end, "ax:contour", "must return a number")
    u.errors(function() ax:contour(gd.ones(3)) end, "ax:contour", "2-D grid")
    u.errors(function() ax:contour(f_vec, { x = { 1, 0 } }) end, "ax:contour", "lo must be below hi")
    u.errors(function() ax:wireframe(f_vec, { view = 30 }) end, "ax:wireframe", "view")
    u.errors(function() ax:xlim(2, 1) end, "ax:xlim")
    u.errors(function() ax:logscale("q") end, "ax:logscale")
    u.errors(function() ax:legend("upper left") end, "ax:legend", "upper")
    u.errors(function() fig:subplot(2) end, "fig:subplot", "subplot 2 of a 1x1 layout")
    u.errors(function() plt.figure { layout = { 0, 1 } } end, "gd.plot.figure", "layout rows")
    u.errors(function() plt.figure { sise = { 1, 2 } } end, "gd.plot.figure", "unknown option 'sise'")
    u.errors(function() ax.plot({ 1 }) end, "ax:plot")
    local fig3 = plt.figure()
    fig3:subplot(1):plot({ 1, 2 })
    u.errors(function() fig3:subplot(1):wireframe(f_vec) end, "cannot mix 3-D")
    -- nothing was added by the failing calls
    assert.equal(0, #ax.series)
  end)

  it("turns a gnuplot error into a Lua error with gnuplot's message and the command", function()
    local fig = plt.figure()
    fig:subplot(1):plot({ 1, 2, 3 }, { 1, 2, 3 }, { color = "notacolor" })
    local err = u.errors(function() fig:save(path("bad.png")) end, "fig:save", "gnuplot error", "unrecognized color name")
    assert(err:find("in command: plot ", 1, true) and err:find("notacolor", 1, true), err)
    local fig2 = plt.figure()
    fig2:subplot(1):gnuplot("set xrange [1:")
    u.errors(function() fig2:save(path("bad2.png")) end, "constant expression required", "in command: set xrange [1:")
    -- an output folder that cannot be made (a missing one is created: plot_figures_spec)
    local fig3 = plt.figure()
    fig3:subplot(1):plot({ 1, 2 })
    assert(io.open(path("afile"), "w")):close()
    u.errors(function() fig3:save(path("afile/x.png")) end, "fig:save", "cannot create the folder of",
      "afile exists and is not a directory")
  end)

  it("reports a gnuplot that exits in the middle of a figure", function()
    local fig = plt.figure()
    fig:subplot(1):gnuplot("exit")
    u.errors(function() fig:save(path("exit.png")) end, "fig:save", "gnuplot exited")
    local n, which = zombies()
    for _ = 1, 40 do                -- a shell of io.popen may be exiting right now
      if n == 0 then break end
      os.execute("sleep 0.05")
      n, which = zombies()
    end
    assert.equal(0, n, which)
  end)

  it("names the Debian package and GD_PLOT=none when gnuplot is missing", function()
    local out, err, ok = run("PATH=/nonexistent " .. shq(GDLUA) .. " -e "
      .. shq("gd.plot.plot({1, 2}) gd.plot.savefig('" .. path("nogp.png") .. "')"))
    assert.is_falsy(ok)
    assert(err:find("gd.plot.savefig: gnuplot not found", 1, true), out .. err)
    assert(err:find("gnuplot-nox", 1, true) and err:find("GD_PLOT=none", 1, true), err)
  end)
end)

describe("gd.plot data and results", function()
  it("returns histogram counts and edges", function()
    local counts, edges = plt.figure():subplot(1):hist({ 1, 2, 2, 3, 3, 3 }, { bins = 3 })
    assert.same({ 1, 2, 3 }, counts:totable())
    u.close(edges, { 1, 5 / 3, 7 / 3, 3 }, 1e-12)
    counts = plt.figure():subplot(1):hist({ 0, 0.5, 1, 2, 5 }, { bins = { 0, 1, 2, 4 } })
    assert.same({ 2, 1, 1 }, counts:totable())   -- [0,1) [1,2) [2,4]; 5 is outside
  end)

  it("copies the data when a series is added", function()
    local y = gd.tensor { 1, 2, 3 }
    local ax = plt.figure():subplot(1)
    ax:plot(y)
    y:set(100, 1)
    assert.equal(1, ax.series[1].cols[2][1])
  end)

  it("has a one-line doc for every function and method", function()
    local docs = gd._docs
    local missing = {}
    for k, v in pairs(plt) do
      if type(v) == "function" and not docs[v] then missing[#missing + 1] = "gd.plot." .. k end
    end
    local ax = plt.figure():subplot(1)
    for _, k in ipairs { "plot", "scatter", "path", "hist", "bar", "contour", "wireframe", "surface",
                         "title", "xlabel", "ylabel", "legend", "xlim", "ylim", "logscale" } do
      if not docs[ax[k]] then missing[#missing + 1] = "ax:" .. k end
    end
    for _, k in ipairs { "subplot", "show", "save" } do
      if not docs[ax.fig[k]] then missing[#missing + 1] = "fig:" .. k end
    end
    assert(#missing == 0, "no doc: " .. table.concat(missing, ", "))
  end)
end)

describe("the gnuplot pipe", function()
  it("keeps one gnuplot between figures, and leaves no zombie, fd or temp file after 200", function()
    plt.shutdown()
    -- two cycles: a file that earlier specs left to the collector may sit behind
    -- an object finalized in the first one, and would close during the loop
    collectgarbage()
    collectgarbage()
    local fds, tmps = open_fds(), temp_files()
    assert.equal(0, gnuplots())
    local big = gd.linspace(0, 1, 1200)     -- over the inline limit: a temp file
    for i = 1, 200 do
      local fig = plt.figure { size = { 160, 160 } }
      local ax = fig:subplot(1)
      if i % 4 == 0 then ax:plot(big, big) else ax:plot({ 1, 2, 3 }, { i, 1, 2 }) end
      if i % 25 == 0 then ax:gnuplot("set nosuchthing") end          -- a gnuplot error
      if i % 40 == 0 then ax:gnuplot("exit") end                     -- gnuplot dies
      if i % 50 == 0 then fig:subplot(1):plot({ 1, 2 }, { 1, 2 }, { color = "nocolor" }) end
      local ok, err = pcall(fig.save, fig, path("many.txt"))
      assert(ok == (i % 25 ~= 0 and i % 40 ~= 0), tostring(err))
      if i == 100 then
        assert.equal(1, gnuplots())
        assert.equal(tmps, temp_files())
      end
    end
    plt.shutdown()
    collectgarbage()
    local nz, which = zombies()
    for _ = 1, 40 do                -- under load a child may still be on its way out
      if nz == 0 then break end
      os.execute("sleep 0.05")
      nz, which = zombies()
    end
    assert(nz == 0, "zombies: " .. which)
    assert.equal(0, gnuplots())
    assert.equal(fds, open_fds())
    assert.equal(tmps, temp_files())
  end)

  it("reads a flood of gnuplot output while it writes, without deadlock", function()
    local p <close> = assert(pp.open())
    assert(p:send('do for [i=1:20000] { printerr "0123456789012345678901234567890123456789" }'))
    local x = gd.linspace(0, 1, 400)
    assert(p:datablock("d", { x, x }))
    assert(p:send("stats $d nooutput"))
    local ok, out = p:sync()
    assert(ok, out)
    assert(#out >= 20000 * 41, "got " .. #out .. " bytes of output")
    assert(p:send("plot foo"))
    local ok2, msg, cmd = p:sync()
    assert.is_falsy(ok2)
    assert.equal("undefined variable: foo", msg)
    assert.equal("plot foo", cmd)
    assert(p:send("printerr 'still alive'"))     -- the error state was cleared
    local ok3, out3 = p:sync()
    assert(ok3 and out3:find("still alive", 1, true), out3)
    local pid = p:pid()
    assert(p:close())
    assert.is_nil(p:pid())
    assert(p:close())                             -- idempotent
    assert.is_nil(io.open("/proc/" .. pid .. "/stat"))
  end)

  it("removes temp files at close and kills on request", function()
    local p = assert(pp.open())
    local f = assert(p:tempfile({ gd.ones(5) }))
    assert.equal(40, #slurp(f))
    p:kill()
    assert.is_nil(io.open(f))
    assert.is_nil(p:pid())
    local q, err = pp.open("/nonexistent/gnuplot")
    if q then   -- a libc (or valgrind) that cannot report a failed exec: the child exits 127
      local ok, msg = q:send("print 1")
      if ok then ok, msg = q:sync() end
      assert.is_nil(ok)
      err = msg
      q:close()
    end
    assert(err:find("cannot run", 1, true), err)
  end)
end)
