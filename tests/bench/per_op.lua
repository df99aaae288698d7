-- per_op: the interpreter's per-operation overhead, a + b on 2-element tensors.
local N = 1000000
local a, b = gd.tensor{1, 2}, gd.tensor{3, 4}
local t0 = os.clock()
for _ = 1, N do local c = a + b end
print(("time %.9f"):format(os.clock() - t0))
