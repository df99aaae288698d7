-- small_add: a + b on n-element tensors, 1e6 times; with "long", 1e7 times
-- with 10,000 tensors of 1-100 elements alive (a long-running process).
-- Usage: gdlua small_add.lua N [long]
local n = math.tointeger(tonumber(arg[1]))
assert(n, "usage: small_add.lua N [long]")
local long = arg[2] == "long"
local N = long and 10000000 or 1000000
local keep = {}
if long then for i = 1, 10000 do keep[i] = gd.rand(1 + i % 100) end end
local a, b = gd.arange(n) / n, gd.ones(n)
for _ = 1, 10000 do local c = a + b end
local c
local t0 = os.clock()
for _ = 1, N do c = a + b end
print(("time %.9f"):format(os.clock() - t0))
print(("value %.17g"):format(c:sum():item()))
