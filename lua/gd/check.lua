-- gd.check: the one place where gd's Lua modules check arguments and
-- option tables and raise errors.
--
-- Every error raised here points at the user's line: the position is the
-- first Lua frame on the stack that is not one of gd's own chunks (embedded
-- "[gd] gd.x" chunks, or lua/gd/*.lua files when loaded by plain lua5.4),
-- so `net:fit{epochs = -1}` reports the caller's script and line, never
-- "[gd] gd.nn:286:".  Messages show the value given (`%s` of a number keeps
-- its magnitude: 2^62 prints as 4.6116860184274e+18, not "length 0").
--
-- This file refuses to know about any one module: it has no tensor or
-- plot logic, only checks and the error position.
local M = {}

local function is_gd_source(src)
  if src == "=[C]" then return true end
  if src:sub(1, 5) == "=[gd]" then return true end
  return src:match("[/\\]gd[/\\][%w_]+%.lua$") ~= nil
end

--- gd.check.level(): the error level of the first frame outside gd (for error(msg, level) from the caller).
function M.level()
  -- level 1 is this function, 2 its caller inside gd, ...
  local lvl = 2
  while true do
    local info = debug.getinfo(lvl + 1, "S")
    if info == nil then return 0 end        -- only gd frames: no position
    if not is_gd_source(info.source) then return lvl end
    lvl = lvl + 1
  end
end

--- gd.check.fail(fname, fmt, ...): raise "fname: message" at the user's line.
function M.fail(fname, fmt, ...)
  local msg = fname .. ": " .. (select("#", ...) > 0 and string.format(fmt, ...) or fmt)
  local lvl = M.level()
  error(msg, lvl == 0 and 0 or lvl)
end

--- gd.check.show(v): a value as it appears in messages (numbers keep their magnitude).
function M.show(v)
  if type(v) == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
    local i = math.tointeger(v)               -- 2^53 shows as 9007199254740992
    if i then return tostring(i) end
    return string.format("%.14g", v)
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  local mt = getmetatable(v)
  local name = type(mt) == "table" and rawget(mt, "__name")
  if name == "gd.Tensor" or name == "gd.Variable" then
    return name .. " (use :item() for its number)"
  end
  return type(v)
end

local function sorted_keys(set)
  local names = {}
  for k in pairs(set) do names[#names + 1] = tostring(k) end
  table.sort(names)
  return table.concat(names, ", ")
end

--- gd.check.opts(fname, t, allowed[, argn]): t (nil → {}) must be a plain table whose keys are all in allowed (a set or a list).
function M.opts(fname, t, allowed, argn)
  if t == nil then return {} end
  if type(t) ~= "table" then
    if argn then M.fail(fname, "argument %d: options table expected, got %s", argn, type(t)) end
    M.fail(fname, "options table expected, got %s", type(t))
  end
  local set = allowed
  if allowed[1] ~= nil then
    set = {}
    for _, k in ipairs(allowed) do set[k] = true end
  end
  for k in pairs(t) do
    if not set[k] then
      M.fail(fname, "unknown option '%s' (known: %s)", tostring(k), sorted_keys(set))
    end
  end
  return t
end

--- gd.check.number(fname, what, v[, lo, hi, open]): v is a finite number in [lo, hi] (open: (lo, hi)); returns v.
function M.number(fname, what, v, lo, hi, open)
  if type(v) ~= "number" then M.fail(fname, "%s: number expected, got %s", what, M.show(v)) end
  if v ~= v or v == math.huge or v == -math.huge then
    M.fail(fname, "%s must be finite, got %s", what, M.show(v))
  end
  local bad = (lo and (open and v <= lo or v < lo)) or (hi and (open and v >= hi or v > hi))
  if bad then
    local l, r = open and "(" or "[", open and ")" or "]"
    M.fail(fname, "%s must be in %s%s, %s%s, got %s", what, l, lo and M.show(lo) or "-inf",
      hi and M.show(hi) or "inf", r, M.show(v))
  end
  return v
end

--- gd.check.integer(fname, what, v[, lo, hi]): v is an integral number in [lo, hi]; returns it as a Lua integer.
function M.integer(fname, what, v, lo, hi)
  if type(v) ~= "number" or math.tointeger(v) == nil then
    M.fail(fname, "%s: integer expected, got %s", what, M.show(v))
  end
  local i = math.tointeger(v)
  if (lo and i < lo) or (hi and i > hi) then
    M.fail(fname, "%s must be in [%s, %s], got %s", what, lo and tostring(lo) or "-inf",
      hi and tostring(hi) or "inf", M.show(v))
  end
  return i
end

--- gd.check.boolean(fname, what, v[, default]): v is nil (→ default) or a boolean.
function M.boolean(fname, what, v, default)
  if v == nil then return default end
  if type(v) ~= "boolean" then M.fail(fname, "%s: boolean expected, got %s", what, M.show(v)) end
  return v
end

--- gd.check.oneof(fname, what, v, choices): v is one of the strings in the list choices.
function M.oneof(fname, what, v, choices)
  for _, c in ipairs(choices) do if v == c then return v end end
  M.fail(fname, "%s: unknown value %s (one of: %s)", what, M.show(v), table.concat(choices, ", "))
end

-- The results of pcall: on an error raised by gd's C code ("gd.x: ...",
-- which carries no position), raise it again at the user's line.
local function rethrow(ok, ...)
  if ok then return ... end
  local e = ...
  if type(e) == "string" and e:match("^gd[%w_.:]*: ") then
    local lvl = M.level()
    error(e, lvl == 0 and 0 or lvl)
  end
  error(e, 0)
end

--- gd.check.call(f, ...): f(...), its errors from gd's C code raised again at the user's line.
function M.call(f, ...)
  return rethrow(pcall(f, ...))
end

--- gd.check.list(fname, what, v): v is a plain table (no metatable) used as a list; returns it.
function M.list(fname, what, v)
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    M.fail(fname, "%s: list expected, got %s", what, M.show(v))
  end
  return v
end

return M
