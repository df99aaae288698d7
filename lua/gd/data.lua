-- gd.data: mini-batches, train/validation/test splits, CSV files (parser in C).
local gd = require "gd"
local C = require("gd.core")._nn

local check = require "gd.check"

local M = {}

--- gd.data.as_tensor(v[, fname, what]): v as a tensor (a tensor as it is, a nested table or number converted); anything else is an error naming fname (a gd function, "gd.…") and what
function M.as_tensor(v, fname, what)
  if type(v) == "userdata" then return v end
  if type(fname) ~= "string" or fname:sub(1, 3) ~= "gd." then fname = "gd.data.as_tensor" end
  if type(what) ~= "string" then what = "argument 1" end
  if type(v) ~= "table" and type(v) ~= "number" then
    check.fail(fname, "%s: tensor expected, got %s", what, check.show(v))
  end
  return check.call(gd.tensor, v)
end
local as_tensor = M.as_tensor

-- x (and y, when given) as tensors with at least one dim and the same rows.
local function rows_of(fname, x, y)
  x = as_tensor(x, fname, "x")
  if x.ndim < 1 then check.fail(fname, "x must have at least 1 dim, got a 0-d tensor") end
  if y ~= nil then
    y = as_tensor(y, fname, "y")
    if y.ndim < 1 then check.fail(fname, "y must have at least 1 dim, got a 0-d tensor") end
    if #y ~= #x then check.fail(fname, "x has %d rows, y has %d", #x, #y) end
  end
  return x, y
end

--- gd.data.batches(x, y, size, {shuffle = false}): iterator of (xb, yb, i) over row batches; the last may be short
function M.batches(x, y, size, o)
  local fname = "gd.data.batches"
  x, y = rows_of(fname, x, y)
  size = check.integer(fname, "argument 3 (batch size)", size, 1)
  o = check.opts(fname, o, { "shuffle" }, 4)
  local n = #x
  local idx = check.boolean(fname, "shuffle", o.shuffle, false) and gd.randperm(n) or nil
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
  local fname = "gd.data.split"
  x, y = rows_of(fname, x, y)
  o = check.opts(fname, o, { "train", "val", "test", "shuffle" }, 3)
  local function frac(k)
    if o[k] ~= nil then return check.number(fname, k, o[k], 0, 1) end
  end
  local n = #x
  local tr, va, te = frac("train"), frac("val") or 0, frac("test")
  if tr == nil and te == nil then tr, te = 0.8, math.max(0, 0.2 - va) end
  if tr == nil then tr = 1 - va - te end
  if te == nil then te = 1 - tr - va end
  if tr < 0 or te < 0 or tr + va + te > 1 + 1e-12 then
    check.fail(fname, "fractions must be non-negative and sum to at most 1, got train %s, val %s, test %s",
      check.show(tr), check.show(va), check.show(te))
  end
  local ntr = math.floor(n * tr + 0.5)
  local nva = math.floor(n * va + 0.5)
  local nte = math.min(n - ntr - nva, math.floor(n * te + 0.5))
  local shuffle = check.boolean(fname, "shuffle", o.shuffle, true)
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
  local fname = "gd.data.read_csv"
  if type(path) ~= "string" then check.fail(fname, "argument 1: path expected, got %s", check.show(path)) end
  o = check.opts(fname, o, { "header" }, 2)
  return check.call(C.read_csv, path, check.boolean(fname, "header", o.header, false))
end

--- gd.data.write_csv(path, x, {header = {names}}): write a 1-d or 2-d tensor atomically, %.17g, NaN as an empty field (a plain list of names is the header too) → true, or nil, message
function M.write_csv(path, x, o)
  local fname = "gd.data.write_csv"
  if type(path) ~= "string" then check.fail(fname, "argument 1: path expected, got %s", check.show(path)) end
  x = as_tensor(x, fname, "argument 2")
  local header
  if o ~= nil and type(o) == "table" and o[1] ~= nil then
    header = o                                   -- write_csv(path, x, {"a", "b"})
  else
    header = check.opts(fname, o, { "header" }, 3).header
  end
  if header ~= nil then
    check.list(fname, "header", header)
    local names = {}
    for k, v in pairs(header) do
      if math.type(k) ~= "integer" or k < 1 or k > #header then
        check.fail(fname, "header: a list of names expected, got key %s", check.show(k))
      end
      if type(v) ~= "string" and type(v) ~= "number" then
        check.fail(fname, "header[%d]: string expected, got %s", k, check.show(v))
      end
      names[k] = tostring(v)
    end
    local cols = x.ndim == 2 and x.shape[2] or 1
    if x.ndim >= 1 and x.ndim <= 2 and #names ~= cols then
      check.fail(fname, "the header has %d names for %d columns (shape %s)", #names, cols,
        "{" .. table.concat(x.shape, ",") .. "}")
    end
    header = names
  end
  return check.call(C.write_csv, path, x, header)
end

for k, f in pairs(M) do gd.doc(f, "gd.data." .. k) end
gd.doc(M.as_tensor, "gd.data.as_tensor(v[, fname, what]): v as a tensor (nested tables and numbers converted), else an error naming fname")
gd.doc(M.batches, "gd.data.batches(x, y, size, {shuffle = false}): iterator of (xb, yb, i); the last batch may be short")
gd.doc(M.split, "gd.data.split(x, y, {train, val, test, shuffle = true}): xtr, ytr, xval, yval, xte, yte")
gd.doc(M.read_csv, "gd.data.read_csv(path, {header = false}): tensor (missing → NaN)[, names]")
gd.doc(M.write_csv, "gd.data.write_csv(path, x, {header = {names}}): write a 1-d or 2-d tensor atomically → true, or nil, message")
-- datasets, scalers and one_hot live in gd/datasets.lua
for k, f in pairs(require "gd.datasets") do M[k] = f end
return M
