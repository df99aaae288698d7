-- record_cost: a + b on a watched 2-element tensor, recorded on a tape
-- (1000 tapes of 200 ops each); record_plain.lua times the op outside a tape.
local a, b = gd.tensor{1, 2}, gd.tensor{3, 4}
local t0 = os.clock()
for _ = 1, 1000 do
  local tape <close> = gd.GradientTape()
  tape:watch(a)
  for _ = 1, 200 do local c = a + b end
end
print(("time %.9f"):format(os.clock() - t0))
