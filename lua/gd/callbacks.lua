-- gd.nn.callbacks: Keras's training callbacks for Sequential:fit.
--
-- A callback is a table of optional functions, each called as
--   on_train_begin(logs, model), on_epoch_begin(epoch, logs, model),
--   on_epoch_end(epoch, logs, model), on_train_end(logs, model)
-- with epoch 1-based (Lua's count; Keras counts from 0) and logs the epoch's
-- numbers {loss =, val_loss =, <metric> =, val_<metric> =}.  on_epoch_end
-- returning true, or setting model.stop_training = true, stops training after
-- that epoch.  A plain user table {on_epoch_end = function(epoch, logs) end}
-- is a callback as it is.
local gd = require "gd"
local check = require "gd.check"

local M = {}

-- Keras's mode "auto": metrics that grow when better are maximized.
local maximized = { accuracy = true, acc = true, auc = true, precision = true, recall = true,
                    binary_accuracy = true, categorical_accuracy = true }

-- Whether a is better than the best b by more than delta for mode ("min" | "max").
local function better(mode, a, b, delta)
  if mode == "max" then return a - delta > b end
  return a + delta < b
end

-- The mode for monitor from the option (auto, min, max).
local function mode_of(fname, mode, monitor)
  mode = check.oneof(fname, "mode", mode or "auto", { "auto", "min", "max" })
  if mode ~= "auto" then return mode end
  return maximized[(monitor:gsub("^val_", ""))] and "max" or "min"
end

-- Copies of the model's weights; put them back with restore.
local function snapshot(model)
  local s = {}
  for i, w in ipairs(model.weights) do s[i] = w:copy() end
  return s
end
local function restore(model, s)
  for i, w in ipairs(model.weights) do w:assign(s[i]) end
end

-- The monitored value of logs, or an error naming what is there.
local function monitored(fname, monitor, logs)
  local v = logs[monitor]
  if v == nil then
    local keys = {}
    for k in pairs(logs) do keys[#keys + 1] = k end
    table.sort(keys)
    check.fail(fname, "monitor %s is not in the logs (available: %s)", check.show(monitor), table.concat(keys, ", "))
  end
  return v
end

-- The verbose option (0 or 1, default 0).
local function verbose_opt(fname, o)
  return check.integer(fname, "verbose", o.verbose == nil and 0 or o.verbose, 0, 1)
end

-- Argument 1 is a path.
local function path_arg(fname, path)
  if type(path) ~= "string" then check.fail(fname, "argument 1: path expected, got %s", check.show(path)) end
  return path
end

local function string_opt(fname, what, v, default)
  if v == nil then return default end
  if type(v) ~= "string" then check.fail(fname, "%s: string expected, got %s", what, check.show(v)) end
  return v
end

--- gd.nn.callbacks.EarlyStopping{monitor = "val_loss", min_delta = 0, patience = 0, mode = "auto", baseline, restore_best_weights = false, start_from_epoch = 0}: stop when monitor stops improving (Keras's rule)
function M.EarlyStopping(o)
  local fname = "gd.nn.callbacks.EarlyStopping"
  o = check.opts(fname, o, { "monitor", "min_delta", "patience", "mode", "baseline", "restore_best_weights",
                             "start_from_epoch", "verbose" }, 1)
  local monitor = string_opt(fname, "monitor", o.monitor, "val_loss")
  local delta = math.abs(check.number(fname, "min_delta", o.min_delta == nil and 0 or o.min_delta))
  local patience = check.integer(fname, "patience", o.patience == nil and 0 or o.patience, 0)
  local mode = mode_of(fname, o.mode, monitor)
  local baseline = o.baseline ~= nil and check.number(fname, "baseline", o.baseline) or nil
  local keep = check.boolean(fname, "restore_best_weights", o.restore_best_weights, false)
  local start = check.integer(fname, "start_from_epoch", o.start_from_epoch == nil and 0 or o.start_from_epoch, 0)
  local verbose = verbose_opt(fname, o)
  local cb = { monitor = monitor, patience = patience, min_delta = delta, mode = mode }
  local best_weights
  function cb.on_train_begin()
    cb.wait, cb.stopped_epoch, cb.best_epoch = 0, 0, 0
    cb.best = mode == "max" and -math.huge or math.huge
    best_weights = nil
  end
  function cb.on_epoch_end(epoch, logs, model)
    local v = monitored(fname, monitor, logs)
    if epoch <= start then return end
    if keep and not best_weights then best_weights = snapshot(model) end
    cb.wait = cb.wait + 1
    if better(mode, v, cb.best, delta) then
      cb.best, cb.best_epoch = v, epoch
      if keep then best_weights = snapshot(model) end
      if baseline == nil or better(mode, v, baseline, delta) then cb.wait = 0 end
      return
    end
    if cb.wait >= patience and epoch > 1 then
      cb.stopped_epoch = epoch
      if keep and best_weights then restore(model, best_weights) end
      if verbose > 0 then print(("Epoch %d: early stopping (best epoch %d)"):format(epoch, cb.best_epoch)) end
      return true
    end
  end
  return cb
end

--- gd.nn.callbacks.LearningRateScheduler(fn(epoch, lr) → lr): set the optimizer's lr before each epoch (epoch 1-based)
function M.LearningRateScheduler(fn, o)
  local fname = "gd.nn.callbacks.LearningRateScheduler"
  if type(fn) ~= "function" then check.fail(fname, "argument 1: function expected, got %s", check.show(fn)) end
  o = check.opts(fname, o, { "verbose" }, 2)
  local verbose = verbose_opt(fname, o)
  local cb = {}
  function cb.on_epoch_begin(epoch, _, model)
    local opt = model.optimizer
    local lr = fn(epoch, opt.lr)
    if type(lr) ~= "number" or not (lr > 0) or lr == math.huge then
      check.fail(fname, "the schedule gave %s at epoch %d (a positive number expected)", check.show(lr), epoch)
    end
    opt.lr = lr
    if verbose > 0 then print(("Epoch %d: LearningRateScheduler setting learning rate to %g."):format(epoch, lr)) end
  end
  return cb
end

--- gd.nn.callbacks.ReduceLROnPlateau{monitor = "val_loss", factor = 0.1, patience = 10, mode = "auto", min_delta = 1e-4, cooldown = 0, min_lr = 0}: lr ← max(lr·factor, min_lr) after patience epochs without improvement (Keras's rule)
function M.ReduceLROnPlateau(o)
  local fname = "gd.nn.callbacks.ReduceLROnPlateau"
  o = check.opts(fname, o, { "monitor", "factor", "patience", "mode", "min_delta", "cooldown", "min_lr", "verbose" }, 1)
  local monitor = string_opt(fname, "monitor", o.monitor, "val_loss")
  local factor = check.number(fname, "factor", o.factor == nil and 0.1 or o.factor, 0, 1, true)
  local patience = check.integer(fname, "patience", o.patience == nil and 10 or o.patience, 0)
  local mode = mode_of(fname, o.mode, monitor)
  local delta = math.abs(check.number(fname, "min_delta", o.min_delta == nil and 1e-4 or o.min_delta))
  local cooldown = check.integer(fname, "cooldown", o.cooldown == nil and 0 or o.cooldown, 0)
  local min_lr = check.number(fname, "min_lr", o.min_lr == nil and 0 or o.min_lr, 0)
  local verbose = verbose_opt(fname, o)
  local cb = { monitor = monitor }
  function cb.on_train_begin()
    cb.best = mode == "max" and -math.huge or math.huge
    cb.wait, cb.cooldown_counter = 0, 0
  end
  function cb.on_epoch_end(epoch, logs, model)
    local opt = model.optimizer
    logs.learning_rate = opt.lr
    local v = monitored(fname, monitor, logs)
    if cb.cooldown_counter > 0 then
      cb.cooldown_counter = cb.cooldown_counter - 1
      cb.wait = 0
    end
    if better(mode, v, cb.best, delta) then
      cb.best, cb.wait = v, 0
    elseif cb.cooldown_counter <= 0 then
      cb.wait = cb.wait + 1
      if cb.wait >= patience and opt.lr > min_lr then
        local lr = math.max(opt.lr * factor, min_lr)
        if lr > 0 then opt.lr = lr end
        if verbose > 0 then print(("Epoch %d: ReduceLROnPlateau reducing learning rate to %g."):format(epoch, lr)) end
        cb.cooldown_counter, cb.wait = cooldown, 0
      end
    end
  end
  return cb
end

--- gd.nn.callbacks.ModelCheckpoint(path, {monitor = "val_loss", save_best_only = false, mode = "auto"}): save_weights(path) after every epoch (or when monitor improves); "{epoch}" in path is replaced by the epoch
function M.ModelCheckpoint(path, o)
  local fname = "gd.nn.callbacks.ModelCheckpoint"
  path_arg(fname, path)
  o = check.opts(fname, o, { "monitor", "save_best_only", "mode", "verbose" }, 2)
  local monitor = string_opt(fname, "monitor", o.monitor, "val_loss")
  local best_only = check.boolean(fname, "save_best_only", o.save_best_only, false)
  local mode = mode_of(fname, o.mode, monitor)
  local verbose = verbose_opt(fname, o)
  local cb = { path = path }
  function cb.on_train_begin() cb.best = mode == "max" and -math.huge or math.huge end
  function cb.on_epoch_end(epoch, logs, model)
    if best_only then
      local v = monitored(fname, monitor, logs)
      if not better(mode, v, cb.best, 0) then return end
      cb.best = v
    end
    local file = path:gsub("{epoch}", tostring(epoch))
    local ok, err = model:save_weights(file)      -- atomic: a failed write keeps the old file
    if not ok then check.fail(fname, "cannot write %s: %s", file, tostring(err)) end
    if verbose > 0 then print(("Epoch %d: saving model to %s"):format(epoch, file)) end
  end
  return cb
end

--- gd.nn.callbacks.CSVLogger(path, {separator = ",", append = false}): one row per epoch (epoch, then the logs' keys sorted), each row flushed as written
function M.CSVLogger(path, o)
  local fname = "gd.nn.callbacks.CSVLogger"
  path_arg(fname, path)
  o = check.opts(fname, o, { "separator", "append" }, 2)
  local sep = string_opt(fname, "separator", o.separator, ",")
  local append = check.boolean(fname, "append", o.append, false)
  local cb = { path = path }
  local f, keys
  function cb.on_train_begin()
    local err
    f, err = io.open(path, append and "a" or "w")
    if not f then check.fail(fname, "cannot open %s: %s", path, tostring(err)) end
    keys = nil
  end
  function cb.on_epoch_end(epoch, logs)
    local parts = {}
    if not keys then          -- the columns are fixed by the first epoch, as Keras
      keys = {}
      for k in pairs(logs) do keys[#keys + 1] = k end
      table.sort(keys)
      if not append or f:seek("end") == 0 then f:write("epoch", sep, table.concat(keys, sep), "\n") end
    end
    parts[1] = tostring(epoch)
    for i, k in ipairs(keys) do parts[i + 1] = logs[k] == nil and "" or string.format("%.17g", logs[k]) end
    f:write(table.concat(parts, sep), "\n")   -- one write, then flush: a crash leaves whole rows
    f:flush()
  end
  function cb.on_train_end()
    if f then f:close() end
    f = nil
  end
  return cb
end

gd.doc(M.EarlyStopping, "gd.nn.callbacks.EarlyStopping{monitor = \"val_loss\", min_delta = 0, patience = 0, mode = \"auto\", baseline, restore_best_weights = false, start_from_epoch = 0}: stop when monitor stops improving")
gd.doc(M.LearningRateScheduler, "gd.nn.callbacks.LearningRateScheduler(fn(epoch, lr) → lr): set the optimizer's lr before each epoch (epoch 1-based)")
gd.doc(M.ReduceLROnPlateau, "gd.nn.callbacks.ReduceLROnPlateau{monitor = \"val_loss\", factor = 0.1, patience = 10, min_delta = 1e-4, cooldown = 0, min_lr = 0}: lr ← max(lr·factor, min_lr) on a plateau")
gd.doc(M.ModelCheckpoint, "gd.nn.callbacks.ModelCheckpoint(path, {monitor = \"val_loss\", save_best_only = false, mode}): save_weights(path) (atomically) after each epoch or each improvement; {epoch} in path is the epoch")
gd.doc(M.CSVLogger, "gd.nn.callbacks.CSVLogger(path, {separator = \",\", append = false}): one row per epoch (epoch, then the logs' keys sorted), flushed row by row")
return M
