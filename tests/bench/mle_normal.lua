-- mle_normal: seed 000 problem 1(1), 1000 steps of gradient ascent on the
-- normal log-likelihood of 10,000 points, a tape per step.
gd.seed(43052)
local x = gd.normal(3, 2, 10000)
local mu, sigma = gd.Variable(2.0), gd.Variable(3.0)
local t0 = os.clock()
for _ = 1, 1000 do
  local tape <close> = gd.GradientTape()
  local pdf = 1 / sigma * gd.exp(-0.5 * ((x - mu) / sigma) ^ 2)
  local logL = gd.log(pdf):sum()
  local dmu, dsigma = tape:gradient(logL, mu, sigma)
  mu:assign_add(dmu * 0.1 / 10000)
  sigma:assign_add(dsigma * 0.1 / 10000)
end
print(("time %.9f"):format(os.clock() - t0))
print(("value %.17g"):format(mu:item()))
