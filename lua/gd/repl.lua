-- gd.repl: the Lua half of gdlua's REPL: tab-completion candidates and
-- the text of printed results. src/gdlua.c reads lines and runs chunks; it
-- asks complete(text) for the names that can finish the word under the
-- cursor, format(...) for the line that shows a chunk's results, and
-- error_text(msg) for the text of an error. A word is a global
-- (`pri` → `print`), or a dotted path with an optional last colon
-- (`gd.li` → `gd.linspace`, `x:res` → `x:reshape`). Fields come from the
-- value itself when it is a table, and from its metatable's __index: a
-- table, or for a C closure (gd tensors) the method table in upvalue 1;
-- also from the metatable's __methods (a type whose __index is a Lua
-- function, gd.nn.Sequential) and a userdata's table uservalues (layers).
--
-- It also keeps the session's variables: each line the REPL runs is its own
-- chunk, so a plain `local x = 1` would be gone on the next line. The REPL
-- compiles every chunk with rewrite(chunk), which turns its top-level
-- `local` statements into declarations of session variables, and runs it
-- in env, where those variables come first and the globals after.
local M = {}

local keyword_list = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while",
}
local keywords = {}
for _, k in ipairs(keyword_list) do keywords[k] = true end

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

M.is_tensor = is_tensor

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
    if type(x) == "userdata" then              -- per-object fields kept in a table uservalue (gd.nn layers)
      for i = 1, 4 do
        local uv = debug.getuservalue(x, i)
        if type(uv) == "table" and debug.getmetatable(uv) == nil then add_table(uv) end
      end
    end
    local mt = debug.getmetatable(x)
    if type(mt) ~= "table" then return end
    local methods = rawget(mt, "__methods")   -- the method table of a type whose __index is a function
    if type(methods) == "table" then add_table(methods) end
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

-- ---- session variables ------------------------------------------------

-- A session variable lives in `vars` (raw in env, so reading and writing it
-- costs no metamethod), or in `consts` when declared <const>. `declared`
-- says which names are session variables, so assigning one that holds nil
-- keeps it a session variable. Declaring goes through two write-only proxies the
-- rewritten chunks assign to: __gd_local.x = v and __gd_const.x = v.
local declared, consts = {}, {}
local env = {}
M.env = env

-- Reads of globals go from env straight to _G with no Lua call, so a loop
-- over globals runs near plain Lua's speed. Once a <const> is declared, or
-- a session variable is named like a global (one holding nil must still
-- hide that global), reads go through consts and then `declared`.
local consts_mt = { __index = _G }
setmetatable(consts, consts_mt)
local env_mt = { __index = _G }
local function slow_reads(hide)
  env_mt.__index = consts
  if hide and consts_mt.__index == _G then
    consts_mt.__index = function(_, name)
      if declared[name] then return nil end
      return _G[name]
    end
  end
end

env_mt.__newindex = function(_, k, v)
  local d = declared[k]
  if d == "const" then error("attempt to assign to const variable '" .. tostring(k) .. "'", 2) end
  if d then rawset(env, k, v) else _G[k] = v end
end
setmetatable(env, env_mt)

--- A write-only proxy: proxy.x = v declares x a session variable of kind
--- "var" or "const", kept in home (and no longer in other).
local function declarer(kind, home, other)
  return setmetatable({}, {
    __newindex = function(_, k, v)
      if kind == "const" or rawget(_G, k) ~= nil then slow_reads(rawget(_G, k) ~= nil) end
      declared[k] = kind
      rawset(other, k, nil)
      rawset(home, k, v)
    end,
  })
end
rawset(env, "__gd_local", declarer("var", env, consts))
rawset(env, "__gd_const", declarer("const", consts, env))

--- The tokens of a chunk as {text, first, last, name = bool}; strings,
--- numbers and comments are skipped. nil if a string or comment is open.
local function tokens(src)
  local out, i, n = {}, 1, #src
  while i <= n do
    local c = src:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif src:match("^%-%-", i) then
      local eqs = src:match("^%-%-%[(=*)%[", i)
      if eqs then
        local _, e = src:find("]" .. eqs .. "]", i, true)
        if not e then return nil end
        i = e + 1
      else
        i = (src:find("\n", i, true) or n) + 1
      end
    elseif src:match("^%[=*%[", i) then
      local eqs = src:match("^%[(=*)%[", i)
      local _, e = src:find("]" .. eqs .. "]", i, true)
      if not e then return nil end
      i = e + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while true do
        local d = src:sub(j, j)
        if d == "" or d == "\n" then return nil end
        if d == "\\" then j = j + 2
        elseif d == c then break
        else j = j + 1 end
      end
      i = j + 1
    elseif c:match("[%a_]") then
      local e = select(2, src:find("^[%w_]*", i + 1))
      out[#out + 1] = { src:sub(i, e), i, e, name = true }
      i = e + 1
    elseif c:match("%d") or src:match("^%.%d", i) then
      local j = i
      while j <= n do
        local d = src:sub(j, j)
        if d:match("[%w_.]") then j = j + 1
        elseif d:match("[+-]") and src:sub(j - 1, j - 1):match("[eEpP]") then j = j + 1
        else break end
      end
      i = j
    else
      local op = src:match("^%.%.%.", i) or src:match("^[=~<>]=", i) or src:match("^::", i)
        or src:match("^<<", i) or src:match("^>>", i) or src:match("^//", i)
        or src:match("^%.%.", i) or c
      out[#out + 1] = { op, i, i + #op - 1 }
      i = i + #op
    end
  end
  return out
end

local opens = { ["function"] = true, ["do"] = true, ["if"] = true, ["repeat"] = true }
local closes = { ["end"] = true, ["until"] = true }

--- The names of `local a <attr>, b ...` starting at token k (the `local`),
--- as {{name, attrib}, ...}, and the index of the token after the list.
local function local_names(toks, k)
  local names, j = {}, k + 1
  while true do
    local t = toks[j]
    if not (t and t.name and not keywords[t[1]]) then return nil end
    local item = { t[1] }
    j = j + 1
    if toks[j] and toks[j][1] == "<" and toks[j + 1] and toks[j + 1].name and toks[j + 2]
       and toks[j + 2][1] == ">" then
      item[2] = toks[j + 1][1]
      j = j + 3
    end
    names[#names + 1] = item
    if not (toks[j] and toks[j][1] == ",") then return names, j end
    j = j + 1
  end
end

--- rewrite(chunk): the chunk with each top-level `local` statement made a
--- declaration of session variables (`local x, y <const> = e` becomes
--- `__gd_local.x, __gd_const.y = e`, `local function f` becomes
--- `__gd_local.f = nil function f`). `local x <close>` stays a local of its
--- chunk (closed when the line has run), and so does `local _ENV`.
function M.rewrite(src)
  local toks = tokens(src)
  if not toks then return src end
  local parts, from, depth = {}, 1, 0
  for k, t in ipairs(toks) do
    local w = t.name and t[1]
    if w == "local" and depth == 0 then
      local nxt = toks[k + 1]
      local repl, last
      if nxt and nxt[1] == "function" and toks[k + 2] and toks[k + 2].name then
        repl, last = ";__gd_local." .. toks[k + 2][1] .. " = nil function", nxt[3]
      else
        local names, j = local_names(toks, k)
        local plain = names ~= nil
        for _, item in ipairs(names or {}) do
          if item[1] == "_ENV" or (item[2] and item[2] ~= "const") then plain = false end
        end
        if plain then
          local lhs = {}
          for i, item in ipairs(names) do
            lhs[i] = (item[2] and "__gd_const." or "__gd_local.") .. item[1]
          end
          local has_value = toks[j] and toks[j][1] == "="
          repl = ";" .. table.concat(lhs, ", ") .. (has_value and "" or " = nil")
          last = toks[j - 1][3]
        end
      end
      if repl then
        parts[#parts + 1] = src:sub(from, t[2] - 1)
        parts[#parts + 1] = repl
        from = last + 1
      end
    elseif w and opens[w] then
      depth = depth + 1
    elseif w and closes[w] then
      depth = depth - 1
    end
  end
  parts[#parts + 1] = src:sub(from)
  return table.concat(parts)
end

--- The names of the session variables, into set out.
local function session_names(out)
  for k in pairs(declared) do
    if type(k) == "string" and k:match(IDENT) then out[k] = true end
  end
end

--- compile(src[, chunkname]): the chunk as the REPL runs it, in env:
--- "return src" when that compiles (an expression shows its value), else
--- src with its top-level locals made session variables (rewrite); and
--- when that is a syntax error because its last line is an expression (a
--- notebook cell ending in `x:mean()`), the chunk returning that line.
--- Returns the function, or nil, the message, and whether the chunk is
--- only unfinished (the message ends at <eof>: more lines may finish it).
function M.compile(src, chunkname)
  chunkname = chunkname or "=stdin"
  local fn = load("return " .. src, chunkname, "t", env)
  if fn then return fn end
  local err
  fn, err = load(M.rewrite(src), chunkname, "t", env)
  if fn then return fn end
  local head, last = src:match("^(.*\n)([^\n]*%S[^\n]*)%s*$")
  if head and load("return " .. last, chunkname) then
    local body = M.rewrite(head)
    if load(body, chunkname) then
      local with_last = load(body .. "return " .. last, chunkname, "t", env)
      if with_last then return with_last end
    end
  end
  return nil, err, err:sub(-5) == "<eof>"
end

--- status(src): "complete", "incomplete" (more lines may finish it) or "invalid".
function M.status(src)
  local fn, _, unfinished = M.compile(src)
  return fn and "complete" or unfinished and "incomplete" or "invalid"
end

--- in_string(src): whether src ends inside a quoted string (as Tab sees it).
function M.in_string(src)
  local q, i = nil, 1
  while i <= #src do
    local c = src:sub(i, i)
    if q and c == "\\" then i = i + 1
    elseif q and c == q then q = nil
    elseif not q and (c == '"' or c == "'") then q = c end
    i = i + 1
  end
  return q ~= nil
end

--- The value of a dotted path of identifiers ("gd.nn"), or nil.
local function resolve(path)
  local v = env
  for name in (path .. "."):gmatch("(.-)%.") do
    if not name:match(IDENT) then return nil end
    local ok, r = pcall(function() return v[name] end)
    if not ok or r == nil then return nil end
    v = r
  end
  return v
end

M.resolve = resolve

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
    session_names(names)
    for _, k in ipairs(keyword_list) do names[k] = true end
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

--- error_text(msg[, chunk]): an error as the REPL shows it: without the
--- traceback when it names nothing but the typed chunk (named chunk,
--- "stdin" by default), C functions and this file (the session variables'
--- metamethods).
function M.error_text(msg, chunk)
  local text, trace = msg:match("^(.-)\nstack traceback:\n(.*)$")
  if not text then return msg end
  local main = "^" .. (chunk or "stdin"):gsub("%p", "%%%0") .. ":%d+: in main chunk$"
  for frame in trace:gmatch("[^\n]+") do
    frame = frame:match("^%s*(.-)%s*$")
    if not (frame:match("^%[C%]: in ") or frame:match(main)
            or frame:match("^%[gd%] gd%.repl:%d+: in ")) then
      return (msg:gsub("\n\t%[C%]: in %?$", ""))
    end
  end
  return text
end

return M
