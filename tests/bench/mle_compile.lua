-- mle_compile: mle_normal (1000 tape steps of gradient ascent on the normal
-- log-likelihood of 10,000 points) through gd.compile: one traced step,
-- 999 replays.  Timed: all 1000 steps, the trace included.
gd.seed(43052)
local x = gd.normal(3, 2, 10000)
local mu
for _ = 1, 3 do
  mu = gd.Variable(2.0)
  local sigma = gd.Variable(3.0)
  local step = gd.compile(function()
    local tape <close> = gd.GradientTape()
    local pdf = 1 / sigma * gd.exp(-0.5 * ((x - mu) / sigma) ^ 2)
    local logL = gd.log(pdf):sum()
    local dmu, dsigma = tape:gradient(logL, mu, sigma)
    mu:assign_add(dmu * 0.1 / 10000)
    sigma:assign_add(dsigma * 0.1 / 10000)
  end)
  local t0 = os.clock()
  step()
  step:run(999)
  print(("time %.9f"):format(os.clock() - t0))
  local p = step:info().programs[1]
  print(("info %d instructions (%d in fused runs: runs fuse from 16,384 elements), %d buffers (%d doubles)")
    :format(p.instructions, p.fused, p.buffers, p.doubles))
end
print(("value %.17g"):format(mu:item()))
