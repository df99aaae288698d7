-- plot_points: 1e6 points (plot(x, y, ".")) rendered by gnuplot into a
-- 640×480 PNG, timed REPS times, gnuplot's start included.  The time is
-- CPU time of gdlua plus its reaped children (gnuplot): proc_cpu.lua.
local N, REPS = 1000000, 3
local plt = gd.plot
gd.seed(1)
local x, y = gd.randn(N), gd.randn(N)
local out = os.tmpname()

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local cpu = dofile(here .. "proc_cpu.lua")

local bytes
for _ = 1, REPS do
  local t0 = cpu()
  local fig = plt.figure()
  fig:subplot(1):plot(x, y, ".")
  fig:save(out .. ".png")
  plt.shutdown()               -- reaped, so its CPU time shows in cutime
  print(("time %.9f"):format(cpu() - t0))
  local f = assert(io.open(out .. ".png", "rb"))
  bytes = #f:read("a")
  f:close()
end
os.remove(out .. ".png")
os.remove(out)
print(("value %d"):format(bytes > 1000 and 1 or 0))
