-- gd.metrics: scikit-learn's classification and regression metrics.
--
-- Each takes the truth first and the prediction second (tensors or Lua
-- tables, any shape, the same number of elements) and returns Lua numbers
-- (confusion_matrix and roc_curve: tensors), with scikit-learn's values:
-- labels are compared as numbers, binary averages score pos_label (1), a
-- ratio with a zero denominator is 0 (sklearn's zero_division default),
-- roc_curve drops collinear points and starts its thresholds at +inf.
-- These are evaluation numbers, not differentiable: the losses that train
-- are in gd.losses.
local gd = require "gd"
local check = require "gd.check"

local M = {}

-- The values of v (tensor, table or number) as a flat Lua list.
local function flat(fname, what, v)
  if type(v) == "number" then return { v } end
  if type(v) == "userdata" then v = v:detach():reshape(-1):totable()
  elseif type(v) ~= "table" then
    check.fail(fname, "%s: tensor or table expected, got %s", what, check.show(v))
  end
  local out = {}
  local function walk(t)
    for _, e in ipairs(t) do
      if type(e) == "table" then walk(e)
      elseif type(e) == "number" then out[#out + 1] = e
      else check.fail(fname, "%s: numbers expected, got %s", what, check.show(e)) end
    end
  end
  walk(v)
  return out
end

-- y and yhat as flat lists of equal length.
local function pair(fname, y, yhat, names)
  local a = flat(fname, "argument 1 (" .. (names and names[1] or "y") .. ")", y)
  local b = flat(fname, "argument 2 (" .. (names and names[2] or "yhat") .. ")", yhat)
  if #a ~= #b then
    check.fail(fname, "%s has %d elements, %s has %d", names and names[1] or "y", #a,
      names and names[2] or "yhat", #b)
  end
  return a, b
end

local function nonempty(fname, a)
  if #a == 0 then check.fail(fname, "no samples") end
  return a
end

-- The sorted distinct values of lists a and b.
local function labels_of(a, b)
  local seen, out = {}, {}
  for _, l in ipairs({ a, b }) do
    for _, v in ipairs(l) do
      if not seen[v] then seen[v] = true; out[#out + 1] = v end
    end
  end
  table.sort(out)
  return out
end

local function ratio(num, den) return den == 0 and 0 or num / den end

-- ---- classification ----------------------------------------------------------------

--- gd.metrics.accuracy(y, yhat): the fraction of elements where yhat equals y
function M.accuracy(y, yhat)
  local f = "gd.metrics.accuracy"
  local a, b = pair(f, y, yhat)
  nonempty(f, a)
  local hit = 0
  for i = 1, #a do if a[i] == b[i] then hit = hit + 1 end end
  return hit / #a
end

--- gd.metrics.confusion_matrix(y, yhat[, k]): C[i][j] = #{true label i, predicted j}; labels 1..k, or (no k) the sorted labels seen, returned second
function M.confusion_matrix(y, yhat, k)
  local f = "gd.metrics.confusion_matrix"
  local a, b = pair(f, y, yhat)
  local labels
  if k ~= nil then
    k = check.integer(f, "argument 3 (k)", k, 1)
    labels = {}
    for i = 1, k do labels[i] = i end
    for _, l in ipairs({ a, b }) do
      for _, v in ipairs(l) do
        if v ~= math.floor(v) or v < 1 or v > k then
          check.fail(f, "label %s outside 1..k = %d", check.show(v), k)
        end
      end
    end
  else
    labels = labels_of(a, b)
  end
  local pos = {}
  for i, v in ipairs(labels) do pos[v] = i end
  local n = #labels
  local c = {}
  for i = 1, n do c[i] = {}; for j = 1, n do c[i][j] = 0 end end
  for i = 1, #a do
    local r, s = pos[a[i]], pos[b[i]]
    c[r][s] = c[r][s] + 1
  end
  return n == 0 and gd.zeros(0, 0) or gd.tensor(c), gd.tensor(labels)
end

-- Per-label counts: tp[l], fp[l], fn[l] for each label l of list labels.
local function counts(a, b, labels)
  local tp, fp, fn = {}, {}, {}
  for _, l in ipairs(labels) do tp[l], fp[l], fn[l] = 0, 0, 0 end
  for i = 1, #a do
    if a[i] == b[i] then
      if tp[a[i]] then tp[a[i]] = tp[a[i]] + 1 end
    else
      if fp[b[i]] then fp[b[i]] = fp[b[i]] + 1 end
      if fn[a[i]] then fn[a[i]] = fn[a[i]] + 1 end
    end
  end
  return tp, fp, fn
end

local scores = {
  precision = function(tp, fp) return ratio(tp, tp + fp) end,
  recall = function(tp, _, fn) return ratio(tp, tp + fn) end,
  f1 = function(tp, fp, fn) return ratio(2 * tp, 2 * tp + fp + fn) end,
}

-- One of precision, recall, f1 with options {average = "binary" | "macro" | "micro", pos_label = 1}.
local function averaged(name, y, yhat, o)
  local f = "gd.metrics." .. name
  local a, b = pair(f, y, yhat)
  o = check.opts(f, o, { "average", "pos_label" }, 3)
  local avg = check.oneof(f, "average", o.average or "binary", { "binary", "macro", "micro" })
  local score = scores[name]
  if avg == "binary" then
    local pos = check.number(f, "pos_label", o.pos_label or 1)
    local labels = labels_of(a, b)
    if #labels > 2 then
      check.fail(f, "average = \"binary\" needs at most 2 labels, got %d (use {average = \"macro\"})", #labels)
    end
    local tp, fp, fn = counts(a, b, { pos })
    return score(tp[pos], fp[pos], fn[pos])
  end
  if o.pos_label ~= nil then check.fail(f, "pos_label is only for average = \"binary\"") end
  local labels = labels_of(a, b)
  local tp, fp, fn = counts(a, b, labels)
  if avg == "micro" then
    local T, F, N = 0, 0, 0
    for _, l in ipairs(labels) do T, F, N = T + tp[l], F + fp[l], N + fn[l] end
    return score(T, F, N)
  end
  local s = 0
  for _, l in ipairs(labels) do s = s + score(tp[l], fp[l], fn[l]) end
  return ratio(s, #labels)
end

--- gd.metrics.precision(y, yhat, {average = "binary" | "macro" | "micro", pos_label = 1}): tp / (tp + fp)
function M.precision(y, yhat, o) return averaged("precision", y, yhat, o) end
--- gd.metrics.recall(y, yhat, {average, pos_label}): tp / (tp + fn)
function M.recall(y, yhat, o) return averaged("recall", y, yhat, o) end
--- gd.metrics.f1(y, yhat, {average, pos_label}): 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall
function M.f1(y, yhat, o) return averaged("f1", y, yhat, o) end

--- gd.metrics.roc_curve(y, score, {pos_label = 1, drop_intermediate = true}): fpr, tpr, thresholds (thresholds[1] = inf)
function M.roc_curve(y, score, o)
  local f = "gd.metrics.roc_curve"
  local a, s = pair(f, y, score, { "y", "score" })
  o = check.opts(f, o, { "pos_label", "drop_intermediate" }, 3)
  local pos = check.number(f, "pos_label", o.pos_label or 1)
  local drop = check.boolean(f, "drop_intermediate", o.drop_intermediate, true)
  nonempty(f, a)
  for i, v in ipairs(s) do
    if v ~= v then check.fail(f, "score[%d] is nan", i) end
  end
  local order = {}
  for i = 1, #s do order[i] = i end
  table.sort(order, function(i, j) return s[i] > s[j] or (s[i] == s[j] and i < j) end)
  -- one point per distinct score, from the highest: cumulative tp and fp
  local tps, fps, th = {}, {}, {}
  local tp, fp = 0, 0
  for r, i in ipairs(order) do
    if a[i] == pos then tp = tp + 1 else fp = fp + 1 end
    if r == #order or s[order[r + 1]] ~= s[i] then
      tps[#tps + 1], fps[#fps + 1], th[#th + 1] = tp, fp, s[i]
    end
  end
  if drop and #tps > 2 then         -- keep the ends and the corners (second differences ≠ 0)
    local kt, kf, kth = { tps[1] }, { fps[1] }, { th[1] }
    for i = 2, #tps - 1 do
      local d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1]
      local d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1]
      if d2f ~= 0 or d2t ~= 0 then kt[#kt + 1], kf[#kf + 1], kth[#kth + 1] = tps[i], fps[i], th[i] end
    end
    kt[#kt + 1], kf[#kf + 1], kth[#kth + 1] = tps[#tps], fps[#fps], th[#th]
    tps, fps, th = kt, kf, kth
  end
  table.insert(tps, 1, 0)
  table.insert(fps, 1, 0)
  table.insert(th, 1, math.huge)
  local P, N = tps[#tps], fps[#fps]
  local fpr, tpr = {}, {}
  for i = 1, #tps do
    fpr[i] = N == 0 and 0 / 0 or fps[i] / N    -- sklearn: nan when a class is missing
    tpr[i] = P == 0 and 0 / 0 or tps[i] / P
  end
  return gd.tensor(fpr), gd.tensor(tpr), gd.tensor(th)
end

--- gd.metrics.auc(x, y): area under the curve y(x) by the trapezoidal rule; x monotonic (increasing or decreasing)
function M.auc(x, y)
  local f = "gd.metrics.auc"
  local a, b = pair(f, x, y, { "x", "y" })
  if #a < 2 then check.fail(f, "at least 2 points are needed, got %d", #a) end
  local up, down = true, true
  for i = 2, #a do
    if a[i] < a[i - 1] then up = false end
    if a[i] > a[i - 1] then down = false end
  end
  if not (up or down) then check.fail(f, "x is neither increasing nor decreasing") end
  local area = 0
  for i = 2, #a do area = area + (a[i] - a[i - 1]) * (b[i] + b[i - 1]) / 2 end
  return up and area or -area
end

--- gd.metrics.roc_auc(y, score, {pos_label = 1}): the area under roc_curve(y, score)
function M.roc_auc(y, score, o)
  o = check.opts("gd.metrics.roc_auc", o, { "pos_label" }, 3)
  local fpr, tpr = M.roc_curve(y, score, { pos_label = o.pos_label, drop_intermediate = false })
  return M.auc(fpr, tpr)
end

-- ---- regression -----------------------------------------------------------------------------

-- The mean over the elements of loss(y_i, yhat_i).
local function mean_loss(fname, y, yhat, loss)
  local a, b = pair(fname, y, yhat)
  nonempty(fname, a)
  local s = 0
  for i = 1, #a do s = s + loss(a[i], b[i]) end
  return s / #a
end

--- gd.metrics.mse(y, yhat): mean((y − yhat)²)
function M.mse(y, yhat)
  return mean_loss("gd.metrics.mse", y, yhat, function(a, b) return (a - b) ^ 2 end)
end

--- gd.metrics.mae(y, yhat): mean(|y − yhat|)
function M.mae(y, yhat)
  return mean_loss("gd.metrics.mae", y, yhat, function(a, b) return math.abs(a - b) end)
end

-- R² of one column (lists a, b): 1 − SS_res/SS_tot; a constant truth gives 1 if fitted exactly, else 0.
local function r2_column(a, b)
  local m = 0
  for i = 1, #a do m = m + a[i] end
  m = m / #a
  local res, tot = 0, 0
  for i = 1, #a do res = res + (a[i] - b[i]) ^ 2; tot = tot + (a[i] - m) ^ 2 end
  if tot == 0 then return res == 0 and 1 or 0 end
  return 1 - res / tot
end

--- gd.metrics.r2(y, yhat): coefficient of determination 1 − SS_res/SS_tot (2-D: the mean over columns)
function M.r2(y, yhat)
  local f = "gd.metrics.r2"
  local a, b = pair(f, y, yhat)
  nonempty(f, a)
  local cols = 1
  if type(y) == "userdata" and y.ndim == 2 then cols = y.shape[2] end
  if cols == 1 then return r2_column(a, b) end
  local s = 0
  for j = 1, cols do
    local ca, cb = {}, {}
    for i = j, #a, cols do ca[#ca + 1], cb[#cb + 1] = a[i], b[i] end
    s = s + r2_column(ca, cb)
  end
  return s / cols
end

for k, fn in pairs(M) do gd.doc(fn, "gd.metrics." .. k) end
gd.doc(M.accuracy, "gd.metrics.accuracy(y, yhat): fraction of equal labels")
gd.doc(M.confusion_matrix, "gd.metrics.confusion_matrix(y, yhat[, k]): counts C[true][predicted]; labels 1..k or those seen (2nd result)")
gd.doc(M.precision, "gd.metrics.precision(y, yhat, {average = \"binary\"|\"macro\"|\"micro\", pos_label = 1}): tp/(tp+fp)")
gd.doc(M.recall, "gd.metrics.recall(y, yhat, {average, pos_label}): tp/(tp+fn)")
gd.doc(M.f1, "gd.metrics.f1(y, yhat, {average, pos_label}): 2tp/(2tp+fp+fn)")
gd.doc(M.roc_curve, "gd.metrics.roc_curve(y, score, {pos_label = 1, drop_intermediate = true}): fpr, tpr, thresholds (from inf)")
gd.doc(M.auc, "gd.metrics.auc(x, y): trapezoidal area under y(x), x monotonic")
gd.doc(M.roc_auc, "gd.metrics.roc_auc(y, score, {pos_label = 1}): area under the ROC curve")
gd.doc(M.mse, "gd.metrics.mse(y, yhat): mean squared error")
gd.doc(M.mae, "gd.metrics.mae(y, yhat): mean absolute error")
gd.doc(M.r2, "gd.metrics.r2(y, yhat): coefficient of determination (columns averaged)")

return M
