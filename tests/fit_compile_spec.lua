-- fit_compile_spec.lua: net:fit trains through gd.compile.  A compiled fit
-- gives bit for bit what the same fit gives run eagerly (run_eagerly = true,
-- every batch's Lua run again), for C layers, function layers, Dropout's
-- draws, custom losses, regularizers, sample weights and metrics; it traces
-- once per batch shape and keeps the step across fits; what it cannot
-- capture runs eagerly with the same numbers.
local u = require "tests.helpers.util"
local close = u.close

-- Every entry of two histories equal, bit for bit.
local function same_history(a, b)
  local keys = {}
  for k in pairs(a) do keys[#keys + 1] = k end
  for k in pairs(b) do assert.is_not_nil(a[k], "history key " .. k .. " only run eagerly") end
  assert.is_true(#keys > 0)
  for _, k in ipairs(keys) do
    assert.is_not_nil(b[k], "history key " .. k .. " only compiled")
    assert.are.equal(#a[k], #b[k])
    for e = 1, #a[k] do assert.are.equal(b[k][e], a[k][e], ("%s[%d]"):format(k, e)) end
  end
end

-- make() a net, compile it with copts (copts.optimizer: a function making
-- the optimizer) and fit it on (x, y) with fopts twice from the same seed:
-- compiled, then eagerly.  Asserts equal histories and weights; returns both nets.
local function twin(make, copts, x, y, fopts)
  local nets, hs = {}, {}
  for k, eager in ipairs { false, true } do
    gd.seed(11)
    local net = make()
    local o = { run_eagerly = eager }
    for key, v in pairs(copts) do o[key] = v end
    o.optimizer = copts.optimizer()
    net:compile(o)
    hs[k] = net:fit(x, y, fopts)
    nets[k] = net
  end
  same_history(hs[1], hs[2])
  assert.are.equal(#nets[1].weights, #nets[2].weights)
  for i, w in ipairs(nets[1].weights) do close(w, nets[2].weights[i], 0) end
  return nets[1], nets[2], hs[1]
end

describe("fit through gd.compile", function()
  gd.seed(5)
  local x = gd.randn(50, 2)
  local yr = gd.sin(x:sum(2, true))
  local yb = x:sum(2, true):gt(0)
  local cls = gd.argmax(x, 2)
  local yc = gd.zeros(50, 2)
  for i = 1, 50 do yc:set(1, i, cls[i]) end

  it("an MLP with Adam on shuffled mini-batches (a last partial batch) equals the eager fit", function()
    local net, _, h = twin(function()
      return gd.nn.Sequential{ gd.nn.Dense(8, { activation = "tanh", input_dim = 2 }),
                               gd.nn.Dense(8, { activation = "tanh" }), gd.nn.Dense(1) }
    end, { optimizer = function() return gd.optim.Adam(0.01) end, loss = "mse", metrics = { "mae" } },
      x, yr, { epochs = 6, batch_size = 16, verbose = 0 })
    assert.is_true(h.loss[6] < h.loss[1])
    local info = rawget(net, "_step").step:info()
    assert.are.equal(2, info.traces)                 -- batches of 16 and the last one of 2
    assert.is_nil(info.programs[1].eager)
  end)

  it("Dropout draws the same stream compiled as eagerly", function()
    local net = twin(function()
      return gd.nn.Sequential{ gd.nn.Dense(6, { activation = "relu", input_dim = 2 }), gd.nn.Dropout(0.4),
                               gd.nn.Dense(1) }
    end, { optimizer = function() return gd.optim.SGD(0.05) end, loss = "mse" },
      x, yr, { epochs = 4, batch_size = 25, verbose = 0 })
    assert.is_nil(rawget(net, "_step").step:info().programs[1].eager)
  end)

  it("a function layer, a custom loss and a kernel regularizer equal the eager fit", function()
    twin(function()
      return gd.nn.Sequential{ gd.nn.Dense(4, { input_dim = 2, kernel_regularizer = gd.nn.regularizers.l2(0.01) }),
                               function(h) return gd.tanh(h) * 0.5 end, gd.nn.Dense(1) }
    end, { optimizer = function() return gd.optim.RMSprop(0.01) end,
           loss = function(y, p) return ((y - p):abs() ^ 1.5):mean() end },
      x, yr, { epochs = 5, batch_size = 10, verbose = 0 })
  end)

  it("sample weights with a sigmoid output and binary cross-entropy equal the eager fit", function()
    local w = gd.linspace(0.5, 2, 50)
    twin(function() return gd.nn.Sequential{ gd.nn.Dense(1, { activation = "sigmoid", input_dim = 2 }) } end,
      { optimizer = function() return gd.optim.SGD(0.5) end, loss = "binary_crossentropy", metrics = { "accuracy" } },
      x, yb, { epochs = 5, batch_size = 20, verbose = 0, sample_weight = w })
  end)

  it("softmax with categorical cross-entropy and validation data equal the eager fit", function()
    local _, _, h = twin(function()
      return gd.nn.Sequential{ gd.nn.Dense(5, { activation = "relu", input_dim = 2 }),
                               gd.nn.Dense(2, { activation = "softmax" }) }
    end, { optimizer = function() return gd.optim.Adam(0.02) end, loss = "categorical_crossentropy",
           metrics = { "accuracy" } },
      x, yc, { epochs = 5, batch_size = 50, verbose = 0, validation_data = { x, yc } })
    assert.is_not_nil(h.val_accuracy)
  end)

  it("keeps its step across fits while the model is unchanged, and makes a new one after compile", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2 }) }
    net:compile{ optimizer = gd.optim.SGD(0.1), loss = "mse" }
    net:fit(x, yr, { epochs = 1, batch_size = 50, verbose = 0 })
    local step = rawget(net, "_step").step
    for _ = 1, 3 do net:fit(x, yr, { epochs = 1, batch_size = 50, verbose = 0 }) end
    assert.are.equal(step, rawget(net, "_step").step)
    assert.are.equal(1, step:info().traced)
    net:compile{ optimizer = gd.optim.SGD(0.1), loss = "mse" }
    net:fit(x, yr, { epochs = 1, batch_size = 50, verbose = 0 })
    assert.are_not.equal(step, rawget(net, "_step").step)
  end)

  it("a function layer's Lua runs while tracing only, every batch with run_eagerly", function()
    local calls = 0
    local function counting(h)
      calls = calls + 1
      return h
    end
    for _, eager in ipairs { false, true } do
      calls = 0
      local net = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2 }), counting, gd.nn.Dense(1) }
      net:compile{ optimizer = gd.optim.SGD(0.1), loss = "mse", run_eagerly = eager }
      net:fit(x, yr, { epochs = 3, batch_size = 25, verbose = 0 })
      assert.are.equal(eager and 7 or 2, calls)     -- fit's build call, then 3 epochs of 2 batches or one trace
    end
  end)

  it("a loss that reads a value into Lua runs eagerly, with the eager fit's numbers", function()
    local function huber(y, p)          -- picks its branch from a value: cannot be captured
      local d = (y - p):abs()
      if d:max():item() < 1 then return (d ^ 2):mean() * 0.5 end
      return (gd.where(d:lt(1), d ^ 2 * 0.5, d - 0.5)):mean()
    end
    local net = twin(function() return gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2 }) } end,
      { optimizer = function() return gd.optim.SGD(0.1) end, loss = huber }, x, yr * 3,
      { epochs = 3, batch_size = 25, verbose = 0 })
    assert.is_true(rawget(net, "_step").step:info().programs[1].eager)
  end)

  it("the loss of a batch is the compiled objective's: bce from the logits, the penalty added", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { activation = "sigmoid", input_dim = 2,
                                                   kernel_regularizer = gd.nn.regularizers.l2(0.1) }) }
    net:compile{ optimizer = gd.optim.SGD(0.1), loss = "binary_crossentropy" }
    local l1 = net.layers[1]
    l1.kernel:assign(gd.tensor{ { 30 }, { -40 } })          -- saturated: |z| up to ~100
    local function objective()
      local z = x:matmul(l1.kernel) + l1.bias
      return ((gd.softplus(z) - z * yb):mean() + 0.1 * (l1.kernel ^ 2):sum()):item()
    end
    local before = objective()
    local h = net:fit(x, yb, { epochs = 1, batch_size = 50, verbose = 0 })
    close(h.loss[1], before, 1e-12)                          -- the batch's loss, before its update
    close(net:evaluate(x, yb), objective(), 1e-12)
  end)
end)
