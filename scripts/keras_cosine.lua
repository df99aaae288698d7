-- keras_cosine.lua: seed 000, problem 3(1).  y = −2 + 3cos t + cos 2t + 0.5cos 5t
-- + 0.2ε, t_i = πi/1000; Dense(1) on the features cos(kt), k = 1..5, with
-- Keras's defaults (SGD lr 0.01, mse), batch 1000, 1000 epochs.  The exam's
-- Keras gave 3.0008, 1.0067, 0.0019, −0.0038, 0.4971 and bias −2.0123.
gd.seed(43052)
local n = 1000
local t = gd.arange(n) * math.pi / n
local y = (-2 + 3 * gd.cos(t) + gd.cos(2 * t) + 0.5 * gd.cos(5 * t) + gd.randn(n) * 0.2):reshape(n, 1)
local cols = {}
for k = 1, 5 do cols[k] = gd.cos(k * t) end
local X = gd.stack(cols, 2)
local net = gd.nn.Sequential()
net:add(gd.nn.Dense(1))
net:compile{ loss = "mse", optimizer = "sgd" }
local hist = net:fit(X, y, { batch_size = 1000, epochs = 1000, verbose = 0 })
local W, b = net.weights[1], net.weights[2]
local est = { b[1], W:at(1, 1), W:at(2, 1), W:at(3, 1), W:at(4, 1), W:at(5, 1) }
local truth = { -2, 3, 1, 0, 0, 0.5 }
local ls = gd.lstsq(gd.cat({ gd.ones(n, 1), X }, 2), y)
print("seed 000 problem 3(1): Dense(1) on cos(kt) features, SGD, 1000 epochs")
print(string.format("%-6s %10s %12s %8s", "", "keras-fit", "least sq.", "truth"))
for i = 1, 6 do
  print(string.format("beta%-2d %10.5f %12.5f %8g", i - 1, est[i], ls:at(i, 1), truth[i]))
end
print(string.format("final loss %.6f", hist.loss[#hist.loss]))
local ok, err = pcall(function()
  gd.plot.scatter(t, y:reshape(n), { alpha = 0.2, title = "data" })
  gd.plot.plot(t, net:predict(X):reshape(n), { title = "fit" })
  gd.plot.title("seed 000, 3(1): Dense(1) on cos(kt) features")
  gd.plot.xlabel("t"); gd.plot.ylabel("y")
  gd.plot.show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end
return { est = est, truth = truth, lstsq = ls, loss = hist.loss }
