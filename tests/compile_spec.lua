-- compile_spec.lua: gd.compile (DESIGN.md section 11).  A compiled step is
-- checked against the same step run eagerly from the same start: after 100
-- steps every tensor must be equal bit for bit (tolerance 0), since replay
-- runs the same kernels in the same order.  Then the cache, the capture
-- errors, guards, and memory.

local function rss_kb()
  local f = assert(io.open("/proc/self/statm"))
  local _, resident = f:read("n", "n")
  f:close()
  return resident * 4
end

-- Tensors a and b hold exactly the same values (and shape).
local function same(a, b)
  assert.same(a.shape, b.shape)
  local d = (a - b):abs():max():item()
  assert.equal(0, d)
  local ta, tb = a:flatten():totable(), b:flatten():totable()
  for i = 1, #ta do assert.equal(ta[i], tb[i]) end
end

-- Run make() twice: 100 eager steps, then 100 steps through gd.compile;
-- make returns (step, state list); every state tensor must match exactly.
local function check_identity(make, steps)
  steps = steps or 100
  local s1, st1 = make()
  for _ = 1, steps do s1() end
  local s2, st2 = make()
  local c = gd.compile(s2)
  for _ = 1, steps do c() end
  for i = 1, #st1 do same(st1[i], st2[i]) end
  return c
end

local X = gd.tensor{{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
                    {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
local Y = gd.tensor{55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                    63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}:reshape(10, 1)

local function exam()
  local beta = gd.Variable(gd.tensor{5.0, 10.0}:reshape(2, 1))
  local function step()
    local tape <close> = gd.GradientTape()
    local r = Y - X:matmul(beta)
    local loss = r.T:matmul(r) / 10
    local slope = tape:gradient(loss, beta)
    beta:assign_sub(slope * 0.0015)
    return loss
  end
  return step, { beta }
end

describe("gd.compile bit-identity after 100 steps", function()
  it("the exam loop (seed 000 problem 2(3))", function()
    local c = check_identity(exam)
    local info = c:info()
    assert.equal(1, info.traces)
    assert.is_true(info.programs[1].instructions > 5)
    -- the closed form of 100 steps is not at hand; the eager run is the reference, and
    -- gradient descent must have moved β from its start
    local step, st = exam()
    gd.compile(step):run(100)
    assert.is_true(math.abs(st[1]:at(1, 1) - 5) > 1e-3)
  end)

  it("mle_normal's loop (1000 points)", function()
    check_identity(function()
      gd.seed(43052)
      local x = gd.normal(3, 2, 1000)
      local mu, sigma = gd.Variable(2.0), gd.Variable(3.0)
      local function step()
        local tape <close> = gd.GradientTape()
        local pdf = 1 / sigma * gd.exp(-0.5 * ((x - mu) / sigma) ^ 2)
        local logL = gd.log(pdf):sum()
        local dmu, dsigma = tape:gradient(logL, mu, sigma)
        mu:assign_add(dmu * 0.1 / 1000)
        sigma:assign_add(dsigma * 0.1 / 1000)
        return logL
      end
      return step, { mu, sigma }
    end)
  end)

  it("mle_normal's loop on 40,000 points, its elementwise chains fused", function()
    local c = check_identity(function()
      gd.seed(5)
      local x = gd.normal(3, 2, 40000)
      local mu, sigma = gd.Variable(2.0), gd.Variable(3.0)
      local function step()
        local tape <close> = gd.GradientTape()
        local logL = gd.log(1 / sigma * gd.exp(-0.5 * ((x - mu) / sigma) ^ 2)):sum()
        local dmu, dsigma = tape:gradient(logL, mu, sigma)
        mu:assign_add(dmu * 0.1 / 40000)
        sigma:assign_add(dsigma * 0.1 / 40000)
        return logL
      end
      return step, { mu, sigma }
    end, 20)
    local p = c:info().programs[1]
    assert.is_true(p.fused >= 7, "fused " .. p.fused)   -- sub, div, pow, mul, exp, mul, log at least
  end)

  it("an MLP 2-8-1 (tanh) with Adam", function()
    check_identity(function()
      gd.seed(7)
      local x = gd.randn(64, 2)
      local y = gd.sin(x:sum(2, true))
      local l1 = gd.nn.Dense(8, { activation = "tanh", input_dim = 2 })
      local l2 = gd.nn.Dense(1, { input_dim = 8 })
      local vars = { l1.kernel, l1.bias, l2.kernel, l2.bias }
      local opt = gd.optim.Adam{ lr = 0.01 }
      local function step()
        local tape <close> = gd.GradientTape()
        local loss = gd.losses.mse(y, l2(l1(x)))
        opt:apply_gradients(tape:gradient(loss, vars), vars)
        return loss
      end
      return step, vars
    end)
  end)

  it("a minibatch SGD loop with gd.randperm inside draws the same stream", function()
    local function make()
      gd.seed(11)
      local x = gd.randn(40, 3)
      local y = x:matmul(gd.tensor{ { 1 }, { -2 }, { 0.5 } }) + 0.1 * gd.randn(40, 1)
      local w = gd.Variable(gd.zeros(3, 1))
      local opt = gd.optim.SGD{ lr = 0.05, momentum = 0.9 }
      local function epoch()
        local perm = gd.randperm(40)
        local loss
        for b = 0, 3 do
          local ids = perm:narrow(1, b * 10 + 1, 10)
          local xb, yb = x:index(1, ids), y:index(1, ids)
          local tape <close> = gd.GradientTape()
          loss = ((xb:matmul(w) - yb) ^ 2):mean()
          opt:apply_gradients({ tape:gradient(loss, w) }, { w })
        end
        return loss
      end
      return epoch, { w }
    end
    local s1, st1 = make()
    for _ = 1, 100 do s1() end
    local after1 = gd.rand(5)
    local s2, st2 = make()
    local c = gd.compile(s2)
    for _ = 1, 100 do c() end
    same(st1[1], st2[1])
    same(after1, gd.rand(5))      -- the generator is where eager code leaves it
    -- and SGD found the generating weights (noise 0.1 on 40 points)
    assert.near(1, st2[1]:at(1, 1), 0.1)
    assert.near(-2, st2[1]:at(2, 1), 0.1)
  end)

  it("a nested-tape (Hessian row) step", function()
    check_identity(function()
      local x = gd.Variable(gd.tensor{ -1.2, 1.0 })
      local function f(v) return (1 - v[1]) ^ 2 + 100 * (v[2] - v[1] ^ 2) ^ 2 end
      local function step()
        local outer <close> = gd.GradientTape()
        local inner <close> = gd.GradientTape()
        local y = f(x)
        local g = inner:gradient(y, x)
        local h1 = outer:gradient(g[1], x)
        x:assign_sub(h1 * 1e-4 + g * 1e-4)
        return y
      end
      return step, { x }
    end)
  end)

  it("step:run(n) equals n calls, and results are fresh tensors", function()
    local s1, st1 = exam()
    local c1 = gd.compile(s1)
    local last
    for _ = 1, 50 do last = c1() end
    local s2, st2 = exam()
    local last2 = gd.compile(s2):run(50)
    same(st1[1], st2[1])
    same(last, last2)
    local again = c1()
    assert.is_false(rawequal(again, last))
    assert.is_true(again:item() < last:item())   -- the loss still falls, last kept its value
  end)
end)

describe("gd.compile's simplifications", function()
  -- the names of a program's instructions, in order
  local function ops(step)
    local names = {}
    for i, line in ipairs(step:info().programs[1].list) do names[i] = line:match("^(%S+)") end
    return table.concat(names, " ")
  end

  it("an op repeated on the same operands runs once; an unused result is not computed", function()
    local w = gd.Variable(gd.tensor{ 0.5, -1.5, 2 })
    local x = gd.tensor{ 1, 2, 3 }
    local function f()
      local z = x * w
      local unused = gd.exp(z)                       -- nothing reads it
      local a, b = gd.sigmoid(z), gd.sigmoid(z)       -- the same work twice
      w:assign_sub((a + b) * 0.1)
      return a - b
    end
    local eager_w = gd.Variable(gd.tensor{ 0.5, -1.5, 2 })
    local eager = function()
      local z = x * eager_w
      local a, b = gd.sigmoid(z), gd.sigmoid(z)
      eager_w:assign_sub((a + b) * 0.1)
      return a - b
    end
    local c = gd.compile(f)
    local r
    for _ = 1, 5 do r = c(); eager() end
    same(w, eager_w)
    same(r, gd.zeros(3))
    local list = ops(c)
    assert.is_nil(list:find("exp", 1, true), list)
    local _, nsig = list:gsub("sigmoid", "")
    assert.equal(1, nsig, list)
  end)

  it("an unused random draw still runs: the stream stays the eager one's", function()
    local w = gd.Variable(gd.zeros(4))
    local c = gd.compile(function()
      local _ = gd.rand(3)                            -- unused, but it advances the generator
      w:assign_add(gd.randn(4))
    end)
    gd.seed(21)
    for _ = 1, 3 do c() end
    gd.seed(21)
    local want = gd.zeros(4)
    for _ = 1, 3 do
      local _ = gd.rand(3)
      want = want + gd.randn(4)
    end
    same(w, want)
    assert.truthy(ops(c):find("random", 1, true) or ops(c):find("rand", 1, true), ops(c))
  end)
end)

describe("compile = true in the optimizer API", function()
  it("gd.optim.trace{compile = true}: SGD on |x|^2 follows x0·0.8^k, and the eager path bit for bit", function()
    local f = function(v) return (v * v):sum() end
    local path = gd.optim.trace(f, { 3, -4 }, gd.optim.SGD(0.1), 50, { compile = true })
    for k = 0, 50 do       -- x ← x − 0.1·2x = 0.8x
      assert.near(3 * 0.8 ^ k, path:at(k + 1, 1), 1e-13 * 3)
      assert.near(-4 * 0.8 ^ k, path:at(k + 1, 2), 1e-13 * 4)
    end
    local rosen = function(v) return (1 - v[1]) ^ 2 + 100 * (v[2] - v[1] ^ 2) ^ 2 end
    local p1, v1 = gd.optim.trace(rosen, { -1.2, 1 }, gd.optim.Adam{ lr = 0.05 }, 200)
    local p2, v2 = gd.optim.trace(rosen, { -1.2, 1 }, gd.optim.Adam{ lr = 0.05 }, 200, { compile = true })
    same(p1, p2)
    same(v1, v2)
  end)

  it("opt:minimize(loss_fn, vars, {compile = true}) equals the eager steps", function()
    local function run(compile)
      local w = gd.Variable(gd.tensor{ 1.0, -2.0, 0.5 })
      local opt = gd.optim.RMSprop{ lr = 0.01 }
      local loss_fn = function() return ((w - gd.tensor{ 2, 2, 2 }) ^ 2):sum() + w:abs():sum() end
      local loss
      for _ = 1, 100 do loss = opt:minimize(loss_fn, w, compile and { compile = true } or nil) end
      return w, loss, opt.iterations
    end
    local w1, l1, it1 = run(false)
    local w2, l2, it2 = run(true)
    same(w1, w2)
    same(l1, l2)
    assert.equal(100, it1)
    assert.equal(100, it2)
    assert.has_error(function() gd.optim.SGD(0.1):minimize(function() return w1:sum() end, w1, { compiled = true }) end)
  end)
end)

describe("gd.compile signatures and cache", function()
  it("retraces on a new shape and replays each", function()
    local function f(x) return (x * 2):sum() end
    local c = gd.compile(f)
    assert.equal(6, c(gd.ones(3)):item())
    assert.equal(10, c(gd.ones(5)):item())
    assert.equal(8, c(gd.full({4}, 1)):item())
    assert.equal(12, c(gd.full({3}, 2)):item())   -- replayed with the new values
    local info = c:info()
    assert.equal(3, info.traces)
    assert.equal(3, info.traced)
  end)

  it("numbers are static: a new value traces again", function()
    local c = gd.compile(function(x, k) return x * k end)
    same(gd.tensor{ 2, 4 }, c(gd.tensor{ 1, 2 }, 2))
    same(gd.tensor{ 3, 6 }, c(gd.tensor{ 1, 2 }, 3))
    assert.equal(2, c:info().traces)
  end)

  it("keeps at most max_traces", function()
    local c = gd.compile(function(x) return x + 1 end, { max_traces = 2 })
    for n = 1, 3 do c(gd.zeros(n)) end
    assert.equal(2, c:info().traces)
    assert.equal(3, c:info().traced)
    same(gd.ones(1), c(gd.zeros(1)))        -- evicted first: traced again
    assert.equal(4, c:info().traced)
  end)

  it("has help texts", function()
    local c = gd.compile(function(x) return x end)
    for _, f in ipairs { gd.compile, c.run, c.info, c.clear } do assert.is_string(gd._docs[f]) end
  end)

  it("checks its options with gd.check", function()
    assert.has_error(function() gd.compile(function() end, { max_trace = 2 }) end,
      "gd.compile: unknown option 'max_trace' (known: fallback, max_traces)")
    assert.has_error(function() gd.compile(function() end, { max_traces = 0 }) end)
    assert.has_error(function() gd.compile(42) end)
  end)

  it("a Variable replaced between calls retraces", function()
    local params = { w = gd.Variable(gd.tensor{ 1, 2 }) }
    local c = gd.compile(function(x) return x * params.w end)
    same(gd.tensor{ 3, 6 }, c(gd.tensor{ 3, 3 }))
    same(gd.tensor{ 3, 6 }, c(gd.tensor{ 3, 3 }))
    params.w = gd.Variable(gd.tensor{ 10, 20 })
    same(gd.tensor{ 30, 60 }, c(gd.tensor{ 3, 3 }))
    assert.equal(2, c:info().traced)
  end)

  it("an optimizer reset after the trace is an error, not a replay on its old state", function()
    local w = gd.Variable(gd.tensor{ 1, 2 })
    local opt = gd.optim.Adam{ lr = 0.1 }
    local c = gd.compile(function()
      local tape <close> = gd.GradientTape()
      opt:apply_gradients({ tape:gradient((w * w):sum(), w) }, { w })
    end)
    c()
    c()
    opt:reset()
    local ok, err = pcall(c)
    assert.is_false(ok)
    assert.matches("Adam optimizer was reset", err, 1, true)
    c:clear()
    c()
    assert.equal(1, opt.iterations)
  end)

  it("a Variable assigned outside between calls is read by reference", function()
    local w = gd.Variable(gd.tensor{ 1, 2 })
    local c = gd.compile(function(x) return x * w end)
    c(gd.ones(2))
    w:assign(gd.tensor{ 5, 7 })
    same(gd.tensor{ 5, 7 }, c(gd.ones(2)))
    assert.equal(1, c:info().traced)
  end)
end)

describe("gd.compile capture errors", function()
  local function trace_error(f, ...)
    local c = gd.compile(f)
    local ok, err = pcall(c, ...)
    assert.is_false(ok)
    return err
  end

  it("item on a traced tensor names the op, the line and gd.where", function()
    local line = debug.getinfo(1, "l").currentline + 2
    local err = trace_error(function(x)
      if x:sum():item() > 0 then return x end
      return -x
    end, gd.ones(2))
    assert.matches("item reads a traced tensor", err, 1, true)
    assert.matches("gd.where", err, 1, true)
    assert.matches("compile_spec.lua:" .. line, err, 1, true)
  end)

  it("a comparison driving an if, totable, tostring, x[i] and x:at", function()
    local cases = {
      { function(x) if x:gt(0):sum():item() == 2 then return x end end, "item" },
      { function(x) local t = x:totable(); return x * t[1] end, "totable" },
      { function(x) local s = tostring(x * 2); return x end, "tostring" },
      { function(x) return x * (x * 2)[1] end, "x[i] (a number)" },
      { function(x) return x * (x + 1):at(2) end, "x:at" },
    }
    for _, c in ipairs(cases) do
      local err = trace_error(c[1], gd.ones(2))
      assert.matches(c[2] .. " reads a traced tensor", err, 1, true)
    end
  end)

  it("an op with no compiled form", function()
    local err = trace_error(function(a) return gd.inv(a) end, gd.eye(2))
    assert.matches("gd.compile: inv has no compiled form", err, 1, true)
    err = trace_error(function(x) return gd.sort(x) * 2 end, gd.tensor{ 3, 1, 2 })
    assert.matches("no compiled form", err, 1, true)
  end)

  it("a backward rule that branches on values (prod's) refuses to be traced", function()
    -- the rule picks its formula by testing x for zeros (as cumprod's and det's,
    -- which have no compiled form at all): a replay
    -- would keep the traced choice whatever the new values are
    local cases = {
      { function(x) return gd.grad(function(v) return v:prod() end)(x) end, gd.tensor { 1, 2, 3 }, "gradient of prod" },
    }
    for _, c in ipairs(cases) do
      local err = trace_error(c[1], c[2])
      assert.matches(c[3] .. " (its rule tests", err, 1, true)
    end
  end)

  it("a tensor created outside and mutated inside", function()
    local outside = gd.zeros(3)
    local err = trace_error(function(x) outside[1] = 5; return x + outside end, gd.ones(3))
    assert.matches("mutates a tensor created outside the compiled function", err, 1, true)
    err = trace_error(function(x) x:set(1, 1); return x end, gd.ones(3))
    assert.matches("mutates a tensor created outside", err, 1, true)
  end)

  it("returning a number", function()
    local err = trace_error(function(x) return 1 end, gd.ones(1))
    assert.matches("returning a number", err, 1, true)
  end)

  it("fallback = true runs eagerly with a one-time warning", function()
    local c = gd.compile(function(x) return x * x:sum():item() end, { fallback = true })
    local lines = {}
    local stderr = io.stderr
    io.stderr = { write = function(_, ...) lines[#lines + 1] = table.concat({ ... }) end }
    local ok, r1 = pcall(c, gd.tensor{ 1, 2 })
    local r2 = ok and c(gd.tensor{ 2, 2 })
    io.stderr = stderr
    assert.is_true(ok, r1)
    same(gd.tensor{ 3, 6 }, r1)
    same(gd.tensor{ 8, 8 }, r2)          -- eager: item is read on every call
    assert.equal(1, #lines)
    assert.matches("running this step eagerly", lines[1], 1, true)
  end)
end)

describe("gd.compile memory", function()
  it("1e6 replays keep RSS flat", function()
    local step = exam()
    local c = gd.compile(step)
    c:run(1000)
    collectgarbage()
    local before = rss_kb()
    local peak = before
    for _ = 1, 10 do
      c:run(100000)
      peak = math.max(peak, rss_kb())
    end
    assert(peak - before < 1024, string.format("resident memory grew by %d KiB", peak - before))
  end)

  it("a compiled step whose Variables are collected is freed", function()
    collectgarbage()
    collectgarbage()
    local base = gd._compile.live()
    do
      local step = exam()
      local c = gd.compile(step)
      c:run(10)
      assert.equal(base + 1, gd._compile.live())
    end
    collectgarbage()
    collectgarbage()
    assert.equal(base, gd._compile.live())
  end)
end)
