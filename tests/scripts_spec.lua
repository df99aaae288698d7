-- scripts_spec.lua: the experiments in scripts/ run headless and their key
-- numbers hold (closed forms, the seeds' printed values).
local u = require "tests.helpers.util"
local close = u.close

local run = u.run_script

describe("scripts", function()
  it("mle_normal: gradient ascent reaches the closed-form MLE", function()
    local r, text = run("mle_normal")
    close(r.mu, r.mle_mu, 1e-3)
    close(r.sigma, r.mle_sigma, 1e-3)
    -- closed forms computed independently from the data
    local n, s = r.x:numel(), 0
    for i = 1, n do s = s + r.x[i] end
    local mean = s / n
    local ss = 0
    for i = 1, n do ss = ss + (r.x[i] - mean) ^ 2 end
    close(r.mle_mu, mean, 1e-10)
    close(r.mle_sigma, math.sqrt(ss / n), 1e-10)
    -- the first gradient: d/dmu = sum(x - 2)/9, d/dsigma = -n/3 + sum((x - 2)^2)/27
    local dmu, dsig = 0, -n / 3
    for i = 1, n do dmu = dmu + (r.x[i] - 2) / 9; dsig = dsig + (r.x[i] - 2) ^ 2 / 27 end
    close(r.first, { dmu, dsig }, 1e-8)
    assert.truthy(text:find("closed form", 1, true))
  end)

  it("mle_bernoulli: the estimate is the sample mean", function()
    local r = run("mle_bernoulli")
    close(r.p, r.mle, 1e-3)
    close(r.mle, 0.8, 0.02)
  end)

  it("mle_regression: the estimates approach least squares", function()
    local r = run("mle_regression")
    close(r.b0, r.ls0, 1e-3)
    close(r.b1, r.ls1, 1e-3)
    close({ r.ls0, r.ls1 }, { 0.5, 2 }, 0.1)
  end)
end)
