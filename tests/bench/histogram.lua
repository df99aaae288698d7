-- histogram: gd.histogram of 1e7 doubles, 10 bins over (min, max), the same
-- numbers as histogram.py (i·φ mod 1 squared); checksum Σ k·counts[k].
local N, REPS = 10000000, 5
local x = ((gd.arange(N) * 0.6180339887498949) % 1) ^ 2
local c = gd.histogram(x)
for _ = 1, REPS do
  local t0 = os.clock()
  c = gd.histogram(x)
  print(("time %.9f"):format(os.clock() - t0))
end
print(("value %.17g"):format((c * gd.arange(1, 11)):sum():item()))
