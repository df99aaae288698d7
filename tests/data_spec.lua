-- data_spec.lua: gd.data: batches, split, read_csv / write_csv.
local u = require "tests.helpers.util"
local close = u.close

local function tmpname() return os.tmpname() end

describe("gd.data", function()
  it("batches covers every row once, the last batch short", function()
    local x = gd.arange(1, 11):reshape(10, 1)
    local y = x * 2
    local sizes, sum = {}, 0
    for xb, yb in gd.data.batches(x, y, 4) do
      sizes[#sizes + 1] = #xb
      sum = sum + xb:sum():item()
      close(yb, xb * 2, 0)
    end
    assert.same({ 4, 4, 2 }, sizes)
    assert.equal(55, sum)
    gd.seed(5)
    local seen = {}
    for xb in gd.data.batches(x, y, 3, { shuffle = true }) do
      for i = 1, #xb do seen[#seen + 1] = xb:at(i, 1) end
    end
    table.sort(seen)
    close(seen, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0)
  end)
  it("split partitions the rows", function()
    gd.seed(1)
    local x = gd.arange(1, 101):reshape(100, 1)
    local xtr, ytr, xva, yva, xte, yte = gd.data.split(x, x, { train = 0.6, val = 0.2, test = 0.2 })
    assert.equal(60, #xtr); assert.equal(20, #xva); assert.equal(20, #xte)
    close(ytr, xtr, 0); close(yva, xva, 0); close(yte, xte, 0)
    close(xtr:sum():item() + xva:sum():item() + xte:sum():item(), 5050, 0)
    local a = gd.data.split(x, x, { train = 0.5, shuffle = false })
    close(a, gd.arange(1, 51):reshape(50, 1), 0)
  end)
  it("write_csv and read_csv round-trip, with a header and NaN", function()
    local p = tmpname()
    local x = gd.tensor{ { 1.5, -2 }, { 0 / 0, 1e-300 }, { 3, 4 } }
    assert.is_true(gd.data.write_csv(p, x, { header = { "a", "b" } }))
    local r, names = gd.data.read_csv(p, { header = true })
    assert.same({ "a", "b" }, names)
    assert.same({ 3, 2 }, r.shape)
    assert.is_true(r:at(2, 1) ~= r:at(2, 1))
    close(r:at(1, 1), 1.5, 0); close(r:at(2, 2), 1e-300, 0); close(r:at(3, 2), 4, 0)
    assert.is_true(gd.data.write_csv(p, x, { "u", "v" }))    -- a plain list of names is the header
    r, names = gd.data.read_csv(p, { header = true })
    assert.same({ "u", "v" }, names)
    assert.same({ 3, 2 }, r.shape)
    os.remove(p)
  end)
  it("malformed input names the line and column", function()
    local p = tmpname()
    local f = io.open(p, "w"); f:write("x,y\n1,2\n3,abc\n"); f:close()
    u.errors(function() gd.data.read_csv(p, { header = true }) end, "line 3, column 2", "abc")
    f = io.open(p, "w"); f:write("1,2\n3\n"); f:close()
    u.errors(function() gd.data.read_csv(p) end, "line 2")
    f = io.open(p, "w"); f:write("1,,NA\n"); f:close()
    local r = gd.data.read_csv(p)
    assert.is_true(r:at(1, 2) ~= r:at(1, 2) and r:at(1, 3) ~= r:at(1, 3))
    os.remove(p)
    local ok, msg = gd.data.read_csv("/nonexistent/file.csv")
    assert.is_nil(ok); assert.truthy(msg:find("nonexistent", 1, true))
  end)
  it("round-trips 1e5 rows x 5 columns exactly", function()
    local p = tmpname()
    local x = gd.randn(100000, 5)
    gd.data.write_csv(p, x)
    local r = gd.data.read_csv(p)
    close(r, x, 0)              -- written with 17 significant digits: exact
    os.remove(p)
  end)
end)
