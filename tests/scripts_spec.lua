-- scripts_spec.lua: the experiments in scripts/ run headless and their key
-- numbers hold (closed forms, the seeds' printed values).
local u = require "tests.helpers.util"
local close = u.close

local run = u.run_script

describe("scripts", function()
  it("mle_normal: gradient ascent reaches the closed-form MLE", function()
    local r, text = run("mle_normal")
    close(r.mu, r.mle_mu, 1e-3)
    close(r.sigma, r.mle_sigma, 1e-3)
    -- closed forms computed independently from the data
    local n, s = r.x:numel(), 0
    for i = 1, n do s = s + r.x[i] end
    local mean = s / n
    local ss = 0
    for i = 1, n do ss = ss + (r.x[i] - mean) ^ 2 end
    close(r.mle_mu, mean, 1e-10)
    close(r.mle_sigma, math.sqrt(ss / n), 1e-10)
    -- the first gradient: d/dmu = sum(x - 2)/9, d/dsigma = -n/3 + sum((x - 2)^2)/27
    local dmu, dsig = 0, -n / 3
    for i = 1, n do dmu = dmu + (r.x[i] - 2) / 9; dsig = dsig + (r.x[i] - 2) ^ 2 / 27 end
    close(r.first, { dmu, dsig }, 1e-8)
    -- gd.dist.Normal's log-likelihood: the hand-written one minus n/2 log(2π), same gradient
    local ll = 0
    for i = 1, n do ll = ll - 0.5 * ((r.x[i] - r.mu) / r.sigma) ^ 2 end
    ll = ll - n * math.log(r.sigma) - n / 2 * math.log(2 * math.pi)
    close(r.dist_logL, ll, 1e-8)
    close(r.hand_logL, ll, 1e-8)
    close(r.dist_first, { dmu, dsig }, 1e-8)
    assert.truthy(text:find("closed form", 1, true))
  end)

  it("mle_bernoulli: the estimate is the sample mean", function()
    local r = run("mle_bernoulli")
    close(r.p, r.mle, 1e-3)
    close(r.mle, 0.8, 0.02)
  end)

  it("mle_regression: the estimates approach least squares", function()
    local r = run("mle_regression")
    close(r.b0, r.ls0, 1e-3)
    close(r.b1, r.ls1, 1e-3)
    close({ r.ls0, r.ls1 }, { 0.5, 2 }, 0.1)
  end)
  it("linear_regression (seed 002): the derivation holds numerically; GD and the normal equation by hand", function()
    local r = run("linear_regression")
    local n = r.x:numel()
    local xs, ys = {}, {}
    for i = 1, n do xs[i], ys[i] = r.x[i][1], r.y[i][1] end
    -- MSE expanded, its gradient by hand and on the tape, −ln L's gradient = n/(2σ²) times it
    close(r.expanded, r.mse, 1e-9 * r.mse)
    close(r.g_hand, r.g_mse, 1e-9 * 6000)
    close(r.g_nll, { { r.g_mse[1][1] * n / 50 }, { r.g_mse[2][1] * n / 50 } }, 1e-9 * 6000 * n / 50)
    -- the closed form from sums: w1 = Sxy/Sxx, w0 = ȳ − w1·x̄
    local mx, my = 0, 0
    for i = 1, n do mx, my = mx + xs[i] / n, my + ys[i] / n end
    local sxy, sxx = 0, 0
    for i = 1, n do sxy, sxx = sxy + (xs[i] - mx) * (ys[i] - my), sxx + (xs[i] - mx) ^ 2 end
    local w1 = sxy / sxx
    local exact = { { my - w1 * mx }, { w1 } }
    close(r.ne, exact, 1e-9)
    close(r.pinv, exact, 1e-9)
    close(r.lstsq, exact, 1e-9)
    -- 1000 epochs of w ← w − 1e-5·(2/n)·Xᵀ(Xw − y) in plain Lua
    local a, b = 0, -5
    local snaps = {}
    for epoch = 0, 999 do
      local ga, gb = 0, 0
      for i = 1, n do
        local e = a + b * xs[i] - ys[i]
        ga, gb = ga + e, gb + e * xs[i]
      end
      a, b = a - 1e-5 * 2 / n * ga, b - 1e-5 * 2 / n * gb
      if epoch % 100 == 0 then snaps[#snaps + 1] = { a, b } end
    end
    close(r.final, { { a }, { b } }, 1e-9)
    assert.equal(10, #r.snaps)
    for i, s in ipairs(r.snaps) do
      assert.equal((i - 1) * 100, s.epoch)
      close({ s.w0, s.w1 }, snaps[i], 1e-9)
    end
    close(b, 1, 0.02)                          -- the slope is found, as in the post
    assert(math.abs(a - exact[1][1]) > 0.5)    -- the intercept is not (w0 moves 0.0016% an epoch)
  end)
  it("bias_variance (seed 003, PRML 3.2): the decomposition and Bishop's figure 3.6", function()
    local r = run("bias_variance")
    -- E_D ∫(y − h)² = bias² + variance exactly, at every ln λ
    for _, c in ipairs(r.curve) do close(c.bias2 + c.var, c.mse_h, 1e-12) end
    -- a fit checked independently: ridge = least squares on [Φ; √λ I] w ≈ [t; 0]
    local row = r.rows[2]
    local set = r.sets[1]
    local P = r.design(set.x)
    local lam = math.exp(row.lnl)
    local A = gd.cat({ P, math.sqrt(lam) * r.I }, 1)
    local b = gd.cat({ set.t:reshape(set.t:numel(), 1), gd.zeros(r.I.shape[1], 1) }, 1)
    close(row.W:select(2, 1), gd.lstsq(A, b):reshape(r.I.shape[1]), 1e-8)
    -- bias² grows with λ and variance shrinks; the test error is about bias² + variance + 0.3²
    for i = 2, #r.curve do
      assert(r.curve[i].bias2 > r.curve[i - 1].bias2, "bias² at " .. r.curve[i].lnl)
      assert(r.curve[i].var < r.curve[i - 1].var, "variance at " .. r.curve[i].lnl)
    end
    for _, c in ipairs(r.curve) do close(c.test - c.bias2 - c.var, 0.09, 0.015) end
    -- both minima near Bishop's ln λ = −0.31
    close(r.best, -0.31, 0.5)
    close(r.besttest, -0.31, 0.5)
  end)
  it("gradient_descent (seed 001): the slides' steps, steepest descent, logistic and linear GD", function()
    local r = run("gradient_descent")
    close(r.steps[1].next, 1.96, 1e-15)        -- 2 − 0.01·4
    close(r.steps[2].next, -2.4, 1e-15)        -- −3 − 0.1·(−6)
    close(r.gf, { 2, 12 }, 0)
    local gn = math.sqrt(148)
    close(r.best, -gn, 1e-4 * gn)              -- D_u f is smallest against the gradient
    close(r.bestu, { -2 / gn, -12 / gn }, 1e-3)
    close(r.g_slide, r.g_tape, 1e-10)
    -- the Newton MLE zeroes the gradient; 2000 GD steps reach it
    local X, y = r.X, r.y
    local mle = gd.tensor(r.mle)
    local g = X.T:matmul(y - gd.sigmoid(X:matmul(mle)))
    close(g, gd.zeros(3, 1), 1e-8)
    close(r.gd_theta, r.mle, 1e-6)
    assert(r.minev > 0, "Hessian eigenvalue " .. r.minev)
    -- linear regression: the normal equation zeroes Xᵀ(y − Xβ); GD reaches it
    local ne = gd.tensor(r.ne)
    close(X.T:matmul(r.yl - X:matmul(ne)), gd.zeros(3, 1), 1e-9)
    close(r.beta, r.ne, 1e-6)
  end)

  it("batch_modes (seed 001): BGD, SGD and MGD on a train/validation/test split; the five optimizers", function()
    local r = run("batch_modes")
    assert.same({ 1200, 400, 400 }, r.sizes)
    -- BGD is 30 plain full-batch steps: recomputed here without batches
    local th = gd.tensor(r.theta0)
    local x, y = r.xtr, r.ytr
    for _ = 1, r.epochs do th = th + r.alpha / 1200 * x.T:matmul(y - gd.sigmoid(x:matmul(th))) end
    close(r.results.BGD.theta, th, 1e-12)
    local tr = r.results.BGD.hist.train
    for e = 2, r.epochs do assert(tr[e] < tr[e - 1], "BGD train NLL at epoch " .. e) end
    -- 30 updates are not enough for BGD; SGD and MGD (1200 and 38 updates an epoch) reach the MLE
    local function dist(a, b) return math.sqrt((a[1][1] - b[1][1]) ^ 2 + (a[2][1] - b[2][1]) ^ 2) end
    assert(dist(r.results.BGD.theta, r.mle) > 1)
    assert(dist(r.results.MGD.theta, r.mle) < 0.3)
    assert(dist(r.results.SGD.theta, r.mle) < 0.6)
    close(r.mle, { { 2 }, { -3 } }, 0.25)      -- the MLE of 1200 rows is near the truth
    -- every optimizer ends within 0.05 of the MLE's validation NLL after 10 epochs
    local z = r.xval:matmul(gd.tensor(r.mle))
    local mle_val = (gd.softplus(z) - r.yval * z):mean():item()
    for name, o in pairs(r.opts) do assert(math.abs(o.val - mle_val) < 0.05, name .. " " .. o.val) end
  end)
  it("linear_basis (seed 003, PRML 3.1): ML by the normal equation, the bias, β_ML, LMS, multiple outputs", function()
    local r = run("linear_basis")
    assert(r.tanh_gap < 1e-15, r.tanh_gap)
    close(r.w_pinv, r.w_ne, 1e-10)
    close(r.w_lstsq, r.w_ne, 1e-10)
    close(r.w0, r.w_ne[1][1], 1e-10)
    -- 1/β_ML is the mean squared residual, recomputed here in plain Lua
    local P, t = r.P:totable(), r.t:totable()
    local ss = 0
    for n = 1, #P do
      local yn = 0
      for j = 1, #P[n] do yn = yn + P[n][j] * r.w_ne[j][1] end
      ss = ss + (t[n][1] - yn) ^ 2
    end
    close(r.beta_ml, #P / ss, 1e-10)
    assert(r.gw < 1e-9 and math.abs(r.gb) < 1e-9, "the log-likelihood is stationary at the ML point")
    -- LMS approaches w_ML: the distance falls, the error reaches the ML error
    assert(r.lms[#r.lms].d < 0.25 * r.lms[1].d)
    close(r.lms[#r.lms].e, ss / #P, 1e-4)
    close(r.W[1], { r.w_ne[1][1], r.W[1][2] }, 1e-10)
    for j = 1, #r.w_ne do close(r.W[j][1], r.w_ne[j][1], 1e-10) end
  end)
  it("regularization (seed 003, PRML 3.1.4): ridge, weight decay, the lasso's sparsity", function()
    local r = run("regularization")
    assert(r.g_ridge < 1e-10, r.g_ridge)
    close(r.decay, r.w_ridge, 1e-8)
    for i = 2, #r.rows do
      assert(r.rows[i].norm < r.rows[i - 1].norm + 1e-9, "|w| shrinks as λ grows")
      assert(r.rows[i].train > r.rows[i - 1].train - 1e-9, "the training error grows as λ grows")
    end
    -- the lasso's optimality (KKT) conditions at every λ: g = Φᵀ(Φw − t),
    -- g₀ = 0; gⱼ = −λ sign(wⱼ) where wⱼ ≠ 0; |gⱼ| ≤ λ where wⱼ = 0
    local prev = math.huge
    for _, p in ipairs(r.path) do
      local w = gd.tensor(p.w)
      local g = r.P.T:matmul(r.P:matmul(w) - r.t)
      close(g[1][1], 0, 1e-6)
      for j = 2, w.shape[1] do
        local wj, gj = w:at(j, 1), g:at(j, 1)
        if wj ~= 0 then close(gj, -p.lam * (wj > 0 and 1 or -1), 1e-6)
        else assert(math.abs(gj) <= p.lam + 1e-6, "zero weight " .. j .. " at λ " .. p.lam) end
      end
      assert(p.nonzero <= prev, "fewer nonzero weights as λ grows")
      prev = p.nonzero
    end
    assert.equal(0, r.path[#r.path].nonzero)
    -- figure 3.4: the lasso's optimum has w₂ = 0 exactly, the ridge's does not
    assert.equal(0, r.w_l2[2][1])
    assert(r.w_l2[1][1] > 0 and r.w_r2[2][1] > 0.1)
    local g = r.A.T:matmul(r.A:matmul(gd.tensor(r.w_l2)) - r.b)
    close(g:at(1, 1), -r.lam2, 1e-6)
    assert(math.abs(g:at(2, 1)) <= r.lam2)
  end)
end)
