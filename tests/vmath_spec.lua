-- vmath_spec.lua: the vectorized kernels (src/vmath*.c) against glibc's libm, in ulps.
--
-- Each function is swept over dense grids across its whole range (subnormals,
-- ±0, huge, near its zeros, poles and overflow thresholds, ±inf, NaN) plus
-- random 64-bit patterns, on a contiguous tensor (the vector path), and every
-- result must lie within 2 ulp of the C library's value, with the same NaN-ness
-- and the same sign of zero.  The reference is independent of the kernels:
-- Lua's own math.exp / log / sin / cos / tan / sqrt and `^` (the C library's
-- functions), and for tanh, expm1, log1p, erf, sigmoid, softplus the strided
-- path of kernels.c, a scalar loop over libm (a check below confirms that the
-- strided path still is libm).
local MAX_ULP = 2

-- Doubles mapped to integers in the same order (−0 and +0 both to 0), so
-- that the distance in ulps is a difference of integers.
local function ord(x)
  local i = string.unpack("<i8", string.pack("<d", x))
  if i < 0 then i = math.mininteger - i end
  return i
end
local function unord(i)
  if i < 0 then i = math.mininteger - i end
  return (string.unpack("<d", string.pack("<i8", i)))
end

-- ulp distance of a from b: 0 for equal values (NaN = NaN), huge for a NaN
-- against a number and for zeros of different signs.
local function ulps(a, b)
  if a ~= a or b ~= b then return (a ~= a and b ~= b) and 0 or math.huge end
  if a == b then
    if a == 0 and 1 / a ~= 1 / b then return math.huge end
    return 0
  end
  local ia, ib = ord(a), ord(b)
  if (ia < 0) ~= (ib < 0) then return math.abs(ia * 1.0 - ib * 1.0) end
  return math.abs(ia - ib)
end

-- ---- input sets ------------------------------------------------------------

local SPECIALS = { 0.0, -0.0, 1 / 0, -1 / 0, 0 / 0, 5e-324, -5e-324, 1e-310, -1e-310,
  2.2250738585072014e-308, -2.2250738585072014e-308, 1.7976931348623157e308,
  -1.7976931348623157e308, 1, -1, 0.5, -0.5, 2, -2 }

local function set(...)            -- concatenation of lists
  local out = {}
  for _, l in ipairs({ ... }) do for _, v in ipairs(l) do out[#out + 1] = v end end
  return out
end
local function span(lo, hi, n)      -- n evenly spaced points, both ends included
  local out = {}
  for i = 0, n - 1 do out[#out + 1] = lo + (hi - lo) * i / (n - 1) end
  return out
end
local function magnitudes(per)      -- ±10^(j/per) from 10^-323 to 10^308
  local out = {}
  for j = -323 * per, 308 * per do
    local v = 10 ^ (j / per)
    out[#out + 1] = v; out[#out + 1] = -v
  end
  return out
end
local function random_bits(n, seed) -- doubles from uniformly random 64-bit patterns
  math.randomseed(seed)
  local out = {}
  for i = 1, n do
    out[i] = string.unpack("<d", string.pack("<i8", math.random(math.mininteger, math.maxinteger)))
  end
  return out
end
local function around(points, k)     -- each point and its k neighbours on either side
  local out = {}
  for _, p in ipairs(points) do
    local i = ord(p)
    for d = -k, k do out[#out + 1] = unord(i + d) end
  end
  return out
end
local function common(seed)
  return set(SPECIALS, magnitudes(8), random_bits(40000, seed))
end

-- ---- the comparison ----------------------------------------------------------

-- gd.fn on a stride-2 view: the scalar libm loop of kernels.c.
local function strided(fn)
  return function(xs)
    local t = gd.tensor(xs)
    local both = gd.stack({ t, t }, 2)
    return fn(both:select(2, 1)):totable()
  end
end
local function lua_fn(f)
  return function(xs)
    local out = {}
    for i, v in ipairs(xs) do out[i] = f(v) end
    return out
  end
end

-- Largest ulp distance of the contiguous result from the reference, and where.
local function sweep(fn, ref, xs)
  local got = fn(gd.tensor(xs)):totable()
  local want = ref(xs)
  local worst, at = 0, 1
  for i = 1, #xs do
    local d = ulps(got[i], want[i])
    if d > worst then worst, at = d, i end
  end
  return worst, xs[at], got[at], want[at]
end

local function check(name, fn, ref, xs)
  local worst, x, got, want = sweep(fn, ref, xs)
  if os.getenv("VMATH_ULPS") then   -- VMATH_ULPS=1: print each sweep's worst case
    io.stderr:write(string.format("%-16s %7d points  max %g ulp at %.17g\n", name, #xs, worst, x))
  end
  assert(worst <= MAX_ULP, string.format("%s: %.4g ulp at x = %.17g (%a): got %.17g, libm %.17g",
    name, worst, x, x, got, want))
end

local HALF_PI = math.pi / 2
local function pi_multiples(kmax, count)   -- doubles nearest k·π/2 for k spread up to kmax
  local out = {}
  for j = 1, count do
    local k = math.floor(kmax ^ (j / count) + 0.5)
    out[#out + 1] = k * HALF_PI; out[#out + 1] = -k * HALF_PI
  end
  return around(out, 2)
end

describe("vectorized kernels within 2 ulp of libm", function()
  it("the strided reference path is the C library's (exp, log, sin, cos, tan, sqrt bit for bit)", function()
    local xs = set(span(-50, 50, 5001), random_bits(5000, 1))
    for _, name in ipairs { "exp", "log", "sin", "cos", "tan", "sqrt" } do
      local got, want = strided(gd[name])(xs), lua_fn(math[name])(xs)
      for i = 1, #xs do
        assert(ulps(got[i], want[i]) == 0,
          string.format("strided gd.%s(%.17g) = %.17g, math.%s gives %.17g", name, xs[i], got[i], name, want[i]))
      end
    end
  end)

  it("ulps counts representable doubles between two values", function()
    assert.are.equal(0, ulps(1.0, 1.0))
    assert.are.equal(1, ulps(1.0, 1.0 + 2 ^ -52))
    assert.are.equal(2, ulps(1.0, 1.0 - 2 ^ -52))               -- spacing halves below 1
    assert.are.equal(2, ulps(5e-324, -5e-324))                  -- across zero
    assert.are.equal(math.huge, ulps(0.0, -0.0))
    assert.are.equal(math.huge, ulps(0 / 0, 1.0))
    assert.are.equal(0, ulps(0 / 0, 0 / 0))
  end)

  it("exp", function()
    check("exp", gd.exp, lua_fn(math.exp), set(common(2), span(-750, 712, 100001),
      around({ 709.782712893384, -745.1332191019412, -708.3964185322641 }, 50)))
  end)

  it("expm1", function()
    check("expm1", gd.expm1, strided(gd.expm1), set(common(3), span(-50, 712, 100001),
      span(-1, 1, 100001), span(-1e-5, 1e-5, 10001), span(-38, -36, 10001), around({ 709.782712893384 }, 50)))
  end)

  it("log", function()
    check("log", gd.log, lua_fn(math.log), set(common(4), span(0, 3, 100001),
      around({ 1.0 }, 1000), span(1 - 1e-6, 1 + 1e-6, 10001)))
  end)

  it("log1p", function()
    local nearm1 = {}
    for k = 1, 60 do nearm1[#nearm1 + 1] = -1 + 2 ^ -k end
    check("log1p", gd.log1p, strided(gd.log1p), set(common(5), span(-1, 3, 100001),
      span(-1e-6, 1e-6, 10001), around(nearm1, 3)))
  end)

  it("tanh", function()
    check("tanh", gd.tanh, strided(gd.tanh), set(common(6), span(-25, 25, 200001),
      span(-1e-3, 1e-3, 20001)))
  end)

  it("sigmoid (against the scalar 1/(1 + exp(−x)) of libm)", function()
    check("sigmoid", gd.sigmoid, strided(gd.sigmoid), set(common(7), span(-760, 760, 100001),
      span(-40, 40, 100001)))
  end)

  it("softplus (against the scalar log1p(exp(x)) of libm)", function()
    check("softplus", gd.softplus, strided(gd.softplus), set(common(8), span(-760, 760, 100001),
      span(-40, 40, 100001)))
  end)

  it("sqrt", function()
    check("sqrt", gd.sqrt, lua_fn(math.sqrt), set(common(9), span(0, 100, 10001)))
  end)

  for _, name in ipairs { "sin", "cos", "tan" } do
    it(name .. " (small, medium, near multiples of π/2, past the vector bound, huge)", function()
      check(name, gd[name], lua_fn(math[name]), set(common(10), span(-10, 10, 100001),
        span(-1.6e6, 1.6e6, 100001), span(1.5e6, 1.7e6, 2001), pi_multiples(1e6, 3000),
        around({ 1e22, 1e300, 6381956970095103 * 2.0 ^ 797 }, 3)))
    end)
  end

  it("erf", function()
    check("erf", gd.erf, strided(gd.erf), set(common(11), span(-7, 7, 200001),
      span(0.99, 1.01, 10001), span(5.9, 6.1, 10001), span(-1e-3, 1e-3, 10001)))
  end)

  it("x ^ p for scalar p: the fast paths, integral p and the general exp(p·log x)", function()
    local xs = set(SPECIALS, span(-10, 10, 20001), span(0, 2, 20001), magnitudes(4),
      random_bits(20000, 12), span(1 - 1e-9, 1 + 1e-9, 2001), around({ 1.0, -1.0 }, 100))
    for _, p in ipairs { 2, 0.5, -1, 1, 0, 3, -2, 5, 7, -3, 16, 63, 64, -64, 65, 1.5, -0.5,
                         0.3, 1 / 3, 2.5, -7.25, 100.5, 1e-3, 1e3 + 0.5, -1e5, 1e300,
                         -2.5, 7.5, 64.5, -64.5, 65.5,   -- half-integral: x^n·√x (to ±64½)
                         -1e300, 2 ^ 53, 2 ^ 53 + 2, 1 / 0, -1 / 0, 0 / 0 } do
      check("x ^ " .. p, function(t) return t ^ p end, lua_fn(function(v) return v ^ p end), xs)
    end
  end)

  it("large p with x near 1, where p·log x must carry extra precision", function()
    local xs = set(span(0.5, 2, 20001), span(1 - 1e-3, 1 + 1e-3, 20001))
    for _, p in ipairs { 700.5, -700.5, 1000.25, 2e4 + 0.5 } do
      check("x ^ " .. p, function(t) return t ^ p end, lua_fn(function(v) return v ^ p end), xs)
    end
  end)

  it("at chunk boundaries and on odd lengths", function()
    for _, n in ipairs { 1, 3, 255, 256, 257, 1029 } do
      local x = gd.linspace(-3, 3, n)
      for _, name in ipairs { "sin", "tanh", "erf", "expm1" } do
        check(name .. " n=" .. n, gd[name], strided(gd[name]), x:totable())
      end
      check("x^3 n=" .. n, function(t) return t ^ 3 end, lua_fn(function(v) return v ^ 3 end), x:totable())
    end
  end)
end)
