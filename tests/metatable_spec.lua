-- metatable_spec.lua: every metamethod of every gd metatable written in C
-- checks its self: called directly with a value of another type (another
-- gd type, a file, a table, a number, nil, ...) it raises an error that
-- says what it expected, and never crashes or touches foreign memory.

-- The metatables: those of each kind of object, and every gd.* metatable in
-- the registry (luaL_newmetatable registers them by name).
local function metatables()
  local list, seen = {}, {}
  local function add(name, mt)
    if type(mt) == "table" and not seen[mt] then
      seen[mt] = true
      list[#list + 1] = { name = name, mt = mt }
    end
  end
  add("tensor", getmetatable(gd.ones(100)))
  add("small tensor", getmetatable(gd.ones(2) + 0))
  add("view of a small tensor", getmetatable((gd.ones(4) + 0):reshape(2, 2)))
  add("variable", getmetatable(gd.Variable(1)))
  local guard = gd.no_grad()
  add("no_grad", getmetatable(guard))
  getmetatable(guard).__close(guard)
  local tape = gd.GradientTape()
  add("tape", getmetatable(tape))
  tape:stop()
  add("optimizer", getmetatable(gd.optim.SGD(0.1)))
  add("layer", getmetatable(gd.nn.Dense(2)))
  add("generator", getmetatable(gd.Generator(1)))
  for k, v in pairs(debug.getregistry()) do
    if type(k) == "string" and k:match("^gd[%._]") then add(k, v) end
    local mt = type(v) == "userdata" and getmetatable(v)   -- objects kept there (gd.pool)
    if type(mt) == "table" and type(mt.__name) == "string" and mt.__name:match("^gd[%._]") then
      add(mt.__name, mt)
    end
  end
  return list
end

-- Does a metatable belong to a tensor type (whose arithmetic metamethods
-- legitimately take a number or a table on either side)?
local function is_tensor_mt(mt)
  return mt.__name == "gd.Tensor" or mt.__name == "gd.Variable"
end

local ARITH = { __add = 1, __sub = 1, __mul = 1, __div = 1, __pow = 1, __mod = 1,
                __unm = 1, __idiv = 1 }

-- Wrong selves of every kind (those of mt's own type are left out).
local function wrong_selves(mt)
  local tape = gd.GradientTape()
  tape:stop()
  local selves = {
    { "nil", nil }, { "a boolean", true }, { "a string", "shape" },
    { "a function", print }, { "a coroutine", coroutine.create(print) },
    { "io.stdout", io.stdout }, { "an optimizer", gd.optim.SGD(0.1) },
    { "a generator", gd.Generator(1) }, { "a tape", tape },
    { "a layer", gd.nn.Dense(2) }, { "a number", 1 }, { "a table", {} },
  }
  if not is_tensor_mt(mt) then   -- (tensors of other kinds are legit for tensor metatables)
    selves[#selves + 1] = { "a tensor", gd.ones(100) }
    selves[#selves + 1] = { "a small tensor", gd.ones(2) + 0 }
    selves[#selves + 1] = { "a variable", gd.Variable(2) }
  end
  local out = {}
  for _, s in ipairs(selves) do
    if getmetatable(s[2]) ~= mt then out[#out + 1] = s end
  end
  return out
end

-- The argument lists a metamethod is called with, self first.
local function calls(key, self)
  if key == "__index" then return { { self, "shape" }, { self, "numel" }, { self, 1 } } end
  if key == "__newindex" then return { { self, "x", 1 }, { self, 1, 1 } } end
  if key == "__close" then return { { self, nil } } end
  return { { self, self }, { self } }
end

describe("metatables", function()
  it("reach every C metatable of gd", function()
    local names = {}
    for _, e in ipairs(metatables()) do names[#names + 1] = e.mt.__name or e.name end
    local all = table.concat(names, " ")
    for _, want in ipairs { "gd.Tensor", "gd.Variable", "gd.GradientTape", "gd.no_grad",
                            "gd.Optimizer", "gd.OptimizerState", "gd.nn.Layer", "gd.Generator",
                            "gd.PlotPipe", "gd.PrintBuffer", "gd.pool", "gd.Program" } do
      assert.truthy(all:find(want, 1, true), want .. " not reached: " .. all)
    end
  end)

  it("check their self in every metamethod", function()
    local tried = 0
    for _, e in ipairs(metatables()) do
      for key, fn in pairs(e.mt) do
        if type(key) == "string" and key:sub(1, 2) == "__" and type(fn) == "function"
            and debug.getinfo(fn, "S").what == "C" then
          for _, s in ipairs(wrong_selves(e.mt)) do
            local legit = is_tensor_mt(e.mt) and ARITH[key]
                          and (type(s[2]) == "number" or type(s[2]) == "table")
            if not legit then
              for _, args in ipairs(calls(key, s[2])) do
                local where = ("%s.%s(%s)"):format(e.name, key, s[1])
                -- a crash kills the run: GD_TRACE_MT=1 names the call that did it
                if os.getenv("GD_TRACE_MT") then io.stderr:write(where, "\n") end
                local ok, err = pcall(fn, table.unpack(args, 1, 3))
                assert(not ok, where .. " did not raise an error")
                assert(type(err) == "string" and (err:find("expected", 1, true)
                         or err:find("closed", 1, true)),
                       where .. " raised an unclear error: " .. tostring(err))
                tried = tried + 1
              end
            end
          end
        end
      end
    end
    assert(tried > 300, "only " .. tried .. " calls tried")
  end)

  it("leave objects of the right type working", function()
    local x = gd.tensor{1, 2, 3}
    local mt = getmetatable(x)
    assert.same({3}, mt.__index(x, "shape"))
    assert.equal(3, mt.__len(x))
    local y = mt.__add(x, 1)
    assert.same({2, 3, 4}, y:totable())
    local v = gd.Variable(5)
    assert.equal(true, getmetatable(v).__index(v, "trainable"))
    assert.equal(5, getmetatable(v).__index(v, "item")(v))
  end)
end)
