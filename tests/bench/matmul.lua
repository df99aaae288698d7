-- matmul: 1024×1024 @ 1024×1024 (dgemm), timed REPS times after a warm-up.
local n, REPS = 1024, 5
local a = gd.linspace(-1, 1, n * n):reshape(n, n)
local b = gd.linspace(2, -2, n * n):reshape(n, n)
local c = gd.matmul(a, b)
for _ = 1, REPS do
  local t0 = os.clock()
  c = gd.matmul(a, b)
  print(("time %.9f"):format(os.clock() - t0))
end
local v = c:sum()
print(("value %.17g"):format(type(v) == "number" and v or v:item()))
