-- plot_gif: an animated GIF of 5 optimizer paths x 50 frames on a 200x200
-- contour (path{animate = true}, fig:save("a.gif")), timed REPS times,
-- gnuplot's start included: CPU time of gdlua and gnuplot (proc_cpu.lua).
-- info: the file's size.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local cpu = dofile(here .. "proc_cpu.lua")
local REPS = 3
local plt = gd.plot
local f = function(v) return v[1] ^ 2 / 20 + v[2] ^ 2 end
local opts = { gd.optim.SGD(0.95), gd.optim.SGD { lr = 0.1, momentum = 0.9 }, gd.optim.Adagrad { lr = 0.9 },
               gd.optim.RMSprop { lr = 0.3 }, gd.optim.Adam { lr = 0.5 } }
local paths = {}
for i, o in ipairs(opts) do paths[i] = gd.optim.trace(f, gd.tensor { -7, 2 }, o, 49) end
local out = os.tmpname()
local bytes
for _ = 1, REPS do
  local t0 = cpu()
  local fig = plt.figure { size = { 640, 480 } }
  local ax = fig:subplot(1)
  ax:contour(f, { x = { -10, 10 }, y = { -10, 10 }, n = 200, levels = 20 })
  for i, p in ipairs(paths) do ax:path(p, { animate = true, title = "path " .. i }) end
  fig:save(out .. ".gif")
  plt.shutdown()
  print(("time %.9f"):format(cpu() - t0))
  local h = assert(io.open(out .. ".gif", "rb"))
  bytes = #h:read("a")
  h:close()
end
os.remove(out .. ".gif")
os.remove(out)
print(("info %.2f MB"):format(bytes / 2 ^ 20))
print(("value %d"):format(bytes > 1000 and 1 or 0))
