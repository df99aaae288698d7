-- linalg: one LAPACK-backed function on an n×n matrix, the same matrix as linalg.py.
-- Usage: gdlua linalg.lua OP N, OP one of solve inv cholesky eigh svd.
-- Prints one `time` line per call (REPS calls after a warm-up; env LINALG_REPS
-- overrides REPS) and a checksum.
local op, n = arg[1], math.tointeger(tonumber(arg[2]))
assert(op and n, "usage: linalg.lua solve|inv|cholesky|eigh|svd N")
local REPS = tonumber(os.getenv("LINALG_REPS") or "") or (n <= 100 and 200 or 10)

-- a_ij = ((31 i + 17 j) mod 101) / 101 - 1/2 (0-based i, j): no RNG to share
local rows = {}
for i = 0, n - 1 do
  local r = {}
  for j = 0, n - 1 do r[j + 1] = ((31 * i + 17 * j) % 101) / 101 - 0.5 end
  rows[i + 1] = r
end
local a = gd.tensor(rows)
local eye = gd.eye(n)
local A, b, f, value
if op == "solve" then
  A, b = a + n * eye, gd.arange(n) / n
  f = function() return gd.solve(A, b) end
  value = function(x) return x:sum():item() end
elseif op == "inv" then
  A = a + n * eye
  f = function() return gd.inv(A) end
  value = function(x) return x:sum():item() end
elseif op == "cholesky" then
  A = a:matmul(a.T) / n + eye
  f = function() return gd.cholesky(A) end
  value = function(L) return L:sum():item() end
elseif op == "eigh" then
  A = a + a.T
  f = function() return gd.eigh(A) end
  value = function(w) return w[n] end
elseif op == "svd" then
  A = a
  f = function() return gd.svd(A) end
  value = function(_, S) return S[1] end
else
  error("linalg.lua: unknown op " .. tostring(op))
end

-- warm-up: until 16 MiB of results have gone through the pool, so the timed
-- calls reuse memory as a long-running program does (dead results wait for
-- the collector; fresh pages cost a fault each, ~10 µs on this VM)
local r1, r2
for _ = 1, math.max(10, (16 << 20) // (8 * n * n)) do r1, r2 = f() end
for _ = 1, REPS do
  local t0 = os.clock()
  r1, r2 = f()
  print(("time %.9f"):format(os.clock() - t0))
end
print(("value %.17g"):format(value(r1, r2)))
