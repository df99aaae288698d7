-- threads_spec.lua: the kernels' worker threads (src/threads.c).  Large
-- elementwise ops, reductions and optimizer steps split across threads;
-- results must be the same bits with any thread count, and the reductions
-- must also match exact sums (Shewchuk's partials, as Python's math.fsum).
local u = require "tests.helpers.util"

local N = 1000000        -- far above the split threshold (2 × 65536 elements)

-- Positions where a and b differ, two NaNs counting as equal.
local function ndiff(a, b)
  assert.same(a.shape, b.shape)
  local differ = a:ne(b) * (a:eq(a) + b:eq(b)):gt(0)
  return differ:sum():item()
end

-- f() evaluated with 1, 2 and 3 threads; returns the three results.
local function with_threads(f)
  local before = gd.get_num_threads()
  local r = {}
  for n = 1, 3 do
    gd.set_num_threads(n)
    r[n] = f()
  end
  gd.set_num_threads(before)
  return r
end

local fsum = require "tests.helpers.fsum"   -- exact sums (Shewchuk)

describe("gd.set_num_threads", function()
  it("sets and reads the thread count and checks its argument", function()
    local n0 = gd.get_num_threads()
    assert.is_true(math.type(n0) == "integer" and n0 >= 1 and n0 <= 64)
    assert.equal(n0, gd.set_num_threads(3))
    assert.equal(3, gd.get_num_threads())
    assert.equal(3, gd.set_num_threads(1))
    assert.equal(1, gd.get_num_threads())
    gd.set_num_threads(n0)
    u.errors(function() gd.set_num_threads(0) end, "gd.set_num_threads", "1..64", "got 0")
    u.errors(function() gd.set_num_threads(65) end, "gd.set_num_threads", "1..64")
    u.errors(function() gd.set_num_threads(-2) end, "gd.set_num_threads", "got -2")
    u.errors(function() gd.set_num_threads(1.5) end, "gd.set_num_threads", "integer representation")
    u.errors(function() gd.set_num_threads() end, "gd.set_num_threads", "integer expected")
    u.errors(function() gd.set_num_threads({}) end, "gd.set_num_threads", "integer expected")
    assert.equal(n0, gd.get_num_threads())
  end)

  it("GD_NUM_THREADS sets the count at start; bad values fall back to the cores", function()
    local exe = os.getenv("GDLUA") or "./gdlua"
    assert.equal("2", u.sh_line("GD_NUM_THREADS=2 " .. exe .. " -e 'print(gd.get_num_threads())'"))
    assert.equal("1", u.sh_line("GD_NUM_THREADS=1 " .. exe .. " -e 'print(gd.get_num_threads())'"))
    local cores = u.sh_line("getconf _NPROCESSORS_ONLN")
    local want = tostring(math.min(64, tonumber(cores)))
    assert.equal(want, u.sh_line("GD_NUM_THREADS=zero " .. exe .. " -e 'print(gd.get_num_threads())'"))
    assert.equal(want, u.sh_line("GD_NUM_THREADS=0 " .. exe .. " -e 'print(gd.get_num_threads())'"))
  end)
end)

describe("threaded kernels", function()
  gd.seed(11)
  local x = gd.randn(N) * 3
  local y = gd.randn(N)
  local pos = gd.rand(N) + 0.01
  local m = gd.randn(1000, 1000)

  it("unary ops give the same bits with 1, 2 and 3 threads", function()
    local ops = { "exp", "log", "log1p", "expm1", "sqrt", "abs", "sin", "cos", "tan", "tanh",
                  "sigmoid", "relu", "softplus", "sign", "floor", "ceil", "round", "square" }
    for _, op in ipairs(ops) do
      local arg = (op == "log" or op == "sqrt") and pos or x
      local r = with_threads(function() return gd[op](arg) end)
      assert.equal(0, ndiff(r[1], r[2]), op .. " 2 threads")
      assert.equal(0, ndiff(r[1], r[3]), op .. " 3 threads")
    end
    local r = with_threads(function() return -x end)
    assert.equal(0, ndiff(r[1], r[2]), "neg")
  end)

  it("binary ops, broadcasting, where, clip and copies give the same bits", function()
    local cases = {
      add = function() return x + y end, sub = function() return x - y end,
      mul = function() return x * y end, div = function() return x / y end,
      pow = function() return pos ^ y end, mod = function() return x % y end,
      scalar = function() return 2.5 * x - 1 end,
      maximum = function() return gd.maximum(x, y) end, lt = function() return x:lt(y) end,
      row = function() return m + m[1] end,
      col = function() return m * m:sum(2, true) end,
      transposed = function() return gd.exp(m.T) end,
      tsum = function() return m.T + m end,
      where = function() return gd.where(x:gt(0), x, y) end,
      clip = function() return gd.clip(x, -1, 1) end,
      copy = function() return m.T:copy() end,
      full = function() return gd.full({N}, 0.25) + 0 end,
    }
    for name, f in pairs(cases) do
      local r = with_threads(f)
      assert.equal(0, ndiff(r[1], r[2]), name .. " 2 threads")
      assert.equal(0, ndiff(r[1], r[3]), name .. " 3 threads")
    end
  end)

  it("a line long enough to be read with prefetches sums to the same bits split or not", function()
    local n = 4500000   -- past 2^22: its blocks (and each thread's leaves) prefetch
    local big = gd.rand(n) + 0.5
    local s, c = 0.0, 0.0          -- Neumaier's compensated sum, independent of reduce.c
    for _, v in ipairs(big:totable()) do
      local t = s + v
      if math.abs(s) >= math.abs(v) then c = c + ((s - t) + v) else c = c + ((v - t) + s) end
      s = t
    end
    local r = with_threads(function() return { big:sum():item(), big:mean():item() } end)
    for k = 2, 3 do
      assert.equal(r[1][1], r[k][1], ("sum, %d threads"):format(k))
      assert.equal(r[1][2], r[k][2], ("mean, %d threads"):format(k))
    end
    assert(math.abs(r[1][1] - (s + c)) <= 1e-13 * (s + c), "sum against the compensated sum")
  end)

  it("reductions are the same bits with any thread count and match exact sums", function()
    local NR = 1200000   -- reductions split from 2^20 elements
    local big = gd.rand(NR) + 0.5
    local vals = big:totable()
    local exact = fsum(vals)
    local mr = gd.randn(1200, 1000)
    local r = with_threads(function()
      return { big:sum():item(), big:mean():item(), big:var():item(), big:std():item(),
               big:max():item(), big:norm():item(),
               mr:sum(1), mr:sum(2), mr:max(1), mr:argmax(2), mr:var(1), mr:norm(2) }
    end)
    for k = 1, 6 do
      assert.equal(r[1][k], r[2][k], "all-element reduction " .. k)
      assert.equal(r[1][k], r[3][k], "all-element reduction " .. k)
    end
    for k = 7, 12 do
      assert.equal(0, ndiff(r[1][k], r[2][k]), "dim reduction " .. k)
      assert.equal(0, ndiff(r[1][k], r[3][k]), "dim reduction " .. k)
    end
    for n = 1, 3 do
      assert(math.abs(r[n][1] - exact) <= 1e-13 * exact, ("sum, %d threads"):format(n))
      assert(math.abs(r[n][2] - exact / NR) <= 1e-13 * exact / NR, ("mean, %d threads"):format(n))
    end
    local mean = exact / NR
    local sq = {}
    for i, v in ipairs(vals) do sq[i] = (v - mean) ^ 2 end
    local var = fsum(sq) / NR
    assert(math.abs(r[2][3] - var) <= 1e-13 * var, "var, 2 threads")
    local ss = {}
    for i, v in ipairs(vals) do ss[i] = v * v end
    local nrm = math.sqrt(fsum(ss))
    for n = 1, 3 do
      assert(math.abs(r[n][6] - nrm) <= 1e-14 * nrm, ("norm, %d threads"):format(n))
    end
  end)

  it("optimizer steps give the same bits with any thread count", function()
    local g = gd.randn(N)
    for _, make in ipairs {
      function() return gd.optim.Adam{lr = 0.01} end,
      function() return gd.optim.AdamW{lr = 0.01, amsgrad = true} end,
      function() return gd.optim.RMSprop{lr = 0.01, centered = true, momentum = 0.5} end,
      function() return gd.optim.SGD{lr = 0.1, momentum = 0.9, nesterov = true} end,
      function() return gd.optim.Adagrad(0.1) end,
    } do
      local r = with_threads(function()
        local w = gd.Variable(x:copy())
        local opt = make()
        for _ = 1, 3 do opt:apply_gradients{{g, w}} end
        return w:copy()
      end)
      assert.equal(0, ndiff(r[1], r[2]))
      assert.equal(0, ndiff(r[1], r[3]))
    end
  end)

  it("forks the plot child with workers running, and keeps working after", function()
    local before = gd.set_num_threads(2)
    local a = gd.exp(x)                     -- the workers exist now
    local path = os.tmpname()
    local fig = gd.plot.figure()
    fig:subplot(1):plot(gd.arange(10), gd.arange(10))
    fig:save(path .. ".txt")
    local f = assert(io.open(path .. ".txt"))
    assert.is_true(#f:read("a") > 0)
    f:close()
    os.remove(path .. ".txt")
    os.remove(path)
    assert.equal(0, ndiff(a, gd.exp(x)))
    gd.set_num_threads(before)
  end)
end)
