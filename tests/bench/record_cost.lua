-- record_cost: an op on a watched 2-element tensor inside a tape, per op;
-- record_cost_plain.lua times the same op outside any tape.
local a, b = gd.tensor{1, 2}, gd.tensor{3, 4}
local N = 200000
local tape <close> = gd.GradientTape()
local t0 = os.clock()
for _ = 1, N do
  local t <close> = gd.GradientTape()
  t:watch(a)
  local c = a + b
end
local taped = os.clock() - t0
t0 = os.clock()
for _ = 1, N do
  local t <close> = gd.GradientTape()
  t:watch(a)
end
print(("time %.9f"):format(taped - (os.clock() - t0)))
