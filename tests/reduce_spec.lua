-- reduce_spec.lua: reductions over every dim walk memory in order (rows
-- accumulated into the output for a non-last dim, src/reduce.c) and
-- elementwise ops on permuted views (tiled transposed copies, kernels.c).
-- References are computed in plain Lua: sums by Shewchuk's exact partials
-- (as Python's math.fsum), extremes and products by loops in index order.
local u = require "tests.helpers.util"

local fsum = require "tests.helpers.fsum"   -- exact sums (Shewchuk)

-- The lines of a contiguous tensor's flat values along dim d (1-based),
-- in the order of the reduction's output.
local function lines(x, d)
  local sh, v = x.shape, x:flatten():totable()
  local outer, inner = 1, 1
  for i = 1, d - 1 do outer = outer * sh[i] end
  for i = d + 1, #sh do inner = inner * sh[i] end
  local n, out = sh[d], {}
  for o = 0, outer - 1 do
    for j = 0, inner - 1 do
      local l = {}
      for i = 0, n - 1 do l[#l + 1] = v[(o * n + i) * inner + j + 1] end
      out[#out + 1] = l
    end
  end
  return out
end

-- Assert every |got - want| ≤ rtol·scale, scale = |want| or the given scales.
local function rel(got, want, rtol, scales, what)
  got = got:flatten():totable()
  assert.equal(#want, #got, what)
  for i = 1, #want do
    local s = scales and scales[i] or math.abs(want[i])
    if not (math.abs(got[i] - want[i]) <= rtol * s) then
      error(("%s element %d: %.17g vs exact %.17g (rel %.3g > %.3g)"):format(
        what, i, got[i], want[i], math.abs(got[i] - want[i]) / s, rtol), 2)
    end
  end
end

local shapes = { {1000, 7}, {37, 53}, {5, 300, 4}, {3, 2, 1500}, {2, 1100, 3} }

-- The first best of a list in index order (NaN wins at its first place):
-- the reference for max/min with positions.
local function scan(l, better)
  local b, bi = l[1], 1
  if b ~= b then return b, 1 end
  for k = 2, #l do
    local v = l[k]
    if v ~= v then return v, k end
    if better(v, b) then b, bi = v, k end
  end
  return b, bi
end
local gt = function(a, b) return a > b end
local lt = function(a, b) return a < b end

describe("reductions over any dim", function()
  it("sum and mean match exact sums to 1e-13 (positive data)", function()
    gd.seed(1)
    for _, sh in ipairs(shapes) do
      local x = gd.rand(table.unpack(sh)) + 0.5
      for d = 1, #sh do
        local ls, sums, means = lines(x, d), {}, {}
        for i, l in ipairs(ls) do sums[i] = fsum(l); means[i] = sums[i] / #l end
        local what = ("%s over dim %d"):format(table.concat(sh, "x"), d)
        rel(x:sum(d), sums, 1e-13, nil, "sum " .. what)
        rel(x:mean(d), means, 1e-13, nil, "mean " .. what)
        rel(x:sum(d, true), sums, 1e-13, nil, "keepdim sum " .. what)
      end
    end
  end)

  it("sums of mixed signs err by at most 1e-13 of Σ|x|", function()
    gd.seed(2)
    local x = gd.randn(1200, 9) * gd.tensor{1, 1e3, 1e-3, 1, 1, 1e6, 1, 1, 1}
    local ls, sums, scale = lines(x, 1), {}, {}
    for i, l in ipairs(ls) do
      sums[i] = fsum(l)
      local a = {}
      for k, v in ipairs(l) do a[k] = math.abs(v) end
      scale[i] = fsum(a)
    end
    rel(x:sum(1), sums, 1e-13, scale, "mixed-sign sum(1)")
  end)

  it("var and std over a non-last dim match exact two-pass sums", function()
    gd.seed(3)
    local x = gd.rand(700, 11) * 4 + 1
    for _, ddof in ipairs { 0, 1 } do
      local ls, var, sd = lines(x, 1), {}, {}
      for i, l in ipairs(ls) do
        local m = fsum(l) / #l
        local sq = {}
        for k, v in ipairs(l) do sq[k] = (v - m) ^ 2 end
        var[i] = fsum(sq) / (#l - ddof)
        sd[i] = math.sqrt(var[i])
      end
      rel(x:var(1, false, { ddof = ddof }), var, 1e-13, nil, "var ddof " .. ddof)
      rel(x:std(1, false, { ddof = ddof }), sd, 1e-13, nil, "std ddof " .. ddof)
    end
  end)

  it("logsumexp, norm and prod over a non-last dim match loops", function()
    gd.seed(4)
    local x = gd.randn(300, 6) * 3
    local ls, lse, nrm, prod = lines(x, 1), {}, {}, {}
    for i, l in ipairs(ls) do
      local m = -math.huge
      for _, v in ipairs(l) do m = math.max(m, v) end
      local e, sq = {}, {}
      for k, v in ipairs(l) do e[k] = math.exp(v - m); sq[k] = v * v end
      lse[i] = m + math.log(fsum(e))
      nrm[i] = math.sqrt(fsum(sq))
    end
    rel(x:logsumexp(1), lse, 1e-13, nil, "logsumexp(1)")
    rel(x:norm(1), nrm, 1e-13, nil, "norm(1)")
    local p = gd.rand(40, 5) + 0.5
    for i, l in ipairs(lines(p, 1)) do
      local r = 1
      for _, v in ipairs(l) do r = r * v end
      prod[i] = r
    end
    assert.same(prod, p:prod(1):totable())           -- same order of products: same bits
    -- special values per column: NaN, +inf, all -inf
    local s = gd.tensor{{1, 0 / 0, math.huge, -math.huge}, {2, 1, 1, -math.huge}}
    local l = s:logsumexp(1):totable()
    assert.equal(2 + math.log(1 + math.exp(-1)), l[1])
    assert.is_true(l[2] ~= l[2])
    assert.same({math.huge, -math.huge}, {l[3], l[4]})
    local n = gd.tensor{{0, 0 / 0, math.huge}, {0, 1, 1}}:norm(1):totable()
    assert.equal(0, n[1]); assert.is_true(n[2] ~= n[2]); assert.equal(math.huge, n[3])
  end)

  it("max, min, argmax, argmin: first index on ties, the first NaN wins", function()
    local nan = 0 / 0
    local x = gd.tensor{
      {1, 5, nan, 2, -0.0},
      {3, 5, 1, nan, 0.0},
      {3, 2, nan, 7, 0.0},
      {0, 5, 4, nan, -1},
    }
    local mx, ix = x:max(1)
    local mxt, ixt = mx:totable(), ix:totable()
    assert.same({3, 5}, {mxt[1], mxt[2]})
    assert.is_true(mxt[3] ~= mxt[3] and mxt[4] ~= mxt[4])
    assert.same({2, 1, 1, 2, 1}, ixt)                -- ties → first; NaN → its first row
    assert.same({2, 1, 1, 2, 1}, x:argmax(1):totable())
    local mn, jn = x:min(1)
    assert.same({0, 2}, {mn:totable()[1], mn:totable()[2]})
    assert.same({4, 3, 1, 2, 4}, jn:totable())
    assert.same({4, 3, 1, 2, 4}, x:argmin(1):totable())
    -- a larger case against a loop, every dim of a 3-d tensor
    gd.seed(5)
    local y = gd.randint(1, 6, {6, 40, 3})     -- many ties
    for d = 1, 3 do
      local wantv, wanti = {}, {}
      for i, l in ipairs(lines(y, d)) do
        local b, bi = l[1], 1
        for k = 2, #l do if l[k] > b then b, bi = l[k], k end end
        wantv[i], wanti[i] = b, bi
      end
      local v, idx = y:max(d)
      assert.same(wantv, v:flatten():totable())
      assert.same(wanti, idx:flatten():totable())
    end
  end)

  it("the max and min of all elements (the vector loop) equal a scalar scan", function()
    gd.seed(12)
    for _, n in ipairs { 1, 7, 8, 9, 17, 1000, 10001 } do
      local x = gd.randn(n)
      local t = x:totable()
      assert.equal(math.max(table.unpack(t)), x:max():item())
      assert.equal(math.min(table.unpack(t)), x:min():item())
      assert.equal(math.max(table.unpack(t)), x:reshape(1, n):max():item())
    end
    -- NaN anywhere wins, wherever it falls among the lanes
    for _, at in ipairs { 1, 5, 8, 9, 100, 1001 } do
      local x = gd.randn(1001)
      x[at] = 0 / 0
      local mx, mn = x:max():item(), x:min():item()
      assert.is_true(mx ~= mx and mn ~= mn)
    end
    -- of ±0, the first one (as the scalar scan keeps the first of equal values)
    local z = gd.full({ 20 }, -1)       -- lane 7 of the first block, then lane 1 of the second
    z[7] = -0.0
    z[9] = 0.0
    assert.equal("-0.0", string.format("%.1f", z:max():item()))
    z[7] = 0.0
    z[9] = -0.0
    assert.equal("0.0", string.format("%.1f", z:max():item()))
    local w = gd.full({ 20 }, 1)
    w[4], w[13] = 0.0, -0.0
    assert.equal("0.0", string.format("%.1f", w:min():item()))
  end)

  it("max/min with positions along a line (the vector loop) equal a scalar scan", function()
    gd.seed(21)
    local sizes = {}
    for n = 1, 70 do sizes[#sizes + 1] = n end
    sizes[#sizes + 1] = 1000
    sizes[#sizes + 1] = 4099
    for _, n in ipairs(sizes) do
      local x = gd.randint(1, 5, { 3, n })   -- ties in every lane
      if n > 2 then x[2][n - 1] = 0 / 0 end  -- row 2: a NaN late, then one earlier
      if n > 20 then x[2][17] = 0 / 0 end
      x[3][n] = 9                             -- row 3: the best in the scalar tail
      for _, case in ipairs { { "max", "argmax", gt }, { "min", "argmin", lt } } do
        local v, ix = x[case[1]](x, 2)
        local a = x[case[2]](x, 2)
        for r = 1, 3 do
          local bv, bi = scan(x[r]:totable(), case[3])
          local got = v[r]
          assert.is_true(got == bv or (got ~= got and bv ~= bv), case[1] .. " value n=" .. n)
          assert.equal(bi, ix[r], case[1] .. " index n=" .. n .. " row " .. r)
          assert.equal(bi, a[r], case[2] .. " n=" .. n .. " row " .. r)
        end
        local fb, fi = scan(x:flatten():totable(), case[3])
        assert.equal(fi, x[case[2]](x):item(), case[2] .. " of all, n=" .. n)
      end
    end
    -- ±0: the first zero of a row, wherever its lane
    local z = gd.full({ 2, 40 }, -1)
    z[1][23], z[1][6] = 0.0, -0.0
    z[2][23], z[2][6] = -0.0, 0.0
    local v, ix = z:max(2)
    assert.equal("-0.0", string.format("%.1f", v[1]))
    assert.equal("0.0", string.format("%.1f", v[2]))
    assert.same({ 6, 6 }, ix:totable())
    -- the lanes start from the first element: a -0 there stays the first zero,
    -- with or without positions; sums of lanes that overflow (±1e308, ±inf)
    -- send the loop to its NaN scan, which finds none, or the first NaN
    for _, n in ipairs { 16, 17, 33, 64, 1000 } do
      local t, u = {}, {}
      for k = 1, n do
        t[k] = k % 2 == 1 and -0.0 or 0.0
        u[k] = k % 2 == 1 and 1e308 or -1e308
      end
      local zz = gd.tensor(t):reshape(1, n)
      local zv, zi = zz:max(2)
      assert.equal("-0.0", string.format("%.1f", zv[1]), "max(2) value n=" .. n)
      assert.equal(1, zi[1], "max(2) index n=" .. n)
      assert.equal("-0.0", string.format("%.1f", zz:max():item()), "max() n=" .. n)
      assert.equal("-0.0", string.format("%.1f", zz:min(2)[1]), "min(2) n=" .. n)
      u[5], u[n - 3] = -math.huge, math.huge
      local uu = gd.tensor(u):reshape(1, n)
      local uv, ui = uu:max(2)
      assert.same({ math.huge, n - 3 }, { uv[1], ui[1] }, "max(2) inf n=" .. n)
      assert.same({ -math.huge, 5 }, { uu:min():item(), uu:argmin():item() }, "min inf n=" .. n)
      assert.equal(1e308, gd.tensor(u):reshape(1, n):narrow(2, 6, n - 9):max():item())
      u[n - 1] = 0 / 0
      local nv, ni = gd.tensor(u):reshape(1, n):min(2)
      assert.is_true(nv[1] ~= nv[1], "NaN n=" .. n)
      assert.equal(n - 1, ni[1], "NaN index n=" .. n)
    end
  end)

  it("max/min with positions down the columns (rows 8 at a time, as a tree) equal a scalar scan", function()
    gd.seed(22)
    -- rows: below one block of 8, blocks and a tail; columns: below a vector, vectors
    -- and a tail, and past one column tile (1024)
    for _, sz in ipairs { { 5, 7 }, { 9, 8 }, { 17, 21 }, { 40, 13 }, { 67, 35 }, { 26, 1030 } } do
      local n, m = sz[1], sz[2]
      local x = gd.randint(1, 4, { n, m })    -- ties in every column
      local t = x:totable()
      for j = 1, m do                          -- NaN, ±0 and ±inf at rows across the blocks
        local r = (j * 7) % n + 1
        if j % 5 == 0 then t[r][j] = 0 / 0; t[n - (j % 3)][j] = 0 / 0 end
        if j % 5 == 1 then t[r][j] = math.huge end
        if j % 5 == 2 then for i = 1, n do t[i][j] = (i + j) % 2 == 0 and 0.0 or -0.0 end end
        if j % 5 == 3 then t[1][j] = 0 / 0 end
        if j % 7 == 4 then t[r][j] = -math.huge end
      end
      x = gd.tensor(t)
      for _, case in ipairs { { "max", "argmax", gt }, { "min", "argmin", lt } } do
        local v, ix = x[case[1]](x, 1)
        local a = x[case[2]](x, 1)
        for j = 1, m do
          local col = {}
          for i = 1, n do col[i] = t[i][j] end
          local bv, bi = scan(col, case[3])
          local what = ("%s %dx%d column %d"):format(case[1], n, m, j)
          local got = v[j]
          assert.is_true(got == bv or (got ~= got and bv ~= bv), what)
          assert.equal(string.format("%a", bv), string.format("%a", got), what .. " (the first zero's sign)")
          assert.equal(bi, ix[j], what .. " index")
          assert.equal(bi, a[j], case[2] .. " " .. what)
        end
      end
    end
  end)

  it("sums of lines follow the documented pairwise order to the bit", function()
    -- blocks of 128 summed with 8 accumulators (r[k] = x[k], then r[k] += x[i + k]
    -- by 8s, ((r1 + r2) + (r3 + r4)) + ((r5 + r6) + (r7 + r8)), then the tail),
    -- longer lines split at floor(n / 2) rounded down to a multiple of 8
    local function pairwise(t, i0, n)
      if n <= 128 then
        if n < 8 then
          local r = 0.0
          for i = i0, i0 + n - 1 do r = r + t[i] end
          return r
        end
        local r = {}
        for k = 0, 7 do r[k] = t[i0 + k] end
        local i = 8
        while i + 8 <= n do
          for k = 0, 7 do r[k] = r[k] + t[i0 + i + k] end
          i = i + 8
        end
        local s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for j = i, n - 1 do s = s + t[i0 + j] end
        return s
      end
      local h = (n // 2) & ~7
      return pairwise(t, i0, h) + pairwise(t, i0 + h, n - h)
    end
    gd.seed(41)
    for _, n in ipairs { 7, 8, 127, 128, 129, 135, 136, 200, 249, 255, 256, 257, 263, 264, 1000, 4099, 100003 } do
      local x = gd.randn(n) * 1e3 + gd.rand(n)
      local t = x:totable()
      local want = pairwise(t, 1, n)
      assert.equal(("%a"):format(want), ("%a"):format(x:sum():item()), "sum n=" .. n)
      assert.equal(("%a"):format(want), ("%a"):format(x:reshape(1, n):sum(2)[1]), "sum(2) n=" .. n)
      assert.equal(("%a"):format(want / n), ("%a"):format(x:mean():item()), "mean n=" .. n)
    end
  end)

  it("norm and logsumexp along lines match exact sums; norm scales only past the range", function()
    gd.seed(31)
    local x = gd.randn(3, 1000)
    local function sq(l) local t = {}; for i, v in ipairs(l) do t[i] = v * v end; return t end
    local want_n, want_l = {}, {}
    for i, l in ipairs(lines(x, 2)) do
      want_n[i] = math.sqrt(fsum(sq(l)))
      local m = math.max(table.unpack(l))
      local e = {}
      for k, v in ipairs(l) do e[k] = math.exp(v - m) end
      want_l[i] = m + math.log(fsum(e))
    end
    rel(x:norm(2), want_n, 1e-15, nil, "norm(2)")
    rel(x:logsumexp(2), want_l, 1e-14, nil, "logsumexp(2)")
    rel(x:norm(), { math.sqrt(fsum(sq(x:flatten():totable()))) }, 1e-15, nil, "norm()")
    -- squares that overflow or underflow: the scaled pass, the same relative accuracy
    for _, s in ipairs { 1e200, 1e-200, 1e-160, 2 ^ 511, 2 ^ -520 } do
      rel((x * s):norm(2), (gd.tensor(want_n) * s):totable(), 1e-14, nil, "norm(2) scaled " .. s)
      rel((x * s):norm(), { x:norm():item() * s }, 1e-14, nil, "norm() scaled " .. s)
    end
    assert.equal(5e-160, gd.tensor { 3e-160, 4e-160 }:norm():item())
    assert.equal(5e300, gd.tensor { 3e300, 4e300 }:norm():item())
    assert.equal(math.huge, gd.tensor { 1, math.huge, 2 }:norm():item())
    local n = gd.tensor { 1, 0 / 0, math.huge }:norm():item()
    assert.is_true(n ~= n)
    -- two threads: the same bits as one (the sum's tree is cut, not changed)
    local big, was = gd.randn(600000), gd.get_num_threads()
    gd.set_num_threads(1)
    local one = big:norm():item()
    gd.set_num_threads(2)
    local two = big:norm():item()
    gd.set_num_threads(was)
    assert.equal(string.format("%a", one), string.format("%a", two))
  end)

  it("reduces views, empties and one-row tensors as before", function()
    local x = gd.arange(12):reshape(3, 4)
    assert.same({12, 15, 18, 21}, x:sum(1):totable())
    assert.same({{12, 15, 18, 21}}, x:sum(1, true):totable())
    assert.same({6, 22, 38}, x.T:sum(1):totable())
    assert.same({0, 0, 0}, gd.zeros(0, 3):sum(1):totable())
    local m = gd.zeros(0, 3):mean(1):totable()
    assert.is_true(m[1] ~= m[1])
    assert.same({1, 2, 3}, gd.tensor{{1, 2, 3}}:sum(1):totable())
    u.errors(function() gd.zeros(0, 3):max(1) end, "gd.max", "empty")
  end)

  it("the tape's bias gradient (sum over the batch) matches exact sums", function()
    gd.seed(6)
    local c = gd.rand(500, 8) + 0.25
    local b = gd.Variable(gd.zeros(8))
    local x = gd.randn(500, 8)
    local tape <close> = gd.GradientTape()
    local loss = ((x + b) * c):sum()
    local g = tape:gradient(loss, b)
    local want = {}
    for i, l in ipairs(lines(c, 1)) do want[i] = fsum(l) end
    rel(g, want, 1e-13, nil, "bias gradient")
  end)
end)

describe("elementwise ops on permuted views", function()
  it("give the same bits as on the contiguous copy", function()
    gd.seed(7)
    local x = gd.randn(130, 70)
    local xt = x.T
    local ct = xt:copy()
    local want = {}
    for i = 1, 70 do
      want[i] = {}
      for j = 1, 130 do want[i][j] = x:at(j, i) end
    end
    assert.same(want, ct:totable())
    assert.same(gd.exp(ct):totable(), gd.exp(xt):totable())
    assert.same(gd.tanh(ct):totable(), gd.tanh(xt):totable())
    local y = gd.randn(70, 130)
    assert.same((ct + y):totable(), (xt + y):totable())
    assert.same((y * ct):totable(), (y * xt):totable())
    assert.same(gd.maximum(ct, 0.5):totable(), gd.maximum(xt, 0.5):totable())
    -- a 3-d permutation and a copy into a transposed destination
    local z = gd.randn(9, 40, 50)
    local p = z:permute(3, 1, 2)
    local pc = p:copy()
    for _, ijk in ipairs { {1, 1, 1}, {50, 9, 40}, {17, 4, 33}, {2, 8, 1} } do
      assert.equal(z:at(ijk[2], ijk[3], ijk[1]), pc:at(ijk[1], ijk[2], ijk[3]))
    end
    assert.same(gd.sqrt(gd.abs(pc)):totable(), gd.sqrt(gd.abs(p)):totable())
    local dst = gd.zeros(130, 70)
    local view = dst.T
    view[{ {}, {} }] = y
    assert.same(y.T:copy():totable(), dst:totable())
  end)

  it("binary and where ops on any mix of transposed operands give the contiguous bits", function()
    -- operands dense along the last dim or the one before mix in one strip
    -- run: x.T + y.T writes a transposed output, x.T + y gathers x.T
    gd.seed(9)
    local function same(a, b, what)
      assert.same(a.shape, b.shape, what)
      assert.equal(0, (a - b):abs():max():item(), what)
    end
    for _, sz in ipairs { { 130, 70 }, { 1000, 600 }, { 257, 9 }, { 9, 257 } } do
      local a, b = gd.randn(sz[1], sz[2]), gd.randn(sz[1], sz[2])
      local at, bt = a.T, b.T
      local ac, bc = at:copy(), bt:copy()
      local y = gd.randn(sz[2], sz[1])
      local what = sz[1] .. "x" .. sz[2]
      same(at + bt, ac + bc, what .. " x.T + y.T")
      same(at + y, ac + y, what .. " x.T + y")
      same(y * at, y * ac, what .. " y * x.T")
      same(at - bt:narrow(1, 1, 1), ac - bc:narrow(1, 1, 1), what .. " x.T - row")
      same(at / (bt:narrow(2, 1, 1) + 5), ac / (bc:narrow(2, 1, 1) + 5), what .. " x.T / col")
      same(at ^ 2 + 1, ac ^ 2 + 1, what .. " x.T ^ 2 + 1")
      same(gd.where(at:gt(0), bt, y), gd.where(ac:gt(0), bc, y), what .. " where")
      same(gd.where(y:gt(0), at, 0.5), gd.where(y:gt(0), ac, 0.5), what .. " where scalar")
      same(gd.maximum(at, y), gd.maximum(ac, y), what .. " maximum")
    end
    local z, w = gd.randn(3, 300, 302), gd.randn(3, 302, 300)   -- batched
    local zt = z:permute(1, 3, 2)
    same(zt + w, zt:copy() + w, "batched x.T + y")
    same(zt + zt, zt:copy() + zt:copy(), "batched x.T + x.T")
  end)

  it("large transposes (strips written with streaming stores) give the same bits", function()
    -- past 2 MiB of output a transpose's strips use streaming stores; odd sizes
    -- leave partial strips and chunks, odd strides take the plain stores
    gd.seed(8)
    for _, c in ipairs {
      { x = gd.randn(1000, 600), perm = { 2, 1 } },          -- streamed
      { x = gd.randn(1003, 517), perm = { 2, 1 } },          -- odd row stride: plain
      { x = gd.randn(3, 300, 302), perm = { 1, 3, 2 } },     -- streamed, batched
      { x = gd.randn(3, 301, 299), perm = { 1, 3, 2 } },     -- odd strides
      { x = gd.randn(1000, 604):narrow(2, 3, 600), perm = { 2, 1 } },  -- a strided input
    } do
      local v = c.x:permute(table.unpack(c.perm))
      local got = v:copy()
      -- every 97th element, found by its multi-index in the source
      local shape, n = v.shape, v:numel()
      for k = 0, n - 1, 97 do
        local idx, src, r = {}, {}, k
        for d = #shape, 1, -1 do idx[d] = r % shape[d] + 1; r = r // shape[d] end
        for d = 1, #shape do src[c.perm[d]] = idx[d] end
        assert.equal(c.x:at(table.unpack(src)), got:at(table.unpack(idx)))
      end
      assert.equal(0, (gd.exp(v) - gd.exp(got)):abs():max():item())
      assert.equal(0, (gd.tanh(v) - gd.tanh(got)):abs():max():item())
      assert.equal(0, (-v - -got):abs():max():item())
    end
  end)

end)
