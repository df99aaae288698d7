-- dist_spec.lua: gd.dist (log_prob, cdf, entropy against closed forms;
-- gradients by gradcheck; sample moments within 4 standard errors over 1e6
-- draws) and the draws gd.gamma / gd.poisson it samples with.
local u = require "tests.helpers.util"
local close = u.close
local D = gd.dist

local LOG2PI = math.log(2 * math.pi)
local EULER = 0.57721566490153286061
local N = 1000000

local function lfact(k)
  local s = 0
  for i = 2, k do s = s + math.log(i) end
  return s
end

-- The sample's mean and variance within 4 standard errors of the truth; the
-- variance's standard error is estimated from the squared deviations.
local function moments(x, mean, var, msg)
  local n = x:numel()
  local m = x:mean():item()
  local tol = 4 * math.sqrt(var / n)
  assert(math.abs(m - mean) <= tol, string.format("%s: mean %.6g vs %.6g (4 se = %.3g)", msg, m, mean, tol))
  local d2 = (x - mean) ^ 2
  local v = d2:mean():item()
  local se = d2:std():item() / math.sqrt(n)
  assert(math.abs(v - var) <= 4 * se, string.format("%s: variance %.6g vs %.6g (4 se = %.3g)", msg, v, var, 4 * se))
end

describe("gd.dist log_prob against closed forms", function()
  it("Normal", function()
    local d = D.Normal(1.5, 2)
    close(d:log_prob(0.3):item(), -0.5 * ((0.3 - 1.5) / 2) ^ 2 - math.log(2) - 0.5 * LOG2PI, 1e-14)
    local lp = D.Normal(gd.tensor{ 0, 1 }, gd.tensor{ { 1 }, { 3 } }):log_prob(2)
    assert.same({ 2, 2 }, lp.shape)
    close(lp:at(2, 2), -0.5 * (1 / 3) ^ 2 - math.log(3) - 0.5 * LOG2PI, 1e-14)
  end)
  it("Bernoulli and Binomial", function()
    close(D.Bernoulli(0.3):log_prob(gd.tensor{ 1, 0 }), { math.log(0.3), math.log(0.7) }, 1e-15)
    local want = math.log(120) + 3 * math.log(0.4) + 7 * math.log(0.6)   -- C(10, 3) = 120
    close(D.Binomial(10, 0.4):log_prob(3):item(), want, 1e-13)
  end)
  it("Poisson", function()
    close(D.Poisson(3.5):log_prob(4):item(), 4 * math.log(3.5) - 3.5 - math.log(24), 1e-14)
    close(D.Poisson(200):log_prob(190):item(), 190 * math.log(200) - 200 - lfact(190), 1e-11)
  end)
  it("Categorical normalizes probs and takes labels 1..k", function()
    local d = D.Categorical{ 2, 3, 5 }
    close(d:log_prob(gd.tensor{ 3, 1 }), { math.log(0.5), math.log(0.2) }, 1e-15)
    local b = D.Categorical{ { 0.5, 0.5 }, { 0.9, 0.1 } }
    close(b:log_prob(gd.tensor{ 2, 2 }), { math.log(0.5), math.log(0.1) }, 1e-15)
  end)
  it("Gamma, Beta, Exponential, Uniform", function()
    -- Gamma(3, 2) at 1.5: 2³ 1.5² e^-3 / Γ(3)
    close(D.Gamma(3, 2):log_prob(1.5):item(), math.log(8 * 2.25 * math.exp(-3) / 2), 1e-14)
    -- Beta(2, 3) at 0.25: 0.25 · 0.75² / B(2, 3), B(2, 3) = 1/12
    close(D.Beta(2, 3):log_prob(0.25):item(), math.log(12 * 0.25 * 0.75 ^ 2), 1e-14)
    close(D.Gamma(3, 2):log_prob(gd.tensor{ -1, 0 }), { -math.huge, -math.huge }, 0)
    close(D.Beta(2, 3):log_prob(gd.tensor{ -0.5, 1, 1.5 }), { -math.huge, -math.huge, -math.huge }, 0)
    close(D.Exponential(2):log_prob(gd.tensor{ 0.5, -1 }), { math.log(2) - 1, -math.huge }, 1e-15)
    close(D.Uniform(-1, 3):log_prob(gd.tensor{ 0, 3, -2 }), { -math.log(4), -math.huge, -math.huge }, 1e-15)
  end)
  it("MultivariateNormal from cov or scale_tril", function()
    -- Σ = [[2, .5], [.5, 1]]: det 1.75, Σ⁻¹ = [[1, -.5], [-.5, 2]] / 1.75
    local d = D.MultivariateNormal({ 0, 0 }, { cov = { { 2, 0.5 }, { 0.5, 1 } } })
    local lp = d:log_prob(gd.tensor{ { 1, 1 }, { 0, 2 } })
    close(lp, { -0.5 * 2 / 1.75 - 0.5 * math.log(1.75) - LOG2PI,
                -0.5 * 8 / 1.75 - 0.5 * math.log(1.75) - LOG2PI }, 1e-13)
    local L = gd.cholesky(gd.tensor{ { 2, 0.5 }, { 0.5, 1 } })
    local e = D.MultivariateNormal({ 0, 0 }, { scale_tril = L })
    close(e:log_prob(gd.tensor{ 1, 1 }):item(), lp:at(1), 1e-13)
    close(e:covariance(), { { 2, 0.5 }, { 0.5, 1 } }, 1e-14)
  end)
end)

describe("gd.dist mean, variance, cdf, entropy", function()
  it("closed forms", function()
    local n = D.Normal(1, 2)
    close(n:cdf(1):item(), 0.5, 1e-16)
    close(n:cdf(1 + 2 * 1.959963984540054):item(), 0.975, 1e-15)
    close(n:entropy():item(), 0.5 * math.log(2 * math.pi * math.exp(1) * 4), 1e-14)
    close(D.Exponential(2):cdf(gd.tensor{ -1, 0.5 }), { 0, 1 - math.exp(-1) }, 1e-15)
    close(D.Exponential(2):entropy():item(), 1 - math.log(2), 1e-15)
    close(D.Uniform(1, 5):cdf(gd.tensor{ 0, 2, 6 }), { 0, 0.25, 1 }, 1e-15)
    close(D.Uniform(1, 5):entropy():item(), math.log(4), 1e-15)
    close(D.Bernoulli(0.3):cdf(gd.tensor{ -0.5, 0, 0.5, 1 }), { 0, 0.7, 0.7, 1 }, 1e-15)
    close(D.Bernoulli(0.3):entropy():item(), -(0.3 * math.log(0.3) + 0.7 * math.log(0.7)), 1e-15)
    local c = D.Categorical{ 0.2, 0.3, 0.5 }
    close(c:cdf(gd.tensor{ 1, 2, 3 }), { 0.2, 0.5, 1 }, 1e-15)
    close(c:mean():item(), 0.2 + 0.6 + 1.5, 1e-15)
    close(c:variance():item(), 0.2 + 1.2 + 4.5 - 2.3 ^ 2, 1e-14)
    close(c:entropy():item(), -(0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.5 * math.log(0.5)), 1e-15)
    close(D.Gamma(2, 1):entropy():item(), 1 + EULER, 1e-14)          -- 2 + lgamma 2 − ψ(2)
    close(D.Gamma(1, 3):entropy():item(), 1 - math.log(3), 1e-14)    -- = Exponential(3)
    close(D.Beta(1, 1):entropy():item(), 0, 1e-14)
    close(D.Beta(2, 2):entropy():item(), 5 / 3 - math.log(6), 1e-14)
    local mv = D.MultivariateNormal({ 0, 0 }, { cov = { { 2, 0.5 }, { 0.5, 1 } } })
    close(mv:entropy():item(), 0.5 * math.log((2 * math.pi * math.exp(1)) ^ 2 * 1.75), 1e-14)
    close(mv:variance(), { 2, 1 }, 1e-14)
  end)
  it("Binomial and Poisson entropies equal their pmf sums", function()
    local h, n, p = 0, 12, 0.35
    for k = 0, n do
      local lp = lfact(n) - lfact(k) - lfact(n - k) + k * math.log(p) + (n - k) * math.log(1 - p)
      h = h - math.exp(lp) * lp
    end
    close(D.Binomial(n, p):entropy():item(), h, 1e-13)
    local lam, hp, pk = 6.5, 0, math.exp(-6.5)
    for k = 0, 200 do
      if pk > 0 then hp = hp - pk * math.log(pk) end
      pk = pk * lam / (k + 1)
    end
    close(D.Poisson(lam):entropy():item(), hp, 1e-13)
  end)
  it("means and variances", function()
    close(D.Binomial(10, 0.4):mean():item(), 4, 1e-15)
    close(D.Binomial(10, 0.4):variance():item(), 2.4, 1e-14)
    close(D.Gamma(3, 2):mean():item(), 1.5, 1e-15)
    close(D.Gamma(3, 2):variance():item(), 0.75, 1e-15)
    close(D.Beta(2, 3):mean():item(), 0.4, 1e-15)
    close(D.Beta(2, 3):variance():item(), 6 / (25 * 6), 1e-15)
    close(D.Uniform(1, 5):variance():item(), 16 / 12, 1e-15)
  end)
  it("probabilities of 0 and 1 give finite masses and entropies (0 log 0 = 0)", function()
    close(D.Categorical{ 0.5, 0.5, 0 }:log_prob(gd.tensor{ 1, 3 }), { math.log(0.5), -math.huge }, 1e-15)
    close(D.Categorical{ 0.5, 0.5, 0 }:entropy():item(), math.log(2), 1e-15)
    close(D.Bernoulli(gd.tensor{ 0, 1 }):log_prob(gd.tensor{ 0, 1 }), { 0, 0 }, 0)
    close(D.Bernoulli(0):entropy():item(), 0, 0)
    close(D.Binomial(3, 1):log_prob(3):item(), 0, 1e-15)
    close(D.Binomial(3, 0):entropy():item(), 0, 0)
    close(D.Poisson(0):log_prob(gd.tensor{ 0, 2 }), { 0, -math.huge }, 0)
  end)
  it("cdf without a closed form is an error naming the distribution", function()
    u.errors(function() D.Gamma(2, 1):cdf(1) end, "gd.dist.Gamma:cdf", "no closed form")
  end)
end)

describe("gd.dist gradients (gradcheck)", function()
  local function ok(f, inputs)
    local ts = {}
    for i, v in ipairs(inputs) do ts[i] = gd.tensor(v) end
    local good, report = gd.gradcheck(f, ts)
    assert(good, tostring(report))
  end
  it("Normal in mu, sigma and x", function()
    ok(function(m, s, x) return D.Normal(m, s):log_prob(x) end, { { 0.3, -1 }, { 1.5, 0.7 }, { { 0.2, 1.1 }, { -0.4, 2 } } })
    ok(function(m, s, x) return D.Normal(m, s):cdf(x) + D.Normal(m, s):entropy() end, { { 0.3 }, { 1.5 }, { 0.9 } })
  end)
  it("Gamma and Beta in their parameters and x, entropies too", function()
    ok(function(a, b, x) return D.Gamma(a, b):log_prob(x) end, { { 2.5, 0.7 }, { 1.3, 2 }, { 0.8, 1.9 } })
    ok(function(a, b) return D.Gamma(a, b):entropy() end, { { 2.5, 0.7 }, { 1.3, 2 } })
    ok(function(a, b, x) return D.Beta(a, b):log_prob(x) end, { { 2.5, 0.7 }, { 1.3, 2 }, { 0.3, 0.6 } })
    ok(function(a, b) return D.Beta(a, b):entropy() end, { { 2.5, 0.7 }, { 1.3, 2 } })
  end)
  it("Bernoulli, Binomial, Poisson, Categorical in their parameters", function()
    ok(function(p) return D.Bernoulli(p):log_prob(gd.tensor{ 1, 0 }) end, { { 0.3, 0.6 } })
    ok(function(p, x) return D.Binomial(7, p):log_prob(x) end, { { 0.3, 0.6 }, { 2, 5 } })
    ok(function(r, x) return D.Poisson(r):log_prob(x) end, { { 3.2, 0.6 }, { 2, 1 } })
    ok(function(p) return D.Categorical(p):log_prob(gd.tensor{ 1, 3, 3 }) end, { { 0.4, 1.1, 0.5 } })
    ok(function(r) return D.Exponential(r):log_prob(gd.tensor{ 0.5, 2 }) + D.Exponential(r):cdf(1) end, { { 0.7, 1.6 } })
    ok(function(a, b) return D.Uniform(a, b):log_prob(0.5) + D.Uniform(a, b):cdf(0.7) end, { { 0.1 }, { 1.3 } })
  end)
  it("MultivariateNormal in mean, cov (as A Aᵀ + I), scale_tril and x", function()
    ok(function(m, a, x)
      return D.MultivariateNormal(m, { cov = a:matmul(a.T) + gd.eye(2) }):log_prob(x)
    end, { { 0.3, -0.2 }, { { 1, 0.4 }, { -0.3, 0.8 } }, { { 1, 0.5 }, { -0.7, 0.2 } } })
    local lower = gd.tensor{ { 1, 0 }, { 1, 1 } }
    ok(function(m, b) return D.MultivariateNormal(m, { scale_tril = b * lower + gd.eye(2) }):log_prob(gd.tensor{ 1, 2 }) end,
      { { 0.3, -0.2 }, { { 0.5, 0 }, { 0.4, 0.8 } } })
  end)
  it("log_prob(x):sum() is a log-likelihood a tape maximizes", function()
    local x = gd.tensor{ 1, 2, 4, 5 }
    local mu, sigma = gd.Variable(0.0), gd.Variable(1.0)
    local dmu, dsig = gd.grad(function(m, s) return D.Normal(m, s):log_prob(x):sum() end, { argnums = { 1, 2 } })(mu, sigma)
    -- ∂/∂μ = Σ(x − μ)/σ², ∂/∂σ = −n/σ + Σ(x − μ)²/σ³
    close(dmu:item(), 12, 1e-13)
    close(dsig:item(), -4 + 46, 1e-12)
  end)
end)

describe("gd.dist sampling", function()
  it("same seed, same draws", function()
    for _, d in ipairs{ D.Normal(0, 1), D.Gamma(0.5, 1), D.Poisson(30), D.Beta(2, 3), D.Categorical{ 1, 2 } } do
      gd.seed(11); local a = d:sample(50)
      gd.seed(11); local b = d:sample(50)
      close(a, b, 0)
    end
  end)
  it("sample shapes are shape .. batch_shape", function()
    assert.same({ 4, 3, 3, 2 }, D.Normal(gd.zeros(3, 1), gd.ones(2)):sample{ 4, 3 }.shape)
    assert.same({ 5, 2 }, D.Categorical{ { 1, 1, 1 }, { 1, 2, 3 } }:sample(5).shape)
    assert.same({ 6, 2 }, D.MultivariateNormal({ 0, 0 }, { cov = gd.eye(2) }):sample(6).shape)
    assert.same({}, D.Poisson(2):sample().shape)
    assert.same({ 0 }, D.Gamma(2, 1):sample(0).shape)
  end)
  it("moments within 4 standard errors over 1e6 draws", function()
    gd.seed(2024)
    local cases = {
      { "Normal", D.Normal(1.5, 2), 1.5, 4 },
      { "Bernoulli", D.Bernoulli(0.3), 0.3, 0.21 },
      { "Binomial", D.Binomial(20, 0.35), 7, 20 * 0.35 * 0.65 },
      { "Poisson small", D.Poisson(3.5), 3.5, 3.5 },
      { "Poisson large", D.Poisson(250), 250, 250 },
      { "Categorical", D.Categorical{ 0.2, 0.3, 0.5 }, 2.3, 0.2 + 1.2 + 4.5 - 2.3 ^ 2 },
      { "Gamma a < 1", D.Gamma(0.4, 2), 0.2, 0.1 },
      { "Gamma", D.Gamma(5, 0.5), 10, 20 },
      { "Beta", D.Beta(2, 3), 0.4, 0.04 },
      { "Exponential", D.Exponential(4), 0.25, 1 / 16 },
      { "Uniform", D.Uniform(-1, 3), 1, 16 / 12 },
    }
    for _, c in ipairs(cases) do moments(c[2]:sample(N), c[3], c[4], c[1]) end
  end)
  it("MultivariateNormal draws have the mean and covariance", function()
    gd.seed(5)
    local d = D.MultivariateNormal({ 1, -2 }, { cov = { { 2, 0.6 }, { 0.6, 1 } } })
    local x = d:sample(N)
    moments(x:select(2, 1), 1, 2, "x1")
    moments(x:select(2, 2), -2, 1, "x2")
    local prod = (x:select(2, 1) - 1) * (x:select(2, 2) + 2)
    local se = prod:std():item() / math.sqrt(N)
    assert(math.abs(prod:mean():item() - 0.6) <= 4 * se, "covariance " .. prod:mean():item())
  end)
  it("gd.gamma and gd.poisson streams are fixed for a seed (golden values, any machine)", function()
    -- every draw uses + - * / sqrt and rng.c's own log/exp, so these never change
    gd.seed(42)
    close(gd.gamma(gd.tensor{ 0.5, 2.5, 40 }), { 0.31523795152958128, 3.85648305735049, 44.652487852961528 }, 0)
    gd.seed(42)
    close(gd.poisson(gd.tensor{ 0.7, 9, 300 }), { 0, 8, 295 }, 0)
  end)
  it("gd.gamma and gd.poisson check their parameters", function()
    u.errors(function() gd.gamma(-1, 3) end, "gd.gamma", "alpha = -1")
    u.errors(function() gd.poisson(gd.tensor{ 1, -2 }) end, "gd.poisson", "lam = -2")
    u.errors(function() gd.poisson(gd.tensor{ 1, 2 }, { 3 }) end, "gd.poisson", "does not broadcast")
    local g = gd.Generator(3)
    local a = g:gamma(2, { 4 })
    g:seed(3)
    close(g:gamma(2, { 4 }), a, 0)
  end)
end)

describe("gd.dist checks its arguments", function()
  it("names the function and the parameter", function()
    u.errors(function() D.Normal(0, -1) end, "gd.dist.Normal", "sigma", "-1")
    u.errors(function() D.Normal(0, 0) end, "gd.dist.Normal", "sigma")
    u.errors(function() D.Normal("a", 1) end, "gd.dist.Normal", "mu")
    u.errors(function() D.Bernoulli(1.5) end, "gd.dist.Bernoulli", "p must be in [0, 1]", "1.5")
    u.errors(function() D.Binomial(2.5, 0.3) end, "gd.dist.Binomial", "n")
    u.errors(function() D.Binomial(3, gd.tensor{ 0.2, -0.1 }) end, "gd.dist.Binomial", "p", "-0.1")
    u.errors(function() D.Poisson(-2) end, "gd.dist.Poisson", "rate")
    u.errors(function() D.Gamma(0, 1) end, "gd.dist.Gamma", "alpha")
    u.errors(function() D.Beta(1, -3) end, "gd.dist.Beta", "b")
    u.errors(function() D.Uniform(2, 1) end, "gd.dist.Uniform", "high - low")
    u.errors(function() D.Categorical{ -1, 2 } end, "gd.dist.Categorical", "probs")
    u.errors(function() D.Categorical{ 1, 2 }:log_prob(3) end, "gd.data.one_hot", "label 3 > k = 2")
    u.errors(function() D.Normal(gd.zeros(3), gd.ones(2)) end, "gd.dist.Normal", "{3} and {2} do not broadcast")
    u.errors(function() D.Normal(0, 1):sample{ -2 } end, "gd.dist.Normal:sample", "shape[1]")
  end)
  it("MultivariateNormal checks cov and scale_tril", function()
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { cov = { { 1, 2 }, { 2, 1 } } }) end, "not positive definite")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { cov = { { 1, 0.5 }, { 0, 1 } } }) end, "symmetric")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { cov = gd.eye(3) }) end, "cov must be 2x2")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { scale_tril = { { 1, 1 }, { 0, 1 } } }) end, "lower triangular")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { scale_tril = { { 1, 0 }, { 0, -1 } } }) end, "diagonal")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, {}) end, "exactly one of cov and scale_tril")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { covariance = gd.eye(2) }) end, "unknown option 'covariance'")
    u.errors(function() D.MultivariateNormal({ 0, 0 }, { cov = gd.eye(2) }):log_prob(gd.ones(3)) end,
      "MultivariateNormal:log_prob", "last dim of 2")
  end)
  it("help() knows every constructor", function()
    for _, name in ipairs{ "Normal", "Bernoulli", "Binomial", "Poisson", "Categorical", "Gamma", "Beta",
                           "Exponential", "Uniform", "MultivariateNormal" } do
      assert(gd._docs[D[name]], name)
    end
  end)
end)
