-- regression_optimizer.lua: seed 000, problems 2(3) and 2(4).  The same
-- regression with gd.optim.SGD(0.0015), as the exam does with
-- tf.keras.optimizers: (3) tape gradient + opt:apply_gradients{{g, β}},
-- (4) opt:minimize(loss_fn, β); 50,000 steps each from (5, 10).  Both loops
-- run through gd.compile (traced once, replayed in C: the eager loop's
-- numbers, bit for bit).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local X, y = dofile(here .. "exam_regression.lua")()   -- the exam's ten points
local seed = { 9.28579425, 2.24168098 }     -- the exam printed 9.28579425 for (3) and (4)

-- 2(3): apply_gradients
local beta3 = gd.Variable(gd.tensor{5.0, 10.0}:reshape(2, 1))
local opt3 = gd.optim.SGD(0.0015)
local step3 = gd.compile(function()
  local tape <close> = gd.GradientTape()
  local loss = (y - X:matmul(beta3)).T:matmul(y - X:matmul(beta3)) / 10
  tape:stop()
  local slope = tape:gradient(loss, beta3)
  opt3:apply_gradients{{slope, beta3}}
end)
step3:run(50000)

-- 2(4): minimize
local beta4 = gd.Variable(gd.tensor{5.0, 10.0}:reshape(2, 1))
local opt4 = gd.optim.SGD(0.0015)
local loss_fn = function() return (y - X:matmul(beta4)).T:matmul(y - X:matmul(beta4)) / 10 end
for _ = 1, 50000 do opt4:minimize(loss_fn, beta4, { compile = true }) end

print("seed 000 problems 2(3), 2(4): gd.optim.SGD(0.0015), 50,000 steps")
print(string.format("%-6s %16s %16s %14s", "", "apply_gradients", "minimize", "exam"))
for i = 1, 2 do
  print(string.format("%-6s %16.8f %16.8f %14.8f", "beta" .. (i - 1), beta3[i][1], beta4[i][1], seed[i]))
end
print(string.format("iterations: %d and %d; final loss %.8f", opt3.iterations, opt4.iterations,
  loss_fn():item()))
return {
  apply_gradients = { beta3[1][1], beta3[2][1] },
  minimize = { beta4[1][1], beta4[2][1] },
  seed = seed,
}
