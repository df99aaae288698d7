-- nn_logistic: exam 3(2): 10,000 full-batch epochs of Dense(1, sigmoid) + BCE on 2000 points.
-- the labels come from a fixed low-discrepancy sequence, so both sides fit the same data
local n = 2000
local x = gd.linspace(-1, 1, n):reshape(n, 1)
local u = gd.arange(1, n + 1):reshape(n, 1) * 0.6180339887498949 % 1
local y = gd.sigmoid(-1 + 5 * x):gt(u)
for _ = 1, 3 do
  local net = gd.nn.Sequential{ gd.nn.Dense(1, { activation = "sigmoid", kernel_initializer = 0.5 }) }
  net:compile{ optimizer = gd.optim.SGD(0.01), loss = "binary_crossentropy" }
  local t0 = os.clock()
  net:fit(x, y, { epochs = 10000, batch_size = n, verbose = 0 })
  print(string.format("time %.6f", os.clock() - t0))
  print(string.format("value %.6f", net.weights[1]:item()))
end
