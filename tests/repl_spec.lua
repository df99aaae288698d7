-- The gdlua REPL, driven for real on a terminal: each test starts gdlua in
-- a detached tmux session (a private tmux server whose socket lives in a
-- temporary HOME, a fixed 120×40 size, a temporary history file), types with send-keys and polls
-- capture-pane until the expected text shows, so that nothing can hang.
-- The Lua half (gd.repl: completion, formatting) is also tested directly.
local u = require "tests.helpers.util"

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local cwd = require("tests.helpers.util").sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua
local TIMEOUT = 5                                -- seconds to wait for any screen text

local home                                       -- temporary; holds the tmux socket
local counter = 0

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function tmux(args)
  return sh("tmux -S " .. shell_quote(home .. "/tmux.sock") .. " -f /dev/null " .. args)
end

--- Start a detached tmux session running cmd.
local function new_session(name, cmd)
  local out, ok
  for _ = 1, 5 do      -- a server that is just exiting refuses once: try again
    out, ok = tmux("new-session -d -s " .. name .. " -x 120 -y 40 " .. shell_quote(cmd))
    if ok then return end
    os.execute("sleep 0.2")
  end
  error("tmux new-session failed: " .. out, 2)
end

--- A gdlua session in tmux; :stop() ends it.
local Session = {}
Session.__index = Session

local function start(args)
  counter = counter + 1
  local s = setmetatable({ name = "t" .. counter }, Session)
  local cmd = string.format("env HOME=%s GDLUA_HISTORY=%s/history %s %s; echo GDLUA-EXIT=$?; sleep 60",
    shell_quote(home), shell_quote(home), shell_quote(GDLUA), args or "")
  new_session(s.name, cmd)
  s:wait("help() for help\n>")
  return s
end

function Session:screen()
  return (tmux("capture-pane -p -t " .. self.name))
end

--- Wait until the screen contains text (plain); return the screen.
function Session:wait(text, timeout)
  local deadline = os.time() + (timeout or TIMEOUT)
  local screen
  repeat
    screen = self:screen()
    if screen:find(text, 1, true) then return screen end
    os.execute("sleep 0.05")
  until os.time() > deadline
  error(string.format("timed out waiting for %q; screen:\n%s", text, screen), 2)
end

--- Wait until the screen matches a Lua pattern; return the screen.
function Session:wait_match(pattern, timeout)
  local deadline = os.time() + (timeout or TIMEOUT)
  local screen
  repeat
    screen = self:screen()
    if screen:find(pattern) then return screen end
    os.execute("sleep 0.05")
  until os.time() > deadline
  error(string.format("timed out waiting for pattern %q; screen:\n%s", pattern, screen), 2)
end

--- Type text literally (no key names), then the named keys, if any.
function Session:type(text, ...)
  if text and text ~= "" then tmux("send-keys -t " .. self.name .. " -l -- " .. shell_quote(text)) end
  for _, key in ipairs({ ... }) do tmux("send-keys -t " .. self.name .. " " .. key) end
end

--- Type a line and press Enter.
function Session:line(text)
  self:type(text, "Enter")
end

function Session:stop()
  tmux("kill-session -t " .. self.name)
end

local function count(haystack, needle)
  local n, i = 0, 1
  while true do
    local j = haystack:find(needle, i, true)
    if not j then return n end
    n, i = n + 1, j + #needle
  end
end

describe("the REPL on a terminal", function()
  local s

  setup(function()
    local _, ok = sh("command -v tmux")
    assert(ok, "tmux is needed for the REPL tests (make deps installs it)")
    home = require("tests.helpers.util").sh_line("mktemp -d")
  end)

  teardown(function()
    tmux("kill-server")
    os.execute("rm -rf " .. shell_quote(home))
  end)

  after_each(function()
    if s then s:stop() end
    s = nil
  end)

  it("shows the banner and prints an expression without return", function()
    s = start()
    local screen = s:wait("help() for help")
    -- the -v line (gdlua's version, then Lua's), then what the REPL adds
    assert.matches("^gdlua 0%.1 on Lua 5%.4%.%d+  Copyright %(C%) [^\n]*PUC%-Rio\n" ..
      "A top%-level `local x = %.%.%.` keeps x for the later lines; help%(%) for help\n>", screen)
    s:line("1+1")
    screen = s:wait("\n2\n")
    assert.matches("> 1%+1\n2\n>", screen)
  end)

  it("prints several results separated by tabs", function()
    s = start()
    s:line("1, 'two', nil")
    s:wait_match("\n1%s+two%s+nil\n")   -- capture-pane shows tabs as spaces
  end)

  it("pretty-prints a tensor", function()
    s = start()
    s:line("x = gd.ones(2, 3)")
    s:line("x")
    local screen = s:wait("tensor")
    assert.matches("> x\ntensor", screen)
  end)

  it("continues a multi-line statement with >>", function()
    s = start()
    s:line("for i = 1, 2 do")
    s:wait(">>")
    s:line("print('line ' .. i)")
    s:line("end")
    local screen = s:wait("line 2")
    assert.matches("> for i = 1, 2 do\n>> print%('line ' %.%. i%)\n>> end\nline 1\nline 2\n>", screen)
  end)

  it("prints an error and goes on", function()
    s = start()
    s:line("nil + 1")
    s:wait("attempt to perform arithmetic on a nil value")
    s:line("2+3")
    s:wait("\n5\n")
  end)

  it("completes gd.linsp<Tab> to gd.linspace", function()
    s = start()
    s:type("gd.linsp", "Tab")
    s:wait("> gd.linspace")
    s:type("(0, 1, 3):sum():item()", "Enter")
    s:wait("\n1.5\n")
  end)

  it("completes a tensor's methods after a colon", function()
    s = start()
    s:line("x = gd.arange(6)")
    s:type("y = x:resh", "Tab")
    s:wait("> y = x:reshape")
    s:type("(2, 3)", "Enter")
    s:line("y.shape")
    s:wait("{2, 3}")
  end)

  it("lists the candidates on a second Tab", function()
    s = start()
    s:type("gd.zeros", "Tab", "Tab")
    local screen = s:wait("zeros_like")
    assert.truthy(screen:find("zeros ", 1, true))
  end)

  it("help(gd.zeros) prints its doc line", function()
    s = start()
    s:line("help(gd.zeros)")
    s:wait("gd.zeros(...): ")
  end)

  it("Ctrl-C interrupts a running loop and the REPL goes on", function()
    s = start()
    s:line("while true do end")
    os.execute("sleep 0.3")
    s:type(nil, "C-c")
    s:wait("interrupted!")
    s:line("1+1")
    local screen = s:wait("\n2\n")
    assert.falsy(screen:find("GDLUA-EXIT", 1, true))
  end)

  it("Ctrl-C at the prompt abandons the line", function()
    s = start()
    s:type("this is not Lua")
    s:wait("this is not Lua")
    s:type(nil, "C-c")
    s:line("40+2")
    local screen = s:wait("\n42\n")
    assert.falsy(screen:find("syntax error", 1, true))
  end)

  it("Ctrl-C abandons a pending multi-line statement", function()
    s = start()
    s:line("for i = 1, 3 do")
    s:wait(">>")
    s:type(nil, "C-c")
    s:line("7*6")
    s:wait("\n42\n")
  end)

  it("Ctrl-D exits and the history is written, then read back", function()
    os.remove(home .. "/history")
    s = start()
    s:line("marker_one = 1")
    s:line("marker_two = 2")
    s:wait("marker_two")
    s:type(nil, "C-d")
    s:wait("GDLUA-EXIT=0")
    s:stop()
    local f = assert(io.open(home .. "/history"), "no history file")
    local text = f:read("a")
    f:close()
    assert.truthy(text:find("marker_one = 1\n", 1, true))
    assert.truthy(text:find("marker_two = 2\n", 1, true))
    s = start()
    s:type(nil, "Up")
    s:wait("> marker_two = 2")
  end)

  it("saves the history on os.exit too", function()
    os.remove(home .. "/history")
    s = start()
    s:line("the_line = 1")
    s:line("os.exit(4)")
    s:wait("GDLUA-EXIT=4")
    local f = assert(io.open(home .. "/history"), "no history file")
    assert.truthy(f:read("a"):find("the_line = 1", 1, true))
    f:close()
  end)

  it("uses $HOME/.gdlua_history without GDLUA_HISTORY", function()
    local hist = home .. "/.gdlua_history"
    os.remove(hist)
    counter = counter + 1
    s = setmetatable({ name = "t" .. counter }, Session)
    local cmd = string.format("env -u GDLUA_HISTORY HOME=%s %s; echo GDLUA-EXIT=$?; sleep 60",
      shell_quote(home), shell_quote(GDLUA))
    new_session(s.name, cmd)
    s:wait("help() for help\n>")
    s:line("home_line = 1")
    s:type(nil, "C-d")
    s:wait("GDLUA-EXIT=0")
    local f = assert(io.open(hist), "no ~/.gdlua_history")
    assert.truthy(f:read("a"):find("home_line = 1", 1, true))
    f:close()
  end)

  it("keeps a top-level local for the later lines, as pasted from the README", function()
    s = start()
    s:line("local x = gd.linspace(0, 1, 5)")
    s:line("local m <const>, n = x:mean():item(), #x")
    s:line("local function twice(v) return 2 * v end")
    s:line("twice(m), n, x[5]")
    s:wait_match("\n1%.0%s+5%s+1%.0\n")
    s:line("m = 3")
    s:wait("attempt to assign to const variable 'm'")
  end)

  it("-i enters the REPL after a script, with its globals", function()
    local script = home .. "/defs.lua"
    local f = assert(io.open(script, "w"))
    f:write("answer = 6 * 7\nprint('script ran')\n")
    f:close()
    s = start("-i " .. shell_quote(script))
    s:wait("script ran")
    s:line("answer")
    s:wait("\n42\n")
    assert.equal(1, count(s:screen(), "script ran"))
  end)
end)

describe("gd.repl.complete", function()
  local repl = require "gd.repl"

  it("completes globals and keywords", function()
    assert.same({ "print" }, repl.complete("prin"))
    assert.same({ "function" }, repl.complete("functio"))
    assert.same({ "gd" }, repl.complete("gd"))
  end)

  it("completes fields of nested tables", function()
    assert.same({ "gd.linspace" }, repl.complete("gd.linsp"))
    assert.same({ "string.format" }, repl.complete("string.form"))
    local list = repl.complete("gd.")
    assert.truthy(#list > 20)
    for _, name in ipairs(list) do
      assert.equal("gd.", name:sub(1, 3))
      assert.not_equal("_", name:sub(4, 4))       -- private names stay hidden
    end
    local private = repl.complete("gd._")          -- asked for explicitly, they appear
    local seen = {}
    for _, name in ipairs(private) do
      assert.equal("gd._", name:sub(1, 4))
      seen[name] = true
    end
    for _, name in ipairs({ "gd._docs", "gd._metatable", "gd._methods", "gd._ops" }) do
      assert.is_true(seen[name], name)
    end
  end)

  it("completes a tensor's methods and fields", function()
    _G.__repl_x = gd.zeros(2)
    assert.same({ "__repl_x:reshape" }, repl.complete("__repl_x:resh"))
    assert.same({ "__repl_x.shape" }, repl.complete("__repl_x.sha"))
    local fields = {}
    for _, n in ipairs(repl.complete("__repl_x.")) do fields[n] = true end
    assert.truthy(fields["__repl_x.T"] and fields["__repl_x.ndim"] and fields["__repl_x.transpose"])
    for _, n in ipairs(repl.complete("__repl_x:")) do
      assert.not_equal("__repl_x:shape", n)        -- fields are not methods
    end
    _G.__repl_x = nil
  end)

  it("completes through a metatable's __index table", function()
    _G.__repl_obj = setmetatable({ own = 1 }, { __index = { inherited = function() end } })
    _G.__repl_s = "text"
    assert.same({ "__repl_obj.inherited", "__repl_obj.own" }, repl.complete("__repl_obj."))
    assert.same({ "__repl_obj:inherited" }, repl.complete("__repl_obj:"))
    assert.same({ "__repl_s:upper" }, repl.complete("__repl_s:upp"))
    _G.__repl_obj, _G.__repl_s = nil, nil
  end)

  it("gives nothing for what it cannot resolve, without raising", function()
    assert.same({}, repl.complete("no_such_global.x"))
    assert.same({}, repl.complete("1.5"))
    assert.same({}, repl.complete("gd..x"))
    _G.__repl_bad = setmetatable({}, { __index = function() error("no") end })
    assert.same({}, repl.complete("__repl_bad.a.b"))
    _G.__repl_bad = nil
  end)
end)

describe("gd.repl.format", function()
  local repl = require "gd.repl"

  it("uses tostring, tabs between results", function()
    assert.equal("1\ttwo\tnil\ttrue", repl.format(1, "two", nil, true))
    assert.equal("", repl.format())
    assert.matches("^tensor", repl.format(gd.ones(2)))
  end)

  it("shows plain tables as constructors", function()
    assert.equal("{2, 3}", repl.format({ 2, 3 }))
    assert.equal('{1, {a = "x\\ny"}, b = true, [10] = 0}', repl.format({ 1, { a = "x\ny" }, b = true, [10] = 0 }))
    local t = {}
    t.self = t
    assert.equal("{self = {...}}", repl.format(t))
    local big = {}
    for i = 1, 500 do big[i] = i end
    assert.matches("^{1, 2, 3, .*, 100, %.%.%.}$", repl.format(big))
  end)
end)

describe("gd.repl.error_text", function()
  local repl = require "gd.repl"

  it("drops a traceback that names only the typed chunk", function()
    assert.equal("stdin:1: boom", repl.error_text(
      "stdin:1: boom\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: in ?"))
  end)

  it("keeps a traceback through Lua functions, without the last [C] line", function()
    local msg = "stdin:1: deep\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in function 'f'\n\tstdin:1: in main chunk\n\t[C]: in ?"
    assert.equal((msg:gsub("\n\t%[C%]: in %?$", "")), repl.error_text(msg))
  end)
end)

describe("REPL session locals (a top-level local outlives its line)", function()
  local repl = require "gd.repl"
  local cwd_ = require("tests.helpers.util").sh_line("pwd")
  local exe = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd_ .. "/" .. u.gdlua

  --- The REPL's output for the input lines, prompts emptied, version line dropped.
  local function session(input, ...)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(input)
    f:close()
    local args = table.concat({ ... }, " ")
    local p = assert(io.popen(shell_quote(exe) .. " -e \"_PROMPT = '' _PROMPT2 = ''\" " .. args ..
      " -i < " .. path .. " 2>&1"))
    local out = p:read("a")
    p:close()
    os.remove(path)
    return (out:gsub("^[^\n]*\n", "", 1))
  end

  --- Assert the output contains text (plain).
  local function shows(out, text)
    assert(out:find(text, 1, true), string.format("%q not in the output:\n%s", text, out))
  end

  it("rewrites only top-level local statements, outside strings and comments", function()
    assert.equal(";__gd_local.x = 1", repl.rewrite("local x = 1"))
    assert.equal(";__gd_local.a, __gd_const.b = f()", repl.rewrite("local a, b <const> = f()"))
    assert.equal(";__gd_local.a, __gd_local.b = nil", repl.rewrite("local a, b"))
    assert.equal(";__gd_local.f = nil function f(n) local y = n return y end",
      repl.rewrite("local function f(n) local y = n return y end"))
    for _, src in ipairs({ "do local z = 1 end", "for i = 1, 2 do local k = i end",
                           "if c then local y = 1 else local w = 2 end", "repeat local r = 1 until r",
                           "s = 'local q' -- local c\nt = [[local]] --[==[ local ]==]",
                           "local h <close> = nil", "local _ENV = {}", "f(function() local q = 1 end)" }) do
      assert.equal(src, repl.rewrite(src))
    end
    assert.equal("do local z = 1 end ;__gd_local.w = nil", repl.rewrite("do local z = 1 end local w"))
    assert.equal("s = 'local'\n;__gd_local.u = 3", repl.rewrite("s = 'local'\nlocal u = 3"))
    assert.equal("x = 'open", repl.rewrite("x = 'open"))       -- an open string: as typed
  end)

  it("keeps values, several at once, and the adjusted count of a call's results", function()
    local out = session("local x = gd.linspace(0, 1, 5)\nx:sum():item()\n" ..
      "local function two() return 1, 2, 3 end\nlocal a, b, c, d = two()\na, b, c, d\n" ..
      "local p, q = two(), 10\np, q\n")
    assert.equal("local x = gd.linspace(0, 1, 5)\nx:sum():item()\n2.5\n" ..
      "local function two() return 1, 2, 3 end\nlocal a, b, c, d = two()\na, b, c, d\n1\t2\t3\tnil\n" ..
      "local p, q = two(), 10\np, q\n1\t10\n\n", out)
  end)

  it("are not globals, and hide a global of the same name even when nil", function()
    local out = session("local y = 5\n_G.y, y\nlocal print = 7\nprint, type(_G.print)\n" ..
      "z = 1\nlocal z\nz, _G.z\n")
    shows(out, "_G.y, y\nnil\t5\n")
    shows(out, "print, type(_G.print)\n7\tfunction\n")
    shows(out, "z, _G.z\nnil\t1\n")
  end)

  it("see the value from before when the new one is computed (local x = x + 1)", function()
    local out = session("x = 1\nlocal x = x + 1\nx, _G.x\nlocal x = x * 10\nx\n")
    shows(out, "x, _G.x\n2\t1\n")
    shows(out, "local x = x * 10\nx\n20\n")
  end)

  it("are seen by functions defined on other lines, which can change them", function()
    local out = session("local n = 0\nfunction bump() n = n + 1 return n end\nbump() + bump()\nn\n" ..
      "local function fact(k) if k <= 1 then return 1 end return k * fact(k - 1) end\nfact(10)\n")
    shows(out, "bump() + bump()\n3\nn\n2\n")
    shows(out, "fact(10)\n3628800\n")
  end)

  it("keep <const>: assigning one later is an error, declaring it again is not", function()
    local out = session("local k <const> = 3\nk = 4\nk\nlocal k = 5\nk = 6\nk\n")
    shows(out, "k = 4\nstdin:1: attempt to assign to const variable 'k'\nk\n3\n")
    shows(out, "k = 6\nk\n6\n")
  end)

  it("<close> stays a local of its line: closed when the line has run", function()
    local out = session("local h <close> = setmetatable({}, {__close = function() print('closed') end})\n" ..
      "h\n")
    assert.equal("local h <close> = setmetatable({}, {__close = function() print('closed') end})\n" ..
      "closed\nh\nnil\n\n", out)
  end)

  it("are completed by Tab", function()
    local out = session("local my_session_value = 1\n" ..
      "table.concat(require('gd.repl').complete('my_sess'), ',')\n")
    shows(out, "\nmy_session_value\n")
  end)

  it("do not change scripts, -e or a script run before the REPL: there local is lua5.4's", function()
    local p = assert(io.popen(shell_quote(exe) .. " -e 'local v = 1' -e 'print(v)'"))
    assert.equal("nil\n", p:read("a"))
    p:close()
    local out = session("v\n", "-e 'local v = 1'")
    assert.equal("v\nnil\n\n", out)
  end)
end)
