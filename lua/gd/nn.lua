-- gd.nn: Keras-style layers and models. Layers are C userdata (src/lnn.c);
-- Sequential is a Lua object whose fit loop runs in C (gd._nn.fit).
local gd = require "gd"
local C = require("gd.core")._nn
local losses = require "gd.losses"

local M = {}

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

local function initializer(spec, what, value)
  if type(spec) == "function" then return spec end
  if type(spec) == "number" then
    return function(shape) return gd.full(shape, spec) end
  end
  local f = inits[spec]
  if not f then error("gd.nn.Dense: unknown " .. what .. " '" .. tostring(spec) .. "'", 3) end
  return function(shape, fi, fo) return f(shape, fi, fo, value) end
end

local counter = { dense = 0, activation = 0 }
local function autoname(kind)
  counter[kind] = counter[kind] + 1
  return counter[kind] == 1 and kind or (kind .. "_" .. (counter[kind] - 1))
end

--- gd.nn.Dense(units, {activation, use_bias = true, kernel_initializer = "glorot_uniform", bias_initializer = "zeros", input_dim, name}): y = act(x·W + b), W in×units
function M.Dense(units, o)
  o = o or {}
  if type(o) ~= "table" then error("gd.nn.Dense: argument 2: options table expected, got " .. type(o), 2) end
  local use_bias = o.use_bias
  if use_bias == nil then use_bias = true end
  local kinit = initializer(o.kernel_initializer or "glorot_uniform", "kernel_initializer", o.value)
  local binit = initializer(o.bias_initializer or "zeros", "bias_initializer", o.bias_value)
  local side = { name = o.name or autoname("dense") }
  side.init = function(fan_in)
    local k = gd.Variable(kinit({ fan_in, units }, fan_in, units), { name = side.name .. "/kernel" })
    local b = use_bias and gd.Variable(binit({ units }, fan_in, units), { name = side.name .. "/bias" }) or nil
    return k, b
  end
  local layer = C.dense(units, o.activation, use_bias, side)
  if o.input_dim then layer:build(o.input_dim) end
  return layer
end

--- gd.nn.Activation(name): linear, relu, sigmoid, tanh, softmax or softplus as a layer
function M.Activation(name)
  return C.activation(name, { name = autoname("activation") })
end

local function count(layer)
  local n = 0
  for _, w in ipairs(layer.weights) do n = n + w:numel() end
  return n
end

---------------------------------------------------------------------------
-- Sequential

local Seq = {}
local SeqMT = { __name = "gd.nn.Sequential" }

function SeqMT.__index(self, k)
  if k == "layers" then return rawget(self, "_layers") end
  if k == "weights" then
    local ws = {}
    for _, l in ipairs(self._layers) do
      for _, w in ipairs(l.weights) do ws[#ws + 1] = w end
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
      if l.trainable then for _, w in ipairs(l.weights) do ws[#ws + 1] = w end end
    end
    return ws
  end
  return Seq[k]
end

function SeqMT.__call(self, x) return C.forward(self._layers, x) end
function SeqMT.__tostring(self) return "Sequential(" .. #self._layers .. " layers)" end

--- gd.nn.Sequential([layers]): a stack of layers; net(x) runs them in order
function M.Sequential(layers)
  if layers ~= nil and (type(layers) ~= "table" or getmetatable(layers) ~= nil) then
    error("gd.nn.Sequential: argument 1: list of layers expected, got " .. type(layers), 2)
  end
  local self = setmetatable({ _layers = {} }, SeqMT)
  for _, l in ipairs(layers or {}) do self:add(l) end
  return self
end

--- net:add(layer): append a layer (a gd.nn layer or any function of a tensor)
function Seq:add(layer)
  local t = type(layer)
  local callable = t == "function" or ((t == "userdata" or t == "table") and getmetatable(layer) ~= nil
    and getmetatable(layer).__call ~= nil)
  if not callable then error("gd.nn.Sequential:add: layer expected, got " .. t, 2) end
  table.insert(self._layers, layer)
  return self
end

local optim_names = { sgd = "SGD", adam = "Adam", adamw = "AdamW", rmsprop = "RMSprop", adagrad = "Adagrad" }

--- net:compile{optimizer = "sgd" | "adam" | ... | opt, loss = "mse" | "binary_crossentropy" | "categorical_crossentropy" | fn, metrics = {"accuracy", ...}}
function Seq:compile(o)
  o = o or {}
  local opt = o.optimizer or "rmsprop"
  if type(opt) == "string" then
    local cname = optim_names[opt:lower()]
    if not cname then error("gd.nn.Sequential:compile: unknown optimizer '" .. opt .. "'", 2) end
    opt = gd.optim[cname]()
  end
  local loss = o.loss or "mse"
  local lossname = loss
  if type(loss) == "string" then
    local idx = C.loss_index(loss)
    if idx then
      loss = idx
    elseif losses[loss] then
      loss = losses[loss]
    else
      error("gd.nn.Sequential:compile: unknown loss '" .. lossname .. "'", 2)
    end
  elseif loss == losses.mse then loss = 0
  elseif loss == losses.binary_crossentropy then loss = 1
  elseif loss == losses.categorical_crossentropy then loss = 2
  end
  local metrics = {}
  for _, m in ipairs(o.metrics or {}) do
    if type(m) == "string" then
      local f = losses.metrics[m] or losses[m]
      if not f then error("gd.nn.Sequential:compile: unknown metric '" .. m .. "'", 2) end
      metrics[#metrics + 1] = { m, f }
    elseif type(m) == "function" then
      metrics[#metrics + 1] = { "metric" .. (#metrics + 1), m }
    end
  end
  self.optimizer, self.loss, self.metrics = opt, loss, metrics
  self.from_logits = o.from_logits or false
  return self
end

-- A tensor from a tensor or a (nested) table; 1-d targets become a column, as
-- Keras reads y of shape (n) for an output of shape (n, 1).
local function as_tensor(v)
  if type(v) == "userdata" then return v end
  return gd.tensor(v)
end
local function as_targets(v)
  v = as_tensor(v)
  if v.ndim == 1 then return v:reshape(v:numel(), 1) end
  return v
end

-- Full-batch fits with a closure optimizer (gd.optim.LBFGS, BFGS, Newton;
-- lua/gd/optim_closure.lua): each epoch is one opt:minimize on the whole set.
local loss_names = { [0] = "mse", [1] = "binary_crossentropy", [2] = "categorical_crossentropy" }
local function fit_closure(self, x, y, vx, vy, o)
  local lossfn = self.loss
  if type(lossfn) == "number" then
    local f, opts = losses[loss_names[lossfn]], { from_logits = self.from_logits }
    lossfn = function(t, p) return f(t, p, opts) end
  end
  local opt, vars = self.optimizer, self.trainable_weights
  local epochs = require("gd.check").integer("gd.nn.Sequential:fit", "epochs", o.epochs or 1, 1)
  local h = { loss = {}, val_loss = vx and {} or nil }
  for e = 1, epochs do
    opt:minimize(function() return lossfn(y, self(x)) end, vars)
    h.loss[e] = opt.loss
    if vx then h.val_loss[e] = gd.no_grad(lossfn, vy, self(vx)):item() end
    for _, m in ipairs(self.metrics) do                 -- {name, fn(y, p)}
      h[m[1]] = h[m[1]] or {}
      h[m[1]][e] = gd.no_grad(m[2], y, self(x)):item()
    end
    if (o.verbose or 1) ~= 0 then
      print(("Epoch %d/%d - loss: %.6g%s"):format(e, epochs, opt.loss,
        vx and (" - val_loss: %.6g"):format(h.val_loss[e]) or ""))
    end
  end
  self.history = h
  return h
end

--- net:fit(x, y, {epochs = 1, batch_size = 32, shuffle = true, verbose = 1, validation_split, validation_data}) → {loss = {...}, val_loss = {...}}
function Seq:fit(x, y, o)
  o = o or {}
  if not self.optimizer then error("gd.nn.Sequential:fit: call compile first", 2) end
  x, y = as_tensor(x), as_targets(y)
  local vx, vy
  if o.validation_data then
    vx, vy = as_tensor(o.validation_data[1]), as_targets(o.validation_data[2])
  elseif o.validation_split and o.validation_split > 0 then
    local n = #x
    local nt = math.floor(n * (1 - o.validation_split))   -- Keras: the last rows, not shuffled
    if nt < 1 or nt >= n then error("gd.nn.Sequential:fit: validation_split leaves no data", 2) end
    vx, vy = x:narrow(1, nt + 1, n - nt), y:narrow(1, nt + 1, n - nt)
    x, y = x:narrow(1, 1, nt), y:narrow(1, 1, nt)
  end
  -- build every layer before collecting the variables
  if #self._layers > 0 then gd.no_grad(function() C.forward(self._layers, x:narrow(1, 1, 1)) end) end
  if getmetatable(self.optimizer) == gd.optim._closure_mt then return fit_closure(self, x, y, vx, vy, o) end
  local spec = {
    layers = self._layers, vars = self.trainable_weights, opt = self.optimizer,
    loss = self.loss, from_logits = self.from_logits, metrics = self.metrics,
    x = x, y = y, vx = vx, vy = vy,
    epochs = o.epochs or 1, batch_size = o.batch_size or 32, shuffle = o.shuffle,
    verbose = o.verbose or 1,
  }
  if spec.shuffle == nil then spec.shuffle = true end
  local h = C.fit(spec)
  h.loss = h.loss or {}
  self.history = h
  return h
end

--- net:predict(x): the output for x, not recorded on tapes
function Seq:predict(x)
  return gd.no_grad(C.forward, self._layers, as_tensor(x))
end

--- net:evaluate(x, y): the loss (and metrics) on (x, y) → loss, {loss =, metric =}
function Seq:evaluate(x, y)
  if not self.loss then error("gd.nn.Sequential:evaluate: call compile first", 2) end
  local r = gd.no_grad(C.evaluate, { layers = self._layers, loss = self.loss, from_logits = self.from_logits,
                                     metrics = self.metrics, x = as_tensor(x), y = as_targets(y) })
  local out = {}
  for k, v in pairs(r) do out[k] = v[1] end
  return out.loss, out
end

--- net:count_params(): the number of weights
function Seq:count_params()
  local n = 0
  for _, l in ipairs(self._layers) do if type(l) == "userdata" then n = n + count(l) end end
  return n
end

--- net:summary([input_dim]): print layers, output shapes and parameter counts; returns the text
function Seq:summary(print_fn)
  local lines = {}
  local function p(s) lines[#lines + 1] = s end
  p(string.format("%-24s %-16s %10s", "Layer (type)", "Output Shape", "Param #"))
  p(string.rep("=", 52))
  local units, total, trainable = nil, 0, 0
  for _, l in ipairs(self._layers) do
    local name, kind, shape, n = "function", "function", "?", 0
    if type(l) == "userdata" then
      name, kind = l.name or "", l.kind
      if kind == "Dense" then units = l.units end
      shape = units and string.format("(nil, %d)", units) or "(nil, ?)"
      n = count(l)
      if kind == "Dense" and not l.built then shape = string.format("(nil, %d)", units); n = "unbuilt" end
    end
    p(string.format("%-24s %-16s %10s", name .. " (" .. kind .. ")", shape, tostring(n)))
    if type(n) == "number" then
      total = total + n
      if l.trainable then trainable = trainable + n end
    end
  end
  p(string.rep("=", 52))
  p("Total params: " .. total)
  p("Trainable params: " .. trainable)
  p("Non-trainable params: " .. (total - trainable))
  local text = table.concat(lines, "\n")
  if print_fn ~= false then (type(print_fn) == "function" and print_fn or print)(text) end
  return text, { total = total, trainable = trainable }
end

--- net:save_weights(path): write every weight (the binary format "GDLUAW1" of the README)
function Seq:save_weights(path)
  return C.save_weights(path, self.weights)
end

--- net:load_weights(path): read weights saved by save_weights; a wrong or truncated file is an error and changes nothing
function Seq:load_weights(path)
  return C.load_weights(path, self.weights)
end

for k, f in pairs(Seq) do gd.doc(f, "net:" .. k) end
gd.doc(M.Dense, "gd.nn.Dense(units, {activation, use_bias = true, kernel_initializer = \"glorot_uniform\", bias_initializer = \"zeros\", input_dim}): y = act(x·W + b)")
gd.doc(M.Activation, "gd.nn.Activation(name): linear, relu, sigmoid, tanh, softmax or softplus as a layer")
gd.doc(M.Sequential, "gd.nn.Sequential([layers]): a stack of layers with compile, fit, predict, evaluate, summary")
gd.doc(Seq.fit, "net:fit(x, y, {epochs = 1, batch_size = 32, shuffle = true, verbose = 1, validation_split, validation_data}) → {loss = {...}, val_loss = {...}}")
return M
