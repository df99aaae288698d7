-- tensor_spec.lua: creation, inspection, arithmetic with broadcasting, math,
-- reductions.  Expected values are computed independently in plain Lua.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

-- Plain-Lua reference: apply f elementwise over nested tables.
local function map(t, f)
  if type(t) == "number" then return f(t) end
  local r = {}
  for i, v in ipairs(t) do r[i] = map(v, f) end
  return r
end

describe("creation", function()
  it("builds from nested tables, numbers and tensors", function()
    local x = gd.tensor{{1, 2, 3}, {4, 5, 6}}
    assert.same({2, 3}, x.shape)
    assert.equal(2, x.ndim)
    assert.equal(2, #x)
    assert.equal(6, x:numel())
    assert.same({{1, 2, 3}, {4, 5, 6}}, x:totable())
    local s = gd.tensor(3.5)
    assert.equal(0, s.ndim)
    assert.same({}, s.shape)
    assert.equal(3.5, s:item())
    local c = gd.tensor(x)
    c[1] = 0
    assert.equal(1, x:at(1, 1))            -- a copy, not a view
    assert.same({0}, gd.tensor{}.shape)
    assert.same({2, 2, 1}, gd.tensor{{{1}, {2}}, {{3}, {4}}}.shape)
    assert.same({{1, 2}, {3, 4}}, gd.tensor{gd.tensor{1, 2}, gd.tensor{3, 4}}:totable())
    assert.same({1, 0}, gd.tensor{true, false}:totable())
  end)

  it("rejects ragged and non-numeric tables", function()
    errors(function() gd.tensor{{1, 2}, {3}} end, "gd.tensor", "ragged")
    errors(function() gd.tensor{{1, 2}, 3} end, "gd.tensor", "ragged")
    errors(function() gd.tensor{1, "a"} end, "gd.tensor", "string")
    errors(function() gd.tensor("abc") end, "gd.tensor")
  end)

  it("zeros, ones, full, eye, like", function()
    assert.same({{0, 0, 0}, {0, 0, 0}}, gd.zeros(2, 3):totable())
    assert.same({{1, 1}, {1, 1}}, gd.ones{2, 2}:totable())
    assert.equal(0, gd.zeros().ndim)
    assert.same({7, 7}, gd.full(2, 7):totable())
    assert.same({{2.5}, {2.5}}, gd.full({2, 1}, 2.5):totable())
    assert.same({{1, 0, 0}, {0, 1, 0}}, gd.eye(2, 3):totable())
    assert.same({{1, 0}, {0, 1}}, gd.eye(2):totable())
    local x = gd.tensor{{1, 2}, {3, 4}}
    assert.same({{0, 0}, {0, 0}}, gd.zeros_like(x):totable())
    assert.same({{1, 1}, {1, 1}}, gd.ones_like(x):totable())
    assert.same({0, 3}, gd.zeros(0, 3).shape)
    errors(function() gd.zeros(-1) end, "gd.zeros", "negative")
    errors(function() gd.zeros(2.5) end, "gd.zeros", "integer")
  end)

  it("arange excludes stop, as numpy", function()
    assert.same({0, 1, 2, 3, 4}, gd.arange(5):totable())
    assert.same({2, 3, 4}, gd.arange(2, 5):totable())
    assert.same({1, 1.5, 2, 2.5}, gd.arange(1, 3, 0.5):totable())
    assert.same({5, 3, 1}, gd.arange(5, 0, -2):totable())
    assert.equal(0, gd.arange(3, 1):numel())
    errors(function() gd.arange(1, 2, 0) end, "gd.arange", "step")
  end)

  it("linspace includes both ends exactly", function()
    local x = gd.linspace(0, 1, 11)
    assert.equal(11, x:numel())
    assert.equal(0, x[1]); assert.equal(1, x[11])
    close(x, {0, .1, .2, .3, .4, .5, .6, .7, .8, .9, 1}, 1e-15)
    assert.same({3}, gd.linspace(3, 7, 1):totable())
    assert.equal(0, gd.linspace(0, 1, 0):numel())
  end)
end)

describe("arithmetic", function()
  local a = gd.tensor{{1, 2, 3}, {4, 5, 6}}
  local at = a:totable()

  it("takes numbers on either side", function()
    assert.same(map(at, function(v) return v + 1 end), (a + 1):totable())
    assert.same(map(at, function(v) return 1 + v end), (1 + a):totable())
    assert.same(map(at, function(v) return 10 - v end), (10 - a):totable())
    assert.same(map(at, function(v) return v * 2 end), (2 * a):totable())
    assert.same(map(at, function(v) return 1 / v end), (1 / a):totable())
    assert.same(map(at, function(v) return v ^ 2 end), (a ^ 2):totable())
    assert.same(map(at, function(v) return 2 ^ v end), (2 ^ a):totable())
    assert.same(map(at, function(v) return -v end), (-a):totable())
    assert.same(map(at, function(v) return v // 4 end), (a // 4):totable())
  end)

  it("floor modulo matches Lua's %", function()
    local xs = {-7.5, -3, -1, 0, 1, 3, 7.5}
    for _, m in ipairs({3, -3, 2.5, -2.5}) do
      local got = (gd.tensor(xs) % m):totable()
      for i, v in ipairs(xs) do assert.equal(v % m, got[i]) end
    end
    assert.same({1, 2}, (gd.tensor{-2, -1} % 3):totable())
  end)

  it("broadcasts like numpy", function()
    local col = gd.tensor{{10}, {20}}             -- (2,1)
    local row = gd.tensor{1, 2, 3}                -- (3)
    assert.same({{11, 12, 13}, {21, 22, 23}}, (col + row):totable())
    assert.same({{11, 22, 33}, {14, 25, 36}}, (a * gd.tensor{11, 11, 11} / 11 + gd.tensor{10, 20, 30}):totable())
    local b3 = gd.ones(4, 1, 3) * gd.tensor{{1}, {2}}   -- (4,1,3) * (2,1) → (4,2,3)
    assert.same({4, 2, 3}, b3.shape)
    assert.equal(4 * 3 * (1 + 2), b3:sum():item())
    assert.same({2, 3}, (a + gd.tensor(5)).shape)
    assert.same({0, 3}, (gd.zeros(0, 3) + row).shape)
  end)

  it("names both shapes when they do not broadcast", function()
    errors(function() return a + gd.tensor{1, 2} end, "gd.add", "{2,3}", "{2}")
    errors(function() return gd.ones(2, 3) * gd.ones(3, 2) end, "gd.mul", "{2,3}", "{3,2}")
  end)

  it("works on non-contiguous views", function()
    local t = a.T                                   -- (3,2) view
    assert.same({{2, 8}, {4, 10}, {6, 12}}, (t + t):totable())
    local e = gd.tensor{1, 2}:expand(3, 2)
    assert.same({{2, 4}, {2, 4}, {2, 4}}, (e * 2):totable())
  end)

  it("comparisons, where, maximum, minimum, clip", function()
    local x = gd.tensor{1, 2, 3}
    assert.same({1, 0, 0}, x:lt(2):totable())
    assert.same({1, 1, 0}, x:le(2):totable())
    assert.same({0, 0, 1}, x:gt(2):totable())
    assert.same({0, 1, 1}, x:ge(2):totable())
    assert.same({0, 1, 0}, x:eq(2):totable())
    assert.same({1, 0, 1}, x:ne(2):totable())
    assert.same({10, 2, 30}, gd.where(x:ne(2), x * 10, x):totable())
    assert.same({2, 2, 3}, gd.maximum(x, 2):totable())
    assert.same({1, 2, 2}, gd.minimum(x, 2):totable())
    assert.same({1.5, 2, 2.5}, gd.clip(x, 1.5, 2.5):totable())
    assert.same({1.5, 2, 3}, x:clip(1.5, nil):totable())
    local m = gd.maximum(gd.tensor{0 / 0, 1}, gd.tensor{1, 0 / 0}):totable()
    assert.is_true(m[1] ~= m[1] and m[2] ~= m[2])   -- NaN propagates, as numpy
  end)
end)

describe("math", function()
  local xs = {-2.5, -1, -0.3, 0, 0.2, 1, 3.7}
  local pos = {0.1, 0.5, 1, 2, 10}
  local function check(name, f, inputs, tol)
    local got = gd[name](gd.tensor(inputs)):totable()
    for i, v in ipairs(inputs) do
      local want = f(v)
      assert(math.abs(got[i] - want) <= (tol or 0) * math.max(1, math.abs(want)) or got[i] == want,
        string.format("%s(%g) = %.17g, want %.17g", name, v, got[i], want))
    end
    assert.same(gd[name](gd.tensor(inputs)):totable(), gd.tensor(inputs)[name](gd.tensor(inputs)):totable())
  end

  it("matches Lua's math library", function()
    check("exp", math.exp, xs, 2.3e-16)
    check("log", math.log, pos)
    check("sqrt", math.sqrt, pos)
    check("abs", math.abs, xs)
    -- the vectorized kernels are within 2 ulp of libm (vmath_spec sweeps them), not bit-equal
    check("sin", math.sin, xs, 4.5e-16)
    check("cos", math.cos, xs, 4.5e-16)
    check("tan", math.tan, xs, 4.5e-16)
    check("floor", math.floor, xs)
    check("ceil", math.ceil, xs)
    check("square", function(v) return v * v end, xs)
    check("relu", function(v) return math.max(v, 0) end, xs)
    check("sign", function(v) return v > 0 and 1 or (v < 0 and -1 or 0) end, xs)
  end)

  it("has the stable forms right", function()
    check("tanh", function(v) return (math.exp(v) - math.exp(-v)) / (math.exp(v) + math.exp(-v)) end, xs, 1e-15)
    check("sigmoid", function(v) return 1 / (1 + math.exp(-v)) end, xs, 1e-15)
    check("softplus", function(v) return math.log(1 + math.exp(v)) end, xs, 1e-15)
    check("log1p", function(v) return math.log(1 + v) end, {0.5, 1, 2}, 1e-15)
    check("expm1", function(v) return math.exp(v) - 1 end, {0.5, 1, 2}, 1e-15)
    close(gd.log1p(gd.tensor{1e-10}), {1e-10 - 5e-21}, 1e-30)
    close(gd.expm1(gd.tensor{1e-10}), {1e-10 + 5e-21}, 1e-30)
    close(gd.sigmoid(gd.tensor{-800, 800}), {0, 1}, 0)
    close(gd.softplus(gd.tensor{-800, 800}), {0, 800}, 0)
  end)

  it("rounds half to even, as numpy", function()
    assert.same({0, 2, 2, -2, 3}, gd.round(gd.tensor{0.5, 1.5, 2.5, -2.5, 2.6}):totable())
  end)

  it("exp is within one ulp of libm over its whole range", function()
    local n = 20001
    local x = gd.linspace(-745, 709.7, n)
    local y = gd.exp(x)
    for i = 1, n, 7 do
      local v = x[i]
      local a, b = y[i], math.exp(v)
      local m, e = math.frexp(b)
      local ulp = math.max(2.0 ^ (e - 53), 4.9406564584124654e-324)
      assert(math.abs(a - b) <= ulp, string.format("exp(%.17g): %.17g vs %.17g", v, a, b))
    end
    local s = gd.exp(gd.tensor{0 / 0, 1 / 0, -1 / 0, 710, -746, 0}):totable()
    assert.is_true(s[1] ~= s[1])
    assert.same({1 / 0, 0, 1 / 0, 0, 1}, {s[2], s[3], s[4], s[5], s[6]})
  end)

  it("log1p and sigmoid are within 2 ulp of independent formulas", function()
    local function ulps(a, b)
      if a == b then return 0 end
      local _, e = math.frexp(b)
      return math.abs(a - b) / 2.0 ^ (e - 53)
    end
    -- log1p: its series below 1e-3 (|error| < 1e-17 relative), log(1 + x) above 0.5 in size
    local xs = {}
    for i = 1, 2000 do xs[#xs + 1] = (i % 2 == 0 and 1 or -1) * 1e-3 * (i / 2000) ^ 3 end
    for i = 1, 2000 do xs[#xs + 1] = 0.5 + i * 0.37 end
    local y = gd.log1p(gd.tensor(xs))
    for i, v in ipairs(xs) do
      local ref
      if math.abs(v) <= 1e-3 then
        ref = 0
        for k = 7, 1, -1 do ref = ref + (k % 2 == 1 and 1 or -1) * v ^ k / k end
      elseif v >= 0.5 then
        ref = math.log(1 + v)                      -- 1 + v rounds by < 1/3 ulp of the result
      end
      if ref then assert(ulps(y[i], ref) <= 2, string.format("log1p(%.17g): %.17g vs %.17g", v, y[i], ref)) end
    end
    local s = gd.log1p(gd.tensor{ -1, -2, 1 / 0, 0, -0.0 }):totable()
    assert.same(-1 / 0, s[1]); assert.is_true(s[2] ~= s[2]); assert.same(1 / 0, s[3])
    assert.equal(0, s[4]); assert.equal(-1 / 0, 1 / s[5])    -- keeps the sign of zero
    -- sigmoid against 1/(1 + exp(−x)) and exp(x)/(1 + exp(x))
    local zs = gd.linspace(-700, 700, 14001)
    local sg = gd.sigmoid(zs)
    for i = 1, 14001, 3 do
      local v = zs[i]
      local ref = v >= 0 and 1 / (1 + math.exp(-v)) or math.exp(v) / (1 + math.exp(v))
      assert(ulps(sg[i], ref) <= 2, string.format("sigmoid(%.17g): %.17g vs %.17g", v, sg[i], ref))
    end
  end)

  it("log is within one ulp of libm from subnormals to the largest double", function()
    -- exponentially spaced points over the whole range, plus a dense sweep around 1
    local pts = {}
    for i = 0, 20000 do pts[#pts + 1] = 2.0 ^ (-1074 + i * (2097 / 20000)) * (1 + (i % 13) / 17) end
    for i = 0, 2000 do pts[#pts + 1] = 0.9 + i * 1e-4 + i * 1e-9 end
    pts[#pts + 1] = 1.7976931348623157e308
    pts[#pts + 1] = 4.9406564584124654e-324
    local x = gd.tensor(pts)
    local y = gd.log(x)
    for i = 1, #pts do
      local v = pts[i]
      local a, b = y[i], math.log(v)
      local m, e = math.frexp(b)
      local ulp = b == 0 and 0 or 2.0 ^ (e - 53)
      assert(math.abs(a - b) <= ulp, string.format("log(%.17g): %.17g vs %.17g", v, a, b))
    end
    local s = gd.log(gd.tensor{0 / 0, 1 / 0, -1, 0, -0.0, 1}):totable()
    assert.is_true(s[1] ~= s[1] and s[3] ~= s[3])
    assert.same({1 / 0, -1 / 0, -1 / 0, 0}, {s[2], s[4], s[5], s[6]})
  end)
end)

describe("reductions", function()
  local a = gd.tensor{{1, 2, 3}, {4, 5, 6}}

  it("over all elements give 0-d tensors", function()
    local s = a:sum()
    assert.equal(0, s.ndim)
    assert.equal(21, s:item())
    assert.equal(3.5, a:mean():item())
    assert.equal(720, a:prod():item())
    assert.equal(6, a:max():item())
    assert.equal(1, a:min():item())
    assert.equal(6, a:argmax():item())
    assert.equal(1, a:argmin():item())
    close(a:var(), {17.5 / 6}, 1e-15)
    close(a:var({ddof = 1}), {3.5}, 1e-15)
    close(a:std(), {math.sqrt(17.5 / 6)}, 1e-15)
    close(a:norm(), {math.sqrt(91)}, 1e-15)
    close(a:logsumexp(), {math.log(math.exp(1) + math.exp(2) + math.exp(3) + math.exp(4) + math.exp(5) + math.exp(6))}, 1e-14)
  end)

  it("along a dim, with keepdim and negative dims", function()
    assert.same({5, 7, 9}, a:sum(1):totable())
    assert.same({6, 15}, a:sum(2):totable())
    assert.same({6, 15}, a:sum(-1):totable())
    assert.same({{6}, {15}}, a:sum(2, true):totable())
    assert.same({{2.5, 3.5, 4.5}}, a:mean(1, true):totable())
    close(a:std(1, false, {ddof = 1}), {math.sqrt(4.5), math.sqrt(4.5), math.sqrt(4.5)}, 1e-15)
    local v, i = a:max(2)
    assert.same({3, 6}, v:totable())
    assert.same({3, 3}, i:totable())
    local w, j = gd.tensor{{3, 1}, {0, 7}}:min(1)
    assert.same({0, 1}, w:totable())
    assert.same({2, 1}, j:totable())
    assert.same({3, 3}, a:argmax(2):totable())
    assert.same({{1, 1, 1}}, a:argmin(1, true):totable())
    assert.same({4, 10, 18}, a:prod(1):totable())
    close(a:norm(2), {math.sqrt(14), math.sqrt(77)}, 1e-15)
    close(a:logsumexp(1), {math.log(math.exp(1) + math.exp(4)), math.log(math.exp(2) + math.exp(5)),
      math.log(math.exp(3) + math.exp(6))}, 1e-14)
    assert.same({5, 7, 9}, gd.sum(a, 1):totable())
  end)

  it("works on views and sums accurately", function()
    assert.same({6, 15}, a.T:sum(1):totable())
    -- pairwise summation: 1e6 copies of 0.1 lose far less than naive summation
    local s = gd.full(1000000, 0.1):sum():item()
    assert(math.abs(s - 100000) < 1e-8, s)
    local big = gd.tensor{1e308, 1e308}
    close(big:norm(), {math.sqrt(2) * 1e308}, 1e294)
    close(gd.tensor{1e300, 1e300}:logsumexp(), {1e300}, 1e285)
  end)

  it("finds NaN as numpy does and handles empties", function()
    local m = gd.tensor{1, 0 / 0, 3}:max():item()
    assert.is_true(m ~= m)
    assert.equal(0, gd.zeros(0):sum():item())
    assert.equal(1, gd.zeros(0):prod():item())
    errors(function() gd.zeros(0):max() end, "gd.max", "empty")
    errors(function() a:sum(3) end, "gd.sum", "dim 3")
    errors(function() a:sum("x") end, "gd.sum", "dim")
  end)
end)

describe("inspection", function()
  it("item, totable, len", function()
    assert.equal(4, gd.tensor{{4}}:item())
    errors(function() gd.tensor{1, 2}:item() end, "gd.item", "2 elements")
    assert.equal(2.5, gd.tensor(2.5):totable())
    errors(function() return #gd.tensor(1) end, "0-d")
  end)
end)
