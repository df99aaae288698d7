-- Gradcheck cases for slicing, indexing, cat and stack, and for their
-- adjoints (embed, index_add, mask_scatter), which are the backward ops of
-- the former: they are reached by differentiating a first gradient
-- (gd.grad inside the checked function), so second-order cases.
-- Results are multiplied by weights so that a gradient sent to the wrong
-- element shows.  The view bindings (x.T, transpose, squeeze, unsqueeze,
-- narrow, x[i], x[{...}] with negative indices and steps) are exercised here
-- too, under the op they record.
local a23 = {{0.3, -1.2, 0.7}, {1.5, 0.4, -0.6}}
local a34 = {{0.3, -1.2, 0.7, 2.1}, {1.5, 0.4, -0.6, 0.9}, {-0.8, 1.1, 0.25, -1.9}}
local b3 = {0.9, -0.5, 1.3}
local b4 = {0.9, -0.5, 1.3, -2.2}

local function w(...) return gd.tensor(...) end

-- The many-input case: more tensors than one node of the backward pass takes.
local function many(join, dim)
  return function(x)
    local xs = {}
    for i = 1, 70 do xs[i] = x * i end
    local y = join(xs, dim)
    return y * gd.arange(1, y:numel() + 1):reshape(y.shape)
  end
end

return {
  slice = {
    { name = "narrow", f = function(x) return x:narrow(2, 2, 2) * w{{1, 2}, {3, 4}} end, inputs = { a23 } },
    { name = "range with step", f = function(x) return x[{{}, {1, 4, 2}}] * w{{1, 2}, {3, 4}, {5, 6}} end, inputs = { a34 } },
    { name = "negative range", f = function(x) return x[{{-2, -1}, {-3}}] * w{{1}, {2}} end, inputs = { a34 } },
    { name = "slice of a slice", f = function(x) return x[{{2, 3}}][{{}, {2, -1, 2}}] * w{{1, 2}, {3, 4}} end, inputs = { a34 } },
    { name = "of x.T", f = function(x) return x.T[{{2, 3}}] * w{{1, 2}, {3, 4}} end, inputs = { a23 } },
    { name = "of transpose", f = function(x) return x:transpose(1, 2):narrow(1, 1, 2) * w{{1, 2, 3}, {4, 5, 6}} end, inputs = { a34 } },
    { name = "of a watched view", f = function(x) return x:t()[{{1, 4, 3}, {2, 3}}] * w{{1, 2}, {3, 4}} end, inputs = { a34 } },
    { name = "empty range", f = function(x) return x[{{3, 2}}]:sum() + (x * x):sum() end, inputs = { a34 } },
    { name = "all of x", f = function(x) return x[{}] * w{{1, 2, 3}, {4, 5, 6}} end, inputs = { a23 } },
  },
  select = {
    { name = "dim 2", f = function(x) return x:select(2, 3) * w{1, 2} end, inputs = { a23 } },
    { name = "row x[i]", f = function(x) return x[2] * w{1, 2, 3, 4} end, inputs = { a34 } },
    { name = "negative x[-1]", f = function(x) return x[-1] * w{1, 2, 3, 4} end, inputs = { a34 } },
    { name = "negative select", f = function(x) return x:select(2, -2) * w{1, 2, 3} end, inputs = { a34 } },
    { name = "mixed key", f = function(x) return x[{-1, {2, 4, 2}}] * w{1, 2} end, inputs = { a34 } },
    { name = "of 1-d select", f = function(x) return x:select(1, 2) * 3 end, inputs = { b4 } },
    { name = "unsqueeze/squeeze", f = function(x)
        return x:unsqueeze(1):unsqueeze(-1):select(1, 1):squeeze() * w{{1, 2, 3}, {4, 5, 6}}
      end, inputs = { a23 } },
    { name = "squeeze dim", f = function(x) return x:reshape(2, 1, 3):squeeze(2)[2] * w{1, 2, 3} end, inputs = { a23 } },
  },
  index = {
    { name = "dim 1 with repeats", f = function(x) return x:index(1, {2, 1, 2}) * w{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}} end, inputs = { a23 } },
    { name = "dim 2 negative", f = function(x) return x:index(2, {-1, 1}) * w{{1, 2}, {3, 4}} end, inputs = { a23 } },
    { name = "1-d", f = function(x) return x:index(1, gd.tensor{4, 4, 1}) * w{1, 2, 3} end, inputs = { b4 } },
    { name = "of a view", f = function(x) return x.T:index(1, {3, 1}) * w{{1, 2}, {3, 4}} end, inputs = { a23 } },
  },
  mask = {
    { name = "same shape", f = function(x) return x:mask(gd.tensor{{1, 0, 1}, {0, 1, 1}}) * w{1, 2, 3, 4} end, inputs = { a23 } },
    { name = "broadcast mask", f = function(x) return x:mask(gd.tensor{1, 0, 1}) * w{1, 2, 3, 4} end, inputs = { a23 } },
    { name = "from a comparison", f = function(x) return x:mask(x:gt(0)) ^ 2 end, inputs = { a23 } },
  },
  cat = {
    { name = "dim 1", f = function(a, b) return gd.cat({a, b}) * w{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}} end, inputs = { a23, {b3} } },
    { name = "dim 2", f = function(a, b) return gd.cat({a, b}, 2) * gd.arange(1, 11):reshape(2, 5) end, inputs = { a23, {{1, 2}, {3, 4}} } },
    { name = "same input twice", f = function(a) return gd.cat({a, a * a, a}, -1) * gd.arange(1, 10) end, inputs = { b3 } },
    { name = "70 inputs", f = many(gd.cat, 1), inputs = { {0.5, -1.5} } },
  },
  stack = {
    { name = "dim 1", f = function(a, b) return gd.stack({a, b}) * w{{1, 2, 3}, {4, 5, 6}} end, inputs = { b3, {0.1, 0.2, 0.3} } },
    { name = "dim 2 of matrices", f = function(a, b) return gd.stack({a, b}, 2) * gd.arange(1, 13):reshape(2, 2, 3) end, inputs = { a23, a23 } },
    { name = "last dim", f = function(a) return gd.stack({a, a ^ 2}, -1) * gd.arange(1, 7):reshape(3, 2) end, inputs = { b3 } },
    { name = "70 inputs", f = many(gd.stack, 2), inputs = { {0.5, -1.5} } },
  },
  embed = {
    { name = "grad of select", f = function(x)
        return gd.grad(function(y) return (y:select(1, 2) ^ 3):sum() end)(x) * w{{1, 2, 3}, {4, 5, 6}}
      end, inputs = { a23 } },
    { name = "grad of a stepped slice", f = function(x)
        return gd.grad(function(y) return (y[{{}, {1, 4, 2}}] ^ 3 * w{{1, 2}, {3, 4}, {5, 6}}):sum() end)(x)
          * gd.arange(1, 13):reshape(3, 4)
      end, inputs = { a34 } },
    { name = "grad of narrow", f = function(x)
        return gd.grad(function(y) return gd.sin(y:narrow(1, 2, 2)):sum() end)(x) * w{1, 2, 3, 4}
      end, inputs = { b4 } },
  },
  index_add = {
    { name = "grad of index with repeats", f = function(x)
        return gd.grad(function(y) return (y:index(1, {2, 1, 2}) ^ 3 * w{{1}, {2}, {3}}):sum() end)(x)
          * w{{1, 2, 3}, {4, 5, 6}}
      end, inputs = { a23 } },
    { name = "grad of index dim 2", f = function(x)
        return gd.grad(function(y) return gd.exp(y:index(2, {3, 3})):sum() end)(x) * w{{1, 2, 3}, {4, 5, 6}}
      end, inputs = { a23 } },
  },
  mask_scatter = {
    { name = "grad of mask", f = function(x)
        return gd.grad(function(y) return (y:mask(gd.tensor{{1, 0, 1}, {1, 1, 0}}) ^ 3 * w{1, 2, 3, 4}):sum() end)(x)
          * w{{1, 2, 3}, {4, 5, 6}}
      end, inputs = { a23 } },
    { name = "grad of broadcast mask", f = function(x)
        return gd.grad(function(y) return gd.exp(y:mask(gd.tensor{0, 1, 1})):sum() end)(x) * w{{1, 2, 3}, {4, 5, 6}}
      end, inputs = { a23 } },
  },
}
