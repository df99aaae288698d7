-- metrics_spec.lua: gd.metrics against hand-worked confusion matrices and
-- curves (scikit-learn's definitions and documented examples).
local u = require "tests.helpers.util"
local close = u.close
local M = gd.metrics

describe("gd.metrics classification", function()
  -- y:    1 1 1 1 0 0 0 0 0 0
  -- yhat: 1 1 1 0 1 1 0 0 0 0   → tp 3, fn 1, fp 2, tn 4
  local y = { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }
  local yhat = gd.tensor{ 1, 1, 1, 0, 1, 1, 0, 0, 0, 0 }

  it("accuracy", function()
    close(M.accuracy(y, yhat), 7 / 10, 1e-15)
    close(M.accuracy(gd.tensor{ { 1, 2 }, { 3, 4 } }, { { 1, 0 }, { 3, 0 } }), 0.5, 0)
  end)
  it("binary precision, recall, f1 score label 1", function()
    close(M.precision(y, yhat), 3 / 5, 1e-15)
    close(M.recall(y, yhat), 3 / 4, 1e-15)
    close(M.f1(y, yhat), 2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4), 1e-15)
    close(M.precision(y, yhat, { pos_label = 0 }), 4 / 5, 1e-15)   -- tn / (tn + fn)
    close(M.recall(y, yhat, { pos_label = 0 }), 4 / 6, 1e-15)
  end)
  it("a ratio with nothing to count is 0 (sklearn's zero_division)", function()
    close(M.precision({ 1, 0 }, { 0, 0 }), 0, 0)
    close(M.f1({ 0, 0 }, { 0, 0 }), 0, 0)
  end)
  it("confusion_matrix: rows are the truth", function()
    local c, labels = M.confusion_matrix(y, yhat)
    close(c, { { 4, 2 }, { 1, 3 } }, 0)
    close(labels, { 0, 1 }, 0)
    -- three classes with k: the labels 1..k, an unseen class gives a zero row and column
    local y3 = { 1, 2, 3, 3, 1, 2, 3 }
    local p3 = { 1, 3, 3, 2, 2, 2, 3 }
    close(M.confusion_matrix(y3, p3, 4), { { 1, 1, 0, 0 }, { 0, 1, 1, 0 }, { 0, 1, 2, 0 }, { 0, 0, 0, 0 } }, 0)
  end)
  it("macro and micro averages over the labels", function()
    -- from the confusion matrix above (k = 3):
    --   precision per class 1/1, 1/3, 2/3; recall 1/2, 1/2, 2/3
    local y3 = { 1, 2, 3, 3, 1, 2, 3 }
    local p3 = { 1, 3, 3, 2, 2, 2, 3 }
    close(M.precision(y3, p3, { average = "macro" }), (1 + 1 / 3 + 2 / 3) / 3, 1e-15)
    close(M.recall(y3, p3, { average = "macro" }), (1 / 2 + 1 / 2 + 2 / 3) / 3, 1e-15)
    local f = { 2 * 1 * 0.5 / 1.5, 2 * (1 / 3) * 0.5 / (1 / 3 + 0.5), 2 / 3 }
    close(M.f1(y3, p3, { average = "macro" }), (f[1] + f[2] + f[3]) / 3, 1e-15)
    close(M.f1(y3, p3, { average = "micro" }), 4 / 7, 1e-15)   -- = accuracy
  end)
  it("checks its arguments", function()
    u.errors(function() M.accuracy({ 1, 2 }, { 1 }) end, "gd.metrics.accuracy", "y has 2 elements, yhat has 1")
    u.errors(function() M.precision({ 1, 2, 3 }, { 1, 2, 3 }) end, "gd.metrics.precision", "binary", "macro")
    u.errors(function() M.f1(y, yhat, { average = "weighted" }) end, "gd.metrics.f1", "average", "weighted")
    u.errors(function() M.recall(y, yhat, { pos = 1 }) end, "gd.metrics.recall", "unknown option 'pos'")
    u.errors(function() M.confusion_matrix({ 1, 5 }, { 1, 2 }, 3) end, "gd.metrics.confusion_matrix", "label 5 outside 1..k = 3")
    u.errors(function() M.accuracy({}, {}) end, "gd.metrics.accuracy", "no samples")
    u.errors(function() M.accuracy("a", {}) end, "gd.metrics.accuracy", "argument 1")
  end)
end)

describe("gd.metrics roc_curve and auc", function()
  it("scikit-learn's documented example", function()
    local fpr, tpr, th = M.roc_curve({ 1, 1, 2, 2 }, { 0.1, 0.4, 0.35, 0.8 }, { pos_label = 2 })
    close(fpr, { 0, 0, 0.5, 0.5, 1 }, 0)
    close(tpr, { 0, 0.5, 0.5, 1, 1 }, 0)
    close(th, { math.huge, 0.8, 0.4, 0.35, 0.1 }, 0)
  end)
  it("drop_intermediate keeps only the corners; ties are one point", function()
    -- sorted by score: 0.9 (1), 0.8 (1), 0.7 (0), 0.6 (0), 0.5 (1), 0.5 (0)
    -- points (fp, tp): (0,1) (0,2) (1,2) (2,2) (3,3); (1,2) lies on the segment
    -- from (0,2) to (2,2) and goes; the ends stay (dropping comes before the
    -- (0, 0) point is put first, as in sklearn)
    local y = { 0, 1, 1, 0, 0, 1 }
    local s = { 0.5, 0.9, 0.8, 0.7, 0.6, 0.5 }
    local fpr, tpr, th = M.roc_curve(y, s)
    close(fpr, { 0, 0, 0, 2 / 3, 1 }, 1e-15)
    close(tpr, { 0, 1 / 3, 2 / 3, 2 / 3, 1 }, 1e-15)
    close(th, { math.huge, 0.9, 0.8, 0.6, 0.5 }, 0)
    local f2, t2, th2 = M.roc_curve(y, s, { drop_intermediate = false })
    close(f2, { 0, 0, 0, 1 / 3, 2 / 3, 1 }, 1e-15)
    close(t2, { 0, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1 }, 1e-15)
    close(th2, { math.huge, 0.9, 0.8, 0.7, 0.6, 0.5 }, 0)
    -- trapezoids: (2/3)(2/3) + (1/3)(2/3 + 1)/2 = 13/18, the Mann–Whitney
    -- fraction of (positive, negative) pairs ranked right (a tie counts 1/2)
    close(M.auc(fpr, tpr), 4 / 9 + 5 / 18, 1e-15)
    close(M.roc_auc(y, s), 4 / 9 + 5 / 18, 1e-15)
  end)
  it("a perfect ranking has AUC 1, a reversed one 0", function()
    local y = { 0, 0, 1, 0, 1, 1 }
    local s = { 0.1, 0.2, 0.8, 0.3, 0.7, 0.9 }
    local fpr, tpr = M.roc_curve(y, s)
    close(M.auc(fpr, tpr), 1, 0)
    local r = {}
    for i, v in ipairs(s) do r[i] = -v end
    fpr, tpr = M.roc_curve(y, r)
    close(M.auc(fpr, tpr), 0, 0)
  end)
  it("auc is the trapezoidal area; decreasing x counts positively", function()
    close(M.auc({ 0, 1, 2 }, { 0, 1, 0 }), 1, 0)
    close(M.auc({ 2, 1, 0 }, { 0, 1, 1 }), 1.5, 0)
    u.errors(function() M.auc({ 0, 2, 1 }, { 0, 1, 0 }) end, "gd.metrics.auc", "neither increasing nor decreasing")
    u.errors(function() M.auc({ 0 }, { 0 }) end, "gd.metrics.auc", "at least 2 points")
  end)
  it("one class only gives nan rates, as sklearn", function()
    local fpr = M.roc_curve({ 1, 1 }, { 0.3, 0.6 })
    assert(fpr[2] ~= fpr[2])
  end)
end)

describe("gd.metrics regression", function()
  local y = gd.tensor{ 3, -0.5, 2, 7 }
  local p = gd.tensor{ 2.5, 0.0, 2, 8 }
  it("mse, mae", function()
    close(M.mse(y, p), (0.25 + 0.25 + 0 + 1) / 4, 1e-15)
    close(M.mae(y, p), (0.5 + 0.5 + 0 + 1) / 4, 1e-15)
  end)
  it("r2 = 1 − SS_res / SS_tot", function()
    -- mean 2.875: SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    close(M.r2(y, p), 1 - 1.5 / 29.1875, 1e-15)
    close(M.r2({ 1, 2, 3 }, { 1, 2, 3 }), 1, 0)
    close(M.r2({ 2, 2, 2 }, { 2, 2, 2 }), 1, 0)    -- constant truth fitted exactly
    close(M.r2({ 2, 2, 2 }, { 1, 2, 3 }), 0, 0)
    -- 2-D: the mean of the columns' R²
    local Y = gd.tensor{ { 0.5, 1 }, { -1, 1 }, { 7, -6 } }
    local P = gd.tensor{ { 0, 2 }, { -1, 2 }, { 8, -5 } }
    local function r2(a, b)
      local m = (a[1] + a[2] + a[3]) / 3
      local res, tot = 0, 0
      for i = 1, 3 do res = res + (a[i] - b[i]) ^ 2; tot = tot + (a[i] - m) ^ 2 end
      return 1 - res / tot
    end
    close(M.r2(Y, P), (r2({ 0.5, -1, 7 }, { 0, -1, 8 }) + r2({ 1, 1, -6 }, { 2, 2, -5 })) / 2, 1e-15)
  end)
  it("help() knows every metric", function()
    for _, k in ipairs{ "accuracy", "confusion_matrix", "precision", "recall", "f1", "roc_curve", "auc", "r2", "mse", "mae" } do
      assert(gd._docs[M[k]], k)
    end
  end)
end)
