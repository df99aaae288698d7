-- mle_normal.lua: seed 000, problem 1(1).  X_i ~ N(3, 2²), n = 10000; maximize
-- the log-likelihood by gradient ascent with a tape from μ = 2, σ = 3, 1000
-- steps of 0.1/n, as the exam's solution does (the constant 1/√(2π) dropped).
-- Prints the estimates beside the closed-form MLE and the truth.
gd.seed(43052)
local n = 10000
local x = gd.normal(3, 2, n)
local mu, sigma = gd.Variable(2.0), gd.Variable(3.0)

local function loglik()
  local pdf = 1 / sigma * gd.exp(-0.5 * ((x - mu) / sigma) ^ 2)
  return gd.log(pdf):sum()
end

local first
for i = 1, 1000 do
  local tape <close> = gd.GradientTape()
  local logL = loglik()
  local dmu, dsigma = tape:gradient(logL, mu, sigma)
  if i == 1 then first = { dmu:item(), dsigma:item() } end
  mu:assign_add(dmu * 0.1 / n)
  sigma:assign_add(dsigma * 0.1 / n)
end

local mle_mu, mle_sigma = x:mean():item(), x:std():item()   -- std with divisor n
print("seed 000 problem 1(1): MLE of N(mu, sigma^2) by gradient ascent (n = 10000)")
print(string.format("first gradient at (mu, sigma) = (2, 3): [%.4f, %.4f]", first[1], first[2]))
print(string.format("%-6s %12s %12s %8s", "", "estimate", "closed form", "truth"))
print(string.format("%-6s %12.7f %12.7f %8g", "mu", mu:item(), mle_mu, 3))
print(string.format("%-6s %12.7f %12.7f %8g", "sigma", sigma:item(), mle_sigma, 2))

-- The same log-likelihood from gd.dist (with the 1/√(2π) constant kept):
-- it differs from the hand-written density only by −n/2·log(2π), so its
-- gradient is the same.
local function loglik_dist(m, s) return gd.dist.Normal(m, s):log_prob(x):sum() end
local hand_logL = loglik():item() - n / 2 * math.log(2 * math.pi)
local dist_logL = loglik_dist(mu, sigma):item()
local g_mu, g_sigma = gd.grad(loglik_dist, { argnums = { 1, 2 } })(gd.tensor(2.0), gd.tensor(3.0))
local dist_first = { g_mu:item(), g_sigma:item() }
print(string.format("log-likelihood at the estimate: hand-written %.6f, gd.dist.Normal %.6f",
  hand_logL, dist_logL))
print(string.format("gd.dist gradient at (2, 3):      [%.4f, %.4f]", dist_first[1], dist_first[2]))

-- the data's histogram with the fitted density, as the seed's figure
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { size = { 800, 500 }, title = "N(mu, sigma^2) fitted by gradient ascent" }
  local ax = fig:subplot(1)
  ax:hist(x, { bins = 50, density = true, alpha = 0.5, title = "data (n = 10000)" })
  local t = gd.linspace(x:min():item(), x:max():item(), 200)
  local m, s = mu:item(), sigma:item()
  ax:plot(t, gd.exp(-0.5 * ((t - m) / s) ^ 2) / (s * math.sqrt(2 * math.pi)), "-",
    { title = string.format("N(%.3f, %.3f^2)", m, s), color = "red", linewidth = 2 })
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { mu = mu:item(), sigma = sigma:item(), mle_mu = mle_mu, mle_sigma = mle_sigma,
         first = first, x = x, hand_logL = hand_logL, dist_logL = dist_logL, dist_first = dist_first }
