-- gd.data: mini-batches, train/validation/test splits, CSV files (parser in C).
local gd = require "gd"
local C = require("gd.core")._nn

local M = {}

--- gd.data.batches(x, y, size, {shuffle = false}): iterator of (xb, yb, i) over row batches; the last may be short
function M.batches(x, y, size, o)
  if type(size) ~= "number" or size < 1 then error("gd.data.batches: argument 3: positive batch size expected", 2) end
  local n = #x
  if y ~= nil and #y ~= n then error("gd.data.batches: x has " .. n .. " rows, y has " .. #y, 2) end
  local idx = (o and o.shuffle) and gd.randperm(n) or nil
  local b, nb = 0, math.ceil(n / size)
  return function()
    b = b + 1
    if b > nb then return nil end
    local lo = (b - 1) * size + 1
    local cnt = math.min(size, n - lo + 1)
    if idx then
      local ids = idx:narrow(1, lo, cnt)
      return x:index(1, ids), y and y:index(1, ids), b
    end
    return x:narrow(1, lo, cnt), y and y:narrow(1, lo, cnt), b
  end
end

--- gd.data.split(x, y, {train = 0.8, val = 0, test = 0.2, shuffle = true}): xtr, ytr, xval, yval, xte, yte (fractions of the rows)
function M.split(x, y, o)
  o = o or {}
  local n = #x
  if y ~= nil and #y ~= n then error("gd.data.split: x has " .. n .. " rows, y has " .. #y, 2) end
  local tr, va = o.train, o.val or 0
  local te = o.test
  if tr == nil and te == nil then tr, te = 0.8, 0.2 - va end
  if tr == nil then tr = 1 - va - te end
  if te == nil then te = 1 - tr - va end
  if tr < 0 or va < 0 or te < 0 or tr + va + te > 1 + 1e-12 then
    error("gd.data.split: fractions must be non-negative and sum to at most 1", 2)
  end
  local ntr = math.floor(n * tr + 0.5)
  local nva = math.floor(n * va + 0.5)
  local nte = math.min(n - ntr - nva, math.floor(n * te + 0.5))
  local shuffle = o.shuffle
  if shuffle == nil then shuffle = true end
  local idx = shuffle and gd.randperm(n) or gd.arange(1, n + 1)
  local function part(lo, cnt)
    if cnt <= 0 then return nil, nil end
    local ids = idx:narrow(1, lo, cnt)
    return x:index(1, ids), y and y:index(1, ids)
  end
  local xtr, ytr = part(1, ntr)
  local xva, yva = part(ntr + 1, nva)
  local xte, yte = part(ntr + nva + 1, nte)
  return xtr, ytr, xva, yva, xte, yte
end

--- gd.data.read_csv(path, {header = false}): a rows×cols tensor (missing values NaN) and, with a header, the column names
function M.read_csv(path, o)
  local header = o and o.header or false
  return C.read_csv(path, header)
end

--- gd.data.write_csv(path, x, {header = {names}}): write a 1-d or 2-d tensor, %.17g, NaN as an empty field (a plain list of names is the header too)
function M.write_csv(path, x, o)
  if type(x) ~= "userdata" then x = gd.tensor(x) end
  if o ~= nil and type(o) ~= "table" then
    error("gd.data.write_csv: argument 3: options table expected, got " .. type(o), 2)
  end
  local header = o and (o.header or (type(o[1]) == "string" and o or nil))
  return C.write_csv(path, x, header)
end

for k, f in pairs(M) do gd.doc(f, "gd.data." .. k) end
gd.doc(M.batches, "gd.data.batches(x, y, size, {shuffle = false}): iterator of (xb, yb, i); the last batch may be short")
gd.doc(M.split, "gd.data.split(x, y, {train, val, test, shuffle = true}): xtr, ytr, xval, yval, xte, yte")
gd.doc(M.read_csv, "gd.data.read_csv(path, {header = false}): tensor (missing → NaN)[, names]")
gd.doc(M.write_csv, "gd.data.write_csv(path, x, {header = {names}}): write a 1-d or 2-d tensor")
-- datasets, scalers and one_hot live in gd/datasets.lua
for k, f in pairs(require "gd.datasets") do M[k] = f end
return M
