-- optim_step: one Adam step on a 1e7-element variable (opt:apply_gradients),
-- the state already allocated by a first step.
local n = 10000000
local w = gd.Variable(gd.linspace(-1, 1, n))
local g = gd.linspace(0.5, -0.5, n)
local opt = gd.optim.Adam { lr = 1e-3, eps = 1e-7 }
opt:apply_gradients { { g, w } }
for _ = 1, 5 do
  local t0 = os.clock()
  opt:apply_gradients { { g, w } }
  print(("time %.9f"):format(os.clock() - t0))
end
print(("value %.17g"):format(w:at(1)))
