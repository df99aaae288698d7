-- datasets_spec.lua: gd.data's generators (shapes, class balance, seeding,
-- noise-free geometry), scalers and one_hot.
local u = require "tests.helpers.util"
local close = u.close
local data = gd.data

local function count(y, v) return y:eq(v):sum():item() end

describe("gd.data datasets", function()
  it("make_moons: shapes, balance, points on the two half circles", function()
    local x, y = data.make_moons(101)
    assert.same({ 101, 2 }, x.shape)
    assert.same({ 101 }, y.shape)
    assert.equal(50, count(y, 0))
    assert.equal(51, count(y, 1))
    for i = 1, 101 do
      local a, b = x:at(i, 1), x:at(i, 2)
      if y[i] == 0 then   -- upper half of the unit circle at the origin
        close(a * a + b * b, 1, 1e-14)
        assert(b >= -1e-15)
      else                -- lower half of the unit circle at (1, 0.5)
        close((a - 1) ^ 2 + (b - 0.5) ^ 2, 1, 1e-14)
        assert(b <= 0.5 + 1e-15)
      end
    end
    -- unshuffled: the ends of each half circle come first and last
    local xs = data.make_moons(4, { shuffle = false })
    close(xs, { { 1, 0 }, { -1, 0 }, { 0, 0.5 }, { 2, 0.5 } }, 1e-15)
  end)
  it("make_circles: radii 1 and factor", function()
    local x, y = data.make_circles(60, { factor = 0.3 })
    assert.equal(30, count(y, 0))
    local r = gd.sqrt((x ^ 2):sum(2))
    for i = 1, 60 do close(r[i], y[i] == 0 and 1 or 0.3, 1e-14) end
    -- evenly spaced angles without the endpoint: 4 points at 0, 90, 180, 270 degrees
    local xs = data.make_circles(8, { shuffle = false, factor = 0.5 })
    close(xs:narrow(1, 1, 4), { { 1, 0 }, { 0, 1 }, { -1, 0 }, { 0, -1 } }, 1e-15)
    close(xs:narrow(1, 5, 4), { { 0.5, 0 }, { 0, 0.5 }, { -0.5, 0 }, { 0, -0.5 } }, 1e-15)
  end)
  it("noise has the stated standard deviation", function()
    gd.seed(8)
    local x0 = data.make_moons(20000, { shuffle = false })
    gd.seed(8)
    local x1 = data.make_moons(20000, { shuffle = false, noise = 0.2 })
    local d = (x1 - x0):reshape(-1)
    local sd = d:std():item()
    assert(math.abs(sd - 0.2) < 4 * 0.2 / math.sqrt(2 * 40000), "noise sd " .. sd)
  end)
  it("make_blobs: group sizes, centers, std 0 puts points on them", function()
    local x, y, c = data.make_blobs(10, { centers = 3, std = 0, n_features = 4 })
    assert.same({ 10, 4 }, x.shape)
    assert.same({ 3, 4 }, c.shape)
    assert.same({ 4, 3, 3 }, { count(y, 0), count(y, 1), count(y, 2) })
    for i = 1, 10 do close(x[i], c[y[i] + 1], 0) end
    local box = c:abs():max():item()
    assert(box <= 10)
    local given = gd.tensor{ { 0, 0 }, { 5, 5 } }
    local x2, y2 = data.make_blobs(20000, { centers = given, std = 0.5 })
    local m = x2:index(1, gd.arange(1, 20001):mask(y2:eq(1))):mean(1)
    close(m, { 5, 5 }, 4 * 0.5 / math.sqrt(10000))
  end)
  it("make_regression: y = x·coef + bias exactly without noise", function()
    local x, y, coef = data.make_regression(30, 15, { bias = 2 })
    assert.same({ 30, 15 }, x.shape)
    assert.same({ 30 }, y.shape)
    close(y, x:matmul(coef) + 2, 1e-12)
    assert.equal(10, coef:ne(0):sum():item())          -- n_informative = 10
    assert(coef:min():item() >= 0 and coef:max():item() <= 100)
  end)
  it("make_classification: shapes, balance, redundant features are combinations", function()
    local x, y = data.make_classification(200, { n_features = 6, n_informative = 3, n_redundant = 2, flip_y = 0 })
    assert.same({ 200, 6 }, x.shape)
    assert.equal(100, count(y, 0))
    assert.equal(100, count(y, 1))
    -- columns 4, 5 are exact linear combinations of columns 1..3
    local xi = x:narrow(2, 1, 3)
    local w = gd.lstsq(xi, x:narrow(2, 4, 2))
    close(xi:matmul(w), x:narrow(2, 4, 2), 1e-10)
    local x3, y3 = data.make_classification(90, { n_classes = 3, n_clusters_per_class = 1, flip_y = 0 })
    assert.same({ 30, 30, 30 }, { count(y3, 0), count(y3, 1), count(y3, 2) })
    assert.same({ 90, 20 }, x3.shape)
    u.errors(function() data.make_classification(10, { n_classes = 3, n_informative = 1 }) end,
      "gd.data.make_classification", "2^n_informative")
  end)
  it("sin_data: t = sin(2πx) on evenly spaced x without noise", function()
    local x, t = data.sin_data(11, { noise = 0 })
    assert.same({ 11, 1 }, x.shape)
    for i = 1, 11 do
      close(x:at(i, 1), (i - 1) / 10, 1e-15)
      close(t:at(i, 1), math.sin(2 * math.pi * (i - 1) / 10), 1e-15)
    end
    local xr = data.sin_data(1000, { random = true, noise = 0 })
    assert(xr:min():item() >= 0 and xr:max():item() < 1)
  end)
  it("the same seed gives the same data", function()
    for _, mk in ipairs{
      function() return data.make_moons(50, { noise = 0.1 }) end,
      function() return data.make_circles(50, { noise = 0.1 }) end,
      function() return data.make_blobs(50) end,
      function() return data.make_regression(50, 3, { noise = 1 }) end,
      function() return data.make_classification(50) end,
      function() return data.sin_data(50) end,
    } do
      gd.seed(99); local a, b = mk()
      gd.seed(99); local c, d = mk()
      close(a, c, 0); close(b, d, 0)
    end
  end)
  it("n = 0 gives empty tensors of the right shape", function()
    local x, y = data.make_moons(0); assert.same({ 0, 2 }, x.shape); assert.same({ 0 }, y.shape)
    x, y = data.make_circles(0); assert.same({ 0, 2 }, x.shape); assert.same({ 0 }, y.shape)
    x, y = data.make_blobs(0, { n_features = 3 }); assert.same({ 0, 3 }, x.shape); assert.same({ 0 }, y.shape)
    x, y = data.make_regression(0, 4, { noise = 1 }); assert.same({ 0, 4 }, x.shape); assert.same({ 0 }, y.shape)
    x, y = data.make_classification(0, { n_features = 5 }); assert.same({ 0, 5 }, x.shape); assert.same({ 0 }, y.shape)
    x, y = data.sin_data(0); assert.same({ 0, 1 }, x.shape); assert.same({ 0, 1 }, y.shape)
  end)
  it("checks arguments and options", function()
    u.errors(function() data.make_moons(-1) end, "gd.data.make_moons", "argument 1 (n)")
    u.errors(function() data.make_moons(10, { noize = 1 }) end, "gd.data.make_moons", "unknown option 'noize'")
    u.errors(function() data.make_moons(10, { noise = -1 }) end, "gd.data.make_moons", "noise")
    u.errors(function() data.make_circles(10, { factor = 1 }) end, "gd.data.make_circles", "factor")
    u.errors(function() data.make_blobs(10, { std = -1 }) end, "gd.data.make_blobs", "std")
    u.errors(function() data.make_regression(10, -2) end, "gd.data.make_regression", "argument 2 (p)")
    u.errors(function() data.make_classification(10, { n_features = 3, n_informative = 2, n_redundant = 2 }) end,
      "gd.data.make_classification", "n_features = 3")
  end)
end)

describe("gd.data.one_hot", function()
  it("maps labels 1..k to rows of the identity, any shape", function()
    close(data.one_hot({ 2, 1, 3 }, 4), { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, 1, 0 } }, 0)
    local h = data.one_hot(gd.tensor{ { 1, 2 }, { 2, 2 } }, 2)
    assert.same({ 2, 2, 2 }, h.shape)
    close(h[2], { { 0, 1 }, { 0, 1 } }, 0)
    assert.same({ 0, 3 }, data.one_hot(gd.zeros(0), 3).shape)
  end)
  it("rejects labels outside 1..k", function()
    u.errors(function() data.one_hot({ 1, 4 }, 3) end, "gd.data.one_hot", "label 4 > k = 3")
    u.errors(function() data.one_hot({ 0, 1 }, 3) end, "gd.data.one_hot", "label 0 < 1")
    u.errors(function() data.one_hot({ 1.5 }, 3) end, "gd.data.one_hot", "integers")
    u.errors(function() data.one_hot({ 1 }, 0) end, "gd.data.one_hot", "argument 2 (k)")
  end)
end)

describe("gd.data scalers", function()
  local x = gd.tensor{ { 1, 10, 5 }, { 3, 20, 5 }, { 8, 60, 5 } }
  it("standardize: columns to mean 0, std 1 (ddof 0); constant columns kept", function()
    local s, z = data.standardize(x)
    close(z:mean(1), { 0, 0, 0 }, 1e-15)
    close(z:std(1), { 1, 1, 0 }, 1e-15)
    close(s.mean, { 4, 30, 5 }, 1e-15)
    local sd1 = math.sqrt((9 + 1 + 16) / 3)
    close(s:transform(gd.tensor{ { 4 + sd1, 30, 6 } }), { { 1, 0, 1 } }, 1e-14)
    close(s:inverse_transform(z), x, 1e-13)
  end)
  it("minmax: columns onto range", function()
    local s, z = data.minmax(x, { range = { -1, 1 } })
    close(z, { { -1, -1, -1 }, { 2 * 2 / 7 - 1, -0.6, -1 }, { 1, 1, -1 } }, 1e-15)
    close(s:transform(gd.tensor{ { 4.5, 35, 5 } }), { { 0, 0, -1 } }, 1e-15)
    close(s:inverse_transform(z), x, 1e-13)
    local _, z01 = data.minmax(gd.tensor{ 2, 4, 3 })
    close(z01, { 0, 1, 0.5 }, 0)
  end)
  it("checks what it is given", function()
    local s = data.standardize(x)
    u.errors(function() s:transform(gd.ones(2, 2)) end, "gd.data.standardize:transform", "does not match")
    u.errors(function() data.minmax(x, { range = { 1, 0 } }) end, "gd.data.minmax", "range")
    u.errors(function() data.minmax(x, { rang = { 0, 1 } }) end, "gd.data.minmax", "unknown option 'rang'")
    u.errors(function() data.standardize(gd.zeros(0, 2)) end, "gd.data.standardize", "at least one row")
  end)
end)
