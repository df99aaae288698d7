-- regression_gd.lua: seed 000, problem 2(2).  Gradient descent on the MSE
-- loss (y − Xβ)ᵀ(y − Xβ)/10 with its analytic derivative (no tape):
-- β ← β − 0.0015·(−2Xᵀy + 2XᵀXβ)/10, 50,000 steps from (5, 10).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local X, y = dofile(here .. "exam_regression.lua")()   -- the exam's ten points
local seed = { 9.28579424, 2.24168098 }

local XtX, Xty = X.T:matmul(X), X.T:matmul(y)
local beta = gd.tensor{5, 10}:reshape(2, 1)
for _ = 1, 50000 do
  beta = beta - 0.0015 * (-2 * Xty + 2 * XtX:matmul(beta)) / 10
end
local exact = gd.solve(XtX, Xty)

print("seed 000 problem 2(2): gradient descent with the analytic derivative, lr 0.0015, 50,000 steps")
print(string.format("%-6s %14s %14s %14s", "", "estimate", "exam", "closed form"))
for i = 1, 2 do
  print(string.format("%-6s %14.8f %14.8f %14.8f", "beta" .. (i - 1), beta[i][1], seed[i], exact[i][1]))
end
print("(not yet at the closed form: see scripts/learning_rate.lua for why)")
return { beta = { beta[1][1], beta[2][1] }, seed = seed, exact = { exact[1][1], exact[2][1] } }
