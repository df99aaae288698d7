-- optim_spec.lua: gd.optim against DESIGN.md section 4's formulas computed by
-- hand, the exam's fixed numbers (seed 000, problem 2), schedules, paths, the
-- range test, the largest stable rate, and the errors.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

-- The small quadratic f(w) = ½wᵀAw − bᵀw, gradient Aw − b.
local A = { { 3, 1 }, { 1, 2 } }
local b = { 1, -1 }
local w0 = { 1, -2 }
local function grad(w)
  return { A[1][1] * w[1] + A[1][2] * w[2] - b[1], A[2][1] * w[1] + A[2][2] * w[2] - b[2] }
end
local At, bt = gd.tensor(A), gd.tensor(b)
local function loss_of(w) return 0.5 * (w * At:matmul(w)):sum() - (bt * w):sum() end

-- Reference steps, elementwise in plain Lua, straight from the DESIGN table.
-- Each takes (w, g, state, hp, t) and updates w and state in place.
local ref = {}
local function div(a, d) return d > 0 and a / d or 0 end   -- q/0 = 0: eps = 0 with g = 0
function ref.SGD(w, g, s, hp)
  local mu = hp.momentum or 0
  for i = 1, #w do
    if mu == 0 then
      w[i] = w[i] - hp.lr * g[i]
    else
      s.v = s.v or { 0, 0 }
      s.v[i] = mu * s.v[i] - hp.lr * g[i]
      if hp.nesterov then w[i] = w[i] + mu * s.v[i] - hp.lr * g[i]
      else w[i] = w[i] + s.v[i] end
    end
  end
end
function ref.Adagrad(w, g, s, hp)
  local eps = hp.eps or 1e-7
  s.h = s.h or { hp.initial_accumulator or 0, hp.initial_accumulator or 0 }
  for i = 1, #w do
    s.h[i] = s.h[i] + g[i] ^ 2
    w[i] = w[i] - hp.lr * div(g[i], math.sqrt(s.h[i]) + eps)
  end
end
function ref.RMSprop(w, g, s, hp)
  local rho, eps, mu = hp.rho or 0.9, hp.eps or 1e-7, hp.momentum or 0
  s.h, s.m, s.b = s.h or { 0, 0 }, s.m or { 0, 0 }, s.b or { 0, 0 }
  for i = 1, #w do
    s.h[i] = rho * s.h[i] + (1 - rho) * g[i] ^ 2
    local h = s.h[i]
    if hp.centered then
      s.m[i] = rho * s.m[i] + (1 - rho) * g[i]
      h = h - s.m[i] ^ 2
    end
    local step = hp.lr * div(g[i], math.sqrt(math.max(h, 0)) + eps)
    if mu > 0 then
      s.b[i] = mu * s.b[i] + step
      step = s.b[i]
    end
    w[i] = w[i] - step
  end
end
function ref.Adam(w, g, s, hp, t)
  local b1, b2, eps = hp.beta1 or 0.9, hp.beta2 or 0.999, hp.eps or 1e-7
  s.m, s.v, s.vmax = s.m or { 0, 0 }, s.v or { 0, 0 }, s.vmax or { 0, 0 }
  for i = 1, #w do
    s.m[i] = b1 * s.m[i] + (1 - b1) * g[i]
    s.v[i] = b2 * s.v[i] + (1 - b2) * g[i] ^ 2
    local v = s.v[i]
    if hp.amsgrad then
      s.vmax[i] = math.max(s.vmax[i], v)
      v = s.vmax[i]
    end
    local mhat, vhat = s.m[i] / (1 - b1 ^ t), v / (1 - b2 ^ t)
    w[i] = w[i] - hp.lr * div(mhat, math.sqrt(vhat) + eps)
  end
end
function ref.AdamW(w, g, s, hp, t)   -- decay first, then Adam (torch.optim.AdamW)
  local wd = hp.weight_decay or 0.004
  for i = 1, #w do w[i] = w[i] - hp.lr * wd * w[i] end
  ref.Adam(w, g, s, hp, t)
end

local settings = {
  SGD = { { lr = 0.1 }, { lr = 0.05, momentum = 0.9 }, { lr = 0.05, momentum = 0.5, nesterov = true },
          { lr = 0.2, momentum = 1 } },
  Adagrad = { { lr = 0.5 }, { lr = 0.1, eps = 0, initial_accumulator = 0.1 }, { lr = 0.3, eps = 1e-3 } },
  RMSprop = { { lr = 0.01 }, { lr = 0.01, eps = 0 }, { lr = 0.01, momentum = 0.9 }, { lr = 0.01, centered = true },
              { lr = 0.02, rho = 0.5, momentum = 0.5, centered = true, eps = 0 } },
  Adam = { { lr = 0.1 }, { lr = 0.1, beta1 = 0.5, beta2 = 0.9, eps = 0 }, { lr = 0.2, beta2 = 0.5, amsgrad = true },
           { lr = 0.9, beta1 = 0.9, beta2 = 0.9 }, { lr = 0.05, beta1 = 0, beta2 = 0 } },
  AdamW = { { lr = 0.1 }, { lr = 0.1, weight_decay = 0.1, amsgrad = true, eps = 0 } },
}

local function describe_hp(hp)
  local keys = {}
  for k in pairs(hp) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(hp[k]) end
  return "{" .. table.concat(keys, ", ") .. "}"
end

describe("gd.optim optimizers", function()
  for _, name in ipairs { "SGD", "Adagrad", "RMSprop", "Adam", "AdamW" } do
    for _, hp in ipairs(settings[name]) do
      it(name .. describe_hp(hp) .. ": three steps match the formula to 1e-12", function()
        local opt = gd.optim[name](hp)
        local w = gd.Variable(w0)
        local rw, st = { w0[1], w0[2] }, {}
        for t = 1, 3 do
          if t == 2 then       -- one step through minimize (tape gradient), the others by hand
            opt:minimize(function() return loss_of(w) end, w)
          else
            local g = grad(w:totable())
            opt:apply_gradients { { gd.tensor(g), w } }
          end
          ref[name](rw, grad(rw), st, hp, t)
          close(w, rw, 1e-12, name .. " step " .. t)
        end
        assert.equal(3, opt.iterations)
      end)
    end
  end

  it("has DESIGN's defaults", function()
    local sgd = gd.optim.SGD()
    assert.equal(0.01, sgd.lr); assert.equal(0, sgd.momentum); assert.equal(false, sgd.nesterov)
    local ada = gd.optim.Adagrad()
    assert.equal(0.001, ada.lr); assert.equal(1e-7, ada.eps); assert.equal(0, ada.initial_accumulator)
    local rms = gd.optim.RMSprop()
    assert.equal(0.001, rms.lr); assert.equal(0.9, rms.rho); assert.equal(1e-7, rms.eps)
    assert.equal(0, rms.momentum); assert.equal(false, rms.centered)
    local adam = gd.optim.Adam()
    assert.equal(0.001, adam.lr); assert.equal(0.9, adam.beta1); assert.equal(0.999, adam.beta2)
    assert.equal(1e-7, adam.eps); assert.equal(false, adam.amsgrad)
    local adamw = gd.optim.AdamW()
    assert.equal(0.004, adamw.weight_decay); assert.equal(0.001, adamw.lr)
    assert.equal("AdamW", adamw.name)
    assert.equal(0.0015, gd.optim.SGD(0.0015).lr)
    assert.equal(0.9, gd.optim.Adam { lr = 0.9, beta1 = 0.9, beta2 = 0.9 }.lr)
    assert.truthy(tostring(adam):find("Adam{lr = 0.001", 1, true))
  end)

  it("Adam's first step is lr·sign(g) up to eps", function()
    local w = gd.Variable { 1, -2, 3, 0.5 }
    local g = gd.tensor { 0.3, -7, 1e-3, -250 }
    local opt = gd.optim.Adam { lr = 0.01 }
    opt:apply_gradients { { g, w } }
    local d = (w - gd.tensor { 1, -2, 3, 0.5 }):totable()
    local s = { 1, -1, 1, -1 }
    for i = 1, 4 do close(d[i], -0.01 * s[i], 0.01 * 1e-7 / math.abs(g[i]) + 1e-15) end
    local m = opt:slots(w)
    close(m.m, g * (1 - 0.9), 1e-15)
    close(m.v, g * g * (1 - 0.999), 1e-15)
  end)

  it("eps = 0 works, and a zero gradient with zero state moves nothing", function()
    for _, name in ipairs { "Adagrad", "RMSprop", "Adam" } do
      local w = gd.Variable { 1, 2 }
      local opt = gd.optim[name] { lr = 0.1, eps = 0 }
      opt:apply_gradients { { gd.tensor { 0, 4 }, w } }
      assert.equal(1, w[1])
      assert.is_true(w[2] < 2 and w[2] == w[2], name)
    end
  end)

  it("lr is settable between steps, iterations counts calls, reset forgets state", function()
    local opt = gd.optim.SGD { lr = 0.1, momentum = 0.9 }
    local w = gd.Variable(w0)
    local rw, st = { w0[1], w0[2] }, {}
    for t = 1, 3 do
      opt.lr = 0.1 / t
      assert.equal(0.1 / t, opt.lr)
      opt:apply_gradients(gd.tensor(grad(w:totable())), w)
      ref.SGD(rw, grad(rw), st, { lr = 0.1 / t, momentum = 0.9 })
    end
    close(w, rw, 1e-12)
    assert.equal(3, opt.iterations)
    opt:reset()
    assert.equal(0, opt.iterations)
    assert.same({}, opt:slots(w))
    local w2 = gd.Variable(w:totable())
    local fresh = gd.optim.SGD { lr = 1 / 30, momentum = 0.9 }
    opt:apply_gradients { { gd.tensor { 1, 1 }, w } }
    fresh:apply_gradients { { gd.tensor { 1, 1 }, w2 } }
    close(w, w2, 0)
  end)

  it("keeps state per variable; the (grads, vars) form takes tape:gradient's list", function()
    local a, c = gd.Variable { 1, 2 }, gd.Variable(3.0)
    local opt = gd.optim.Adam { lr = 0.1 }
    local sa, sc = { 1, 2 }, { 3 }
    local sta, stc = {}, {}
    for t = 1, 3 do
      local tape <close> = gd.GradientTape()
      local loss = (a * a):sum() + c * c * c
      tape:stop()
      opt:apply_gradients(tape:gradient(loss, { a, c }), { a, c })
      ref.Adam(sa, { 2 * sa[1], 2 * sa[2] }, sta, { lr = 0.1 }, t)
      ref.Adam(sc, { 3 * sc[1] ^ 2 }, stc, { lr = 0.1 }, t)
    end
    close(a, sa, 1e-12)
    close(c:item(), sc[1], 1e-12)
  end)

  it("accepts strided and aliasing gradients", function()
    local w = gd.Variable { { 1, 2 }, { 3, 4 } }
    local g = gd.tensor { { 1, 3 }, { 2, 4 } }.T              -- a transposed view
    gd.optim.SGD(0.5):apply_gradients { { g, w } }
    close(w, { { 0.5, 1 }, { 1.5, 2 } }, 0)
    gd.optim.SGD(0.5):apply_gradients { { w, w } }              -- g is w itself
    close(w, { { 0.25, 0.5 }, { 0.75, 1 } }, 0)
    local e = gd.Variable(gd.zeros(0))                           -- empty variables are fine
    gd.optim.Adam():apply_gradients { { gd.zeros(0), e } }
  end)

  it("bumps the variable's version: a tape holding it sees the change", function()
    local w = gd.Variable { 1, 2 }
    local tape <close> = gd.GradientTape()
    local y = (w * w):sum()
    tape:stop()
    gd.optim.SGD(0.1):apply_gradients { { gd.tensor { 1, 1 }, w } }
    assert.has_error(function() tape:gradient(y, w) end)
  end)

  it("minimize records loss_fn on a tape and returns the loss before the step", function()
    local w = gd.Variable(w0)
    local opt = gd.optim.SGD(0.1)
    local loss = opt:minimize(function() return loss_of(w) end, { w })
    local rw = { w0[1], w0[2] }
    local g = grad(rw)
    close(loss:item(), 0.5 * (3 * 1 + 2 * 1 * -2 + 2 * 4) - (1 * 1 + -1 * -2), 1e-12)
    close(w, { rw[1] - 0.1 * g[1], rw[2] - 0.1 * g[2] }, 1e-12)
    -- a non-trainable variable is watched by minimize too
    local v = gd.Variable({ 2.0 }, { trainable = false })
    opt:minimize(function() return (v * v):sum() end, v)
    close(v, { 2 - 0.1 * 4 }, 1e-12)
  end)

  it("has docs for help()", function()
    for _, f in ipairs { gd.optim.SGD, gd.optim.Adagrad, gd.optim.RMSprop, gd.optim.Adam, gd.optim.AdamW,
                         gd.optim.trace, gd.optim.lr_find, gd.optim.max_stable_lr,
                         gd.optim.schedules.exponential, gd.optim.schedules.step, gd.optim.schedules.cosine } do
      assert.is_string(gd._docs[f])
    end
    local opt = gd.optim.SGD()
    assert.is_string(gd._docs[opt.apply_gradients])
    assert.is_string(gd._docs[opt.minimize])
    assert.is_string(gd._docs[opt.reset])
  end)
end)

describe("gd.optim errors", function()
  it("skips a nil gradient with a warning; all nil is an error", function()
    local a, c = gd.Variable { 1, 2 }, gd.Variable { { 3 } }
    local warned = {}
    local saved = _G.warn
    _G.warn = function(msg) warned[#warned + 1] = msg end
    local ok, err = pcall(function()
      gd.optim.SGD(0.5):apply_gradients({ nil, gd.tensor { 1, 1 } }, { c, a })
    end)
    _G.warn = saved
    assert(ok, err)
    close(a, { 0.5, 1.5 }, 0)
    close(c, { { 3 } }, 0)
    assert.equal(1, #warned)
    assert.truthy(warned[1]:find("no gradient for variable 1 (shape {1,1})", 1, true))
    errors(function() gd.optim.SGD(0.5):apply_gradients({}, { a, c }) end, "no gradient for any")
    errors(function() gd.optim.SGD(0.5):apply_gradients { { nil, a } } end, "no gradient for any")
    errors(function() gd.optim.SGD(0.5):apply_gradients(nil, a) end, "no gradient for any")
  end)

  it("a shape mismatch names both shapes and changes nothing", function()
    local a, c = gd.Variable { 1, 2 }, gd.Variable { { 1, 2, 3 } }
    errors(function()
      gd.optim.SGD(0.5):apply_gradients { { gd.tensor { 1, 1 }, a }, { gd.zeros(3, 1), c } }
    end, "{3,1}", "{1,3}", "gradient 2")
    close(a, { 1, 2 }, 0)
  end)

  it("rejects bad hyper-parameters", function()
    errors(function() gd.optim.SGD(0) end, "gd.optim.SGD", "lr")
    errors(function() gd.optim.SGD(-1) end, "lr")
    errors(function() gd.optim.Adam { lr = -0.1 } end, "lr")
    errors(function() gd.optim.Adam { beta1 = 1 } end, "beta1", "[0, 1)")
    errors(function() gd.optim.Adam { beta2 = -0.1 } end, "beta2")
    errors(function() gd.optim.AdamW { beta2 = 0 / 0 } end, "beta2")
    errors(function() gd.optim.Adam { eps = -1e-8 } end, "eps")
    errors(function() gd.optim.RMSprop { eps = -1 } end, "eps")
    errors(function() gd.optim.Adagrad { eps = -1 } end, "eps")
    errors(function() gd.optim.RMSprop { rho = 1 } end, "rho")
    errors(function() gd.optim.SGD { momentum = -0.5 } end, "momentum")
    errors(function() gd.optim.AdamW { weight_decay = -1 } end, "weight_decay")
    errors(function() gd.optim.Adam { beta_1 = 0.9 } end, "unknown option 'beta_1'", "beta1")
    errors(function() gd.optim.SGD { beta1 = 0.9 } end, "unknown option 'beta1'")
    errors(function() gd.optim.Adam { amsgrad = 1 } end, "amsgrad must be a boolean")
    errors(function() gd.optim.Adam "fast" end, "argument 1")
    local opt = gd.optim.SGD(0.1)
    errors(function() opt.lr = 0 end, "lr")
    errors(function() opt.lr = "big" end, "lr")
    errors(function() opt.momentum = 0.5 end, "cannot set 'momentum'")
    errors(function() opt:apply_gradients { { gd.tensor { 1 }, gd.tensor { 1 } } } end, "gd.Variable expected")
    errors(function() opt:apply_gradients { { "g", gd.Variable { 1 } } } end, "gradient 1")
    errors(function() opt:apply_gradients(gd.tensor { 1 }) end, "pairs expected")
    errors(function() opt:apply_gradients {} end, "no variables")
    errors(function() opt:minimize(function() return 1 end, gd.Variable { 1 }) end, "must return a tensor")
    errors(function() opt:minimize(function() end, gd.tensor { 1 }) end, "gd.Variable")
    errors(function() opt.apply_gradients(42, {}) end, "gd.Optimizer expected")
  end)
end)

describe("gd.optim.schedules", function()
  local S = gd.optim.schedules

  it("give the documented values", function()
    local e = S.exponential(0.1, 0.5, 10)
    close(e(0), 0.1, 1e-15); close(e(10), 0.05, 1e-15); close(e(5), 0.1 * 0.5 ^ 0.5, 1e-15)
    local es = S.exponential(0.1, 0.5, 10, true)
    close(es(9), 0.1, 1e-15); close(es(10), 0.05, 1e-15)
    local st = S.step(1, 0.1, 3)
    close({ st(0), st(2), st(3), st(7) }, { 1, 1, 0.1, 0.01 }, 1e-15)
    local c = S.cosine(1, 100, 0.1)
    close({ c(0), c(50), c(100), c(200) }, { 1, 0.55, 0.1, 0.1 }, 1e-15)
    assert.truthy(tostring(c):find("cosine", 1, true))
    errors(function() S.exponential(0, 0.5, 10) end, "lr0")
    errors(function() S.step(1, 0.1, 0) end, "every")
    errors(function() S.cosine(1, 10, 2) end, "lr_min")
  end)

  it("are accepted wherever lr is, called with the step number", function()
    local sched = S.exponential(0.1, 0.5, 2)
    for _, opt in ipairs { gd.optim.SGD(sched), gd.optim.SGD { lr = sched } } do
      local w = gd.Variable(w0)
      local rw = { w0[1], w0[2] }
      for t = 0, 2 do
        close(opt.lr, 0.1 * 0.5 ^ (t / 2), 1e-15)
        opt:apply_gradients { { gd.tensor(grad(w:totable())), w } }
        ref.SGD(rw, grad(rw), {}, { lr = 0.1 * 0.5 ^ (t / 2) })
      end
      close(w, rw, 1e-12)
      assert.equal(sched, opt.schedule)
    end
    local opt = gd.optim.Adam()
    opt.lr = function(t) return 0.01 / (t + 1) end
    close(opt.lr, 0.01, 0)
    opt.lr = 0.5
    assert.is_nil(opt.schedule)
    local bad = gd.optim.SGD(function(t) return t == 0 and 0.1 or -1 end)
    local w = gd.Variable { 1 }
    bad:apply_gradients { { gd.tensor { 1 }, w } }
    errors(function() bad:apply_gradients { { gd.tensor { 1 }, w } } end, "schedule", "step 1")
  end)
end)

describe("gd.optim.trace", function()
  it("returns the (steps+1)×n path and f along it", function()
    local f = function(x) return loss_of(x) end
    local path, values = gd.optim.trace(f, w0, gd.optim.SGD(0.1), 5)
    assert.same({ 6, 2 }, path.shape)
    assert.same({ 6 }, values.shape)
    local rw = { w0[1], w0[2] }
    close(path[1], rw, 0)
    for i = 2, 6 do
      ref.SGD(rw, grad(rw), {}, { lr = 0.1 })
      close(path[i], rw, 1e-12)
    end
    close(values[6], loss_of(gd.tensor(rw)):item(), 1e-12)
    assert.same({ 1, 3 }, gd.optim.trace(function(v) return (v * v):sum() end, { 1, 2, 3 }, gd.optim.Adam(), 0).shape)
  end)
end)

describe("gd.optim.max_stable_lr and lr_find", function()
  -- ½xᵀAx with a fixed SPD A (3×3)
  local M = gd.tensor { { 4, 1, 0.5 }, { 1, 3, 0.2 }, { 0.5, 0.2, 1 } }
  local x = gd.Variable { 1, -1, 2 }
  local quad = function() return 0.5 * (x * M:matmul(x)):sum() end

  it("is 2/λmax(A) on ½xᵀAx (gd.eigh)", function()
    local lr, lambda = gd.optim.max_stable_lr(quad, x)
    local w = gd.eigh(M)
    close(lambda, w[3], 1e-10)
    close(lr, 2 / w[3], 1e-12)
    close(x, { 1, -1, 2 }, 0)             -- the variables are untouched
  end)

  it("SGD just under it converges and just over it diverges", function()
    local lr = gd.optim.max_stable_lr(quad, x)
    local function run(rate)
      local v = gd.Variable { 1, -1, 2 }
      local opt = gd.optim.SGD(rate)
      local f = function() return 0.5 * (v * M:matmul(v)):sum() end
      for _ = 1, 1000 do opt:minimize(f, v) end
      return v:norm():item()
    end
    assert.is_true(run(0.99 * lr) < 1e-6)
    assert.is_true(run(1.01 * lr) > 1e6)
  end)

  it("the range test returns the curve and a suggestion, and restores the variables", function()
    local r = gd.optim.lr_find(quad, x, { min = 1e-4, max = 10, steps = 50 })
    assert.equal(r.lrs:numel(), r.losses:numel())
    close(r.lrs[1], 1e-4, 1e-18)
    assert.is_true(r.suggestion >= 1e-4 and r.suggestion <= 10)
    assert.is_number(r.diverged_at)
    assert.is_true(r.diverged_at > r.suggestion)
    close(x, { 1, -1, 2 }, 0)
    errors(function() gd.optim.lr_find(quad, x, { min = 1, max = 0.1 }) end, "max")
    errors(function() gd.optim.lr_find(quad, gd.tensor { 1 }) end, "gd.Variable")
  end)
end)

describe("seed 000 problem 2: the exam's regression by gradient descent", function()
  local X = gd.tensor { { 1, 20.1 }, { 1, 22.2 }, { 1, 22.7 }, { 1, 23.3 }, { 1, 24.4 },
                        { 1, 25.1 }, { 1, 26.2 }, { 1, 27.3 }, { 1, 28.4 }, { 1, 30.4 } }
  local y = gd.tensor { 55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                        63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286 }:reshape(10, 1)
  local expected = { 9.28579424, 2.24168098 }

  it("2(2): the analytic derivative loop", function()
    local beta = gd.tensor { 5, 10 }:reshape(2, 1)
    local XtX, Xty = X.T:matmul(X), X.T:matmul(y)
    for _ = 1, 50000 do beta = beta - 0.0015 * (-2 * Xty + 2 * XtX:matmul(beta)) / 10 end
    close(beta, expected, 1e-8)
  end)

  it("2(3): apply_gradients with SGD(0.0015)", function()
    local beta = gd.Variable(gd.tensor { 5.0, 10.0 }:reshape(2, 1))
    local opt = gd.optim.SGD(0.0015)
    for _ = 1, 50000 do
      local tape <close> = gd.GradientTape()
      local r = y - X:matmul(beta)
      local loss = r.T:matmul(r) / 10
      tape:stop()
      opt:apply_gradients { { tape:gradient(loss, beta), beta } }
    end
    close(beta, expected, 1e-8)
  end)

  it("2(4): minimize with SGD(0.0015)", function()
    local beta = gd.Variable(gd.tensor { 5.0, 10.0 }:reshape(2, 1))
    local opt = gd.optim.SGD(0.0015)
    local loss_fn = function() return (y - X:matmul(beta)).T:matmul(y - X:matmul(beta)) / 10 end
    for _ = 1, 50000 do opt:minimize(loss_fn, beta) end
    close(beta, expected, 1e-8)
    assert.equal(50000, opt.iterations)
  end)
end)
