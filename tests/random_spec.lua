-- random_spec.lua: the generator (src/rng.c) and its bindings (src/lrandom.c).
-- Golden values pin the streams for good: the same seed must give the same
-- numbers on every machine and in every release.  They were computed once by
-- the plain-Lua reference below (xoshiro256**, splitmix64, the polar method
-- and masked rejection written independently with Lua's 64-bit integers),
-- which the spec also runs against the C on longer streams.  The binomial
-- literals come from the C itself, after the distribution checks below.
local u = require "tests.helpers.util"

-- ---- reference implementation ---------------------------------------------

local ref = {}

local function rotl(x, k) return (x << k) | (x >> (64 - k)) end

--- splitmix64 step: the new state and the output.
function ref.splitmix64(x)
  x = x + 0x9e3779b97f4a7c15
  local z = x
  z = (z ~ (z >> 30)) * 0xbf58476d1ce4e5b9
  z = (z ~ (z >> 27)) * 0x94d049bb133111eb
  return x, z ~ (z >> 31)
end

local LN2_HI, LN2_LO = 0x1.62e42fefa3000p-1, 0x1.3de6af278ece6p-42

--- The generator's own log (x > 0 normal): log(1 + f) = f − s·(f − R) on
--- m = 1 + f in [√½, √2), the same operations in the same order as rng.c.
function ref.log(x)
  local bits = string.unpack("<i8", string.pack("<d", x))
  local k = ((bits >> 52) & 0x7ff) - 1022
  local m = string.unpack("<d", string.pack("<i8", (bits & ~(0x7ff << 52)) | (1022 << 52)))
  if m < 0.70710678118654752440 then m, k = m * 2, k - 1 end
  local f = m - 1
  local s = f / (2 + f)
  local z = s * s
  local R = 2.0 / 23
  for j = 21, 3, -2 do R = 2.0 / j + z * R end
  R = z * R
  local dk = k + 0.0
  return dk * LN2_HI + (f - (s * (f - R) - dk * LN2_LO))
end

--- A reference generator seeded as gd.seed(seed); log defaults to ref.log.
function ref.new(seed, log)
  log = log or ref.log
  local s, x = {}, seed
  for i = 1, 4 do x, s[i] = ref.splitmix64(x) end
  local g, spare = {}, nil
  function g.next()                    -- xoshiro256**
    local r = rotl(s[2] * 5, 7) * 9
    local t = s[2] << 17
    s[3] = s[3] ~ s[1]; s[4] = s[4] ~ s[2]
    s[2] = s[2] ~ s[3]; s[1] = s[1] ~ s[4]
    s[3] = s[3] ~ t; s[4] = rotl(s[4], 45)
    return r
  end
  function g.unif() return (g.next() >> 11) * 0x1p-53 end
  function g.int(m)                    -- uniform in [0, m]: mask, reject
    local mask = m
    for _, sh in ipairs { 1, 2, 4, 8, 16, 32 } do mask = mask | (mask >> sh) end
    local v
    repeat v = g.next() & mask until not math.ult(m, v)
    return v
  end
  function g.gauss()                   -- polar method, second value kept
    if spare then
      local v = spare
      spare = nil
      return v
    end
    local a, b, q
    repeat
      a, b = 2 * g.unif() - 1, 2 * g.unif() - 1
      q = a * a + b * b
    until q < 1 and q ~= 0
    local f = math.sqrt(-2 * log(q) / q)
    spare = b * f
    return a * f
  end
  function g.randperm(n)               -- Fisher–Yates from the top
    local a = {}
    for i = 1, n do a[i] = i end
    for i = n, 2, -1 do
      local j = g.int(i - 1) + 1
      a[i], a[j] = a[j], a[i]
    end
    return a
  end
  return g
end

local function draws(f, n)
  local t = {}
  for i = 1, n do t[i] = f() end
  return t
end

--- Assert |est − truth| <= 4·se.
local function within4(est, truth, se, what)
  assert(math.abs(est - truth) <= 4 * se, string.format(
    "%s: %.6g vs %.6g, %.2f standard errors (se %.3g)", what, est, truth,
    (est - truth) / se, se))
end

--- Sample mean and variance (ddof 0) of a tensor, as Lua numbers.
local function moments(x) return x:mean():item(), x:var():item() end

-- ---- golden values ----------------------------------------------------------

describe("random golden values (seed 42)", function()
  local RAND = { 0.083862971059882163, 0.37898025066266861, 0.68004341102813937,
                 0.92469294532538759, 0.99180391428210279 }
  local RANDN = { -0.72621913824478568, -0.21119691823195985, 0.22162270150359331,
                  0.52277168775601457, 0.46417731016247366 }
  local RANDINT = { 2, 2, 5, 1, 3, 6, 2, 6, 3, 6 }
  local RANDPERM = { 6, 8, 10, 4, 3, 1, 5, 9, 2, 7 }
  local BINOM_10 = { 1, 2, 4, 5, 7, 4, 4, 5, 4, 3 }
  local BINOM_1000 = { 483, 502, 524, 513, 514, 525, 497, 536, 468, 517 }
  local BINOM_1E9 = { 0, 1, 1, 3, 4, 2, 1, 2, 2, 1 }

  it("the reference's splitmix64 matches the published first output", function()
    local _, z = ref.splitmix64(0)
    assert.equal(0xe220a8397b1dcdaf, z)
  end)

  it("the reference reproduces the literals", function()
    assert.same(RAND, draws(ref.new(42).unif, 5))
    assert.same(RANDN, draws(ref.new(42).gauss, 5))
    local g = ref.new(42)
    assert.same(RANDINT, draws(function() return 1 + g.int(5) end, 10))
    assert.same(RANDPERM, ref.new(42).randperm(10))
  end)

  it("gd.rand, randn, randint, randperm give them exactly", function()
    gd.seed(42); assert.same(RAND, gd.rand(5):totable())
    gd.seed(42); assert.same(RANDN, gd.randn(5):totable())
    gd.seed(42); assert.same(RANDINT, gd.randint(1, 6, 10):totable())
    gd.seed(42); assert.same(RANDPERM, gd.randperm(10):totable())
  end)

  it("gd.binomial gives them exactly (inversion, BTRD, large n)", function()
    gd.seed(42); assert.same(BINOM_10, gd.binomial(10, 0.3, 10):totable())
    gd.seed(42); assert.same(BINOM_1000, gd.binomial(1000, 0.5, 10):totable())
    gd.seed(42); assert.same(BINOM_1E9, gd.binomial(1000000000, 1e-9, 10):totable())
  end)

  it("matches the reference on long streams, for several seeds", function()
    for _, seed in ipairs { 0, 1, 42, -1, math.maxinteger, math.mininteger } do
      local G = function() return gd.Generator(seed) end
      assert.same(draws(ref.new(seed).unif, 5000), G():rand(5000):totable())
      assert.same(draws(ref.new(seed).gauss, 2001), G():randn(2001):totable())
      local r = ref.new(seed)
      assert.same(draws(function() return -3 + r.int(9) end, 1000), G():randint(-3, 6, 1000):totable())
      r = ref.new(seed)
      assert.same(draws(function() return r.int(1 << 53) end, 200), G():randint(0, 1 << 53, 200):totable())
      assert.same(ref.new(seed).randperm(500), G():randperm(500):totable())
    end
  end)

  it("normals agree with the polar method on libm's log to 1e-15", function()
    local want = draws(ref.new(3, math.log).gauss, 2000)
    local got = gd.Generator(3):randn(2000):totable()
    for i = 1, #want do
      u.close(got[i], want[i], 1e-15 * math.max(1, math.abs(want[i])), "normal " .. i)
    end
  end)
end)

-- ---- reproducibility ------------------------------------------------------------

describe("random reproducibility", function()
  it("the same seed gives the same tensors", function()
    gd.seed(5)
    local a, b, c = gd.rand(10), gd.randn(3, 3), gd.binomial(20, 0.4, 7)
    gd.seed(5)
    assert.same(a:totable(), gd.rand(10):totable())
    assert.same(b:totable(), gd.randn(3, 3):totable())
    assert.same(c:totable(), gd.binomial(20, 0.4, 7):totable())
    gd.seed(6)
    assert.are_not.same(a:totable(), gd.rand(10):totable())
  end)

  it("a stream split in pieces is the same stream", function()
    gd.seed(9)
    local whole = gd.randn(7):totable()
    gd.seed(9)
    local parts = {}
    for _, n in ipairs { 3, 1, 3 } do
      for _, v in ipairs(gd.randn(n):totable()) do parts[#parts + 1] = v end
    end
    assert.same(whole, parts)
  end)

  it("starts from seed 0 in a fresh interpreter", function()
    local p = assert(io.popen(u.gdlua .. [[ -e "io.write(string.format('%.17g', gd.rand():item()))"]]))
    local out = p:read("a")
    p:close()
    assert.equal(gd.Generator(0):rand():item(), tonumber(out))
  end)

  it("gd.Generator is independent of the default generator", function()
    local lone = gd.Generator(7):rand(6):totable()
    gd.seed(1)
    local plain = gd.rand(6):totable()
    gd.seed(1)
    local g = gd.Generator(7)
    local mixed, global = {}, {}
    for i = 1, 6 do
      mixed[i] = g:rand():item()
      global[i] = gd.rand():item()
    end
    assert.same(lone, mixed)
    assert.same(plain, global)
  end)

  it("g:seed restarts a generator and returns the seed", function()
    local g = gd.Generator(11)
    local a = g:randn(5):totable()
    g:randn(3)                          -- leaves a spare normal behind
    assert.equal(11, g:seed(11))
    assert.same(a, g:randn(5):totable())
    assert.equal(12, gd.seed(12))
  end)

  it("without a seed, seeds from the clock and returns it", function()
    local s = gd.seed()
    assert.equal("integer", math.type(s))
    local a = gd.rand(4):totable()
    gd.seed(s)
    assert.same(a, gd.rand(4):totable())
    local g = gd.Generator()
    assert.is_truthy(tostring(g):find("^gd%.Generator%(seed = %-?%d+%)$"))
  end)
end)

-- ---- shapes and arguments ----------------------------------------------------

describe("random shapes", function()
  it("no shape gives a 0-d tensor", function()
    for _, x in ipairs { gd.rand(), gd.randn(), gd.uniform(1, 2), gd.normal(0, 1),
                         gd.randint(1, 6), gd.binomial(5, 0.5), gd.bernoulli(0.5) } do
      assert.equal(0, x.ndim)
      assert.equal(1, x:numel())
    end
  end)

  it("takes shapes as 3, 4 or {3, 4}", function()
    assert.same({ 3, 4 }, gd.rand(3, 4).shape)
    assert.same({ 3, 4 }, gd.randn { 3, 4 }.shape)
    assert.same({ 3, 4 }, gd.normal(0, 1, { 3, 4 }).shape)
    assert.same({ 3 }, gd.normal(0, 1, 3).shape)
    assert.same({ 2, 5 }, gd.uniform(-1, 1, 2, 5).shape)
    assert.same({ 2, 0 }, gd.randint(0, 9, { 2, 0 }).shape)
    assert.same({ 4 }, gd.bernoulli(0.3, 4).shape)
    assert.same({ 2, 3 }, gd.binomial(5, 0.5, { 2, 3 }).shape)
    assert.same({ 3, 4 }, gd.Generator(1):rand(3, 4).shape)
  end)

  it("binomial and bernoulli take p's shape, or broadcast p to a shape", function()
    local p = gd.tensor { { 0, 1, 0.5 } }
    assert.same({ 1, 3 }, gd.binomial(1, p).shape)
    assert.same({ 1, 3 }, gd.bernoulli(p).shape)
    local b = gd.binomial(7, p, { 4, 3 })
    assert.same({ 4, 3 }, b.shape)
    for _, row in ipairs(b:totable()) do
      assert.equal(0, row[1]); assert.equal(7, row[2])
    end
    assert.same({ { 0, 1, 1, 0 } }, gd.bernoulli({ { 0, 1, 1, 0 } }):totable())
    assert.same({ 0, 1 }, gd.binomial(1, { 0, 1 }):totable())
  end)

  it("degenerate parameters give constants", function()
    assert.same({ 0, 0, 0 }, gd.binomial(0, 0.5, 3):totable())
    assert.same({ 0, 0, 0 }, gd.binomial(9, 0, 3):totable())
    assert.same({ 9, 9, 9 }, gd.binomial(9, 1, 3):totable())
    assert.same({ 2, 2 }, gd.uniform(2, 2, 2):totable())
    assert.same({ 5, 5 }, gd.normal(5, 0, 2):totable())
    assert.same({ 4, 4 }, gd.randint(4, 4, 2):totable())
    assert.same({}, gd.randperm(0):totable())
    assert.same({ 1 }, gd.randperm(1):totable())
  end)

  it("uniform stays inside [lo, hi)", function()
    local x = gd.uniform(-2, 3, 100000)
    assert.is_true(x:min():item() >= -2)
    assert.is_true(x:max():item() < 3)
    local r = gd.rand(100000)
    assert.is_true(r:min():item() >= 0 and r:max():item() < 1)
    local tiny = gd.uniform(1, 1 + 2 ^ -52, 1000)  -- two doubles: only lo
    assert.equal(1, tiny:max():item())
  end)

  it("has a one-line doc for every function and method", function()
    for _, k in ipairs { "seed", "rand", "randn", "uniform", "normal", "binomial",
                         "bernoulli", "randint", "randperm", "Generator" } do
      assert.is_truthy(gd._docs[gd[k]] and gd._docs[gd[k]]:find("^gd%." .. k), k)
    end
    local g = gd.Generator(1)
    for _, k in ipairs { "seed", "rand", "randn", "uniform", "normal", "binomial",
                         "bernoulli", "randint", "randperm" } do
      assert.is_truthy(gd._docs[g[k]] and gd._docs[g[k]]:find("^g:" .. k), k)
    end
  end)
end)

describe("random argument errors", function()
  it("name the function and the bad value", function()
    u.errors(function() gd.binomial(10, 1.5, 3) end, "gd.binomial: p = 1.5 outside [0, 1]")
    u.errors(function() gd.binomial(10, gd.tensor { 0.5, -0.1 }) end, "gd.binomial: p = -0.1 outside [0, 1]")
    u.errors(function() gd.binomial(10, 0 / 0) end, "gd.binomial", "outside [0, 1]")
    u.errors(function() gd.binomial(-1, 0.5) end, "gd.binomial: n = -1 < 0")
    u.errors(function() gd.binomial(2.5, 0.5) end, "gd.binomial", "n", "integer")
    u.errors(function() gd.binomial(2 ^ 60, 0.5) end, "gd.binomial", "2^53")
    u.errors(function() gd.binomial(5, gd.ones(2), { 3 }) end, "gd.binomial", "{2}", "{3}")
    u.errors(function() gd.bernoulli(2) end, "gd.bernoulli: p = 2 outside [0, 1]")
    u.errors(function() gd.bernoulli() end, "gd.bernoulli", "tensor or number expected")
    u.errors(function() gd.uniform(2, 1) end, "gd.uniform: lo = 2 > hi = 1")
    u.errors(function() gd.uniform(0, math.huge) end, "gd.uniform", "finite")
    u.errors(function() gd.uniform(-1e308, 1e308) end, "gd.uniform", "overflows")
    u.errors(function() gd.uniform("a", 1) end, "gd.uniform", "lo", "number expected")
    u.errors(function() gd.normal(0, -1) end, "gd.normal: std = -1 < 0")
    u.errors(function() gd.normal(0 / 0, 1) end, "gd.normal: mean", "not finite")
    u.errors(function() gd.randint(6, 1) end, "gd.randint: lo = 6 > hi = 1")
    u.errors(function() gd.randint(1.5, 3) end, "gd.randint", "lo", "integer")
    u.errors(function() gd.randint(0, math.maxinteger) end, "gd.randint", "2^53")
    u.errors(function() gd.randperm(-3) end, "gd.randperm: n = -3 < 0")
    u.errors(function() gd.randperm(2.5) end, "gd.randperm", "integer")
    u.errors(function() gd.rand(-2) end, "gd.rand", "negative size")
    u.errors(function() gd.randn(2, "x") end, "gd.randn", "integer expected")
    u.errors(function() gd.seed(0.5) end, "gd.seed", "integer")
    u.errors(function() gd.Generator("x") end, "gd.Generator", "integer")
    local g = gd.Generator(1)
    u.errors(function() g.rand(3) end, "gd.Generator:rand", "gd.Generator expected")
    u.errors(function() g:binomial(3, 2) end, "gd.Generator:binomial: p = 2 outside [0, 1]")
  end)

  it("leave the stream untouched when they fail", function()
    local g = gd.Generator(3)
    pcall(g.binomial, g, 10, gd.tensor { 0.5, 0.5, 7 })
    pcall(g.normal, g, 0, -1)
    assert.same(gd.Generator(3):rand(4):totable(), g:rand(4):totable())
  end)
end)

-- ---- distributions ------------------------------------------------------------

describe("random distributions (1e6 draws, 4 standard errors)", function()
  local N = 1000000

  it("rand: mean ½, variance 1/12", function()
    gd.seed(101)
    local m, v = moments(gd.rand(N))
    within4(m, 0.5, math.sqrt(1 / 12 / N), "mean")
    within4(v, 1 / 12, math.sqrt((1 / 80 - 1 / 144) / N), "variance")   -- μ4 = 1/80
  end)

  it("normal(3, 2): mean 3, variance 4", function()
    gd.seed(102)
    local m, v = moments(gd.normal(3, 2, N))
    within4(m, 3, 2 / math.sqrt(N), "mean")
    within4(v, 4, math.sqrt((3 * 16 - 16) / N), "variance")              -- μ4 = 3σ⁴
  end)

  -- Binomial(n, p): σ² = npq, μ4 = npq(1 + 3(n − 2)pq).
  local function check_binomial(n, p, seed)
    gd.seed(seed)
    local x = gd.binomial(n, p, N)
    local m, v = moments(x)
    local var = n * p * (1 - p)
    local mu4 = var * (1 + 3 * (n - 2) * p * (1 - p))
    within4(m, n * p, math.sqrt(var / N), "mean")
    within4(v, var, math.sqrt((mu4 - var * var) / N), "variance")
    assert.is_true(x:min():item() >= 0 and x:max():item() <= n)
    assert.equal(0, (x - x:floor()):abs():max():item())                 -- integers
  end

  it("binomial(10, 0.3) (inversion)", function() check_binomial(10, 0.3, 103) end)
  it("binomial(1000, 0.5) (BTRD)", function() check_binomial(1000, 0.5, 104) end)
  it("binomial(60, 0.9) (BTRD on 1 − p)", function() check_binomial(60, 0.9, 105) end)
  it("binomial(1e9, 1e-9) and (1e9, 0.3) (large n)", function()
    check_binomial(1000000000, 1e-9, 106)
    check_binomial(1000000000, 0.3, 107)
  end)

  it("binomial(1000, 0.5) has the exact pmf (chi-square)", function()
    gd.seed(108)
    local x = gd.binomial(1000, 0.5, 200000):totable()
    local count = {}
    for _, k in ipairs(x) do count[k] = (count[k] or 0) + 1 end
    -- pmf by the ratio P(k + 1)/P(k) = (n − k)/(k + 1) from the mode, normalized.
    local pmf, total = { [500] = 1 }, 1
    for k = 500, 999 do pmf[k + 1] = pmf[k] * (1000 - k) / (k + 1); total = total + pmf[k + 1] end
    for k = 500, 1, -1 do pmf[k - 1] = pmf[k] * k / (1001 - k); total = total + pmf[k - 1] end
    -- bins of expected count >= 50, tails merged
    local chi2, bins, e, o = 0, 0, 0, 0
    for k = 0, 1000 do
      e, o = e + 200000 * pmf[k] / total, o + (count[k] or 0)
      if e >= 50 and k < 540 then
        chi2, bins, e, o = chi2 + (o - e) ^ 2 / e, bins + 1, 0, 0
      end
    end
    chi2, bins = chi2 + (o - e) ^ 2 / e, bins + 1
    local dof = bins - 1
    assert(chi2 < dof + 5 * math.sqrt(2 * dof), string.format("chi2 %.1f on %d dof", chi2, dof))
  end)

  it("bernoulli and binomial(1, p) with a tensor p", function()
    gd.seed(109)
    local p = gd.rand(N)
    local sd = math.sqrt((p * (1 - p)):sum():item())
    within4(gd.bernoulli(p):sum():item(), p:sum():item(), sd, "bernoulli total")
    within4(gd.binomial(1, p):sum():item(), p:sum():item(), sd, "binomial total")
    local logits = gd.randn(N)
    local q = gd.sigmoid(logits)
    within4(gd.binomial(1, q):sum():item(), q:sum():item(),
            math.sqrt((q * (1 - q)):sum():item()), "binomial(1, sigmoid)")
    within4(gd.bernoulli(0.2, N):mean():item(), 0.2, math.sqrt(0.16 / N), "bernoulli(0.2)")
  end)

  it("randint covers both ends evenly (chi-square)", function()
    gd.seed(110)
    local x = gd.randint(-2, 3, 60000)
    assert.equal(-2, x:min():item())
    assert.equal(3, x:max():item())
    local chi2 = 0
    for k = -2, 3 do chi2 = chi2 + (x:eq(k):sum():item() - 10000) ^ 2 / 10000 end
    assert(chi2 < 25, "chi2 = " .. chi2)                               -- 5 dof: p < 2e-4
    local y = gd.randint(1, 2 ^ 40, 10000)                              -- wide ranges too
    within4(y:mean():item(), (1 + 2 ^ 40) / 2, 2 ^ 40 / math.sqrt(12 * 10000), "wide mean")
  end)

  it("randperm is a permutation, every position uniform", function()
    gd.seed(111)
    local p = gd.randperm(1000):totable()
    local seen = {}
    for _, v in ipairs(p) do
      assert.equal("float", math.type(v))
      assert.is_nil(seen[v])
      seen[v] = true
    end
    for i = 1, 1000 do assert.is_true(seen[i]) end
    local first = {}                                                    -- 6000 perms of 3
    for _ = 1, 6000 do
      local t = gd.randperm(3):totable()
      local key = t[1] * 100 + t[2] * 10 + t[3]
      first[key] = (first[key] or 0) + 1
    end
    local chi2, n = 0, 0
    for _, c in pairs(first) do chi2, n = chi2 + (c - 1000) ^ 2 / 1000, n + 1 end
    assert.equal(6, n)
    assert(chi2 < 25, "chi2 = " .. chi2)
  end)
end)
