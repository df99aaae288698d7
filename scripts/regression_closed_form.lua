-- regression_closed_form.lua: seed 000, problem 2(1).  The least-squares
-- (MSE) estimate of y = β0 + β1·x on the exam's ten points in closed form,
-- β̂ = (XᵀX)⁻¹Xᵀy, beside the exam's printed answer and gd.lstsq.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local X, y, seed = dofile(here .. "exam_regression.lua")()   -- the exam's ten points and answer

local beta = gd.inv(X.T:matmul(X)):matmul(X.T):matmul(y)     -- as the exam: inv(XᵀX) Xᵀ y
local ls = gd.lstsq(X, y)                                     -- the same by QR/SVD
local loss = ((y - X:matmul(beta)) ^ 2):mean():item()

print("seed 000 problem 2(1): closed-form least squares, β̂ = (XᵀX)⁻¹Xᵀy")
print(string.format("%-6s %14s %14s %14s", "", "formula", "gd.lstsq", "exam"))
for i = 1, 2 do
  print(string.format("%-6s %14.8f %14.8f %14.8f", "beta" .. (i - 1), beta[i][1], ls[i][1], seed[i]))
end
print(string.format("MSE at β̂: %.8f", loss))

local ok, err = pcall(function()                 -- the data and the fitted line
  local plt = gd.plot
  local fig = plt.figure { size = { 800, 500 }, title = "seed 000, 2(1): least squares" }
  local ax = fig:subplot(1)
  local x = X:select(2, 2)
  ax:scatter(x, y:reshape(10), { title = "data" })
  local t = gd.linspace(20, 31, 2)
  ax:plot(t, beta[1][1] + beta[2][1] * t, "-",
    { title = string.format("%.4f + %.4f x", beta[1][1], beta[2][1]), color = "red" })
  ax:xlabel("x"); ax:ylabel("y")
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end
return { beta = { beta[1][1], beta[2][1] }, lstsq = { ls[1][1], ls[2][1] }, seed = seed, mse = loss }
