-- optim_f.lua: seed 004 on f(x) = x₁²/20 + x₂² (minimum 0 at (0, 0)):
-- GD, momentum, AdaGrad, RMSprop and Adam from (−7, 2) with the assignment's
-- learning rates and steps; each path drawn on the contour beside the
-- wireframe.  Momentum uses the lecture's v ← αv − ηg (the assignment's code
-- adds v with the wrong sign and ascends).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local paths = dofile(here .. "optim_paths.lua")
local function f(x) return x[1] ^ 2 / 20 + x[2] ^ 2 end
local f_t = function(v) return v:select(1, 1) ^ 2 / 20 + v:select(1, 2) ^ 2 end
local range = { -10, 10 }
local x0 = { -7, 2 }
print("seed 004: f(x) = x1^2/20 + x2^2, minimum 0 at (0, 0)")
local res = {}
local runs = {
  { "GD", gd.optim.SGD(0.95), 20 },
  { "momentum", gd.optim.SGD { lr = 0.1, momentum = 0.9 }, 20 },
  { "AdaGrad", gd.optim.Adagrad { lr = 0.9, eps = 0 }, 20 },
  { "RMSprop", gd.optim.RMSprop { lr = 0.9, rho = 0.9, eps = 0 }, 10 },
  { "Adam", gd.optim.Adam { lr = 0.9, beta1 = 0.9, beta2 = 0.9 }, 10 },
}
for _, r in ipairs(runs) do
  local path, values = paths.run(f_t, r[1], x0, r[2], r[3], range, { 0, 0 })
  res[r[1]] = { path = path, value = values[#values] }
end
paths.animate(f_t, res, { "GD", "momentum", "AdaGrad", "RMSprop", "Adam" }, range,
  "f(x) = x1^2/20 + x2^2 from (-7, 2), step by step", { 0, 0 })
assert(f({ 0, 0 }) == 0)
return res
