-- linear_regression.lua: seed 002, a blog post on linear regression, numerically.
--
-- The model Y = xᵀw + ε with ε ~ N(0, σ²).  Maximizing the log-likelihood
--   ln L = −(n/2) ln(2πσ²) − Σ(yᵢ − xᵢᵀw)²/(2σ²)
-- is minimizing the MSE = (y − Xw)ᵀ(y − Xw)/n, whose gradient is 2/n Xᵀ(Xw − y)
-- and whose minimum is the normal equation ŵ = (XᵀX)⁻¹Xᵀy.  The post's run:
-- n = 200, x integer in [−40, 24] (torch.randint(−40, 25)), ε ~ N(0, 5²),
-- w = (0, 1); gradient descent from ŵ = (0, −5), 1000 epochs of lr 1e-5,
-- drawing the line every 100 epochs in a 2×5 panel.
gd.seed(2202)
local n, sigma = 200, 5
local x = gd.randint(-40, 24, { n, 1 })
local X = gd.cat({ gd.ones(n, 1), x }, 2)
local w = gd.tensor{ { 0 }, { 1 } }
local y = X:matmul(w) + sigma * gd.randn(n, 1)

-- 1. the derivation, checked on the data at the post's starting point
local w0 = gd.tensor{ { 0 }, { -5 } }
local v = gd.Variable(w0)
local tape <close> = gd.GradientTape { persistent = true }
local r = y - X:matmul(v)
local mse = (r.T:matmul(r) / n):sum()
local nll = (n / 2) * math.log(2 * math.pi * sigma ^ 2) + (r ^ 2):sum() / (2 * sigma ^ 2)
local g_mse, g_nll = tape:gradient(mse, v), tape:gradient(nll, v)
local g_hand = 2 / n * X.T:matmul(X:matmul(w0) - y)
local expanded = (y.T:matmul(y) - 2 * w0.T:matmul(X.T:matmul(y))
                  + w0.T:matmul(X.T:matmul(X)):matmul(w0)):item() / n
local ratio = (g_nll / g_mse)   -- n/(2σ²) in every component

print("seed 002: linear regression, n = 200, y = 0 + 1·x + N(0, 5²)")
print(string.format("at w = (0, -5): MSE %.6f, expanded (yᵀy − 2wᵀXᵀy + wᵀXᵀXw)/n %.6f", mse:item(), expanded))
print(string.format("  gradient of the MSE: tape (%.6f, %.6f), 2/n Xᵀ(Xw − y) (%.6f, %.6f)",
  g_mse:at(1, 1), g_mse:at(2, 1), g_hand:at(1, 1), g_hand:at(2, 1)))
print(string.format("  gradient of −ln L / gradient of the MSE = (%.6f, %.6f), n/(2σ²) = %.6f",
  ratio:at(1, 1), ratio:at(2, 1), n / (2 * sigma ^ 2)))

-- 2. the normal equation, three ways
local XtX, Xty = X.T:matmul(X), X.T:matmul(y)
local ne = gd.solve(XtX, Xty)
local pinv = gd.pinv(X):matmul(y)
local lstsq = gd.lstsq(X, y)
print(string.format("normal equation (XᵀX)⁻¹Xᵀy  (%.6f, %.6f)", ne:at(1, 1), ne:at(2, 1)))
print(string.format("pseudo-inverse X⁺y           (%.6f, %.6f)", pinv:at(1, 1), pinv:at(2, 1)))
print(string.format("lstsq                        (%.6f, %.6f)", lstsq:at(1, 1), lstsq:at(2, 1)))

-- 3. gradient descent as the post runs it: 1000 epochs of lr 1e-5, a snapshot every 100
local what = w0:copy()
local snaps = {}
for epoch = 0, 999 do
  what = what - 1e-5 * 2 / n * X.T:matmul(X:matmul(what) - y)
  if epoch % 100 == 0 then snaps[#snaps + 1] = { epoch = epoch, w0 = what:at(1, 1), w1 = what:at(2, 1) } end
end
print("gradient descent, lr 1e-5 (the post draws the line after epochs 0, 100, ..., 900):")
for _, s in ipairs(snaps) do print(string.format("  epoch %4d  What = (%.3f, %.3f)", s.epoch, s.w0, s.w1)) end
print(string.format("%-10s %10s %10s %8s", "", "GD, 1000", "normal eq.", "truth"))
print(string.format("%-10s %10.4f %10.4f %8g", "w0", what:at(1, 1), ne:at(1, 1), 0))
print(string.format("%-10s %10.4f %10.4f %8g", "w1", what:at(2, 1), ne:at(2, 1), 1))
local lam = gd.eigh(2 / n * XtX)     -- ascending
print(string.format("(w1 settles within 1000 epochs, w0 does not: the MSE's Hessian 2XᵀX/n has eigenvalues"
  .. " %.3g and %.3g, and lr 1e-5 shrinks the error along the slow one by only %.2g%% an epoch;"
  .. " the post's What = (-0.125, 0.969) stops there too)", lam[1], lam[2], 100 * 1e-5 * lam[1]))

-- the 2×5 panel of the post
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { layout = { 2, 5 }, size = { 1600, 640 }, title = "seed 002: gradient descent, lr 1e-5" }
  local xs = gd.tensor{ -40, 24 }
  for i, s in ipairs(snaps) do
    local ax = fig:subplot(i)
    ax:plot(x:reshape(n), y:reshape(n), "o", { color = "blue", alpha = 0.5, pointsize = 0.5 })
    ax:plot(xs, s.w0 + s.w1 * xs, "--", { color = "red" })
    ax:title(string.format("What = (%.3f, %.3f)", s.w0, s.w1)):xlabel("x"):ylabel("y")
  end
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return {
  x = x, y = y, X = X, mse = mse:item(), expanded = expanded,
  g_mse = g_mse:totable(), g_hand = g_hand:totable(), g_nll = g_nll:totable(),
  ne = ne:totable(), pinv = pinv:totable(), lstsq = lstsq:totable(),
  snaps = snaps, final = what:totable(), lam = { lam[1], lam[2] },
}
