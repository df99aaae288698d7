-- optim_closure_spec.lua: the stateful second-order optimizers gd.optim.LBFGS,
-- BFGS and Newton (issue 11) on Variables and models: closed forms (least
-- squares by lstsq, Rosenbrock's (1, 1)), the history persisting across
-- calls (= one long minimize run), net:compile full-batch fits, errors.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

local w = gd.Variable(gd.tensor { -1.2, 1 })
local function rosen_loss()
  local a, b = w:select(1, 1), w:select(1, 2)
  return (1 - a) ^ 2 + 100 * (b - a ^ 2) ^ 2
end
local function rosen(x)
  local a, b = x:select(1, 1), x:select(1, 2)
  return (1 - a) ^ 2 + 100 * (b - a ^ 2) ^ 2
end

gd.seed(4)
local X = gd.randn(40, 3)
local Y = X:matmul(gd.tensor { { 1.5 }, { -2 }, { 0.25 } }) + 0.7 + 0.05 * gd.randn(40, 1)
local wls = gd.lstsq(gd.cat({ X, gd.ones(40, 1) }, 2), Y)    -- closed form: [W; b]

describe("gd.optim.LBFGS, BFGS, Newton", function()
  for _, k in ipairs { "LBFGS", "BFGS", "Newton" } do
    it(k .. " minimizes Rosenbrock over a Variable", function()
      w:assign(gd.tensor { -1.2, 1 })
      local opt = gd.optim[k] { max_iter = 200 }
      local l0 = opt:minimize(rosen_loss, w)
      close(l0, 24.2, 1e-12)                               -- the loss before the iterations
      close(w, { 1, 1 }, 1e-6)
      assert.truthy(opt.message:find("converged", 1, true))
      assert.is_true(opt.loss < 1e-12)
      assert.is_true(opt.iterations > 0 and opt.iterations < 200)
    end)
    it(k .. " solves least squares over two Variables (W, b)", function()
      local W, b = gd.Variable(gd.zeros(3, 1)), gd.Variable(gd.zeros(1))
      local opt = gd.optim[k] { max_iter = 50, tol = 1e-10 }
      opt:minimize(function() return ((X:matmul(W) + b - Y) ^ 2):mean() end, { W, b })
      close(W, wls:narrow(1, 1, 3), 1e-8)
      close(b, wls:narrow(1, 4, 1):reshape(1), 1e-8)
      if k == "Newton" then assert.equal(1, opt.iterations) end   -- a quadratic: one step
    end)
  end

  it("keeps the L-BFGS history across calls: 4 calls of 5 iterations = minimize with maxiter 20", function()
    w:assign(gd.tensor { -1.2, 1 })
    local opt = gd.optim.LBFGS { max_iter = 5, history = 4 }
    for _ = 1, 4 do opt:minimize(rosen_loss, w) end
    assert.equal(20, opt.iterations)
    local r = gd.optim.minimize(rosen, { -1.2, 1 }, { method = "lbfgs", history = 4, maxiter = 20 })
    close(w, r.x, 1e-12)
    opt:reset()
    assert.equal(0, opt.iterations)
  end)

  it("lr is the step of line_search = \"none\": the first L-BFGS step is x0 − lr·∇f(x0)", function()
    w:assign(gd.tensor { -1.2, 1 })
    local g0 = gd.grad(rosen)(gd.tensor { -1.2, 1 })
    local opt = gd.optim.LBFGS { lr = 1e-4, line_search = "none", max_iter = 1 }
    opt:minimize(rosen_loss, w)
    close(w, gd.tensor { -1.2, 1 } - 1e-4 * g0, 1e-15)
    assert.truthy(opt.message:find("maxiter", 1, true))
  end)

  it("fits a Sequential full-batch through net:compile{optimizer = gd.optim.LBFGS{...}}", function()
    local net = gd.nn.Sequential { gd.nn.Dense(1, { input_dim = 3 }) }
    net:compile { optimizer = gd.optim.LBFGS { max_iter = 100, tol = 1e-12 }, loss = "mse", metrics = { "mae" } }
    local h = net:fit(X, Y, { epochs = 2, verbose = 0, validation_data = { X, Y } })
    assert.equal(2, #h.mae)
    close(h.val_loss[2], h.loss[2], 1e-12)                -- validated on the training set itself
    local ws = net.trainable_weights
    close(ws[1], wls:narrow(1, 1, 3), 1e-7)
    close(ws[2], wls:narrow(1, 4, 1):reshape(1), 1e-7)
    local A = gd.cat({ X, gd.ones(40, 1) }, 2)
    close(h.loss[2], ((A:matmul(wls) - Y) ^ 2):mean():item(), 1e-12)
    close(h.mae[2], gd.abs(A:matmul(wls) - Y):mean():item(), 1e-9)
  end)

  it("checks its options and arguments", function()
    errors(function() gd.optim.LBFGS { histroy = 3 } end, "gd.optim.LBFGS", "histroy")
    errors(function() gd.optim.LBFGS { history = 0 } end, "history")
    errors(function() gd.optim.BFGS { history = 5 } end, "gd.optim.BFGS", "history")
    errors(function() gd.optim.Newton { line_search = "exact" } end, "line_search")
    errors(function() gd.optim.LBFGS { max_iter = 0 } end, "max_iter")
    errors(function() gd.optim.LBFGS { c1 = 0.95 } end, "c1", "c2")
    local net = gd.nn.Sequential { gd.nn.Dense(1, { input_dim = 3 }) }
    net:compile { optimizer = gd.optim.LBFGS(), loss = "mse" }
    errors(function() net:fit(X, Y, { epochs = -1, verbose = 0 }) end, "fit", "epochs")
    local opt = gd.optim.LBFGS()
    errors(function() opt:minimize(rosen_loss, gd.tensor { 1, 2 }) end, "minimize", "gd.Variable")
    errors(function() opt:minimize(5, w) end, "argument 1")
    errors(function() opt:minimize(function() return 1 end, w) end, "0-d tensor")
  end)
end)
