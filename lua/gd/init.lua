-- gd: n-d float64 tensors, linear algebra and random numbers for Lua 5.4.
-- The C core (gd.core) holds the tensor type and its functions; this file
-- gathers them into the `gd` table and adds help().
local core = require "gd.core"

local gd = {}
for k, v in pairs(core) do gd[k] = v end   -- functions, and private tables (_docs, _ops, ...)
gd.version = "gdlua 0.1"

local docs = core._docs

--- Register a one-line doc for a Lua function (shown by help).
function gd.doc(f, line)
  docs[f] = line
  return f
end

--- help(x): print the one-line doc of a gd function, or list a module's functions.
function gd.help(x)
  if x == nil then
    print("gdlua: tensors, autodiff, optimizers and plots for Lua 5.4.")
    print("help(gd.f) prints one function's doc; help(gd) lists them all.")
    return
  end
  if type(x) == "table" and getmetatable(x) == nil then
    local names = {}
    for k, v in pairs(x) do
      if type(k) == "string" and docs[v] then names[#names + 1] = k end
    end
    table.sort(names)
    for _, k in ipairs(names) do print(docs[x[k]]) end
    return
  end
  local d = docs[x]
  if d then print(d) else print("no help for " .. tostring(x)) end
end
docs[gd.help] = "gd.help(f): print the one-line doc of f, or every doc of a module table"
docs[gd.doc] = "gd.doc(f, line): register a one-line doc for f"

require("gd.autodiff")(gd)

-- Submodules load on first use: gd.plot requires "gd.plot", and so on.
local submodules = { plot = "gd.plot", optim = "gd.optim", nn = "gd.nn", data = "gd.data",
                     losses = "gd.losses", metrics = "gd.metrics", dist = "gd.dist" }
setmetatable(gd, {
  __index = function(t, k)
    local name = submodules[k]
    if name == nil then return nil end
    local m = require(name)
    rawset(t, k, m)
    return m
  end,
})

return gd
