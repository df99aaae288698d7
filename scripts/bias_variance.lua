-- bias_variance.lua: seed 003 (PRML 3.2), the bias-variance decomposition.
--
-- L = 100 data sets of N = 25 points, x ~ U(0, 1), t = sin(2πx) + N(0, 0.3²);
-- each is fitted by regularized least squares, w = (λI + ΦᵀΦ)⁻¹Φᵀt, with a bias
-- and 24 Gaussian basis functions exp(−(x − μⱼ)²/(2s²)), μⱼ evenly spaced on
-- [0, 1], s = 0.05 (M = 25 parameters, as Bishop's figures 3.5 and 3.6; the
-- book does not give s: 0.05 puts the minimum where its figure does).  With
-- ȳ(x) the average fit and h(x) = sin(2πx):
--   (bias)²  = ∫ (ȳ(x) − h(x))² p(x) dx
--   variance = ∫ E_D[(y(x; D) − ȳ(x))²] p(x) dx
-- (integrals as means over 1000 evenly spaced x), and the test error is the
-- mean squared error of the 100 fits on an independent test set of 1000 points.
-- Expected: bias² grows with λ, variance shrinks, their sum and the test error
-- (≈ the sum + the noise variance 0.09) are smallest near ln λ ≈ −0.3.
local L, N, M, s, noise = 100, 25, 24, 0.05, 0.3
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local design = dofile(here .. "gaussian_basis.lua")(gd.linspace(0, 1, M), s)   -- x ↦ [1, φ₁(x), …, φ_M(x)]
local function h(x) return gd.sin(2 * math.pi * x) end

gd.seed(2023)
local sets = {}
for l = 1, L do
  local x = gd.uniform(0, 1, N)
  local t = h(x) + noise * gd.randn(N)
  local P = design(x)
  sets[l] = { x = x, t = t, PtP = P.T:matmul(P), Ptt = P.T:matmul(t:reshape(N, 1)) }
end
local xg = gd.linspace(0, 1, 1000)
local Pg, hg = design(xg), h(xg)
local xt = gd.uniform(0, 1, 1000)
local tt = h(xt) + noise * gd.randn(1000)
local Pt = design(xt)
local I = gd.eye(M + 1)

--- The 100 fits at ln λ: weights (M+1) × L, predictions on the grid 1000 × L, and the four measures.
local function fit_all(lnl)
  local lam = math.exp(lnl)
  local cols = {}
  for l = 1, L do cols[l] = gd.solve(sets[l].PtP + lam * I, sets[l].Ptt):reshape(M + 1) end
  local W = gd.stack(cols, 2)
  local Y = Pg:matmul(W)                               -- y(x; D_l) on the grid
  local ybar = Y:mean(2)
  local bias2 = ((ybar - hg) ^ 2):mean():item()
  local var = ((Y - ybar:reshape(1000, 1)) ^ 2):mean():item()
  local test = ((Pt:matmul(W) - tt:reshape(1000, 1)) ^ 2):mean():item()
  local mse_h = ((Y - hg:reshape(1000, 1)) ^ 2):mean():item()   -- E_D ∫ (y − h)² = bias² + variance
  return { lnl = lnl, W = W, Y = Y, ybar = ybar, bias2 = bias2, var = var, test = test, mse_h = mse_h }
end

print("seed 003 (PRML 3.2): bias-variance of ridge regression, 100 data sets of 25 points, 24 Gaussian bases")
print(string.format("%7s %10s %10s %12s %11s", "ln λ", "(bias)²", "variance", "bias²+var", "test error"))
local curve, best, besttest = {}, nil, nil
for k = 0, 50 do
  local r = fit_all(-3 + 0.1 * k)
  r.W, r.Y = nil, nil
  curve[#curve + 1] = r
  if not best or r.bias2 + r.var < best.bias2 + best.var then best = r end
  if not besttest or r.test < besttest.test then besttest = r end
  if k % 5 == 0 then
    print(string.format("%7.2f %10.5f %10.5f %12.5f %11.5f", r.lnl, r.bias2, r.var, r.bias2 + r.var, r.test))
  end
end
print(string.format("smallest bias²+variance at ln λ = %.1f (%.5f); smallest test error at ln λ = %.1f (%.5f);"
  .. " Bishop: both near −0.31", best.lnl, best.bias2 + best.var, besttest.lnl, besttest.test))
print(string.format("(the test error exceeds bias²+variance by about the noise variance %.2f)", noise ^ 2))

-- Bishop's figure 3.5: ln λ = 2.6, −0.31, −2.4; 20 fits (left) and the mean of 100 beside sin 2πx (right)
local rows = { fit_all(2.6), fit_all(-0.31), fit_all(-2.4) }
local ok, err = pcall(function()
  local plt = gd.plot
  -- one y range for all panels, as Bishop's: the spread shrinks as lambda grows
  local fig = plt.figure { layout = { 3, 2 }, size = { 1000, 1100 }, title = "seed 003: figure 3.5",
                           sharey = true }
  for i, r in ipairs(rows) do
    local left = fig:subplot(2 * i - 1)
    for l = 1, 20 do left:plot(xg, r.Y:select(2, l), "-", { color = "red", linewidth = 0.5 }) end
    left:title(string.format("ln lambda = %.2f: 20 of the 100 fits", r.lnl)):xlabel("x"):ylabel("t")
    local right = fig:subplot(2 * i)
    right:title(string.format("ln lambda = %.2f: their mean", r.lnl)):xlabel("x"):ylabel("t")
    right:plot(xg, hg, "-", { color = "green", title = "sin 2 pi x" })
    right:plot(xg, r.ybar, "-", { color = "red", title = "mean of 100 fits" })
  end
  fig:show()
  local fig2 = plt.figure { size = { 800, 550 }, title = "seed 003: figure 3.6" }
  local ax = fig2:subplot(1)
  local lnl, b2, v, sum, te = {}, {}, {}, {}, {}
  for i, r in ipairs(curve) do lnl[i], b2[i], v[i], sum[i], te[i] = r.lnl, r.bias2, r.var, r.bias2 + r.var, r.test end
  ax:plot(lnl, b2, "-", { color = "blue", title = "(bias)^2" })
  ax:plot(lnl, v, "-", { color = "red", title = "variance" })
  ax:plot(lnl, sum, "-", { color = "magenta", title = "(bias)^2 + variance" })
  ax:plot(lnl, te, "-", { color = "black", title = "test error" })
  ax:xlabel("ln lambda")
  fig2:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { curve = curve, best = best.lnl, besttest = besttest.lnl, sets = sets, design = design,
         rows = rows, xg = xg, I = I }
