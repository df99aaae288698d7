-- tests/linalg_spec.lua: matmul and friends (blas.c), decompositions and
-- solvers (linalg.c).  Reference answers are computed independently: by
-- hand, by naive Lua loops on nested tables, or by the defining identity
-- of each decomposition (A = QR, QᵀQ = I, ...).
local u = require "tests.helpers.util"

-- ---- reference helpers on nested Lua tables ----------------------------

local function depth(t)
  local d = 0
  while type(t) == "table" do d, t = d + 1, t[1] end
  return d
end

-- A private generator (64-bit LCG, top 53 bits), so the numbers do not
-- depend on what other specs draw from math.random.
local lcg = 20240601
local function uniform()
  lcg = lcg * 6364136223846793005 + 1442695040888963407   -- wraps mod 2^64
  return (lcg >> 11) * (1.0 / 9007199254740992)
end

-- A table of the given shape filled by f() (or uniform numbers in [-1, 1]).
local function rand(shape, f, lvl)
  lvl = lvl or 1
  f = f or function() return 2 * uniform() - 1 end
  local t = {}
  for i = 1, shape[lvl] do
    t[i] = lvl == #shape and f() or rand(shape, f, lvl + 1)
  end
  return t
end

local function mm2(a, b)                  -- (m,k) · (k,n), plain triple loop
  local c = {}
  for i = 1, #a do
    c[i] = {}
    for j = 1, #b[1] do
      local s = 0
      for p = 1, #b do s = s + a[i][p] * b[p][j] end
      c[i][j] = s
    end
  end
  return c
end

-- np.matmul on nested tables: 1-D operands promoted then dropped, batch
-- dims broadcast by recursion.
local function ref_matmul(a, b)
  local da, db = depth(a), depth(b)
  if da == 1 and db == 1 then
    local s = 0
    for i = 1, #a do s = s + a[i] * b[i] end
    return s
  end
  if da <= 2 and db <= 2 then
    if da == 1 then return mm2({a}, b)[1] end
    if db == 1 then
      local col = {}
      for i = 1, #b do col[i] = {b[i]} end
      local c = mm2(a, col)
      for i = 1, #c do c[i] = c[i][1] end
      return c
    end
    return mm2(a, b)
  end
  local r = {}
  if da > db or (da == db and #a >= #b and #b == 1) then
    if da > db then for i = 1, #a do r[i] = ref_matmul(a[i], b) end
    else for i = 1, #a do r[i] = ref_matmul(a[i], b[1]) end end
  elseif db > da then
    for i = 1, #b do r[i] = ref_matmul(a, b[i]) end
  else
    for i = 1, #b do r[i] = ref_matmul(#a == 1 and a[1] or a[i], b[i]) end
  end
  return r
end

local function T(a)                       -- transpose of a table matrix
  local t = {}
  for j = 1, #a[1] do
    t[j] = {}
    for i = 1, #a do t[j][i] = a[i][j] end
  end
  return t
end

-- Largest |x - y| relative to max(1, |y|), as a Lua number.
local function assert_near(x, y, tol, msg)
  return u.close(x, y, tol or 1e-10, msg)
end

local function eye(n) return gd.eye(n) end

-- A well-conditioned n×n matrix, and a symmetric positive definite one.
local function wellcond(n)
  local a = rand({n, n})
  for i = 1, n do a[i][i] = a[i][i] + n end
  return a
end
local function spd(n)
  local a = gd.tensor(rand({n, n}))
  return a:matmul(a.T) + gd.eye(n) * n
end


-- ---- matmul ---------------------------------------------------------------

describe("gd.matmul", function()
  it("multiplies small matrices computed by hand", function()
    local a = gd.tensor{{1, 2}, {3, 4}}
    local b = gd.tensor{{5, 6}, {7, 8}}
    assert.same({{19, 22}, {43, 50}}, gd.matmul(a, b):totable())
    assert.same({{19, 22}, {43, 50}}, a:matmul(b):totable())
    assert.same({{23, 34}, {31, 46}}, b:matmul(a):totable())
    assert.same({5, 11}, a:matmul{1, 2}:totable())         -- (2,2)@(2) → (2)
    assert.same({7, 10}, gd.matmul({1, 2}, a):totable())   -- (2)@(2,2) → (2)
    local d = gd.matmul({1, 2, 3}, {4, 5, 6})              -- 1-D·1-D → 0-d
    assert.equal(0, d.ndim)
    assert.equal(32, d:item())
  end)

  it("gives numpy's result shapes", function()
    local cases = {
      {{3}, {3}, {}}, {{2, 3}, {3}, {2}}, {{3}, {3, 4}, {4}}, {{2, 3}, {3, 4}, {2, 4}},
      {{5, 2, 3}, {3, 4}, {5, 2, 4}}, {{2, 3}, {5, 3, 4}, {5, 2, 4}},
      {{5, 2, 3}, {5, 3, 4}, {5, 2, 4}}, {{5, 1, 2, 3}, {6, 3, 4}, {5, 6, 2, 4}},
      {{1, 2, 3}, {7, 3, 4}, {7, 2, 4}}, {{4, 2, 3}, {3}, {4, 2}}, {{3}, {4, 3, 2}, {4, 2}},
      {{0, 3}, {3, 4}, {0, 4}}, {{2, 0}, {0, 4}, {2, 4}},
    }
    for _, c in ipairs(cases) do
      local r = gd.matmul(gd.zeros(c[1]), gd.zeros(c[2]))
      assert.same(c[3], r.shape)
    end
    assert.same({{0, 0}, {0, 0}}, gd.matmul(gd.ones(2, 0), gd.ones(0, 2)):totable())
  end)

  it("matches a naive triple loop for every shape combination", function()
    local shapes = {
      {{7}, {7}}, {{4, 7}, {7}}, {{7}, {7, 5}}, {{4, 7}, {7, 5}},
      {{3, 4, 7}, {7, 5}}, {{4, 7}, {3, 7, 5}}, {{3, 4, 7}, {3, 7, 5}},
      {{2, 1, 4, 7}, {3, 7, 5}}, {{1, 4, 7}, {3, 7, 5}}, {{3, 4, 7}, {1, 7, 5}},
      {{3, 4, 7}, {7}}, {{7}, {2, 3, 7, 5}},
      -- large enough for cblas: gemm, and gemv on either side
      {{12, 9}, {9, 8}}, {{40, 30}, {30}}, {{30}, {30, 40}}, {{1000}, {1000}},
      {{3, 12, 9}, {9, 8}}, {{12, 9}, {3, 9, 8}}, {{2, 3, 12, 9}, {3, 9, 8}},
      {{1, 12, 9}, {2, 9, 8}}, {{30, 1, 20}, {20, 8}}, {{2, 15, 1, 20}, {20, 8}},
    }
    for _, s in ipairs(shapes) do
      local a, b = rand(s[1]), rand(s[2])
      local r = gd.matmul(a, b)
      assert_near(r, ref_matmul(a, b), 1e-12, table.concat(s[1], ",") .. " @ " .. table.concat(s[2], ","))
    end
  end)

  it("sums k ≤ 2 products in order from 0, as the plain loop defines", function()
    -- (0 + a1·b1) + a2·b2 in Lua's doubles: the same bits on every machine
    -- and every clone of the loop (AVX2, AVX-512, baseline)
    local a, b = rand({37, 2}), rand({2, 33})
    local bt = gd.tensor(T(b))
    for _, B in ipairs { gd.tensor(b), bt.T } do
      local r = gd.matmul(a, B):totable()
      for i = 1, 37 do
        for j = 1, 33 do
          assert.equal((0.0 + a[i][1] * b[1][j]) + a[i][2] * b[2][j], r[i][j])
        end
      end
    end
  end)

  it("reads transposed and strided views in place, small and large", function()
    for _, n in ipairs({3, 20}) do
      local a, b = rand({n, n + 2}), rand({n + 2, n + 1})
      local ta, tb = gd.tensor(T(a)), gd.tensor(T(b))   -- contiguous transposes
      assert_near(ta.T:matmul(tb.T), mm2(a, b), 1e-12, "Aᵀᵀ Bᵀᵀ")
      assert_near(ta.T:matmul(b), mm2(a, b), 1e-12, "Aᵀᵀ B")
      assert_near(gd.matmul(a, tb.T), mm2(a, b), 1e-12, "A Bᵀᵀ")
      local v = rand({n + 2})
      assert_near(ta.T:matmul(v), ref_matmul(a, v), 1e-12, "Aᵀᵀ v")
      local w = rand({n})
      assert_near(gd.matmul(w, ta.T), ref_matmul(w, a), 1e-12, "w Aᵀᵀ")
    end
    -- every other row and column: no unit stride, so a copy is needed
    local big = rand({40, 40})
    local x = gd.tensor(big)[{{1, 40, 2}, {1, 40, 2}}]
    local sub = {}
    for i = 1, 20 do
      sub[i] = {}
      for j = 1, 20 do sub[i][j] = big[2 * i - 1][2 * j - 1] end
    end
    assert.same({20, 20}, x.shape)
    assert_near(x:matmul(x), mm2(sub, sub), 1e-12, "doubly strided")
    assert_near(x:matmul(x:narrow(2, 1, 1)), mm2(sub, T({T(sub)[1]})), 1e-12, "strided column")
    -- a narrowed (non-contiguous rows) block
    local blk = gd.tensor(big):narrow(2, 3, 25):narrow(1, 2, 30)
    local ref = {}
    for i = 1, 30 do
      ref[i] = {}
      for j = 1, 25 do ref[i][j] = big[i + 1][j + 2] end
    end
    assert_near(blk.T:matmul(blk), mm2(T(ref), ref), 1e-12, "narrowed block")
  end)

  it("broadcasts expanded (stride 0) operands", function()
    local a = rand({1, 4, 6})
    local b = rand({3, 6, 5})
    local ae = gd.tensor(a):expand(3, 4, 6)
    assert_near(ae:matmul(b), ref_matmul(a, b), 1e-12)
    local big = rand({1, 30, 30})
    local be = gd.tensor(big):expand(2, 30, 30)
    assert_near(be:matmul(be), ref_matmul({big[1], big[1]}, {big[1], big[1]}), 1e-11)
    -- rows as a batch of 1-row matrices (unsqueezed view), small and large
    for _, k in ipairs({3, 40}) do
      local x, w = rand({25, k}), rand({k, 6})
      local r = gd.tensor(x):unsqueeze(2):matmul(w)
      assert.same({25, 1, 6}, r.shape)
      assert_near(r:squeeze(2), mm2(x, w), 1e-12, "unsqueezed rows")
      assert_near(gd.tensor(T(x)).T:unsqueeze(2):matmul(w):squeeze(2), mm2(x, w), 1e-12)
    end
    -- a row expanded down a matrix: both layouts fail, copied for BLAS
    local row = rand({30})
    local re = gd.tensor(row):expand(30, 30)
    local full = {}
    for i = 1, 30 do full[i] = row end
    assert_near(re:matmul(big[1]), mm2(full, big[1]), 1e-11, "expanded rows")
    assert_near(gd.matmul(big[1], gd.tensor(row):reshape(30, 1):expand(30, 3)),
      mm2(big[1], T({row, row, row})), 1e-11, "expanded columns")
  end)

  it("is exact to float64 on the exam's normal equations (seed 000, problem 2(1))", function()
    local X = gd.tensor{{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4}, {1, 25.1},
                        {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
    local y = gd.tensor{55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                        63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}:reshape(10, 1)
    local beta = gd.inv(X.T:matmul(X)):matmul(X.T):matmul(y)
    assert.same({2, 1}, beta.shape)
    assert_near(beta, {{9.94457323}, {2.21570461}}, 1e-8)
    assert_near(gd.lstsq(X, y), beta, 1e-9)
    assert_near(gd.solve(X.T:matmul(X), X.T:matmul(y)), beta, 1e-9)
    assert_near(gd.pinv(X):matmul(y), beta, 1e-9)
    -- XᵀX by hand
    local xtx = X.T:matmul(X):totable()
    local sx, sxx = 0, 0
    for _, v in ipairs({20.1, 22.2, 22.7, 23.3, 24.4, 25.1, 26.2, 27.3, 28.4, 30.4}) do
      sx, sxx = sx + v, sxx + v * v
    end
    assert_near(xtx, {{10, sx}, {sx, sxx}}, 1e-11)
  end)

  it("raises errors naming the function and both shapes", function()
    u.errors(function() return gd.matmul(gd.zeros(10, 2), gd.zeros(3, 1)) end,
      "gd.matmul", "{10,2}", "{3,1}", "(2 ≠ 3)")
    u.errors(function() return gd.zeros(10, 2):matmul(gd.zeros(3)) end, "gd.matmul", "{10,2}", "{3}")
    u.errors(function() return gd.matmul(gd.zeros(2, 3, 4), gd.zeros(5, 4, 2)) end,
      "gd.matmul", "{2,3,4}", "{5,4,2}", "batch")
    u.errors(function() return gd.matmul(2, gd.zeros(3)) end, "gd.matmul", "{}", "{3}")
    u.errors(function() return gd.matmul(nil, gd.zeros(3)) end, "gd.matmul", "argument 1", "nil")
    u.errors(function() return gd.matmul(gd.zeros(3), "x") end, "gd.matmul", "argument 2", "string")
  end)
end)

describe("gd.dot and gd.outer", function()
  it("dot: inner product of vectors, 0-d", function()
    local d = gd.dot({1, 2, 3}, {4, -5, 6})
    assert.equal(0, d.ndim)
    assert.equal(12, d:item())
    assert.equal(12, gd.tensor{1, 2, 3}:dot{4, -5, 6}:item())
    local a, b = rand({2000}), rand({2000})
    assert_near(gd.dot(a, b), ref_matmul(a, b), 1e-11)
    local x = gd.tensor(rand({10, 3}))
    assert_near(gd.dot(x:select(2, 1), x:select(2, 2)), ref_matmul(T(x:totable())[1], T(x:totable())[2]), 1e-12)
    assert.same({{19, 22}, {43, 50}}, gd.dot({{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}):totable())
  end)

  it("outer: a_i b_j over flattened inputs", function()
    assert.same({{4, 5}, {8, 10}, {12, 15}}, gd.outer({1, 2, 3}, {4, 5}):totable())
    assert.same({{4, 5}, {8, 10}, {12, 15}}, gd.tensor{1, 2, 3}:outer{4, 5}:totable())
    assert.same({{1, 3}, {2, 6}, {3, 9}, {4, 12}}, gd.outer(gd.tensor{{1, 3}, {2, 4}}.T, {1, 3}):totable())
    assert.same({0, 3}, gd.outer(gd.zeros(0), {1, 2, 3}).shape)
  end)

  it("errors name the function and shapes", function()
    u.errors(function() return gd.dot({1, 2, 3}, {1, 2}) end, "gd.dot", "{3}", "{2}", "(3 ≠ 2)")
    u.errors(function() return gd.dot(gd.zeros(2, 2, 2), {1, 2}) end, "gd.dot", "{2,2,2}", "{2}")
    u.errors(function() return gd.outer({1}, nil) end, "gd.outer", "argument 2")
  end)
end)

-- ---- inverse, solve, least squares -------------------------------------

describe("gd.inv", function()
  it("inverts a 2×2 by hand and A·A⁻¹ = I", function()
    assert_near(gd.inv{{4, 7}, {2, 6}}, {{0.6, -0.7}, {-0.2, 0.4}}, 1e-15)
    for _, n in ipairs({1, 3, 8, 40}) do
      local a = gd.tensor(wellcond(n))
      assert_near(a:matmul(gd.inv(a)), eye(n), 1e-12, "n=" .. n)
      assert_near(a:inv():matmul(a), eye(n), 1e-12, "n=" .. n)
    end
  end)

  it("takes views and batches", function()
    local a = gd.tensor(wellcond(5))
    assert_near(gd.inv(a.T), gd.inv(a).T, 1e-13)
    local batch = gd.stack({a, a.T, a * 2}, 1)
    local inv = gd.inv(batch)
    assert.same({3, 5, 5}, inv.shape)
    assert_near(inv[3], gd.inv(a) / 2, 1e-13)
    assert_near(batch:matmul(inv), gd.eye(5):expand(3, 5, 5), 1e-12)
    assert.same({0, 0}, gd.inv(gd.zeros(0, 0)).shape)
  end)

  it("errors: not square, singular, not a matrix, bad argument", function()
    u.errors(function() return gd.inv(gd.zeros(2, 3)) end,
      "gd.inv: expected a square matrix, got shape {2,3}")
    u.errors(function() return gd.inv{{1, 2}, {2, 4}} end, "gd.inv: matrix is singular")
    u.errors(function() return gd.inv(gd.zeros(2, 3, 3)) end, "gd.inv", "singular", "batch item 1")
    u.errors(function() return gd.inv{1, 2} end, "gd.inv", "matrix", "{2}")
    u.errors(function() return gd.inv("A") end, "gd.inv", "argument 1", "string")
    u.errors(function() return gd.inv{{1, 0 / 0}, {0, 1}} end, "gd.inv", "NaN")
  end)
end)

describe("gd.solve", function()
  it("solves a system by hand", function()
    assert_near(gd.solve({{2, 1}, {1, 3}}, {3, 5}), {0.8, 1.4}, 1e-15)
    local x = gd.solve({{2, 1}, {1, 3}}, {{3, 1}, {5, 0}})
    assert_near(x, {{0.8, 0.6}, {1.4, -0.2}}, 1e-15)
    -- a zero leading pivot (row swaps), b as a vector and as one column: x = (1, 1, 1)
    local P = {{0, 2, 1}, {1, 1, 0}, {3, 0, 1}}
    assert_near(gd.solve(P, {3, 2, 4}), {1, 1, 1}, 1e-15)
    assert_near(gd.solve(P, {{3}, {2}, {4}}), {{1}, {1}, {1}}, 1e-15)
  end)

  it("leaves a small residual for vectors, matrices and batches", function()
    local A = gd.tensor(wellcond(30))
    local b = gd.tensor(rand({30}))
    local x = A:solve(b)
    assert.same({30}, x.shape)
    assert_near(A:matmul(x), b, 1e-12)
    local B = gd.tensor(rand({30, 4}))
    assert_near(A:matmul(gd.solve(A, B)), B, 1e-12)
    assert_near(A.T:matmul(gd.solve(A.T, B)), B, 1e-12, "transposed view")
    local As = gd.stack({A, A.T}, 1)                -- (2,30,30) with (30,4): broadcast
    local xs = gd.solve(As, B)
    assert.same({2, 30, 4}, xs.shape)
    assert_near(As:matmul(xs), gd.stack({B, B}, 1), 1e-12)
    assert.same({2, 30}, gd.solve(As, b).shape)
  end)

  it("errors name the function and both shapes", function()
    u.errors(function() return gd.solve(gd.eye(3), gd.zeros(4)) end,
      "gd.solve", "{3,3}", "{4}", "(3 ≠ 4)")
    u.errors(function() return gd.solve(gd.zeros(2, 3), gd.zeros(2)) end,
      "gd.solve: expected a square matrix, got shape {2,3}")
    u.errors(function() return gd.solve({{1, 2}, {2, 4}}, {1, 1}) end, "gd.solve: matrix is singular")
    u.errors(function() return gd.solve(gd.zeros(2, 3, 3) + gd.eye(3), gd.zeros(4, 3, 1)) end,
      "gd.solve", "{2,3,3}", "{4,3,1}")
    u.errors(function() return gd.solve(gd.eye(2)) end, "gd.solve", "argument 2", "no value")
  end)
end)

describe("gd.lstsq", function()
  it("equals the normal-equation solution", function()
    local A = gd.tensor(rand({20, 4}))
    local b = gd.tensor(rand({20}))
    local x = gd.lstsq(A, b)
    assert.same({4}, x.shape)
    local xn = gd.solve(A.T:matmul(A), A.T:matmul(b))
    assert_near(x, xn, 1e-12)
    local B = gd.tensor(rand({20, 3}))
    assert_near(A:lstsq(B), gd.inv(A.T:matmul(A)):matmul(A.T):matmul(B), 1e-12)
  end)

  it("gives the exact solution of a square system and the least-norm one when underdetermined", function()
    assert_near(gd.lstsq({{2, 1}, {1, 3}}, {3, 5}), {0.8, 1.4}, 1e-14)
    -- x1 + x2 = 2: least norm is (1, 1)
    assert_near(gd.lstsq({{1, 1}}, {2}), {1, 1}, 1e-14)
    -- rank deficient: columns equal, least norm splits evenly
    assert_near(gd.lstsq({{1, 1}, {1, 1}, {1, 1}}, {1, 2, 3}), {1, 1}, 1e-13)
    assert_near(gd.lstsq(gd.zeros(0, 2), gd.zeros(0)), {0, 0}, 0)
  end)

  it("errors name the function and both shapes", function()
    u.errors(function() return gd.lstsq(gd.zeros(3, 2), gd.zeros(4)) end,
      "gd.lstsq", "{3,2}", "{4}", "(3 ≠ 4)")
    u.errors(function() return gd.lstsq(gd.zeros(3), gd.zeros(3)) end, "gd.lstsq", "{3}")
    u.errors(function() return gd.lstsq(gd.zeros(3, 2), gd.zeros(3), "x") end, "gd.lstsq", "rcond")
  end)
end)

describe("gd.pinv", function()
  local function check_mp(A, P, tol)       -- the four Moore-Penrose identities
    assert_near(A:matmul(P):matmul(A), A, tol, "A A⁺ A = A")
    assert_near(P:matmul(A):matmul(P), P, tol, "A⁺ A A⁺ = A⁺")
    local AP, PA = A:matmul(P), P:matmul(A)
    assert_near(AP, AP.T, tol, "(A A⁺)ᵀ = A A⁺")
    assert_near(PA, PA.T, tol, "(A⁺ A)ᵀ = A⁺ A")
  end

  it("satisfies the Moore-Penrose identities", function()
    for _, s in ipairs({{5, 3}, {3, 5}, {4, 4}}) do
      local A = gd.tensor(rand(s))
      local P = gd.pinv(A)
      assert.same({s[2], s[1]}, P.shape)
      check_mp(A, P, 1e-10)
    end
    local r1 = gd.outer({1, 2, 3}, {1, -1})   -- rank 1
    check_mp(r1, r1:pinv(), 1e-13)
    assert_near(gd.pinv{{2, 0}, {0, 0}}, {{0.5, 0}, {0, 0}}, 1e-15)
    local sq = gd.tensor(wellcond(6))
    assert_near(gd.pinv(sq), gd.inv(sq), 1e-12)
    assert.same({2, 3, 5}, gd.pinv(gd.zeros(2, 5, 3) + 1).shape)
  end)

  it("drops singular values below rcond·σmax", function()
    local A = gd.tensor{{1, 0}, {0, 1e-10}}
    assert_near(gd.pinv(A), {{1, 0}, {0, 1e10}}, 1e-3)
    assert_near(gd.pinv(A, 1e-8), {{1, 0}, {0, 0}}, 1e-15)
  end)

  it("errors", function()
    u.errors(function() return gd.pinv{1, 2} end, "gd.pinv", "{2}")
    u.errors(function() return gd.pinv(gd.eye(2), "big") end, "gd.pinv", "rcond")
  end)
end)

-- ---- determinants ---------------------------------------------------------

describe("gd.det and gd.slogdet", function()
  it("determinants of known matrices", function()
    local d = gd.det{{2, 1}, {1, 3}}
    assert.equal(0, d.ndim)
    assert_near(d, 5, 1e-14)
    assert_near(gd.det{{0, 1}, {1, 0}}, -1, 0)
    assert_near(gd.tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 10}}:det(), -3, 1e-13)
    assert.equal(0, gd.det{{1, 2}, {2, 4}}:item())
    assert_near(gd.det(gd.eye(4) * 2), 16, 1e-14)
    assert.equal(1, gd.det(gd.zeros(0, 0)):item())
    local b = gd.det(gd.stack({gd.tensor{{2, 1}, {1, 3}}, gd.eye(2) * 3}, 1))
    assert.same({2}, b.shape)
    assert_near(b, {5, 9}, 1e-14)
  end)

  it("slogdet agrees with det", function()
    local s, l = gd.slogdet{{2, 1}, {1, 3}}
    assert.equal(0, s.ndim)
    assert.equal(1, s:item())
    assert_near(l, math.log(5), 1e-14)
    s, l = gd.slogdet{{1, 2}, {3, 4}}                 -- det -2
    assert.equal(-1, s:item())
    assert_near(l, math.log(2), 1e-14)
    s, l = gd.slogdet{{1, 2}, {2, 4}}
    assert.equal(0, s:item())
    assert.equal(-math.huge, l:item())
    local A = gd.tensor(wellcond(12))
    s, l = A:slogdet()
    assert_near(s * gd.exp(l), gd.det(A), 1e-9 * math.abs(gd.det(A):item()))
    -- a large determinant: log stays finite where the product overflows
    s, l = gd.slogdet(gd.eye(200) * 1e10)
    assert_near(l, 200 * math.log(1e10), 1e-9)
  end)

  it("errors on non-square input", function()
    u.errors(function() return gd.det(gd.zeros(2, 3)) end, "gd.det: expected a square matrix, got shape {2,3}")
    u.errors(function() return gd.slogdet(gd.zeros(3)) end, "gd.slogdet", "{3}")
  end)
end)

-- ---- factorizations -------------------------------------------------------

describe("gd.cholesky", function()
  it("L Lᵀ = A with L lower triangular", function()
    assert_near(gd.cholesky{{4, 2}, {2, 3}}, {{2, 0}, {1, math.sqrt(2)}}, 1e-15)
    local A = spd(25)
    local L = gd.cholesky(A)
    assert_near(L:matmul(L.T), A, 1e-11)
    assert_near(gd.cholesky(A.T), L, 1e-13, "a transposed view")
    local Lt = L:totable()
    for i = 1, 25 do
      for j = i + 1, 25 do assert.equal(0, Lt[i][j]) end
      assert.is_true(Lt[i][i] > 0)
    end
    local Ls = gd.cholesky(gd.stack({A, A * 4}, 1))
    assert_near(Ls[2], L * 2, 1e-12)
  end)

  it("errors when not positive definite or not square", function()
    u.errors(function() return gd.cholesky{{1, 2}, {2, 1}} end, "gd.cholesky", "not positive definite")
    u.errors(function() return gd.cholesky(gd.zeros(2, 3)) end, "gd.cholesky", "{2,3}")
  end)
end)

describe("gd.eigh", function()
  it("eigenvalues ascending, A v = λ v, V orthogonal", function()
    local w, V = gd.eigh{{2, 1}, {1, 3}}
    assert_near(w, {(5 - math.sqrt(5)) / 2, (5 + math.sqrt(5)) / 2}, 1e-14)
    local A = gd.tensor(rand({20, 20}))
    A = A + A.T
    w, V = A:eigh()
    assert.same({20}, w.shape)
    assert.same({20, 20}, V.shape)
    local wt = w:totable()
    for i = 2, 20 do assert.is_true(wt[i - 1] <= wt[i]) end
    assert_near(A:matmul(V), V * w, 1e-12, "A V = V diag(w)")
    for i = 1, 20 do
      local v = V[{{}, i}]
      assert_near(A:matmul(v), v * wt[i], 1e-12, "A v = λ v")
    end
    assert_near(V.T:matmul(V), gd.eye(20), 1e-12)
  end)

  it("errors on non-square input", function()
    u.errors(function() return gd.eigh(gd.zeros(3, 2)) end, "gd.eigh", "{3,2}")
  end)
end)

describe("gd.svd", function()
  it("U diag(S) Vt = A, reduced, orthonormal factors", function()
    for _, s in ipairs({{8, 5}, {5, 8}, {6, 6}}) do
      local A = gd.tensor(rand(s))
      local U, S, Vt = gd.svd(A)
      local r = math.min(s[1], s[2])
      assert.same({s[1], r}, U.shape)
      assert.same({r}, S.shape)
      assert.same({r, s[2]}, Vt.shape)
      assert_near((U * S):matmul(Vt), A, 1e-12, "reconstruction")
      assert_near(U.T:matmul(U), gd.eye(r), 1e-12, "UᵀU = I")
      assert_near(Vt:matmul(Vt.T), gd.eye(r), 1e-12, "Vt Vtᵀ = I")
      local st = S:totable()
      for i = 2, r do assert.is_true(st[i - 1] >= st[i] and st[i] >= 0) end
    end
    local _, S = gd.svd{{3, 0}, {0, -4}}
    assert_near(S, {4, 3}, 1e-15)
    local U, S2, Vt = gd.svd(gd.tensor(rand({3, 4, 2})):transpose(2, 3))   -- batch of views
    assert.same({3, 2, 2}, U.shape)
    assert.same({3, 2}, S2.shape)
    assert.same({3, 2, 4}, Vt.shape)
  end)

  it("errors on a vector", function()
    u.errors(function() return gd.svd{1, 2, 3} end, "gd.svd", "{3}")
    u.errors(function() return gd.svd{{1, math.huge}, {0, 1}} end, "gd.svd", "Inf")
  end)
end)

describe("gd.qr", function()
  it("A = Q R, QᵀQ = I, R upper triangular", function()
    for _, s in ipairs({{8, 5}, {5, 8}, {6, 6}}) do
      local A = gd.tensor(rand(s))
      local Q, R = A:qr()
      local r = math.min(s[1], s[2])
      assert.same({s[1], r}, Q.shape)
      assert.same({r, s[2]}, R.shape)
      assert_near(Q:matmul(R), A, 1e-12, "reconstruction")
      assert_near(Q.T:matmul(Q), gd.eye(r), 1e-12, "QᵀQ = I")
      local Rt = R:totable()
      for i = 1, r do for j = 1, math.min(i - 1, s[2]) do assert.equal(0, Rt[i][j]) end end
    end
    local Q, R = gd.qr(gd.tensor{{3, 1}, {4, 2}})
    assert_near(gd.abs(R), {{5, 2.2}, {0, 0.4}}, 1e-14)
    assert_near(Q:matmul(R), {{3, 1}, {4, 2}}, 1e-14)
  end)

  it("errors on a vector", function()
    u.errors(function() return gd.qr{1, 2, 3} end, "gd.qr", "{3}")
  end)
end)

-- ---- LAPACK on row-major buffers (column-major calls on transposes) ------

-- The inverse of a 3×3 table matrix by its adjugate: adj(A)ᵀ / det A.
local function inv3(a)
  local function c(i, j)                  -- cofactor of entry (i, j)
    local r, s = {}, {}
    for k = 1, 3 do if k ~= i then r[#r + 1] = k end end
    for k = 1, 3 do if k ~= j then s[#s + 1] = k end end
    local m = a[r[1]][s[1]] * a[r[2]][s[2]] - a[r[1]][s[2]] * a[r[2]][s[1]]
    return (i + j) % 2 == 0 and m or -m
  end
  local det = a[1][1] * c(1, 1) + a[1][2] * c(1, 2) + a[1][3] * c(1, 3)
  local t = {}
  for i = 1, 3 do
    t[i] = {}
    for j = 1, 3 do t[i][j] = c(j, i) / det end
  end
  return t
end

describe("LAPACK calls on row-major data", function()
  it("inv and solve of non-symmetric matrices that need pivoting", function()
    local a = {{0, 2, 1}, {1, 1, 0}, {3, 0, 2}}     -- a zero first pivot
    assert_near(gd.inv(a), inv3(a), 1e-15)
    assert_near(gd.inv(gd.tensor(a).T), T(inv3(a)), 1e-15, "a transposed view")
    local b = {{1, -1}, {2, 0}, {3, 5}}
    assert_near(gd.solve(a, b), mm2(inv3(a), b), 1e-14, "two right-hand sides")
    assert_near(gd.solve(a, gd.tensor(T(b))[1]), mm2(inv3(a), {{1}, {2}, {3}}), 1e-14,
      "a strided vector b")
    assert_near(gd.solve(a, gd.tensor(T(b)).T), mm2(inv3(a), b), 1e-14, "a transposed b")
    assert_near(gd.solve({{1, 2}, {3, 4}}, {5, 6}), {-4, 4.5}, 1e-15)
    assert_near(gd.det(a), -7, 1e-14)
  end)

  it("cholesky and eigh read the lower triangle only", function()
    assert_near(gd.cholesky{{4, 99}, {2, 3}}, {{2, 0}, {1, math.sqrt(2)}}, 1e-15)
    local w = gd.eigh{{2, -50}, {1, 3}}
    assert_near(w, {(5 - math.sqrt(5)) / 2, (5 + math.sqrt(5)) / 2}, 1e-14)
    local A = spd(9)
    local lower = A:copy()
    for i = 1, 9 do for j = i + 1, 9 do lower:set(1e3 * (i - j), i, j) end end
    assert_near(gd.cholesky(lower), gd.cholesky(A), 1e-13)
    local w1, V1 = gd.eigh(lower)
    local w2, V2 = gd.eigh(A)
    assert_near(w1, w2, 1e-12)
    assert_near(V1, V2, 1e-12)
  end)

  it("eigh and svd give numpy's vectors, signs included", function()
    -- numpy 1.24 (LAPACK dsyevd and dgesdd on the same matrices), printed with repr
    local w, V = gd.eigh{{4, 1, -2, 2}, {1, 2, 0, 1}, {-2, 0, 3, -2}, {2, 1, -2, -1}}
    assert_near(w, {-2.1975169774394243, 1.0843644637732166, 2.2685314064312423, 6.844621107234965}, 1e-14)
    assert_near(V, {{-0.17670517062447652, -0.6422600067660328, -0.20171109662094233, -0.7180459594506796},
                    {-0.17810046990630077, 0.5441878481946866, -0.7894499124874399, -0.2211529881551807},
                    {0.28766803431970117, -0.5202218509386148, -0.5796341693167878, 0.5573513771375096},
                    {0.9242849167461132, 0.14398227457619123, -0.010280998686330589, -0.3533564748939929}}, 1e-13)
    local B = gd.tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 10}, {-1, 0, 2}}
    local U, S, Vt = gd.svd(B)
    assert_near(S, {17.436984282741232, 2.202867477135056, 0.31456954972769685}, 1e-13)
    assert_near(U, {{-0.20933067336566324, 0.3627606877434742, 0.6214734010660474},
                    {-0.5031230395354763, -0.03192721605929438, 0.5545193374263182},
                    {-0.8367814747333489, -0.13033004262061518, -0.47028396519246896},
                    {-0.053335164947181296, 0.922171034186768, -0.2917397954865359}}, 1e-13)
    assert_near(Vt, {{-0.46028360521249995, -0.5521899994946731, -0.6951440190569553},
                     {-0.7260670583347659, -0.21642475124944355, 0.652676760615633},
                     {-0.510847951521471, 0.8051375854502694, -0.3013102038126606}}, 1e-13)
    -- the wide transpose is another LAPACK problem, with other signs
    U, S, Vt = gd.svd(B.T)
    assert_near(U, {{0.4602836052124998, 0.7260670583347656, 0.510847951521471},
                    {0.5521899994946728, 0.21642475124944344, -0.8051375854502693},
                    {0.695144019056955, -0.6526767606156327, 0.3013102038126607}}, 1e-13)
    assert_near(Vt, {{0.20933067336566358, 0.5031230395354764, 0.8367814747333491, 0.053335164947181185},
                     {-0.36276068774347436, 0.03192721605929415, 0.1303300426206153, -0.9221710341867676},
                     {-0.6214734010660462, -0.5545193374263198, 0.4702839651924693, 0.2917397954865358}}, 1e-13)
  end)

  it("work sizes are right for every shape as the cache of them turns over", function()
    for round = 1, 2 do
      for n = 1, 12 do                         -- more shapes than the 8 kept
        local A = gd.tensor(wellcond(n))
        assert_near(A:matmul(gd.inv(A)), eye(n), 1e-12, "inv n=" .. n)
        local S = A + A.T
        local w, V = gd.eigh(S)
        assert_near(S:matmul(V), V * w, 1e-11, "eigh n=" .. n)
        for _, s in ipairs({{n, n + 2}, {n + 2, n}}) do
          local M = gd.tensor(rand(s))
          local U, Sv, Vt = gd.svd(M)
          assert_near((U * Sv):matmul(Vt), M, 1e-12, ("svd %d×%d round %d"):format(s[1], s[2], round))
        end
      end
    end
  end)

  it("refuses NaN and Inf wherever they are, as before", function()
    u.errors(function() return gd.eigh{{1, 0 / 0}, {0, 1}} end, "gd.eigh", "NaN or Inf")
    u.errors(function() return gd.cholesky{{1, math.huge}, {0, 1}} end, "gd.cholesky", "NaN or Inf")
    u.errors(function() return gd.solve(gd.eye(2), {1, -math.huge}) end, "gd.solve", "NaN or Inf")
    u.errors(function() return gd.svd(gd.tensor{{1, 2}, {3, 0 / 0}}.T) end, "gd.svd", "NaN or Inf")
    u.errors(function() return gd.det{{1, 2}, {0 / 0, 1}} end, "gd.det", "NaN or Inf")
    -- an odd size: the transposed copy's 2×2 blocks, its last row and column
    for _, at in ipairs { {2, 3}, {5, 3}, {3, 5}, {5, 5} } do
      local A = gd.eye(5)
      A:set(0 / 0, at[1], at[2])
      u.errors(function() return gd.eigh(A) end, "gd.eigh", "NaN or Inf")
      u.errors(function() return gd.cholesky(A) end, "gd.cholesky", "NaN or Inf")
    end
  end)
end)
