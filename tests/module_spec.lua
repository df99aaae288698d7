-- module_spec.lua: `require "gd"` from plain lua5.4, from the build tree and
-- after `make install`.
local u = require "tests.helpers.util"

local build = u.gdlua:match("^(.*)/[^/]*$") or "."
local sanitized = u.gdlua:find("/san/", 1, true) ~= nil

-- Environment prefix for running lua5.4 on our module (ASan needs preloading).
local function env()
  if not sanitized then return "" end
  local asan = require("tests.helpers.util").sh_line("gcc -print-file-name=libasan.so")
  local ubsan = require("tests.helpers.util").sh_line("gcc -print-file-name=libubsan.so")
  return string.format("ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD='%s %s' ", asan, ubsan)
end

local function run(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local script = [[local gd = require "gd"
local X = gd.tensor{{1, 2}, {3, 4}}
print(string.format("%.1f %.1f %s", (X:matmul(X)):sum():item(), (X + 1):sum():item(), type(gd.help)))]]

describe("require 'gd' from lua5.4", function()
  it("loads the module from the build tree", function()
    local f = assert(io.open("/tmp/gd_module_spec.lua", "w"))
    f:write(script)
    f:close()
    local out, ok = run(string.format(
      "%sLUA_CPATH='%s/?.so' LUA_PATH='lua/?.lua;lua/?/init.lua' lua5.4 /tmp/gd_module_spec.lua",
      env(), build))
    assert.is_true(ok, out)
    assert.equal("54.0 14.0 function\n", out)
  end)

  it("loads the module after make install", function()
    local prefix = os.tmpname()
    os.remove(prefix)
    local out, ok = run(string.format("make -s install PREFIX=%s %s", prefix,
      sanitized and "SANITIZE=1" or (build ~= "." and ("BUILD=" .. build:gsub("/$", ""):gsub("^%./", "")) or "")))
    assert.is_true(ok, out)
    out, ok = run(string.format(
      "cd /tmp && %sLUA_CPATH='%s/lib/lua/5.4/?.so' LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' lua5.4 /tmp/gd_module_spec.lua",
      env(), prefix, prefix, prefix))
    assert.is_true(ok, out)
    assert.equal("54.0 14.0 function\n", out)
    out, ok = run(string.format("cd /tmp && %s%s/bin/gdlua /tmp/gd_module_spec.lua", env(), prefix))
    assert.is_true(ok, out)
    assert.equal("54.0 14.0 function\n", out)
    os.execute("rm -rf " .. prefix)
  end)

  it("builds and installs with luarocks make", function()
    local tree = os.tmpname()
    os.remove(tree)
    local out, ok = run(string.format(
      "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u SANITIZE -u BUILD luarocks --lua-version 5.4 --tree %s make gdlua-0.1-1.rockspec", tree))
    assert.is_true(ok, out)
    out, ok = run(string.format(
      "cd /tmp && LUA_CPATH='%s/lib/lua/5.4/?.so' LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' lua5.4 /tmp/gd_module_spec.lua",
      tree, tree, tree))
    assert.is_true(ok, out)
    assert.equal("54.0 14.0 function\n", out)
    os.execute("rm -rf " .. tree)
  end)
end)
