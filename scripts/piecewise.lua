-- piecewise.lua: seed 000, problem 4.  y = x + 0.3ε for x ≤ 0, 3.5x + 0.3ε
-- for x > 0 (N = 100 on [−1, 1]).  (1) Dense(1) by SGD(0.1), mse, full batch,
-- 1000 epochs (the exam: β0 = 0.607, β1 = 2.262, i.e. least squares);
-- (2) Dense(2) → relu → Dense(1): the layer-by-layer computation
-- u = l1(x), v = a1(u), yhat = l2(v) equals net(x); (3) the discussion.
gd.seed(43052)
local N = 100
local x = gd.linspace(-1, 1, N):reshape(N, 1)
local eps = gd.randn(N, 1) * 0.3
local y = gd.where(x:lt(0), x, 3.5 * x) + eps

gd.seed(43054)
local net1 = gd.nn.Sequential()
net1:add(gd.nn.Dense(1))
net1:compile{ optimizer = gd.optim.SGD(0.1), loss = "mse" }
local h1 = net1:fit(x, y, { batch_size = N, epochs = 1000, verbose = 0 })
local b1, b0 = net1.weights[1]:item(), net1.weights[2]:item()
local ls = gd.lstsq(gd.cat({ gd.ones(N, 1), x }, 2), y)

gd.seed(43056)
local net2 = gd.nn.Sequential()
net2:add(gd.nn.Dense(2))
net2:add(gd.nn.Activation("relu"))
net2:add(gd.nn.Dense(1))
net2:compile{ optimizer = gd.optim.SGD(0.1), loss = "mse" }
local h2 = net2:fit(x, y, { epochs = 1000, verbose = 0, batch_size = N })
local l1, a1, l2 = table.unpack(net2.layers)
local u = l1(x)
local v = a1(u)
local yhat = l2(v)
local diff = gd.abs(yhat - net2(x)):max():item()

print("seed 000 problem 4(1): Dense(1), SGD(0.1), 1000 epochs")
print(string.format("%-6s %10s %12s", "", "keras-fit", "least sq."))
print(string.format("%-6s %10.5f %12.5f", "beta0", b0, ls:at(1, 1)))
print(string.format("%-6s %10.5f %12.5f", "beta1", b1, ls:at(2, 1)))
print(string.format("4(2): Dense(2)-relu-Dense(1): loss %.5f (Dense(1): %.5f)", h2.loss[1000], h1.loss[1000]))
print(string.format("      u = l1(x); v = a1(u); yhat = l2(v): max |yhat - net(x)| = %g", diff))
local params1, params2 = net1:count_params(), net2:count_params()
local answers = {
  { "(gon-i) model (2) uses relu as its activation", true, "layer 2 is Activation(\"" .. a1.activation .. "\")" },
  { "(cheol-yong) model (1) has 2 parameters", params1 == 2, "count_params = " .. params1 },
  { "(agwi) model (2) is more complex than (1)", params2 > params1, params2 .. " > " .. params1 .. " parameters, and piecewise" },
  { "(jjak-gwi) model (1) risks overfitting", false, "a straight line underfits: loss " ..
      string.format("%.4f vs %.4f", h1.loss[1000], h2.loss[1000]) },
}
print("4(3):")
for _, a in ipairs(answers) do print(string.format("  %-48s %-5s  %s", a[1], tostring(a[2]), a[3])) end
pcall(function()
  gd.plot.scatter(x:reshape(N), y:reshape(N), { alpha = 0.5, title = "data" })
  gd.plot.plot(x:reshape(N), net1(x):reshape(N), { title = "Dense(1)" })
  gd.plot.plot(x:reshape(N), net2(x):reshape(N), { style = "--", title = "Dense(2)-relu-Dense(1)" })
  gd.plot.title("4(3): a line against a piecewise-linear fit")
  gd.plot.xlabel("x"); gd.plot.ylabel("y")
  gd.plot.show()
end)
return { b0 = b0, b1 = b1, ls0 = ls:at(1, 1), ls1 = ls:at(2, 1), loss1 = h1.loss[1000],
         loss2 = h2.loss[1000], diff = diff, answers = answers, params1 = params1, params2 = params2 }
