-- tests/check_spec.lua: gd.check, the one helper for argument and option errors
-- of gd's Lua modules: positions at the user's line, values shown as given.
local check = require "gd.check"
local function u_errors(f) local ok, e = pcall(f); assert(not ok, "expected an error"); return tostring(e) end

-- The line of this file that raised err, or nil.
local function line_of(err)
  return tonumber(tostring(err):match("check_spec%.lua:(%d+):"))
end

describe("gd.check", function()
  it("raises at the user's line, through gd's own frames", function()
    local here = debug.getinfo(1, "l").currentline
    local ok, err = pcall(function() gd.optim.trace(function(v) return v:sum() end, gd.tensor { 1 }, gd.optim.SGD(0.1), -1) end)
    assert.is_false(ok)
    assert.equal(here + 1, line_of(err))
    ok, err = pcall(function() gd.plot.figure { layot = 1 } end)
    assert.equal(here + 4, line_of(err))
    ok, err = pcall(function() gd.grad(5) end)
    assert.equal(here + 6, line_of(err))
    assert.truthy(err:find("gd.grad: argument 1: function expected, got number", 1, true))
  end)

  it("shows values as given: integers in full, nan and inf by name, tensors with a hint", function()
    assert.equal("9007199254740992", check.show(2 ^ 53))
    assert.equal("4611686018427387904", check.show(2 ^ 62))
    assert.equal("-3", check.show(-3.0))
    assert.equal("0.1", check.show(0.1))
    assert.equal("nan", check.show(0 / 0))
    assert.equal("-inf", check.show(-math.huge))
    assert.equal('"a\\\nb"', check.show("a\nb"))
    assert.equal("gd.Tensor (use :item() for its number)", check.show(gd.tensor(1)))
    assert.equal("table", check.show({}))
  end)

  it("checks option tables: unknown keys are named with the known ones", function()
    assert.same({}, check.opts("f", nil, { "a" }))
    local t = { a = 1 }
    assert.equal(t, check.opts("f", t, { "a", "b" }))
    assert.equal(t, check.opts("f", t, { a = true }))
    local err = u_errors(function() check.opts("gd.f", { epoch = 50 }, { "epochs", "verbose" }) end)
    assert.truthy(err:find("gd.f: unknown option 'epoch' (known: epochs, verbose)", 1, true))
    err = u_errors(function() check.opts("gd.f", 3, { "a" }, 2) end)
    assert.truthy(err:find("gd.f: argument 2: options table expected, got number", 1, true))
  end)

  it("checks numbers, integers, booleans and choices with their ranges", function()
    assert.equal(0.5, check.number("f", "p", 0.5, 0, 1))
    assert.truthy(u_errors(function() check.number("f", "p", 1, 0, 1, true) end):find("p must be in (0, 1), got 1", 1, true))
    assert.truthy(u_errors(function() check.number("f", "p", 0 / 0) end):find("p must be finite, got nan", 1, true))
    assert.truthy(u_errors(function() check.number("f", "p", "x") end):find('p: number expected, got "x"', 1, true))
    assert.equal(3, math.tointeger(check.integer("f", "n", 3.0, 1)))
    assert.truthy(u_errors(function() check.integer("f", "n", 2.5) end):find("n: integer expected, got 2.5", 1, true))
    assert.truthy(u_errors(function() check.integer("f", "n", -1, 0) end):find("n must be in [0, inf], got -1", 1, true))
    assert.is_true(check.boolean("f", "b", nil, true))
    assert.truthy(u_errors(function() check.boolean("f", "b", 1) end):find("b: boolean expected, got 1", 1, true))
    assert.equal("lm", check.oneof("f", "method", "lm", { "lm", "gauss-newton" }))
    assert.truthy(u_errors(function() check.oneof("f", "method", "x", { "lm", "gn" }) end):find('unknown value "x" (one of: lm, gn)', 1, true))
  end)
end)
