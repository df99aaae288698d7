-- shape_spec.lua: views, shape ops and 1-based indexing.
local u = require "tests.helpers.util"
local errors = u.errors

local function range(n, shape)
  return gd.arange(1, n + 1):reshape(shape)
end

describe("views", function()
  it("reshape is a view when contiguous, with one -1 inferred", function()
    local x = gd.arange(6)
    local r = x:reshape(2, 3)
    assert.same({{0, 1, 2}, {3, 4, 5}}, r:totable())
    r[{1, 1}] = 100
    assert.equal(100, x[1])                         -- shares storage
    assert.same({3, 2}, x:reshape(-1, 2).shape)
    assert.same({6}, r:reshape{-1}.shape)
    errors(function() x:reshape(4, -1) end, "gd.reshape", "{6}", "{4,-1}")
    errors(function() x:reshape(-1, -1) end, "gd.reshape", "one -1")
  end)

  it("reshape of a non-contiguous view copies", function()
    local x = range(6, {2, 3})
    local r = x.T:reshape(6)
    assert.same({1, 4, 2, 5, 3, 6}, r:totable())
    r[1] = 0
    assert.equal(1, x:at(1, 1))
  end)

  it("transpose, T, permute", function()
    local x = range(6, {2, 3})
    assert.same({{1, 4}, {2, 5}, {3, 6}}, x.T:totable())
    assert.same({{1, 4}, {2, 5}, {3, 6}}, x:transpose(1, 2):totable())
    assert.same({{1, 4}, {2, 5}, {3, 6}}, x:t():totable())
    local y = range(24, {2, 3, 4})
    local p = y:permute(3, 1, 2)
    assert.same({4, 2, 3}, p.shape)
    for i = 1, 2 do for j = 1, 3 do for k = 1, 4 do
      assert.equal(y:at(i, j, k), p:at(k, i, j))
    end end end
    assert.same({4, 3, 2}, y.T.shape)
    assert.same({2, 4, 3}, y:transpose(-1, -2).shape)
    errors(function() y:permute(1, 1, 2) end, "gd.permute")
  end)

  it("squeeze, unsqueeze, flatten, expand", function()
    local x = gd.zeros(1, 3, 1)
    assert.same({3}, x:squeeze().shape)
    assert.same({3, 1}, x:squeeze(1).shape)
    assert.same({1, 3}, x:squeeze(-1).shape)
    local v = gd.tensor{1, 2, 3}
    assert.same({1, 3}, v:unsqueeze(1).shape)
    assert.same({3, 1}, v:unsqueeze(2).shape)
    assert.same({3, 1}, v:unsqueeze(-1).shape)
    assert.same({6}, range(6, {2, 3}).T:flatten().shape)
    assert.same({1, 4, 2, 5, 3, 6}, range(6, {2, 3}).T:flatten():totable())
    local e = v:expand(2, 3)
    assert.same({{1, 2, 3}, {1, 2, 3}}, e:totable())
    assert.same({{1, 1}, {2, 2}, {3, 3}}, v:reshape(3, 1):expand(-1, 2):totable())
    errors(function() v:expand(2, 4) end, "gd.expand", "{3}", "{2,4}")
  end)

  it("a 0-d tensor has no dims to narrow, select, index, transpose or squeeze", function()
    local s = gd.tensor(5)
    for _, f in ipairs{ "narrow", "select", "index", "transpose", "squeeze", "sum" } do
      local ok, msg = pcall(gd[f], s, 1, 1, 1)
      assert.is_false(ok)
      assert.truthy(msg:find("gd." .. f .. ": argument 2: dim 1 out of range for a 0-d tensor", 1, true), msg)
    end
  end)
  it("narrow and select are views", function()
    local x = range(12, {3, 4})
    local n = x:narrow(2, 2, 2)
    assert.same({{2, 3}, {6, 7}, {10, 11}}, n:totable())
    n[{1, 1}] = -1
    assert.equal(-1, x:at(1, 2))
    assert.same({5, 6, 7, 8}, x:select(1, 2):totable())
    assert.same({4, 8, 12}, x:select(2, -1):totable())
    assert.same({{9, 10, 11, 12}}, x:narrow(1, -1, 1):totable())
    errors(function() x:narrow(2, 3, 3) end, "gd.narrow", "out of range")
    errors(function() x:select(1, 4) end, "gd.select", "index 4", "size 3")
  end)
end)

describe("small results (data inline, no finalizer)", function()
  it("are shared by their views, which outlive them safely", function()
    local a = gd.tensor{1, 2, 3}
    local b = a + 1                        -- a small result
    local v = b:reshape(3, 1)              -- a view of b's inline data, anchoring b
    v[{1, 1}] = 10
    assert.equal(10, b[1])
    local views = {}
    for i = 1, 200 do views[i] = (a * i):reshape(1, 3) end   -- the bases become garbage
    collectgarbage()
    collectgarbage()
    for i = 1, 200, 37 do assert.same({{i, 2 * i, 3 * i}}, views[i]:totable()) end
    local e = gd.tensor{{1, 2}, {3, 4}} + 0
    local row = e[2]
    row[1] = 7
    assert.equal(7, e:at(2, 1))
    local t = (a * 2).T
    assert.same({2, 4, 6}, t:totable())
  end)

  it("views of views keep the data's owner alive; a copying reshape owns its data", function()
    local function chain(i)
      local m = gd.tensor{{1, 2, 3}, {4, 5, 6}} * i      -- small: inline data, no finalizer
      local t = m.T                                       -- a view anchoring m
      return t[{{2, 3}, {}}], t:reshape(6), gd.detach(t)  -- a view of the view; a copy (t is strided); a view
    end
    local keep = {}
    for i = 1, 300 do keep[i] = { chain(i) } end
    for _ = 1, 3 do collectgarbage() end                  -- every m and t is garbage now
    for i = 1, 300, 29 do
      local sub, flat, det = table.unpack(keep[i])
      assert.same({{2 * i, 5 * i}, {3 * i, 6 * i}}, sub:totable())
      assert.same({i, 4 * i, 2 * i, 5 * i, 3 * i, 6 * i}, flat:totable())
      assert.same({{i, 4 * i}, {2 * i, 5 * i}, {3 * i, 6 * i}}, det:totable())
    end
    local sub, _, det = table.unpack(keep[1])
    sub[{1, 1}] = 100                                     -- writes reach the shared data
    assert.equal(100, det:at(2, 1))
  end)

  it("can be closed", function()
    local x
    do
      local y <close> = gd.tensor{1, 2} * 3
      x = y
      assert.same({3, 6}, y:totable())
    end
    assert.has_error(function() return x + 1 end)
  end)
end)

describe("joining", function()
  it("cat along existing dims", function()
    local a, b = gd.tensor{{1, 2}}, gd.tensor{{3, 4}, {5, 6}}
    assert.same({{1, 2}, {3, 4}, {5, 6}}, gd.cat({a, b}):totable())
    assert.same({{1, 2, 1, 2}}, gd.cat({a, a}, 2):totable())
    assert.same({{1, 2, 1, 2}}, gd.cat({a, a}, -1):totable())
    errors(function() gd.cat({a, b}, 2) end, "gd.cat", "{2,2}", "{1,2}")
    errors(function() gd.cat({}) end, "gd.cat", "empty")
  end)

  it("stack along new dims", function()
    local a, b = gd.tensor{1, 2}, gd.tensor{3, 4}
    assert.same({{1, 2}, {3, 4}}, gd.stack({a, b}):totable())
    assert.same({{1, 3}, {2, 4}}, gd.stack({a, b}, 2):totable())
    assert.same({{1, 3}, {2, 4}}, gd.stack({a, b}, -1):totable())
    errors(function() gd.stack({a, gd.tensor{1}}) end, "gd.stack", "{1}", "{2}")
  end)
end)

describe("indexing", function()
  it("x[i] is a number for 1-D and a row view otherwise", function()
    local v = gd.tensor{10, 20, 30}
    assert.equal(10, v[1])
    assert.equal(30, v[-1])
    assert.equal(20, v[-2])
    local x = range(6, {2, 3})
    assert.same({4, 5, 6}, x[2]:totable())
    assert.same({4, 5, 6}, x[-1]:totable())
    x[1][2] = 0
    assert.equal(0, x:at(1, 2))
    errors(function() return v[4] end, "index 4", "size 3")
    errors(function() return v[0] end, "index 0")
  end)

  it("assigns numbers, rows and broadcast values", function()
    local x = gd.zeros(2, 3)
    x[1] = 5
    assert.same({{5, 5, 5}, {0, 0, 0}}, x:totable())
    x[2] = gd.tensor{1, 2, 3}
    assert.same({{5, 5, 5}, {1, 2, 3}}, x:totable())
    x[{{}, 2}] = gd.tensor{7, 8}
    assert.same({{5, 7, 5}, {1, 8, 3}}, x:totable())
    x[{2, {2, 3}}] = -1
    assert.same({{5, 7, 5}, {1, -1, -1}}, x:totable())
    local v = gd.zeros(3)
    v[2] = 4
    assert.same({0, 4, 0}, v:totable())
    errors(function() x[1] = gd.tensor{1, 2} end, "{2}", "{3}")
    errors(function() x.foo = 1 end, "foo")
  end)

  it("slices with inclusive ranges, steps and {}", function()
    local x = range(20, {4, 5})
    assert.same({{2, 3}, {7, 8}}, x[{{1, 2}, {2, 3}}]:totable())
    assert.same({{1, 3, 5}, {11, 13, 15}}, x[{{1, 4, 2}, {1, 5, 2}}]:totable())
    assert.same({5, 10, 15, 20}, x[{{}, -1}]:totable())
    assert.same({{16, 17, 18, 19, 20}}, x[{{-1, -1}}]:totable())
    assert.equal(8, x[{2, 3}])
    assert.same({4, 5}, x[{{}}].shape)
    assert.same({0, 5}, x[{{3, 2}}].shape)              -- empty range
    errors(function() return x[{{1, 6}}] end, "out of bounds")
    errors(function() return x[{1, 2, 3}] end, "3 indices", "2-d")
  end)

  it("at and set", function()
    local x = range(6, {2, 3})
    assert.equal(6, x:at(2, 3))
    assert.equal(6, x:at(-1, -1))
    x:set(9, 1, 1)
    assert.equal(9, x[1][1])
    errors(function() x:at(1) end, "gd.at", "1 indices", "2-d")
    errors(function() x:at(3, 1) end, "gd.at", "index 3")
  end)

  it("index gathers along a dim and mask selects", function()
    local x = range(6, {2, 3})
    assert.same({{3, 1}, {6, 4}}, x:index(2, {3, 1}):totable())
    assert.same({{4, 5, 6}, {4, 5, 6}}, x:index(1, gd.tensor{2, -1}):totable())
    assert.same({4, 5, 6}, x:mask(x:gt(3)):totable())
    assert.same({1, 3, 4, 6}, x:mask(gd.tensor{1, 0, 1}):totable())
    errors(function() x:index(2, {4}) end, "gd.index", "index 4")
    errors(function() x:mask(gd.tensor{1, 0}) end, "gd.mask", "{2}", "{2,3}")
    -- the flat loop (contiguous x and mask) against a scan, every edge of the cursor
    gd.seed(8)
    for _, n in ipairs { 1, 2, 7, 64, 1001 } do
      local v = gd.randn(n)
      for _, m in ipairs { gd.rand(n):gt(0.5), gd.zeros(n), gd.ones(n) } do
        for _, at in ipairs { 1, n } do
          local mm = m:copy()
          mm[at] = 1                            -- first / last selected
          local want, vt, mt = {}, v:totable(), mm:totable()
          for k = 1, n do if mt[k] ~= 0 then want[#want + 1] = vt[k] end end
          assert.same(want, v:mask(mm):totable())
        end
      end
      assert.same({}, v:mask(gd.zeros(n)):totable())
    end
    local z = gd.tensor { 0 / 0, 1, 2 }:mask(gd.tensor { 0 / 0, 0, 1 })   -- NaN in the mask is nonzero
    assert.equal(2, z:numel())
    assert.is_true(z[1] ~= z[1])
  end)

  it("copy and contiguous", function()
    local x = range(6, {2, 3})
    local c = x.T:copy()
    assert.same({3, 2}, c.shape)
    c[1] = 0
    assert.equal(1, x:at(1, 1))
    assert.equal(x, x:contiguous())
  end)
end)
