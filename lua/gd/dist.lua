-- gd.dist: probability distributions with torch.distributions' interface.
--
-- Each constructor (gd.dist.Normal(mu, sigma), ...) checks its parameters
-- and returns an object with log_prob(x), sample(shape), mean(), variance(),
-- entropy() and, where it has a closed form, cdf(x).  Parameters may be
-- numbers, tables, tensors or Variables; log_prob, mean, variance, entropy
-- and cdf are built from recording ops, so a tape differentiates them in the
-- parameters and in x (gd.dist.Normal(mu, sigma):log_prob(x):sum() is a
-- log-likelihood).  sample(shape) draws from gd's default generator (so
-- gd.seed makes it repeatable), not differentiably, with shape
-- shape .. batch_shape, where batch_shape is the parameters' broadcast shape.
--
-- Not here: the draws themselves (src/rng*.c: gd.gamma, gd.poisson,
-- gd.binomial), the special functions (gd.lgamma, gd.digamma, gd.erfc).
local gd = require "gd"
local check = require "gd.check"

local M = {}

local LOG_2PI = math.log(2 * math.pi)

-- ---- argument helpers ------------------------------------------------------

local function tensor(fname, what, v)
  if type(v) == "userdata" then return v end
  if type(v) == "number" or type(v) == "table" then return gd.tensor(v) end
  check.fail(fname, "%s: number or tensor expected, got %s", what, check.show(v))
end

local function shape_str(s) return "{" .. table.concat(s, ",") .. "}" end

-- numpy's broadcast of two shapes (tables), or an error naming both.
local function broadcast(fname, a, b)
  local n, out = math.max(#a, #b), {}
  for i = 1, n do
    local x, y = a[#a - n + i] or 1, b[#b - n + i] or 1
    if x ~= y and x ~= 1 and y ~= 1 then
      check.fail(fname, "shapes %s and %s do not broadcast", shape_str(a), shape_str(b))
    end
    out[i] = x == 1 and y or x
  end
  return out
end

-- Check every element of t with ok(min, max) over t's values (no tape).
local function check_range(fname, what, t, lo, hi, lo_open)
  if t:numel() == 0 then return t end
  local _ <close> = gd.no_grad()
  local mn, mx = t:min():item(), t:max():item()
  local bad_lo = lo and (lo_open and not (mn > lo) or not (mn >= lo))
  local bad_hi = hi and not (mx <= hi)
  if bad_lo or bad_hi or mn ~= mn or mx ~= mx then
    local interval = string.format("%s%s, %s]", lo_open and "(" or "[", lo and check.show(lo) or "-inf",
      hi and check.show(hi) or "inf")
    if mn == mx then check.fail(fname, "%s must be in %s, got %s", what, interval, check.show(mn)) end
    check.fail(fname, "%s must be in %s, got values in [%s, %s]", what, interval, check.show(mn), check.show(mx))
  end
  return t
end

-- A sample shape: nil → {}, a number n → {n}, or a table of sizes.
local function sample_shape(fname, s)
  if s == nil then return {} end
  if type(s) == "number" then s = { s } end
  if type(s) ~= "table" then check.fail(fname, "argument 1: shape table expected, got %s", check.show(s)) end
  local out = {}
  for i, v in ipairs(s) do out[i] = check.integer(fname, "shape[" .. i .. "]", v, 0) end
  return out
end

local function concat(a, b)
  local out = {}
  for _, v in ipairs(a) do out[#out + 1] = v end
  for _, v in ipairs(b) do out[#out + 1] = v end
  return out
end

-- ---- the common methods -------------------------------------------------------

local Base = {}
Base.__index = Base

-- A class: its methods fall back on Base; instances print as gd.dist.Name(...).
local function class(name, params)
  local c = setmetatable({}, { __index = Base })
  c.__index = c
  c.__name = "gd.dist." .. name
  c._params = params
  c.__tostring = function(self)
    local parts = {}
    for _, p in ipairs(params) do parts[#parts + 1] = p .. " = " .. tostring(self[p]):gsub("\n%s*", " ") end
    return c.__name .. "(" .. table.concat(parts, ", ") .. ")"
  end
  return c
end

--- d:sample([shape]): draws of shape shape .. d.batch_shape from gd's generator (not differentiable)
function Base:sample(shape)
  local fname = getmetatable(self).__name .. ":sample"
  local full = concat(sample_shape(fname, shape), self.batch_shape)
  local _ <close> = gd.no_grad()
  return self:_draw(full)
end

--- d:cdf(x): P(X <= x) where it has a closed form
function Base:cdf()
  check.fail(getmetatable(self).__name .. ":cdf", "no closed form for this distribution")
end

-- Build an instance of class c with tensor parameters (already checked).
local function new(c, fields, shapes)
  local fname = c.__name
  local bs = {}
  for _, s in ipairs(shapes) do bs = broadcast(fname, bs, s) end
  fields.batch_shape = bs
  return setmetatable(fields, c)
end

-- x·log y with 0·log 0 = 0 (scipy's xlogy), so a probability of 0 or 1 gives
-- finite masses and entropies; elsewhere the product itself, with its gradient.
local function xlogy(x, y)
  local zero = x:eq(0) * y:eq(0)
  return x * gd.log(gd.where(zero, 1, y))
end

-- -Σ_k p_k log p_k over the support points k (a 1-D tensor), for d's batch.
local function support_entropy(d, k)
  local shape = { k:numel() }
  for _ = 1, #d.batch_shape do shape[#shape + 1] = 1 end
  local lp = d:log_prob(k:reshape(shape))
  return -xlogy(gd.exp(lp), gd.exp(lp)):sum(1)
end

-- ---- Normal ---------------------------------------------------------------------

local Normal = class("Normal", { "mu", "sigma" })

--- gd.dist.Normal(mu, sigma): the normal distribution N(mu, sigma²), sigma > 0
function M.Normal(mu, sigma)
  local f = "gd.dist.Normal"
  mu = check_range(f, "mu", tensor(f, "argument 1 (mu)", mu))
  sigma = check_range(f, "sigma", tensor(f, "argument 2 (sigma)", sigma), 0, nil, true)
  return new(Normal, { mu = mu, sigma = sigma }, { mu.shape, sigma.shape })
end

function Normal:log_prob(x)
  local z = (x - self.mu) / self.sigma
  return -0.5 * z ^ 2 - gd.log(self.sigma) - 0.5 * LOG_2PI
end
function Normal:_draw(s) return self.mu + self.sigma * gd.randn(s) end
function Normal:mean() return self.mu + 0 * self.sigma end
function Normal:variance() return self.sigma ^ 2 + 0 * self.mu end
function Normal:cdf(x) return 0.5 * gd.erfc((self.mu - x) / (self.sigma * math.sqrt(2))) end
function Normal:entropy() return gd.log(self.sigma) + 0.5 * (1 + LOG_2PI) + 0 * self.mu end

-- ---- Bernoulli and Binomial -------------------------------------------------------

local Bernoulli = class("Bernoulli", { "p" })

--- gd.dist.Bernoulli(p): 1 with probability p, else 0; p in [0, 1]
function M.Bernoulli(p)
  local f = "gd.dist.Bernoulli"
  p = check_range(f, "p", tensor(f, "argument 1 (p)", p), 0, 1)
  return new(Bernoulli, { p = p }, { p.shape })
end

function Bernoulli:log_prob(x) return xlogy(x, self.p) + xlogy(1 - x, 1 - self.p) end
function Bernoulli:_draw(s) return gd.bernoulli(self.p, s) end
function Bernoulli:mean() return self.p * 1 end
function Bernoulli:variance() return self.p * (1 - self.p) end
function Bernoulli:cdf(x)
  return gd.where(x:lt(0), 0, gd.where(x:lt(1), 1 - self.p, 1 + 0 * self.p))
end
function Bernoulli:entropy()
  local p = self.p
  return -(xlogy(p, p) + xlogy(1 - p, 1 - p))
end

local Binomial = class("Binomial", { "n", "p" })

--- gd.dist.Binomial(n, p): successes in n trials of probability p; n an integer >= 0
function M.Binomial(n, p)
  local f = "gd.dist.Binomial"
  n = check.integer(f, "argument 1 (n)", n, 0)
  p = check_range(f, "p", tensor(f, "argument 2 (p)", p), 0, 1)
  return new(Binomial, { n = n, p = p }, { p.shape })
end

function Binomial:log_prob(x)
  local n, p = self.n, self.p
  return gd.lgamma(n + 1 + 0 * x) - gd.lgamma(x + 1) - gd.lgamma(n - x + 1)
    + xlogy(x, p) + xlogy(n - x, 1 - p)
end
function Binomial:_draw(s) return gd.binomial(self.n, self.p, s) end
function Binomial:mean() return self.n * self.p end
function Binomial:variance() return self.n * self.p * (1 - self.p) end
function Binomial:entropy() return support_entropy(self, gd.arange(0, self.n + 1)) end

-- ---- Poisson ---------------------------------------------------------------------------

local Poisson = class("Poisson", { "rate" })

--- gd.dist.Poisson(rate): counts with mean rate >= 0
function M.Poisson(rate)
  local f = "gd.dist.Poisson"
  rate = check_range(f, "rate", tensor(f, "argument 1 (rate)", rate), 0)
  return new(Poisson, { rate = rate }, { rate.shape })
end

function Poisson:log_prob(x) return xlogy(x, self.rate) - self.rate - gd.lgamma(x + 1) end
function Poisson:_draw(s) return gd.poisson(self.rate, s) end
function Poisson:mean() return self.rate * 1 end
function Poisson:variance() return self.rate * 1 end
--- d:entropy() of a Poisson: the sum over k up to rate + 12·√rate + 30 (the tail beyond is below 1e-16)
function Poisson:entropy()
  local top
  do
    local _ <close> = gd.no_grad()
    top = self.rate:numel() > 0 and self.rate:max():item() or 0
  end
  return support_entropy(self, gd.arange(0, math.ceil(top + 12 * math.sqrt(top) + 30)))
end

-- ---- Categorical -----------------------------------------------------------------------

local Categorical = class("Categorical", { "probs" })

--- gd.dist.Categorical(probs): labels 1..k with probabilities probs (last dim k, rows normalized)
function M.Categorical(probs)
  local f = "gd.dist.Categorical"
  probs = check_range(f, "probs", tensor(f, "argument 1 (probs)", probs), 0)
  if probs.ndim == 0 or probs.shape[probs.ndim] == 0 then
    check.fail(f, "probs needs a last dim of at least one category, got shape %s", shape_str(probs.shape))
  end
  local total = probs:sum(-1, true)
  check_range(f, "the sum of probs over the last dim", total, 0, nil, true)
  local shape = probs.shape
  local k = table.remove(shape)
  return new(Categorical, { probs = probs / total, k = k }, { shape })
end

function Categorical:log_prob(x)
  local fname = "gd.dist.Categorical:log_prob"
  local oh = require("gd.data").one_hot(x, self.k)
  local ok, lp = pcall(function() return xlogy(oh, self.probs):sum(-1) end)
  if not ok then check.fail(fname, "labels of shape %s do not broadcast with probs of shape %s",
    shape_str(x.shape), shape_str(self.probs.shape)) end
  return lp
end
function Categorical:_draw(s)
  local k = self.k
  local tri = {}
  for i = 1, k do
    tri[i] = {}
    for j = 1, k do tri[i][j] = i <= j and 1 or 0 end
  end
  local cdf = self.probs:matmul(gd.tensor(tri))
  local u = gd.rand(concat(s, { 1 }))
  return gd.minimum(u:gt(cdf):sum(-1) + 1, k)
end
local function labels(k) return gd.arange(1, k + 1) end
function Categorical:mean() return (self.probs * labels(self.k)):sum(-1) end
function Categorical:variance()
  local m = self:mean()
  return (self.probs * labels(self.k) ^ 2):sum(-1) - m ^ 2
end
function Categorical:cdf(x)
  return (self.probs * labels(self.k):le(x:unsqueeze(-1))):sum(-1)
end
function Categorical:entropy() return -xlogy(self.probs, self.probs):sum(-1) end

-- ---- Gamma, Beta, Exponential ------------------------------------------------------------

local Gamma = class("Gamma", { "alpha", "rate" })

--- gd.dist.Gamma(alpha, rate): density β^α x^(α−1) e^(−βx) / Γ(α) on x > 0; alpha, rate > 0
function M.Gamma(alpha, rate)
  local f = "gd.dist.Gamma"
  alpha = check_range(f, "alpha", tensor(f, "argument 1 (alpha)", alpha), 0, nil, true)
  rate = check_range(f, "rate", tensor(f, "argument 2 (rate)", rate == nil and 1 or rate), 0, nil, true)
  return new(Gamma, { alpha = alpha, rate = rate }, { alpha.shape, rate.shape })
end

function Gamma:log_prob(x)
  local a, b = self.alpha, self.rate
  return gd.where(x:gt(0), a * gd.log(b) + (a - 1) * gd.log(x) - b * x - gd.lgamma(a), -math.huge)
end
function Gamma:_draw(s) return gd.gamma(self.alpha, s) / self.rate end
function Gamma:mean() return self.alpha / self.rate end
function Gamma:variance() return self.alpha / self.rate ^ 2 end
function Gamma:entropy()
  local a = self.alpha
  return a - gd.log(self.rate) + gd.lgamma(a) + (1 - a) * gd.digamma(a)
end

local Beta = class("Beta", { "a", "b" })

--- gd.dist.Beta(a, b): density x^(a−1) (1−x)^(b−1) / B(a, b) on (0, 1); a, b > 0
function M.Beta(a, b)
  local f = "gd.dist.Beta"
  a = check_range(f, "a", tensor(f, "argument 1 (a)", a), 0, nil, true)
  b = check_range(f, "b", tensor(f, "argument 2 (b)", b), 0, nil, true)
  return new(Beta, { a = a, b = b }, { a.shape, b.shape })
end

local function log_beta(a, b) return gd.lgamma(a) + gd.lgamma(b) - gd.lgamma(a + b) end
function Beta:log_prob(x)
  local a, b = self.a, self.b
  local inside = x:gt(0) * x:lt(1)
  return gd.where(inside, (a - 1) * gd.log(x) + (b - 1) * gd.log(1 - x) - log_beta(a, b), -math.huge)
end
function Beta:_draw(s)
  local x, y = gd.gamma(self.a + 0 * self.b, s), gd.gamma(self.b + 0 * self.a, s)
  return x / (x + y)
end
function Beta:mean() return self.a / (self.a + self.b) end
function Beta:variance()
  local a, b = self.a, self.b
  return a * b / ((a + b) ^ 2 * (a + b + 1))
end
function Beta:entropy()
  local a, b = self.a, self.b
  return log_beta(a, b) - (a - 1) * gd.digamma(a) - (b - 1) * gd.digamma(b)
    + (a + b - 2) * gd.digamma(a + b)
end

local Exponential = class("Exponential", { "rate" })

--- gd.dist.Exponential(rate): density λ e^(−λx) on x >= 0; rate > 0
function M.Exponential(rate)
  local f = "gd.dist.Exponential"
  rate = check_range(f, "rate", tensor(f, "argument 1 (rate)", rate), 0, nil, true)
  return new(Exponential, { rate = rate }, { rate.shape })
end

function Exponential:log_prob(x)
  return gd.where(x:lt(0), -math.huge, gd.log(self.rate) - self.rate * x)
end
function Exponential:_draw(s) return -gd.log1p(-gd.rand(s)) / self.rate end
function Exponential:mean() return 1 / self.rate end
function Exponential:variance() return 1 / self.rate ^ 2 end
function Exponential:cdf(x) return gd.where(x:lt(0), 0, -gd.expm1(-self.rate * x)) end
function Exponential:entropy() return 1 - gd.log(self.rate) end

-- ---- Uniform -------------------------------------------------------------------------------

local Uniform = class("Uniform", { "low", "high" })

--- gd.dist.Uniform(low, high): uniform on [low, high), low < high
function M.Uniform(low, high)
  local f = "gd.dist.Uniform"
  low = check_range(f, "low", tensor(f, "argument 1 (low)", low))
  high = check_range(f, "high", tensor(f, "argument 2 (high)", high))
  local bs = broadcast(f, low.shape, high.shape)
  check_range(f, "high - low", high - low, 0, nil, true)
  return new(Uniform, { low = low, high = high }, { bs })
end

function Uniform:log_prob(x)
  local inside = x:ge(self.low) * x:lt(self.high)
  return gd.where(inside, -gd.log(self.high - self.low) + 0 * x, -math.huge)
end
function Uniform:_draw(s) return self.low + (self.high - self.low) * gd.rand(s) end
function Uniform:mean() return (self.low + self.high) / 2 end
function Uniform:variance() return (self.high - self.low) ^ 2 / 12 end
function Uniform:cdf(x) return gd.clip((x - self.low) / (self.high - self.low), 0, 1) end
function Uniform:entropy() return gd.log(self.high - self.low) end

-- ---- MultivariateNormal ---------------------------------------------------------------------

local MVN = class("MultivariateNormal", { "mean_", "scale_tril" })

--- gd.dist.MultivariateNormal(mean, {cov = C} or {scale_tril = L}): N(mean, C) in d dims, C = L·Lᵀ
function M.MultivariateNormal(mean, o)
  local f = "gd.dist.MultivariateNormal"
  mean = check_range(f, "mean", tensor(f, "argument 1 (mean)", mean))
  if mean.ndim ~= 1 then check.fail(f, "argument 1 (mean): 1-D tensor expected, got shape %s", shape_str(mean.shape)) end
  o = check.opts(f, o, { "cov", "scale_tril" }, 2)
  if (o.cov == nil) == (o.scale_tril == nil) then check.fail(f, "give exactly one of cov and scale_tril") end
  local d = mean.shape[1]
  local what = o.cov and "cov" or "scale_tril"
  local m = check_range(f, what, tensor(f, what, o[what]))
  if m.ndim ~= 2 or m.shape[1] ~= d or m.shape[2] ~= d then
    check.fail(f, "%s must be %dx%d for a mean of %d, got shape %s", what, d, d, d, shape_str(m.shape))
  end
  local L
  if o.cov then
    local _ <close> = gd.no_grad()
    local asym = (m - m.T):abs():max():item()
    if d > 0 and asym > 1e-10 * math.max(1, m:abs():max():item()) then
      check.fail(f, "cov must be symmetric (max |C - Cᵀ| = %s)", check.show(asym))
    end
  end
  if o.cov then
    local ok, r = pcall(gd.cholesky, m)
    if not ok then check.fail(f, "cov is not positive definite") end
    L = r
  else
    local _ <close> = gd.no_grad()
    L = m
    local up = 0
    for i = 1, d do for j = i + 1, d do up = math.max(up, math.abs(m:at(i, j))) end end
    if up ~= 0 then check.fail(f, "scale_tril must be lower triangular (|L[i][j]| = %s above the diagonal)", check.show(up)) end
    if d > 0 then check_range(f, "the diagonal of scale_tril", (m * gd.eye(d)):sum(2), 0, nil, true) end
  end
  return setmetatable({ mean_ = mean, scale_tril = L, d = d, batch_shape = {} }, MVN)
end

local function diag(L) return (L * gd.eye(L.shape[1])):sum(2) end

function MVN:log_prob(x)
  local fname = "gd.dist.MultivariateNormal:log_prob"
  local d = self.d
  if x.ndim == 0 or x.shape[x.ndim] ~= d then
    check.fail(fname, "x must have a last dim of %d, got shape %s", d, shape_str(x.shape))
  end
  local lead = x.shape
  table.remove(lead)
  local diff = (x - self.mean_):reshape(-1, d)
  local z = gd.solve(self.scale_tril, diff.T)                 -- L z = (x − μ)ᵀ, (d, m)
  local maha = (z ^ 2):sum(1)
  local half_logdet = gd.log(diag(self.scale_tril)):sum()
  return (-0.5 * maha - half_logdet - 0.5 * d * LOG_2PI):reshape(lead)
end
function MVN:_draw(s)
  local z = gd.randn(concat(s, { self.d }))
  return self.mean_ + z:matmul(self.scale_tril.T)
end
function MVN:sample(shape)
  local full = sample_shape("gd.dist.MultivariateNormal:sample", shape)
  local _ <close> = gd.no_grad()
  return self:_draw(full)
end
function MVN:mean() return self.mean_ * 1 end
function MVN:covariance() return self.scale_tril:matmul(self.scale_tril.T) end
function MVN:variance() return (self.scale_tril ^ 2):sum(2) end
function MVN:entropy()
  return gd.log(diag(self.scale_tril)):sum() + 0.5 * self.d * (1 + LOG_2PI)
end

-- ---- x as a tensor in every log_prob and cdf ----------------------------------------------

local classes = { Normal, Bernoulli, Binomial, Poisson, Categorical, Gamma, Beta, Exponential, Uniform, MVN }
for _, c in ipairs(classes) do
  for _, name in ipairs{ "log_prob", "cdf" } do
    local fn = rawget(c, name)
    if fn then
      local fname = c.__name .. ":" .. name
      c[name] = function(self, x) return fn(self, tensor(fname, "argument 1 (x)", x)) end
    end
  end
end

-- ---- docs ------------------------------------------------------------------------------------

for k, f in pairs(M) do gd.doc(f, "gd.dist." .. k) end
local docs = {
  { M.Normal, "gd.dist.Normal(mu, sigma): N(mu, sigma^2); sigma > 0" },
  { M.Bernoulli, "gd.dist.Bernoulli(p): 1 with probability p in [0, 1], else 0" },
  { M.Binomial, "gd.dist.Binomial(n, p): successes in n trials, p in [0, 1]" },
  { M.Poisson, "gd.dist.Poisson(rate): counts with mean rate >= 0" },
  { M.Categorical, "gd.dist.Categorical(probs): labels 1..k, probs on the last dim (normalized)" },
  { M.Gamma, "gd.dist.Gamma(alpha[, rate = 1]): shape alpha > 0, rate > 0 (mean alpha/rate)" },
  { M.Beta, "gd.dist.Beta(a, b): on (0, 1), a, b > 0" },
  { M.Exponential, "gd.dist.Exponential(rate): on x >= 0, rate > 0 (mean 1/rate)" },
  { M.Uniform, "gd.dist.Uniform(low, high): on [low, high), low < high" },
  { M.MultivariateNormal, "gd.dist.MultivariateNormal(mean, {cov = C} or {scale_tril = L}): N(mean, L L^T)" },
}
for _, e in ipairs(docs) do gd.doc(e[1], e[2]) end
local methods = {
  log_prob = "d:log_prob(x): log density (or mass) at x, differentiable in x and the parameters",
  sample = "d:sample([shape]): draws of shape shape .. batch_shape from gd's generator",
  mean = "d:mean(): the mean", variance = "d:variance(): the variance (MultivariateNormal: the diagonal)",
  entropy = "d:entropy(): the differential (or Shannon) entropy in nats",
  cdf = "d:cdf(x): P(X <= x) (Normal, Bernoulli, Categorical, Exponential, Uniform)",
  covariance = "d:covariance(): MultivariateNormal's covariance L L^T",
}
for _, c in ipairs{ Base, table.unpack(classes) } do
  for name, line in pairs(methods) do
    if rawget(c, name) then gd.doc(c[name], line) end
  end
end

return M
