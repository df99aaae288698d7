-- The gdlua command line: options, `arg`, stdin, LUA_INIT, errors and exit
-- status, as lua5.4 does them; run as a separate process for each case.
local u = require "tests.helpers.util"

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local cwd = require("tests.helpers.util").sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua
local EXE = shell_quote(GDLUA)
-- errors start with the interpreter's argv[0], as lua5.4's do (a pattern)
local PREFIX = "^" .. GDLUA:gsub("%p", "%%%0") .. ": "

--- Run a shell command; return its stdout, stderr and exit status.
local function run(cmd, input)
  local err = os.tmpname()
  local infile
  if input then
    infile = os.tmpname()
    local f = assert(io.open(infile, "w"))
    f:write(input)
    f:close()
    cmd = cmd .. " < " .. infile
  end
  local p = assert(io.popen("(" .. cmd .. ") 2> " .. err))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(err))
  local errout = f:read("a")
  f:close()
  os.remove(err)
  if infile then os.remove(infile) end
  return out, errout, code
end

--- Run gdlua with a shell-quoted argument list (a table of strings).
local function gdlua(args, input, env)
  local parts = { env or "", EXE }
  for _, a in ipairs(args or {}) do parts[#parts + 1] = shell_quote(a) end
  return run(table.concat(parts, " "), input)
end

local tmpdir
local function tmpfile(name, text)
  local path = tmpdir .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

setup(function()
  tmpdir = require("tests.helpers.util").sh_line("mktemp -d")
end)

teardown(function()
  os.execute("rm -rf " .. shell_quote(tmpdir))
end)

describe("gdlua -v", function()
  it("prints the gdlua and Lua versions", function()
    local out, err, code = gdlua({ "-v" })
    assert.equal(0, code)
    assert.matches("^gdlua 0%.1 on Lua 5%.4%.%d+  Copyright %(C%) [^\n]*PUC%-Rio\n$", out)
    assert.equal("", err)
  end)

  it("still runs -e after printing the version", function()
    local out = gdlua({ "-v", "-e", "print('after')" })
    assert.matches("^gdlua .*\nafter\n$", out)
  end)
end)

describe("gdlua -e", function()
  it("runs statements in order with gd and help preloaded", function()
    local out, err, code = gdlua({ "-e", "x = gd.ones(3)", "-e", "print(x:sum():item(), type(help))" })
    assert.equal(0, code)
    assert.equal("3.0\tfunction\n", out)
    assert.equal("", err)
  end)

  it("accepts the statement glued to the option", function()
    local out = gdlua({ "-eprint(1 + 1)" })
    assert.equal("2\n", out)
  end)

  it("help(f) prints the doc line of a gd function", function()
    local out = gdlua({ "-e", "help(gd.zeros)" })
    assert.matches("^gd%.zeros%(", out)
  end)

  it("reports an error with a traceback and exits with status 1", function()
    local out, err, code = gdlua({ "-e", "error('boom')" })
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches(PREFIX .. "%(command line%):1: boom\nstack traceback:\n", err)
  end)

  it("reports a syntax error", function()
    local _, err, code = gdlua({ "-e", "x = = 1" })
    assert.equal(1, code)
    assert.matches(PREFIX .. "%(command line%):1: unexpected symbol near '='", err)
  end)

  it("needs argument", function()
    local _, err, code = gdlua({ "-e" })
    assert.equal(1, code)
    assert.matches(PREFIX .. "'%-e' needs argument\n", err)
    assert.matches("usage: " .. GDLUA:gsub("%p", "%%%0") .. " %[options%] %[script %[args%]%]", err)
  end)
end)

describe("gdlua options", function()
  it("rejects an unknown option with the usage", function()
    local out, err, code = gdlua({ "-x" })
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("unrecognized option '%-x'", err)
    assert.matches("usage:", err)
  end)

  it("-l mod requires a module into a global of its name", function()
    tmpfile("mymod.lua", "return { answer = 42 }")
    local out, _, code = gdlua({ "-l", "mymod", "-e", "print(mymod.answer)" }, nil,
      "LUA_PATH=" .. shell_quote(tmpdir .. "/?.lua"))
    assert.equal(0, code)
    assert.equal("42\n", out)
  end)

  it("-l g=mod requires a module into the global g", function()
    tmpfile("mymod.lua", "return { answer = 42 }")
    local out = gdlua({ "-lm=mymod", "-e", "print(m.answer, mymod)" }, nil,
      "LUA_PATH=" .. shell_quote(tmpdir .. "/?.lua"))
    assert.equal("42\tnil\n", out)
  end)

  it("-l of a missing module fails", function()
    local _, err, code = gdlua({ "-l", "no_such_module_here" })
    assert.equal(1, code)
    assert.matches(PREFIX .. "module 'no_such_module_here' not found", err)
  end)

  it("-W turns warnings on", function()
    local _, err = gdlua({ "-e", "warn('hello')" })
    assert.equal("", err)
    _, err = gdlua({ "-W", "-e", "warn('hello')" })
    assert.equal("Lua warning: hello\n", err)
    -- control messages and multi-part warnings behave as in lua5.4
    _, err = gdlua({ "-W", "-e", "warn('@off') warn('x') warn('@on') warn('a', 'b') warn('c')" })
    assert.equal("Lua warning: ab\nLua warning: c\n", err)
    _, err = gdlua({ "-e", "warn('@on') warn('shown')" })
    assert.equal("Lua warning: shown\n", err)
  end)

  it("-- stops handling options", function()
    local script = tmpfile("args.lua", "print(select('#', ...), ...)")
    local out, _, code = gdlua({ "--", script, "-e", "x" })
    assert.equal(0, code)
    assert.equal("2\t-e\tx\n", out)
  end)
end)

describe("gdlua script", function()
  it("gets its arguments in arg and in ...", function()
    local script = tmpfile("args.lua", [[
      print(arg[0], arg[1], arg[2], #arg, arg[-1], arg[-2], arg[-3])
      print(select("#", ...), ...)
    ]])
    local out, _, code = gdlua({ "-e", "y=1", script, "a", "b c" })
    assert.equal(0, code)
    local l1, l2 = out:match("^(.-)\n(.-)\n$")
    assert.equal(table.concat({ script, "a", "b c", "2", "y=1", "-e", GDLUA }, "\t"), l1)
    assert.equal("2\ta\tb c", l2)
  end)

  it("without a script, arg[0] is the interpreter", function()
    local out = gdlua({ "-e", "print(arg[0], arg[-1], arg[1], arg[2])" })
    assert.equal(GDLUA .. "\tnil\t-e\tprint(arg[0], arg[-1], arg[1], arg[2])\n", out)
  end)

  it("reports a runtime error with the script's location and a traceback", function()
    local script = tmpfile("err.lua", "local function g() error('in g') end\ng()\n")
    local out, err, code = gdlua({ script })
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches(PREFIX .. "[^\n]*err%.lua:1: in g\nstack traceback:\n", err)
    assert.matches("err%.lua:2: in main chunk", err)
  end)

  it("reports an error object that is not a string", function()
    local _, err, code = gdlua({ "-e", "error({})" })
    assert.equal(1, code)
    assert.matches(PREFIX .. "%(error object is a table value%)", err)
  end)

  it("reports a missing script", function()
    local _, err, code = gdlua({ tmpdir .. "/missing.lua" })
    assert.equal(1, code)
    assert.matches(PREFIX .. "cannot open .*missing%.lua", err)
  end)

  it("exits with the status given to os.exit", function()
    local _, _, code = gdlua({ "-e", "os.exit(3)" })
    assert.equal(3, code)
    _, _, code = gdlua({ "-e", "os.exit(false)" })
    assert.equal(1, code)
    _, _, code = gdlua({ "-e", "os.exit(true, true)" })
    assert.equal(0, code)
  end)

  it("runs from another directory on the embedded Lua parts", function()
    local out, err, code = run("cd / && " .. EXE ..
      " -e 'print(gd.linspace(0, 1, 5):sum():item(), #require(\"gd.repl\").complete(\"gd.linsp\"))'")
    assert.equal("", err)
    assert.equal(0, code)
    assert.equal("2.5\t1\n", out)
  end)

  it("is interrupted by SIGINT with an error and status 1", function()
    local out, err = run("sh -c '" .. GDLUA .. " -e \"while true do end\" & pid=$!; sleep 0.3; " ..
      "kill -INT $pid; wait $pid; echo status=$?'")
    assert.equal("status=1\n", out)
    assert.matches(PREFIX .. "[^\n]*interrupted!", err)
  end)
end)

describe("gdlua and stdin", function()
  it("- runs stdin as the script, with arguments", function()
    local out, _, code = gdlua({ "-", "x", "y" }, "print(arg[0], ...)\n")
    assert.equal(0, code)
    assert.equal("-\tx\ty\n", out)
  end)

  it("with no script and stdin not a terminal, runs stdin", function()
    local out, _, code = gdlua({}, "print(gd.zeros(2, 3):numel())\n")
    assert.equal(0, code)
    assert.equal("6\n", out)
  end)

  it("an error in stdin's chunk is named stdin", function()
    local _, err, code = gdlua({}, "\nerror('oops')\n")
    assert.equal(1, code)
    assert.matches(PREFIX .. "stdin:2: oops", err)
  end)

  it("-i with stdin not a terminal runs a plain REPL", function()
    local out, err, code = gdlua({ "-i" },
      "1 + 1\nfor i = 1, 2 do\nprint(i * 10)\nend\nnil + 1\nx = gd.ones(2)\nx.shape, 'a'\n")
    assert.equal(0, code)
    -- the version line (-i implies -v), then each prompt with its line echoed
    -- as lua5.4 (readline) shows it, and a newline at the end
    local version = gdlua({ "-v" })
    assert.equal(version .. "> 1 + 1\n2\n> for i = 1, 2 do\n>> print(i * 10)\n>> end\n10\n20\n" ..
      "> nil + 1\n> x = gd.ones(2)\n> x.shape, 'a'\n{2}\ta\n> \n", out)
    assert.equal("stdin:1: attempt to perform arithmetic on a nil value\n", err)
  end)

  it("-i after a script keeps its globals", function()
    local script = tmpfile("defs.lua", "answer = 6 * 7\n")
    local out = gdlua({ "-i", script }, "answer\n")
    assert.equal("> answer\n42\n> \n", out:match("\n(.*)$"))
  end)
end)

describe("LUA_INIT", function()
  it("runs code before the options", function()
    local out = gdlua({ "-e", "print(init_seen)" }, nil, "LUA_INIT='init_seen = gd ~= nil'")
    assert.equal("true\n", out)
  end)

  it("runs a file given as @file", function()
    local f = tmpfile("init.lua", "from_file = 'yes'\n")
    local out = gdlua({ "-e", "print(from_file)" }, nil, "LUA_INIT=@" .. shell_quote(f))
    assert.equal("yes\n", out)
  end)

  it("prefers LUA_INIT_5_4", function()
    local out = gdlua({ "-e", "print(v)" }, nil, "LUA_INIT='v = 1' LUA_INIT_5_4='v = 2'")
    assert.equal("2\n", out)
  end)

  it("is ignored with -E", function()
    local out = gdlua({ "-E", "-e", "print(v)" }, nil, "LUA_INIT='v = 1'")
    assert.equal("nil\n", out)
  end)

  it("an error in it stops gdlua with status 1", function()
    local out, err, code = gdlua({ "-e", "print('not reached')" }, nil, "LUA_INIT='error(\"bad init\")'")
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches(PREFIX .. "LUA_INIT:1: bad init", err)
  end)
end)
