-- lua_parity_spec.lua: gdlua's command line and REPL behave as lua5.4's
-- stand-alone interpreter where lua5.4 defines the behaviour. Each case runs
-- the same command line under gdlua and under /usr/bin/lua5.4 and compares
-- what they print, with each interpreter's own argv[0] written as PROG.
-- Where gdlua differs by design (-h/--help, the version line, the REPL's
-- session locals) the gdlua side is checked on its own.
local u = require "tests.helpers.util"

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local cwd = u.sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua
local LUA = "/usr/bin/lua5.4"

local tmpdir

--- Run exe with the (unquoted) argument list; return stdout, stderr, exit
--- status, each interpreter path in the output replaced by PROG.
local function run(exe, args, input)
  local err = tmpdir .. "/stderr"
  local cmd = shell_quote(exe)
  for _, a in ipairs(args or {}) do cmd = cmd .. " " .. shell_quote(a) end
  if input then
    local f = assert(io.open(tmpdir .. "/stdin", "w"))
    f:write(input)
    f:close()
    cmd = cmd .. " < " .. shell_quote(tmpdir .. "/stdin")
  else
    cmd = cmd .. " < /dev/null"
  end
  local p = assert(io.popen("(cd " .. shell_quote(tmpdir) .. " && " .. cmd .. ") 2> " .. shell_quote(err)))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(err))
  local errout = f:read("a")
  f:close()
  local function unprog(s)
    local i, j = s:find(exe, 1, true)
    while i do
      s = s:sub(1, i - 1) .. "PROG" .. s:sub(j + 1)
      i, j = s:find(exe, i + 4, true)
    end
    return s
  end
  return unprog(out), unprog(errout), code
end

--- Run both interpreters and assert they print the same; return gdlua's output.
local function same(args, input)
  local o1, e1, c1 = run(GDLUA, args, input)
  local o2, e2, c2 = run(LUA, args, input)
  assert.equal(o2, o1)
  assert.equal(e2, e1)
  assert.equal(c2, c1)
  return o1, e1, c1
end

--- What follows the version line (-i implies -v in both).
local function after_version(s)
  return (s:gsub("^[^\n]*\n", "", 1))
end

setup(function()
  assert(io.open(LUA), "lua5.4 is needed at " .. LUA)
  tmpdir = u.sh_line("mktemp -d")
end)

teardown(function()
  os.execute("rm -rf " .. shell_quote(tmpdir))
end)

describe("like lua5.4, the script's arguments", function()
  it("come from the arg table, so what -e writes there is seen by the script", function()
    local out = same({ "-e", "arg[1] = 100", "-", "x", "y" }, "print(...)\n")
    assert.equal("100\ty\n", out)
    out = same({ "-e", "arg[3] = 'z'", "-", "x", "y" }, "print(select('#', ...), ...)\n")
    assert.equal("3\tx\ty\tz\n", out)
  end)

  it("need arg to be a table: anything else is an error and status 1", function()
    local out, err, code = same({ "-e", "arg = 1", "-" }, "print('not run')\n")
    assert.equal("", out)
    assert.equal("PROG: 'arg' is not a table\n", err:match("^[^\n]*\n"))
    assert.equal(1, code)
  end)
end)

describe("like lua5.4, errors", function()
  it("start with the interpreter's argv[0], here a link of another name", function()
    local link = tmpdir .. "/othername"
    os.execute("ln -sf " .. shell_quote(GDLUA) .. " " .. shell_quote(link))
    local _, err, code = run(link, { "-e", "error('boom')" })
    assert.equal(1, code)
    assert.equal("PROG: (command line):1: boom\n", err:match("^[^\n]*\n"))
    same({ "-e", "error('boom', 0)" })
  end)

  it("of an object with __tostring print its text", function()
    same({ "-e", "error(setmetatable({}, {__tostring = function() return 'custom' end}))" })
    same({ "-e", "error({})" })
  end)

  it("say \"'-e' needs argument\" and \"'-l' needs argument\", then the usage", function()
    for _, opt in ipairs({ "-e", "-l" }) do
      local _, e1, c1 = run(GDLUA, { opt })
      local _, e2, c2 = run(LUA, { opt })
      assert.equal(e2:match("^[^\n]*\n"), e1:match("^[^\n]*\n"))
      assert.equal("PROG: '" .. opt .. "' needs argument\n", e1:match("^[^\n]*\n"))
      assert.matches("\nusage: PROG %[options%] %[script %[args%]%]\n", "\n" .. e1:match("\n(.*)$"))
      assert.equal(c2, c1)
      assert.equal(1, c1)
    end
  end)

  it("name an unrecognized option", function()
    for _, opt in ipairs({ "---", "-Ex", "-vv", "-iv", "-x" }) do
      local _, e1, c1 = run(GDLUA, { opt })
      local _, e2 = run(LUA, { opt })
      assert.equal("PROG: unrecognized option '" .. opt .. "'\n", e1:match("^[^\n]*\n"))
      assert.equal(e2:match("^[^\n]*\n"), e1:match("^[^\n]*\n"))
      assert.equal(1, c1)
    end
  end)
end)

describe("-v", function()
  it("prints gdlua's version, then lua5.4's own -v line", function()
    local out, err, code = run(GDLUA, { "-v" })
    local lua_v = run(LUA, { "-v" })
    assert.equal("gdlua 0.1 on " .. lua_v, out)
    assert.matches("PUC%-Rio\n$", out)
    assert.equal("", err)
    assert.equal(0, code)
  end)

  it("is implied by -i, as in lua5.4", function()
    local out = run(GDLUA, { "-i" }, "")
    assert.equal(run(GDLUA, { "-v" }) .. "> \n", out)
  end)
end)

describe("-h and --help (gdlua's own: lua5.4 rejects them)", function()
  it("print the usage on stdout, no error line, status 0", function()
    for _, opt in ipairs({ "-h", "--help" }) do
      local out, err, code = run(GDLUA, { opt, "-e", "print('not run')" })
      assert.equal(0, code)
      assert.equal("", err)
      assert.matches("^usage: PROG %[options%] %[script %[args%]%]\n", out)
      assert.is_nil(out:find("unrecognized", 1, true))
      assert.is_nil(out:find("not run", 1, true))
      assert.truthy(out:find("top-level `local x = ...` keeps x", 1, true))
    end
  end)

  it("after a script are the script's arguments", function()
    local out = same({ "-", "-h" }, "print(arg[1])\n")
    assert.equal("-h\n", out)
  end)
end)

describe("like lua5.4, the REPL off a terminal", function()
  local quiet = "_PROMPT = '' _PROMPT2 = ''"

  it("echoes each line after its prompt and ends with a newline", function()
    local input = "x = 6 * 7\nprint(x)\nfor i = 1, 2 do\nprint(i)\nend\nx + 1\n"
    local o1 = run(GDLUA, { "-i" }, input)
    local o2 = run(LUA, { "-i" }, input)
    assert.equal(after_version(o2), after_version(o1))
    assert.equal("> x = 6 * 7\n> print(x)\n42\n> for i = 1, 2 do\n>> print(i)\n>> end\n1\n2\n> x + 1\n43\n> \n",
      after_version(o1))
  end)

  it("reads =expr on a first line as return expr", function()
    local o1 = run(GDLUA, { "-e", quiet, "-i" }, "a = 'b\\nc'\n=a\n= 1 + 2, 'x'\n")
    local o2 = run(LUA, { "-e", quiet, "-i" }, "a = 'b\\nc'\n=a\n= 1 + 2, 'x'\n")
    assert.equal(after_version(o2), after_version(o1))
    assert.truthy(o1:find("=a\nb\nc\n", 1, true))
    assert.truthy(o1:find("= 1 + 2, 'x'\n3\tx\n", 1, true))
  end)

  it("shows _PROMPT through tostring, so __tostring is called for each prompt", function()
    local prompt = "local n = 0 _PROMPT = setmetatable({}, {__tostring = function() n = n + 1 return '<' .. n .. '>' end})"
    local o1 = run(GDLUA, { "-e", prompt, "-i" }, "a = 1\nb = 2\n")
    local o2 = run(LUA, { "-e", prompt, "-i" }, "a = 1\nb = 2\n")
    assert.equal(after_version(o2), after_version(o1))
    assert.equal("<1>a = 1\n<2>b = 2\n<3>\n", after_version(o1))
    -- a number is shown as its text; a __tostring that fails gives the default
    o1 = run(GDLUA, { "-e", "_PROMPT = 7", "-i" }, "a = 1\n")
    assert.equal("7a = 1\n7\n", after_version(o1))
    o1 = run(GDLUA, { "-e", "_PROMPT = setmetatable({}, {__tostring = function() error('no') end})", "-i" }, "a = 1\n")
    assert.equal("> a = 1\n> \n", after_version(o1))
  end)

  it("prints results with the global print, and says when calling it fails", function()
    local _, e1 = run(GDLUA, { "-e", "print = nil", "-i" }, "10\n")
    local _, e2 = run(LUA, { "-e", "print = nil", "-i" }, "10\n")
    assert.equal(e2, e1)
    assert.equal("error calling 'print' (attempt to call a nil value)\n", e1)
    local o = run(GDLUA, { "-e", "print = function(...) io.write('[', select('#', ...), ' ', ..., ']\\n') end", "-i" },
      "1 + 1\n")
    assert.equal("> 1 + 1\n[1 2]\n> \n", after_version(o))
  end)

  it("prints a runtime error without the program name and goes on", function()
    local input = "nil + 1\nprint('after')\n"
    local o1, e1 = run(GDLUA, { "-i" }, input)
    local o2, e2 = run(LUA, { "-i" }, input)
    assert.equal(after_version(o2), after_version(o1))
    assert.equal("stdin:1: attempt to perform arithmetic on a nil value\n", e1)
    assert.equal(e2:match("^[^\n]*\n"), e1)
  end)
end)
