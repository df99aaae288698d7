-- kernels_par: reductions over a dim and of all, the transposed exp, clip, and 1e7-element
-- sum / a + b / exp with a given thread count; the same data and timed
-- regions as kernels_par.py (torch or numpy).  Wall clock (lua-system's
-- monotime, a busted dependency), since threads add up in CPU time.  With
-- THREADS > 1, each timed batch is followed by one with 1 thread, printed as
-- a `base` line: the runner's speed-up column compares within one process.
-- The 1000×1000 cases warm up with 500 calls (kernels_par.py too): until the
-- collector's first cycles recycle them, a gdlua process's results land on
-- fresh pages, and a page fault costs ~12 µs on this VM.
-- usage: gdlua kernels_par.lua CASE THREADS
--   CASE: sum1 mean1 max1 expT max2 norm lse2 clip (1000×1000), sum add exp (1e7)
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
  max2 = function() return (x:max(2)) end,
  norm = function() return x:norm() end,
  lse2 = function() return x:logsumexp(2) end,
  clip = function() return gd.clip(x, -0.2, 0.2) end,
  sum = function() return x:sum() end,
  add = function() return x + y end,
  exp = function() return gd.exp(x) end,
}
local f = assert(ops[case], "unknown case " .. tostring(case))
local batch = big and 2 or 20        -- ops per timed repetition (the entry's `ops`)
local r
for _ = 1, big and 1 or 500 do r = f() end
-- seconds for one batch with n threads
local function timed(n)
  gd.set_num_threads(n)
  local t0 = sys.monotime()
  for _ = 1, batch do r = f() end
  return sys.monotime() - t0
end
for _ = 1, 7 do
  print(("time %.9f"):format(timed(threads)))
  if threads > 1 then print(("base %.9f"):format(timed(1))) end
end
print(("value %.17g"):format(r:sum():item()))
