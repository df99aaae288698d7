-- gradient_descent.lua: seed 001 (lecture "Optimization"), units 1 and 2.
--
-- The slides' worked steps on f(x) = x², the steepest-descent theorem
-- (D_u f = ∇f·u is smallest for u = −∇f/|∇f|), and gradient descent with the
-- slides' derivatives: logistic regression, whose negative log-likelihood
--   l(θ) = −Σ{yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)},  pᵢ = 1/(1 + e^(−xᵢθ)),
--   ∂l/∂θⱼ = −Σ(yᵢ − pᵢ)xᵢⱼ,  θ ← θ + α/N Σ(yᵢ − pᵢ)xᵢ
-- is convex (no closed form: its minimum is found here by Newton's method),
-- and linear regression, θ ← θ + α/N Σ(yᵢ − θᵀxᵢ)xᵢ, whose minimum is the
-- normal equation.
print("seed 001: gradient descent, x ← x − α f'(x) on f(x) = x²")
local steps = {}
for _, s in ipairs{ { 2, 0.01 }, { -3, 0.1 } } do
  local x, a = s[1], s[2]
  local g = gd.grad(function(v) return v * v end)(gd.tensor(x)):item()
  local nx = x - a * g
  steps[#steps + 1] = { x = x, alpha = a, grad = g, next = nx }
  print(string.format("  x = %g, α = %g, f'(x) = %g:  %g ← %g − %g·(%g),  f(%g) = %g ≤ f(%g) = %g",
    x, a, g, nx, x, a, g, nx, nx * nx, x, x * x))
end

-- steepest descent: f(x, y) = x² + 3y² at (1, 2); D_u f over 3600 unit vectors u
local f = function(p) return (p * p * gd.tensor{ 1, 3 }):sum() end
local p0 = gd.tensor{ 1, 2 }
local gf = gd.grad(f)(p0)
local best, bestu = math.huge, nil
for k = 0, 3599 do
  local th = 2 * math.pi * k / 3600
  local u = gd.tensor{ math.cos(th), math.sin(th) }
  local d = (gf * u):sum():item()
  if d < best then best, bestu = d, u end
end
local gnorm = gf:norm():item()
print(string.format("f(x, y) = x² + 3y² at (1, 2): ∇f = (%g, %g); over 3600 directions the smallest D_u f is %.4f"
  .. " at u = (%.4f, %.4f); −|∇f| = %.4f at −∇f/|∇f| = (%.4f, %.4f)", gf[1], gf[2], best, bestu[1], bestu[2],
  -gnorm, -gf[1] / gnorm, -gf[2] / gnorm))

-- logistic regression: N = 1000, x = (1, x1, x2), θ = (−1, 2, −3)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local X, y, theta_true = dofile(here .. "logistic_data.lua")()
local N = X.shape[1]
local function nll(th)
  local z = X:matmul(th)
  return (gd.softplus(z) - y * z):sum()        -- −Σ{y log p + (1 − y) log(1 − p)}, stably
end
local function slide_grad(th) return -(X.T:matmul(y - gd.sigmoid(X:matmul(th)))) end

-- the slides' derivative against the tape's, at θ = 0
local th0 = gd.zeros(3, 1)
local g_tape = gd.grad(nll)(th0)
local g_slide = slide_grad(th0)

-- the MLE by Newton's method: θ ← θ + (XᵀWX)⁻¹Xᵀ(y − p), W = diag(p(1 − p))
local mle = gd.zeros(3, 1)
for _ = 1, 25 do
  local p = gd.sigmoid(X:matmul(mle))
  local H = X.T:matmul(X * (p * (1 - p)))
  mle = mle + gd.solve(H, X.T:matmul(y - p))
end
-- convexity: the Hessian XᵀWX has no negative eigenvalue, wherever θ is
local minev = math.huge
for _, th in ipairs{ th0, mle, gd.tensor{ { 5 }, { -5 }, { 5 } } } do
  local p = gd.sigmoid(X:matmul(th))
  local ev = gd.eigh(X.T:matmul(X * (p * (1 - p))))
  minev = math.min(minev, ev[1])
end

-- gradient descent as the slides write it: 2000 full-batch steps of α = 0.5
local th = gd.zeros(3, 1)
local alpha = 0.5
for _ = 1, 2000 do th = th + alpha / N * X.T:matmul(y - gd.sigmoid(X:matmul(th))) end

print("logistic regression, N = 1000, true θ = (−1, 2, −3):")
print(string.format("  ∂l/∂θ at θ = 0: −Σ(y − p)x = (%.6f, %.6f, %.6f); the tape gives (%.6f, %.6f, %.6f)",
  g_slide:at(1, 1), g_slide:at(2, 1), g_slide:at(3, 1), g_tape:at(1, 1), g_tape:at(2, 1), g_tape:at(3, 1)))
print(string.format("  the Hessian XᵀWX is positive semidefinite (smallest eigenvalue at three θ: %.3f): l is convex", minev))
print(string.format("%-8s %12s %12s %8s", "", "GD, 2000", "MLE (Newton)", "truth"))
for i = 1, 3 do
  print(string.format("%-8s %12.6f %12.6f %8g", "theta" .. (i - 1), th:at(i, 1), mle:at(i, 1), theta_true:at(i, 1)))
end
print(string.format("  l(θ): GD %.8f, MLE %.8f", nll(th):item(), nll(mle):item()))

-- linear regression: y = 1 + 2x1 − x2 + N(0, 0.5²); θ ← θ + α/N Σ(y − θᵀx)x
local yl = X:matmul(gd.tensor{ { 1 }, { 2 }, { -1 } }) + 0.5 * gd.randn(N, 1)
local beta = gd.zeros(3, 1)
for _ = 1, 500 do beta = beta + 0.1 / N * X.T:matmul(yl - X:matmul(beta)) end
local ne = gd.solve(X.T:matmul(X), X.T:matmul(yl))
print("linear regression, y = 1 + 2 x1 − x2 + N(0, 0.5²), 500 steps of α = 0.1:")
print(string.format("%-8s %12s %16s %8s", "", "GD, 500", "normal equation", "truth"))
local truth = { 1, 2, -1 }
for i = 1, 3 do
  print(string.format("%-8s %12.6f %16.6f %8g", "beta" .. (i - 1), beta:at(i, 1), ne:at(i, 1), truth[i]))
end

-- The lecture's picture: x ← x − α·2x on f(x) = x² from x = 1.8 with a rate
-- too small (creeps), about right (fast) and too large (|1 − 2α| > 1: diverges).
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { layout = { 1, 3 }, size = { 1500, 450 }, title = "gradient descent on f(x) = x², 8 steps" }
  for i, r in ipairs { { 0.05, "too small" }, { 0.4, "about right" }, { 1.05, "too large" } } do
    local xs, x = {}, 1.8
    for k = 1, 9 do xs[k] = { x, x * x }; x = x - r[1] * 2 * x end
    local lim = math.max(2, math.abs(xs[9][1]) * 1.05)
    local ax = fig:subplot(i)
    ax:plot(function(t) return t * t end, { x = { -lim, lim }, color = "gray", title = "f(x) = x²" })
    ax:path(xs, { title = string.format("alpha = %g", r[1]), color = "red", mark_ends = true })
    ax:point(0, 0, { label = "minimum", color = "green" })
    ax:title(string.format("alpha = %g: %s", r[1], r[2])):xlabel("x"):ylabel("f(x)")
  end
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { steps = steps, gf = gf:totable(), best = best, bestu = bestu:totable(), X = X, y = y, yl = yl,
         g_tape = g_tape:totable(), g_slide = g_slide:totable(), mle = mle:totable(), gd_theta = th:totable(),
         minev = minev, beta = beta:totable(), ne = ne:totable() }
