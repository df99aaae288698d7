-- overflow_spec.lua: every shape-making path rejects sizes whose element
-- count overflows (or passes 2^43 elements), instead of wrapping to a small
-- or zero count; and index/size errors show the value given.
local u = require "tests.helpers.util"
local errors = u.errors

local BIG = "too large"

describe("shape overflow", function()
  it("expand rejects 2^32 x 2^32 and 2^62 x 4", function()
    errors(function() return gd.ones(1, 1):expand(2 ^ 32, 2 ^ 32) end,
      "gd.expand", "{4294967296,4294967296}", BIG)
    errors(function() return gd.ones(1):expand(2 ^ 62, 4) end, "gd.expand", BIG)
    errors(function() return gd.ones(4, 1):expand(-1, 2 ^ 62) end, "gd.expand", BIG)
    errors(function() return gd.ones(1):expand({2 ^ 16, 2 ^ 16, 2 ^ 16}) end, "gd.expand", BIG)
    -- a large but representable view is still fine: 2^20 x 4 of one value
    local v = gd.ones(1, 1):expand(2 ^ 20, 4) * 1
    assert.equal(2 ^ 22, v:numel())
    assert.equal(2 ^ 22, gd.ones(1, 1):expand(2 ^ 20, 4):sum():item())
  end)

  it("reshape rejects sizes whose product wraps around", function()
    -- 2^32 * 2^32 wraps to 0, which equals numel of an empty tensor
    errors(function() return gd.zeros(0):reshape(2 ^ 32, 2 ^ 32) end, "gd.reshape", BIG)
    errors(function() return gd.zeros(0):reshape(2 ^ 32, 2 ^ 32, 0) end, "gd.reshape", BIG)
    errors(function() return gd.zeros(0):reshape(-1, 2 ^ 62, 4) end, "gd.reshape", BIG)
    errors(function() return gd.zeros(0):reshape({2 ^ 62, 4}) end, "gd.reshape", BIG)
    assert.same({2, 0, 3}, gd.zeros(0):reshape(2, -1, 3).shape)
    assert.same({3, 2}, gd.arange(6):reshape(-1, 2).shape)
  end)

  it("broadcasting rejects a result too large to count", function()
    local a = gd.ones(1, 1):expand(2 ^ 21, 1)
    local b = gd.ones(1, 1):expand(1, 2 ^ 23)
    errors(function() return a + b end, "gd.add", "{2097152,8388608}", BIG)
    errors(function() return gd.where(a, a, b) end, "gd.where", BIG)
    errors(function() return gd.maximum(a, b) end, "gd.maximum", BIG)
  end)

  it("creation rejects 2^32 x 2^32, 2^62 x 4, and nonzero sizes beside a 0", function()
    errors(function() return gd.zeros(2 ^ 32, 2 ^ 32) end, "gd.zeros", BIG)
    errors(function() return gd.ones(2 ^ 62, 4) end, "gd.ones", BIG)
    errors(function() return gd.full({2 ^ 32, 2 ^ 32}, 1) end, "gd.full", BIG)
    errors(function() return gd.eye(2 ^ 32) end, "gd.eye", BIG)
    errors(function() return gd.zeros(2 ^ 40, 2 ^ 40, 0) end, "gd.zeros", BIG)
    errors(function() return gd.randn(2 ^ 32, 2 ^ 32) end, "gd.randn", BIG)
    local e = gd.zeros(2 ^ 32, 0)
    assert.equal(0, e:numel())
    assert.same({4294967296, 0}, e.shape)
  end)
end)

describe("error values", function()
  it("narrow, select, indexing and ranges show the integer given", function()
    local x = gd.ones(5)
    errors(function() return x:narrow(1, 2, 2 ^ 62) end, "gd.narrow", "length 4611686018427387904")
    errors(function() return x:narrow(1, 2, math.maxinteger) end, "gd.narrow", "9223372036854775807")
    errors(function() return x:narrow(1, math.mininteger, 2) end, "gd.narrow", "start -9223372036854775808")
    errors(function() return x:select(1, 2 ^ 62) end, "gd.select", "index 4611686018427387904")
    errors(function() return x[2 ^ 40] end, "index 1099511627776")
    errors(function() return x[{{2, 2 ^ 62}}] end, "range {2, 4611686018427387904}")
    errors(function() return x:at(2 ^ 33) end, "gd.at", "index 8589934592")
    errors(function() return x:index(1, {1, 2 ^ 34}) end, "gd.index", "index 17179869184")
    errors(function() return x:sum(2 ^ 33) end, "gd.sum", "dim 8589934592")
    errors(function() return gd.eye(-2 ^ 40) end, "gd.eye", "-1099511627776")
    errors(function() return gd.zeros(3, -2 ^ 40) end, "gd.zeros", "-1099511627776")
  end)

  it("arange rejects nan, inf, a zero step and a count that overflows", function()
    errors(function() return gd.arange(0 / 0) end, "gd.arange", "argument 1 (stop)", "finite")
    errors(function() return gd.arange(math.huge) end, "gd.arange", "argument 1 (stop)", "inf")
    errors(function() return gd.arange(-math.huge, 1) end, "gd.arange", "argument 1 (start)", "-inf")
    errors(function() return gd.arange(0, 0 / 0) end, "gd.arange", "argument 2 (stop)")
    errors(function() return gd.arange(0, 1, 0 / 0) end, "gd.arange", "argument 3 (step)")
    errors(function() return gd.arange(0, 1, 0) end, "gd.arange", "argument 3 (step)", "nonzero")
    errors(function() return gd.arange(0, 1e300) end, "gd.arange", "too many", "1e+300")
    errors(function() return gd.arange(-1e308, 1e308) end, "gd.arange", "too many")
    errors(function() return gd.arange(0, 1, 1e-300) end, "gd.arange", "too many")
    u.close(gd.arange(1, 2, 0.25), {1, 1.25, 1.5, 1.75}, 0)
    assert.equal(0, gd.arange(3, 1):numel())
  end)
end)
