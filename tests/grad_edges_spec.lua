-- grad_edges_spec.lua: gradients and values at the edges (issue 10, items 10,
-- 11, 12 and 16), against hand computations and closed forms; torch.autograd
-- is the reference for the conventions.
local u = require "tests.helpers.util"

local function grad(f, x)
  local tape <close> = gd.GradientTape()
  tape:watch(x)
  return tape:gradient(f(x), x)
end

local function isnan(v) return v ~= v end

-- The cofactor matrix of A computed independently: C_ij = (−1)^(i+j)·det(minor_ij).
local function cofactors(A)
  local n = A.shape[1]
  local C = {}
  for i = 1, n do
    C[i] = {}
    for j = 1, n do
      local rows = {}
      for r = 1, n do
        if r ~= i then
          local row = {}
          for c = 1, n do if c ~= j then row[#row + 1] = A:at(r, c) end end
          rows[#rows + 1] = row
        end
      end
      local m = #rows == 1 and rows[1][1] or gd.det(gd.tensor(rows)):item()
      C[i][j] = ((i + j) % 2 == 0 and 1 or -1) * m
    end
  end
  return C
end

describe("grad edges: prod at exact zeros", function()
  it("one zero: the product of the others there, zeros elsewhere", function()
    u.close(grad(gd.prod, gd.tensor{0, 2, 3, -1}), {2 * 3 * -1, 0, 0, 0})
  end)
  it("two zeros: all zeros, not NaN", function()
    u.close(grad(gd.prod, gd.tensor{0, 2, 3, 0}), {0, 0, 0, 0})
  end)
  it("no zero: the product of the others", function()
    u.close(grad(gd.prod, gd.tensor{1, 2, 3, 4}), {24, 12, 8, 6}, 1e-12)
  end)
  it("per slice along a dim", function()
    local g = grad(function(x) return gd.prod(x, 2) * gd.tensor{1, 2} end, gd.tensor{{1, 0}, {3, 4}})
    u.close(g, {{0, 1}, {2 * 4, 2 * 3}})
  end)
  -- ∂²(Πx)/∂x_i∂x_j = Π_{k≠i,j} x_k (i ≠ j), 0 on the diagonal: a closed form
  local function prod_hessian(v)
    local n = #v
    local H = {}
    for i = 1, n do
      H[i] = {}
      for j = 1, n do
        local p = 0
        if i ~= j then
          p = 1
          for k = 1, n do if k ~= i and k ~= j then p = p * v[k] end end
        end
        H[i][j] = p
      end
    end
    return H
  end
  it("second derivatives at zeros keep the cross terms in the zero factors", function()
    for _, v in ipairs { {0, 2, 3}, {0, 0, 3}, {2, 0, -1.5, 4}, {0, 0, 0}, {5, 0, 0, 2}, {1, 2, 3} } do
      u.close(gd.hessian(gd.prod, gd.tensor(v)), prod_hessian(v), 1e-12)
    end
  end)
  it("second derivatives at zeros per slice (dim 1, dim 2 with keepdim)", function()
    local X = gd.tensor { { 0, 2, 3 }, { 4, 0, 5 } }
    -- f = Σ_j w_j Π_i X_ij (dim 1): the Hessian couples the two entries of a column only
    local w = gd.tensor { 1, -2, 3 }
    local H = gd.hessian(function(x) return (gd.prod(x, 1) * w):sum() end, X):reshape(6, 6)
    local want = gd.zeros(6, 6)
    for j = 1, 3 do                            -- entries (1, j) and (2, j) are 0-based j-1 and 3+j-1
      want[j][3 + j] = w[j]; want[3 + j][j] = w[j]
    end
    u.close(H, want, 1e-12)
    -- f = Σ_i v_i Π_j X_ij (dim 2, keepdim): each row's block is v_i times prod_hessian(row)
    local v = gd.tensor { { 2 }, { -1 } }
    local H2 = gd.hessian(function(x) return (gd.prod(x, 2, true) * v):sum() end, X):reshape(6, 6)
    local want2 = gd.zeros(6, 6)
    for r, row in ipairs { { 0, 2, 3 }, { 4, 0, 5 } } do
      local B = prod_hessian(row)
      for i = 1, 3 do for j = 1, 3 do want2[3 * (r - 1) + i][3 * (r - 1) + j] = v[r][1] * B[i][j] end end
    end
    u.close(H2, want2, 1e-12)
  end)
end)

describe("grad edges: var and std", function()
  it("std of a constant slice has gradient 0 (torch), not NaN", function()
    u.close(grad(gd.std, gd.tensor{2, 2, 2}), {0, 0, 0})
    local g = grad(function(x) return gd.std(x, 2) end, gd.tensor{{2, 2}, {1, 3}})
    u.close(g, {{0, 0}, {-0.5, 0.5}}, 1e-12)     -- std = |a−b|/2: ∓1/2
  end)
  it("ddof ≥ n gives inf or NaN as numpy (divisor max(n − ddof, 0)), never a negative", function()
    local x = gd.tensor{1, 2, 3}
    assert.equal(math.huge, gd.var(x, {ddof = 3}):item())
    assert.equal(math.huge, gd.var(x, {ddof = 4}):item())
    assert.equal(math.huge, gd.std(x, {ddof = 5}):item())
    assert(isnan(gd.var(gd.tensor{2, 2, 2}, {ddof = 4}):item()))
    u.close(gd.var(x, {ddof = 2}), 2, 1e-15)    -- (1 + 0 + 1)/1
  end)
  it("ddof ≥ n: var's gradient is inf, NaN where x = mean (torch)", function()
    local g = grad(function(x) return gd.var(x, {ddof = 4}) end, gd.tensor{1, 2, 3}):totable()
    assert.equal(math.huge, g[1])
    assert(isnan(g[2]))
    assert.equal(math.huge, g[3])
  end)
end)

describe("grad edges: clip", function()
  it("at exactly lo or hi passes the whole gradient (torch.clamp)", function()
    local x = gd.tensor{-1, 0, 0.5, 1, 2}
    u.close(gd.clip(x, 0, 1), {0, 0, 0.5, 1, 1})
    u.close(grad(function(v) return gd.clip(v, 0, 1) end, x), {0, 1, 1, 1, 0})
    u.close(grad(function(v) return gd.clip(v, 0) end, x), {0, 1, 1, 1, 1})
    u.close(grad(function(v) return gd.clip(v, nil, 1) end, x), {1, 1, 1, 1, 0})
  end)
  it("tensor bounds get the gradient where they were taken; lo > hi gives hi (numpy)", function()
    local lo = gd.tensor{0, 0, 0}
    local tape <close> = gd.GradientTape()
    tape:watch(lo)
    local y = gd.clip(gd.tensor{-1, 0, 1}, lo, 0.5)
    u.close(tape:gradient(y, lo), {1, 0, 0})
    u.close(gd.clip(gd.tensor{-1, 0.5, 3}, 2, 1), {1, 1, 1})
  end)
end)

describe("gd.clip outside a tape (one pass)", function()
  it("gives the bits of the recorded selects, NaN, -0 and missing bounds included", function()
    local nan = 0 / 0
    gd.seed(41)
    local x = gd.cat { gd.randn(1000), gd.tensor { nan, -0.0, 0.0, math.huge, -math.huge, 1, -1 } }
    local xt = x.T                         -- 1-D: the same tensor; a strided view below too
    local strided = x:reshape(1007, 1):expand(1007, 3):select(2, 2)
    local cases = { { -1, 1 }, { 0, nil }, { nil, 0 }, { 1, -1 }, { nan, 0.5 }, { -0.5, nan },
                    { gd.tensor(-0.25), gd.tensor { 0.25 } } }
    for k, c in ipairs(cases) do
      for _, v in ipairs { x, xt, strided } do
        local fast = gd.clip(v, c[1], c[2])
        local slow
        do
          local tape <close> = gd.GradientTape()   -- a recording tape: the composed selects
          slow = gd.clip(v, c[1], c[2])
        end
        assert.same(slow.shape, fast.shape, "case " .. k)
        local a, b = fast:totable(), slow:totable()
        for i = 1, #a do
          local same = (a[i] ~= a[i] and b[i] ~= b[i]) or string.format("%a", a[i]) == string.format("%a", b[i])
          if not same then error(("case %d element %d: %a vs %a"):format(k, i, a[i], b[i])) end
        end
      end
    end
    -- a bound that broadcasts x to more dims takes the composed path's shape
    assert.same({ 1, 3 }, gd.clip(gd.tensor { 1, 2, 3 }, gd.tensor { { 2 } }, 5).shape)
    -- a hand-checked case
    u.close(gd.clip(gd.tensor { -2, 0.5, 3 }, -1, 1), { -1, 0.5, 1 })
  end)
end)

describe("grad edges: binary_crossentropy from logits", function()
  it("at z = 0 the gradient is σ(0) − y = −0.5 for y = 1 (not −1)", function()
    local g = grad(function(z) return gd.losses.binary_crossentropy(gd.tensor{1}, z, {from_logits = true}) end,
      gd.tensor{0})
    u.close(g, {-0.5}, 1e-15)
  end)
  it("is (σ(z) − y)/N everywhere and stable for large |z|", function()
    local z, y = gd.tensor{-800, -2, 0, 3, 800}, gd.tensor{1, 0, 1, 0, 0}
    local g = grad(function(v) return gd.losses.binary_crossentropy(y, v, {from_logits = true}) end, z)
    local want = {}
    for i, zi in ipairs(z:totable()) do
      want[i] = (1 / (1 + math.exp(-zi)) - y[i]) / 5
    end
    u.close(g, want, 1e-15)
    -- values: softplus(z) − z·y: 800 + 0.126928 + 0.693147 + 3.048587 + 800
    local l = gd.losses.binary_crossentropy(y, z, {from_logits = true}):item()
    local want_l = (800 + math.log(1 + math.exp(-2)) + math.log(2) + 3 + math.log(1 + math.exp(-3)) + 800) / 5
    u.close(l, want_l, 1e-12)
  end)
end)

describe("grad edges: det at singular matrices is the adjugate", function()
  local cases = {
    { "singular 2×2", {{1, 2}, {2, 4}} },
    { "singular 3×3", {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}} },
    { "rank 2 4×4", {{1, 2, 0, 1}, {0, 1, 1, 2}, {1, 3, 1, 3}, {2, 1, -1, 0}} },   -- row 3 = row 1 + row 2
    { "rank 1 3×3", {{1, 2, 3}, {2, 4, 6}, {-1, -2, -3}} },
    { "zero 2×2", {{0, 0}, {0, 0}} },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. ": cofactors from the minors", function()
      local A = gd.tensor(c[2])
      u.close(grad(gd.det, A), cofactors(A), 1e-10)
    end)
  end
  it("nonsingular: det·A⁻ᵀ", function()
    local A = gd.tensor{{2.0, 0.5, -0.3}, {0.4, 1.5, 0.2}, {-0.6, 0.3, 1.8}}
    u.close(grad(gd.det, A), gd.det(A) * gd.inv(A).T, 1e-12)
    u.close(grad(gd.det, A), cofactors(A), 1e-12)
  end)
  it("a batch with one singular matrix", function()
    local A = gd.tensor{{{1, 2}, {2, 4}}, {{2, 1}, {1, 3}}}
    u.close(grad(function(a) return gd.det(a) end, A), {{{4, -2}, {-2, 1}}, {{3, -1}, {-1, 2}}}, 1e-12)
  end)
end)

describe("grad edges: eigh, svd and qr", function()
  it("eigenvalues of a symmetric A: ∂w_k/∂A = v_k v_kᵀ", function()
    local A = gd.tensor{{2, 1}, {1, 2}}            -- w = 1, 3; v = (1, ∓1)/√2
    local g = grad(function(a) local w = gd.eigh(a); return w * gd.tensor{0, 1} end, A)
    u.close(g, {{0.5, 0.5}, {0.5, 0.5}}, 1e-12)
  end)
  it("singular values: ∂σ₁/∂A = u₁ v₁ᵀ", function()
    local A = gd.tensor{{3, 0}, {0, 1}, {0, 0}}
    local g = grad(function(a) local _, S = gd.svd(a); return S * gd.tensor{1, 0} end, A)
    u.close(g, {{1, 0}, {0, 0}, {0, 0}}, 1e-12)
  end)
  it("qr: R₁₁² = ‖a₁‖² has gradient 2·a₁ (whatever the sign of R₁₁)", function()
    local A = gd.tensor{{3, 1}, {4, 2}}
    local g = grad(function(a) local _, R = gd.qr(a); return R:select(1, 1):select(1, 1) ^ 2 end, A)
    u.close(g, {{6, 0}, {8, 0}}, 1e-12)          -- ∂‖a₁‖²/∂a₁ = 2 a₁
  end)
  it("second order through eigh (nested tapes): Hessian of λmax of [[x, 1], [1, 0]]", function()
    -- λmax = (x + √(x² + 4))/2: ∂²/∂x² = 2/(x² + 4)^(3/2)
    local f = function(v)
      local x = v:select(1, 1)
      local A = gd.stack{gd.stack{x, x * 0 + 1}, gd.stack{x * 0 + 1, x * 0}}
      return (gd.eigh(A)):select(1, 2)
    end
    local H = gd.hessian(f, gd.tensor{0.5})
    u.close(H, {{2 / (0.25 + 4) ^ 1.5}}, 1e-9)
  end)
  it("second order through svd and qr: Σσ² = ΣR² = ‖A‖²_F has Hessian 2I", function()
    local a = gd.tensor{1.0, 0.3, 0.5, -1.2, -0.7, 0.8}
    local Hs = gd.hessian(function(v) local _, S = gd.svd(v:reshape(3, 2)); return (S ^ 2):sum() end, a)
    local Hq = gd.hessian(function(v) local _, R = gd.qr(v:reshape(3, 2)); return (R ^ 2):sum() end, a)
    u.close(Hs, 2 * gd.eye(6), 1e-12)
    u.close(Hq, 2 * gd.eye(6), 1e-12)
  end)
  it("unconnected = zero never turns a failing rule into zeros (a saved input written in place)", function()
    local a = gd.ones(5, 4)
    local b = gd.Variable(gd.ones(4, 2))
    u.errors(function()
      local tape <close> = gd.GradientTape()
      local c = a:matmul(b)
      a[1] = gd.zeros(4)
      return tape:gradient(c:sum(), b, {unconnected = "zero"})
    end, "matmul", "modified in place")
  end)
  it("qr of a wide matrix (2×4, and a batch of 3×5): gradients of Q and R against central differences", function()
    gd.seed(31)
    for _, shape in ipairs { { 2, 4 }, { 2, 3, 5 } } do
      local A = gd.randn(table.unpack(shape))
      local Q0, R0 = gd.qr(A)
      local WQ, WR = gd.randn(table.unpack(Q0.shape)), gd.randn(table.unpack(R0.shape))
      local f = function(a) local Q, R = gd.qr(a); return (Q * WQ):sum() + (R ^ 2 * WR):sum() end
      local g = gd.grad(f)(A)
      local flat, gf = A:reshape(A:numel()), g:reshape(A:numel())
      local h = 1e-6
      for i = 1, A:numel() do
        local ap, am = flat:copy(), flat:copy()
        ap[i] = flat[i] + h; am[i] = flat[i] - h
        local fd = (f(ap:reshape(A.shape)):item() - f(am:reshape(A.shape)):item()) / (2 * h)
        assert(math.abs(gf[i] - fd) < 1e-7 * math.max(1, math.abs(fd)), ("element %d: %.12g vs %.12g"):format(i, gf[i], fd))
      end
    end
  end)
  it("qr of a wide matrix, second order: ΣR² = ‖A‖²_F has Hessian 2I", function()
    gd.seed(32)
    local H = gd.hessian(function(v) local _, R = gd.qr(v:reshape(2, 4)); return (R ^ 2):sum() end, gd.randn(8))
    u.close(H, 2 * gd.eye(8), 1e-12)
  end)
  it("unconnected = zero: eigh on the path gives its gradient, not zeros", function()
    local g = gd.grad(function(a) return (gd.eigh(a)):sum() end)(gd.tensor{{2, 1}, {1, 3}})
    u.close(g, {{1, 0}, {0, 1}}, 1e-12)           -- Σw = tr A
  end)
end)

describe("grad edges: AdamW decays before the Adam step", function()
  it("one step by hand: w ← w − lr·λ·w, then w − lr·m̂/(√v̂ + ε)", function()
    local w = gd.Variable{1.0, -2.0}
    local opt = gd.optim.AdamW{lr = 0.1, weight_decay = 0.1, eps = 0}
    opt:apply_gradients{{gd.tensor{0.5, 0.25}, w}}
    -- step 1: m̂ = g, v̂ = g², so the Adam step is lr·sign(g)
    u.close(w, {1.0 * (1 - 0.01) - 0.1, -2.0 * (1 - 0.01) - 0.1}, 1e-15)
  end)
  it("two steps match the reference loop", function()
    local w = gd.Variable{0.7}
    local opt = gd.optim.AdamW{lr = 0.05, weight_decay = 0.5, beta1 = 0.9, beta2 = 0.99, eps = 1e-8}
    local rw, m, v = 0.7, 0, 0
    for t = 1, 2 do
      local g = 2 * rw                                -- d(w²)/dw
      opt:apply_gradients{{gd.tensor{g}, w}}
      rw = rw - 0.05 * 0.5 * rw
      m = 0.9 * m + 0.1 * g
      v = 0.99 * v + 0.01 * g * g
      rw = rw - 0.05 * (m / (1 - 0.9 ^ t)) / (math.sqrt(v / (1 - 0.99 ^ t)) + 1e-8)
    end
    u.close(w, {rw}, 1e-14)
  end)
end)

describe("grad edges: indexing inside differentiated code", function()
  local rosen = function(v) return (1 - v[1]) ^ 2 + 100 * (v[2] - v[1] ^ 2) ^ 2 end
  local function rosen_grad(x, y) return { -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x) } end

  it("v[i] of a tracked 1-D tensor is a recorded 0-d tensor; the gradient is the hand formula", function()
    u.close(gd.grad(rosen)(gd.tensor{-1.2, 1}), rosen_grad(-1.2, 1), 1e-12)
  end)
  it("the natural Rosenbrock runs in gd.optim.trace and follows Adam by hand", function()
    local path = gd.optim.trace(rosen, gd.tensor{-1.2, 1}, gd.optim.Adam{lr = 0.01}, 100)
    assert.same({101, 2}, path.shape)
    local x, m, v = {-1.2, 1}, {0, 0}, {0, 0}
    for t = 1, 100 do
      local g = rosen_grad(x[1], x[2])
      for i = 1, 2 do
        m[i] = 0.9 * m[i] + 0.1 * g[i]
        v[i] = 0.999 * v[i] + 0.001 * g[i] ^ 2
        x[i] = x[i] - 0.01 * (m[i] / (1 - 0.9 ^ t)) / (math.sqrt(v[i] / (1 - 0.999 ^ t)) + 1e-7)
      end
    end
    u.close(path[101], x, 1e-9)
  end)
  it("Hessian of the natural Rosenbrock through nested tapes", function()
    local x, y = 0.5, -0.3
    local H = gd.hessian(rosen, gd.tensor{x, y})
    u.close(H, {{1200 * x * x - 400 * y + 2, -400 * x}, {-400 * x, 200}}, 1e-10)
  end)
  it("outside tapes v[i] stays a Lua number; an untracked tensor inside a tape too", function()
    local v = gd.tensor{1.5, 2}
    assert.equal("number", type(v[1]))
    local tape <close> = gd.GradientTape()
    assert.equal("number", type(v[2]))
    local w = gd.Variable{3, 4}
    assert.equal("userdata", type(w[1]))
    assert.same({}, w[1].shape)
  end)
  it("gd's number-expected errors for a one-element tensor say use :item()", function()
    local w = gd.Variable{3, 4}
    local tape <close> = gd.GradientTape()
    u.errors(function() return gd.full({2}, w[1]) end, "gd.full", "use :item()")
    u.errors(function() return gd.linspace(0, w[2], 3) end, "gd.linspace", "use :item()")
    assert.equal(3, w[1]:item())
  end)
end)
