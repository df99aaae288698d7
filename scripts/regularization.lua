-- regularization.lua: seed 003 (PRML 3.1.4), regularized least squares.
--
-- E(w) = ½ Σₙ (tₙ − wᵀφ(xₙ))² + (λ/q) Σⱼ |wⱼ|^q   (the bias w₀ is not penalized)
--   q = 2, ridge / weight decay: w = (λI′ + ΦᵀΦ)⁻¹Φᵀt (I′ = I without the bias);
--        gradient descent on E decays the weights: w ← w − η(∇E_D + λI′w);
--   q = 1, the lasso: no closed form; proximal gradient descent (ISTA) with
--        soft thresholding, w ← S_ηλ(w − η∇E_D); a large λ drives weights to
--        exactly 0 (a sparse model).
-- Figure 3.3: the contours Σ|wⱼ|^q = 1 for q = 0.5, 1, 2, 4; figure 3.4: a
-- two-weight problem, where the lasso's constrained optimum sits on an axis.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local M, s, N, noise = 9, 0.1, 15, 0.3
local design = dofile(here .. "gaussian_basis.lua")(gd.linspace(0, 1, M), s)
gd.seed(314)
local x = gd.uniform(0, 1, N)
local t = (gd.sin(2 * math.pi * x) + noise * gd.randn(N)):reshape(N, 1)
local P = design(x)
local xt = gd.uniform(0, 1, 1000)
local tt = (gd.sin(2 * math.pi * xt) + noise * gd.randn(1000)):reshape(1000, 1)
local Pt = design(xt)
local Ip = gd.eye(M + 1)
Ip[{ 1, 1 }] = 0                                   -- the bias is not penalized

local function rms(Pm, w, tm) return math.sqrt(((Pm:matmul(w) - tm) ^ 2):mean():item()) end
local function ridge(lam) return gd.solve(P.T:matmul(P) + lam * Ip, P.T:matmul(t)) end

print(string.format("seed 003 (PRML 3.1.4): N = %d points of sin 2πx + N(0, %.1f²), a bias and %d Gaussian bases (s = %.1f)", N, noise, M, s))
print(string.format("%8s %12s %11s %11s", "ln λ", "|w| (no w0)", "train RMS", "test RMS"))
local table_rows = {}
for _, lnl in ipairs{ -math.huge, -20, -15, -10, -5, -2, 0, 2 } do
  local lam = math.exp(lnl)
  local w = ridge(lam)
  local wn = w:narrow(1, 2, M):norm():item()
  local row = { lnl = lnl, norm = wn, train = rms(P, w, t), test = rms(Pt, w, tt) }
  table_rows[#table_rows + 1] = row
  print(string.format("%8s %12.4g %11.5f %11.5f", lnl == -math.huge and "-inf" or string.format("%d", lnl),
    wn, row.train, row.test))
end

-- ridge at ln λ = −5: the tape's gradient of E vanishes there, and weight decay gets there
local lam = math.exp(-5)
local w_ridge = ridge(lam)
local function E(w)
  local r = t - P:matmul(w)
  return 0.5 * (r ^ 2):sum() + lam / 2 * (w:narrow(1, 2, M) ^ 2):sum()
end
local g_ridge = gd.grad(E)(w_ridge)
local ev = gd.eigh(P.T:matmul(P) + lam * Ip)
local eta = 1 / ev[M + 1]
-- The loops below run through gd.compile (each step traced once, replayed
-- in C: the eager loop's numbers, bit for bit); the tests that stop them
-- read the step's result outside it.
local w = gd.Variable(gd.zeros(M + 1, 1))
local decay = gd.compile(function()          -- weight decay: w ← w − η(Φᵀ(Φw − t) + λI′w)
  w:assign(w - eta * (P.T:matmul(P:matmul(w) - t) + lam * Ip:matmul(w)))
  return (w - w_ridge):abs():max()
end)
local steps = 0
repeat steps = steps + 1 until decay():item() < 1e-9 or steps >= 2000000
print(string.format("ridge, ln λ = −5: |∇E| at the closed form = %.1e; weight decay (η = 1/λ_max) reaches it to 1e-9 in %d steps"
  .. " (the Hessian's condition number is %.3g)", g_ridge:abs():max():item(), steps, ev[M + 1] / ev[1]))

-- the lasso by ISTA along a path of λ: how many weights are exactly 0
local L = gd.eigh(P.T:matmul(P))[M + 1]
local bias = gd.arange(1, M + 2):reshape(M + 1, 1):eq(1)   -- the bias is not shrunk
local function lasso(lamq, w0)
  local wl = gd.Variable(w0 and w0:detach() or gd.zeros(M + 1, 1))
  local step = 1 / L
  local ista = gd.compile(function()
    local z = wl - step * P.T:matmul(P:matmul(wl) - t)
    local thr = step * lamq
    local shrunk = gd.where(bias, z, gd.sign(z) * gd.maximum(gd.abs(z) - thr, 0))
    local delta = (shrunk - wl):abs():max()
    wl:assign(shrunk)
    return delta
  end)
  for _ = 1, 200000 do
    if ista():item() < 1e-12 then break end
  end
  return wl
end
print(string.format("%8s %10s %11s %11s   the lasso (ISTA)", "λ", "nonzero", "train RMS", "test RMS"))
local path, prev = {}, nil
for _, lq in ipairs{ 0.001, 0.01, 0.03, 0.1, 0.3, 1, 3 } do
  local wl = lasso(lq, prev)
  prev = wl
  local nz = 0
  for j = 2, M + 1 do if wl:at(j, 1) ~= 0 then nz = nz + 1 end end
  path[#path + 1] = { lam = lq, w = wl:totable(), nonzero = nz, train = rms(P, wl, t), test = rms(Pt, wl, tt) }
  print(string.format("%8g %7d/%d %11.5f %11.5f", lq, nz, M, path[#path].train, path[#path].test))
end

-- figure 3.4's setting: two weights, t ≈ w₁φ₁ + w₂φ₂; the ridge and lasso optima at equal penalty strength
gd.seed(9)
local A = gd.randn(40, 2) * gd.tensor{ 1, 0.3 } + gd.randn(40, 1) * 0.5
local b = A:matmul(gd.tensor{ { 1.5 }, { 0.6 } }) + 0.2 * gd.randn(40, 1)
local w_ls = gd.solve(A.T:matmul(A), A.T:matmul(b))
local lam2 = 12
local w_r2 = gd.solve(A.T:matmul(A) + lam2 * gd.eye(2), A.T:matmul(b))
local w_l2 = gd.Variable(gd.zeros(2, 1))
local L2 = gd.eigh(A.T:matmul(A))[2]
gd.compile(function()
  local z = w_l2 - (1 / L2) * A.T:matmul(A:matmul(w_l2) - b)
  w_l2:assign(gd.sign(z) * gd.maximum(gd.abs(z) - lam2 / L2, 0))
end):run(100000)
print(string.format("two weights: least squares (%.4f, %.4f); ridge, λ = %g: (%.4f, %.4f); lasso, λ = %g: (%.4f, %.4f)",
  w_ls:at(1, 1), w_ls:at(2, 1), lam2, w_r2:at(1, 1), w_r2:at(2, 1), lam2, w_l2:at(1, 1), w_l2:at(2, 1)))

local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { layout = { 1, 2 }, size = { 1200, 600 }, title = "seed 003: figures 3.3 and 3.4" }
  local ax = fig:subplot(1)
  local th = gd.linspace(0, 2 * math.pi, 721)
  for _, q in ipairs{ 0.5, 1, 2, 4 } do           -- |w1|^q + |w2|^q = 1
    local c, sn = gd.cos(th), gd.sin(th)
    local r = (gd.abs(c) ^ q + gd.abs(sn) ^ q) ^ (-1 / q)
    ax:plot(r * c, r * sn, "-", { title = "q = " .. q })
  end
  ax:title("|w1|^q + |w2|^q = 1"):xlabel("w1"):ylabel("w2")
  local ax2 = fig:subplot(2)
  local emin = ((A:matmul(w_ls) - b) ^ 2):sum():item()
  local levels = {}
  for k = 1, 8 do levels[k] = emin + (k * 0.35) ^ 2 * 40 end   -- ellipses around the least-squares point
  ax2:contour(function(u, v)
    local w2 = gd.tensor{ { u }, { v } }
    return ((A:matmul(w2) - b) ^ 2):sum():item()
  end, { x = { -1.6, 2.6 }, y = { -1.6, 2.6 }, n = 80, levels = levels })
  local r2 = w_r2:norm():item()
  ax2:plot(r2 * gd.cos(th), r2 * gd.sin(th), "-", { color = "blue", title = "q = 2 through the ridge optimum" })
  local l1 = w_l2:abs():sum():item()
  ax2:plot({ l1, 0, -l1, 0, l1 }, { 0, l1, 0, -l1, 0 }, "-", { color = "red", title = "q = 1 through the lasso optimum" })
  ax2:plot({ w_ls:at(1, 1) }, { w_ls:at(2, 1) }, "o", { color = "black", title = "least squares" })
  ax2:plot({ w_r2:at(1, 1) }, { w_r2:at(2, 1) }, "o", { color = "blue" })
  ax2:plot({ w_l2:at(1, 1) }, { w_l2:at(2, 1) }, "o", { color = "red" })
  ax2:title("error contours and the constraint regions"):xlabel("w1"):ylabel("w2")
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return { rows = table_rows, w_ridge = w_ridge:totable(), g_ridge = g_ridge:abs():max():item(),
         decay = w:totable(), steps = steps, path = path, P = P, t = t, lam = lam,
         A = A, b = b, w_ls = w_ls:totable(), w_r2 = w_r2:totable(), w_l2 = w_l2:totable(), lam2 = lam2 }
