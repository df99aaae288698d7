-- callbacks_spec.lua: gd.nn.callbacks and the epoch hooks of Sequential:fit.
--
-- The models are one weight w, no bias, on the single row x = 1, y = 0 with
-- mse, trained full-batch by SGD: the loss is w², its gradient 2w, so an
-- epoch at rate lr maps w to (1 − 2·lr)·w and every number below is a hand
-- computation (epochs are 1-based, as everywhere in gd).
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors
local cb = gd.nn.callbacks

local x, y = gd.tensor{ { 1 } }, gd.tensor{ { 0 } }

local function one_weight(lr)
  local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 1, use_bias = false, kernel_initializer = "ones" }) }
  net:compile{ optimizer = gd.optim.SGD(lr), loss = "mse" }
  return net
end

local function w_of(net) return net.weights[1]:item() end

local function tmp(name) return os.tmpname() .. "-" .. name end

describe("gd.nn.callbacks", function()
  it("LearningRateScheduler's rate reaches the optimizer before every epoch", function()
    local net = one_weight(0.5)
    local seen = {}
    local sched = cb.LearningRateScheduler(function(epoch, lr)
      seen[#seen + 1] = { epoch, lr }
      return 0.1 * epoch
    end)
    local h = net:fit(x, y, { epochs = 3, verbose = 0, callbacks = { sched } })
    -- the schedule sees epochs 1, 2, 3 and the rate then in force
    close(seen, { { 1, 0.5 }, { 2, 0.1 }, { 3, 0.2 } }, 0)
    -- w: 1 → 0.8 → 0.8·0.6 → 0.8·0.6·0.4; each epoch's loss is w² before its step
    local w1, w2, w3 = 0.8, 0.8 * 0.6, 0.8 * 0.6 * 0.4
    close(h.loss, { 1, w1 ^ 2, w2 ^ 2 }, 1e-15)
    close(w_of(net), w3, 1e-15)
    close(net.optimizer.lr, 0.3, 1e-15)
    errors(function() one_weight(0.1):fit(x, y, { verbose = 0, callbacks = { cb.LearningRateScheduler(function() return -1 end) } }) end,
      "LearningRateScheduler", "epoch 1")
  end)

  -- rates 0.25 for epochs 1–3 (w halves) then 1.25 (w ← −1.5·w): val_loss = w² is
  -- 0.25, 0.0625, 0.015625, 0.03515625, 0.0791015625, ...: best at epoch 3.
  local function rising_after_3() return cb.LearningRateScheduler(function(e) return e <= 3 and 0.25 or 1.25 end) end

  it("EarlyStopping halts at the epoch Keras's rule predicts and restores the best weights", function()
    local net = one_weight(0.25)
    local es = cb.EarlyStopping{ monitor = "val_loss", patience = 2, restore_best_weights = true }
    local h = net:fit(x, y, { epochs = 50, verbose = 0, validation_data = { x, y }, callbacks = { rising_after_3(), es } })
    -- epoch 4: wait 1, epoch 5: wait 2 = patience → stop after epoch 5
    assert.equal(5, #h.loss)
    assert.equal(5, #h.val_loss)
    close(h.val_loss, { 0.25, 0.0625, 0.015625, 0.03515625, 0.0791015625 }, 1e-15)
    assert.equal(5, es.stopped_epoch)
    assert.equal(3, es.best_epoch)
    close(w_of(net), 0.125, 1e-15)          -- epoch 3's weight, not epoch 5's 0.28125
    close(net:predict(x), { { 0.125 } }, 1e-15)
  end)

  it("EarlyStopping's min_delta: an improvement must exceed it", function()
    local net = one_weight(0.25)
    -- 0.25 (best), 0.0625 (0.1875 better: best), 0.015625 (only 0.047 better: wait 1), epoch 4 (wait 2): stop
    local es = cb.EarlyStopping{ monitor = "val_loss", patience = 2, min_delta = 0.1, restore_best_weights = true }
    local h = net:fit(x, y, { epochs = 50, verbose = 0, validation_data = { x, y }, callbacks = { rising_after_3(), es } })
    assert.equal(4, #h.loss)
    close(w_of(net), 0.25, 1e-15)            -- epoch 2's weight
    -- without restore_best_weights the last weights stay
    local net2 = one_weight(0.25)
    net2:fit(x, y, { epochs = 50, verbose = 0, validation_data = { x, y },
                     callbacks = { rising_after_3(), cb.EarlyStopping{ patience = 2, min_delta = 0.1 } } })
    close(w_of(net2), -0.1875, 1e-15)
  end)

  it("EarlyStopping on a maximized metric and an unknown monitor", function()
    local net = one_weight(0.25)
    -- monitor "loss" in mode max: the loss only falls, so epoch 1 stays best and patience 1 stops at epoch 2
    local h = net:fit(x, y, { epochs = 10, verbose = 0, callbacks = { cb.EarlyStopping{ monitor = "loss", mode = "max", patience = 1 } } })
    assert.equal(2, #h.loss)
    errors(function() one_weight(0.1):fit(x, y, { verbose = 0, callbacks = { cb.EarlyStopping{ monitor = "val_acc" } } }) end,
      "gd.nn.callbacks.EarlyStopping", "val_acc", "available: loss")
  end)

  it("ReduceLROnPlateau multiplies the rate by factor after patience epochs without improvement", function()
    -- lr 1.25: w = −1.5, val 2.25 (best); w = 2.25, val 5.06 (wait 1 = patience): lr → 0.625;
    -- then w ← −0.25·w: −0.5625 (val 0.316, best), 0.140625 (best)
    local net = one_weight(1.25)
    local lrs = {}
    local spy = { on_epoch_begin = function(_, _, model) lrs[#lrs + 1] = model.optimizer.lr end }
    local rl = cb.ReduceLROnPlateau{ factor = 0.5, patience = 1 }
    local h = net:fit(x, y, { epochs = 4, verbose = 0, validation_data = { x, y }, callbacks = { spy, rl } })
    close(lrs, { 1.25, 1.25, 0.625, 0.625 }, 0)
    close(w_of(net), 0.140625, 1e-15)
    close(h.val_loss, { 2.25, 5.0625, 0.31640625, 0.019775390625 }, 1e-14)
    -- min_lr bounds it; cooldown = 1 skips the epoch after a reduction
    local net2 = one_weight(1.25)
    lrs = {}
    net2:fit(x, y, { epochs = 4, verbose = 0, validation_data = { x, y },
                     callbacks = { spy, cb.ReduceLROnPlateau{ factor = 0.1, patience = 1, min_lr = 0.5 } } })
    close(lrs, { 1.25, 1.25, 0.5, 0.5 }, 0)
  end)

  it("ModelCheckpoint's file loads back to the same predictions (save_best_only keeps the best epoch)", function()
    local path = tmp("ckpt.gdw")
    local net = one_weight(0.25)
    net:fit(x, y, { epochs = 6, verbose = 0, validation_data = { x, y },
                    callbacks = { rising_after_3(), cb.ModelCheckpoint(path, { save_best_only = true }) } })
    local other = one_weight(0.1)
    assert.is_true(other:load_weights(path))
    local xs = gd.tensor{ { 1 }, { -2 }, { 3 } }
    close(other:predict(xs), { { 0.125 }, { -0.25 }, { 0.375 } }, 1e-15)   -- epoch 3's w = 0.125
    -- every epoch: the last weights
    local net3 = one_weight(0.25)
    net3:fit(x, y, { epochs = 2, verbose = 0, callbacks = { cb.ModelCheckpoint(path) } })
    assert.is_true(other:load_weights(path))
    close(other:predict(xs), net3:predict(xs), 0)
    -- {epoch} in the path names one file per epoch
    local pat = tmp("ck-{epoch}.gdw")
    one_weight(0.25):fit(x, y, { epochs = 2, verbose = 0, callbacks = { cb.ModelCheckpoint(pat) } })
    assert.is_true(other:load_weights((pat:gsub("{epoch}", "1"))))
    close(w_of(other), 0.5, 1e-15)
    os.remove(path); os.remove((pat:gsub("{epoch}", "1"))); os.remove((pat:gsub("{epoch}", "2")))
  end)

  it("ModelCheckpoint that cannot write raises and keeps the old file", function()
    local net = one_weight(0.25)
    errors(function() net:fit(x, y, { verbose = 0, callbacks = { cb.ModelCheckpoint("/nonexistent-dir-gd/x/w.gdw") } }) end,
      "gd.nn.callbacks.ModelCheckpoint", "cannot write")
    -- a write that fails late (the file size limit, EFBIG) leaves the previous checkpoint as it was
    local p = tmp("old.gdw")
    assert.is_true(net:save_weights(p))
    local function slurp() local f = assert(io.open(p, "rb")); local s = f:read("a"); f:close(); return s end
    local old = slurp()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(string.format([[
local n = gd.nn.Sequential{ gd.nn.Dense(100, { input_dim = 100 }) }
n:compile{ optimizer = "sgd", loss = "mse" }
local ok, err = pcall(n.fit, n, gd.ones(2, 100), gd.ones(2, 100), { verbose = 0, callbacks = { gd.nn.callbacks.ModelCheckpoint(%q) } })
io.write(tostring(ok), "|", tostring(err))
]], p))
    f:close()
    local out = u.sh_line("sh -c 'ulimit -f 4; trap \"\" XFSZ; exec " .. u.gdlua .. " " .. script .. "' 2>&1")
    os.remove(script)
    assert.truthy(out:find("false|", 1, true) and out:find("cannot write", 1, true) and out:find("File too large", 1, true), out)
    assert.equal(old, slurp())
    os.remove(p)
  end)

  it("CSVLogger writes one flushed row per epoch: epoch, then the logs' keys sorted", function()
    local path = tmp("log.csv")
    local net = one_weight(0.25)
    local rows
    local reader = { on_epoch_end = function(epoch)       -- the file is complete after every epoch
      rows = {}
      for line in io.lines(path) do rows[#rows + 1] = line end
      assert.equal(epoch + 1, #rows)
    end }
    local h = net:fit(x, y, { epochs = 3, verbose = 0, validation_data = { x, y },
                              callbacks = { cb.CSVLogger(path), reader } })
    assert.equal("epoch,loss,val_loss", rows[1])
    rows = {}
    for line in io.lines(path) do rows[#rows + 1] = line end
    assert.equal(4, #rows)
    for e = 1, 3 do
      local ep, l, vl = rows[e + 1]:match("^([^,]+),([^,]+),([^,]+)$")
      assert.equal(tostring(e), ep)
      assert.equal(h.loss[e], tonumber(l))
      assert.equal(h.val_loss[e], tonumber(vl))
    end
    os.remove(path)
  end)

  it("a plain table of functions is a callback; returning true or model.stop_training stops", function()
    local net = one_weight(0.25)
    local got = {}
    local h = net:fit(x, y, { epochs = 10, verbose = 0, callbacks = { {
      on_epoch_end = function(epoch, logs) got[#got + 1] = logs.loss; return epoch == 2 end } } })
    assert.equal(2, #h.loss)
    close(got, { 1, 0.25 }, 1e-15)
    local h2 = one_weight(0.25):fit(x, y, { epochs = 10, verbose = 0, callbacks = { {
      on_epoch_end = function(epoch, _, model) if epoch == 3 then model.stop_training = true end end } } })
    assert.equal(3, #h2.loss)
    -- the closure optimizers' fits run the same hooks
    local net3 = one_weight(0.25)
    net3:compile{ optimizer = gd.optim.LBFGS(), loss = "mse" }
    local h3 = net3:fit(x, y, { epochs = 10, verbose = 0, callbacks = { { on_epoch_end = function(e) return e == 2 end } } })
    assert.equal(2, #h3.loss)
  end)

  it("option keys and arguments are checked", function()
    errors(function() cb.EarlyStopping{ patiance = 3 } end, "gd.nn.callbacks.EarlyStopping", "unknown option 'patiance'")
    errors(function() cb.ReduceLROnPlateau{ factr = 0.5 } end, "gd.nn.callbacks.ReduceLROnPlateau", "unknown option 'factr'")
    errors(function() cb.ReduceLROnPlateau{ factor = 1 } end, "factor must be in (0, 1)")
    errors(function() cb.ModelCheckpoint("a", { save_best = true }) end, "unknown option 'save_best'")
    errors(function() cb.ModelCheckpoint(3) end, "gd.nn.callbacks.ModelCheckpoint", "path expected")
    errors(function() cb.CSVLogger("a", { sep = ";" }) end, "unknown option 'sep'")
    errors(function() cb.LearningRateScheduler(2) end, "function expected")
    errors(function() cb.EarlyStopping{ mode = "up" } end, "mode")
    local net = one_weight(0.1)
    errors(function() net:fit(x, y, { verbose = 0, callback = {} }) end, "unknown option 'callback'")
    errors(function() net:fit(x, y, { verbose = 0, callbacks = { 3 } }) end, "callbacks[1]", "callback table expected")
    errors(function() net:fit(x, y, { verbose = 0, callbacks = { { on_epoch_end = 1 } } }) end, "callbacks[1].on_epoch_end")
    errors(function() net:fit(x, y, { verbose = 0, callbacks = { { on_epoc_end = print } } }) end, "callbacks[1]: none of")
  end)
end)
