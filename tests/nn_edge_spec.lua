-- nn_edge_spec.lua: gd.nn's edges: Keras's build-at-construction, weights
-- files written atomically, summary, function layers trained on the tape,
-- and argument errors that point at the caller's line.
local u = require "tests.helpers.util"
local close = u.close
local errors = u.errors

local SPEC = "tests/nn_edge_spec.lua"
local function errors_at(line, f, ...) return u.errors_at(SPEC, line, f, ...) end
local here, tmpdir, listing, slurp = u.here, u.tmpdir, u.listing, u.slurp

describe("gd.nn build at construction (Keras)", function()
  it("a known input size builds every layer: count_params and weights are complete", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2 }), gd.nn.Dense(1) }
    assert.is_true(net.layers[2].built)
    assert.equal(3, net.layers[2].input_dim)
    assert.equal(4, #net.weights)
    assert.equal(2 * 3 + 3 + 3 * 1 + 1, net:count_params())
    -- an Activation keeps the size, :add builds too
    local n2 = gd.nn.Sequential{ gd.nn.Dense(4, { input_dim = 5 }), gd.nn.Activation("tanh") }
    n2:add(gd.nn.Dense(2, { use_bias = false }))
    assert.equal(5 * 4 + 4 + 4 * 2, n2:count_params())
    assert.same({ 4, 2 }, n2.layers[3].kernel.shape)
  end)
  it("an unknown input size leaves the layers to build on the first call", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(3), gd.nn.Dense(1) }
    assert.is_false(net.layers[1].built)
    assert.equal(0, net:count_params())
    net(gd.zeros(2, 6))
    assert.equal(6 * 3 + 3 + 3 + 1, net:count_params())
  end)
  it("a layer built for another size than the layer before it gives is an error", function()
    local line = here() + 1
    errors_at(line, function() gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2 }), gd.nn.Dense(1, { input_dim = 4 }) } end,
      "gd.nn.Sequential:add", "layer 2", "expects 4 inputs", "gives 3")
  end)
  it("save_weights / load_weights round-trip the predictions exactly", function()
    gd.seed(7)
    local a = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2, activation = "tanh" }), gd.nn.Dense(1) }
    local b = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2, activation = "tanh" }), gd.nn.Dense(1) }
    local x = gd.randn(6, 2)
    assert.is_true(gd.abs(a:predict(x) - b:predict(x)):max():item() > 1e-3)   -- different draws
    local d = tmpdir()
    local p = d .. "/w.bin"
    assert.is_true(a:save_weights(p))
    -- all 4 weights: magic 8 + count 4 + shapes (4+16)+(4+8)+(4+16)+(4+8) + data 8·(6+3+3+1)
    assert.equal(8 + 4 + 64 + 8 * 13, #slurp(p))
    assert.is_true(b:load_weights(p))
    close(b:predict(x), a:predict(x), 0)
    assert.same({ "w.bin" }, listing(d))         -- no temporary file left
    os.execute("rm -r " .. d)
  end)
  it("saving or loading a model with unbuilt layers is an error naming the layer", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2, name = "first" }), function(x) return x:relu() end,
                                  gd.nn.Dense(1, { name = "last" }) }
    local p = os.tmpname()
    local line = here() + 1
    errors_at(line, function() net:save_weights(p) end, "save_weights", "layer 3 (last) is not built")
    line = here() + 1
    errors_at(line, function() net:load_weights(p) end, "load_weights", "layer 3 (last) is not built")
    assert.equal("", slurp(p))                   -- nothing written
    net(gd.zeros(1, 2))                          -- builds "last"
    assert.is_true(net:save_weights(p))
    os.remove(p)
  end)
  it("a failed save leaves the old file intact and no temporary file", function()
    local d = tmpdir()
    local p = d .. "/w.bin"
    local small = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 1 }) }
    assert.is_true(small:save_weights(p))
    local old = slurp(p)
    -- the write fails late (the file size limit, EFBIG): a script saving a large model
    local script = os.tmpname()
    local f = io.open(script, "w")
    f:write(string.format("local n = gd.nn.Sequential{ gd.nn.Dense(100, { input_dim = 100 }) }\n" ..
      "local ok, msg = n:save_weights(%q)\nio.write(tostring(ok), '|', msg)\n", p))
    f:close()
    local out = u.sh_line("sh -c 'ulimit -f 4; trap \"\" XFSZ; exec " .. u.gdlua .. " " .. script .. "' 2>&1")
    os.remove(script)
    assert.equal("nil|" .. p .. ": File too large", out)
    assert.equal(old, slurp(p))
    assert.same({ "w.bin" }, listing(d))
    -- a folder that does not exist: nil, message, nothing created
    local ok, msg = small:save_weights(d .. "/no/such/w.bin")
    assert.is_nil(ok)
    assert.equal(d .. "/no/such/w.bin: No such file or directory", msg)
    os.execute("rm -r " .. d)
  end)
end)

describe("gd.nn summary", function()
  it("prints the table once and returns nothing", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(3, { input_dim = 2, name = "d1" }), function(x) return x:relu() end,
                                  gd.nn.Dense(1, { input_dim = 3, name = "d2" }) }
    local lines = {}
    local saved = _G.print
    _G.print = function(s) lines[#lines + 1] = s end
    local n = select("#", net:summary())
    _G.print = saved
    assert.equal(0, n)
    assert.equal(9, #lines)                       -- header, rule, 3 layers, rule, 3 totals: once
    assert.truthy(lines[3]:find("d1 (Dense)", 1, true) and lines[3]:find("(nil, 3)", 1, true))
    assert.truthy(lines[4]:find("function (Function)", 1, true) and lines[4]:find("(nil, ?)", 1, true))
    assert.truthy(lines[5]:find("d2 (Dense)", 1, true))
    assert.equal("Total params: 13", lines[7])
    local got = {}
    assert.equal(0, select("#", net:summary(function(l) got[#got + 1] = l end)))
    assert.same(lines, got)
    local text, c = net:summary(false)
    assert.equal(table.concat(lines, "\n"), text)
    assert.equal(13, c.total)
  end)
  it("the REPL shows the summary once", function()
    local cmd = "printf '%s\\n' 'net = gd.nn.Sequential{gd.nn.Dense(3, {input_dim = 2})}' 'net:summary()' | " ..
      u.gdlua .. " -i 2>&1"
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    p:close()
    local n = select(2, out:gsub("Total params: 9", ""))
    assert.equal(1, n, out)
  end)
end)

describe("gd.nn function layers", function()
  local relu = function(x) return x:relu() end
  it("fit trains a stack with a function layer as it trains the same stack of C layers", function()
    gd.seed(3)
    local x = gd.randn(16, 2)
    local y = (x:matmul(gd.tensor{ { 1 }, { -2 } })):relu() + 0.5
    -- after a function the input size is unknown: the last layer gets input_dim
    local taped = gd.nn.Sequential{ gd.nn.Dense(4, { input_dim = 2 }), relu, gd.nn.Dense(1, { input_dim = 4 }) }
    assert.equal(4, #taped.weights)
    local fused = gd.nn.Sequential{ gd.nn.Dense(4, { input_dim = 2 }), gd.nn.Activation("relu"), gd.nn.Dense(1) }
    for i, w in ipairs(taped.weights) do fused.weights[i]:assign(w) end
    local before = {}
    for i, w in ipairs(taped.weights) do before[i] = w:copy() end
    -- one full-batch SGD step with lr = 1: w − w' is the gradient
    taped:compile{ optimizer = gd.optim.SGD(1), loss = "mse" }
    fused:compile{ optimizer = gd.optim.SGD(1), loss = "mse" }
    local o = { epochs = 1, batch_size = 16, shuffle = false, verbose = 0 }
    local ht, hf = taped:fit(x, y, o), fused:fit(x, y, o)
    close(ht.loss, hf.loss, 1e-12)
    local g = {}
    for i = 1, 4 do
      g[i] = before[i] - taped.weights[i]
      close(g[i], before[i] - fused.weights[i], 1e-12, "weight " .. i)
    end
    -- and against central differences of the loss in one kernel entry
    local probe = gd.nn.Sequential{ gd.nn.Dense(4, { input_dim = 2 }), relu, gd.nn.Dense(1, { input_dim = 4 }) }
    probe:compile{ optimizer = "sgd", loss = "mse" }
    local function loss_at(dw)
      for i, w in ipairs(probe.weights) do w:assign(before[i]) end
      probe.weights[3]:set(before[3]:at(2, 1) + dw, 2, 1)
      return (probe:evaluate(x, y))
    end
    local h = 1e-6
    close((loss_at(h) - loss_at(-h)) / (2 * h), g[3]:at(2, 1), 1e-6)
    -- and it learns
    taped:compile{ optimizer = gd.optim.Adam{ lr = 0.05 }, loss = "mse" }
    local hl = taped:fit(x, y, { epochs = 60, batch_size = 8, verbose = 0 })
    assert.is_true(hl.loss[60] < 0.5 * hl.loss[1], hl.loss[1] .. " → " .. hl.loss[60])
  end)
  it("function layers have no weights and count no parameters", function()
    local net = gd.nn.Sequential{ relu, gd.nn.Dense(2, { input_dim = 3 }) }
    assert.equal(2, #net.weights)
    assert.equal(2, #net.trainable_weights)
    assert.equal(8, net:count_params())
  end)
end)

describe("gd.nn argument errors", function()
  local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2 }) }
  net:compile{ optimizer = "sgd", loss = "mse" }
  local x, y = gd.randn(4, 2), gd.randn(4, 1)
  it("unknown option keys are errors naming the key, at the caller's line", function()
    local line = here() + 1
    errors_at(line, function() gd.nn.Dense(3, { activaton = "relu" }) end, "gd.nn.Dense", "unknown option 'activaton'")
    line = here() + 1
    errors_at(line, function() net:fit(x, y, { epoch = 50 }) end, "gd.nn.Sequential:fit", "unknown option 'epoch'")
    line = here() + 1
    errors_at(line, function() net:compile{ optimiser = "sgd" } end, "compile", "unknown option 'optimiser'")
    line = here() + 1
    errors_at(line, function() gd.losses.binary_crossentropy(y, y, { from_logit = true }) end,
      "gd.losses.binary_crossentropy", "unknown option 'from_logit'")
    line = here() + 1
    errors_at(line, function() gd.losses.binary_accuracy(y, y, { treshold = 0.2 }) end, "unknown option 'treshold'")
  end)
  it("values out of range are errors that show the value", function()
    local line = here() + 1
    errors_at(line, function() net:fit(x, y, { epochs = -1 }) end, "epochs", "got -1")
    line = here() + 1
    errors_at(line, function() net:fit(x, y, { epochs = 2.5 }) end, "epochs", "integer expected, got 2.5")
    line = here() + 1
    errors_at(line, function() net:fit(x, y, { batch_size = 0 }) end, "batch_size", "got 0")
    line = here() + 1
    errors_at(line, function() net:fit(x, y, { verbose = 3 }) end, "verbose must be 0, 1 or 2, got 3")
    line = here() + 1
    errors_at(line, function() net:fit(x, y, { validation_split = 1 }) end, "validation_split", "got 1")
    line = here() + 1
    errors_at(line, function() net:fit(x, y, { shuffle = "yes" }) end, "shuffle: boolean expected", '"yes"')
    line = here() + 1
    errors_at(line, function() net:fit(x, gd.randn(5, 1)) end, "x has 4 rows, y has 5")
    line = here() + 1
    errors_at(line, function() gd.nn.Dense(0) end, "gd.nn.Dense: units", "got 0")
    line = here() + 1
    errors_at(line, function() gd.nn.Dense(2, { input_dim = -3 }) end, "input_dim", "got -3")
    line = here() + 1
    errors_at(line, function() gd.nn.Activation("relu6") end, "unknown activation \"relu6\"")
    line = here() + 1
    errors_at(line, function() net:compile{ loss = "msee" } end, "loss: unknown value \"msee\"")
    line = here() + 1
    errors_at(line, function() gd.nn.Sequential{ 42 } end, "gd.nn.Sequential:add: layer expected, got 42")
  end)
  it("errors raised in C point at the caller's line too", function()
    local line = here() + 1
    errors_at(line, function() net(gd.zeros(3, 5)) end, "gd.nn.Sequential", "{3,5}", "expects 2")
    line = here() + 1
    errors_at(line, function() net:predict(gd.zeros(3, 5)) end, "{3,5}")
    line = here() + 1
    errors_at(line, function() gd.losses.mse(gd.zeros(3, 2), gd.zeros(4, 2)) end, "gd.losses.mse")
  end)
  it("epochs = 0 trains nothing (Keras)", function()
    local w = net.weights[1]:copy()
    local h = net:fit(x, y, { epochs = 0, verbose = 0 })
    assert.same({}, h.loss)
    close(net.weights[1], w, 0)
  end)
end)
