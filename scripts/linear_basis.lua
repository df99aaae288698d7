-- linear_basis.lua: seed 003 (PRML 3.1-3.1.5), linear basis-function models.
--
-- y(x, w) = w0 + Σⱼ wⱼφⱼ(x) with polynomial, Gaussian and sigmoid bases (figure
-- 3.1); maximum likelihood under t = y(x, w) + N(0, β⁻¹):
--   w_ML = (ΦᵀΦ)⁻¹Φᵀt = Φ⁺t                         (3.15, the normal equation)
--   w0 = t̄ − Σⱼ wⱼ φ̄ⱼ                                (3.19, the bias)
--   1/β_ML = (1/N) Σₙ (tₙ − w_MLᵀφ(xₙ))²               (3.21)
-- sequential learning (LMS, 3.22): w ← w + η(tₙ − wᵀφₙ)φₙ, one point at a time;
-- multiple outputs (3.34): W_ML = (ΦᵀΦ)⁻¹ΦᵀT, one column per target.
local M, s = 5, 0.1
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local design = dofile(here .. "gaussian_basis.lua")(gd.linspace(0, 1, M), s)   -- x ↦ [1, φ₁(x), …, φ_M(x)]

-- the sigmoid basis is a combination of tanh: σ(a) = (1 + tanh(a/2))/2
local a = gd.linspace(-6, 6, 121)
local tanh_gap = (gd.sigmoid(a) - (1 + gd.tanh(a / 2)) / 2):abs():max():item()
print("seed 003 (PRML 3.1): linear basis-function models")
print(string.format("sigmoid(a) − (1 + tanh(a/2))/2: largest |difference| over [−6, 6] = %.2g", tanh_gap))

-- data: N = 50 points of t = sin(2πx) + N(0, 0.3²), so β = 1/0.09 = 11.1
gd.seed(31)
local N, noise = 50, 0.3
local x = gd.uniform(0, 1, N)
local t = (gd.sin(2 * math.pi * x) + noise * gd.randn(N)):reshape(N, 1)
local P = design(x)

local w_ne = gd.solve(P.T:matmul(P), P.T:matmul(t))
local w_pinv = gd.pinv(P):matmul(t)
local w_lstsq = gd.lstsq(P, t)
-- (3.19): the bias compensates the difference of the target mean and the weighted basis means
local pbar = P:mean(1)
local w0 = t:mean():item() - (w_ne:reshape(M + 1):narrow(1, 2, M) * pbar:narrow(1, 2, M)):sum():item()
local r = t - P:matmul(w_ne)
local beta_ml = 1 / (r ^ 2):mean():item()

-- the log-likelihood is stationary there in w and in β (the tape's gradients)
local function loglik(w, b)
  local e = t - P:matmul(w)
  return N / 2 * gd.log(b) - N / 2 * math.log(2 * math.pi) - b / 2 * (e ^ 2):sum()
end
local gw, gb = gd.grad(loglik, { argnums = { 1, 2 } })(w_ne, gd.tensor(beta_ml))

print(string.format("N = %d points of sin(2πx) + N(0, %.1f²), a bias and %d Gaussian bases (s = %.2f):", N, noise, M, s))
print(string.format("  w_ML by the normal equation, Φ⁺t and lstsq agree to %.1e",
  math.max((w_ne - w_pinv):abs():max():item(), (w_ne - w_lstsq):abs():max():item())))
print(string.format("  w0 = %.6f; t̄ − Σ wⱼφ̄ⱼ = %.6f (3.19)", w_ne:at(1, 1), w0))
print(string.format("  β_ML = %.3f (the noise's β = %.2f); ∂lnL/∂w = %.1e, ∂lnL/∂β = %.1e at (w_ML, β_ML)",
  beta_ml, 1 / noise ^ 2, gw:abs():max():item(), math.abs(gb:item())))

-- sequential learning: LMS, one point at a time in the data's order (plain Lua numbers: it is a scalar loop)
local rows, tn = P:totable(), t:reshape(N):totable()
local w = {}
for j = 1, M + 1 do w[j] = 0 end
local eta = 0.5
local dist = {}
local function report(pass)
  local d2, e2 = 0, 0
  for j = 1, M + 1 do d2 = d2 + (w[j] - w_ne:at(j, 1)) ^ 2 end
  for n = 1, N do
    local yn = 0
    for j = 1, M + 1 do yn = yn + w[j] * rows[n][j] end
    e2 = e2 + (tn[n] - yn) ^ 2 / N
  end
  dist[#dist + 1] = { pass = pass, d = math.sqrt(d2), e = e2 }
end
for pass = 1, 3000 do
  local lr = eta / (1 + pass / 100)          -- a decaying rate: LMS then settles on w_ML
  for n = 1, N do
    local phi = rows[n]
    local yn = 0
    for j = 1, M + 1 do yn = yn + w[j] * phi[j] end
    local c = lr * (tn[n] - yn)
    for j = 1, M + 1 do w[j] = w[j] + c * phi[j] end
  end
  if pass == 1 or pass == 10 or pass == 100 or pass == 1000 or pass == 3000 then report(pass) end
end
print(string.format("  LMS (3.22), η = %.1f/(1 + pass/100): |w − w_ML| and the mean squared error after passes over the data:", eta))
for _, d in ipairs(dist) do
  print(string.format("    pass %5d  |w − w_ML| = %.6f  MSE = %.6f (w_ML: %.6f)", d.pass, d.d, d.e, 1 / beta_ml))
end

-- multiple outputs: targets sin 2πx and cos 2πx at once, W = (ΦᵀΦ)⁻¹ΦᵀT
local T = gd.cat({ t, (gd.cos(2 * math.pi * x) + noise * gd.randn(N)):reshape(N, 1) }, 2)
local W = gd.solve(P.T:matmul(P), P.T:matmul(T))
local w2 = gd.solve(P.T:matmul(P), P.T:matmul(T:narrow(2, 2, 1)))
print(string.format("  two outputs at once (3.34): column 1 = the single fit to %.1e, column 2 = its own fit to %.1e",
  (W:narrow(2, 1, 1) - w_ne):abs():max():item(), (W:narrow(2, 2, 1) - w2):abs():max():item()))

-- figure 3.1: polynomial, Gaussian and sigmoid bases on [−1, 1], and the fit
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { layout = { 2, 2 }, size = { 1100, 800 }, title = "seed 003: linear basis functions" }
  local xs = gd.linspace(-1, 1, 200)
  local centers = gd.linspace(-1, 1, 11)
  local ax1, ax2, ax3 = fig:subplot(1), fig:subplot(2), fig:subplot(3)
  for j = 1, 11 do
    ax1:plot(xs, xs ^ j, "-")
    ax2:plot(xs, gd.exp(-0.5 * ((xs - centers[j]) / 0.2) ^ 2), "-")
    ax3:plot(xs, gd.sigmoid((xs - centers[j]) / 0.1), "-")
  end
  ax1:title("polynomial x^j")
  ax2:title("Gaussian, s = 0.2")
  ax3:title("sigmoid, s = 0.1")
  local ax4 = fig:subplot(4)
  local xg = gd.linspace(0, 1, 200)
  ax4:plot(x, t:reshape(N), "o", { color = "blue", title = "data" })
  ax4:plot(xg, gd.sin(2 * math.pi * xg), "-", { color = "green", title = "sin 2 pi x" })
  ax4:plot(xg, design(xg):matmul(w_ne):reshape(200), "-", { color = "red", title = "w_ML" })
  ax4:title("maximum likelihood fit")
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { tanh_gap = tanh_gap, x = x, t = t, P = P, w_ne = w_ne:totable(), w_pinv = w_pinv:totable(),
         w_lstsq = w_lstsq:totable(), w0 = w0, beta_ml = beta_ml, gw = gw:abs():max():item(),
         gb = gb:item(), lms = dist, final_lms = w, T = T, W = W:totable() }
