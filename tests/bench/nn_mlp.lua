-- nn_mlp: one epoch of a 784-128-10 MLP (relu, softmax + categorical CE), batch 128, 60,000 synthetic rows.
gd.seed(1)
local n = 60000
local x = gd.randn(n, 784)
local cls = gd.randint(1, 10, n)
local y = gd.zeros(n, 10)
for i = 1, n do y:set(1, i, cls[i]) end
local last
for _ = 1, 3 do
  gd.seed(2)
  local net = gd.nn.Sequential{ gd.nn.Dense(128, { activation = "relu", input_dim = 784 }),
                                gd.nn.Dense(10, { activation = "softmax", input_dim = 128 }) }
  net:compile{ optimizer = gd.optim.SGD(0.01), loss = "categorical_crossentropy" }
  local t0 = os.clock()
  local h = net:fit(x, y, { epochs = 1, batch_size = 128, verbose = 0, shuffle = false })
  print(string.format("time %.6f", os.clock() - t0))
  last = h.loss[1]
end
-- the two sides draw their own data and weights, so their losses are not compared
print(string.format("info epoch loss %.3f (gdlua's data and init; torch's differ)", last))
