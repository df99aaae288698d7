local u = require "tests.helpers.util"

describe("tensor creation", function()
  it("builds from nested tables", function()
    local x = gd.tensor{{1, 2, 3}, {4, 5, 6}}
    assert.same({2, 3}, x.shape)
    assert.equal(2, x.ndim)
    assert.equal(2, #x)
    assert.equal(6, x:numel())
    assert.same({{1, 2, 3}, {4, 5, 6}}, x:totable())
  end)
end)
