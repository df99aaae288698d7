-- sort: gd.sort of 1e6 doubles, a scrambled sequence (i·φ mod 1, the same
-- numbers in sort.py); the checksum is the middle sorted value.
local N, REPS = 1000000, 5
local x = (gd.arange(N) * 0.6180339887498949) % 1 * 2 - 1
local s = gd.sort(x)
for _ = 1, REPS do
  local t0 = os.clock()
  s = gd.sort(x)
  print(("time %.9f"):format(os.clock() - t0))
end
print(("value %.17g"):format(s[N // 2 + 1]))
