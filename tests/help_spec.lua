-- help_spec.lua: help() and the one-line docs: every function of gd and of
-- its modules has a doc, help(gd) lists them all and names every module
-- without loading it, help(gd.nn) lists one module, and the docs say the
-- defaults the functions really use.
local u = require "tests.helpers.util"
local gd = require "gd"

local MODULES = { "data", "dist", "json", "losses", "metrics", "nn", "optim", "plot" }

--- The lines help(...) prints.
local function help_lines(...)
  local _, lines = u.capture_print(gd.help, ...)
  return lines
end

local function has_line(lines, line)
  for _, l in ipairs(lines) do if l == line then return true end end
  return false
end

--- Every public function reachable from t (tables nested to depth 3), as {path, f}.
local function functions_of(t, path, out, seen)
  out, seen = out or {}, seen or {}
  if seen[t] then return out end
  seen[t] = true
  for k, v in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      if type(v) == "function" then
        out[#out + 1] = { path .. "." .. k, v }
      elseif type(v) == "table" and getmetatable(v) == nil and #path < 40 then
        functions_of(v, path .. "." .. k, out, seen)
      end
    end
  end
  return out
end

describe("the docs", function()
  it("cover every function of gd, of each module and every tensor method", function()
    local all = functions_of(gd, "gd")
    for _, m in ipairs(MODULES) do functions_of(gd[m], "gd." .. m, all) end
    for k, f in pairs(gd._methods) do
      if type(f) == "function" then all[#all + 1] = { "x:" .. k, f } end
    end
    -- the methods of Variables, tapes and optimizers
    local v, tape = gd.Variable(1), gd.GradientTape()
    for _, k in ipairs { "assign", "assign_add", "assign_sub" } do all[#all + 1] = { "v:" .. k, v[k] } end
    for k, f in pairs(getmetatable(tape).__index) do all[#all + 1] = { "tape:" .. k, f } end
    tape:stop()
    for k, f in pairs(gd._optim._methods) do
      if type(f) == "function" then all[#all + 1] = { "opt:" .. k, f } end
    end
    assert.is_true(#all > 150, "too few functions found: " .. #all)
    local missing = {}
    for _, e in ipairs(all) do
      if type(gd._docs[e[2]]) ~= "string" or #gd._docs[e[2]] < 10 then missing[#missing + 1] = e[1] end
    end
    table.sort(missing)
    assert.equal("", table.concat(missing, ", "))
  end)

  it("of gd.linspace gives the default count, and it is the count used", function()
    local lines = help_lines(gd.linspace)
    assert.equal(1, #lines)
    assert.matches("^gd%.linspace%(a, b%[, n = 50%]%)", lines[1])
    local x = gd.linspace(0, 1)
    assert.equal(50, x:numel())
    u.close(1 / 49, x[2], 1e-15)
  end)
end)

describe("help", function()
  it("help(gd) prints the doc of every gd function and names every module", function()
    local lines = help_lines(gd)
    local n = 0
    for k, v in pairs(gd) do
      if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) == "function" then
        n = n + 1
        assert.is_true(has_line(lines, gd._docs[v]), "help(gd) lacks gd." .. k)
      end
    end
    assert.is_true(n > 100)
    local mods = lines[#lines]
    for _, m in ipairs(MODULES) do
      assert.truthy(mods:find("gd." .. m, 1, true), "help(gd) does not name gd." .. m .. ": " .. mods)
    end
    assert.is_nil(lines[1]:find("no help", 1, true))
  end)

  it("help(gd) lists the modules without loading them", function()
    local out = u.sh_line(u.gdlua .. [[ -e 'help(gd) io.write(tostring(package.loaded["gd.nn"]), " ",
      tostring(package.loaded["gd.plot"]), "\n")' | tail -2 | tr '\n' '|']])
    assert.matches("^modules: gd%.data, gd%.dist, gd%.json, gd%.losses, gd%.metrics, gd%.nn, gd%.optim, gd%.plot;[^|]*|nil nil|$", out)
  end)

  it("help(gd.nn) lists that module's functions and its tables", function()
    local lines = help_lines(gd.nn)
    for _, k in ipairs({ "Dense", "Activation", "Sequential" }) do
      assert.is_true(has_line(lines, gd._docs[gd.nn[k]]), "help(gd.nn) lacks " .. k)
    end
    assert.matches("^modules: gd%.nn%.callbacks, gd%.nn%.initializers, gd%.nn%.regularizers;", lines[#lines])
    lines = help_lines(gd.nn.initializers)
    assert.is_true(has_line(lines, gd._docs[gd.nn.initializers.glorot_uniform]))
  end)

  it("help() says how to list everything, and what a REPL local does", function()
    local text = table.concat(help_lines(), "\n")
    assert.truthy(text:find("help(gd) lists every function and module", 1, true))
    assert.truthy(text:find("top-level `local x = ...` keeps x", 1, true))
  end)

  it("says so for a value it knows nothing of", function()
    assert.same({ "no help for 42" }, help_lines(42))
    local f = function() end
    assert.same({ "no help for " .. tostring(f) }, help_lines(f))
  end)
end)
