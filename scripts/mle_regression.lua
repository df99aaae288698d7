-- mle_regression.lua: seed 000, problem 1(3).  Y_i ~ N(0.5 + 2 x_i, 1) with
-- x_i = i/10000; maximize the log-likelihood in (β0, β1) by gradient ascent
-- from (1, 1), 2000 steps of 0.1/n, as the exam does (its data gave
-- β0 ≈ 0.53, β1 ≈ 1.95).  The closed-form MLE is least squares.
gd.seed(43052)
local n = 10000
local x = gd.arange(1, n + 1) / n
local y = gd.randn(n) + (0.5 + 2 * x)
local b0, b1 = gd.Variable(1.0), gd.Variable(1.0)
for _ = 1, 2000 do
  local tape <close> = gd.GradientTape()
  local mu = b0 + b1 * x
  local logL = gd.log(gd.exp(-0.5 * (y - mu) ^ 2)):sum()
  local g0, g1 = tape:gradient(logL, b0, b1)
  b0:assign_add(g0 * 0.1 / n)
  b1:assign_add(g1 * 0.1 / n)
end
local X = gd.stack({ gd.ones(n), x }, 2)
local ls = gd.lstsq(X, y)
print("seed 000 problem 1(3): MLE of a linear-regression likelihood by gradient ascent")
print(string.format("%-6s %12s %12s %8s", "", "estimate", "closed form", "truth"))
print(string.format("%-6s %12.7f %12.7f %8g", "beta0", b0:item(), ls[1], 0.5))
print(string.format("%-6s %12.7f %12.7f %8g", "beta1", b1:item(), ls[2], 2))
-- the data and the fitted line, as the seed plots y against x
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { size = { 800, 500 }, title = "Y = beta0 + beta1 x + N(0, 1)" }
  local ax = fig:subplot(1)
  ax:scatter(x, y, { alpha = 0.15, pointsize = 0.4, title = "data" })
  ax:plot(x, b0:item() + b1:item() * x, "-",
    { title = string.format("%.3f + %.3f x", b0:item(), b1:item()), color = "red", linewidth = 2 })
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { b0 = b0:item(), b1 = b1:item(), ls0 = ls[1], ls1 = ls[2] }
