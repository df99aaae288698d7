-- mle_bernoulli.lua: seed 000, problem 1(2).  X_i ~ Ber(0.8), n = 10000;
-- maximize the log-likelihood sum log(p^x (1-p)^(1-x)) by gradient ascent
-- from p = 0.3, 1000 steps of 0.1/n.  The closed-form MLE is the sample mean.
gd.seed(43052)
local n = 10000
local x = gd.binomial(1, 0.8, n)
local p = gd.Variable(0.3)
for _ = 1, 1000 do
  local tape <close> = gd.GradientTape()
  local pdf = p ^ x * (1 - p) ^ (1 - x)
  local logL = gd.log(pdf):sum()
  p:assign_add(tape:gradient(logL, p) * 0.1 / n)
end
local mle = x:mean():item()
print("seed 000 problem 1(2): MLE of Ber(p) by gradient ascent (n = 10000)")
print(string.format("%-4s %12s %12s %8s", "", "estimate", "closed form", "truth"))
print(string.format("%-4s %12.7f %12.7f %8g", "p", p:item(), mle, 0.8))
return { p = p:item(), mle = mle }
