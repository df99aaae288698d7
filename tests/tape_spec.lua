-- tape_spec.lua: GradientTape semantics (TensorFlow's), Variables, no_grad,
-- higher-order gradients and the functional forms, against closed forms.
local u = require "tests.helpers.util"
local close, errors = u.close, u.errors

describe("Variable", function()
  it("is a tensor assignable in place", function()
    local v = gd.Variable({1, 2}, { name = "w" })
    assert.equal("w", v.name)
    assert.is_true(v.trainable)
    assert.same({2}, v.shape)
    assert.same({4, 6}, (v * 2 + v * 0 + 2):totable())
    v:assign({5, 6})
    assert.same({5, 6}, v:totable())
    v:assign_add(1)
    assert.same({6, 7}, v:totable())
    v:assign_sub(gd.tensor{1, 2})
    assert.same({5, 5}, v:totable())
    assert.equal("variable([5., 5.])", tostring(v))
    assert.is_false(gd.Variable(1, { trainable = false }).trainable)
    errors(function() v:assign({1, 2, 3}) end, "assign", "{3}", "{2}")
  end)
end)

describe("GradientTape", function()
  it("watches trainable variables and returns several gradients", function()
    local a, b = gd.Variable(3.0), gd.Variable(4.0)
    local tape <close> = gd.GradientTape()
    local y = a * a * b + b
    local ga, gb = tape:gradient(y, a, b)
    assert.equal(24, ga:item())     -- 2ab
    assert.equal(10, gb:item())     -- a² + 1
  end)

  it("takes a list of sources and returns a table", function()
    local a, b = gd.Variable(2.0), gd.Variable({1, 2})
    local tape <close> = gd.GradientTape()
    local y = (a * b):sum()
    local g = tape:gradient(y, { a, b })
    assert.equal(3, g[1]:item())
    assert.same({2, 2}, g[2]:totable())
  end)

  it("sums non-scalar targets", function()
    local x = gd.Variable({1, 2, 3})
    local tape <close> = gd.GradientTape()
    local y = x * x
    close(tape:gradient(y, x), {2, 4, 6}, 0)
  end)

  it("watches plain tensors only on request", function()
    local x = gd.tensor{1, 2}
    local t1 <close> = gd.GradientTape()
    local y = (x * 3):sum()
    assert.is_nil(t1:gradient(y, x))
    local t2 <close> = gd.GradientTape()
    t2:watch(x)
    local z = (x * 3):sum()
    close(t2:gradient(z, x), {3, 3}, 0)
  end)

  it("gives nil or zeros for unconnected sources", function()
    local a, b = gd.Variable(1.0), gd.Variable({1, 2})
    local tape <close> = gd.GradientTape({ persistent = true })
    local y = a * 2
    local ga, gb = tape:gradient(y, a, b)
    assert.equal(2, ga:item())
    assert.is_nil(gb)
    local _, gz = tape:gradient(y, a, b, { unconnected = "zero" })
    assert.same({0, 0}, gz:totable())
  end)

  it("allows one gradient call unless persistent", function()
    local a = gd.Variable(1.0)
    local tape <close> = gd.GradientTape()
    local y = a * 2
    tape:gradient(y, a)
    errors(function() tape:gradient(y, a) end, "gradient", "persistent")
    local p <close> = gd.GradientTape({ persistent = true })
    local z = a * a
    assert.equal(2, p:gradient(z, a):item())
    assert.equal(2, p:gradient(z, a):item())
  end)

  it("runs a function with the tape and returns its results", function()
    local w = gd.Variable(3.0)
    local tape, loss = gd.GradientTape(function(t) return w ^ 2 end)
    assert.equal(9, loss:item())
    assert.equal(6, tape:gradient(loss, w):item())
  end)

  it("stops recording when closed", function()
    local w = gd.Variable(3.0)
    local y
    do
      local tape <close> = gd.GradientTape()
      y = w * 2
    end
    local tape2 <close> = gd.GradientTape()
    tape2:stop()
    local z = w * 5
    assert.is_nil(tape2:gradient(z, w))
  end)

  it("reduces broadcasting in the gradient", function()
    local a = gd.Variable({{1}, {2}})        -- (2,1)
    local b = gd.Variable({1, 2, 3})         -- (3)
    local tape <close> = gd.GradientTape()
    local y = a * b
    local ga, gb = tape:gradient(y, a, b)
    assert.same({{6}, {6}}, ga:totable())
    assert.same({3, 3, 3}, gb:totable())
  end)

  it("splits max ties evenly", function()
    local x = gd.Variable({1, 3, 3, 2})
    local tape <close> = gd.GradientTape()
    local y = x:max()
    assert.same({0, 0.5, 0.5, 0}, tape:gradient(y, x):totable())
  end)

  it("detects in-place writes into saved inputs", function()
    local w = gd.Variable({1, 2})
    local tape <close> = gd.GradientTape()
    local y = (w * w):sum()
    w:assign({3, 4})
    errors(function() tape:gradient(y, w) end, "gd.GradientTape:gradient", "modified in place", "mul")
  end)
end)

describe("no_grad and stop_gradient", function()
  it("pause recording", function()
    local w = gd.Variable(2.0)
    local tape <close> = gd.GradientTape()
    local y
    do
      local _ <close> = gd.no_grad()
      y = w * 3
    end
    assert.is_nil(tape:gradient(y, w))
    local t2 <close> = gd.GradientTape({ persistent = true })
    local z = w * gd.stop_gradient(w)        -- d/dw = stop_gradient(w) = 2
    assert.equal(2, t2:gradient(z, w):item())
    local z2 = w * w:detach()
    assert.equal(2, t2:gradient(z2, w):item())
    local v = gd.no_grad(function(a) return w * a end, 4)
    assert.equal(8, v:item())
  end)
end)

describe("higher order", function()
  it("nested tapes: d²/dx² x³ = 6x", function()
    local x = gd.Variable(1.5)
    local outer <close> = gd.GradientTape()
    local g
    do
      local inner <close> = gd.GradientTape()
      g = inner:gradient(x ^ 3, x)
    end
    close(g, {3 * 1.5 ^ 2}, 1e-14)
    close(outer:gradient(g, x), {6 * 1.5}, 1e-14)
  end)

  it("gd.grad composes", function()
    local f = function(x) return gd.sin(x) * x end
    local d1 = gd.grad(f)
    local d2 = gd.grad(gd.grad(f))
    local x = 0.7
    close(d1(x), {math.cos(x) * x + math.sin(x)}, 1e-15)
    close(d2(x), {-math.sin(x) * x + 2 * math.cos(x)}, 1e-15)
    local v, g = gd.value_and_grad(function(a, b) return a * b end, { argnums = { 1, 2 } })(3, 5)
    assert.equal(15, v:item())
    assert.equal(5, g:item())
  end)

  it("hvp equals H·v", function()
    local A = gd.tensor{{2, 1, 0}, {1, 3, 1}, {0, 1, 4}}
    local f = function(x) return 0.5 * (x * A:matmul(x)):sum() end
    local v = gd.tensor{1, -2, 0.5}
    close(gd.hvp(function(x) return (x ^ 3):sum() end, gd.tensor{1, 2, 3}, v), {6 * 1, 12 * -2, 18 * 0.5}, 1e-12)
    assert.is_function(f)
  end)

  it("the normal log-likelihood's gradient vanishes at the MLE", function()
    gd.seed(7)
    local x = gd.normal(3, 2, 2000)
    local mu = gd.Variable(x:mean():item())
    local sigma = gd.Variable(x:std():item())   -- divisor n: the MLE
    local tape <close> = gd.GradientTape()
    local logL = (-gd.log(sigma) - 0.5 * ((x - mu) / sigma) ^ 2):sum()
    local gmu, gsigma = tape:gradient(logL, mu, sigma)
    assert(math.abs(gmu:item()) < 1e-9, gmu:item())
    assert(math.abs(gsigma:item()) < 1e-9, gsigma:item())
  end)
end)

describe("gradcheck", function()
  it("reports the worst element of a wrong gradient", function()
    local ok, report = gd.gradcheck(function(x) return gd.floor(x * 1000) end, { gd.tensor{0.1234567, 0.5} })
    assert.is_false(ok)
    assert.truthy(report:find("input 1 element", 1, true))
    assert.is_true((gd.gradcheck(function(x) return gd.tanh(x) end, gd.tensor{0.3})))
  end)
end)
