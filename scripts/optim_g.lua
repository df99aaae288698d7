-- optim_g.lua: seed 004 on g(x) = x₁⁴ + x₂⁴ + 5x₁³ − 40(x₁−1)² − 40(x₂−1)²,
-- which has several local minima: the five optimizers from the assignment's
-- start points with its learning rates and steps, each path drawn on the
-- contour beside the wireframe.  The global minimum is found on a grid for
-- comparison.  Momentum uses the lecture's v ← αv − ηg.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local paths = dofile(here .. "optim_paths.lua")
local function g(v)
  local a, b = v:select(1, 1), v:select(1, 2)
  return a ^ 4 + b ^ 4 + 5 * a ^ 3 - 40 * (a - 1) ^ 2 - 40 * (b - 1) ^ 2
end
-- the global minimum on a 0.01 grid over [-10, 10]², refined by Newton steps
local xs = gd.linspace(-10, 10, 2001)
local A, B = xs:reshape(-1, 1):expand(2001, 2001), xs:reshape(1, -1):expand(2001, 2001)
local G = A ^ 4 + B ^ 4 + 5 * A ^ 3 - 40 * (A - 1) ^ 2 - 40 * (B - 1) ^ 2
local _, k = G:reshape(-1):min(1)
k = k:item() - 1
local best = gd.tensor { xs[k // 2001 + 1], xs[k % 2001 + 1] }
for _ = 1, 20 do best = best - gd.solve(gd.hessian(g, best), gd.grad(g)(best)) end
local gmin = g(best):item()
print(string.format("seed 004: g, global minimum %.5f at (%.5f, %.5f)", gmin, best[1], best[2]))
local range = { -10, 10 }
local runs = {
  { "GD", function() return gd.optim.SGD(0.01) end, 20, { { 1, 1.2 }, { 5, -2.5 }, { 0.5, 3 } } },
  { "momentum", function() return gd.optim.SGD { lr = 0.0011, momentum = 0.9 } end, 20,
    { { 1.1, 1.2 }, { 4.8, -2.8 }, { 0.3, 3 } } },
  { "AdaGrad", function() return gd.optim.Adagrad { lr = 0.8, eps = 0 } end, 20, { { 0.5, 2 }, { 0, -7.5 } } },
  { "RMSprop", function() return gd.optim.RMSprop { lr = 0.9, rho = 0.9, eps = 0 } end, 10,
    { { 0.1, 2.3 }, { 5, -5 } } },
  { "Adam", function() return gd.optim.Adam { lr = 0.9, beta1 = 0.9, beta2 = 0.9 } end, nil,
    { { 0, -5, 10 }, { 5.1, -2.3, 20 }, { 7.5, 2.5, 30 } } },
}
local res = { min = { x = best, value = gmin } }
local first, names = {}, {}   -- each optimizer's first path, for the GIF
for _, r in ipairs(runs) do
  res[r[1]] = {}
  names[#names + 1] = r[1]
  for _, x0 in ipairs(r[4]) do
    local steps = r[3] or x0[3]
    local path, values = paths.run(g, r[1], { x0[1], x0[2] }, r[2](), steps, range, best)
    first[r[1]] = first[r[1]] or { path = path }
    table.insert(res[r[1]], values[#values])
  end
end
paths.animate(g, first, names, range, "g: each optimizer's first start, step by step", best)
return res
