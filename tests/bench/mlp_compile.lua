-- mlp_compile: an MLP 2-32-32-1 (tanh) trained with Adam(0.01) on 1000
-- points of y = sin(x1)·cos(x2), 2000 full-batch tape steps, through
-- gd.compile (one traced step, 1999 replays; the trace included).
gd.seed(3)
local x = gd.uniform(-2, 2, { 1000, 2 })
local y = (gd.sin(x:select(2, 1)) * gd.cos(x:select(2, 2))):reshape(1000, 1)
local loss
for _ = 1, 3 do
  gd.seed(4)
  local l1 = gd.nn.Dense(32, { activation = "tanh", input_dim = 2 })
  local l2 = gd.nn.Dense(32, { activation = "tanh", input_dim = 32 })
  local l3 = gd.nn.Dense(1, { input_dim = 32 })
  local vars = { l1.kernel, l1.bias, l2.kernel, l2.bias, l3.kernel, l3.bias }
  local opt = gd.optim.Adam{ lr = 0.01 }
  local step = gd.compile(function()
    local tape <close> = gd.GradientTape()
    local l = gd.losses.mse(y, l3(l2(l1(x))))
    opt:apply_gradients(tape:gradient(l, vars), vars)
    return l
  end)
  local t0 = os.clock()
  step()
  loss = step:run(1999)
  print(("time %.9f"):format(os.clock() - t0))
end
print(("info final mse %.6g (Glorot init from gdlua's generator: torch's differs, so no value line)"):format(loss:item()))
