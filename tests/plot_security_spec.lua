-- plot_security_spec.lua: gd.plot cannot be made to run commands through
-- gnuplot, never waits on gnuplot without a deadline, leaves no gnuplot
-- behind when gdlua ends, refuses absurd layouts and limits, and writes a
-- figure's file whole or not at all (issue 10 items 1 and 2).
--
-- Every text entry point gets payloads that would run `touch` if gnuplot
-- read them as code (backquotes, a newline then a command, system(), !,
-- closing the quote); the figures are really rendered (png, svg, txt, and
-- GD_PLOT=png in a child gdlua), no file may appear, and the svg must show
-- each text as it was written.
local u = require "tests.helpers.util"
local pr = require "tests.helpers.plotproc"
local plt = gd.plot
local pp = require("gd.core")._plotpipe
local shq, slurp, run = pr.shq, pr.slurp, pr.run
local literal = require("gd.plot_draw").literal

local cwd = u.sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua

local DIR = os.tmpname()
os.remove(DIR)
assert(pp.mkdir(DIR))
local function path(name) return DIR .. "/" .. name end

-- path(name), its folders made (name may hold slashes).
local function nested(name)
  local p = path(name)
  assert(pp.mkdir(p:match("^(.*)/")))
  return p
end

-- print() silenced while fn runs (show() prints the paths it writes).
local function quietly(fn, ...)
  local saved = _G.print
  _G.print = function() end
  local r = table.pack(pcall(fn, ...))
  _G.print = saved
  return table.unpack(r, 1, r.n)
end

teardown(function()
  plt.shutdown()
  os.execute("rm -rf " .. shq(DIR))
end)

-- The files in DIR whose names start with "pwned": each one a command run.
local function pwned()
  local found = {}
  local p = io.popen("ls -a " .. shq(DIR))
  for name in p:lines() do
    if name:match("^pwned") then found[#found + 1] = name end
  end
  p:close()
  return found
end

-- Payloads: each would create DIR/pwned<k> if gnuplot ran it.
local kinds = 0
local function payloads()
  local list = {}
  local function add(fmt)
    kinds = kinds + 1
    list[#list + 1] = fmt:gsub("TARGET", DIR .. "/pwned" .. kinds)
  end
  add("`touch TARGET`")
  add("a\nsystem \"touch TARGET\"")
  add("system('touch TARGET')")
  add("!touch TARGET")
  add("'; system(\"touch TARGET\"); '")
  add("x\n!touch TARGET")
  add("\"`touch TARGET`\"")
  add("'`touch TARGET`'")
  add("it's \"@pwn\" \\ x₁ `date` & <b>")
  return list
end

-- The texts of an svg's <text> elements, XML entities decoded.
local function svg_texts(file)
  local set = {}
  local s = assert(slurp(file), "no svg " .. file)
  for t in s:gmatch("<text[^>]*>(.-)</text>") do
    t = t:gsub("<[^>]+>", "")
    t = t:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&apos;", "'"):gsub("&amp;", "&")
    set[t] = true
  end
  return set
end

-- A figure with every text entry point set from the list `texts` (cycled).
local function figure_with(texts)
  local k = 0
  local function nxt() k = k % #texts + 1; return texts[k] end
  local used = {}
  local function t() local s = nxt(); used[#used + 1] = s; return s end
  local fig = plt.figure { layout = { 2, 3 }, size = { 1500, 900 }, title = t() }
  local a = fig:subplot(1)
  -- "@pwn" in the texts: were it expanded as a macro, gnuplot would fail on
  -- the undefined variable pwn, and the render with it
  a:plot({ 1, 2, 3 }, { 1, 4, 9 }, { title = t() })
  a:plot({ 1, 2, 3 }, { 2, 3, 4 }, { label = t() })
  a:scatter({ 1, 2 }, { 3, 1 }, { title = t() })
  a:path({ { 1, 1 }, { 2, 2 } }, { title = t() })
  a:title(t()); a:xlabel(t()); a:ylabel(t())
  -- issue 13's kinds: annotations, reference lines, bands, classes
  a:text(1.5, 6, t()):hline(2, { title = t() }):vline(1.5, { title = t() })
  a:fill_between({ 1, 2, 3 }, { 0, 1, 2 }, { 1, 2, 3 }, { title = t() })
  a:errorbar({ 1, 2 }, { 5, 6 }, { 0.5, 0.5 }, { title = t() })
  a:point(2, 2, { label = t() }):quiver({ 1 }, { 1 }, { 0.5 }, { 0.5 }, { title = t() })
  a:scatter({ 1, 2, 3 }, { 2, 2, 3 }, { c = { t(), t(), t() } })
  local b = fig:subplot(2)
  b:hist({ 1, 2, 2, 3 }, { title = t() })
  b:bar({ t(), t() }, { 1, 2 }, { title = t() })
  b:title(t())
  local c = fig:subplot(3)
  c:contour(function(x, y) return x * x + y * y end, { n = 10, levels = 3, title = t() })
  c:legend({ t() })
  c:heatmap({ { 1, 2 }, { 3, 4 } }, { xlabels = { t(), t() }, ylabels = { t(), t() }, title = t() })
  local d = fig:subplot(4)
  d:contour(function(x, y) return x + y end, { n = 10, levels = 3, filled = true, title = t() })
  local e = fig:subplot(5)
  e:wireframe(function(x, y) return x * y end, { n = 5, title = t() })
  e:zlabel(t()); e:title(t())
  local f = fig:subplot(6)
  f:surface(function(x, y) return x - y end, { n = 5, title = t() })
  f:title(t())
  return fig, used
end

describe("gd.plot text reaches gnuplot inert", function()
  it("renders every text entry point with command payloads: nothing runs, every text shows", function()
    local texts = payloads()
    local fig, used = figure_with(texts)
    assert(#used > 2 * #texts, "every payload should be used at least twice")
    local svg = fig:save(path("inject.svg"))
    fig:save(path("inject.png"))
    local txt = slurp(fig:save(path("inject.txt")))
    assert.same({}, pwned())
    local shown = svg_texts(svg)
    for _, s in ipairs(used) do
      for line in (s .. "\n"):gmatch("(.-)\n") do
        assert(shown[line], "svg has no text " .. string.format("%q", line))
      end
    end
    -- the text terminal shows them too (its lines may be cut: the figure's title only)
    assert(txt:find(texts[1], 1, true), txt)
    assert.equal("\137PNG\r\n\26\n", slurp(path("inject.png")):sub(1, 8))
  end)

  it("writes files whose names hold the payloads, under those names", function()
    -- a folder named "`touch DIR" holds files named "pwnedK`.svg": the whole
    -- path is a backquoted command, were gnuplot to expand it
    local fig = plt.figure()
    fig:subplot(1):plot({ 1, 2 })
    local names = {
      nested("`touch " .. DIR .. "/pwned_path1`.svg"),
      nested("'; system(\"touch " .. DIR .. "/pwned_path2\"); '.png"),
      nested("x\"; system(\"touch " .. DIR .. "/pwned_path3\"); \".pdf"),
      path("it's.txt"),
      nested("`touch " .. DIR .. "/pwned_path4`.gif"),
    }
    for _, n in ipairs(names) do
      assert.equal(n, fig:save(n))
      assert(#slurp(n) > 100, n)
    end
    assert.same({}, pwned())
    -- show() with GD_PLOT=png into a folder of the same kind (plt.output)
    local old_mode, old_dir = plt.output("png", path("`touch " .. DIR .. "/pwned_dir`"))
    plt.plot({ 1, 2, 3 }); plt.title("`touch " .. DIR .. "/pwned_show`")
    local ok, err = quietly(plt.show)
    plt.output(old_mode, old_dir)
    assert(ok, err)
    assert.same({}, pwned())
  end)

  it("keeps GD_PLOT_DIR, the script's name and GD_PLOT=svg inert in a child gdlua", function()
    -- the script's name is part of the file name: "`touch pwned_script`.lua",
    -- run in DIR, would touch DIR/pwned_script
    local sname = "`touch pwned_script`.lua"
    pr.write(path(sname), [[
      local plt = gd.plot
      plt.plot({1, 2, 3}, {3, 1, 2}, {title = "`touch pwned_series`"})
      plt.title("x\n!touch pwned_title"); plt.xlabel("system('touch pwned_label')")
      plt.show()
      plt.bar({"`touch pwned_bar`", "b"}, {1, 2}); plt.show()]])
    for _, mode in ipairs { "png", "svg", "dumb" } do
      local dir = "out_" .. mode .. "/`touch pwned_dir_" .. mode .. "`"
      local out, err, ok = run("cd " .. shq(DIR) .. " && GD_PLOT=" .. mode .. " GD_PLOT_DIR=" .. shq(dir) .. " "
        .. shq(GDLUA) .. " " .. shq(sname))
      assert(ok, err)
      if mode ~= "dumb" then
        local f = dir .. "/`touch pwned_script`-2." .. mode
        assert(out:find("gd.plot: " .. f, 1, true), out)
        assert(#slurp(path(f)) > 100, f)
      else
        assert(out:find("`touch pwned_series`", 1, true), out)
      end
    end
    local svg = svg_texts(path("out_svg/`touch pwned_dir_svg`/`touch pwned_script`-1.svg"))
    assert(svg["`touch pwned_series`"] and svg["!touch pwned_title"] and svg["system('touch pwned_label')"])
    assert.same({}, pwned())
  end)

  it("refuses control characters other than newline in text, and any in paths", function()
    local ax = plt.figure():subplot(1)
    for _, bad in ipairs { "a\rb", "a\0b", "\27[31mred", "tab\there", "del\127" } do
      u.errors(function() ax:title(bad) end, "ax:title", "control character")
      u.errors(function() ax:plot({ 1 }, { title = bad }) end, "ax:plot", "control character")
      u.errors(function() plt.figure { title = bad } end, "gd.plot.figure", "control character")
      u.errors(function() ax:bar({ bad }, { 1 }) end, "ax:bar", "label", "control character")
      u.errors(function() ax.fig:save(path(bad .. ".png")) end, "fig:save", "path", "control character")
    end
    u.errors(function() ax.fig:save(path("a\nb.png")) end, "fig:save", "path", "control character \\10")
    u.errors(function() plt.output("png", "a\nb") end, "gd.plot.output", "dir", "control character")
    -- colors and legend positions are names gd.plot knows, never free text
    for _, s in ipairs(payloads()) do
      u.errors(function() ax:plot({ 1 }, { color = s }) end, "ax:plot", "color")
      u.errors(function() ax:legend(s) end, "ax:legend", "position")
    end
    assert.equal(0, #ax.series)
    -- legend positions are keywords: whitespace between them becomes one space
    ax:legend("top\nleft\r\tbox")
    assert.equal("top left box", ax.o.legend_pos)
    assert.same({}, pwned())
  end)

  it("turns a newline into a line break of the text, not the end of a command", function()
    local fig = plt.figure()
    local ax = fig:subplot(1)
    ax:plot({ 1, 2 }, { title = "first\nsecond" })
    ax:title("top\n\nbottom")
    fig:title("`touch " .. DIR .. "/pwned_fig`\n!touch " .. DIR .. "/pwned_fig2")
    local shown = svg_texts(fig:save(path("lines.svg")))
    for _, s in ipairs { "first", "second", "top", "bottom", "`touch " .. DIR .. "/pwned_fig`",
                         "!touch " .. DIR .. "/pwned_fig2" } do
      assert(shown[s], s)
    end
    assert.is_nil(shown["first\nsecond"])
    assert.same({}, pwned())
    -- the escaper itself: quotes and newlines become constant strings joined by `.`
    assert.equal([['a'."\n".'b'."'".'c']], literal("a\nb'c"))
    assert.equal([[''."'".''."'".'']], literal("''"))
    assert.equal([['`x` @y "z" \']], literal([[`x` @y "z" \]]))
    assert.is_nil(literal("a\nb", true))
    assert.is_nil(literal(42))
  end)

  it("lets ax:gnuplot send one set/unset that neither runs nor writes anything", function()
    local ax = plt.figure():subplot(1)
    local T = DIR .. "/pwned_raw"
    local refused = {
      "system('touch " .. T .. "1')", "set xrange [0:system('touch " .. T .. "2')]",
      "set output '|touch " .. T .. "3'", "set out '" .. T .. "4'", "set o '" .. T .. "5'",
      "set print '|touch " .. T .. "6'", "set table '" .. T .. "7'", "set term png",
      "set palette file '<touch " .. T .. "8'", "set palette file \"| touch " .. T .. "9\"",
      "load '" .. T .. "'", "call '" .. T .. "'", "!touch " .. T, "set grid; !touch " .. T,
      "set title `touch " .. T .. "`", "set title @x", "pwn = 1", "set grid\nsystem('x')",
      "set fit logfile '" .. T .. "'", "eval 'x'", 42,
    }
    for _, cmd in ipairs(refused) do
      u.errors(function() ax:gnuplot(cmd) end, "ax:gnuplot", "command")
    end
    assert.equal(0, #ax.raw)
    for _, cmd in ipairs { "set grid", "unset key", "set xrange [1:2]", "set title 'x'", "set tics out" } do
      ax:gnuplot(cmd)
    end
    assert.equal(5, #ax.raw)
    ax:plot({ 1, 2 }, { 3, 4 })
    ax.fig:save(path("raw.svg"))
    assert.same({}, pwned())
  end)
end)

describe("gd.plot waits on gnuplot with a deadline", function()
  -- A fake gnuplot that never answers: it sleeps, reading nothing.
  local fakedir = path("fakebin")
  local fake = fakedir .. "/gnuplot"
  setup(function()
    assert(pp.mkdir(fakedir))
    pr.write(fake, "#!/bin/sh\nexec sleep 30\n")
    os.execute("chmod +x " .. shq(fake))
  end)

  it("kills a gnuplot that does not answer within the timeout, with a clear error", function()
    local p = assert(pp.open(fake, 0.3))
    local pid = p:pid()
    assert(pr.alive(pid))
    local t0 = os.time()
    assert(p:send("print 1"))       -- it fits in the socket buffer
    local ok, msg = p:sync()
    assert.is_nil(ok)
    assert.equal("gnuplot did not answer within 0.3 s (GD_PLOT_TIMEOUT) and was killed", msg)
    assert(os.time() - t0 <= 3, "took " .. (os.time() - t0) .. " s")
    assert.is_nil(p:pid())
    assert.is_falsy(pr.alive(pid))
    assert.is_nil(slurp("/proc/" .. pid .. "/stat"))   -- reaped, not a zombie
    p:close()
  end)

  it("kills a real gnuplot stalled by what it runs, and what it runs", function()
    local p = assert(pp.open(nil, 0.5))
    local pid = p:pid()
    assert(p:send("system('sleep 30')"))
    local ok, msg = p:sync()
    assert.is_nil(ok)
    assert(msg:find("did not answer within 0.5 s", 1, true), msg)
    -- the sleep ran in gnuplot's process group; the group was killed
    assert(pr.wait_for(function()
      for _, q in ipairs(pr.procs()) do
        if q.pgrp == pid and q.state ~= "Z" then return false end
      end
      return true
    end, 2), "a process of gnuplot's group outlived the timeout")
    -- a deadline also bounds writes: a gnuplot that stops reading its input
    local q = assert(pp.open(nil, 0.5))
    assert(q:send("pause 30"))
    local big = gd.zeros(200000)
    local ok2, msg2 = q:datablock("d", { big, big })
    assert.is_nil(ok2)
    assert(msg2:find("did not answer within 0.5 s", 1, true), msg2)
    assert.is_nil(q:pid())
    -- the binding checks its timeout and paths
    for _, bad in ipairs { 0, -1, 0 / 0, 1e7 } do
      u.errors(function() pp.open(nil, bad) end, "_plotpipe.open: argument 2: timeout must be in (0, 1e6] seconds")
    end
    u.errors(function() pp.sibling(path("a\0b.png")) end, "_plotpipe.sibling", "NUL")
  end)

  it("reads GD_PLOT_TIMEOUT, reports its bad values by name, and draws again after a timeout", function()
    -- the fake sleeps on its first run only, then is the real gnuplot
    local real = u.sh_line("command -v gnuplot")
    local once = fakedir .. "/once"
    local fake2 = fakedir .. "/second/gnuplot"
    assert(pp.mkdir(fakedir .. "/second"))
    pr.write(fake2, "#!/bin/sh\nif [ ! -e " .. shq(once) .. " ]; then : > " .. shq(once) .. "; exec sleep 30; fi\n"
      .. "exec " .. shq(real) .. " \"$@\"\n")
    os.execute("chmod +x " .. shq(fake2))
    local target = path("timeout.png")
    pr.write(target, "old")
    local prog = [[
      gd.plot.plot({1, 2})
      local ok, err = pcall(gd.plot.savefig, ']] .. target .. [[')
      print(ok, err)
      print(io.open(']] .. target .. [['):read('a'))
      print(gd.plot.savefig(']] .. target .. [['))]]
    local t0 = os.time()
    local out, err, ok = run("PATH=" .. shq(fakedir .. "/second") .. ":$PATH GD_PLOT_TIMEOUT=1 "
      .. shq(GDLUA) .. " -e " .. shq(prog))
    assert(ok, err)
    assert(os.time() - t0 <= 6, "took " .. (os.time() - t0) .. " s")
    assert(out:find("false\t[^\n]*gd.plot.savefig: gnuplot did not answer within 1 s %(GD_PLOT_TIMEOUT%)"), out)
    assert(out:find("\nold\n", 1, true), out)            -- the old file is intact
    assert(out:find("\n" .. target .. "\n", 1, true), out)
    assert.equal("\137PNG", slurp(target):sub(1, 4))
    local left = u.sh_line("ls -a " .. shq(DIR) .. " | grep -c '^.timeout.png.tmp' || true")
    assert.equal("0", left)
    for _, bad in ipairs { "abc", "0", "-1", "inf", "nan", "1e9" } do
      local _, e, good = run("GD_PLOT_TIMEOUT=" .. bad .. " " .. shq(GDLUA) .. " -e "
        .. shq("gd.plot.plot({1}) gd.plot.savefig('" .. path("t.png") .. "')"))
      assert.is_falsy(good)
      assert(e:find("gd.plot.savefig: GD_PLOT_TIMEOUT must be a number of seconds", 1, true), e)
      assert(e:find('"' .. bad .. '"', 1, true), e)
    end
  end)
end)

describe("gd.plot leaves no gnuplot behind", function()
  -- Start gdlua on a program that prints its gnuplot's pid and then stays
  -- (`stay`); returns gdlua's pid and gnuplot's.
  local function start(name, stay)
    local prog = pr.write(path(name .. ".lua"), [[
      local p = assert(require("gd.core")._plotpipe.open())
      assert(p:send("pause 60"))     -- busy: gnuplot reads no input, sees no EOF
      print(p:pid()); io.stdout:flush()
      ]] .. stay)
    local out = path(name .. ".out")
    local gdl = tonumber(u.sh_line(shq(GDLUA) .. " " .. shq(prog) .. " > " .. shq(out) .. " 2>&1 & echo $!"))
    local gp = pr.wait_for(function() return tonumber((slurp(out) or ""):match("^(%d+)\n")) end, 5)
    assert(gp, "no pid from " .. name .. ": " .. tostring(slurp(out)))
    assert(pr.alive(gp))
    return gdl, gp
  end

  it("when gdlua is killed by SIGTERM while it waits on gnuplot", function()
    local gdl, gp = start("term", "p:sync()")
    os.execute("kill -TERM " .. gdl)
    assert(pr.wait_for(function() return not pr.alive(gdl) end, 2), "gdlua still running")
    assert(pr.wait_for(function() return not pr.alive(gp) end, 2), "gnuplot " .. gp .. " outlived gdlua")
  end)

  it("when gdlua exits without closing its Lua state (os.exit)", function()
    local _, gp = start("exit", "os.execute('sleep 0.3') os.exit(0)")
    assert(pr.wait_for(function() return not pr.alive(gp) end, 3), "gnuplot " .. gp .. " outlived gdlua")
  end)

  it("when the script ends normally (the pipe is closed, gnuplot killed if it does not exit)", function()
    local _, gp = start("end", "os.execute('sleep 0.3')")
    assert(pr.wait_for(function() return not pr.alive(gp) end, 5), "gnuplot " .. gp .. " outlived gdlua")
  end)
end)

describe("gd.plot refuses absurd layouts, sizes and limits", function()
  it("errors on huge layouts, sizes and sample counts instead of running out of memory", function()
    local err = u.errors(function() plt.subplots(2 ^ 53) end, "gd.plot.subplots", "layout rows")
    assert(err:find("plot_security_spec.lua:%d+: gd.plot.subplots"), "error not at the caller's line: " .. err)
    u.errors(function() plt.subplots(30, 30) end, "gd.plot.subplots", "900 axes (at most 400)")
    u.errors(function() plt.figure { layout = { 1e6, 1e6 } } end, "gd.plot.figure", "layout rows")
    u.errors(function() plt.figure { layout = { 1e300, 1 } } end, "gd.plot.figure", "layout rows")
    u.errors(function() plt.subplot(1000, 1000, 1) end, "gd.plot.subplot", "layout rows")
    u.errors(function() plt.figure { size = { 2 ^ 40, 100 } } end, "gd.plot.figure", "width")
    u.errors(function() plt.figure { size = { 100, 0 / 0 } } end, "gd.plot.figure", "height")
    local ax = plt.figure():subplot(1)
    u.errors(function() ax.fig:save(path("x.png"), { size = { 100, 1e7 } }) end, "fig:save", "height")
    u.errors(function() ax:plot(math.sin, { x = { 0, 1 }, n = 2 ^ 40 }) end, "ax:plot", "n")
    u.errors(function() ax:contour(function(x, y) return x + y end, { n = 2 ^ 31 }) end, "ax:contour", "n")
    u.errors(function() ax:contour(function(x, y) return x + y end, { levels = 2 ^ 53 }) end, "ax:contour", "levels")
    u.errors(function() ax:hist({ 1, 2 }, { bins = 2 ^ 53 }) end, "ax:hist", "bins")
    u.errors(function() ax:hist({ 1, 2 }, { bins = { 0, math.huge } }) end, "ax:hist", "finite")
    u.errors(function() ax:hist({ 1, 2 }, { range = { 0, 0 / 0 } }) end, "ax:hist", "range")
    u.errors(function() ax:contour(function(x, y) return x end, { levels = { 0, math.huge } }) end, "levels", "finite")
    assert.equal(0, #ax.series)
  end)

  it("errors on infinite, NaN and empty limits, ranges, widths and angles", function()
    local ax = plt.figure():subplot(1)
    local inf, nan = math.huge, 0 / 0
    u.errors(function() ax:xlim(-inf, inf) end, "ax:xlim", "lower limit must be finite, got -inf")
    u.errors(function() ax:xlim(0, inf) end, "ax:xlim", "upper limit must be finite, got inf")
    u.errors(function() ax:ylim(nan, 1) end, "ax:ylim", "finite, got nan")
    u.errors(function() ax:zlim({ 1, nan }) end, "ax:zlim", "nan")
    u.errors(function() ax:xlim(1, 1) end, "ax:xlim", "below the upper, got 1, 1")
    u.errors(function() ax:ylim(2, 1) end, "ax:ylim", "below the upper, got 2, 1")
    u.errors(function() plt.xlim(-inf, inf) end, "gd.plot.xlim", "finite")
    u.errors(function() ax:plot(math.sin, { x = { -inf, inf } }) end, "ax:plot", "x lower end must be finite")
    u.errors(function() ax:contour(function(x, y) return x end, { y = { 0, nan } }) end, "ax:contour", "y upper end")
    u.errors(function() ax:plot({ 1 }, { linewidth = inf }) end, "ax:plot", "linewidth")
    u.errors(function() ax:plot({ 1 }, { pointsize = 0 }) end, "ax:plot", "pointsize must be in (0, inf)")
    u.errors(function() ax:plot({ 1 }, { alpha = nan }) end, "ax:plot", "alpha")
    u.errors(function() ax:bar({ 1 }, { width = inf }) end, "ax:bar", "width")
    u.errors(function() ax:view(inf, 30) end, "ax:view", "rot_x")
    -- nil still means automatic, and a finite range works
    ax:xlim(nil, 3); ax:ylim(-1e300, 1e300)
    assert.same({ nil, 3 }, ax.o.xlim)
  end)

  it("sends no inf or NaN to gnuplot from data: a filled contour on a grid with a NaN coordinate draws", function()
    local fig = plt.figure { size = { 200, 200 } }
    fig:subplot(1):contour(gd.tensor { 1, 2, 0 / 0 }, gd.tensor { 1, 2, 3 }, gd.ones(3, 3) * gd.arange(1, 4),
      { filled = true })
    local s = slurp(fig:save(path("nan_grid.png")))
    assert.equal("\137PNG", s:sub(1, 4))
    assert.same({ 200, 200 }, { string.unpack(">I4", s, 17), (string.unpack(">I4", s, 21)) })
  end)
end)

describe("fig:save writes its file whole or not at all", function()
  local function temps(name)
    return tonumber(u.sh_line("ls -a " .. shq(DIR) .. " | grep -c '^\\." .. name .. "\\.tmp' || true"))
  end

  it("leaves the old file intact when gnuplot fails, and removes its temp file", function()
    local target = path("atomic.png")
    local good = plt.figure { size = { 200, 150 } }
    good:subplot(1):plot({ 1, 2, 3 })
    good:save(target)
    local before = slurp(target)
    assert.equal("\137PNG", before:sub(1, 4))
    local bad = plt.figure { size = { 300, 150 } }
    bad:subplot(1):plot({ 1, 2, 3 }, { color = "notacolor" })
    u.errors(function() bad:save(target) end, "fig:save", "gnuplot error", "notacolor")
    assert(slurp(target) == before, "the old file changed")
    assert.equal(0, temps("atomic.png"))
    -- gnuplot dying in the middle is the same
    local dies = plt.figure()
    dies:subplot(1):gnuplot("exit")
    u.errors(function() dies:save(target) end, "fig:save", "gnuplot exited")
    assert(slurp(target) == before, "the old file changed")
    assert.equal(0, temps("atomic.png"))
    -- a failed save of a new file leaves nothing
    u.errors(function() bad:save(path("new.svg")) end, "fig:save")
    assert.is_nil(slurp(path("new.svg")))
    assert.equal(0, temps("new.svg"))
    -- a good save replaces the file
    good:save(target, { size = { 120, 90 } })
    local s = slurp(target)
    assert.same({ 120, 90 }, { string.unpack(">I4", s, 17), (string.unpack(">I4", s, 21)) })
    assert.equal(0, temps("atomic.png"))
  end)

  it("creates its file with the usual permissions (0666 less the umask)", function()
    local target = path("mode.svg")
    local fig = plt.figure()
    fig:subplot(1):plot({ 1, 2 })
    fig:save(target)
    local mode = u.sh_line("stat -c %a " .. shq(target))
    local expect = u.sh_line("umask")
    local um = tonumber(expect, 8)
    assert.equal(string.format("%o", 438 & ~um), mode)
  end)
end)
