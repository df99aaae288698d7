-- errors_spec.lua: misuse raises a Lua error naming the function (and both
-- shapes where shapes are at fault); no call may crash the interpreter.
local u = require "tests.helpers.util"
local errors = u.errors

-- Functions written in Lua that print instead of checking (help, doc).
local lua_level = { help = true, doc = true }

local function bad_args()
  local deep = 1
  for _ = 1, 10 do deep = { deep } end
  return {
    {},
    { nil },
    { "abc" },
    { {} },
    { { { 1 }, { 1, 2 } } },
    { deep },
    { -5 },
    { 1e18 },
    { 2 ^ 62 },
    { 0 / 0 },
    { true },
    { function() end },
    { gd.ones(2, 3), gd.ones(4, 5) },
    { gd.ones(2, 3), "x" },
    { gd.ones(2, 3), -7 },
    { gd.ones(2, 3), 1e18 },
    { gd.ones(2, 3), 100, 100 },
    { gd.ones(2, 3), { 9, 9 } },
    { gd.ones(3), {} },
    { gd.zeros(0), 1 },
    { gd.zeros(0, 3) },
    { gd.ones(2, 2), gd.ones(3) },
    { 1, 2, "x" },
    { "a", "b", "c" },
    { gd.ones(2), nil, gd.ones(3) },
  }
end

describe("every gd function with bad arguments", function()
  it("raises errors that name the function, and never crashes", function()
    local names = {}
    for k, v in pairs(gd) do
      if type(v) == "function" and not lua_level[k] then names[#names + 1] = k end
    end
    table.sort(names)
    assert.is_true(#names > 90)
    local calls, failures = 0, 0
    for _, name in ipairs(names) do
      for _, args in ipairs(bad_args()) do
        local ok, err = pcall(gd[name], table.unpack(args, 1, 3))
        calls = calls + 1
        if not ok then
          failures = failures + 1
          assert(type(err) == "string", name .. ": error is not a string")
          assert(err:find("gd.", 1, true), string.format("gd.%s error does not name a gd function: %s", name, err))
        end
      end
    end
    assert.is_true(failures > calls / 2)
    collectgarbage()      -- no_grad guards made above resume recording when collected
    collectgarbage()
  end)

  it("the submodules' functions and objects too", function()
    local calls, failures = 0, 0
    local function try(name, f, ...)
      local ok, err = pcall(f, ...)
      calls = calls + 1
      if not ok then
        failures = failures + 1
        assert(type(err) == "string" and err:find("gd", 1, true), name .. ": " .. tostring(err))
      end
    end
    for _, modname in ipairs({ "optim", "nn", "losses", "data", "plot" }) do
      local m = gd[modname]
      local names = {}
      for k, v in pairs(m) do
        local mt = getmetatable(v)
        if type(v) == "function" or (mt and mt.__call) then names[#names + 1] = k end
      end
      table.sort(names)
      for _, k in ipairs(names) do
        if not (modname == "plot" and (k == "show" or k == "savefig" or k == "shutdown")) then
          for _, args in ipairs(bad_args()) do try(modname .. "." .. k, m[k], table.unpack(args, 1, 3)) end
        end
      end
    end
    local opt = gd.optim.Adam(0.1)
    local net = gd.nn.Sequential({ gd.nn.Dense(2), gd.nn.Dense(1) })
    local dense = gd.nn.Dense(3)
    for _, args in ipairs(bad_args()) do
      local a, b, c = table.unpack(args, 1, 3)
      try("apply_gradients", opt.apply_gradients, opt, a, b, c)
      try("minimize", opt.minimize, opt, a, b, c)
      try("fit", net.fit, net, a, b, c)
      try("predict", net.predict, net, a, b, c)
      try("compile", net.compile, net, a, b, c)
      try("Dense call", dense, a, b, c)
    end
    assert.is_true(failures > calls / 2)
    collectgarbage()
    collectgarbage()
  end)

  it("method calls on closed or foreign userdata are errors, not crashes", function()
    local x = gd.ones(2)
    local mt = getmetatable(x)
    mt.__close(x)
    errors(function() return x + 1 end, "closed")
    errors(function() return x:sum() end, "closed")
    errors(function() return gd.exp(io.stdout) end, "gd.exp", "FILE*")
  end)
end)

describe("error messages", function()
  it("name both shapes for shape mismatches", function()
    errors(function() gd.matmul(gd.ones(10, 2), gd.ones(3, 1)) end, "gd.matmul", "{10,2}", "{3,1}")
    errors(function() return gd.ones(2, 3) + gd.ones(2, 2) end, "gd.add", "{2,3}", "{2,2}")
    errors(function() return gd.ones(2, 3) - gd.ones(4) end, "gd.sub", "{2,3}", "{4}")
    errors(function() return gd.ones(2, 3) / gd.ones(3, 3) end, "gd.div", "{2,3}", "{3,3}")
    errors(function() gd.where(gd.ones(2), gd.ones(3), 1) end, "gd.where", "{2}", "{3}")
    errors(function() gd.ones(6):reshape(4, 2) end, "gd.reshape", "{6}", "{4,2}")
    errors(function() gd.cat({gd.ones(2, 3), gd.ones(2, 2)}) end, "gd.cat", "{2,2}", "{2,3}")
    errors(function() gd.stack({gd.ones(2), gd.ones(3)}) end, "gd.stack", "{3}", "{2}")
    errors(function() gd.ones(3):expand(2, 4) end, "gd.expand", "{3}", "{2,4}")
    errors(function() gd.dot(gd.ones(3), gd.ones(4)) end, "gd.dot", "{3}", "{4}")
    errors(function() gd.solve(gd.eye(3), gd.ones(4)) end, "gd.solve", "{3,3}", "{4}")
    errors(function() local x = gd.zeros(2, 3); x[1] = gd.ones(2) end, "{2}", "{3}")
  end)

  it("name out-of-range indices and dims", function()
    local x = gd.ones(2, 3)
    errors(function() return x[3] end, "index 3", "size 2")
    errors(function() return x[{1, 4}] end, "index 4", "size 3")
    errors(function() x:at(1, 0) end, "gd.at", "index 0")
    errors(function() x:sum(3) end, "gd.sum", "dim 3")
    errors(function() x:select(-3, 1) end, "gd.select", "dim -3")
    errors(function() x:narrow(2, 2, 5) end, "gd.narrow")
    errors(function() x:index(1, {5}) end, "gd.index", "index 5")
    errors(function() x:transpose(1, 3) end, "gd.transpose", "dim 3")
  end)

  it("reject negative, fractional and huge sizes", function()
    errors(function() gd.zeros(-1) end, "gd.zeros", "negative")
    errors(function() gd.ones(2, -3) end, "gd.ones", "negative")
    errors(function() gd.zeros(1.5) end, "gd.zeros", "integer")
    errors(function() gd.zeros(1e18) end, "gd.zeros", "too large")
    errors(function() gd.zeros(2 ^ 40, 2 ^ 40) end, "gd.zeros", "too large")
    errors(function() gd.eye(-2) end, "gd.eye", "negative")
    errors(function() gd.linspace(0, 1, -3) end, "gd.linspace", "negative")
    errors(function() gd.arange(0, 1e300) end, "gd.arange", "too many")
    errors(function() gd.zeros(1, 1, 1, 1, 1, 1, 1, 1, 1) end, "gd.zeros", "at most 8")
  end)

  it("reject singular matrices and bad tables", function()
    errors(function() gd.inv(gd.tensor{{1, 2}, {2, 4}}) end, "gd.inv", "singular")
    errors(function() gd.solve(gd.tensor{{1, 2}, {2, 4}}, gd.ones(2)) end, "gd.solve", "singular")
    errors(function() gd.inv(gd.ones(2, 3)) end, "gd.inv", "{2,3}")
    errors(function() gd.cholesky(gd.tensor{{1, 2}, {2, 1}}) end, "gd.cholesky")
    errors(function() gd.tensor{{1, 2}, {3}} end, "gd.tensor", "ragged")
    errors(function() gd.tensor{{1, 2}, {3, "x"}} end, "gd.tensor", "string")
    errors(function() gd.exp("abc") end, "gd.exp", "string")
    errors(function() gd.matmul(nil, gd.ones(2)) end, "gd.matmul", "nil")
  end)
end)
