-- small_add: a + b on n-element tensors, in 10 blocks of 1e5 ops; with
-- "long", 10 blocks of 1e6 ops (1e7) with 10,000 tensors of 1-100 elements
-- alive, as in a long-running process.  Each `time` line is one block's time
-- scaled to 1e6 ops, so short and long runs share a unit (the runner's
-- median is over blocks).  Each block is followed by one of a + b at 16
-- elements in the same process, printed as a `base` line (the runner's C
-- column: on a loaded machine, separate processes can differ by 2×), and
-- the info line gives the median ratio to it and, for the long run, the
-- first and last block.
-- Usage: gdlua small_add.lua N [long]
local n = math.tointeger(tonumber(arg[1]))
assert(n, "usage: small_add.lua N [long]")
local long = arg[2] == "long"
local BLOCK, BLOCKS = long and 1000000 or 100000, 10
local keep = {}
if long then for i = 1, 10000 do keep[i] = gd.rand(1 + i % 100) end end
local a, b = gd.arange(n) / n, gd.ones(n)
local a16, b16 = gd.arange(16) / 16, gd.ones(16)

-- seconds per 1e6 ops of x + y, over one block
local function block(x, y)
  local c
  local t0 = os.clock()
  for _ = 1, BLOCK do c = x + y end
  return (os.clock() - t0) * (1000000 / BLOCK), c
end

block(a, b)
local ratios, first, last, c = {}, nil, nil, nil
for k = 1, BLOCKS do
  local t
  t, c = block(a, b)
  local t16 = block(a16, b16)
  print(("time %.9f"):format(t))
  print(("base %.9f"):format(t16))
  ratios[k] = t / t16
  first, last = first or t, t
end
table.sort(ratios)
local info = ("%d elements: %.2f× the 16-element cost in this process (median of %d blocks)")
  :format(n, (ratios[BLOCKS // 2] + ratios[BLOCKS // 2 + 1]) / 2, BLOCKS)
if long then info = info .. ("; first block %.3f µs/op, last %.3f"):format(first, last) end
print("info " .. info)
print(("value %.17g"):format(c:sum():item()))
