-- lbfgs: L-BFGS (history 10, strong Wolfe) on the separable Rosenbrock
-- function in 10,000 dimensions, f(x) = Σᵢ 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)²,
-- from (−1.2, 1, −1.2, 1, ...) to gtol 1e-6 (‖∇f‖∞), by gd.optim.minimize.
-- The same problem as lbfgs.py (torch.optim.LBFGS, line_search_fn = "strong_wolfe").
local n = 10000
local function f(x)
  local p = x:reshape(n // 2, 2)
  local a, b = p:select(2, 1), p:select(2, 2)
  return (100 * (b - a * a) ^ 2 + (1 - a) ^ 2):sum()
end
local x0 = gd.tensor { -1.2, 1 }:reshape(1, 2):expand(n // 2, 2):reshape(n)
-- one untimed run first, on both sides: the first run of a process pays for
-- first-touch page faults of its working set (tens of ms on this VM)
local r = gd.optim.minimize(f, x0, { method = "lbfgs", history = 10, tol = 1e-6 })
for _ = 1, 3 do
  local t0 = os.clock()
  r = gd.optim.minimize(f, x0, { method = "lbfgs", history = 10, tol = 1e-6 })
  print(("time %.9f"):format(os.clock() - t0))
end
assert(r.success, r.message)
print(("info %d iterations, %d evaluations, f = %.3g"):format(r.nit, r.nfev, r.fun))
print(("value %.17g"):format((r.x - 1):abs():max():item() < 1e-4 and 1 or 0))
