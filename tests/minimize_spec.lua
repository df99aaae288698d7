-- minimize_spec.lua: gd.optim.minimize (issue 11) against closed forms: on
-- ½xᵀAx − bᵀx with SPD A the answer is A⁻¹b; Newton takes one step; CG and
-- BFGS with the exact line search of a quadratic (line_search = "exact",
-- α = −gᵀd/dᵀHd) take at most n; Rosenbrock's minimum is (1, 1).
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

local function quadratic(n, seed)
  gd.seed(seed)
  local M = gd.randn(n, n)
  local A = M:matmul(M.T) / n + gd.eye(n)
  local b = gd.randn(n)
  return function(x) return 0.5 * gd.dot(x, A:matmul(x)) - gd.dot(b, x) end, gd.solve(A, b), A, b
end

local function rosen(x)
  local a, b = x:select(1, 1), x:select(1, 2)
  return (1 - a) ^ 2 + 100 * (b - a ^ 2) ^ 2
end

describe("gd.optim.minimize on quadratics", function()
  for _, n in ipairs { 2, 10, 50 } do
    it("newton converges in one iteration, n = " .. n, function()
      local f, xs = quadratic(n, n)
      local r = gd.optim.minimize(f, gd.zeros(n), { method = "newton", tol = 1e-10 })
      assert.is_true(r.success)
      assert.equal(1, r.nit)
      close(r.x, xs, 1e-10)
      assert.equal(0, r.hessian_modified)
    end)
    for _, m in ipairs { "cg", "bfgs", "lbfgs" } do
      it(m .. " with the exact line search converges in at most n iterations, n = " .. n, function()
        local f, xs = quadratic(n, n)
        local r = gd.optim.minimize(f, gd.zeros(n), { method = m, line_search = "exact", tol = 1e-11, history = n })
        assert.is_true(r.success, r.message)
        assert.is_true(r.nit <= n, ("nit %d > n %d"):format(r.nit, n))
        close(r.x, xs, 1e-10)
      end)
    end
    it("newton-cg and the Wolfe searches reach A⁻¹b, n = " .. n, function()
      local f, xs = quadratic(n, n)
      for _, m in ipairs { "newton-cg", "bfgs", "lbfgs", "cg" } do
        local r = gd.optim.minimize(f, gd.zeros(n), { method = m, tol = 1e-8 })
        assert.is_true(r.success, m .. ": " .. r.message)
        close(r.x, xs, 1e-7, m)
      end
    end)
  end

  it("cg variant fr also finishes in n steps with the exact search", function()
    local f, xs = quadratic(10, 3)
    local r = gd.optim.minimize(f, gd.zeros(10), { method = "cg", variant = "fr", line_search = "exact", tol = 1e-11 })
    assert.is_true(r.nit <= 10)
    close(r.x, xs, 1e-10)
  end)

  it("the result counts evaluations and keeps the path", function()
    local f, xs = quadratic(2, 5)
    local r = gd.optim.minimize(f, { 1, 1 }, { method = "newton", trace = true })
    -- one evaluation at x0, one at the full Newton step (accepted by Wolfe at once)
    assert.equal(2, r.nfev); assert.equal(2, r.ngev); assert.equal(1, r.nhev)
    assert.same({ 2, 2 }, r.path.shape)
    close(r.path[1], { 1, 1 }, 0)
    close(r.path[2], xs, 1e-12)
    close(r.values[1], f(gd.tensor { 1, 1 }):item(), 1e-15)
    assert.is_nil(gd.optim.minimize(f, { 1, 1 }, { method = "newton" }).path)
    local s = tostring(r)
    assert.truthy(s:find("newton", 1, true)); assert.truthy(s:find("converged", 1, true))
    assert.truthy(s:find("nit: 1", 1, true))
  end)
end)

describe("gd.optim.minimize on Rosenbrock from (-1.2, 1)", function()
  for _, m in ipairs { "newton", "newton-cg", "bfgs", "lbfgs", "cg" } do
    it(m .. " reaches (1, 1)", function()
      local r = gd.optim.minimize(rosen, { -1.2, 1 }, { method = m })
      assert.is_true(r.success, r.message)
      assert.is_true(r.grad:abs():max():item() <= 1e-6)
      close(r.x, { 1, 1 }, 1e-5)
      assert.is_true(r.nit < 200)
    end)
  end

  it("compile = true replays f and its gradient through gd.compile: the eager run, bit for bit", function()
    -- a separable Rosenbrock in 20 dimensions, its halves as stride-2 views
    local function f(x)
      local p = x:reshape(10, 2)
      local a, b = p:select(2, 1), p:select(2, 2)
      return (100 * (b - a * a) ^ 2 + (1 - a) ^ 2):sum()
    end
    local x0 = gd.tensor { -1.2, 1 }:reshape(1, 2):expand(10, 2):reshape(20)
    for _, m in ipairs { "lbfgs", "bfgs", "cg" } do
      local r1 = gd.optim.minimize(f, x0, { method = m })
      local r2 = gd.optim.minimize(f, x0, { method = m, compile = true })
      assert.is_true(r2.success, r2.message)
      assert.equal(r1.nit, r2.nit)
      assert.equal(r1.nfev, r2.nfev)
      assert.equal(r1.fun, r2.fun)
      close(r2.x, r1.x, 0)
      close(r2.x, gd.ones(20), 1e-5)
    end
  end)

  it("takes x of any shape and an explicit gradient", function()
    local function f(x) return rosen(x:reshape(2)) end
    local r = gd.optim.minimize(f, { { -1.2 }, { 1 } }, { method = "bfgs" })
    assert.same({ 2, 1 }, r.x.shape)
    close(r.x, { { 1 }, { 1 } }, 1e-5)
    local function grad(x)         -- the closed form of ∇f
      local a, b = x[1], x[2]
      return gd.tensor { -2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a) }
    end
    local r2 = gd.optim.minimize(rosen, { -1.2, 1 }, { method = "lbfgs", grad = grad })
    close(r2.x, { 1, 1 }, 1e-5)
    assert.equal(r2.nfev, r2.ngev)
  end)

  it("gradient descent by name stops at maxiter; armijo steepest descent decreases f", function()
    local r = gd.optim.minimize(rosen, { -1.2, 1 }, { method = "gd", lr = 1e-3, maxiter = 100 })
    assert.is_false(r.success)
    assert.truthy(r.message:find("maxiter", 1, true))
    assert.equal(100, r.nit)
    -- plain GD by hand: 100 steps of x ← x − 1e-3·∇f
    local x = gd.tensor { -1.2, 1 }
    for _ = 1, 100 do x = x - 1e-3 * gd.grad(rosen)(x) end
    close(r.x, x, 1e-12)
    local r2 = gd.optim.minimize(rosen, { -1.2, 1 }, { method = "gd", line_search = "armijo", maxiter = 50, trace = true })
    for k = 2, r2.values:numel() do assert.is_true(r2.values[k] < r2.values[k - 1]) end
    local r3 = gd.optim.minimize(rosen, { -1.2, 1 }, { method = "adam", lr = 0.05, maxiter = 3000 })
    assert.is_true(r3.fun < 0.1)
  end)

  it("the callback sees every iterate and can stop", function()
    local seen = {}
    local r = gd.optim.minimize(rosen, { -1.2, 1 }, { method = "bfgs", callback = function(k, x, fx, g)
      seen[#seen + 1] = k
      close(fx, rosen(x):item(), 1e-14)
      return k == 3
    end })
    assert.same({ 1, 2, 3 }, seen)
    assert.equal(3, r.nit)
    assert.is_false(r.success)
    assert.truthy(r.message:find("callback", 1, true))
  end)
end)

describe("Newton's Hessian modification", function()
  -- f = x⁴/4 − x²/2 + y²: H = diag(3x² − 1, 2), indefinite at x0 = (0.1, 1)
  local function f(v)
    local x, y = v:select(1, 1), v:select(1, 2)
    return x ^ 4 / 4 - x ^ 2 / 2 + y ^ 2
  end
  it("adds τI, steps downhill and converges to a minimizer", function()
    local x0 = gd.tensor { 0.1, 1 }
    local g0 = gd.grad(f)(x0)
    local first
    local r = gd.optim.minimize(f, x0, { method = "newton", callback = function(k, x)
      if k == 1 then first = x:copy() end
    end })
    assert.is_true(r.success, r.message)
    assert.is_true(r.hessian_modified >= 1)
    assert.is_true(gd.dot(first - x0, g0):item() < 0)         -- a descent step
    close(r.x, { 1, 0 }, 1e-8)
    assert.truthy(tostring(r):find("positive definite", 1, true))
  end)
  it("the modified direction solves (H + τI)p = −g with the smallest τ of N&W 3.3's sequence", function()
    local M = require "gd.minimize"
    local H = gd.tensor { { -0.97, 0 }, { 0, 2 } }
    local g = gd.tensor { 1, 2 }
    local S = { hessian_modified = 0 }
    local p = M.modified_newton_direction(H, g, S)
    close(S.tau, 0.97 + 1e-3, 1e-15)                 -- τ0 = −min(aii) + β is enough
    close(p, { -1 / 1e-3, -2 / (2 + 0.971) }, 1e-9)
    assert.equal(1, S.hessian_modified)
  end)
end)

describe("gd.optim.minimize errors", function()
  it("checks options", function()
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { metod = "bfgs" }) end, "gd.optim.minimize", "metod")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { tol = 0 }) end, "tol")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { tol = -1 }) end, "tol")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { method = "lbfgs", history = 0 }) end, "history")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { c1 = 0.5, c2 = 0.4 }) end, "c1", "c2")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { c1 = 1.5 }) end, "c1")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { c1 = 0 }) end, "c1")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { method = "simplex" }) end, "method", "simplex")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { line_search = "golden" }) end, "line_search")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { method = "adam", line_search = "wolfe" }) end, "line_search")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { maxiter = 1.5 }) end, "maxiter")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, { callback = 3 }) end, "callback")
    errors(function() gd.optim.minimize(rosen, { 0, 0 }, 5) end, "options table")
    errors(function() gd.optim.minimize(5, { 0, 0 }) end, "argument 1", "function")
    errors(function() gd.optim.minimize(rosen, "x") end, "argument 2")
  end)
  it("checks what f returns", function()
    errors(function() gd.optim.minimize(function(x) return x * 2 end, { 1, 2 }) end, "scalar", "{2}")
    errors(function() gd.optim.minimize(function(x) return 3 end, { 1, 2 }) end, "0-d tensor", "number")
    errors(function() gd.optim.minimize(function(x) return gd.log(x - 5):sum() end, { 1, 2 }) end, "f(x0) is nan")
    local calls = 0
    errors(function() gd.optim.minimize(function(x)
      calls = calls + 1
      local s = (x * x):sum()
      return calls == 1 and s or s:reshape(1)
    end, { 1, 2 }) end, "changed the shape", "{}", "{1}")
  end)
  it("reports a non-finite value instead of looping", function()
    local r = gd.optim.minimize(function(x) return -(x * x):sum() end, { 1, 2 }, { method = "gd", lr = 1e300, maxiter = 10 })
    assert.is_false(r.success)
    assert.truthy(r.message:find("non-finite", 1, true))
  end)
  it("reports an unbounded f as a line-search failure", function()
    local r = gd.optim.minimize(function(x) return x:sum() end, { 1, 2 }, { method = "bfgs" })
    assert.is_false(r.success)
    assert.truthy(r.message:find("line search failed", 1, true))
  end)
end)

describe("the L-BFGS two-loop kernel (optim2.c)", function()
  local two_loop = gd._optim._lbfgs_direction
  -- the recursion written with tensor ops, pass by pass (N&W Algorithm 7.4)
  local function reference(g, S, Y, rho, gamma)
    local q, a = g, {}
    for i = #S, 1, -1 do a[i] = rho[i] * gd.dot(S[i], q):item(); q = q - a[i] * Y[i] end
    local r = gamma * q
    for i = 1, #S do r = r + (a[i] - rho[i] * gd.dot(Y[i], r):item()) * S[i] end
    return -r
  end
  local function pairs_of(n, m)
    local S, Y, rho = {}, {}, {}
    for i = 1, m do
      S[i] = gd.randn(n); Y[i] = S[i] * 2 + 0.1 * gd.randn(n); rho[i] = 1 / gd.dot(S[i], Y[i]):item()
    end
    return S, Y, rho
  end
  it("equals the two-loop recursion written with tensor ops (lengths around its 8 lanes)", function()
    gd.seed(9)
    for _, n in ipairs { 1, 7, 8, 9, 29, 1000 } do
      for _, m in ipairs { 1, 3, 10 } do
        local S, Y, rho = pairs_of(n, m)
        local g, gamma = gd.randn(n), 0.37
        close(two_loop(g, S, Y, rho, gamma), reference(g, S, Y, rho, gamma), 1e-13)
      end
    end
  end)
  it("with one pair is the BFGS update of γI, (I − ρsyᵀ)γ(I − ρysᵀ) + ρssᵀ", function()
    gd.seed(10)
    local n = 13
    local S, Y, rho = pairs_of(n, 1)
    local s, y, r, gamma = S[1], Y[1], rho[1], 0.6
    local I = gd.eye(n)
    local H = gd.matmul(gd.matmul(I - r * gd.outer(s, y), gamma * I), I - r * gd.outer(y, s)) + r * gd.outer(s, s)
    local g = gd.randn(n)
    close(two_loop(g, S, Y, rho, gamma), -gd.matmul(H, g), 1e-12)
  end)
  it("with no pairs is −g", function()
    local g = gd.tensor { 1, -2, 3 }
    close(two_loop(g, {}, {}, {}, 1), -g, 0)
  end)
  it("checks its arguments", function()
    local v = gd.zeros(3)
    errors(function() two_loop(v, { v }, { v, v }, { 1 }, 1) end, "_lbfgs_direction", "differ in length")
    errors(function() two_loop(v, { gd.zeros(4) }, { v }, { 1 }, 1) end, "S[i]", "3 elements")
    errors(function() two_loop(v, { v }, { v }, { "x" }, 1) end, "rho[1]")
    errors(function() two_loop(gd.zeros(2, 2), {}, {}, {}, 1) end, "1-D")
    errors(function() two_loop(v, { 5 }, { v }, { 1 }, 1) end, "_lbfgs_direction")
    errors(function() two_loop(v, {}, {}, {}) end, "number expected")
  end)
end)
