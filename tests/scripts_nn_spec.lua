-- scripts_nn_spec.lua: the gd.nn scripts (seed 000 problems 3, 4, 5) run
-- headless and their key numbers hold.
local u = require "tests.helpers.util"
local close = u.close

local run = u.run_script

describe("gd.nn scripts", function()
  it("keras_cosine: estimates within 0.05 of the truth", function()
    local r, text = run("keras_cosine")
    close(r.est, r.truth, 0.05)
    for i = 1, 6 do close(r.est[i], r.lstsq:at(i, 1), 1e-3) end
    assert.truthy(text:find("truth", 1, true))
  end)
  it("keras_logistic: heads toward (-1, 5) as Keras did", function()
    local r = run("keras_logistic")
    close(r.w0, -1, 0.3)
    close(r.w1, 5, 1.2)
    assert.is_true(r.loss[#r.loss] < r.loss[1])
  end)
  it("piecewise: Dense(1) is least squares; layer by layer equals net(x)", function()
    local r = run("piecewise")
    close(r.b0, r.ls0, 1e-6)
    close(r.b1, r.ls1, 1e-6)
    assert.equal(0, r.diff)
    assert.is_true(r.loss2 < r.loss1)
    assert.same({ true, true, true, false }, { r.answers[1][2], r.answers[2][2], r.answers[3][2], r.answers[4][2] })
  end)
  it("true_false: the verdicts T F T F T", function()
    local r = run("true_false")
    assert.same({ true, false, true, false, true },
                { r[1].verdict, r[2].verdict, r[3].verdict, r[4].verdict, r[5].verdict })
  end)
end)
