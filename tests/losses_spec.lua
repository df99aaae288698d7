-- losses_spec.lua: gd.losses and metrics: Keras's definitions, differentiable.
local u = require "tests.helpers.util"
local close = u.close
local L = gd.losses

describe("gd.losses", function()
  local y = gd.tensor{ { 1 }, { 0 }, { 1 }, { 0 } }
  local p = gd.tensor{ { 0.9 }, { 0.2 }, { 0.6 }, { 0.4 } }
  it("mse is the mean of squared errors", function()
    close(L.mse(y, p):item(), (0.01 + 0.04 + 0.16 + 0.16) / 4, 1e-14)
  end)
  it("binary_crossentropy matches the formula and clips", function()
    local want = -(math.log(0.9) + math.log(0.8) + math.log(0.6) + math.log(0.6)) / 4
    close(L.binary_crossentropy(y, p):item(), want, 1e-12)
    local c = L.binary_crossentropy(gd.tensor{ 1, 0 }, gd.tensor{ 0, 1 }):item()
    close(c, -math.log(1e-7), 1e-6)
  end)
  it("binary_crossentropy from_logits equals the sigmoid form", function()
    local z = gd.tensor{ { 2.0 }, { -1 }, { 0.3 }, { -3 } }
    close(L.binary_crossentropy(y, z, { from_logits = true }):item(),
          L.binary_crossentropy(y, gd.sigmoid(z)):item(), 1e-10)
  end)
  it("categorical_crossentropy normalizes rows", function()
    local yc = gd.tensor{ { 1, 0, 0 }, { 0, 0, 1 } }
    local pc = gd.tensor{ { 0.7, 0.2, 0.1 }, { 0.2, 0.2, 0.6 } }
    close(L.categorical_crossentropy(yc, pc):item(), -(math.log(0.7) + math.log(0.6)) / 2, 1e-12)
    close(L.categorical_crossentropy(yc, pc * 2):item(), -(math.log(0.7) + math.log(0.6)) / 2, 1e-12)
    local z = gd.tensor{ { 1, 2, 3 }, { 0, -1, 2 } }
    close(L.categorical_crossentropy(yc, z, { from_logits = true }):item(),
          L.categorical_crossentropy(yc, gd.exp(z) / gd.exp(z):sum(2, true)):item(), 1e-10)
  end)
  it("gaussian_nll is the normal negative log-likelihood", function()
    local yy, mu = gd.tensor{ 1, 2 }, gd.tensor{ 0, 2 }
    local want = (math.log(2) + 1 / 8 + math.log(2)) / 2 + 0.5 * math.log(2 * math.pi)
    close(L.gaussian_nll(yy, mu, 2):item(), want, 1e-12)
  end)
  it("losses are differentiable on a tape", function()
    local w = gd.Variable(gd.tensor{ { 0.5 } })
    local x = gd.tensor{ { 1 }, { -1 }, { 2 }, { 0.5 } }
    for _, f in ipairs{ L.mse, L.binary_crossentropy } do
      local ok, rep = gd.gradcheck(function(ww) return f(y, gd.sigmoid(x:matmul(ww))) end, { w })
      assert.is_true(ok, rep)
    end
  end)
  it("metrics: accuracy, binary_accuracy, mae", function()
    close(L.binary_accuracy(y, p):item(), 1, 0)
    local q = gd.tensor{ { 0.9 }, { 0.7 }, { 0.6 }, { 0.4 } }
    close(L.binary_accuracy(y, q):item(), 0.75, 0)
    close(L.accuracy(y, q):item(), 0.75, 0)
    close(L.mae(y, p):item(), (0.1 + 0.2 + 0.4 + 0.4) / 4, 1e-14)
    local yc = gd.tensor{ { 1, 0 }, { 0, 1 } }
    close(L.accuracy(yc, gd.tensor{ { 0.6, 0.4 }, { 0.7, 0.3 } }):item(), 0.5, 0)
  end)
  it("mismatched shapes are an error", function()
    assert.has_error(function() L.mse(gd.zeros(3, 1), gd.zeros(3)) end)
  end)
end)
