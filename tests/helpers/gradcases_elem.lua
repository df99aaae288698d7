-- Gradcheck cases for the elementwise ops, reductions and basic views.
-- Each op maps to a list of {f = function(inputs...), inputs = {...}}; the
-- inputs avoid kinks (abs, relu at 0) and ties unless a case is about them.
local a23 = {{0.3, -1.2, 0.7}, {1.5, 0.4, -0.6}}
local b3 = {0.9, -0.5, 1.3}
local col2 = {{0.8}, {-1.1}}
local pos23 = {{0.3, 1.2, 0.7}, {1.5, 0.4, 2.6}}

local function bin(fn)
  return {
    { name = "same shape", f = fn, inputs = { a23, {{1.1, 0.6, -0.9}, {0.2, -1.7, 0.45}} } },
    { name = "broadcast row", f = fn, inputs = { a23, b3 } },
    { name = "broadcast col", f = fn, inputs = { col2, b3 } },
    { name = "scalar", f = fn, inputs = { a23, 0.7 } },
  }
end

local function un(fn, inputs)
  return { { f = fn, inputs = { inputs or a23 } }, { name = "view", f = function(x) return fn(x.T) end, inputs = { inputs or a23 } } }
end

local function red(name)
  return {
    { name = "all", f = function(x) return x[name](x) end, inputs = { pos23 } },
    { name = "dim 1", f = function(x) return x[name](x, 1) end, inputs = { pos23 } },
    { name = "dim -1 keepdim", f = function(x) return x[name](x, -1, true) * gd.tensor{{1}, {2}} end, inputs = { pos23 } },
  }
end

return {
  add = bin(function(a, b) return a + b end),
  sub = bin(function(a, b) return a - b end),
  mul = bin(function(a, b) return a * b end),
  div = {
    { f = function(a, b) return a / b end, inputs = { a23, pos23 } },
    { name = "broadcast", f = function(a, b) return a / b end, inputs = { col2, {1.3, 0.8, 2.1} } },
  },
  pow = {
    { name = "positive base", f = function(a, b) return a ^ b end, inputs = { pos23, {{1.5, 0.5, 2.2}, {0.3, 1.7, 2}} } },
    { name = "scalar exponent", f = function(a) return a ^ 3 end, inputs = { a23 } },
    { name = "scalar base", f = function(b) return 2 ^ b end, inputs = { a23 } },
  },
  mod = { { f = function(a, b) return a % b end, inputs = { {{2.3, -1.7, 5.2}}, {{1.1, 0.9, -2.1}} } } },
  maximum = {
    { f = function(a, b) return gd.maximum(a, b) end, inputs = { a23, b3 } },
    { name = "ties split", f = function(a, b) return gd.maximum(a, b) * 1 end, inputs = { {1, 2}, {3, 0.5} } },
  },
  minimum = { { f = function(a, b) return gd.minimum(a, b) end, inputs = { a23, b3 } } },
  where = { { f = function(a, b) return gd.where(gd.tensor{1, 0, 1}, a, b) end, inputs = { a23, col2 } } },
  neg = un(function(x) return -x end),
  exp = un(gd.exp),
  log = un(gd.log, pos23),
  log1p = un(gd.log1p, pos23),
  expm1 = un(gd.expm1),
  sqrt = un(gd.sqrt, pos23),
  abs = un(gd.abs),
  sin = un(gd.sin),
  cos = un(gd.cos),
  tan = un(gd.tan),
  tanh = un(gd.tanh),
  sigmoid = un(gd.sigmoid),
  relu = un(gd.relu),
  softplus = un(gd.softplus),
  sign = un(function(x) return gd.sign(x) * x end),
  floor = un(function(x) return gd.floor(x) + x end),
  ceil = un(function(x) return gd.ceil(x) + x end),
  round = un(function(x) return gd.round(x) + x end, {{0.3, -1.2, 0.7}, {1.4, 0.4, -0.6}}),
  square = un(gd.square),
  copy = un(function(x) return x:copy() end),
  erf = un(gd.erf),
  erfc = un(function(x) return x:erfc() end),
  lgamma = {
    { f = gd.lgamma, inputs = { pos23 } },
    { name = "negative non-integers", f = gd.lgamma, inputs = { {-0.5, -1.3, -2.7} } },
    { name = "second order", f = function(x) return gd.grad(function(t) return t:lgamma():sum() end)(x) end, inputs = { pos23 } },
  },
  digamma = un(gd.digamma, pos23),
  trigamma = {
    { f = gd.trigamma, inputs = { pos23 } },
    { name = "negative non-integers", f = function(x) return x:trigamma() end, inputs = { {-0.5, -1.3, -2.7} } },
  },
  sum = red("sum"),
  mean = red("mean"),
  var = {
    { f = function(x) return x:var() end, inputs = { pos23 } },
    { name = "ddof 1, dim 2", f = function(x) return x:var(2, false, { ddof = 1 }) end, inputs = { pos23 } },
  },
  std = {
    { f = function(x) return x:std() end, inputs = { pos23 } },
    { name = "dim 1 keepdim", f = function(x) return x:std(1, true) end, inputs = { pos23 } },
  },
  max = {
    { f = function(x) return x:max() end, inputs = { pos23 } },
    { name = "dim 2", f = function(x) return (x:max(2)) end, inputs = { pos23 } },
  },
  min = {
    { f = function(x) return x:min() end, inputs = { pos23 } },
    { name = "dim 1", f = function(x) return (x:min(1)) end, inputs = { pos23 } },
  },
  prod = (function()   -- the generic cases, and exact zeros (one, two per slice)
    local l = red("prod")
    local z = {{0.0, 1.5, -0.7}, {0.0, 0.0, 1.2}}
    l[#l + 1] = { name = "zeros, all", f = function(x) return x:prod() end, inputs = { {0.0, 1.5, -0.7, 2.0} } }
    l[#l + 1] = { name = "zeros, dim 2", f = function(x) return x:prod(2) * gd.tensor{1, -2} end, inputs = { z } }
    l[#l + 1] = { name = "zeros, dim 1 keepdim", f = function(x) return x:prod(1, true) * gd.tensor{{1, 2, 3}} end, inputs = { z } }
    return l
  end)(),
  logsumexp = red("logsumexp"),
  norm = red("norm"),
  sum_to = { { name = "through broadcasting", f = function(a, b) return (a * b):sum() end, inputs = { col2, b3 } } },
  reshape = un(function(x) return x:reshape(3, 2) * gd.tensor{1, 2} end),
  permute = { { f = function(x) return x:permute(3, 1, 2) * gd.tensor{1, 2} end, inputs = { {{{0.1, 0.2}, {0.3, 0.4}}, {{0.5, 0.6}, {0.7, 0.8}}} } } },
  expand = { { f = function(x) return x:expand(2, 3) * gd.tensor{{1, 2, 3}, {4, 5, 6}} end, inputs = { b3 } } },
}
