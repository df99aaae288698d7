-- kernels_par: reductions over dim 1, the transposed exp, and 1e7-element
-- sum / a + b / exp with a given thread count; the same data and timed
-- regions as kernels_par.py (torch or numpy).  Wall clock (lua-system's
-- monotime, a busted dependency), since threads add up in CPU time.
-- usage: gdlua kernels_par.lua CASE THREADS    CASE: sum1 mean1 max1 expT sum add exp
local sys = require "system"
local case, threads = arg[1], math.tointeger(tonumber(arg[2] or "1"))
gd.set_num_threads(threads)
local phi, psi = 0.6180339887498949, 0.7548776662466927
local big = case == "sum" or case == "add" or case == "exp"
local n = big and 10000000 or 1000000
local x = (gd.arange(n) * phi) % 1 - 0.5
local y = (gd.arange(n) * psi) % 1
if not big then x = x:reshape(1000, 1000) end
local ops = {
  sum1 = function() return x:sum(1) end,
  mean1 = function() return x:mean(1) end,
  max1 = function() return (x:max(1)) end,
  expT = function() return gd.exp(x.T) end,
  sum = function() return x:sum() end,
  add = function() return x + y end,
  exp = function() return gd.exp(x) end,
}
local f = assert(ops[case], "unknown case " .. tostring(case))
local batch = big and 2 or 20        -- ops per timed repetition (the entry's `ops`)
local r = f()
for _ = 1, 7 do
  local t0 = sys.monotime()
  for _ = 1, batch do r = f() end
  print(("time %.9f"):format(sys.monotime() - t0))
end
print(("value %.17g"):format(r:sum():item()))
