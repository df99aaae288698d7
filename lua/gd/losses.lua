-- gd.losses: Keras's losses and metrics, differentiable (built from recording
-- ops), each the mean over the batch. mse, binary_crossentropy and
-- categorical_crossentropy are the C definitions that Sequential:fit uses.
local gd = require "gd"
local nn = require("gd.core")._nn
local check = require "gd.check"

local M = {}

-- Each of the arguments (named by names) is a tensor or a number.
local function operands(fname, names, ...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) ~= "userdata" and type(v) ~= "number" then
      check.fail(fname, "%s: tensor expected, got %s", names[i], check.show(v))
    end
  end
end

-- from_logits of the options table o of the loss fname (checked).
local function opt_logits(fname, o)
  o = check.opts(fname, o, { "from_logits" }, 3)
  return check.boolean(fname, "from_logits", o.from_logits, false)
end

--- mse(y, p): mean((y − p)²)
function M.mse(y, p) return check.call(nn.loss, "mse", y, p) end
M.mean_squared_error = M.mse

--- binary_crossentropy(y, p, {from_logits = false}): −mean(y log p + (1−y) log(1−p)), p clipped to [1e-7, 1−1e-7];
--- from logits z: mean(softplus(z) − z·y), whose gradient is the stable (σ(z) − y)/N
function M.binary_crossentropy(y, p, o)
  return check.call(nn.loss, "binary_crossentropy", y, p, opt_logits("gd.losses.binary_crossentropy", o))
end

--- categorical_crossentropy(y, p, {from_logits = false}): −mean over rows of Σ_k y log p (rows of p normalized, clipped)
function M.categorical_crossentropy(y, p, o)
  return check.call(nn.loss, "categorical_crossentropy", y, p, opt_logits("gd.losses.categorical_crossentropy", o))
end

--- gaussian_nll(y, mu, sigma): mean(log σ + (y − μ)²/(2σ²) + log(2π)/2), the normal negative log-likelihood
local function gaussian_nll(y, mu, sigma)
  local z = (y - mu) / sigma
  return (gd.log(sigma + 0 * z) + 0.5 * z ^ 2):mean() + 0.5 * math.log(2 * math.pi)
end
function M.gaussian_nll(y, mu, sigma)
  operands("gd.losses.gaussian_nll", { "y", "mu", "sigma" }, y, mu, sigma)
  return check.call(gaussian_nll, y, mu, sigma)
end

--- mae(y, p): mean(|y − p|)
local function mae(y, p) return gd.abs(y - p):mean() end
function M.mae(y, p)
  operands("gd.losses.mae", { "y", "p" }, y, p)
  return check.call(mae, y, p)
end
M.mean_absolute_error = M.mae

--- binary_accuracy(y, p, {threshold = 0.5}): the fraction of (p > threshold) == y
function M.binary_accuracy(y, p, o)
  local fname = "gd.losses.binary_accuracy"
  o = check.opts(fname, o, { "threshold" }, 3)
  local th = o.threshold == nil and 0.5 or check.number(fname, "threshold", o.threshold)
  operands(fname, { "y", "p" }, y, p)
  return check.call(function() return gd.eq(gd.gt(p, th), y):mean() end)
end

local function categorical_accuracy(y, p)
  local d = p.ndim
  return gd.eq(gd.argmax(y, d), gd.argmax(p, d)):mean()
end
--- categorical_accuracy(y, p): the fraction of rows whose argmax agree
function M.categorical_accuracy(y, p)
  local fname = "gd.losses.categorical_accuracy"
  operands(fname, { "y", "p" }, y, p)
  if type(p) ~= "userdata" or p.ndim < 1 then check.fail(fname, "p: a tensor of at least 1 dim expected") end
  return check.call(categorical_accuracy, y, p)
end

--- accuracy(y, p): binary_accuracy when p has one column (or is 1-d), else categorical_accuracy
function M.accuracy(y, p)
  operands("gd.losses.accuracy", { "y", "p" }, y, p)
  if type(p) == "number" or p.ndim <= 1 or p.shape[p.ndim] == 1 then return M.binary_accuracy(y, p) end
  return M.categorical_accuracy(y, p)
end

M.metrics = { accuracy = M.accuracy, binary_accuracy = M.binary_accuracy,
              categorical_accuracy = M.categorical_accuracy, mae = M.mae, mse = M.mse }

for k, f in pairs(M) do
  if type(f) == "function" then
    gd.doc(f, "gd.losses." .. k .. ": Keras's " .. k .. ", the mean over the batch")
  end
end
gd.doc(M.mse, "gd.losses.mse(y, p): mean((y − p)²)")
gd.doc(M.binary_crossentropy, "gd.losses.binary_crossentropy(y, p, {from_logits = false}): −mean(y log p + (1−y) log(1−p)), p clipped to [1e-7, 1−1e-7]; from logits z: mean(softplus(z) − z·y), gradient (σ(z) − y)/N")
gd.doc(M.categorical_crossentropy, "gd.losses.categorical_crossentropy(y, p, {from_logits = false}): −mean over rows of Σ y log p")
gd.doc(M.gaussian_nll, "gd.losses.gaussian_nll(y, mu, sigma): mean(log σ + (y − μ)²/(2σ²)) + log(2π)/2")
return M
