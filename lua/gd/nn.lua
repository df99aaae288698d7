-- gd.nn: Keras-style layers and models. Layers are C userdata (src/lnn.c);
-- Sequential is a Lua object whose fit loop runs in C (gd._nn.fit).
local gd = require "gd"
local C = require("gd.core")._nn
local losses = require "gd.losses"
local check = require "gd.check"
local data = require "gd.data"
local as_tensor = data.as_tensor
local metrics = require "gd.metrics"
local regularizers = require "gd.regularizers"

local M = {}
M.regularizers = regularizers
M.callbacks = require "gd.callbacks"

-- Initializers: name → function(shape, fan_in, fan_out, value) → tensor (gd's generator).
local inits = {
  zeros = function(shape) return gd.zeros(shape) end,
  ones = function(shape) return gd.ones(shape) end,
  constant = function(shape, _, _, v) return gd.full(shape, v or 0) end,
  normal = function(shape) return gd.normal(0, 0.05, shape) end,
  uniform = function(shape) return gd.uniform(-0.05, 0.05, shape) end,
  glorot_uniform = function(shape, fi, fo)
    local lim = math.sqrt(6 / (fi + fo))
    return gd.uniform(-lim, lim, shape)
  end,
  glorot_normal = function(shape, fi, fo)
    return gd.normal(0, math.sqrt(2 / (fi + fo)), shape)
  end,
  he_normal = function(shape, fi)   -- Keras: truncated at 2σ, σ = sqrt(2/fan_in)/0.8796
    local sd = math.sqrt(2 / fi) / 0.87962566103423978
    local t = gd.randn(shape)
    local out = gd.abs(t):gt(2)
    while out:max():item() > 0 do   -- redraw the values beyond 2 (about 5% each round)
      t = gd.where(out, gd.randn(shape), t)
      out = gd.abs(t):gt(2)
    end
    return t * sd
  end,
  he_uniform = function(shape, fi)
    local lim = math.sqrt(6 / fi)
    return gd.uniform(-lim, lim, shape)
  end,
}
M.initializers = inits
for k, line in pairs({
  zeros = "zeros(shape): all 0",
  ones = "ones(shape): all 1",
  constant = "constant(shape, fan_in, fan_out, v = 0): all v",
  normal = "normal(shape): N(0, 0.05²)",
  uniform = "uniform(shape): U(−0.05, 0.05)",
  glorot_uniform = "glorot_uniform(shape, fan_in, fan_out): U(±√(6/(fan_in + fan_out)))",
  glorot_normal = "glorot_normal(shape, fan_in, fan_out): N(0, 2/(fan_in + fan_out))",
  he_normal = "he_normal(shape, fan_in): N(0, 2/fan_in) truncated at 2σ, as Keras",
  he_uniform = "he_uniform(shape, fan_in): U(±√(6/fan_in))",
}) do
  gd.doc(inits[k], "gd.nn.initializers." .. line)
end

local function initializer(spec, what, value)
  if type(spec) == "function" then return spec end
  if type(spec) == "number" then
    check.number("gd.nn.Dense", what, spec)
    return function(shape) return gd.full(shape, spec) end
  end
  local f = inits[spec]
  if not f then
    local names = {}
    for k in pairs(inits) do names[#names + 1] = k end
    table.sort(names)
    check.fail("gd.nn.Dense", "%s: unknown initializer %s (one of: %s, a number or a function)",
      what, check.show(spec), table.concat(names, ", "))
  end
  if value ~= nil then check.number("gd.nn.Dense", what == "kernel_initializer" and "value" or "bias_value", value) end
  return function(shape, fi, fo) return f(shape, fi, fo, value) end
end

local activations = { "linear", "relu", "sigmoid", "tanh", "softmax", "softplus" }

-- name is one of the activations.
local function check_activation(fname, name)
  for _, a in ipairs(activations) do if name == a then return name end end
  check.fail(fname, "unknown activation %s (one of: %s)", check.show(name), table.concat(activations, ", "))
end

local counter = { dense = 0, activation = 0, dropout = 0 }
local function autoname(kind)
  counter[kind] = counter[kind] + 1
  return counter[kind] == 1 and kind or (kind .. "_" .. (counter[kind] - 1))
end

--- gd.nn.Dense(units, {activation, use_bias = true, kernel_initializer = "glorot_uniform", bias_initializer = "zeros", input_dim, name}): y = act(x·W + b), W in×units
function M.Dense(units, o)
  local fname = "gd.nn.Dense"
  units = check.integer(fname, "units", units, 1)
  o = check.opts(fname, o, { "activation", "use_bias", "kernel_initializer", "bias_initializer", "input_dim",
                             "name", "value", "bias_value", "kernel_regularizer", "bias_regularizer" }, 2)
  for _, k in ipairs({ "kernel_regularizer", "bias_regularizer" }) do
    local r = o[k]
    if r ~= nil and not regularizers.is(r) and type(r) ~= "function" then
      check.fail(fname, "%s: a gd.nn.regularizers one or a function expected, got %s", k, check.show(r))
    end
  end
  if o.activation ~= nil then check_activation(fname, o.activation) end
  local use_bias = check.boolean(fname, "use_bias", o.use_bias, true)
  local input_dim = o.input_dim ~= nil and check.integer(fname, "input_dim", o.input_dim, 1) or nil
  if o.name ~= nil and type(o.name) ~= "string" then check.fail(fname, "name: string expected, got %s", check.show(o.name)) end
  local kinit = initializer(o.kernel_initializer or "glorot_uniform", "kernel_initializer", o.value)
  local binit = initializer(o.bias_initializer or "zeros", "bias_initializer", o.bias_value)
  local side = { name = o.name or autoname("dense"), kernel_regularizer = o.kernel_regularizer,
                 bias_regularizer = o.bias_regularizer }
  side.init = function(fan_in)
    local k = gd.Variable(kinit({ fan_in, units }, fan_in, units), { name = side.name .. "/kernel" })
    local b = use_bias and gd.Variable(binit({ units }, fan_in, units), { name = side.name .. "/bias" }) or nil
    return k, b
  end
  local layer = C.dense(units, o.activation, use_bias, side)
  if input_dim then check.call(layer.build, layer, input_dim) end
  return layer
end

--- gd.nn.Activation(name): linear, relu, sigmoid, tanh, softmax or softplus as a layer
function M.Activation(name)
  check_activation("gd.nn.Activation", name)
  return C.activation(name, { name = autoname("activation") })
end

-- Dropout is active while a fit runs (M is in training mode), the identity otherwise.
local training = false

local DropoutMT = { __name = "gd.nn.Dropout" }
DropoutMT.__index = DropoutMT

-- Inverted dropout: each element kept with probability 1 − rate and scaled by
-- 1/(1 − rate), so the expected activation is unchanged (Keras).
function DropoutMT.__call(self, x)
  if not training or self.rate == 0 then return x end
  if type(x) ~= "userdata" then x = as_tensor(x, "gd.nn.Dropout", "x") end
  local keep = gd.rand(x.shape):ge(self.rate)
  return x * keep * (1 / (1 - self.rate))
end
function DropoutMT.__tostring(self) return ("Dropout(%g)"):format(self.rate) end

--- gd.nn.Dropout(rate, {name}): inverted dropout of a fraction rate in [0, 1) of the inputs, active in fit only
function M.Dropout(rate, o)
  local fname = "gd.nn.Dropout"
  rate = check.number(fname, "rate", rate, 0, 1)
  if rate >= 1 then check.fail(fname, "rate must be in [0, 1), got %s", check.show(rate)) end
  o = check.opts(fname, o, { "name" }, 2)
  if o.name ~= nil and type(o.name) ~= "string" then check.fail(fname, "name: string expected, got %s", check.show(o.name)) end
  return setmetatable({ rate = rate, name = o.name or autoname("dropout"), kind = "Dropout" }, DropoutMT)
end

-- Run f(...) with Dropout active; the mode is restored on an error too.
local function in_training(f, ...)
  local prev = training
  training = true
  local r = table.pack(pcall(f, ...))
  training = prev
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

local is_layer = C.is_layer

-- The weights of a layer: a gd.nn layer's, none for a function layer.
local function layer_weights(l)
  return is_layer(l) and l.weights or {}
end

local function count(layer)
  local n = 0
  for _, w in ipairs(layer_weights(layer)) do n = n + w:numel() end
  return n
end

-- "layer 2 (dense_1)" or "layer 3 (function)" for messages.
local function layer_label(i, l)
  return string.format("layer %d (%s)", i, is_layer(l) and tostring(l.name) or type(l))
end

---------------------------------------------------------------------------
-- Sequential

local Seq = {}
local SeqMT = { __name = "gd.nn.Sequential", __methods = Seq }   -- __methods: for Tab completion (gd.repl)

function SeqMT.__index(self, k)
  if k == "layers" then return rawget(self, "_layers") end
  if k == "weights" then
    local ws = {}
    for _, l in ipairs(self._layers) do
      for _, w in ipairs(layer_weights(l)) do ws[#ws + 1] = w end
    end
    -- the same table while the weights are unchanged
    local c = rawget(self, "_wcache")
    if c and #c == #ws then
      local same = true
      for i = 1, #ws do if c[i] ~= ws[i] then same = false break end end
      if same then return c end
    end
    rawset(self, "_wcache", ws)
    return ws
  end
  if k == "trainable_weights" then
    local ws = {}
    for _, l in ipairs(self._layers) do
      if is_layer(l) and l.trainable then for _, w in ipairs(l.weights) do ws[#ws + 1] = w end end
    end
    return ws
  end
  return Seq[k]
end

function SeqMT.__call(self, x) return check.call(C.forward, self._layers, x) end
function SeqMT.__tostring(self) return "Sequential(" .. #self._layers .. " layers)" end

--- gd.nn.Sequential([layers]): a stack of layers; net(x) runs them in order
function M.Sequential(layers)
  if layers ~= nil then check.list("gd.nn.Sequential", "argument 1", layers) end
  local self = setmetatable({ _layers = {} }, SeqMT)
  for _, l in ipairs(layers or {}) do self:add(l) end
  return self
end

--- net:add(layer): append a layer (a gd.nn layer or any function of a tensor); built at once when its input size is known
function Seq:add(layer)
  local fname = "gd.nn.Sequential:add"
  local t = type(layer)
  local mt = (t == "userdata" or t == "table") and getmetatable(layer) or nil
  local callable = t == "function" or (type(mt) == "table" and mt.__call ~= nil)
  if not callable then check.fail(fname, "layer expected, got %s", check.show(layer)) end
  -- Keras: once the input size is known, every added layer is built at once.
  -- rawget(self, "_out"): the feature count of the stack's output, nil when unknown.
  local out = rawget(self, "_out")
  if is_layer(layer) then
    if layer.kind == "Dense" then
      if out and not layer.built then check.call(layer.build, layer, out) end
      if out and layer.input_dim ~= out then
        check.fail(fname, "%s expects %d inputs, the layer before it gives %d",
          layer_label(#self._layers + 1, layer), layer.input_dim, out)
      end
      out = layer.built and layer.units or nil
    end
  elseif getmetatable(layer) ~= DropoutMT then
    out = nil                        -- a function: its output size is unknown
  end
  self._out = out
  table.insert(self._layers, layer)
  return self
end

-- Every gd.nn layer of the stack is built, else an error naming the first that is not.
local function check_built(self, fname)
  for i, l in ipairs(self._layers) do
    if is_layer(l) and not l.built then
      check.fail(fname, "%s is not built (give the first layer input_dim, or call the model once)", layer_label(i, l))
    end
  end
end

-- Keras's Precision, Recall and AUC on gd.metrics' definitions (Lua numbers):
-- predictions thresholded at 0.5, all elements flattened (a one-hot output
-- counts every entry, as Keras's micro averaging); auc is the exact ROC area
-- (Keras interpolates it over 200 thresholds).
local keras_metrics = {
  precision = function(y, p) return metrics.precision(y, gd.gt(p, 0.5)) end,
  recall = function(y, p) return metrics.recall(y, gd.gt(p, 0.5)) end,
  auc = function(y, p) return metrics.roc_auc(y, p) end,
}

local optim_names = { sgd = "SGD", adam = "Adam", adamw = "AdamW", rmsprop = "RMSprop", adagrad = "Adagrad" }

--- net:compile{optimizer = "sgd" | "adam" | ... | opt, loss = "mse" | "binary_crossentropy" | "categorical_crossentropy" | fn, metrics = {"accuracy", ...}, from_logits = false, run_eagerly = false}
function Seq:compile(o)
  local fname = "gd.nn.Sequential:compile"
  o = check.opts(fname, o, { "optimizer", "loss", "metrics", "from_logits", "run_eagerly" }, 1)
  local opt = o.optimizer or "rmsprop"
  if type(opt) == "string" then
    local cname = optim_names[opt:lower()]
    if not cname then
      check.fail(fname, "optimizer: unknown value %s (one of: sgd, adam, adamw, rmsprop, adagrad, or an optimizer)",
        check.show(opt))
    end
    opt = gd.optim[cname]()
  elseif type(opt) ~= "userdata" and type(opt) ~= "table" then
    check.fail(fname, "optimizer: a name or an optimizer expected, got %s", check.show(opt))
  end
  local loss = o.loss or "mse"
  if type(loss) == "string" then
    local idx = C.loss_index(loss)
    if idx then
      loss = idx
    elseif type(losses[loss]) == "function" and loss ~= "metrics" then
      loss = losses[loss]
    else
      check.fail(fname, "loss: unknown value %s (mse, binary_crossentropy, categorical_crossentropy, ... or a function)",
        check.show(loss))
    end
  elseif type(loss) ~= "function" then
    check.fail(fname, "loss: a name or a function expected, got %s", check.show(loss))
  elseif loss == losses.mse then loss = 0
  elseif loss == losses.binary_crossentropy then loss = 1
  elseif loss == losses.categorical_crossentropy then loss = 2
  end
  local metrics = {}
  for i, m in ipairs(o.metrics ~= nil and check.list(fname, "metrics", o.metrics) or {}) do
    if type(m) == "string" then
      local f = keras_metrics[m] or losses.metrics[m] or (m ~= "metrics" and losses[m])
      if type(f) ~= "function" then check.fail(fname, "metrics[%d]: unknown metric %s", i, check.show(m)) end
      metrics[#metrics + 1] = { m, f }
    elseif type(m) == "function" then
      metrics[#metrics + 1] = { "metric" .. (#metrics + 1), m }
    else
      check.fail(fname, "metrics[%d]: a name or a function expected, got %s", i, check.show(m))
    end
  end
  self.optimizer, self.loss, self.metrics = opt, loss, metrics
  self.from_logits = check.boolean(fname, "from_logits", o.from_logits, false)
  self.run_eagerly = check.boolean(fname, "run_eagerly", o.run_eagerly, false)
  return self
end

-- 1-d targets become a column, as Keras reads y of shape (n) for an output of shape (n, 1).
local function as_targets(fname, what, v)
  v = as_tensor(v, fname, what)
  if v.ndim == 1 then return v:reshape(v:numel(), 1) end
  return v
end

-- x and y have at least one dim and the same number of rows.
local function check_rows(fname, x, y, xs, ys)
  if x.ndim < 1 then check.fail(fname, "%s must have at least 1 dim, got a 0-d tensor", xs) end
  if y.ndim < 1 then check.fail(fname, "%s must have at least 1 dim, got a 0-d tensor", ys) end
  if #x ~= #y then check.fail(fname, "%s has %d rows, %s has %d", xs, #x, ys, #y) end
end

local loss_names = { [0] = "mse", [1] = "binary_crossentropy", [2] = "categorical_crossentropy" }

-- Σ of the layers' regularizer penalties r(kernel) + r(bias) (recorded), nil when there are none.
local function penalty(self)
  local p
  local function add(r, w)
    if not r or not w then return end
    local t = r(w)
    p = p and p + t or t
  end
  for _, l in ipairs(self._layers) do
    if is_layer(l) and l.kind == "Dense" and l.built then
      add(l.kernel_regularizer, l.kernel)
      add(l.bias_regularizer, l.use_bias and l.bias or nil)
    end
  end
  return p
end

local function has_penalty(self)
  for _, l in ipairs(self._layers) do
    if is_layer(l) and (l.kernel_regularizer or l.bias_regularizer) then return true end
  end
  return false
end

-- The objective of a batch, as Keras computes it in fit and evaluate →
-- obj(x, y[, w]) returning loss, predictions: the forward pass, then the
-- compiled loss (with sample weights w: Σ_i w_i·l_i / N, Keras's
-- sum_over_batch_size, divided by the batch size, not by Σw), plus the
-- regularizers' penalties.  A built-in binary (categorical) cross-entropy
-- after a last sigmoid (softmax) layer reads that layer's logits, as Keras's
-- losses do, so a saturated output still learns.
local logit_act = { [1] = "sigmoid", [2] = "softmax" }
local function objective(self, weighted, fname)
  local base, layers, fl, forward = self.loss, self._layers, self.from_logits, C.forward
  local obj
  if type(base) == "number" then
    local name, split = loss_names[base], not fl and logit_act[base] or nil
    obj = function(x, y, w)
      local p, z = forward(layers, x, split)
      local l = C.loss(name, y, z or p, fl or z ~= nil, weighted)
      if weighted then l = (l * w):sum() / l:numel() end
      return l, p
    end
  elseif weighted then
    check.fail(fname, "sample_weight and class_weight need a built-in loss (mse, binary_crossentropy, categorical_crossentropy)")
  else
    obj = function(x, y)
      local p = forward(layers, x)
      return base(y, p), p
    end
  end
  if not has_penalty(self) then return obj end
  return function(x, y, w)
    local l, p = obj(x, y, w)
    return l + penalty(self), p
  end
end

-- fit's train step(x, y, w) on one batch: the objective recorded on a tape,
-- its gradients applied by the optimizer → the loss (and the predictions
-- when want_pred).  With a gd.Optimizer it runs through gd.compile: traced
-- on its first batch of each shape, replayed in C after (as Keras's fit runs
-- a tf.function: Lua side effects in layers and losses happen while tracing
-- only); a step that cannot be captured (a loss that reads values into Lua)
-- runs eagerly, silently, as does every step with run_eagerly = true.
-- The step is kept on the model while its optimizer, loss, layers and
-- trainable weights stay the same, so fits in a loop trace once.
local function train_step(self, weighted, want_pred, fname)
  local opt, vars = self.optimizer, self.trainable_weights
  local key = { opt = opt, loss = self.loss, fl = self.from_logits, eager = self.run_eagerly, weighted = weighted,
                want_pred = want_pred, nlayers = #self._layers }
  local c = rawget(self, "_step")
  local same = c ~= nil and #c.vars == #vars
  for k, v in pairs(key) do same = same and c.key[k] == v end
  for i = 1, same and #vars or 0 do same = same and rawequal(c.vars[i], vars[i]) end
  if same then return c.step end
  local obj = objective(self, weighted, fname)
  local function step(x, y, w)
    local tape <close> = gd.GradientTape()
    tape:watch(vars)
    local l, p = obj(x, y, w)
    tape:stop()
    if type(l) ~= "userdata" then check.fail(fname, "the loss must return a tensor, got %s", check.show(l)) end
    if #vars > 0 then opt:apply_gradients(tape:gradient(l, vars), vars) end
    if want_pred then return l, p end
    return l
  end
  local run = step
  if type(opt) == "userdata" and not self.run_eagerly then
    run = gd.compile(step, { fallback = true })
    run.warned = true                  -- fit falls back without a warning
  end
  rawset(self, "_step", { step = run, key = key, vars = vars })
  return run
end

-- The per-sample weights of fit's options (sample_weight times class_weight
-- of each row's class), or nil when neither is given.
local function sample_weights(fname, y, o)
  local w
  if o.sample_weight ~= nil then
    w = as_tensor(o.sample_weight, fname, "sample_weight"):reshape(-1)
    if w:numel() ~= #y then
      check.fail(fname, "sample_weight has %d values, y has %d rows", w:numel(), #y)
    end
    if w:min():item() < 0 then check.fail(fname, "sample_weight must be >= 0") end
  end
  if o.class_weight ~= nil then
    local cw = o.class_weight
    if type(cw) ~= "table" or getmetatable(cw) ~= nil then
      check.fail(fname, "class_weight: a table {[class] = weight} expected, got %s", check.show(cw))
    end
    for k, v in pairs(cw) do
      if math.type(k) ~= "integer" then check.fail(fname, "class_weight: class %s is not an integer", check.show(k)) end
      check.number(fname, ("class_weight[%d]"):format(k), v, 0)
    end
    -- the class of a row: its label (one column) or the 1-based argmax (one-hot rows)
    local classes = y.shape[2] == 1 and y:reshape(-1) or gd.argmax(y, 2)
    local cwt = {}
    for i, c in ipairs(classes:totable()) do
      local wc = cw[math.tointeger(c) or c]
      cwt[i] = wc == nil and 1 or wc                  -- Keras: a class not listed weighs 1
    end
    w = w and w * gd.tensor(cwt) or gd.tensor(cwt)
  end
  return w
end

local hooks = { "on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end" }

-- fit's callbacks option checked: a list of tables whose hooks are functions.
local function check_callbacks(fname, cbs)
  if cbs == nil then return {} end
  check.list(fname, "callbacks", cbs)
  for i, cb in ipairs(cbs) do
    if type(cb) ~= "table" then check.fail(fname, "callbacks[%d]: a callback table expected, got %s", i, check.show(cb)) end
    local any = false
    for _, h in ipairs(hooks) do
      if cb[h] ~= nil and type(cb[h]) ~= "function" then
        check.fail(fname, "callbacks[%d].%s: function expected, got %s", i, h, check.show(cb[h]))
      end
      any = any or cb[h] ~= nil
    end
    if not any then check.fail(fname, "callbacks[%d]: none of %s", i, table.concat(hooks, ", ")) end
  end
  return cbs
end

-- Call hook name of every callback; true if one of them returned true.
local function run_hooks(cbs, name, ...)
  local stop = false
  for _, cb in ipairs(cbs) do
    if cb[name] and cb[name](...) == true then stop = true end
  end
  return stop
end

-- The epoch hooks of a fit: epoch_begin(e); epoch_end(e, h) evaluates the
-- validation data (Dropout off) into h and runs the callbacks on the
-- epoch's logs; it returns true to stop.
local function epoch_hooks(self, cbs, vx, vy, vloss)
  local function begin(e)
    local prev = training
    training = false
    run_hooks(cbs, "on_epoch_begin", e, {}, self)
    training = prev
  end
  local function finish(e, h)
    local prev = training
    training = false
    local logs = {}
    for k, v in pairs(h) do logs[k] = v[e] end
    if vx then
      local r = gd.no_grad(C.evaluate, { objective = vloss, metrics = self.metrics, x = vx, y = vy })
      for k, v in pairs(r) do
        h["val_" .. k] = h["val_" .. k] or {}
        h["val_" .. k][e] = v[1]
        logs["val_" .. k] = v[1]
      end
    end
    local stop = run_hooks(cbs, "on_epoch_end", e, logs, self)
    training = prev
    return stop or self.stop_training == true
  end
  return begin, finish
end

-- Full-batch fits with a closure optimizer (gd.optim.LBFGS, BFGS, Newton;
-- lua/gd/optim_closure.lua): each epoch is one opt:minimize on the whole set.
local function fit_closure(self, x, y, w, spec, fname)
  local obj = objective(self, w ~= nil, fname)
  local opt, vars = self.optimizer, self.trainable_weights
  local h = {}
  for e = 1, spec.epochs do
    if spec.epoch_begin then spec.epoch_begin(e) end
    opt:minimize(function() return (obj(x, y, w)) end, vars)
    h.loss = h.loss or {}
    h.loss[e] = opt.loss
    for _, m in ipairs(self.metrics) do                 -- {name, fn(y, p)}
      local v = gd.no_grad(m[2], y, self(x))
      h[m[1]] = h[m[1]] or {}
      h[m[1]][e] = type(v) == "number" and v or v:item()
    end
    local stop = spec.epoch_end and spec.epoch_end(e, h)
    if spec.verbose ~= 0 then
      local line = { ("Epoch %d/%d - loss: %.6g"):format(e, spec.epochs, opt.loss) }
      if h.val_loss then line[2] = (" - val_loss: %.6g"):format(h.val_loss[e]) end
      print(table.concat(line))
    end
    if stop then break end
  end
  return h
end

--- net:fit(x, y, {epochs = 1, batch_size = 32, shuffle = true, verbose = 1, validation_split, validation_data, callbacks, sample_weight, class_weight}) → history {loss = {...}, val_loss = {...}, <metric> = {...}}
function Seq:fit(x, y, o)
  local fname = "gd.nn.Sequential:fit"
  o = check.opts(fname, o, { "epochs", "batch_size", "shuffle", "verbose", "validation_split", "validation_data",
                             "callbacks", "sample_weight", "class_weight" }, 3)
  if not self.optimizer then check.fail(fname, "call compile first") end
  x, y = as_tensor(x, fname, "x"), as_targets(fname, "y", y)
  check_rows(fname, x, y, "x", "y")
  if #x < 1 then check.fail(fname, "x has no rows") end
  local epochs = check.integer(fname, "epochs", o.epochs == nil and 1 or o.epochs, 0)
  local batch_size = check.integer(fname, "batch_size", o.batch_size == nil and 32 or o.batch_size, 1)
  local shuffle = check.boolean(fname, "shuffle", o.shuffle, true)
  local verbose = o.verbose == nil and 1 or o.verbose
  if verbose ~= 0 and verbose ~= 1 and verbose ~= 2 then
    check.fail(fname, "verbose must be 0, 1 or 2, got %s", check.show(verbose))
  end
  local cbs = check_callbacks(fname, o.callbacks)
  local w = sample_weights(fname, y, o)
  local vx, vy
  if o.validation_data ~= nil then
    local vd = check.list(fname, "validation_data", o.validation_data)
    if #vd ~= 2 then check.fail(fname, "validation_data: {x, y} expected, got a list of %d", #vd) end
    vx, vy = as_tensor(vd[1], fname, "validation_data[1]"), as_targets(fname, "validation_data[2]", vd[2])
    check_rows(fname, vx, vy, "validation_data[1]", "validation_data[2]")
  elseif o.validation_split ~= nil then
    local split = check.number(fname, "validation_split", o.validation_split, 0, 1)
    if split >= 1 then check.fail(fname, "validation_split must be in [0, 1), got %s", check.show(split)) end
    if split > 0 then
      local n = #x
      local nt = math.floor(n * (1 - split))   -- Keras: the last rows, not shuffled
      if nt < 1 or nt >= n then
        check.fail(fname, "validation_split %s of %d rows leaves no %s data", check.show(split), n,
          nt < 1 and "training" or "validation")
      end
      vx, vy = x:narrow(1, nt + 1, n - nt), y:narrow(1, nt + 1, n - nt)
      x, y = x:narrow(1, 1, nt), y:narrow(1, 1, nt)
      if w then w = w:narrow(1, 1, nt) end
    end
  end
  -- build every layer before collecting the variables
  if #self._layers > 0 then check.call(gd.no_grad, C.forward, self._layers, x:narrow(1, 1, 1)) end
  self.stop_training = false
  local spec = {
    metrics = self.metrics, x = x, y = y, sw = w,
    epochs = epochs, batch_size = batch_size, shuffle = shuffle, verbose = verbose,
  }
  if vx or #cbs > 0 then            -- none otherwise: a plain fit makes no Lua call per epoch
    spec.epoch_begin, spec.epoch_end = epoch_hooks(self, cbs, vx, vy, objective(self, false, fname))
  end
  run_hooks(cbs, "on_train_begin", {}, self)
  local h
  if getmetatable(self.optimizer) == gd.optim._closure_mt then
    h = in_training(fit_closure, self, x, y, w, spec, fname)
  else
    spec.step = train_step(self, w ~= nil, #self.metrics > 0, fname)
    h = check.call(in_training, C.fit, spec)
  end
  h.loss = h.loss or {}
  self.history = h
  local logs = {}
  for k, v in pairs(h) do logs[k] = v[#v] end
  run_hooks(cbs, "on_train_end", logs, self)
  return h
end

--- net:predict(x): the output for x, not recorded on tapes
function Seq:predict(x)
  return check.call(gd.no_grad, C.forward, self._layers, as_tensor(x, "gd.nn.Sequential:predict", "x"))
end

--- net:evaluate(x, y): the loss (with the regularizers' penalties, as Keras) and metrics on (x, y) → loss, {loss =, metric =}
function Seq:evaluate(x, y)
  local fname = "gd.nn.Sequential:evaluate"
  if not self.loss then check.fail(fname, "call compile first") end
  x, y = as_tensor(x, fname, "x"), as_targets(fname, "y", y)
  check_rows(fname, x, y, "x", "y")
  local r = check.call(gd.no_grad, C.evaluate, { objective = objective(self, false, fname),
    metrics = self.metrics, x = x, y = y })
  local out = {}
  for k, v in pairs(r) do out[k] = v[1] end
  return out.loss, out
end

--- net:count_params(): the number of weights
function Seq:count_params()
  local n = 0
  for _, l in ipairs(self._layers) do n = n + count(l) end
  return n
end

--- net:summary([false | print_fn]): print layers, output shapes and parameter counts (print_fn(line) per line); summary(false) prints nothing and returns the text and {total, trainable}
function Seq:summary(print_fn)
  if print_fn ~= nil and print_fn ~= false and type(print_fn) ~= "function" then
    check.fail("gd.nn.Sequential:summary", "argument 1: false or a function expected, got %s", check.show(print_fn))
  end
  local lines = {}
  local function p(s) lines[#lines + 1] = s end
  p(string.format("%-24s %-16s %10s", "Layer (type)", "Output Shape", "Param #"))
  p(string.rep("=", 52))
  local units, total, trainable = nil, 0, 0
  for _, l in ipairs(self._layers) do
    local name, kind, n = "function", "Function", 0
    if getmetatable(l) == DropoutMT then
      name, kind = l.name, "Dropout"
    elseif is_layer(l) then
      name, kind = l.name or "", l.kind
      if kind == "Dense" then units = l.units end
      n = count(l)
      if not l.built then n = "unbuilt" end
      if l.trainable and type(n) == "number" then trainable = trainable + n end
    else
      units = nil                      -- a function: its output size is unknown
    end
    local shape = units and string.format("(nil, %d)", units) or "(nil, ?)"
    p(string.format("%-24s %-16s %10s", name .. " (" .. kind .. ")", shape, tostring(n)))
    if type(n) == "number" then total = total + n end
  end
  p(string.rep("=", 52))
  p("Total params: " .. total)
  p("Trainable params: " .. trainable)
  p("Non-trainable params: " .. (total - trainable))
  if print_fn == false then return table.concat(lines, "\n"), { total = total, trainable = trainable } end
  local out = print_fn or print
  for _, line in ipairs(lines) do out(line) end
end

--- net:save_weights(path): write every weight (the binary format "GDLUAW1" of the README) atomically → true, or nil, message
function Seq:save_weights(path)
  local fname = "gd.nn.Sequential:save_weights"
  if type(path) ~= "string" then check.fail(fname, "argument 1: path expected, got %s", check.show(path)) end
  check_built(self, fname)
  return check.call(C.save_weights, path, self.weights)
end

--- net:load_weights(path): read weights saved by save_weights; a wrong or truncated file is an error and changes nothing
function Seq:load_weights(path)
  local fname = "gd.nn.Sequential:load_weights"
  if type(path) ~= "string" then check.fail(fname, "argument 1: path expected, got %s", check.show(path)) end
  check_built(self, fname)
  return check.call(C.load_weights, path, self.weights)
end

for k, f in pairs(Seq) do gd.doc(f, "net:" .. k) end
gd.doc(M.Dense, "gd.nn.Dense(units, {activation, use_bias = true, kernel_initializer = \"glorot_uniform\", bias_initializer = \"zeros\", kernel_regularizer, bias_regularizer, input_dim}): y = act(x·W + b)")
gd.doc(M.Dropout, "gd.nn.Dropout(rate, {name}): inverted dropout of a fraction rate in [0, 1), active in fit only (predict, evaluate and net(x) are deterministic)")
gd.doc(M.Activation, "gd.nn.Activation(name): linear, relu, sigmoid, tanh, softmax or softplus as a layer")
gd.doc(M.Sequential, "gd.nn.Sequential([layers]): a stack of layers with compile, fit, predict, evaluate, summary")
gd.doc(Seq.fit, "net:fit(x, y, {epochs = 1, batch_size = 32, shuffle = true, verbose = 1, validation_split, validation_data, callbacks, sample_weight, class_weight}) → {loss = {...}, val_loss = {...}, <metric> = {...}}")
gd.doc(Seq.summary, "net:summary([false | print_fn]): print the layers, output shapes and parameter counts (summary(false) returns the text)")
return M
