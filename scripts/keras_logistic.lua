-- keras_logistic.lua: seed 000, problem 3(2).  y_i ~ Ber(sigmoid(−1 + 5x_i)),
-- x = linspace(−1, 1, 2000); Dense(1, sigmoid) with binary cross-entropy,
-- SGD defaults, full batch, 10000 epochs.  The exam's Keras stopped at
-- w0 = −0.908, w1 = 4.233 (not yet converged); the truth is −1, 5.
gd.seed(43052)
local n = 2000
local x = gd.linspace(-1, 1, n)
local y = gd.binomial(1, gd.sigmoid(-1 + 5 * x))
x, y = x:reshape(n, 1), y:reshape(n, 1)
local net = gd.nn.Sequential()
net:add(gd.nn.Dense(1, { activation = "sigmoid" }))
net:compile{ optimizer = "sgd", loss = gd.losses.binary_crossentropy }
local hist = net:fit(x, y, { epochs = 10000, batch_size = 2000, verbose = 0 })
local w1, w0 = net.weights[1]:item(), net.weights[2]:item()
print("seed 000 problem 3(2): logistic regression with Dense(1, sigmoid), 10000 epochs")
print(string.format("%-4s %10s %8s", "", "estimate", "truth"))
print(string.format("%-4s %10.5f %8g", "w0", w0, -1))
print(string.format("%-4s %10.5f %8g", "w1", w1, 5))
print(string.format("final loss %.6f", hist.loss[#hist.loss]))
local ok, err = pcall(function()
  gd.plot.scatter(gd.arange(n), y:reshape(n), { alpha = 0.05, title = "y" })
  gd.plot.plot(gd.arange(n), net(x):reshape(n), { style = "--", title = "net(x)" })
  gd.plot.title("seed 000, 3(2): logistic regression, Dense(1, sigmoid)")
  gd.plot.xlabel("row"); gd.plot.ylabel("y and P(y = 1)")
  gd.plot.show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end
return { w0 = w0, w1 = w1, loss = hist.loss }
