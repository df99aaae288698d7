-- gradcheck_spec.lua: every differentiable op of the C registry (gd._ops) is
-- checked against central differences, with broadcasting shapes.  The cases
-- live in tests/helpers/gradcases_*.lua, one table per group of ops; an op
-- in the registry without cases fails this spec.
local groups = {
  (require "tests.helpers.gradcases_elem"),
  (require "tests.helpers.gradcases_shape"),
  (require "tests.helpers.gradcases_linalg"),
  (require "tests.helpers.gradcases_arrays"),
}

local cases = {}
for _, g in ipairs(groups) do
  for op, list in pairs(g) do cases[op] = list end
end

describe("gradcheck", function()
  it("has cases for every op in the registry", function()
    local missing = {}
    for _, op in ipairs(gd._ops) do
      if not cases[op] or #cases[op] == 0 then missing[#missing + 1] = op end
    end
    assert(#missing == 0, "ops without gradcheck cases: " .. table.concat(missing, ", "))
  end)

  for _, op in ipairs(gd._ops) do
    for i, case in ipairs(cases[op] or {}) do
      it(op .. " #" .. i .. (case.name and (" " .. case.name) or ""), function()
        local inputs = {}
        for k, v in ipairs(case.inputs) do inputs[k] = gd.tensor(v) end
        local ok, report = gd.gradcheck(case.f, inputs, case.opts)
        assert(ok, op .. ": " .. tostring(report))
      end)
    end
  end
end)
