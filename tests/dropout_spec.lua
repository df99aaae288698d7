-- dropout_spec.lua: gd.nn.Dropout: inverted dropout, active in fit only.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

-- A net Dropout(rate) → recorder → Dense(1): the recorder keeps what Dropout
-- gave in fit (run eagerly: a compiled fit runs the recorder's Lua once, at its trace).
local function recording_net(rate, seen)
  local net = gd.nn.Sequential{ gd.nn.Dropout(rate), function(h) seen[#seen + 1] = h:detach():copy(); return h end,
                                gd.nn.Dense(1, { input_dim = 5 }) }
  net:compile{ optimizer = gd.optim.SGD(0.01), loss = "mse", run_eagerly = true }
  return net
end

describe("gd.nn.Dropout", function()
  it("in fit keeps each input with probability 1 − rate, scaled by 1/(1 − rate): the mean is unchanged", function()
    gd.seed(3)
    local rate, rows, cols = 0.3, 2000, 5
    local seen = {}
    local net = recording_net(rate, seen)
    local x = gd.ones(rows, cols)
    net:fit(x, gd.zeros(rows, 1), { epochs = 1, batch_size = rows, verbose = 0 })
    local h = seen[#seen]
    local m = rows * cols
    -- every value is 0 or 1/(1 − rate)
    local scale = 1 / (1 - rate)
    local kept = h:gt(0)
    close(gd.where(kept, h, scale), gd.full({ rows, cols }, scale), 1e-15)
    -- mean of a 0 / scale variable: 1, variance rate/(1 − rate); within 4 standard errors
    local se = math.sqrt(rate / (1 - rate) / m)
    local mean = h:mean():item()
    assert.is_true(math.abs(mean - 1) < 4 * se, ("mean %g, se %g"):format(mean, se))
    local zeros = 1 - kept:mean():item()
    local se0 = math.sqrt(rate * (1 - rate) / m)
    assert.is_true(math.abs(zeros - rate) < 4 * se0, ("dropped %g"):format(zeros))
  end)

  it("draws a new mask each batch and nothing outside fit: predict, evaluate, net(x) are deterministic", function()
    gd.seed(4)
    local seen = {}
    local net = recording_net(0.5, seen)
    local x = gd.randn(64, 5)
    local y = gd.randn(64, 1)
    net:fit(x, y, { epochs = 2, batch_size = 64, verbose = 0, validation_data = { x, y } })
    -- seen: the build call (1 row), then per epoch the training batch and the validation pass
    assert.equal(5, #seen)
    assert.is_true((seen[2] - seen[4]):abs():max():item() > 0)      -- two epochs, two masks
    close(seen[3], x, 0)                                             -- validation sees x itself
    close(seen[5], x, 0)
    local dense = net.layers[3]
    local direct = x:matmul(dense.kernel) + dense.bias
    close(net:predict(x), direct, 1e-14)
    close(net:predict(x), net:predict(x), 0)
    close(net(x), direct, 1e-14)
    close(net:evaluate(x, y), ((direct - y) ^ 2):mean(), 1e-12)
    close(net.history.val_loss[2], ((direct - y) ^ 2):mean(), 1e-12)
    -- and the Dropout layer alone is the identity outside fit
    close(gd.nn.Dropout(0.9)(x), x, 0)
  end)

  it("rate 0 is the identity in fit", function()
    local seen = {}
    local net = recording_net(0, seen)
    local x = gd.randn(10, 5)
    net:fit(x, gd.zeros(10, 1), { epochs = 1, batch_size = 10, verbose = 0, shuffle = false })
    close(seen[#seen], x, 0)
  end)

  it("trains through the tape: zeroed inputs get no gradient", function()
    gd.seed(9)
    local net = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2 }), gd.nn.Dropout(0.5), gd.nn.Dense(1) }
    net:compile{ optimizer = "adam", loss = "mse" }
    local x = gd.randn(50, 2)
    local y = x:sum(2, true)
    local h = net:fit(x, y, { epochs = 200, batch_size = 50, verbose = 0 })
    assert.is_true(h.loss[200] < h.loss[1])
    local lines = net:summary(false)
    assert.truthy(lines:find("dropout", 1, true) and lines:find("(Dropout)", 1, true) and lines:find("(nil, 3)", 1, true))
  end)

  it("rate must be in [0, 1) and options are checked", function()
    errors(function() gd.nn.Dropout(1) end, "gd.nn.Dropout", "rate must be in [0, 1), got 1")
    errors(function() gd.nn.Dropout(-0.1) end, "gd.nn.Dropout", "rate")
    errors(function() gd.nn.Dropout("a") end, "gd.nn.Dropout", "rate: number expected")
    errors(function() gd.nn.Dropout(0.5, { seed = 1 }) end, "gd.nn.Dropout", "unknown option 'seed'")
  end)
end)
