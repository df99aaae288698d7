-- batch_modes.lua: seed 001 (lecture "Optimization"), units 3 and 4.
--
-- Logistic regression y ~ Ber(σ(θ₁x₁ + θ₂x₂)), θ = (2, −3) (two parameters,
-- so the loss surface can be drawn), N = 2000 split 60/20/20 into train,
-- validation and test sets.  The slides' gradient of the mean NLL on a batch B
-- is −1/|B| Σ(yᵢ − pᵢ)xᵢ; an epoch visits the (shuffled) train set once in
-- batches of
--   BGD: all 1200 rows (1 update an epoch), SGD: 1 row (1200 updates),
--   MGD: 32 rows (38 updates),
-- all with α = 0.1 for 30 epochs from θ = (−2, 2).  Then the unit 4
-- optimizers on mini-batches: SGD, Momentum (v ← αv − ηg, W ← W + v),
-- AdaGrad, RMSprop and Adam, as gd.optim implements the slides' formulas.
gd.seed(7)
local N = 2000
local X = gd.randn(N, 2)
local theta_true = gd.tensor{ { 2 }, { -3 } }
local y = gd.binomial(1, gd.sigmoid(X:matmul(theta_true)))
local xtr, ytr, xval, yval, xte, yte = gd.data.split(X, y, { train = 0.6, val = 0.2, test = 0.2 })

--- Mean negative log-likelihood of θ on (x, y), and accuracy.
local function nll(th, x, t)
  local z = x:matmul(th)
  return (gd.softplus(z) - t * z):mean():item()
end
local function accuracy(th, x, t) return (x:matmul(th):gt(0):eq(t)):mean():item() end

-- the MLE on the train set by Newton's method, for reference
local mle = gd.zeros(2, 1)
for _ = 1, 25 do
  local p = gd.sigmoid(xtr:matmul(mle))
  mle = mle + gd.solve(xtr.T:matmul(xtr * (p * (1 - p))), xtr.T:matmul(ytr - p))
end

local theta0 = gd.tensor{ { -2 }, { 2 } }
local epochs, alpha = 30, 0.1

--- Gradient descent with batches of size bs; returns θ, the per-epoch losses and the path of θ.
-- The update runs through gd.compile: traced on the first batch (and on a
-- last, smaller one), replayed in C after, with the eager loop's numbers.
local function run(bs)
  local th = gd.Variable(theta0)
  local hist = { train = {}, val = {} }
  local path = { { th:at(1, 1), th:at(2, 1) } }
  local step = gd.compile(function(xb, yb)
    local g = -(xb.T:matmul(yb - gd.sigmoid(xb:matmul(th)))) / xb.shape[1]
    th:assign_sub(alpha * g)
  end)
  for e = 1, epochs do
    for xb, yb in gd.data.batches(xtr, ytr, bs, { shuffle = true }) do
      step(xb, yb)
      if bs >= 32 or #path < 2000 then path[#path + 1] = { th:at(1, 1), th:at(2, 1) } end
    end
    hist.train[e], hist.val[e] = nll(th, xtr, ytr), nll(th, xval, yval)
  end
  return th, hist, path
end

print("seed 001: batch, stochastic and mini-batch gradient descent; logistic regression, θ = (2, −3)")
print(string.format("train %d, validation %d, test %d rows; α = %g, %d epochs from θ = (−2, 2)",
  xtr.shape[1], xval.shape[1], xte.shape[1], alpha, epochs))
local modes = { { "BGD", xtr.shape[1] }, { "SGD", 1 }, { "MGD", 32 } }
local results = {}
for _, m in ipairs(modes) do
  local th, hist, path = run(m[2])
  results[m[1]] = { theta = th:totable(), hist = hist, path = path, batch = m[2],
                    test = nll(th, xte, yte), acc = accuracy(th, xte, yte) }
end
print(string.format("%-5s %6s %18s %10s %10s %10s %9s", "", "batch", "theta", "train NLL", "val NLL", "test NLL", "test acc"))
for _, m in ipairs(modes) do
  local r = results[m[1]]
  print(string.format("%-5s %6d   (%6.3f, %6.3f) %10.5f %10.5f %10.5f %9.3f", m[1], r.batch, r.theta[1][1],
    r.theta[2][1], r.hist.train[epochs], r.hist.val[epochs], r.test, r.acc))
end
print(string.format("%-5s %6s   (%6.3f, %6.3f) %10.5f %10.5f %10.5f %9.3f", "MLE", "", mle:at(1, 1), mle:at(2, 1),
  nll(mle, xtr, ytr), nll(mle, xval, yval), nll(mle, xte, yte), accuracy(mle, xte, yte)))
print("validation NLL by epoch (1, 2, 5, 10, 30):")
for _, m in ipairs(modes) do
  local v = results[m[1]].hist.val
  print(string.format("  %-4s %9.5f %9.5f %9.5f %9.5f %9.5f", m[1], v[1], v[2], v[5], v[10], v[30]))
end

-- unit 4: the five optimizers on mini-batches of 32, 10 epochs
local opts = {
  { "SGD", gd.optim.SGD(0.1) },
  { "Momentum", gd.optim.SGD{ lr = 0.1, momentum = 0.9 } },
  { "AdaGrad", gd.optim.Adagrad(0.5) },
  { "RMSprop", gd.optim.RMSprop{ lr = 0.05, rho = 0.9 } },
  { "Adam", gd.optim.Adam(0.05) },
}
print("the optimizers of unit 4, mini-batches of 32, 10 epochs from θ = (−2, 2):")
print(string.format("%-9s %18s %10s %10s", "", "theta", "val NLL", "test NLL"))
local opt_results = {}
for _, o in ipairs(opts) do
  gd.seed(11)                                  -- the same batches for every optimizer
  local th = gd.Variable(theta0)
  local curve = { [0] = nll(th, xval, yval) }  -- validation NLL after each epoch, for the figure
  local step = gd.compile(function(xb, yb)
    local g = -(xb.T:matmul(yb - gd.sigmoid(xb:matmul(th)))) / xb.shape[1]
    o[2]:apply_gradients({ g }, { th })
  end)
  for e = 1, 10 do
    for xb, yb in gd.data.batches(xtr, ytr, 32, { shuffle = true }) do step(xb, yb) end
    curve[e] = nll(th, xval, yval)
  end
  opt_results[o[1]] = { theta = th:totable(), val = nll(th, xval, yval), test = nll(th, xte, yte), curve = curve }
  print(string.format("%-9s   (%6.3f, %6.3f) %10.5f %10.5f", o[1], th:at(1, 1), th:at(2, 1),
    opt_results[o[1]].val, opt_results[o[1]].test))
end

-- the slides' picture: the three paths on the contours of the train NLL
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { layout = { 1, 3 }, size = { 1800, 550 }, title = "seed 001: batch modes" }
  local ax = fig:subplot(1)
  ax:contour(function(a, b) return nll(gd.tensor{ { a }, { b } }, xtr, ytr) end,
    { x = { -2.5, 3 }, y = { -4, 2.5 }, n = 60, levels = 18 })
  local colors = { BGD = "blue", SGD = "red", MGD = "#1a8a1a" }
  for _, m in ipairs(modes) do
    local p = results[m[1]].path
    local a, b = {}, {}
    for i, q in ipairs(p) do a[i], b[i] = q[1], q[2] end
    ax:plot(a, b, "-", { color = colors[m[1]], title = m[1] })
  end
  ax:title("paths of theta (SGD: its first 2000 steps)"):xlabel("theta1"):ylabel("theta2")
  local ax2 = fig:subplot(2)
  local ep = {}
  for e = 1, epochs do ep[e] = e end
  for _, m in ipairs(modes) do
    ax2:plot(ep, results[m[1]].hist.val, "-", { color = colors[m[1]], title = m[1] .. " validation NLL" })
  end
  ax2:title("batch, stochastic, mini-batch"):xlabel("epoch"):ylabel("validation NLL")
  -- unit 4's optimizers, mini-batches of 32: the loss against the epoch
  local ax3 = fig:subplot(3)
  for _, o in ipairs(opts) do
    local c, es = opt_results[o[1]].curve, {}
    local vs = {}
    for e = 0, 10 do es[e + 1], vs[e + 1] = e, c[e] end
    ax3:plot(es, vs, "-o", { title = o[1] })
  end
  ax3:title("the five optimizers, batches of 32"):xlabel("epoch"):ylabel("validation NLL")
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { results = results, mle = mle:totable(), opts = opt_results, sizes = { xtr.shape[1], xval.shape[1], xte.shape[1] },
         xtr = xtr, ytr = ytr, xval = xval, yval = yval, theta0 = theta0:totable(), epochs = epochs, alpha = alpha }
