-- Gradcheck cases for the array functions' ops (log10, log2, cumsum,
-- cumprod), first and second order.  Results are multiplied by weights so
-- that a gradient sent to the wrong element shows.  The composed array
-- functions (sort, quantile, softmax, diag, kron, ...) record existing ops;
-- their gradchecks are in tests/arrays_spec.lua.
local pos23 = {{0.3, 1.2, 0.7}, {1.5, 0.4, 2.6}}
local a23 = {{0.3, -1.2, 0.7}, {1.5, 0.4, -0.6}}
local function w(...) return gd.tensor(...) end
local W23 = w{{1, -2, 3}, {0.5, 4, -1}}

return {
  log10 = {
    { f = function(x) return gd.log10(x) * W23 end, inputs = { pos23 } },
    { name = "second order", f = function(x) return gd.grad(function(t) return (t:log10() * W23):sum() end)(x) end, inputs = { pos23 } },
  },
  log2 = {
    { f = function(x) return x:log2() * W23 end, inputs = { pos23 } },
    { name = "second order", f = function(x) return gd.grad(function(t) return (t:log2() ^ 2):sum() end)(x) end, inputs = { pos23 } },
  },
  cumsum = {
    { name = "dim 2", f = function(x) return x:cumsum(2) * W23 end, inputs = { a23 } },
    { name = "dim 1", f = function(x) return gd.cumsum(x, 1) * W23 end, inputs = { a23 } },
    { name = "flattened", f = function(x) return x:cumsum() * w{1, 2, 3, 4, 5, 6} end, inputs = { a23 } },
    { name = "of a transposed view", f = function(x) return x.T:cumsum(1) * W23.T end, inputs = { a23 } },
    { name = "second order", f = function(x) return gd.grad(function(t) return (t:cumsum(2) ^ 3 * W23):sum() end)(x) end, inputs = { a23 } },
  },
  cumprod = {
    { name = "no zeros", f = function(x) return x:cumprod(2) * W23 end, inputs = { a23 } },
    { name = "dim 1", f = function(x) return x:cumprod(1) * W23 end, inputs = { a23 } },
    { name = "a zero in a lane", f = function(x) return x:cumprod(2) * W23 end,
      inputs = { {{0.3, 0, 0.7}, {1.5, 0.4, -0.6}} }, opts = { eps = 1e-7 } },
    { name = "two zeros and a leading zero", f = function(x) return x:cumprod() * w{1, 2, 3, 4, 5} end,
      inputs = { {0, 1.5, 0, 0.5, 2} }, opts = { eps = 1e-7 } },
    { name = "second order", f = function(x) return gd.grad(function(t) return (t:cumprod(2) * W23):sum() end)(x) end, inputs = { a23 } },
    { name = "second order with a zero", f = function(x) return gd.grad(function(t) return (t:cumprod(2) * W23):sum() end)(x) end,
      inputs = { {{0.3, 0, 0.7}, {1.5, 0.4, -0.6}} }, opts = { eps = 1e-7 } },
    { name = "second order with two zeros", f = function(x) return gd.grad(function(t) return (t:cumprod() * w{1, -2, 3, 0.5, 2}):sum() end)(x) end,
      inputs = { {0.5, 0, 2, 0, 1.5} }, opts = { eps = 1e-7 } },
  },
}
