-- arrays_spec.lua: the array functions of issue 12 item 1 against values
-- computed independently here (hand-computed cases, plain Lua loops, and
-- identities), their gradients against central differences, and their
-- argument errors.
local u = require "tests.helpers.util"
local close = u.close

local nan, inf = 0 / 0, math.huge

-- A plain Lua stable sort of a list: values and 1-based positions (insertion sort).
local function lua_sort(t, desc)
  local idx = {}
  for i = 1, #t do idx[i] = i end
  local function before(a, b)              -- strict order, NaN last
    local va, vb = t[a], t[b]
    if va ~= va then return false end
    if vb ~= vb then return true end
    if desc then return va > vb end
    return va < vb
  end
  for i = 2, #idx do
    local j, cur = i, idx[i]
    while j > 1 and before(cur, idx[j - 1]) do idx[j] = idx[j - 1]; j = j - 1 end
    idx[j] = cur
  end
  local v = {}
  for i, p in ipairs(idx) do v[i] = t[p] end
  return v, idx
end

local function same_list(a, b, msg)
  assert(#a == #b, msg .. ": lengths " .. #a .. " vs " .. #b)
  for i = 1, #a do
    local x, y = a[i], b[i]
    assert(x == y or (x ~= x and y ~= y), ("%s: element %d: %s vs %s"):format(msg, i, tostring(x), tostring(y)))
  end
end

local function gradcheck(f, inputs, opts)
  local ts = {}
  for i, v in ipairs(inputs) do ts[i] = gd.tensor(v) end
  local ok, report = gd.gradcheck(f, ts, opts)
  assert(ok, report)
end

describe("gd.sort and argsort", function()
  it("sorts with ties kept in order and NaN last, ascending and descending", function()
    local t = { 3, 1, nan, 2, 1, -0.0, -5, 2, inf, -inf }
    local v, i = gd.sort(gd.tensor(t))
    local ev, ei = lua_sort(t)
    same_list(v:totable(), ev, "values")
    same_list(i:totable(), ei, "indices")
    v, i = gd.tensor(t):sort(1, { descending = true })
    ev, ei = lua_sort(t, true)
    same_list(v:totable(), ev, "descending values")
    same_list(i:totable(), ei, "descending indices")
    same_list(gd.argsort(gd.tensor(t)):totable(), lua_sort(t) and select(2, lua_sort(t)), "argsort")
  end)

  it("agrees with a plain sort on long lanes (radix path), with many ties", function()
    gd.seed(7)
    local x = gd.randint(-50, 50, { 5000 }) * 0.25 + gd.randn(5000):gt(1.5) * 1e-300
    local t = x:totable()
    local v, i = x:sort()
    local ev, ei = lua_sort(t)
    same_list(v:totable(), ev, "values")
    same_list(i:totable(), ei, "indices")
    local dv, di = x:sort(1, { descending = true })
    ev, ei = lua_sort(t, true)
    same_list(dv:totable(), ev, "descending values")
    same_list(di:totable(), ei, "descending indices")
  end)

  it("sort of randperm(n) is arange(1, n + 1), and the indices invert the permutation", function()
    gd.seed(3)
    local n = 1000
    local p = gd.randperm(n)
    local v, i = p:sort()
    same_list(v:totable(), gd.arange(1, n + 1):totable(), "values")
    for k = 1, n do assert(p[i[k]] == k) end
  end)

  it("sorts along any dim of a 3-D tensor, and of a transposed view", function()
    gd.seed(11)
    local x = gd.randn(3, 4, 5)
    for dim = 1, 3 do
      local v, i = x:sort(dim)
      local s = x.shape
      for a = 1, s[1] do for b = 1, s[2] do for c = 1, s[3] do
        local key = { a, b, c }
        local lane = {}
        for k = 1, s[dim] do key[dim] = k; lane[k] = x:at(key[1], key[2], key[3]) end
        local ev, ei = lua_sort(lane)
        local pos = ({ a, b, c })[dim]
        key[dim] = pos
        assert(v:at(key[1], key[2], key[3]) == ev[pos])
        assert(i:at(key[1], key[2], key[3]) == ei[pos])
      end end end
    end
    local m = gd.tensor{{3, 1}, {2, 4}, {0, 5}}.T      -- {{3, 2, 0}, {1, 4, 5}}
    same_list(m:sort(2):flatten():totable(), { 0, 2, 3, 1, 4, 5 }, "view sorted")
    same_list(m:sort(-1, { descending = true }):flatten():totable(), { 3, 2, 0, 5, 4, 1 }, "negative dim")
  end)

  it("has the gradient of a gather: g scattered back through the indices", function()
    gradcheck(function(x) return x:sort() * gd.tensor{1, 2, 3, 4} end, { { 0.3, -1.2, 2.5, 0.7 } })
    gradcheck(function(x) return x:sort(1, { descending = true }) * gd.tensor{{1, 2}, {3, 4}} end,
      { { { 0.3, -1.2 }, { 2.5, 0.7 } } })
    gradcheck(function(x) return gd.grad(function(t) return (t:sort(2) ^ 3 * gd.tensor{1, 2, 3}):sum() end)(x) end,
      { { { 0.3, -1.2, 0.9 }, { 2.5, 0.7, -0.4 } } })
    local x = gd.Variable(gd.tensor{ 3, 1, 2 })
    local tape <close> = gd.GradientTape()
    local y = (x:sort() * gd.tensor{ 10, 20, 30 }):sum()
    close(tape:gradient(y, x), { 30, 10, 20 }, 0)
  end)

  it("checks its arguments", function()
    u.errors(function() gd.sort(gd.tensor{1, 2}, 2) end, "gd.sort", "dim 2 out of range")
    u.errors(function() gd.sort(gd.tensor{1, 2}, 1, { descend = true }) end, "gd.sort", "unknown option 'descend'")
    u.errors(function() gd.sort(gd.tensor{1, 2}, 1, { descending = 1 }) end, "gd.sort", "descending", "boolean")
    u.errors(function() gd.argsort("x") end, "gd.argsort")
  end)
end)

describe("gd.cumsum, cumprod and diff", function()
  it("match running sums and products by hand", function()
    local m = gd.tensor{{1, 2, 3}, {4, 5, 6}}
    close(m:cumsum(2), {{1, 3, 6}, {4, 9, 15}}, 0)
    close(m:cumsum(1), {{1, 2, 3}, {5, 7, 9}}, 0)
    close(m:cumsum(), {1, 3, 6, 10, 15, 21}, 0)
    close(m:cumprod(2), {{1, 2, 6}, {4, 20, 120}}, 0)
    close(gd.cumprod(m, -2), {{1, 2, 3}, {4, 10, 18}}, 0)
    close(gd.tensor{2, 0, 3}:cumprod(), {2, 0, 0}, 0)
  end)

  it("cumsum then diff round-trips, and diff of cumsum of x gives x[2:]", function()
    gd.seed(5)
    local x = gd.randn(4, 6)
    local c = x:cumsum(2)
    close(c:diff(), x:narrow(2, 2, 5), 1e-12)
    close(gd.diff(x:cumsum(1), 1, 1), x:narrow(1, 2, 3), 1e-12)
    local t = x:totable()[1]
    local d2 = gd.diff(x[1], 2)
    for i = 1, 4 do close(d2[i], t[i + 2] - 2 * t[i + 1] + t[i], 1e-12) end
    close(gd.diff(x, 0), x, 0)
  end)

  it("diff, cumsum and cumprod are differentiable", function()
    gradcheck(function(x) return x:diff() * gd.tensor{{1, 2}, {3, 4}} end, { { { 0.3, -1.2, 0.9 }, { 2.5, 0.7, -0.4 } } })
    gradcheck(function(x) return gd.diff(x, 2, 1) * gd.tensor{1, -2} end, { { { 0.3, -1.2 }, { 2.5, 0.7 }, { 0.1, 0.2 } } })
    -- closed form: d/dx_k Σ_j cumsum(x)_j = n - k + 1
    local x = gd.Variable(gd.tensor{ 1, 2, 3, 4 })
    local tape <close> = gd.GradientTape()
    local y = x:cumsum():sum()
    close(tape:gradient(y, x), { 4, 3, 2, 1 }, 0)
  end)

  it("cumprod's gradient at zeros is the product of the other factors", function()
    -- L = Σ_j cumprod(x)_j for x = (2, 0, 3): ∂L/∂x = (1 + 0 + 0, 2 + 2·3, 0)
    local x = gd.Variable(gd.tensor{ 2, 0, 3 })
    local tape <close> = gd.GradientTape()
    local y = x:cumprod():sum()
    close(tape:gradient(y, x), { 1, 8, 0 }, 1e-15)
  end)

  it("checks its arguments", function()
    u.errors(function() gd.cumsum(gd.tensor{1, 2}, 3) end, "gd.cumsum", "dim 3 out of range")
    u.errors(function() gd.cumprod(gd.tensor(1), 1) end, "gd.cumprod", "0-d")
    u.errors(function() gd.diff(gd.tensor{1, 2}, -1) end, "gd.diff", "n", "must be in")
    u.errors(function() gd.diff(gd.tensor{1, 2}, 1, 2) end, "gd.diff", "dim 2 out of range")
  end)
end)

describe("gd.meshgrid and gd.logspace", function()
  it("meshgrid matches a double loop, xy and ij", function()
    local xs, ys = { 1, 2, 3 }, { 10, 20 }
    local X, Y = gd.meshgrid(gd.tensor(xs), gd.tensor(ys))
    assert(X.shape[1] == 2 and X.shape[2] == 3)
    for i = 1, 2 do for j = 1, 3 do
      assert(X:at(i, j) == xs[j] and Y:at(i, j) == ys[i])
    end end
    X, Y = gd.meshgrid(gd.tensor(xs), gd.tensor(ys), { indexing = "ij" })
    assert(X.shape[1] == 3 and X.shape[2] == 2)
    for i = 1, 3 do for j = 1, 2 do
      assert(X:at(i, j) == xs[i] and Y:at(i, j) == ys[j])
    end end
    gradcheck(function(x, y) local A, B = gd.meshgrid(x, y); return A * B * gd.tensor{{1, 2}, {3, 4}, {5, 6}} end,
      { { 0.5, -1 }, { 2, 3, 4 } })
  end)

  it("logspace is base^linspace", function()
    close(gd.logspace(0, 3, 4), { 1, 10, 100, 1000 }, 1e-12)
    close(gd.logspace(1, 3, 3, 2), { 2, 4, 8 }, 1e-14)
    assert(#gd.logspace(0, 1) == 50)
  end)

  it("check their arguments", function()
    u.errors(function() gd.meshgrid(gd.ones(2, 2), gd.ones(2)) end, "gd.meshgrid", "argument 1", "1-D", "{2,2}")
    u.errors(function() gd.meshgrid(gd.ones(2), gd.ones(2), { indexing = "xx" }) end, "gd.meshgrid", "indexing", "\"xx\"")
    u.errors(function() gd.meshgrid(gd.ones(2), gd.ones(2), { index = "xy" }) end, "gd.meshgrid", "unknown option 'index'")
    u.errors(function() gd.logspace(0, 1, -2) end, "gd.logspace", "n")
    u.errors(function() gd.logspace(0, 1, 5, 0) end, "gd.logspace", "base")
  end)
end)

describe("gd.diag, trace, tril, triu", function()
  local A = gd.tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}}   -- 4×3

  it("diag takes a diagonal (offset k) and builds a matrix from a vector", function()
    close(gd.diag(A), { 1, 5, 9 }, 0)
    close(gd.diag(A, 1), { 2, 6 }, 0)
    close(gd.diag(A, -1), { 4, 8, 12 }, 0)
    assert(gd.diag(A, 5):numel() == 0)
    close(gd.diag(gd.tensor{1, 2}), {{1, 0}, {0, 2}}, 0)
    close(gd.diag(gd.tensor{1, 2}, 1), {{0, 1, 0}, {0, 0, 2}, {0, 0, 0}}, 0)
    close(gd.diag(gd.tensor{1, 2}, -2), {{0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 2, 0, 0}}, 0)
    local v = gd.tensor{3, inf, -1}
    close(gd.diag(gd.diag(v)), v, 0)         -- inf does not spread NaN
  end)

  it("trace is the sum of the diagonal, tril/triu keep a triangle (by a double loop)", function()
    close(A:trace(), 15, 0)
    close(A:trace(-1), 24, 0)
    for k = -2, 2 do
      local lo, up = A:tril(k), A:triu(k)
      for i = 1, 4 do for j = 1, 3 do
        local a = A:at(i, j)
        assert(lo:at(i, j) == (j - i <= k and a or 0), "tril " .. k)
        assert(up:at(i, j) == (j - i >= k and a or 0), "triu " .. k)
      end end
    end
    local b = gd.ones(2, 2, 2):tril()
    close(b, {{{1, 0}, {1, 1}}, {{1, 0}, {1, 1}}}, 0)
  end)

  it("are differentiable", function()
    local a33 = { { 0.3, -1.2, 0.9 }, { 2.5, 0.7, -0.4 }, { 1.1, 0.2, -0.8 } }
    gradcheck(function(x) return gd.diag(x, 1) * gd.tensor{1, 2} end, { a33 })
    gradcheck(function(x) return gd.diag(x, -1) * gd.tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}} end, { { 0.5, -2 } })
    gradcheck(function(x) return x:trace() end, { a33 })
    gradcheck(function(x) return x:tril() * gd.arange(1, 10):reshape(3, 3) end, { a33 })
    gradcheck(function(x) return x:triu(1) * gd.arange(1, 10):reshape(3, 3) end, { a33 })
  end)

  it("check their arguments", function()
    u.errors(function() gd.diag(gd.ones(2, 2, 2)) end, "gd.diag", "2-D", "{2,2,2}")
    u.errors(function() gd.trace(gd.ones(3)) end, "gd.trace", "2-D", "{3}")
    u.errors(function() gd.tril(gd.ones(3)) end, "gd.tril", "{3}")
    u.errors(function() gd.triu(gd.ones(3, 3), 0.5) end, "gd.triu", "k", "integer")
  end)
end)

describe("softmax, log_softmax, log10, log2", function()
  it("softmax matches exp(x)/Σexp(x) and is stable for large inputs", function()
    local x = { 1, 2, 3 }
    local z = math.exp(1) + math.exp(2) + math.exp(3)
    close(gd.softmax(gd.tensor(x)), { math.exp(1) / z, math.exp(2) / z, math.exp(3) / z }, 1e-15)
    close(gd.tensor{1000, 1000}:softmax(), { 0.5, 0.5 }, 0)
    close(gd.tensor{-1000, 0}:log_softmax(), { -1000, 0 }, 1e-12)
    local m = gd.tensor{{1, 2}, {3, 5}}
    close(m:softmax(1), {{1 / (1 + math.exp(2)), 1 / (1 + math.exp(3))}, {1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-3))}}, 1e-15)
    close(m:log_softmax(2), gd.log(m:softmax(2)), 1e-14)
  end)

  it("log10 and log2 are exact at powers and match log(x)/log(b)", function()
    close(gd.log10(gd.tensor{1, 10, 1000, 1e-5}), { 0, 1, 3, -5 }, 0)
    close(gd.tensor{1, 2, 1024, 0.125}:log2(), { 0, 1, 10, -3 }, 0)
    close(gd.log10(gd.tensor{2, 7}), { math.log(2, 10), math.log(7, 10) }, 1e-15)
    assert(gd.log2(gd.tensor(0)):item() == -inf)
  end)

  it("softmax and log_softmax are differentiable (the rules of the ops they use)", function()
    gradcheck(function(x) return x:softmax() * gd.tensor{1, 2, 3} end, { { 0.3, -1.2, 0.9 } })
    gradcheck(function(x) return x:log_softmax(1) * gd.tensor{{1, 2}, {3, 4}} end, { { { 0.3, -1.2 }, { 0.9, 2 } } })
  end)

  it("check their arguments", function()
    u.errors(function() gd.softmax(gd.ones(2), 2) end, "gd.softmax", "dim 2 out of range")
    u.errors(function() gd.log_softmax(gd.tensor(1)) end, "gd.log_softmax", "0-d")
    u.errors(function() gd.log10("a") end, "gd.log10")
  end)
end)

describe("isnan, isinf, isfinite, any, all, nan_to_num", function()
  local x = gd.tensor{1, nan, inf, -inf, 0}

  it("classify values", function()
    close(x:isnan(), { 0, 1, 0, 0, 0 }, 0)
    close(x:isinf(), { 0, 0, 1, 1, 0 }, 0)
    close(x:isfinite(), { 1, 0, 0, 0, 1 }, 0)
  end)

  it("any/all: booleans without dim, 0/1 tensors along a dim", function()
    assert(gd.tensor{0, 0, 2}:any() == true and gd.tensor{0, 0, 2}:all() == false)
    assert(gd.zeros(3):any() == false and gd.ones(3):all() == true)
    assert(gd.tensor{nan}:all() == true)                      -- NaN is nonzero (numpy)
    assert(gd.zeros(0):any() == false and gd.zeros(0):all() == true)
    -- count_nonzero: the lanes and the tail against a scan, views included
    gd.seed(3)
    for _, n in ipairs { 0, 1, 7, 8, 9, 1003 } do
      local v = gd.randint(0, 3, { n })               -- 0, 1 or 2: a third zeros
      if n > 0 then v[n] = 0 / 0 end
      local want = 0
      for _, e in ipairs(v:totable()) do if e ~= 0 then want = want + 1 end end
      assert.equal(want, v:count_nonzero())
      assert.is_true(math.type(v:count_nonzero()) == "integer")
    end
    local w = gd.tensor{{0, 2, -0.0}, {3, 0, 4}}
    assert.equal(3, w.T:count_nonzero())
    assert.equal(2, w:narrow(2, 2, 2):count_nonzero())
    assert(w.T:any() == true and w.T:all() == false and gd.ones(2, 3).T:all() == true)
    local m = gd.tensor{{0, 1, 0}, {0, 1, 1}}
    close(m:any(1), { 0, 1, 1 }, 0)
    close(m:all(2), { 0, 0 }, 0)
    close(m:all(1, true), { { 0, 1, 0 } }, 0)
  end)

  it("nan_to_num replaces NaN and infinities; the gradient passes where finite", function()
    close(x:nan_to_num(), { 1, 0, 1.7976931348623157e308, -1.7976931348623157e308, 0 }, 0)
    close(x:nan_to_num{ nan = -1, posinf = 9, neginf = -9 }, { 1, -1, 9, -9, 0 }, 0)
    local v = gd.Variable(gd.tensor{ 2, inf, 4, nan })
    local tape <close> = gd.GradientTape()
    local y = (gd.nan_to_num(v) * gd.tensor{ 5, 6, 7, 8 }):sum()
    close(tape:gradient(y, v), { 5, 0, 7, 0 }, 0)
  end)

  it("check their arguments", function()
    u.errors(function() gd.any(gd.ones(2), 2) end, "gd.any", "dim 2 out of range")
    u.errors(function() gd.all(gd.ones(2), 1, 1) end, "gd.all", "keepdim", "boolean")
    u.errors(function() gd.nan_to_num(gd.ones(2), { inf = 1 }) end, "gd.nan_to_num", "unknown option 'inf'")
    u.errors(function() gd.nan_to_num(gd.ones(2), { nan = "a" }) end, "gd.nan_to_num", "nan", "number expected")
  end)
end)

describe("gd.quantile and gd.median", function()
  -- numpy's linear method by hand: h = (n - 1) q, v[⌊h⌋] + (h - ⌊h⌋)(v[⌊h⌋+1] - v[⌊h⌋]) on sorted v.
  local function linear(t, q)
    local v = lua_sort(t)
    local h = (#v - 1) * q
    local lo = math.floor(h)
    local hi = math.min(lo + 1, #v - 1)
    return v[lo + 1] + (h - lo) * (v[hi + 1] - v[lo + 1])
  end

  it("median of odd and even counts, along dims", function()
    close(gd.tensor{3, 1, 2}:median(), 2, 0)
    close(gd.tensor{4, 1, 3, 2}:median(), 2.5, 0)
    close(gd.tensor{{3, 1, 2}, {9, 7, 8}}:median(2), { 2, 8 }, 0)
    close(gd.tensor{{3, 1, 2}, {9, 7, 8}}:median(1, true), { { 6, 4, 5 } }, 0)
    assert(gd.median(gd.tensor{1, nan, 3}):item() ~= gd.median(gd.tensor{1, nan, 3}):item())
  end)

  it("quantile matches numpy's linear interpolation for many q", function()
    gd.seed(9)
    local x = gd.randn(37)
    local t = x:totable()
    for _, q in ipairs { 0, 0.1, 0.25, 1 / 3, 0.5, 0.9, 0.99, 1 } do
      close(x:quantile(q), linear(t, q), 1e-14, "q = " .. q)
    end
    local qs = gd.tensor{0.2, 0.8}
    local m = gd.randn(3, 5)
    local r = gd.quantile(m, qs, 2)
    assert(r.shape[1] == 2 and r.shape[2] == 3)
    for i = 1, 2 do for row = 1, 3 do
      close(r:at(i, row), linear(m[row]:totable(), qs[i]), 1e-14)
    end end
    close(gd.quantile(gd.tensor{1, 2, 3, 4}, gd.tensor{0, 0.5}), { 1, 2.5 }, 0)
  end)

  it("the gradient goes to the selected elements with the interpolation weights", function()
    -- x = (4, 1, 3, 2): q = 0.4 → h = 1.2 between sorted v[2] = 2 (x[4]) and v[3] = 3 (x[3])
    local x = gd.Variable(gd.tensor{ 4, 1, 3, 2 })
    local tape <close> = gd.GradientTape{ persistent = true }
    local y = x:quantile(0.4)
    close(y, 2.2, 1e-15)
    close(tape:gradient(y, x), { 0, 0, 0.2, 0.8 }, 1e-15)
    close(tape:gradient(x:median(), x), { 0, 0, 0.5, 0.5 }, 1e-15)
    gradcheck(function(v) return v:quantile(gd.tensor{0.3, 0.75}, 2) * gd.tensor{{1, 2}, {3, 4}} end,
      { { { 0.3, -1.2, 0.9 }, { 2.5, 0.7, -0.4 } } })
  end)

  it("checks q and dim", function()
    u.errors(function() gd.quantile(gd.ones(3), 1.5) end, "gd.quantile", "argument 2", "q must be in [0, 1]", "1.5")
    u.errors(function() gd.quantile(gd.ones(3), gd.tensor{0.5, -0.1}) end, "gd.quantile", "q must be in [0, 1]", "-0.1")
    u.errors(function() gd.quantile(gd.ones(3), gd.ones(2, 2)) end, "gd.quantile", "1-D", "{2,2}")
    u.errors(function() gd.median(gd.ones(3), 2) end, "gd.median", "dim 2 out of range")
    u.errors(function() gd.median(gd.zeros(0)) end, "gd.median", "no values")
  end)
end)

describe("gd.histogram and gd.unique", function()
  it("histogram counts by hand: last bin closed, outside values ignored", function()
    local c, e = gd.histogram(gd.tensor{1, 2, 2, 3, 3, 3, 4}, { bins = 3 })
    close(c, { 1, 2, 4 }, 0)
    close(e, { 1, 2, 3, 4 }, 1e-15)
    c, e = gd.histogram(gd.tensor{-1, 0, 0.5, 1, 2, nan}, { bins = 2, range = { 0, 1 } })
    close(c, { 1, 2 }, 0)
    close(e, { 0, 0.5, 1 }, 0)
    c, e = gd.histogram(gd.tensor{5, 5})                -- equal min and max: ±0.5, 10 bins
    close(e[1], 4.5, 0); close(e[11], 5.5, 0)
    close(c:sum(), 2, 0); close(c[6], 2, 0)
  end)

  it("histogram agrees with counting each value against the edges", function()
    gd.seed(13)
    local x = gd.randn(2000)
    local c, e = gd.histogram(x, { bins = 17, range = { -2, 2.5 } })
    local ed = e:totable()
    local want = {}
    for k = 1, 17 do want[k] = 0 end
    for _, v in ipairs(x:totable()) do
      for k = 1, 17 do
        if v >= ed[k] and (v < ed[k + 1] or (k == 17 and v <= ed[18])) then want[k] = want[k] + 1; break end
      end
    end
    close(c, want, 0)
    close(e, gd.linspace(-2, 2.5, 18), 1e-15)
  end)

  it("unique gives sorted distinct values and counts (NaNs as one)", function()
    local v, c = gd.unique(gd.tensor{{3, 1, 3}, {nan, 2, nan}})
    same_list(v:totable(), { 1, 2, 3, nan }, "values")
    close(c, { 1, 1, 2, 2 }, 0)
    gd.seed(2)
    local r = gd.randint(1, 6, { 500 })
    local uv, uc = r:unique()
    local counts = {}
    for _, k in ipairs(r:totable()) do counts[k] = (counts[k] or 0) + 1 end
    for i = 1, #uv do close(uc[i], counts[uv[i]], 0) end
    close(uc:sum(), 500, 0)
  end)

  it("histogram checks bins and range", function()
    u.errors(function() gd.histogram(gd.ones(3), { bins = 0 }) end, "gd.histogram", "bins", "got 0")
    u.errors(function() gd.histogram(gd.ones(3), { bins = 2.5 }) end, "gd.histogram", "bins", "integer")
    u.errors(function() gd.histogram(gd.ones(3), { range = { 2, 1 } }) end, "gd.histogram", "range", "lo < hi")
    u.errors(function() gd.histogram(gd.ones(3), { range = { 0, inf } }) end, "gd.histogram", "range[2]", "finite")
    u.errors(function() gd.histogram(gd.ones(3), { bin = 3 }) end, "gd.histogram", "unknown option 'bin'")
    u.errors(function() gd.histogram(gd.tensor{1, nan}) end, "gd.histogram", "not finite")
    u.errors(function() gd._histogram(gd.ones(2), 0) end, "gd.histogram", "bins must be")
    u.errors(function() gd.histogram(gd.ones(2), { bins = math.maxinteger }) end, "gd.histogram", "bins must be in [1, 2^48]")
  end)
end)

describe("gd.kron, gd.tile and x:repeat_", function()
  it("kron matches its block definition by a loop", function()
    local a = gd.tensor{{1, 2}, {3, 4}}
    local b = gd.tensor{{0, 5, 1}, {6, 7, 2}}
    local k = gd.kron(a, b)
    assert(k.shape[1] == 4 and k.shape[2] == 6)
    for i = 1, 2 do for j = 1, 2 do for p = 1, 2 do for q = 1, 3 do
      assert(k:at((i - 1) * 2 + p, (j - 1) * 3 + q) == a:at(i, j) * b:at(p, q))
    end end end end
    close(gd.kron(gd.tensor{1, 2}, gd.tensor{1, 10}), { 1, 10, 2, 20 }, 0)
    close(a:kron(gd.tensor{1, -1}), {{1, -1, 2, -2}, {3, -3, 4, -4}}, 0)
    gradcheck(function(x, y) return gd.kron(x, y) * gd.arange(1, 9):reshape(2, 4) end, { { { 1, 2 } }, { { 0.5, -1 }, { 2, 3 } } })
  end)

  it("tile and repeat_ repeat whole copies along each dim", function()
    local x = gd.tensor{{1, 2}, {3, 4}}
    local t = x:repeat_(2, 3)
    assert(t.shape[1] == 4 and t.shape[2] == 6)
    for i = 1, 4 do for j = 1, 6 do assert(t:at(i, j) == x:at((i - 1) % 2 + 1, (j - 1) % 2 + 1)) end end
    close(gd.tile(gd.tensor{1, 2}, { 3 }), { 1, 2, 1, 2, 1, 2 }, 0)
    close(gd.tile(gd.tensor{1, 2}, { 2, 1 }), { { 1, 2 }, { 1, 2 } }, 0)
    close(gd.tile(x, { 2 }), { { 1, 2, 1, 2 }, { 3, 4, 3, 4 } }, 0)     -- fewer reps: leading 1s (numpy)
    assert(gd.tile(x, { 0, 1 }):numel() == 0)
    close(x:tile(1, 2), { { 1, 2, 1, 2 }, { 3, 4, 3, 4 } }, 0)          -- as a method, reps as numbers
    close(gd.tile(gd.tensor{1, 2}, 2), { 1, 2, 1, 2 }, 0)                -- one number, as np.tile(a, 2)
    gradcheck(function(v) return v:repeat_(2, 2) * gd.arange(1, 9):reshape(2, 4) end, { { { 0.5, -1 } } })
  end)

  it("check their arguments", function()
    u.errors(function() gd.kron(gd.ones(2), "b") end, "gd.kron", "argument 2", "tensor expected")
    u.errors(function() gd.tile(gd.ones(2), { -1 }) end, "gd.tile", "repetition 1", "must be in")
    u.errors(function() gd.ones(2):repeat_() end, "gd.repeat_", "repetitions expected")
    u.errors(function() gd.ones(2):repeat_(1.5) end, "gd.repeat_", "integer")
  end)
end)

describe("boolean masks in x[m]", function()
  it("a 1-D mask of #x picks rows; a same-shape mask picks elements", function()
    local x = gd.tensor{{1, 2}, {3, 4}, {5, 6}}
    local y = gd.tensor{1, 0, 1}
    close(x[y:eq(1)], {{1, 2}, {5, 6}}, 0)
    close(x[y:eq(0)], {{3, 4}}, 0)
    assert(x[gd.zeros(3)].shape[1] == 0)
    close(x[x:gt(2)], { 3, 4, 5, 6 }, 0)
    close(x:mask(x:gt(4)), { 5, 6 }, 0)
    close(gd.tensor{7, 8, 9}[gd.tensor{0, 1, 1}], { 8, 9 }, 0)
    gradcheck(function(v) return v[gd.tensor{0, 1, 1}] * gd.tensor{{1, 2}, {3, 4}} end, { { { 1, 2 }, { 3, 4 }, { 5, 6 } } })
  end)

  it("a mask that fits neither way is an error naming the shapes", function()
    local x = gd.ones(3, 2)
    u.errors(function() return x[gd.ones(4)] end, "gd.Tensor index", "{4}", "{3,2}")
  end)
end)

describe("help for the array functions", function()
  it("every new function has a doc line and the tensor ones are methods", function()
    local names = { "sort", "argsort", "cumsum", "cumprod", "diff", "diag", "trace", "tril", "triu",
      "softmax", "log_softmax", "log10", "log2", "isnan", "isinf", "isfinite", "any", "all", "median",
      "quantile", "unique", "kron", "repeat_", "tile", "nan_to_num" }
    for _, n in ipairs(names) do
      assert(gd._docs[gd[n]], "no doc for gd." .. n)
      assert(gd._docs[gd[n]]:find(n, 1, true), "doc of " .. n .. " does not name it")
      assert(type(gd.ones(2)[n]) == "function", n .. " is not a method")
    end
    for _, n in ipairs { "meshgrid", "logspace", "histogram" } do assert(gd._docs[gd[n]], n) end
  end)
end)
