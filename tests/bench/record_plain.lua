-- record_plain: the op of record_cost.lua outside any tape.
local a, b = gd.tensor{1, 2}, gd.tensor{3, 4}
local N = 200000
local t0 = os.clock()
for _ = 1, N do local c = a + b end
print(("time %.9f"):format(os.clock() - t0))
