-- nn_spec.lua: gd.nn layers and Sequential with Keras semantics.
local u = require "tests.helpers.util"
local close = u.close
local errors = u.errors
local SGD = function(lr) return gd.optim.SGD(lr) end

describe("gd.nn.Dense", function()
  it("computes act(x W + b) as by hand", function()
    local d = gd.nn.Dense(2, { activation = "relu", input_dim = 3 })
    d.kernel:assign(gd.tensor{ { 1, -1 }, { 2, 0.5 }, { -3, 1 } })
    d.bias:assign(gd.tensor{ 0.5, -4 })
    local x = gd.tensor{ { 1, 2, 3 }, { -1, 0, 1 } }
    -- row 1: 1+4-9+0.5 = -3.5 → 0; -1+1+3-4 = -1 → 0; row 2: -1-3+0.5 = -3.5 → 0; 1+1-4 = -2 → 0
    close(d(x), { { 0, 0 }, { 0, 0 } }, 0)
    local lin = gd.nn.Dense(2, { input_dim = 3 })
    lin.kernel:assign(gd.tensor{ { 1, -1 }, { 2, 0.5 }, { -3, 1 } })
    lin.bias:assign(gd.tensor{ 0.5, -4 })
    close(lin(x), { { -3.5, -1 }, { -3.5, -2 } }, 1e-15)
    local s = gd.nn.Dense(1, { activation = "sigmoid", use_bias = false, kernel_initializer = "ones" })
    close(s(gd.tensor{ { 1, 2 } }), { { 1 / (1 + math.exp(-3)) } }, 1e-15)
    assert.is_nil(s.bias)
    assert.equal(1, #s.weights)
  end)
  it("is built on first call, or from input_dim", function()
    local d = gd.nn.Dense(4)
    assert.is_false(d.built)
    assert.is_nil(d.kernel)
    d(gd.zeros(2, 7))
    assert.same({ 7, 4 }, d.kernel.shape)
    assert.same({ 4 }, d.bias.shape)
    u.errors(function() d(gd.zeros(2, 3)) end, "3 features", "expects 7")
    assert.same({ 5, 4 }, gd.nn.Dense(4, { input_dim = 5 }).kernel.shape)
  end)
  it("glorot_uniform stays within sqrt(6/(in+out)); zeros bias", function()
    gd.seed(3)
    local d = gd.nn.Dense(30, { input_dim = 50 })
    local lim = math.sqrt(6 / 80)
    assert.is_true(d.kernel:abs():max():item() <= lim)
    assert.is_true(d.kernel:abs():max():item() > 0.9 * lim)
    close(d.bias, gd.zeros(30), 0)
    close(d.kernel:var():item(), lim * lim / 3, 0.1 * lim * lim / 3)
  end)
  it("has the other initializers", function()
    gd.seed(4)
    local h = gd.nn.Dense(100, { input_dim = 200, kernel_initializer = "he_normal" })
    close(h.kernel:std():item(), math.sqrt(2 / 200), 0.1 * math.sqrt(2 / 200))
    assert.is_true(h.kernel:abs():max():item() <= 2 * math.sqrt(2 / 200) / 0.8796256610342398 + 1e-12)
    local c = gd.nn.Dense(2, { input_dim = 2, kernel_initializer = 0.25, bias_initializer = "ones" })
    close(c.kernel, gd.full({ 2, 2 }, 0.25), 0)
    close(c.bias, gd.ones(2), 0)
    assert.is_true(gd.nn.Dense(3, { input_dim = 3, kernel_initializer = "uniform" }).kernel:abs():max():item() <= 0.05)
    u.errors(function() gd.nn.Dense(1, { kernel_initializer = "nope" }) end, "nope")
    u.errors(function() gd.nn.Dense(1, { activation = "nope" }) end, "unknown activation")
  end)
  it("weights are Variables a tape differentiates", function()
    local d = gd.nn.Dense(1, { input_dim = 2 })
    local x = gd.tensor{ { 1, 2 }, { 3, 4 } }
    local tape <close> = gd.GradientTape()
    local loss = d(x):sum()
    local gk, gb = tape:gradient(loss, d.kernel, d.bias)
    close(gk, { { 4 }, { 6 } }, 1e-15)
    close(gb, { 2 }, 1e-15)
  end)
end)

describe("gd.nn.Activation", function()
  it("applies each activation", function()
    local x = gd.tensor{ { -1, 0, 2 } }
    close(gd.nn.Activation("relu")(x), { { 0, 0, 2 } }, 0)
    close(gd.nn.Activation("linear")(x), x, 0)
    close(gd.nn.Activation("tanh")(x), gd.tanh(x), 0)
    close(gd.nn.Activation("softplus")(x), gd.softplus(x), 0)
    local s = gd.nn.Activation("softmax")(x)
    close(s, gd.exp(x) / gd.exp(x):sum(), 1e-15)
  end)
end)

describe("gd.nn.Sequential", function()
  it("net.layers and net.weights are the same objects each time", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(2, { input_dim = 1 }), gd.nn.Activation("relu") }
    net:add(gd.nn.Dense(1))
    net(gd.zeros(1, 1))
    assert.equal(net.layers, net.layers)
    assert.equal(net.layers[1], net.layers[1])
    assert.equal(4, #net.weights)
    assert.equal(net.weights[1], net.weights[1])
    assert.equal(net.weights[1], net.layers[1].kernel)
    local l1, a1, l2 = table.unpack(net.layers)
    local x = gd.randn(5, 1)
    close(l2(a1(l1(x))), net(x), 0)
  end)
  it("summary lists layers, output shapes and parameter counts", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(128, { input_dim = 784, activation = "relu" }), gd.nn.Dense(10) }
    net(gd.zeros(1, 784))
    local text, c = net:summary(false)
    assert.equal(784 * 128 + 128 + 128 * 10 + 10, c.total)
    assert.truthy(text:find("100480", 1, true))
    assert.truthy(text:find("1290", 1, true))
    assert.truthy(text:find("(nil, 10)", 1, true))
    assert.equal(101770, net:count_params())
  end)
  it("fit on noiseless linear data recovers the weights", function()
    gd.seed(11)
    local x = gd.randn(200, 3)
    local y = x:matmul(gd.tensor{ { 1 }, { -2 }, { 0.5 } }) + 0.7
    local net = gd.nn.Sequential{ gd.nn.Dense(1) }
    net:compile{ optimizer = SGD(0.1), loss = "mse" }
    local h = net:fit(x, y, { epochs = 300, batch_size = 32, verbose = 0 })
    assert.equal(300, #h.loss)
    close(net.weights[1], { { 1 }, { -2 }, { 0.5 } }, 1e-6)
    close(net.weights[2], { 0.7 }, 1e-6)
    close(net:evaluate(x, y), 0, 1e-12)
  end)
  it("an epoch's loss is the batch-size-weighted mean (3 batches, one short)", function()
    gd.seed(2)
    local x, y = gd.randn(10, 2), gd.randn(10, 1)
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2 }) }
    local W, b = net.weights[1]:copy(), net.weights[2]:copy()
    local lr = 0.1
    net:compile{ optimizer = SGD(lr), loss = "mse" }
    local h = net:fit(x, y, { epochs = 1, batch_size = 4, shuffle = false, verbose = 0 })
    local total = 0
    for lo = 1, 10, 4 do
      local n = math.min(4, 11 - lo)
      local xb, yb = x:narrow(1, lo, n), y:narrow(1, lo, n)
      local r = xb:matmul(W) + b - yb
      total = total + n * (r ^ 2):mean():item()
      W = W - lr * (2 / n) * xb.T:matmul(r)
      b = b - lr * (2 / n) * r:sum(1)
    end
    close(h.loss[1], total / 10, 1e-12)
    close(net.weights[1], W, 1e-12)
  end)
  it("the fused training step (hand-written backward) matches the tape's", function()
    -- a loss given as a function takes the tape path; a built-in loss name the fused one
    local cases = {
      { { "relu", 5 }, { "softmax", 3 }, loss = "categorical_crossentropy", onehot = true },
      { { "tanh", 4 }, { "sigmoid", 1 }, loss = "binary_crossentropy" },
      { { "softplus", 4 }, { "linear", 2 }, loss = "mse" },
      { { "linear", 3 }, { "act", "softmax" }, loss = "categorical_crossentropy", onehot = true },
      { { "sigmoid", 3 }, { "linear", 2 }, { "act", "relu" }, loss = "mse" },
    }
    for ci, c in ipairs(cases) do
      local function build()
        gd.seed(40 + ci)
        local layers, fin = {}, 3
        for _, l in ipairs(c) do
          if l[1] == "act" then
            layers[#layers + 1] = gd.nn.Activation(l[2])
          else
            layers[#layers + 1] = gd.nn.Dense(l[2], { activation = l[1], input_dim = fin,
                                                      bias_initializer = "normal" })
            fin = l[2]
          end
        end
        return gd.nn.Sequential(layers)
      end
      gd.seed(90 + ci)
      local x = gd.randn(12, 3)
      local width = (c[#c][1] == "act") and c[#c - 1][2] or c[#c][2]
      local y = gd.uniform(0.05, 0.95, { 12, width })
      if c.onehot then y = y / y:sum(2):reshape(12, 1) end   -- rows of probabilities
      local fused, taped = build(), build()
      fused:compile{ optimizer = SGD(0.3), loss = c.loss }
      taped:compile{ optimizer = SGD(0.3), loss = function(t, p) return gd.losses[c.loss](t, p) end }
      local hf = fused:fit(x, y, { epochs = 3, batch_size = 5, shuffle = false, verbose = 0 })
      local ht = taped:fit(x, y, { epochs = 3, batch_size = 5, shuffle = false, verbose = 0 })
      close(hf.loss, ht.loss, 1e-12)
      for i, w in ipairs(fused.weights) do close(w, taped.weights[i], 1e-12) end
    end
  end)
  it("strided x and y (views) train as their copies; closed weights are an error", function()
    gd.seed(12)
    local X, Y = gd.randn(20, 4), gd.randn(20, 2)
    local x, y = X:narrow(2, 2, 2), Y:narrow(2, 1, 1)     -- not contiguous
    local function run(xx, yy)
      gd.seed(5)
      local net = gd.nn.Sequential{ gd.nn.Activation("tanh"), gd.nn.Dense(1, { input_dim = 2 }) }
      net:compile{ optimizer = SGD(0.1), loss = "mse" }
      local h = net:fit(xx, yy, { epochs = 3, batch_size = 20, verbose = 0 })
      return h.loss, net:evaluate(xx, yy), net
    end
    local l1, e1 = run(x, y)
    local l2, e2, net = run(x:copy(), y:copy())
    close(l1, l2, 0)
    close(e1, e2, 0)
    do local k <close> = net.layers[2].kernel end
    errors(function() net:fit(x, y, { verbose = 0 }) end, "kernel is closed")
    errors(function() net:evaluate(x, y) end, "kernel is closed")
  end)
  it("sigmoid + binary cross-entropy trains from the logits, as Keras's fit", function()
    -- a saturated output (p = 1 − 1e-16 for a 0 label): the clipped loss has no gradient there,
    -- the logits form has σ(z) − y; one SGD step of lr 1 moves w by −x·(σ(z) − y)/n
    local x, y = gd.tensor{ { 40 } }, gd.tensor{ { 0 } }
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { activation = "sigmoid", input_dim = 1,
                                                   kernel_initializer = "ones" }) }
    net:compile{ optimizer = SGD(1), loss = "binary_crossentropy" }
    local h = net:fit(x, y, { epochs = 1, batch_size = 1, verbose = 0 })
    close(h.loss[1], 40 + math.log(1 + math.exp(-40)), 1e-12)    -- softplus(40), unclipped
    local s = 1 / (1 + math.exp(-40))
    close(net.weights[1], { { 1 - 40 * s } }, 1e-12)
    close(net.weights[2], { -s }, 1e-12)
  end)
  it("shuffling is reproducible under gd.seed", function()
    local function run()
      gd.seed(7)
      local x, y = gd.randn(50, 2), gd.randn(50, 1)
      local net = gd.nn.Sequential{ gd.nn.Dense(3, { activation = "tanh" }), gd.nn.Dense(1) }
      net:compile{ optimizer = SGD(0.05), loss = "mse" }
      return net:fit(x, y, { epochs = 5, batch_size = 8, verbose = 0 }).loss, net.weights[1]:copy()
    end
    local l1, w1 = run()
    local l2, w2 = run()
    close(l1, l2, 0)
    close(w1, w2, 0)
  end)
  it("validation_split and validation_data give val_loss; metrics are recorded", function()
    gd.seed(8)
    local x = gd.randn(100, 2)
    local y = gd.sigmoid(x:matmul(gd.tensor{ { 3 }, { -2 } })):gt(0.5)
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { activation = "sigmoid" }) }
    net:compile{ optimizer = "adam", loss = "binary_crossentropy", metrics = { "accuracy" } }
    local h = net:fit(x, y, { epochs = 3, batch_size = 16, verbose = 0, validation_split = 0.2 })
    assert.equal(3, #h.val_loss)
    assert.equal(3, #h.accuracy)
    assert.equal(3, #h.val_accuracy)
    local vx, vy = x:narrow(1, 81, 20), y:narrow(1, 81, 20)
    close(h.val_loss[3], gd.losses.binary_crossentropy(vy, net:predict(vx)):item(), 1e-12)
    local h2 = net:fit(x, y, { epochs = 2, verbose = 0, validation_data = { vx, vy } })
    assert.equal(2, #h2.val_loss)
  end)
  it("fits exam 3(1) within 0.05 of the truth", function()
    gd.seed(43052)
    local n = 1000
    local t = gd.arange(n) * math.pi / n
    local y = (-2 + 3 * gd.cos(t) + gd.cos(2 * t) + 0.5 * gd.cos(5 * t) + gd.randn(n) * 0.2):reshape(n, 1)
    local cols = {}
    for k = 1, 5 do cols[k] = gd.cos(k * t) end
    local net = gd.nn.Sequential{ gd.nn.Dense(1) }
    net:compile{ loss = "mse", optimizer = "sgd" }
    net:fit(gd.stack(cols, 2), y, { batch_size = 1000, epochs = 1000, verbose = 0 })
    close(net.weights[1], { { 3 }, { 1 }, { 0 }, { 0 }, { 0.5 } }, 0.05)
    close(net.weights[2], { -2 }, 0.05)
  end)
  it("accepts a loss function and a softmax classifier trains", function()
    gd.seed(9)
    local x = gd.randn(60, 2)
    local cls = x:select(2, 1):gt(0)
    local y = gd.stack({ cls, 1 - cls }, 2)
    local net = gd.nn.Sequential{ gd.nn.Dense(2, { activation = "softmax" }) }
    net:compile{ optimizer = SGD(0.5), loss = gd.losses.categorical_crossentropy, metrics = { "accuracy" } }
    local h = net:fit(x, y, { epochs = 50, batch_size = 60, verbose = 0 })
    assert.is_true(h.loss[50] < h.loss[1])
    assert.is_true(h.accuracy[50] > 0.9)
  end)
  it("save_weights / load_weights round-trip; bad files change nothing", function()
    gd.seed(10)
    local mk = function() return gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2 }), gd.nn.Dense(1, { input_dim = 3 }) } end
    local a, b = mk(), mk()
    local p = os.tmpname()
    assert.is_true(a:save_weights(p))
    b:load_weights(p)
    for i = 1, 4 do close(b.weights[i], a.weights[i], 0) end
    local f = io.open(p, "rb"); local bytes = f:read("a"); f:close()
    local c = mk()
    local before = c.weights[4]:copy()
    f = io.open(p, "wb"); f:write(bytes:sub(1, #bytes - 5)); f:close()
    u.errors(function() c:load_weights(p) end, "truncated")
    close(c.weights[4], before, 0)
    f = io.open(p, "wb"); f:write("PK\3\4" .. bytes:sub(5)); f:close()
    u.errors(function() c:load_weights(p) end, "not a gdlua weights file")
    f = io.open(p, "wb"); f:write(bytes .. "x"); f:close()
    u.errors(function() c:load_weights(p) end, "trailing")
    local other = gd.nn.Sequential{ gd.nn.Dense(4, { input_dim = 2 }), gd.nn.Dense(1, { input_dim = 4 }) }
    assert.is_true(a:save_weights(p))
    u.errors(function() other:load_weights(p) end, "shape")
    close(c.weights[4], before, 0)
    os.remove(p)
  end)
end)
