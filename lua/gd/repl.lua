-- gd.repl: the Lua half of gdlua's REPL: tab-completion candidates and
-- the text of printed results. src/gdlua.c reads lines and runs chunks; it
-- asks complete(text) for the names that can finish the word under the
-- cursor, format(...) for the line that shows a chunk's results, and
-- error_text(msg) for the text of an error. A word is a global
-- (`pri` → `print`), or a dotted path with an optional last colon
-- (`gd.li` → `gd.linspace`, `x:res` → `x:reshape`). Fields come from the
-- value itself when it is a table, and from its metatable's __index: a
-- table, or for a C closure (gd tensors) the method table in upvalue 1.
local M = {}

local keywords = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while",
}

local IDENT = "^[%a_][%w_]*$"

--- Fields a tensor has besides its methods (served by its __index).
local tensor_fields = { "shape", "ndim", "T" }

--- Whether v is a gd tensor (or a subtype, such as a Variable).
local function is_tensor(v)
  if type(v) ~= "userdata" then return false end
  local mt = debug.getmetatable(v)
  if type(mt) ~= "table" then return false end
  local gd = package.loaded.gd
  return (type(gd) == "table" and mt == gd._metatable)
    or rawget(mt, "__name") == "gd.Tensor" or rawget(mt, "__tensor") == true
end

local function callable(x)
  if type(x) == "function" then return true end
  local mt = debug.getmetatable(x)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

--- The names reachable as v.name (or v:name when methods_only), into set out.
local function collect(v, methods_only, out)
  local seen = {}
  local add_meta
  local function add_table(t)
    if seen[t] then return end
    seen[t] = true
    for k, x in next, t do
      if type(k) == "string" and k:match(IDENT) and (not methods_only or callable(x)) then
        out[k] = true
      end
    end
    add_meta(t)
  end
  function add_meta(x)
    local mt = debug.getmetatable(x)
    if type(mt) ~= "table" then return end
    local index = rawget(mt, "__index")
    if type(index) == "table" then
      add_table(index)
    elseif type(index) == "function" then
      local name, up = debug.getupvalue(index, 1)
      if name == "" and type(up) == "table" then add_table(up) end   -- C closures only
    end
  end
  if type(v) == "table" then add_table(v) else add_meta(v) end
  if is_tensor(v) then
    local gd = package.loaded.gd
    if type(gd) == "table" and type(gd._methods) == "table" then add_table(gd._methods) end
    if not methods_only then
      for _, k in ipairs(tensor_fields) do out[k] = true end
    end
  end
end

--- The value of a dotted path of identifiers ("gd.nn"), or nil.
local function resolve(path)
  local v = _G
  for name in (path .. "."):gmatch("(.-)%.") do
    if not name:match(IDENT) then return nil end
    local ok, r = pcall(function() return v[name] end)
    if not ok or r == nil then return nil end
    v = r
  end
  return v
end

--- complete(text): sorted completions of text (each the whole word), for Tab.
function M.complete(text)
  local names, head, sep, prefix = {}, nil, nil, nil
  head, sep, prefix = text:match("^(.*)([.:])([%w_]*)$")
  if head then
    local v = resolve(head)
    if v == nil then return {} end
    collect(v, sep == ":", names)
  else
    if text ~= "" and not text:match(IDENT) then return {} end
    head, sep, prefix = "", "", text
    collect(_G, false, names)
    for _, k in ipairs(keywords) do names[k] = true end
  end
  local out = {}
  local hidden = prefix:sub(1, 1) ~= "_"     -- _private names only when asked for
  for k in pairs(names) do
    if k:sub(1, #prefix) == prefix and not (hidden and k:sub(1, 1) == "_") then
      out[#out + 1] = head .. sep .. k
    end
  end
  table.sort(out)
  return out
end

local MAX_ITEMS, MAX_DEPTH = 100, 4

--- Whether tostring(v) says something of its own (__tostring or __name).
local function has_own_text(v)
  local mt = debug.getmetatable(v)
  return type(mt) == "table" and (rawget(mt, "__tostring") ~= nil or rawget(mt, "__name") ~= nil)
end

local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

-- A plain table as a constructor: array part in order, then the other keys
-- sorted by their text (names before [keys]); nested to MAX_DEPTH, MAX_ITEMS items in all, cycles
-- and the rest shown as "...".
local function show(v, depth, state, seen)
  if type(v) == "string" then return quote(v) end
  if type(v) ~= "table" or has_own_text(v) then return tostring(v) end
  if seen[v] or depth > MAX_DEPTH then return "{...}" end
  seen[v] = true
  local parts, n = {}, rawlen(v)
  local function add(text)
    state.items = state.items + 1
    if state.items > MAX_ITEMS then
      if parts[#parts] ~= "..." then parts[#parts + 1] = "..." end
      return false
    end
    parts[#parts + 1] = text
    return true
  end
  local full = true
  for i = 1, n do
    if not add(show(rawget(v, i), depth + 1, state, seen)) then full = false; break end
  end
  if full then
    local keys = {}
    for k in next, v do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
    end
    local text = {}
    for _, k in ipairs(keys) do
      text[k] = (type(k) == "string" and k:match(IDENT)) and k
        or "[" .. show(k, depth + 1, state, seen) .. "]"
    end
    table.sort(keys, function(a, b)          -- names first, then [keys]
      local ba, bb = text[a]:sub(1, 1) == "[", text[b]:sub(1, 1) == "["
      if ba ~= bb then return bb end
      return text[a] < text[b]
    end)
    for _, k in ipairs(keys) do
      if not add(text[k] .. " = " .. show(rawget(v, k), depth + 1, state, seen)) then break end
    end
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

--- format(...): the REPL's line for a chunk's results: each as tostring
--- (tensors print pretty), plain tables as their contents, tab-separated.
function M.format(...)
  local out = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    out[i] = type(v) == "table" and show(v, 1, { items = 0 }, {}) or tostring(v)
  end
  return table.concat(out, "\t")
end

--- error_text(msg): an error as the REPL shows it: without the traceback
--- when it names nothing but the typed chunk and C functions.
function M.error_text(msg)
  local text, trace = msg:match("^(.-)\nstack traceback:\n(.*)$")
  if not text then return msg end
  for frame in trace:gmatch("[^\n]+") do
    frame = frame:match("^%s*(.-)%s*$")
    if not (frame:match("^%[C%]: in ") or frame:match("^stdin:%d+: in main chunk$")) then
      return (msg:gsub("\n\t%[C%]: in %?$", ""))
    end
  end
  return text
end

return M
