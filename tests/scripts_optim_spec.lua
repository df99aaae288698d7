-- scripts_optim_spec.lua: the optimizer experiments in scripts/ (seed 000,
-- problem 2) run headless and print the exam's numbers.
local u = require "tests.helpers.util"
local close = u.close

local run = u.run_script

describe("scripts (seed 000 problem 2)", function()
  it("regression_closed_form: 2(1) β̂ = (9.94457323, 2.21570461)", function()
    local r, text = run("regression_closed_form")
    close(r.beta, { 9.94457323, 2.21570461 }, 1e-8)
    close(r.lstsq, r.beta, 1e-10)
    close(r.seed, { 9.94457323, 2.21570461 }, 0)
    assert.truthy(text:find("9.94457323", 1, true))
  end)

  it("regression_gd: 2(2) analytic gradient gives (9.28579424, 2.24168098)", function()
    local r, text = run("regression_gd")
    close(r.beta, { 9.28579424, 2.24168098 }, 1e-8)
    close(r.exact, { 9.94457323, 2.21570461 }, 1e-8)
    assert.truthy(text:find("9.28579424", 1, true))
  end)

  it("regression_optimizer: 2(3) apply_gradients and 2(4) minimize agree with the exam", function()
    local r, text = run("regression_optimizer")
    close(r.apply_gradients, { 9.28579424, 2.24168098 }, 1e-8)
    close(r.minimize, { 9.28579424, 2.24168098 }, 1e-8)
    assert.truthy(text:find("2.24168098", 1, true))
  end)

  it("learning_rate: 2/λmax, the range test, and why 0.0015 is slow", function()
    local r, text = run("learning_rate")
    close(r.lambda, r.lmax, 1e-8 * r.lmax)
    close(r.lr_max, 2 / r.lmax, 1e-12)
    assert.is_true(0.0015 < r.lr_max and r.lr_max < 0.0016)
    assert.is_true(r.suggestion < r.lr_max)
    assert.is_true(r.diverged_at > r.lr_max)
    assert.equal(r.lrs:numel(), r.losses:numel())
    close(r.predicted, r.observed, 1e-6)
    close(r.beta_exam, { 9.28579424, 2.24168098 }, 1e-8)
    assert.is_nil(r.d_over)                        -- just over 2/λmax diverges
    assert.is_true(r.d_heavy_ball < 1e-8)           -- momentum reaches the closed form
    assert.truthy(text:find("0.0015741309", 1, true))
  end)
end)
