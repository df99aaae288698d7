-- tape_stack_spec.lua: tapes left open by an error (never closed, then
-- unreachable) do not block new tapes, and the functional forms built on
-- tapes keep working, without the program calling collectgarbage.
local u = require "tests.helpers.util"

describe("tape stack", function()
  it("survives 200 tapes left open by errors", function()
    for i = 1, 200 do
      local ok, err = pcall(function()
        local t = gd.GradientTape()   -- luacheck: ignore t (open, never closed)
        error("x" .. i)
      end)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("x" .. i, 1, true))
    end
    -- a tape: d/dx sum(x^3) = 3x^2 at x = {1, 2}
    local x = gd.Variable(gd.tensor{1, 2})
    local tape <close> = gd.GradientTape()
    local y = (x ^ 3):sum()
    u.close(tape:gradient(y, x), {3, 12}, 1e-12)
    tape:stop()
    -- gd.grad: d/dv (sum(v^2) + v1 v2) = {2 v1 + v2, 2 v2 + v1} at {3, 5}
    local g = gd.grad(function(v) return (v ^ 2):sum() + v:prod() end)
    u.close(g(gd.tensor{3, 5}), {11, 13}, 1e-12)
    -- gd.hessian of sum(v^3) is diag(6v)
    u.close(gd.hessian(function(v) return (v ^ 3):sum() end, gd.tensor{1, 2}),
      {{6, 0}, {0, 12}}, 1e-10)
    -- gradcheck against central differences
    assert.is_true((gd.gradcheck(function(v) return gd.exp(v):sum() end, {gd.tensor{0.5, -1}})))
    -- SGD minimize on (w - 3)^2: w ← w − 0.1·2(w − 3) from 0, 50 steps: 3(1 − 0.8^50)
    local w = gd.Variable(0.0)
    local opt = gd.optim.SGD(0.1)
    for _ = 1, 50 do opt:minimize(function() return (w - 3) ^ 2 end, w) end
    u.close(w:item(), 3 * (1 - 0.8 ^ 50), 1e-12)
  end)

  it("keeps tapes that are still reachable and open", function()
    -- 20 nested open tapes (more than the collection threshold) stay active:
    -- each one still records, so each gives the gradient of its own target
    local x = gd.Variable(2.0)
    local tapes = {}
    for i = 1, 20 do
      tapes[i] = gd.GradientTape()
      pcall(function() local t = gd.GradientTape(); error("left open") end)  -- luacheck: ignore t
    end
    local y = x * x * x
    for i = 1, 20 do
      u.close(tapes[i]:gradient(y, x), 12, 1e-12, "tape " .. i)
      tapes[i]:stop()
    end
  end)
end)
