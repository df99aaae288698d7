-- scripts_optim_paths_spec.lua: the seed-004 scripts (optim_f, optim_g) run
-- headless; their paths agree with the update rules computed by hand.
local u = require "tests.helpers.util"
local close = u.close

local run = u.run_script

describe("seed 004 scripts", function()
  it("optim_f: GD and momentum follow their formulas on f", function()
    local r = run("optim_f")
    -- GD on x1²/20 + x2²: each step multiplies x1 by 1 − 0.95/10 and x2 by 1 − 1.9
    local gd_path = r.GD.path
    close(gd_path[21], { -7 * 0.905 ^ 20, 2 * (-0.9) ^ 20 }, 1e-12)
    -- momentum (lecture: v ← 0.9 v − 0.1 g; x ← x + v), by hand
    local x, v = { -7, 2 }, { 0, 0 }
    for _ = 1, 20 do
      local g = { x[1] / 10, 2 * x[2] }
      for i = 1, 2 do v[i] = 0.9 * v[i] - 0.1 * g[i]; x[i] = x[i] + v[i] end
    end
    close(r.momentum.path[21], x, 1e-12)
    -- RMSprop (ρ = 0.9, no ε) ends near the minimum, as the assignment shows
    assert(r.RMSprop.value < 1e-3, r.RMSprop.value)
  end)

  it("optim_g: runs every optimizer and finds the global minimum on the grid", function()
    local r = run("optim_g")
    -- at the minimum the gradient 4x³ + 15x² − 80(x − 1) vanishes in both coordinates
    local a, b = r.min.x[1], r.min.x[2]
    close({ 4 * a ^ 3 + 15 * a ^ 2 - 80 * (a - 1), 4 * b ^ 3 - 80 * (b - 1) }, { 0, 0 }, 1e-8)
    assert.equal(3, #r.GD)
    assert.equal(3, #r.Adam)
    for _, name in ipairs({ "GD", "momentum", "AdaGrad", "RMSprop", "Adam" }) do
      for _, v in ipairs(r[name]) do assert(v >= r.min.value - 1e-9, name) end
    end
  end)
end)
