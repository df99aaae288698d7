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

-- Submodules load on first use (the metatable at the end of this file):
-- gd.plot requires "gd.plot", and so on.
local submodules = { plot = "gd.plot", optim = "gd.optim", nn = "gd.nn", data = "gd.data",
                     losses = "gd.losses", metrics = "gd.metrics", dist = "gd.dist" }

--- The field of table m whose value is t, or nil.
local function key_of(m, t)
  for k, v in pairs(m) do
    if v == t and type(k) == "string" then return k end
  end
  return nil
end

--- The dotted name of a gd module table or of a table inside one ("gd.nn.initializers"), or nil.
local function module_name(t)
  if t == gd then return "gd" end
  local places = { gd = gd }
  for k, m in pairs(gd) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and type(m) == "table" then places["gd." .. k] = m end
  end
  for name, m in pairs(package.loaded) do
    if type(name) == "string" and name:match("^gd%.") and type(m) == "table" then places[name] = m end
  end
  for name, m in pairs(places) do
    if m == t then return name end
  end
  for name, m in pairs(places) do
    local k = key_of(m, t)
    if k then return name .. "." .. k end
  end
  return nil
end

--- Print one line per public field of module t: a function's doc, a table's
--- name; for gd also the modules not loaded yet (listed, not loaded).
local function list_module(t, name)
  local names = {}
  for k in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then names[#names + 1] = k end
  end
  if t == gd then
    for k in pairs(submodules) do
      if rawget(gd, k) == nil then names[#names + 1] = k end
    end
  end
  table.sort(names)
  local funcs, mods = {}, {}
  for _, k in ipairs(names) do
    local v = rawget(t, k)
    if v == nil and t == gd then
      mods[#mods + 1] = name .. "." .. k
    elseif type(v) == "table" then
      mods[#mods + 1] = name .. "." .. k
    elseif type(v) == "function" then
      funcs[#funcs + 1] = docs[v] or (name .. "." .. k .. ": (no doc)")
    end
  end
  for _, line in ipairs(funcs) do print(line) end
  if #mods > 0 then
    print("modules: " .. table.concat(mods, ", ") .. "; help(" .. mods[1] .. ") lists the functions of one")
  end
end

--- help(x): print the one-line doc of a gd function, or list a module's functions.
function gd.help(x)
  if x == nil then
    print("gdlua: tensors, autodiff, optimizers and plots for Lua 5.4.")
    print("help(gd.f) prints one function's doc; help(gd) lists every function and module;")
    print("help(gd.nn) lists a module's. In the REPL a top-level `local x = ...` keeps x for the later lines.")
    return
  end
  local d = docs[x]
  if d then print(d); return end
  if type(x) == "table" then
    local name = module_name(x)
    if name or getmetatable(x) == nil then
      list_module(x, name or "?")
      return
    end
  end
  print("no help for " .. tostring(x))
end
docs[gd.help] = "gd.help([f]): print the one-line doc of f; help(gd) or help(gd.nn) lists a module's functions and modules"
docs[gd.doc] = "gd.doc(f, line): register a one-line doc for f"

require("gd.autodiff")(gd)
require("gd.arrays")(gd)
require("gd.display")(gd)
require("gd.compile")(gd)

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
