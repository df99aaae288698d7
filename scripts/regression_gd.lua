-- regression_gd.lua: seed 000, problem 2(2).  Gradient descent on the MSE
-- loss (y − Xβ)ᵀ(y − Xβ)/10 with its analytic derivative (no tape):
-- β ← β − 0.0015·(−2Xᵀy + 2XᵀXβ)/10, 50,000 steps from (5, 10).
local X = gd.tensor{{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
                    {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
local y = gd.tensor{55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                    63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}:reshape(10, 1)
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
