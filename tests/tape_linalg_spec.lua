-- tests/tape_linalg_spec.lua: the gradient tape through the linear algebra
-- ops: concrete gradients checked by hand (the exam's regression), the
-- exam's 50,000-step loop, Hessians and second-order gradients through
-- every linalg rule, and what is not recorded (slogdet's sign, eigh, svd, qr).
local u = require "tests.helpers.util"

local Xt = {{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
            {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
local yt = {55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
            63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}

local function exam_data()
  local X = gd.tensor(Xt)
  local y = gd.tensor(yt):reshape(10, 1)
  return X, y
end

-- (−2Xᵀy + 2XᵀXβ)/10 with plain Lua loops.
local function analytic(b1, b2)
  local g = {0, 0}
  for i = 1, 10 do
    local r = Xt[i][1] * b1 + Xt[i][2] * b2 - yt[i]     -- (Xβ − y)_i
    for j = 1, 2 do g[j] = g[j] + 2 * Xt[i][j] * r / 10 end
  end
  return g
end

describe("tape through linalg", function()
  describe("the exam's regression", function()
    it("gradient of (y − Xβ)ᵀ(y − Xβ)/10 equals (−2Xᵀy + 2XᵀXβ)/10", function()
      local X, y = exam_data()
      for _, b in ipairs({ {5, 10}, {9.3, 2.2}, {-1.5, 0.25} }) do
        local beta = gd.Variable(gd.tensor(b):reshape(2, 1))
        local tape <close> = gd.GradientTape()
        local r = y - X:matmul(beta)
        local loss = r.T:matmul(r) / 10
        local g = tape:gradient(loss, beta)
        assert.same({2, 1}, g.shape)
        local want = analytic(b[1], b[2])
        u.close(g, {{want[1]}, {want[2]}}, 1e-10 * math.max(1, math.abs(want[2])))
      end
    end)

    it("the same with a 1-D β, gd.dot and matrix-vector products", function()
      local X, y = exam_data()
      y = y:reshape(10)
      local beta = gd.Variable({5, 10})
      local tape <close> = gd.GradientTape()
      local r = y - X:matmul(beta)
      local loss = gd.dot(r, r) / 10
      local g = tape:gradient(loss, beta)
      local want = analytic(5, 10)
      u.close(g, want, 1e-9)
    end)

    it("50,000 steps of β ← β − 0.0015·∇ from (5, 10) give the seed's β", function()
      local X, y = exam_data()
      local beta = gd.Variable(gd.tensor{5.0, 10.0}:reshape(2, 1))
      for _ = 1, 50000 do
        local tape <close> = gd.GradientTape()
        local r = y - X:matmul(beta)
        local loss = r.T:matmul(r) / 10
        local g = tape:gradient(loss, beta)
        beta:assign_sub(g * 0.0015)
      end
      u.close(beta, {{9.28579424}, {2.24168098}}, 1e-8)
    end)
  end)

  describe("concrete gradients", function()
    it("sum(A·B): dA = 1·Bᵀ (row sums of B), dB = Aᵀ·1 (column sums of A)", function()
      local A = gd.tensor{{1, 2, 3}, {4, 5, 6}}
      local B = gd.tensor{{1, -1}, {2, 0.5}, {-3, 4}}
      local tape <close> = gd.GradientTape()
      tape:watch(A)
      tape:watch(B)
      local dA, dB = tape:gradient(A:matmul(B), A, B)
      u.close(dA, {{0, 2.5, 1}, {0, 2.5, 1}})
      u.close(dB, {{5, 5}, {7, 7}, {9, 9}})
    end)

    it("dot and outer of vectors", function()
      local a, b = gd.tensor{1, 2, 3}, gd.tensor{4, -5, 6}
      local tape <close> = gd.GradientTape{persistent = true}
      tape:watch(a)
      tape:watch(b)
      local da, db = tape:gradient(gd.dot(a, b), a, b)
      u.close(da, {4, -5, 6})
      u.close(db, {1, 2, 3})
      da, db = tape:gradient(gd.outer(a, b), a, b)
      u.close(da, {5, 5, 5})                -- Σ_j b_j
      u.close(db, {6, 6, 6})                -- Σ_i a_i
    end)

    it("det of a 2×2: ∂(ad − bc) = [[d, −c], [−b, a]]; log|det| gives that over det", function()
      local A = gd.tensor{{3, 1}, {2, 4}}
      local tape <close> = gd.GradientTape{persistent = true}
      tape:watch(A)
      local d = gd.det(A)
      local sign, logabs = gd.slogdet(A)
      u.close(d, 10, 1e-12)
      u.close(tape:gradient(d, A), {{4, -2}, {-1, 3}}, 1e-12)
      u.close(tape:gradient(logabs, A), {{0.4, -0.2}, {-0.1, 0.3}}, 1e-12)
      assert.is_nil(tape:gradient(sign, A))
    end)

    it("inv of a diagonal matrix: ∂ Σ inv(A) = −1/a² on the diagonal", function()
      local A = gd.tensor{{2, 0}, {0, 4}}
      local tape <close> = gd.GradientTape()
      tape:watch(A)
      u.close(tape:gradient(gd.inv(A), A), {{-0.25, -0.125}, {-0.125, -1 / 16}}, 1e-12)
    end)

    it("solve: ∂(cᵀ A⁻¹ b)/∂b = A⁻ᵀ c and ∂/∂A = −A⁻ᵀ c xᵀ", function()
      local A = gd.tensor{{2, 1}, {0, 4}}
      local b = gd.tensor{1, 2}
      local c = gd.tensor{3, -1}
      local tape <close> = gd.GradientTape()
      tape:watch(A)
      tape:watch(b)
      local x = gd.solve(A, b)                    -- (0.25, 0.5)
      local dA, db = tape:gradient(gd.dot(c, x), A, b)
      local z = gd.solve(A.T, c)                  -- (1.5, −0.625)
      u.close(db, z, 1e-12)
      u.close(dA, {{-1.5 * 0.25, -1.5 * 0.5}, {0.625 * 0.25, 0.625 * 0.5}}, 1e-12)
    end)

    it("cholesky's gradient is symmetric and matches the 1×1 case d√a = 1/(2√a)", function()
      local a = gd.tensor{{4}}
      local tape <close> = gd.GradientTape()
      tape:watch(a)
      u.close(tape:gradient(gd.cholesky(a), a), {{0.25}}, 1e-12)
      local A = gd.tensor{{4, 1, 0.5}, {1, 3, 0.2}, {0.5, 0.2, 2}}
      local t2 <close> = gd.GradientTape()
      t2:watch(A)
      local g = t2:gradient(gd.cholesky(A) * gd.tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, A)
      u.close(g, g.T, 1e-12)
    end)

    it("lstsq of a full-column-rank A agrees with solve(AᵀA, Aᵀb)", function()
      local A = gd.tensor{{1, 0.3}, {0.5, -1.2}, {-0.7, 0.8}, {0.2, 1.5}}
      local b = gd.tensor{0.7, -0.3, 1.1, 0.4}
      local w = gd.tensor{1, -2}
      local tape <close> = gd.GradientTape{persistent = true}
      tape:watch(A)
      tape:watch(b)
      local x1 = gd.lstsq(A, b)
      local x2 = gd.solve(A.T:matmul(A), A.T:matmul(b))
      u.close(x1, x2, 1e-12)
      local dA1, db1 = tape:gradient(x1 * w, A, b)
      local dA2, db2 = tape:gradient(x2 * w, A, b)
      u.close(dA1, dA2, 1e-12)
      u.close(db1, db2, 1e-12)
    end)

    it("pinv of a full-column-rank A agrees with (AᵀA)⁻¹Aᵀ", function()
      local A = gd.tensor{{1, 0.3}, {0.5, -1.2}, {-0.7, 0.8}}
      local W = gd.tensor{{1, 2, -1}, {0.5, 3, 0.2}}
      local tape <close> = gd.GradientTape{persistent = true}
      tape:watch(A)
      local p1 = gd.pinv(A)
      local p2 = gd.inv(A.T:matmul(A)):matmul(A.T)
      u.close(p1, p2, 1e-12)
      u.close(tape:gradient(p1 * W, A), tape:gradient(p2 * W, A), 1e-12)
    end)
  end)

  describe("higher order", function()
    local A = gd.tensor{{2, 0.5, -0.3}, {0.5, 1.5, 0.2}, {-0.3, 0.2, 1.8}}

    it("the Hessian of ½xᵀAx is A", function()
      local f = function(x) return 0.5 * gd.dot(x, A:matmul(x)) end
      local x = gd.tensor{0.3, -1.2, 0.7}
      local ok, H = pcall(gd.hessian, f, x)
      if not ok then                      -- select not differentiable yet: HVPs with unit vectors
        local rows = {}
        for i = 1, 3 do
          local e = gd.zeros(3)
          e[i] = 1
          rows[i] = gd.hvp(f, x, e):totable()
        end
        H = rows
      end
      u.close(H, A, 1e-12)
    end)

    it("the Hessian of ½xᵀBx is (B + Bᵀ)/2 for a non-symmetric B (via HVPs)", function()
      local B = gd.tensor{{1, 2, 0}, {-1, 3, 0.5}, {4, 0, 2}}
      local f = function(x) return 0.5 * x:matmul(B):matmul(x) end
      local x = gd.tensor{0.3, -1.2, 0.7}
      local v = gd.tensor{1, -2, 0.5}
      u.close(gd.hvp(f, x, v), ((B + B.T) / 2):matmul(v), 1e-12)
    end)

    it("d²/dt² det(t·M) = 2·det M for a 2×2 M; d²/dt² log|det(t·M)| = −2/t²", function()
      local M = gd.tensor{{3, 1}, {2, 4}}
      local d2 = gd.grad(gd.grad(function(t) return gd.det(t * M) end))
      u.close(d2(gd.tensor(1.5)), 20, 1e-9)
      local l2 = gd.grad(gd.grad(function(t) local _, l = gd.slogdet(t * M) return l end))
      u.close(l2(gd.tensor(1.5)), -2 / 1.5 ^ 2, 1e-9)
    end)

    it("d²/dt² of Σ inv(t·M) = 2/t³ · Σ M⁻¹", function()
      local M = gd.tensor{{3, 1}, {2, 4}}
      local d2 = gd.grad(gd.grad(function(t) return gd.inv(t * M):sum() end))
      u.close(d2(gd.tensor(2.0)), 2 / 8 * gd.inv(M):sum():item(), 1e-10)
    end)

    -- gradcheck of the gradient itself: second derivatives of every rule.
    local W22 = gd.tensor{{1, -2}, {0.5, 3}}
    local W33 = gd.tensor{{1, -2, 0.3}, {0.5, 3, -1}, {2, 0.7, -0.4}}
    local function grad_of(f, argnums)
      local g = gd.grad(f, { argnums = argnums or 1 })
      return function(...) return g(...) * 1 end
    end
    local second = {
      { "matmul (dA)", grad_of(function(a, b) return (a:matmul(b) * W22):sum() * a:matmul(b):sum() end),
        { {{0.3, -1.2, 0.7}, {1.5, 0.4, -0.6}}, {{0.9, -0.5}, {1.3, 0.2}, {-0.4, 0.8}} } },
      { "matmul 1-D (db)", grad_of(function(a, b) return gd.dot(a, b) ^ 2 end, 2),
        { {0.3, -1.2, 0.7}, {0.9, -0.5, 1.3} } },
      { "batched matmul", grad_of(function(a, b) return (a:matmul(b) ^ 2):sum() end),
        { {{{0.3, -1.2}, {1.5, 0.4}}, {{-0.2, 0.5}, {0.6, -0.9}}}, {{0.9, -0.5}, {1.3, 0.2}} } },
      { "outer", grad_of(function(a, b) return (gd.outer(a, b) ^ 2):sum() end, 2),
        { {0.3, -1.2, 0.7}, {0.9, -0.5} } },
      { "inv", grad_of(function(a) return (gd.inv(a) * W33):sum() end),
        { {{2.0, 0.5, -0.3}, {0.4, 1.5, 0.2}, {-0.6, 0.3, 1.8}} } },
      { "solve (dA)", grad_of(function(a, b) return (gd.solve(a, b) * gd.tensor{1, -2, 0.5}):sum() end),
        { {{2.0, 0.5, -0.3}, {0.4, 1.5, 0.2}, {-0.6, 0.3, 1.8}}, {0.9, -0.5, 1.3} } },
      { "solve (db)", grad_of(function(a, b) return (gd.solve(a, b) ^ 2):sum() end, 2),
        { {{2.0, 0.5}, {0.4, 1.5}}, {{0.9, -0.5}, {1.3, 0.2}} } },
      { "det", grad_of(function(a) return gd.det(a) end),
        { {{2.0, 0.5, -0.3}, {0.4, 1.5, 0.2}, {-0.6, 0.3, 1.8}} } },
      { "slogdet", grad_of(function(a) local _, l = gd.slogdet(a) return l end),
        { {{0.5, 2.0, -0.3}, {1.7, 0.4, 0.2}, {-0.6, 0.3, 1.8}} } },
      { "cholesky", grad_of(function(m) return (gd.cholesky(m:matmul(m.T) + 3 * gd.eye(3)) * W33):sum() end),
        { {{0.8, -0.2, 0.5}, {0.3, 1.1, -0.4}, {-0.6, 0.2, 0.9}} } },
      { "lstsq", grad_of(function(a, b) return (gd.lstsq(a, b) * gd.tensor{1, -2}):sum() end),
        { {{1.0, 0.3}, {0.5, -1.2}, {-0.7, 0.8}, {0.2, 1.5}}, {0.7, -0.3, 1.1, 0.4} } },
      { "pinv", grad_of(function(a) return (gd.pinv(a) * gd.tensor{{1, 2, -1}, {0.5, 3, 0.2}}):sum() end),
        { {{1.0, 0.3}, {0.5, -1.2}, {-0.7, 0.8}} } },
    }
    for _, c in ipairs(second) do
      it("second derivatives through " .. c[1] .. " (gradcheck of the gradient)", function()
        local ok, report = gd.gradcheck(c[2], c[3])
        assert(ok, c[1] .. ": " .. tostring(report))
      end)
    end
  end)

  describe("what is not recorded", function()
    it("eigh, svd and qr are recorded: Σw = tr A and ΣS = tr(Uᵀ A V) differentiate", function()
      local A = gd.tensor{{2, 0.5}, {0.5, 1}}
      local tape <close> = gd.GradientTape{persistent = true}
      tape:watch(A)
      local w = gd.eigh(A)
      local U, S, Vt = gd.svd(A)
      u.close(tape:gradient(w, A), {{1, 0}, {0, 1}}, 1e-12)            -- ∂ tr A/∂A = I
      u.close(tape:gradient(S, A), gd.matmul(U, Vt), 1e-12)            -- ∂ Σσ/∂A = U·Vt
    end)

    it("matmul of unwatched operands is not recorded; one watched operand is enough", function()
      local a, b = gd.tensor{{1, 2}}, gd.tensor{{3}, {4}}
      local tape <close> = gd.GradientTape{persistent = true}
      local c = a:matmul(b)
      assert.is_nil(tape:gradient(c, a))
      tape:watch(b)
      local d = a:matmul(b)
      assert.is_nil(tape:gradient(d, a))
      u.close(tape:gradient(d, b), {{1}, {2}})
    end)

    it("writing into a saved input after matmul is an error, not a wrong gradient", function()
      local a = gd.ones(5, 4)                 -- big enough to be saved by reference
      local b = gd.Variable(gd.ones(4, 2))
      local tape <close> = gd.GradientTape()
      tape:watch(a)
      local c = a:matmul(b)
      a[1] = gd.zeros(4)
      u.errors(function() tape:gradient(c, a, b) end, "matmul", "modified in place")
    end)

    it("the same when the written input is not itself differentiated (dB reads A)", function()
      local a = gd.ones(5, 4)                 -- not watched: only b's gradient is asked for
      local b = gd.Variable(gd.ones(4, 2))
      local tape <close> = gd.GradientTape()
      local c = a:matmul(b)
      a[1] = gd.zeros(4)
      u.errors(function() tape:gradient(c, b) end, "matmul", "modified in place")
    end)
  end)
end)
