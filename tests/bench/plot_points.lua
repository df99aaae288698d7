-- plot_points: 1e6 points (plot(x, y, ".")) rendered by gnuplot into a
-- 640×480 PNG, timed REPS times, gnuplot's start included.  The time is
-- CPU time of gdlua plus its reaped children (gnuplot), from
-- /proc/self/stat: os.clock alone would miss most of the work, which
-- gnuplot does.
local N, REPS = 1000000, 3
local plt = gd.plot
gd.seed(1)
local x, y = gd.randn(N), gd.randn(N)
local out = os.tmpname()

local tck = 100
do
  local p = io.popen("getconf CLK_TCK 2>/dev/null")
  if p then tck = tonumber(p:read("l") or "") or 100; p:close() end
end

-- utime + stime + cutime + cstime, in seconds
local function cpu()
  local f = assert(io.open("/proc/self/stat"))
  local s = f:read("a")
  f:close()
  local fields = {}
  for w in s:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = w end
  -- after "pid (comm) ": state is field 1, utime..cstime are 12..15
  return (fields[12] + fields[13] + fields[14] + fields[15]) / tck
end

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
