-- fit_metrics_spec.lua: compile{metrics = {...}} in fit's history and
-- evaluate, each equal to gd.metrics on the same predictions (Keras's
-- thresholded metrics: p > 0.5; auc: the ROC area).
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors
local M = gd.metrics

local names = { "accuracy", "precision", "recall", "auc", "mae" }

-- gd.metrics' values for truth y and probabilities p.
local function expected(y, p)
  local c = gd.gt(p, 0.5)
  return { accuracy = M.accuracy(y, c), precision = M.precision(y, c), recall = M.recall(y, c),
           auc = M.roc_auc(y, p), mae = M.mae(y, p) }
end

local function problem()
  gd.seed(21)
  local x = gd.randn(80, 2)
  local y = gd.gt(x:narrow(2, 1, 1) + 0.8 * gd.randn(80, 1), 0)
  return x, y
end

describe("fit metrics", function()
  for _, plain in ipairs({ true, false }) do
    it("history and val_ metrics equal gd.metrics on the same predictions (" .. (plain and "C layers" or "with a Lua layer") .. ")", function()
      local x, y = problem()
      local tx, ty, vx, vy = x:narrow(1, 1, 60), y:narrow(1, 1, 60), x:narrow(1, 61, 20), y:narrow(1, 61, 20)
      local layers = { gd.nn.Dense(1, { input_dim = 2, activation = "sigmoid" }) }
      if not plain then layers[2] = gd.nn.Dropout(0) end      -- a Lua layer
      local net = gd.nn.Sequential(layers)
      net:compile{ optimizer = gd.optim.SGD(0.5), loss = "binary_crossentropy", metrics = names }
      local p0 = net:predict(tx)
      -- one full batch: the epoch's training predictions are those of the weights before the step
      local h = net:fit(x, y, { epochs = 1, batch_size = 60, verbose = 0, validation_split = 0.25 })
      local want = expected(ty, p0)
      for _, k in ipairs(names) do close(h[k][1], want[k], 1e-12, k) end
      local pv = net:predict(vx)                              -- validation: after the epoch
      local wantv = expected(vy, pv)
      for _, k in ipairs(names) do close(h["val_" .. k][1], wantv[k], 1e-12, "val_" .. k) end
      local _, ev = net:evaluate(vx, vy)
      for _, k in ipairs(names) do close(ev[k], wantv[k], 1e-12, "evaluate " .. k) end
      assert.is_true(want.precision ~= want.recall or want.auc ~= want.accuracy)   -- distinct numbers
    end)
  end

  it("mini-batch epochs: the metrics are those of the epoch's concatenated batch predictions", function()
    local x, y = problem()
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2, activation = "sigmoid" }) }
    net:compile{ optimizer = gd.optim.SGD(1e-300), loss = "binary_crossentropy", metrics = names }
    local p0 = net:predict(x)        -- a negligible step: every batch predicts with these weights
    local h = net:fit(x, y, { epochs = 2, batch_size = 16, verbose = 0 })
    local want = expected(y, p0)
    for _, k in ipairs(names) do close(h[k][2], want[k], 1e-12, k) end
  end)

  it("verbose = 2 prints loss, the metrics and their val_ versions in order", function()
    local out = os.tmpname()
    local f = assert(io.open(out, "w"))
    f:close()
    -- run in a child so its stdout can be read
    local script = os.tmpname()
    local s = assert(io.open(script, "w"))
    s:write([[
gd.seed(21)
local x = gd.randn(80, 2)
local y = gd.gt(x:narrow(2, 1, 1), 0)
local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2, activation = "sigmoid" }) }
net:compile{ optimizer = gd.optim.SGD(0.1), loss = "binary_crossentropy", metrics = { "accuracy", "auc" } }
local h = net:fit(x, y, { epochs = 2, batch_size = 40, verbose = 2, validation_split = 0.25 })
io.stderr:write(string.format("%.6g %.6g", h.auc[2], h.val_accuracy[2]))
]])
    s:close()
    local p = assert(io.popen(u.gdlua .. " " .. script .. " 2>" .. out))
    local lines = {}
    for l in p:lines() do lines[#lines + 1] = l end
    p:close()
    local nums = assert(io.open(out)):read("a")
    os.remove(script); os.remove(out)
    assert.equal(2, #lines)
    assert.matches("^Epoch 2/2 %- loss: [%d.e-]+ %- accuracy: [%d.e-]+ %- auc: [%d.e-]+ %- val_loss: [%d.e-]+ %- val_accuracy: [%d.e-]+ %- val_auc: [%d.e-]+$", lines[2])
    local auc2, vacc2 = nums:match("^(%S+) (%S+)$")
    assert.truthy(lines[2]:find(" - auc: " .. auc2, 1, true))
    assert.truthy(lines[2]:find(" - val_accuracy: " .. vacc2, 1, true))
  end)

  it("unknown metrics are errors", function()
    local net = gd.nn.Sequential{ gd.nn.Dense(1, { input_dim = 2 }) }
    errors(function() net:compile{ metrics = { "acuracy" } } end, "metrics[1]: unknown metric \"acuracy\"")
  end)
end)
