-- sample_weight_spec.lua: fit{sample_weight, class_weight} with Keras's
-- sum_over_batch_size reduction: loss = Σ_i w_i·l_i / N (N the batch size,
-- not Σw), l_i the sample's loss (mse: the mean over its outputs).
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

local x = gd.tensor{ { 1 }, { 2 }, { -1 }, { 0.5 }, { 3 } }
local y = gd.tensor{ { 1 }, { 0 }, { 2 }, { -1 }, { 1 } }
local sw = { 2, 0, 1, 1, 0.5 }

-- Dense(1) with kernel k and bias b, SGD(lr), loss.
local function linear(k, b, lr, loss)
  local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 1, kernel_initializer = k, bias_initializer = b }) }
  net:compile{ optimizer = gd.optim.SGD(lr), loss = loss or "mse" }
  return net
end

describe("fit sample_weight and class_weight", function()
  it("the weighted mse and its SGD step equal a hand computation (divided by the batch size)", function()
    local k, b, lr = 0.5, 0.25, 0.1
    local net = linear(k, b, lr)
    local h = net:fit(x, y, { epochs = 1, batch_size = 5, shuffle = false, verbose = 0, sample_weight = sw })
    local L, gk, gb = 0, 0, 0
    for i = 1, 5 do
      local xi, yi = x[i][1], y[i][1]
      local r = k * xi + b - yi
      L = L + sw[i] * r * r
      gk = gk + sw[i] * 2 * r * xi / 5
      gb = gb + sw[i] * 2 * r / 5
    end
    close(h.loss[1], L / 5, 1e-14)
    close(net.weights[1], { { k - lr * gk } }, 1e-14)
    close(net.weights[2], { b - lr * gb }, 1e-14)
  end)

  it("mini-batches: the epoch loss is the batch-size-weighted mean of the weighted batch losses", function()
    local net = linear(0.5, 0.25, 1e-300)      -- a negligible step: every batch sees the initial weights
    local h = net:fit(x, y, { epochs = 1, batch_size = 2, shuffle = false, verbose = 0, sample_weight = gd.tensor(sw) })
    local l = {}
    for i = 1, 5 do l[i] = (0.5 * x[i][1] + 0.25 - y[i][1]) ^ 2 end
    local b1 = (sw[1] * l[1] + sw[2] * l[2]) / 2
    local b2 = (sw[3] * l[3] + sw[4] * l[4]) / 2
    local b3 = sw[5] * l[5] / 1
    close(h.loss[1], (2 * b1 + 2 * b2 + 1 * b3) / 5, 1e-14)
  end)

  it("class_weight weighs each row by its class: the weighted binary cross-entropy by hand", function()
    local xb = gd.tensor{ { 1 }, { -2 }, { 0.5 }, { 3 } }
    local yb = gd.tensor{ { 1 }, { 0 }, { 0 }, { 1 } }
    local cw = { [0] = 1, [1] = 3 }
    local net = linear(0.5, -0.25, 1e-300, "binary_crossentropy")
    net.layers[1]:build(1)
    local h = net:fit(xb, yb, { epochs = 1, batch_size = 4, verbose = 0, class_weight = cw })
    local L = 0
    for i = 1, 4 do
      local p = 1 / (1 + math.exp(-(0.5 * xb[i][1] - 0.25)))
      local t = yb[i][1]
      L = L + cw[t] * -(t * math.log(p) + (1 - t) * math.log(1 - p))
    end
    -- a linear output read as probabilities: p = z (clipped), so compare with z itself
    local Lz = 0
    for i = 1, 4 do
      local z = math.min(math.max(0.5 * xb[i][1] - 0.25, 1e-7), 1 - 1e-7)
      local t = yb[i][1]
      Lz = Lz + cw[t] * -(t * math.log(z) + (1 - t) * math.log(1 - z))
    end
    close(h.loss[1], Lz / 4, 1e-12)
    -- with a sigmoid output the same rows give L / 4
    local sig = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 1, activation = "sigmoid", kernel_initializer = 0.5, bias_initializer = -0.25 }) }
    sig:compile{ optimizer = gd.optim.SGD(1e-300), loss = "binary_crossentropy" }
    close(sig:fit(xb, yb, { epochs = 1, batch_size = 4, verbose = 0, class_weight = cw }).loss[1], L / 4, 1e-12)
    -- class_weight equals the sample weights it implies, and both multiply
    local a = linear(0.5, -0.25, 0.1, "mse")
    local c = linear(0.5, -0.25, 0.1, "mse")
    a:fit(xb, yb, { epochs = 3, batch_size = 4, verbose = 0, class_weight = cw })
    c:fit(xb, yb, { epochs = 3, batch_size = 4, verbose = 0, sample_weight = { 3, 1, 1, 3 } })
    close(a.weights[1], c.weights[1], 1e-15)
    local d = linear(0.5, -0.25, 1e-300, "mse")
    local hd = d:fit(xb, yb, { epochs = 1, batch_size = 4, verbose = 0, class_weight = cw, sample_weight = { 1, 2, 0, 1 } })
    local Ld = 0
    for i, wi in ipairs({ 3 * 1, 1 * 2, 0, 3 * 1 }) do Ld = Ld + wi * (0.5 * xb[i][1] - 0.25 - yb[i][1]) ^ 2 end
    close(hd.loss[1], Ld / 4, 1e-14)
  end)

  it("class_weight of one-hot targets uses the row's (1-based) class; classes not listed weigh 1", function()
    local xc = gd.tensor{ { 1, 0 }, { 0, 1 }, { 1, 1 } }
    local yc = gd.tensor{ { 1, 0, 0 }, { 0, 0, 1 }, { 0, 1, 0 } }
    local net = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2, activation = "softmax", kernel_initializer = 0.1, bias_initializer = 0 }) }
    net:compile{ optimizer = gd.optim.SGD(1e-300), loss = "categorical_crossentropy" }
    net.layers[1].kernel:assign(gd.tensor{ { 1, 0, -1 }, { 0.5, 2, 0 } })
    local p = net:predict(xc)
    local h = net:fit(xc, yc, { epochs = 1, batch_size = 3, verbose = 0, class_weight = { [3] = 4 } })
    local L = -(math.log(p:at(1, 1)) * 1 + math.log(p:at(2, 3)) * 4 + math.log(p:at(3, 2)) * 1) / 3
    close(h.loss[1], L, 1e-12)
  end)

  it("validation_split takes the last rows (unweighted) and the first rows' weights train", function()
    local net = linear(0.5, 0.25, 1e-300)
    local h = net:fit(x, y, { epochs = 1, batch_size = 5, verbose = 0, sample_weight = sw, validation_split = 0.4 })
    local l = {}
    for i = 1, 5 do l[i] = (0.5 * x[i][1] + 0.25 - y[i][1]) ^ 2 end
    close(h.loss[1], (sw[1] * l[1] + sw[2] * l[2] + sw[3] * l[3]) / 3, 1e-14)
    close(h.val_loss[1], (l[4] + l[5]) / 2, 1e-14)
  end)

  it("arguments are checked", function()
    local net = linear(0.5, 0.25, 0.1)
    errors(function() net:fit(x, y, { verbose = 0, sample_weight = { 1, 2 } }) end, "sample_weight has 2 values, y has 5 rows")
    errors(function() net:fit(x, y, { verbose = 0, sample_weight = { 1, 2, 3, 4, -1 } }) end, "sample_weight must be >= 0")
    errors(function() net:fit(x, y, { verbose = 0, class_weight = 2 }) end, "class_weight: a table")
    errors(function() net:fit(x, y, { verbose = 0, class_weight = { a = 1 } }) end, "class_weight: class \"a\"")
    errors(function() net:fit(x, y, { verbose = 0, sample_weights = sw }) end, "unknown option 'sample_weights'")
    local f = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 1 }) }
    f:compile{ optimizer = "sgd", loss = function(a, b) return ((a - b) ^ 2):mean() end }
    errors(function() f:fit(x, y, { verbose = 0, sample_weight = sw }) end, "need a built-in loss")
  end)
end)
