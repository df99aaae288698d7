-- jacobian_spec.lua: gd.jacobian, gd.jvp, gd.vjp (issue 11) against central
-- differences and against each other (J·v = jvp, uᵀJ = vjp) on non-square,
-- batched and nested-shape functions; jacobian(grad f) = hessian f.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

-- Central differences: the Jacobian as an m×n table (m = numel f(x), n = numel x).
local function fd_jacobian(f, x, eps)
  eps = eps or 1e-6
  local n = x:numel()
  local base = x:reshape(n):copy()
  local cols = {}
  for j = 1, n do
    local xp, xm = base:copy(), base:copy()
    xp[j] = xp[j] + eps; xm[j] = xm[j] - eps
    local fp = f(xp:reshape(x.shape)):reshape(-1)
    local fm = f(xm:reshape(x.shape)):reshape(-1)
    cols[j] = ((fp - fm) / (2 * eps)):totable()
  end
  local J = {}
  for i = 1, #cols[1] do
    J[i] = {}
    for j = 1, n do J[i][j] = cols[j][i] end
  end
  return J
end

gd.seed(7)
local W = gd.randn(3, 2)
local cases = {
  { name = "non-square ℝ³→ℝ²", x = gd.tensor { 0.3, -1.2, 2.0 },
    f = function(x) return gd.stack { (x * x):sum(), gd.sin(x:select(1, 1)) * gd.exp(x:select(1, 3)) } end },
  { name = "batched rows {4,3}→{4,2}", x = gd.randn(4, 3),
    f = function(x) return gd.tanh(x:matmul(W)) end },
  { name = "nested shapes {2,2,2}→{2,3}", x = gd.randn(2, 2, 2),
    f = function(x)
      local a = x:sum(3)                          -- {2,2}
      return gd.cat({ a * a, (x ^ 3):sum(2):select(2, 1):reshape(2, 1) }, 2)
    end },
  { name = "scalar → vector", x = gd.tensor(0.7),
    f = function(x) return gd.stack { x * x, gd.sin(x), x ^ 3 } end },
}

describe("gd.jacobian", function()
  for _, c in ipairs(cases) do
    it(c.name .. ": out.shape .. in.shape, equal to central differences", function()
      local y = c.f(c.x)
      local J = gd.jacobian(c.f, c.x)
      local want = y.shape
      for _, s in ipairs(c.x.shape) do want[#want + 1] = s end
      assert.same(want, J.shape)
      close(J:reshape(y:numel(), c.x:numel()), fd_jacobian(c.f, c.x), 1e-7)
    end)
    it(c.name .. ": J·v = jvp and uᵀJ = vjp", function()
      local y = c.f(c.x)
      local m, n = y:numel(), c.x:numel()
      local J = gd.jacobian(c.f, c.x):reshape(m, n)
      local v = gd.randn(c.x.shape)
      local w = gd.randn(y.shape)
      local y1, jv = gd.jvp(c.f, c.x, v)
      close(y1, y, 0)
      assert.same(y.shape, jv.shape)
      close(jv:reshape(m), J:matmul(v:reshape(n)), 1e-12)
      local y2, pullback = gd.vjp(c.f, c.x)
      close(y2, y, 0)
      local uj = pullback(w)
      assert.same(c.x.shape, uj.shape)
      close(uj:reshape(n), w:reshape(m):matmul(J), 1e-12)
    end)
  end

  it("of a scalar function is the gradient; of the gradient is the Hessian", function()
    local function f(x) return (gd.exp(x:select(1, 1)) * x:select(1, 2) ^ 2) + (x ^ 4):sum() end
    local x = gd.tensor { 0.5, -1.5 }
    close(gd.jacobian(f, x), gd.grad(f)(x), 1e-14)
    local H = gd.jacobian(gd.grad(f), x)
    close(H, gd.hessian(f, x), 1e-12)
    -- by hand: ∂²/∂a² = e^a b² + 12a², ∂²/∂a∂b = 2e^a b, ∂²/∂b² = 2e^a + 12b²
    local a, b = 0.5, -1.5
    close(H, { { math.exp(a) * b * b + 12 * a * a, 2 * math.exp(a) * b },
               { 2 * math.exp(a) * b, 2 * math.exp(a) + 12 * b * b } }, 1e-12)
  end)

  it("composes: gd.grad through jvp and vjp gives second derivatives", function()
    local function f(x) return x ^ 3 end               -- elementwise: J = diag(3x²)
    local x, v = gd.tensor { 1, 2 }, gd.tensor { 1, 1 }
    -- d/dx Σ (J·v) = d/dx Σ 3x² = 6x
    local g = gd.grad(function(z) local _, jv = gd.jvp(f, z, v); return jv:sum() end)(x)
    close(g, { 6, 12 }, 1e-12)
    local g2 = gd.grad(function(z) local _, pb = gd.vjp(f, z); return pb(v):sum() end)(x)
    close(g2, { 6, 12 }, 1e-12)
  end)

  it("has as many rows as outputs, beyond gd.stack's limit of 4096 tensors", function()
    local t = gd.linspace(0, 1, 4200)
    local x = gd.tensor { 0.5, -2 }
    -- f(x) = t·x₁ + x₂²: ∂f/∂x₁ = t, ∂f/∂x₂ = 2x₂
    local J = gd.jacobian(function(z) return t * z:select(1, 1) + z:select(1, 2) ^ 2 end, x)
    assert.same({ 4200, 2 }, J.shape)
    close(J:select(2, 1), t, 0)
    close(J:select(2, 2), gd.full({ 4200 }, -4), 1e-15)
  end)

  it("checks its arguments", function()
    errors(function() gd.jacobian(5, gd.tensor { 1 }) end, "gd.jacobian", "argument 1")
    errors(function() gd.jacobian(function() return 3 end, gd.tensor { 1 }) end, "gd.jacobian", "must return a tensor")
    errors(function() gd.jvp(function(x) return x end, gd.tensor { 1, 2 }, gd.tensor { 1 }) end,
      "gd.jvp", "argument 3", "{1}", "{2}")
    local _, pb = gd.vjp(function(x) return x * 2 end, gd.tensor { 1, 2 })
    errors(function() pb(gd.tensor { 1, 2, 3 }) end, "pullback", "{3}", "{2}")
    errors(function() gd.vjp(function(x) return x end, "a") end, "gd.vjp", "argument 2")
  end)
end)
