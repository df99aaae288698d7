-- tape_shape_spec.lua: gradients through slicing, indexing, cat and stack,
-- checked against values worked out by hand (gradcheck_spec.lua compares
-- the same ops against central differences).
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

local function grad_of(f, ...)
  local xs = { ... }
  local tape <close> = gd.GradientTape()
  tape:watch(xs)
  local y = f(table.unpack(xs))
  tape:stop()
  return table.unpack(tape:gradient(y, xs, { unconnected = "zero" }))
end

describe("gradients of views and indexing", function()
  it("x[{{1, 2}, 2}]:sum() gives a 0/1 mask", function()
    local x = gd.Variable(gd.arange(1, 10):reshape(3, 3))
    local tape <close> = gd.GradientTape()
    local y = x[{{1, 2}, 2}]:sum()
    local g = tape:gradient(y, x)
    assert.same({{0, 1, 0}, {0, 1, 0}, {0, 0, 0}}, g:totable())
  end)

  it("rows, negative indices and stepped ranges", function()
    local x = gd.arange(12):reshape(3, 4)
    local g = grad_of(function(v) return v[-1]:sum() + v[{{}, {1, -1, 2}}]:sum() * 10 end, x)
    assert.same({{10, 0, 10, 0}, {10, 0, 10, 0}, {11, 1, 11, 1}}, g:totable())
  end)

  it("x.T, transpose, permute, squeeze, unsqueeze, narrow carry gradients", function()
    local x = gd.arange(6):reshape(2, 3)
    local w = gd.tensor{{1, 2}, {3, 4}, {5, 6}}
    local g = grad_of(function(v) return (v.T * w):sum() end, x)
    assert.same({{1, 3, 5}, {2, 4, 6}}, g:totable())
    g = grad_of(function(v) return (v:transpose(1, 2) * w):sum() end, x)
    assert.same({{1, 3, 5}, {2, 4, 6}}, g:totable())
    g = grad_of(function(v) return (v:unsqueeze(1):squeeze(1):narrow(2, 2, 2) * gd.tensor{1, 2}):sum() end, x)
    assert.same({{0, 1, 2}, {0, 1, 2}}, g:totable())
    g = grad_of(function(v) return (v:reshape(1, 2, 3):permute(3, 1, 2):squeeze() * w):sum() end, x)
    assert.same({{1, 3, 5}, {2, 4, 6}}, g:totable())
  end)

  it("contiguous copies of views keep the gradient", function()
    local x = gd.arange(6):reshape(2, 3)
    local g = grad_of(function(v) return (v.T:contiguous() * gd.tensor{{1, 2}, {3, 4}, {5, 6}}):sum() end, x)
    assert.same({{1, 3, 5}, {2, 4, 6}}, g:totable())
  end)

  it("index accumulates repeated indices", function()
    local x = gd.tensor{1, 2, 3, 4}
    local g = grad_of(function(v) return (v:index(1, {4, 1, 4, 4}) * gd.tensor{1, 2, 3, 4}):sum() end, x)
    assert.same({2, 0, 0, 8}, g:totable())
  end)

  it("mask sends the gradient to the selected elements", function()
    local x = gd.tensor{{-1, 2}, {3, -4}}
    local g = grad_of(function(v) return (v:mask(v:gt(0)) ^ 2):sum() end, x)
    assert.same({{0, 4}, {6, 0}}, g:totable())
  end)

  it("cat of two variables", function()
    local a, b = gd.Variable{{1, 2}}, gd.Variable{{3, 4}, {5, 6}}
    local tape <close> = gd.GradientTape()
    local y = (gd.cat({a, b}) * gd.tensor{{1, 2}, {3, 4}, {5, 6}}):sum()
    local ga, gb = tape:gradient(y, a, b)
    assert.same({{1, 2}}, ga:totable())
    assert.same({{3, 4}, {5, 6}}, gb:totable())
  end)

  it("stack of variables, and one unconnected source", function()
    local a, b, c = gd.Variable{1, 2}, gd.Variable{3, 4}, gd.Variable{0, 0}
    local tape <close> = gd.GradientTape()
    local y = (gd.stack({a, b, a}, 2) * gd.tensor{{1, 2, 3}, {4, 5, 6}}):sum()
    local ga, gb, gc = tape:gradient(y, a, b, c)
    assert.same({4, 10}, ga:totable())
    assert.same({2, 5}, gb:totable())
    assert.is_nil(gc)
  end)

  it("a cat of more tensors than one node takes", function()
    local x = gd.tensor{1, 2}
    local g = grad_of(function(v)
      local parts = {}
      for i = 1, 150 do parts[i] = v * i end
      return gd.cat(parts):sum() + gd.stack(parts):sum()
    end, x)
    close(g, {2 * 150 * 151 / 2, 2 * 150 * 151 / 2})
  end)

  it("the Hessian of sum(x^3) is diag(6x)", function()
    local x = gd.tensor{1, -2, 0.5}
    local h = gd.hessian(function(v) return (v ^ 3):sum() end, x)
    close(h, {{6, 0, 0}, {0, -12, 0}, {0, 0, 3}}, 1e-12)
  end)

  it("second order through select, index and mask", function()
    local d2 = gd.grad(function(x)
      return gd.grad(function(y) return (y:select(1, 2) ^ 3):sum() end)(x):sum()
    end)
    assert.same({0, 12, 0}, d2(gd.tensor{1, 2, 3}):totable())
    local d2i = gd.grad(function(x)
      return gd.grad(function(y) return (y:index(1, {3, 3}) ^ 3):sum() end)(x):sum()
    end)
    assert.same({0, 0, 36}, d2i(gd.tensor{1, 2, 3}):totable())
    local d2m = gd.grad(function(x)
      return gd.grad(function(y) return (y:mask(gd.tensor{1, 0, 1}) ^ 3):sum() end)(x):sum()
    end)
    assert.same({6, 0, 18}, d2m(gd.tensor{1, 2, 3}):totable())
  end)

  it("hvp through cat and slices", function()
    local f = function(v) return (gd.cat({v[{{1, 2}}], v[{{2, 3}}]}) ^ 2):sum() end
    -- f = x1² + 2 x2² + x3²: H = diag(2, 4, 2)
    local hv = gd.hvp(f, gd.tensor{0.3, 0.1, 0.2}, gd.tensor{1, 1, 1})
    close(hv, {2, 4, 2}, 1e-12)
  end)

  it("views made under a tape still share storage; assignment is not recorded", function()
    local x = gd.Variable{{1, 2}, {3, 4}}
    local tape <close> = gd.GradientTape()
    local r = x[2]
    r[1] = 30                        -- writes reach x
    assert.equal(30, x:at(2, 1))
    assert.equal(2, x[{1, 2}])       -- a number, not a tensor
    local y = (x * x):sum()
    local g = tape:gradient(y, x)
    assert.same({{2, 4}, {60, 8}}, g:totable())
  end)

  it("writing into x after a slice was recorded is detected", function()
    local x = gd.Variable{1, 2, 3}
    local tape <close> = gd.GradientTape()
    local y = (x[{{1, 2}}] * x[{{2, 3}}]):sum()
    x:assign{5, 5, 5}
    errors(function() tape:gradient(y, x) end, "modified in place")
  end)

  it("writing into a saved mask is detected", function()
    local x = gd.Variable(gd.arange(100))
    local m = gd.arange(100):gt(49.5)            -- pooled storage (over 64 elements), shared by the tape
    local tape <close> = gd.GradientTape()
    local y = x:mask(m):sum()
    m[2] = 1
    errors(function() tape:gradient(y, x) end, "mask", "modified in place")
    local s = gd.Variable{1, 2, 3}
    local sm = gd.tensor{1, 0, 1} + 0            -- a small result: the tape keeps a copy
    local tape2 <close> = gd.GradientTape()
    local z = s:mask(sm):sum()
    sm[2] = 1
    assert.same({1, 0, 1}, tape2:gradient(z, s):totable())
  end)
end)
