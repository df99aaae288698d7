-- chain: a 1e7-element elementwise chain and reduction, timed REPS times
-- after one untimed warm-up (set-up of x excluded).
local N, REPS, w = 10000000, 5, 0.7
local x = gd.linspace(-3, 3, N)
local function chain() return gd.exp(-0.5 * (x * w) ^ 2):sum() end
local function num(v) return type(v) == "number" and v or v:item() end
local s = num(chain())
for _ = 1, REPS do
  local t0 = os.clock()
  s = chain()
  print(("time %.9f"):format(os.clock() - t0))
end
print(("value %.17g"):format(num(s)))
