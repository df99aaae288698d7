-- scripts_newton_spec.lua: scripts/newton_methods.lua (issue 11) runs headless
-- and its numbers hold: Rosenbrock's (1, 1), the exam's closed form reached by
-- Newton in one step while 50,000 gradient-descent steps of 0.0015 stop at
-- the exam's (9.28579424, 2.24168098), and Newton = IRLS on seed 001's logistic
-- regression (against gradient_descent.lua's hand-written IRLS).
local u = require "tests.helpers.util"
local close = u.close

describe("scripts/newton_methods.lua", function()
  local r, text
  setup(function() r, text = u.run_script("newton_methods") end)

  it("(a) Rosenbrock: the second-order methods converge, first-order ones stall", function()
    for _, m in ipairs { "newton", "bfgs", "lbfgs", "cg" } do
      close(r.rosenbrock[m].x, { 1, 1 }, 1e-5, m)
      assert.is_true(r.rosenbrock[m].nit < 100, m)
    end
    assert.equal(21, r.rosenbrock.newton.nit)            -- the modified-Newton run printed by the script
    assert.equal(r.rosenbrock.newton.nit, r.rosenbrock.newton.nhev)
    for _, m in ipairs { "gd", "momentum" } do
      assert.equal(5000, r.rosenbrock[m].nit)
      assert.is_true(r.rosenbrock[m].dist > 0.1, m)
    end
  end)

  it("(b) the exam's regression: κ ≈ 46,000; Newton lands on the closed form in one step", function()
    assert.is_true(math.abs(r.kappa - 46000) < 1000, tostring(r.kappa))
    local n = r.regression.newton
    assert.equal(1, n.nit); assert.equal(1, n.nhev)
    close(n.x, { 9.94457323, 2.21570461 }, 5e-9)
    assert.is_true(n.dist < 1e-10)                      -- to gd.lstsq's answer
    -- the exam's 2(2) numbers: 50,000 steps of 0.0015 from (5, 10)
    close(r.regression.gd.x, { 9.28579424, 2.24168098 }, 1e-8)
    assert.is_true(r.regression.gd.dist > 0.6)
    for _, m in ipairs { "bfgs", "lbfgs", "cg" } do
      assert.is_true(r.regression[m].nit <= 3, m)
      assert.is_true(r.regression[m].dist < 1e-8, m)
    end
    assert.truthy(text:find("9.94457323, 2.21570461", 1, true))
  end)

  it("(c) logistic regression: Newton (IRLS) gives gradient_descent.lua's MLE", function()
    local g = u.run_script("gradient_descent")
    close(r.mle, g.mle, 1e-10)
    assert.is_true(r.logistic.newton.nit <= 10)
    for _, m in ipairs { "gd", "momentum", "bfgs", "lbfgs", "cg" } do
      assert.is_true(r.logistic[m].dist < 1e-6, m)
    end
    assert.is_true(r.logistic.newton.nit < r.logistic.bfgs.nit)
    assert.is_true(r.logistic.bfgs.nit < r.logistic.momentum.nit)
  end)

  it("prints the table", function()
    for _, s in ipairs { "method", "nfev", "Newton", "BFGS", "L-BFGS", "CG (PR+)", "gradient descent" } do
      assert.truthy(text:find(s, 1, true), s)
    end
  end)
end)
