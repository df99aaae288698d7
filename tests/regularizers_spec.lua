-- regularizers_spec.lua: gd.nn.regularizers and their penalty in fit and evaluate.
--
-- Keras's l2(λ) adds λ·Σw² to the loss.  For a linear model p = X·w + b with
-- the mean-squared loss L = (1/n)·Σ(Xw + b − y)² + λ·Σw², setting ∂L/∂w = 0
-- and ∂L/∂b = 0 gives, with A = [X 1] and θ = (w, b),
--   (AᵀA/n + λ·I′)·θ = Aᵀy/n,   I′ = I with a 0 for the (unregularized) bias.
-- The gradient 2/n·Aᵀ(Aθ − y) + 2λ·I′θ behind it is checked by central
-- differences of net:evaluate (which includes the penalty, as Keras).
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors
local R = gd.nn.regularizers

local n, d, lam = 40, 3, 0.1

local function data()
  gd.seed(11)
  local x = gd.randn(n, d)
  local y = x:matmul(gd.tensor{ { 1.5 }, { -2 }, { 0.5 } }) + 2 + 0.3 * gd.randn(n, 1)
  return x, y
end

-- The ridge solution θ = (w1..wd, b) of the normal equations above.
local function ridge(x, y)
  local A = gd.cat({ x, gd.ones(n, 1) }, 2)
  local Ip = gd.eye(d + 1)
  Ip:set(0, d + 1, d + 1)
  return gd.solve(A.T:matmul(A) / n + lam * Ip, A.T:matmul(y) / n):reshape(-1)
end

local function ridge_net()
  local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = d, kernel_regularizer = R.l2(lam) }) }
  return net
end

local function theta(net)
  return gd.cat({ net.weights[1]:reshape(-1), net.weights[2]:reshape(-1) }, 1)
end

local function set_theta(net, t)
  net.weights[1]:assign(t:narrow(1, 1, d):reshape(d, 1))
  net.weights[2]:assign(t:narrow(1, d + 1, 1))
end

describe("gd.nn.regularizers", function()
  it("penalties are λ·Σw², λ·Σ|w| and their sum", function()
    local w = gd.tensor{ { 1, -2 }, { 3, -0.5 } }
    close(R.l2(0.1)(w), 0.1 * (1 + 4 + 9 + 0.25), 1e-15)
    close(R.l1(0.2)(w), 0.2 * 6.5, 1e-15)
    close(R.l1_l2{ l1 = 0.2, l2 = 0.1 }(w), 0.2 * 6.5 + 0.1 * 14.25, 1e-15)
    close(R.l2()(w), 0.01 * 14.25, 1e-15)            -- Keras's default 0.01
    close(R.l1_l2()(w), 0.01 * 6.5 + 0.01 * 14.25, 1e-15)
  end)

  it("the ridge gradient matches central differences of the regularized evaluate", function()
    local x, y = data()
    local net = ridge_net()
    net:compile{ optimizer = gd.optim.SGD(0.1), loss = "mse" }
    gd.seed(5)
    local t = gd.randn(d + 1)
    set_theta(net, t)
    local A = gd.cat({ x, gd.ones(n, 1) }, 2)
    local Ip = gd.eye(d + 1)
    Ip:set(0, d + 1, d + 1)
    local g = (A.T:matmul(A:matmul(t:reshape(d + 1, 1)) - y) * (2 / n) + 2 * lam * Ip:matmul(t:reshape(d + 1, 1))):reshape(-1)
    local h = 1e-6
    for i = 1, d + 1 do
      local tp, tm = t:copy(), t:copy()
      tp[i] = t[i] + h
      tm[i] = t[i] - h
      set_theta(net, tp)
      local lp = net:evaluate(x, y)
      set_theta(net, tm)
      local lm = net:evaluate(x, y)
      close((lp - lm) / (2 * h), g[i], 1e-6, "dL/dθ" .. i)
    end
    -- and the loss itself is mse + λ·Σw²
    set_theta(net, t)
    local p = A:matmul(t:reshape(d + 1, 1))
    local w = t:narrow(1, 1, d)
    close(net:evaluate(x, y), ((p - y) ^ 2):mean():item() + lam * (w ^ 2):sum():item(), 1e-12)
  end)

  it("l2-regularized linear regression fitted by SGD equals the ridge closed form to 1e-6", function()
    local x, y = data()
    local want = ridge(x, y)
    local net = ridge_net()
    net:compile{ optimizer = gd.optim.SGD(0.2), loss = "mse" }
    local h = net:fit(x, y, { epochs = 1500, batch_size = n, verbose = 0 })
    close(theta(net), want, 1e-6)
    -- the reported loss includes the penalty
    local p = net:predict(x)
    local w = net.weights[1]
    close(h.loss[#h.loss], ((p - y) ^ 2):mean():item() + lam * (w ^ 2):sum():item(), 1e-9)
    -- unregularized, the same fit gives least squares instead (so the penalty did act)
    local plain = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = d }) }
    plain:compile{ optimizer = gd.optim.SGD(0.2), loss = "mse" }
    plain:fit(x, y, { epochs = 1500, batch_size = n, verbose = 0 })
    local ls = gd.lstsq(gd.cat({ x, gd.ones(n, 1) }, 2), y):reshape(-1)
    close(theta(plain), ls, 1e-6)
    assert.is_true((theta(plain) - want):abs():max():item() > 1e-2)
  end)

  it("the closure optimizers minimize the same regularized loss", function()
    local x, y = data()
    local net = ridge_net()
    net:compile{ optimizer = gd.optim.LBFGS(), loss = "mse" }
    net:fit(x, y, { epochs = 5, verbose = 0 })
    close(theta(net), ridge(x, y), 1e-6)
  end)

  it("l1 and bias regularizers join the loss; mini-batches take the same penalty per step", function()
    local x, y = data()
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = d, kernel_regularizer = R.l1(0.05),
                                                  bias_regularizer = R.l2(0.2) }) }
    net:compile{ optimizer = gd.optim.SGD(0.01), loss = "mse" }
    set_theta(net, gd.tensor{ 0.5, -1, 2, 3 })
    local p = x:matmul(gd.tensor{ { 0.5 }, { -1 }, { 2 } }) + 3
    local want = ((p - y) ^ 2):mean():item() + 0.05 * 3.5 + 0.2 * 9
    close(net:evaluate(x, y), want, 1e-12)
    local h = net:fit(x, y, { epochs = 1, batch_size = n, verbose = 0, shuffle = false })
    close(h.loss[1], want, 1e-12)
  end)

  it("arguments and options are checked", function()
    errors(function() gd.nn.Dense(1, { kernel_regulariser = R.l2() }) end, "gd.nn.Dense", "unknown option 'kernel_regulariser'")
    errors(function() gd.nn.Dense(1, { kernel_regularizer = 0.1 }) end, "gd.nn.Dense", "kernel_regularizer")
    errors(function() R.l2(-1) end, "gd.nn.regularizers.l2", "l2 must be in [0")
    errors(function() R.l1("a") end, "gd.nn.regularizers.l1", "number expected")
    errors(function() R.l1_l2{ l3 = 1 } end, "gd.nn.regularizers.l1_l2", "unknown option 'l3'")
  end)
end)
