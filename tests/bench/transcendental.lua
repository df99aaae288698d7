-- transcendental: ns/elem of one elementwise function on 1e6 contiguous doubles.
-- usage: gdlua tests/bench/transcendental.lua NAME   (NAME as in transcendental.py)
-- The inputs are the same numbers as the .py side's: lo + (hi − lo)·frac(i·φ).
local name = assert(arg[1], "usage: transcendental.lua NAME")
local N, REPS = 1000000, 30
local ranges = {
  exp = { -10, 10 }, log = { 0.01, 10 }, expm1 = { -2, 2 }, log1p = { -0.9, 10 },
  tanh = { -5, 5 }, sigmoid = { -10, 10 }, softplus = { -10, 10 }, sin = { -10, 10 },
  cos = { -10, 10 }, tan = { -10, 10 }, sqrt = { 0, 100 }, erf = { -4, 4 },
  ["pow2.5"] = { 0.01, 10 }, pow3 = { -10, 10 },
}
local fns = {
  ["pow2.5"] = function(x) return x ^ 2.5 end,
  pow3 = function(x) return x ^ 3 end,
}
local r = assert(ranges[name], "unknown function " .. name)
local f = fns[name] or gd[name]
local x = r[1] + (r[2] - r[1]) * ((gd.arange(N) * 0.6180339887498949) % 1)
local y = f(x)
for _ = 1, REPS do
  local t0 = os.clock()
  y = f(x)
  print(("time %.9f"):format(os.clock() - t0))
end
print(("value %.17g"):format(y:sum():item()))
