-- Gradcheck cases for the linalg ops.  Each op maps to a list of
-- {f = function(inputs...), inputs = {...}}.  Matrices are well conditioned
-- (full rank, SPD where needed); outputs are often weighted by a constant so
-- that the incoming gradient is not all ones.
local a23 = {{0.3, -1.2, 0.7}, {1.5, 0.4, -0.6}}
local b32 = {{0.9, -0.5}, {1.3, 0.2}, {-0.4, 0.8}}
local v3 = {0.9, -0.5, 1.3}
local w3 = {0.2, 1.1, -0.7}
local a223 = {{{0.3, -1.2, 0.7}, {1.5, 0.4, -0.6}}, {{-0.2, 0.5, 1.1}, {0.6, -0.9, 0.3}}}
local b232 = {{{0.9, -0.5}, {1.3, 0.2}, {-0.4, 0.8}}, {{0.1, 0.7}, {-1.0, 0.4}, {0.5, 0.6}}}
local sq3 = {{2.0, 0.5, -0.3}, {0.4, 1.5, 0.2}, {-0.6, 0.3, 1.8}}
local neg3 = {{0.5, 2.0, -0.3}, {1.7, 0.4, 0.2}, {-0.6, 0.3, 1.8}}  -- det < 0
local sq223 = {{{2.0, 0.5}, {0.4, 1.5}}, {{1.2, -0.7}, {0.3, 0.9}}}
local sq233 = {sq3, {{1.1, -0.4, 0.2}, {0.3, 2.2, -0.5}, {0.1, 0.6, 1.4}}}
local tall42 = {{1.0, 0.3}, {0.5, -1.2}, {-0.7, 0.8}, {0.2, 1.5}}
local r4 = {0.7, -0.3, 1.1, 0.4}
local r42 = {{0.7, 0.1}, {-0.3, 0.9}, {1.1, -0.5}, {0.4, 0.2}}
local m3 = {{0.8, -0.2, 0.5}, {0.3, 1.1, -0.4}, {-0.6, 0.2, 0.9}}

local W22 = gd.tensor{{1, -2}, {0.5, 3}}
local W33 = gd.tensor{{1, -2, 0.3}, {0.5, 3, -1}, {2, 0.7, -0.4}}

local function mm(a, b) return gd.matmul(a, b) end
local function sym(b) return (b + b:transpose(-1, -2)) / 2 end

local function logabs(a)
  local _, l = gd.slogdet(a)
  return l
end

return {
  matmul = {
    { name = "2-D · 2-D", f = mm, inputs = { a23, b32 } },
    { name = "matrix · vector", f = mm, inputs = { a23, v3 } },
    { name = "vector · matrix", f = mm, inputs = { v3, b32 } },
    { name = "vector · vector", f = mm, inputs = { v3, w3 } },
    { name = "dot", f = function(a, b) return gd.dot(a, b) end, inputs = { v3, w3 } },
    { name = "method, weighted", f = function(a, b) return a:matmul(b) * W22 end, inputs = { a23, b32 } },
    { name = "transposed views", f = function(a, b) return mm(b.T, a.T) * W22 end, inputs = { a23, b32 } },
    { name = "batched", f = mm, inputs = { a223, b232 } },
    { name = "batch · matrix (broadcast)", f = function(a, b) return mm(a, b) * W22 end, inputs = { a223, b32 } },
    { name = "matrix · batch (broadcast)", f = mm, inputs = { a23, b232 } },
    { name = "batch dims broadcast both ways", f = mm,
      inputs = { {a223}, {b232, b232, b232} } },
    { name = "batch · vector", f = mm, inputs = { a223, v3 } },
    { name = "vector · batch", f = mm, inputs = { v3, b232 } },
    { name = "second order inside", f = function(a, b) return mm(mm(a, b), mm(a, b)) end,
      inputs = { a23, {{0.9, -0.5}, {1.3, 0.2}, {-0.4, 0.8}} } },
  },
  outer = {
    { f = function(a, b) return gd.outer(a, b) * gd.tensor{{1, 2}, {3, 4}, {5, 6}} end, inputs = { v3, {0.4, -1.1} } },
    { name = "flattened 2-D", f = function(a, b) return gd.outer(a, b) end, inputs = { {{0.5, 1.5}, {-0.3, 0.2}}, w3 } },
  },
  inv = {
    { f = function(a) return gd.inv(a) * W33 end, inputs = { sq3 } },
    { name = "batched", f = function(a) return gd.inv(a) * W22 end, inputs = { sq223 } },
    { name = "transposed view", f = function(a) return a.T:inv() * W33 end, inputs = { sq3 } },
  },
  solve = {
    { name = "b 1-D", f = function(a, b) return gd.solve(a, b) * gd.tensor(w3) end, inputs = { sq3, v3 } },
    { name = "b 2-D", f = function(a, b) return gd.solve(a, b) * gd.tensor{{1, 2}, {-1, 0.5}, {3, 1}} end, inputs = { sq3, b32 } },
    { name = "batched A, b 2-D broadcast", f = function(a, b) return gd.solve(a, b) * gd.tensor{{1, 2}, {-1, 0.5}, {3, 1}} end, inputs = { sq233, b32 } },
    { name = "batched A, b 1-D", f = function(a, b) return gd.solve(a, b) * gd.tensor(w3) end, inputs = { sq233, v3 } },
    { name = "batched A and b", f = function(a, b) return gd.solve(a, b) end, inputs = { sq233, b232 } },
  },
  det = {
    { f = function(a) return gd.det(a) end, inputs = { sq3 } },
    { name = "singular 2×2 (adjugate)", f = function(a) return gd.det(a) end, inputs = { {{1, 2}, {2, 4}} } },
    { name = "singular 3×3", f = function(a) return gd.det(a) end, inputs = { {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}} } },
    { name = "batch, one singular", f = function(a) return gd.det(a) * gd.tensor{1, -2} end,
      inputs = { {{{1, 2}, {2, 4}}, {{1.2, -0.7}, {0.3, 0.9}}} } },
    { name = "negative det", f = function(a) return a:det() end, inputs = { neg3 } },
    { name = "batched", f = function(a) return gd.det(a) * gd.tensor{1, -2} end, inputs = { sq223 } },
  },
  slogdet = {
    { f = logabs, inputs = { sq3 } },
    { name = "negative det", f = logabs, inputs = { neg3 } },
    { name = "batched", f = function(a) return logabs(a) * gd.tensor{1, -2} end, inputs = { sq223 } },
  },
  -- decompositions: functions invariant to the signs of eigen/singular vectors
  -- (squares of their entries, weighted), distinct eigen/singular values; eigh
  -- of B symmetrized inside f
  eigh = {
    { name = "eigenvalues", f = function(b) return (gd.eigh(sym(b))) * gd.tensor{1, 2, -1} end, inputs = { sq3 } },
    { name = "eigenvectors", f = function(b) local _, V = gd.eigh(sym(b)); return V ^ 2 * W33 end, inputs = { sq3 } },
    { name = "both, uᵀ A u", f = function(b)
        local w, V = gd.eigh(sym(b))
        local v1 = V:select(2, 1)
        return gd.dot(v1, gd.matmul(gd.tensor(W33), v1)) + w:sum() end, inputs = { sq3 } },
    { name = "batched", f = function(b)
        local w, V = gd.eigh(sym(b)); return (V ^ 2 * W22):sum() + (w * gd.tensor{1, 3}):sum() end, inputs = { sq223 } },
  },
  svd = {
    { name = "singular values, tall", f = function(a) local _, S = gd.svd(a); return S * gd.tensor{1, -3} end, inputs = { tall42 } },
    { name = "U, tall", f = function(a) local U = gd.svd(a); return U ^ 2 * gd.tensor(r42) end, inputs = { tall42 } },
    { name = "Vt, tall", f = function(a) local _, _, Vt = gd.svd(a); return Vt ^ 2 * W22 end, inputs = { tall42 } },
    { name = "all three, wide", f = function(a)
        local U, S, Vt = gd.svd(a)
        return (U ^ 2 * W22):sum() + (Vt ^ 2 * gd.tensor(a23)):sum() + (S * gd.tensor{2, -1}):sum() end, inputs = { a23 } },
    { name = "U·S·Vt, square", f = function(a) local U, S, Vt = gd.svd(a); return gd.matmul(U * S, Vt) * W33 end, inputs = { sq3 } },
    { name = "batched", f = function(a) local U, S = gd.svd(a); return (U ^ 2 * W22):sum() + S:sum() end, inputs = { a223 } },
  },
  qr = {
    { name = "Q, tall", f = function(a) return (gd.qr(a)) * gd.tensor(r42) end, inputs = { tall42 } },
    { name = "R, tall", f = function(a) local _, R = gd.qr(a); return R * W22 end, inputs = { tall42 } },
    { name = "Q and R, square", f = function(a) local Q, R = gd.qr(a); return (Q * W33):sum() + (R * W33.T):sum() end, inputs = { sq3 } },
    { name = "batched", f = function(a) local Q, R = gd.qr(a); return (Q * W22):sum() + (R ^ 2):sum() end, inputs = { sq223 } },
  },
  cholesky = {
    { name = "of M·Mᵀ + 3I", f = function(m) return gd.cholesky(m:matmul(m.T) + 3 * gd.eye(3)) end, inputs = { m3 } },
    { name = "weighted", f = function(m) return gd.cholesky(m:matmul(m.T) + 3 * gd.eye(3)) * W33 end, inputs = { m3 } },
    { name = "batched", f = function(m)
        return gd.cholesky(m:matmul(m:transpose(-1, -2)) + 2 * gd.eye(2)) * W22
      end, inputs = { sq223 } },
  },
  lstsq = {
    { name = "b 1-D", f = function(a, b) return gd.lstsq(a, b) * gd.tensor{1, -2} end, inputs = { tall42, r4 } },
    { name = "b 2-D", f = function(a, b) return gd.lstsq(a, b) * W22 end, inputs = { tall42, r42 } },
    { name = "square", f = function(a, b) return gd.lstsq(a, b) * gd.tensor(w3) end, inputs = { sq3, v3 } },
    { name = "underdetermined (least norm)", f = function(a, b) return gd.lstsq(a, b) * gd.tensor(w3) end,
      inputs = { a23, {0.4, -0.9} } },
  },
  pinv = {
    { name = "tall", f = function(a) return gd.pinv(a) * gd.tensor{{1, 2, -1, 0.5}, {3, -0.2, 0.7, 1}} end, inputs = { tall42 } },
    { name = "wide", f = function(a) return gd.pinv(a) * gd.tensor{{1, 2}, {-1, 0.5}, {3, 1}} end, inputs = { a23 } },
    { name = "square", f = function(a) return gd.pinv(a) * W33 end, inputs = { sq3 } },
    { name = "batched", f = function(a) return a:pinv() * gd.tensor{{1, 2}, {-1, 0.5}, {3, 1}} end, inputs = { a223 } },
  },
}
