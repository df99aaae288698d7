-- least_squares_spec.lua: gd.optim.least_squares (issue 11): Levenberg–Marquardt
-- and Gauss–Newton recover the parameters of noiseless models to 1e-8; the
-- result's cost, residuals and Jacobian against direct computation; errors.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

local t = gd.linspace(0, 4, 20)
local decay_y = 2.5 * gd.exp(-1.3 * t)
local function decay(p) return p:select(1, 1) * gd.exp(-p:select(1, 2) * t) - decay_y end
local peak_y = 3 * gd.exp(-(t - 1.2) ^ 2 / (2 * 0.4 ^ 2))
local function peak(p)
  return p:select(1, 1) * gd.exp(-(t - p:select(1, 2)) ^ 2 / (2 * p:select(1, 3) ^ 2)) - peak_y
end

describe("gd.optim.least_squares", function()
  for _, m in ipairs { "lm", "gauss-newton" } do
    it(m .. " recovers an exponential decay 2.5·e^(−1.3t) to 1e-8", function()
      local r = gd.optim.least_squares(decay, { 1, 0.5 }, { method = m })
      assert.is_true(r.success, r.message)
      close(r.x, { 2.5, 1.3 }, 1e-8)
      assert.is_true(r.cost < 1e-16)
    end)
    it(m .. " recovers a Gaussian peak (3, 1.2, 0.4) to 1e-8", function()
      local r = gd.optim.least_squares(peak, { 2, 1, 0.7 }, { method = m })
      assert.is_true(r.success, r.message)
      close(r.x, { 3, 1.2, 0.4 }, 1e-8)
    end)
  end

  it("the result holds r(x), ½‖r‖², J and Jᵀr at x", function()
    -- stop early so that r ≠ 0
    local r = gd.optim.least_squares(decay, { 1, 0.5 }, { maxiter = 1, trace = true })
    local res = decay(r.x)
    close(r.fun, res, 1e-15)
    close(r.cost, 0.5 * (res * res):sum():item(), 1e-14)
    assert.same({ 20, 2 }, r.jac.shape)
    -- ∂r/∂A = e^(−kt), ∂r/∂k = −A·t·e^(−kt)
    local A, k = r.x[1], r.x[2]
    local e = gd.exp(-k * t)
    close(r.jac:select(2, 1), e, 1e-14)
    close(r.jac:select(2, 2), -A * t * e, 1e-13)
    close(r.grad, r.jac.T:matmul(res), 1e-12)
    assert.equal(1, r.nit)
    assert.is_false(r.success)
    assert.truthy(tostring(r):find("cost", 1, true))
    assert.same({ 2, 2 }, r.path.shape)
  end)

  it("LM's first step is the damped Gauss–Newton step with μ = τ·max diag(JᵀJ)", function()
    local x0 = gd.tensor { 1, 0.5 }
    local J = gd.jacobian(decay, x0)
    local A = J.T:matmul(J)
    local mu = 1e-3 * math.max(A:at(1, 1), A:at(2, 2))
    local h = -gd.solve(A + mu * gd.eye(2), J.T:matmul(decay(x0)))
    local r = gd.optim.least_squares(decay, x0, { maxiter = 1 })
    close(r.x, x0 + h, 1e-14)
  end)

  it("checks options and residuals", function()
    errors(function() gd.optim.least_squares(decay, { 1, 1 }, { methd = "lm" }) end, "least_squares", "methd")
    errors(function() gd.optim.least_squares(decay, { 1, 1 }, { method = "dogleg" }) end, "method", "dogleg")
    errors(function() gd.optim.least_squares(decay, { 1, 1 }, { tol = 0 }) end, "tol")
    errors(function() gd.optim.least_squares(decay, { 1, 1 }, { tau = -1 }) end, "tau")
    errors(function() gd.optim.least_squares(function() return 1 end, { 1, 1 }) end, "must return a tensor")
    errors(function() gd.optim.least_squares(function(p) return gd.log(p - 5) end, { 1, 1 }) end, "nan")
    errors(function() gd.optim.least_squares(7, { 1, 1 }) end, "argument 1")
  end)
end)
