-- line_search_spec.lua: gd.optim.line_search.armijo and .wolfe: every accepted
-- step satisfies the conditions it promises (asserted here from f and ∇f
-- evaluated independently), hand-computed steps on (x − 3)², and failures.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors
local ls = gd.optim.line_search

local function rosen(x)
  local a, b = x:select(1, 1), x:select(1, 2)
  return (1 - a) ^ 2 + 100 * (b - a ^ 2) ^ 2
end
local function rosen_grad(x)   -- the closed form
  local a, b = x[1], x[2]
  return gd.tensor { -2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a) }
end
local function rosen_value(x) return (1 - x[1]) ^ 2 + 100 * (x[2] - x[1] ^ 2) ^ 2 end

local points = { { -1.2, 1 }, { 0, 0 }, { 1.5, 2.5 }, { -0.5, 0.8 }, { 0.9, 0.7 } }

local function parabola(x) return ((x - 3) ^ 2):sum() end

describe("gd.optim.line_search.wolfe", function()
  for _, c2 in ipairs { 0.9, 0.1 } do
    it("accepted steps satisfy both strong Wolfe conditions, c2 = " .. c2, function()
      for _, p in ipairs(points) do
        local x = gd.tensor(p)
        local g0 = rosen_grad(x)
        for _, d in ipairs { -g0, -g0 / g0:norm(), gd.tensor { 1, -0.2 } * -g0:sign() } do
          local dphi0 = gd.dot(g0, d):item()
          local alpha, f1, g1, nfev = ls.wolfe(rosen, x, d, { c2 = c2 })
          assert.is_number(alpha)
          local xn = x + alpha * d
          close(f1, rosen_value(xn), 1e-12)
          close(g1, rosen_grad(xn), 1e-9)
          assert.is_true(f1 <= rosen_value(x) + 1e-4 * alpha * dphi0, "sufficient decrease")
          assert.is_true(math.abs(gd.dot(rosen_grad(xn), d):item()) <= c2 * math.abs(dphi0), "curvature")
          assert.is_true(nfev >= 1 and nfev <= 60)
        end
      end
    end)
  end
  it("accepts α = 1 on (x − 3)² from 0 along +1 (φ'(1) = −4, |−4| ≤ 0.9·6)", function()
    local alpha, f1, g1, nfev = ls.wolfe(parabola, gd.tensor { 0 }, gd.tensor { 1 })
    assert.equal(1, alpha); close(f1, 4, 0); close(g1, { -4 }, 0); assert.equal(1, nfev)
    -- with c2 = 0.1 the step must land within |φ'| ≤ 0.6, i.e. α ∈ [2.7, 3.3]
    local a2 = ls.wolfe(parabola, gd.tensor { 0 }, gd.tensor { 1 }, { c2 = 0.1 })
    assert.is_true(a2 >= 2.7 and a2 <= 3.3, tostring(a2))
  end)
  it("returns nil and a message for an ascent direction or an unbounded f", function()
    local a, msg = ls.wolfe(rosen, gd.tensor { -1.2, 1 }, rosen_grad(gd.tensor { -1.2, 1 }))
    assert.is_nil(a); assert.truthy(msg:find("not a descent direction", 1, true))
    local a2, msg2 = ls.wolfe(function(x) return x:sum() end, gd.tensor { 0 }, gd.tensor { -1 })
    assert.is_nil(a2); assert.truthy(msg2:find("alpha_max", 1, true))
  end)
  it("checks its options", function()
    local x, d = gd.tensor { 0 }, gd.tensor { 1 }
    errors(function() ls.wolfe(parabola, x, d, { c1 = 0.9, c2 = 0.5 }) end, "line_search.wolfe", "c1", "c2")
    errors(function() ls.wolfe(parabola, x, d, { c2 = 1 }) end, "c2")
    errors(function() ls.wolfe(parabola, x, d, { c1 = -0.1 }) end, "c1")
    errors(function() ls.wolfe(parabola, x, d, { rho = 0.5 }) end, "unknown option 'rho'")
    errors(function() ls.wolfe(parabola, x, gd.tensor { 1, 2 }) end, "d has 2 elements")
    errors(function() ls.wolfe(parabola, x, d, 3) end, "options table")
  end)
end)

describe("gd.optim.line_search.armijo", function()
  it("backtracks from alpha0 by rho to the first sufficient decrease", function()
    -- (x − 3)² from 0 along +1: α = 8 gives 25 > 9 − 4.8e-3; α = 4 gives 1 ≤ 9 − 2.4e-3
    local alpha, f1, g1, nfev = ls.armijo(parabola, gd.tensor { 0 }, gd.tensor { 1 }, { alpha0 = 8 })
    assert.equal(4, alpha); close(f1, 1, 0); close(g1, { 2 }, 0); assert.equal(2, nfev)
  end)
  it("every accepted step has sufficient decrease and the previous trial has not", function()
    for _, p in ipairs(points) do
      local x = gd.tensor(p)
      local d = -rosen_grad(x)
      local dphi0 = gd.dot(rosen_grad(x), d):item()
      for _, rho in ipairs { 0.5, 0.1 } do
        local alpha, f1 = ls.armijo(rosen, x, d, { rho = rho, c1 = 0.3 })
        assert.is_true(f1 <= rosen_value(x) + 0.3 * alpha * dphi0)
        close(f1, rosen_value(x + alpha * d), 1e-12)
        if alpha < 1 then
          local prev = alpha / rho
          assert.is_false(rosen_value(x + prev * d) <= rosen_value(x) + 0.3 * prev * dphi0)
        end
      end
    end
  end)
  it("returns nil and a message for an ascent direction; checks options", function()
    local a, msg = ls.armijo(parabola, gd.tensor { 0 }, gd.tensor { -1 })
    assert.is_nil(a); assert.truthy(msg:find("not a descent direction", 1, true))
    errors(function() ls.armijo(parabola, gd.tensor { 0 }, gd.tensor { 1 }, { rho = 1 }) end, "rho")
    errors(function() ls.armijo(parabola, gd.tensor { 0 }, gd.tensor { 1 }, { alpha0 = 0 }) end, "alpha0")
    errors(function() ls.armijo(parabola, gd.tensor { 0 }, gd.tensor { 1 }, { c2 = 0.5 }) end, "unknown option 'c2'")
    errors(function() ls.armijo(function() return 1 end, gd.tensor { 0 }, gd.tensor { 1 }) end, "0-d tensor")
  end)
end)
