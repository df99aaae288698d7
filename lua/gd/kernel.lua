-- gd.kernel: the Jupyter kernel of `gdlua --kernel CONNECTION_FILE`
-- (messaging protocol 5.3) and the kernelspec of `gdlua --install-kernel`.
--
-- src/kernel_zmq.c moves and signs the messages (gd._kernel); this file
-- decodes them (gd.json) and answers. A cell runs as a REPL line runs: it
-- is compiled by gd.repl.compile (an expression prints, top-level locals
-- stay for the session), its results are shown with gd.repl.format (as
-- text/plain, plus HTML, images... from gd.display's bundle), its errors
-- with gd.repl.error_text, and the completions and the is_complete test
-- are the REPL's too. The host (src/gdlua.c) gives call(f, ...), the
-- REPL's Ctrl-C-interruptible pcall, so SIGINT stops a cell as Ctrl-C
-- stops a REPL line. Output goes out while the cell runs (gd.kernel_io);
-- figures go inline (gd.plot_draw's inline sink, gd.display).
local repl = require "gd.repl"
local kio = require "gd.kernel_io"

local M = {}

local PROTOCOL = "5.3"

local gd, json                 -- loaded by run / install (gd.json is gd's)
local K                        -- the running kernel's state

local function log(fmt, ...)
  K.log:write("gdlua kernel: ", fmt:format(...), "\n")
  K.log:flush()
end

local function random_hex(nbytes)
  local f = io.open("/dev/urandom", "rb")
  local s = f and f:read(nbytes)
  if f then f:close() end
  if not s or #s < nbytes then
    s = {}
    for i = 1, nbytes do s[i] = string.char(math.random(0, 255)) end
    s = table.concat(s)
  end
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function now()
  return os.date("!%Y-%m-%dT%H:%M:%S") .. ".000000Z"
end

-- ---- messages ---------------------------------------------------------------

local function new_id()
  K.serial = K.serial + 1
  return ("%s_%d"):format(K.session, K.serial)
end

--- Send msg_type with content on channel to ids, in reply to the parent header (raw JSON).
local function send(channel, ids, msg_type, content, parent_raw)
  local header = json.encode {
    msg_id = new_id(), session = K.session, username = "gdlua", date = now(),
    msg_type = msg_type, version = PROTOCOL,
  }
  K.sock:send(channel, ids, header, parent_raw or "{}", "{}", json.encode(content))
end

local function publish(msg_type, content)
  send("iopub", { "kernel." .. K.session .. "." .. msg_type }, msg_type, content, K.parent_raw)
end

local function flush_streams()
  K.out:flush()
  K.err:flush()
end

local function list(t) return json.array(t) end

-- ---- running cells ----------------------------------------------------------

local function split_lines(s)
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do out[#out + 1] = line end
  return out
end

--- The error content of a failed cell: ename, evalue, traceback (lines).
local function error_content(msg)
  if type(msg) ~= "string" then msg = "(error object is a " .. type(msg) .. " value)" end
  -- the frames below the cell are the kernel's own: cut them off
  local head, trace = msg:match("^(.-\nstack traceback:\n)(.*)$")
  if head then
    local kept = {}
    for frame in trace:gmatch("[^\n]+") do
      if frame:match("^%s*%[gd%] gd%.kernel:") then
        if kept[#kept] and kept[#kept]:match("^%s*%[C%]: in ") then kept[#kept] = nil end
        break
      end
      kept[#kept + 1] = frame
    end
    msg = head .. table.concat(kept, "\n")
  end
  local text = repl.error_text(msg, K.chunk)
  local first = text:match("^[^\n]*")
  local ename = first:match("interrupted!$") and "Interrupted" or "Error"
  return { ename = ename, evalue = msg:match("^(.-)\nstack traceback:") or first, traceback = list(split_lines(text)) }
end

--- Show the results of a cell (execute_result), or of gd.display (display_data).
local function bundle_of(...)
  local ok, data = pcall(gd._display.bundle, ...)
  if not ok then data = { ["text/plain"] = "(the result cannot be shown: " .. tostring(data) .. ")" } end
  return data
end

local function display_sink(data)
  if K.silent then return end
  flush_streams()
  publish("display_data", { data = data, metadata = {}, transient = {} })
end

--- help(x) in a cell: its text goes to the pager (a "page" payload).
local function pager_help(...)
  local text, err = kio.captured(gd.help, ...)
  if err then error(err, 2) end
  K.payload[#K.payload + 1] = { source = "page", data = { ["text/plain"] = text }, start = 0 }
end

--- `?name` or `name?` alone in a cell: help(name).
local function help_request(code)
  local name = code:match("^%s*%?%s*([%a_][%w_.:]*)%s*$") or code:match("^%s*([%a_][%w_.:]*)%s*%?%s*$")
  return name and ("help(" .. name:gsub(":", ".") .. ")")
end

local function run_cell(code, count, silent)
  K.chunk = "cell[" .. count .. "]"
  local src = help_request(code) or code
  local fn, err = repl.compile(src, "=" .. K.chunk)
  local ok, res
  if fn then
    res = table.pack(K.call(fn))
    ok = res[1]
    err = res[2]
  end
  flush_streams()
  if not ok then
    local e = error_content(err)
    if not silent then publish("error", e) end
    return "error", e
  end
  local text
  if res.n > 1 and not silent then
    local data = bundle_of(table.unpack(res, 2, res.n))
    text = data["text/plain"]
    publish("execute_result", { execution_count = count, data = data, metadata = {} })
  end
  return "ok", nil, text
end

-- ---- requests ---------------------------------------------------------------

local handlers = {}

function handlers.kernel_info_request()
  return {
    status = "ok", protocol_version = PROTOCOL, implementation = "gdlua",
    implementation_version = gd.version:match("[%d.]+$") or "0.1",
    language_info = {
      name = "lua", version = "5.4", mimetype = "text/x-lua", file_extension = ".lua",
      pygments_lexer = "lua", codemirror_mode = "lua",
    },
    banner = gd.version .. " (Lua 5.4): tensors, autodiff, optimizers and plots. help() for help;"
      .. " a top-level `local x = ...` keeps x for the later cells.",
    help_links = list { { text = "gdlua README", url = K.readme_url }, { text = "Lua 5.4 manual", url = "https://www.lua.org/manual/5.4/" } },
  }
end

function handlers.execute_request(c)
  if type(c.code) ~= "string" then error("execute_request: content.code must be a string", 0) end
  local silent = c.silent == true
  local store = c.store_history ~= false and not silent
  if store then K.count = K.count + 1 end
  local count = K.count
  if not silent then publish("execute_input", { code = c.code, execution_count = count }) end
  K.silent, K.payload = silent, {}
  K.allow_stdin = c.allow_stdin == true
  K.out:reset()
  K.err:reset()
  local status, e, text = run_cell(c.code, count, silent)
  K.silent = false
  K.abort = status == "error" and c.stop_on_error ~= false
  if store then K.history[#K.history + 1] = { count, c.code, text or json.null } end
  local reply = { status = status, execution_count = count }
  if status == "ok" then
    reply.payload, reply.user_expressions = list(K.payload), {}
    if type(c.user_expressions) == "table" then
      for name, expr in pairs(c.user_expressions) do
        local f = type(expr) == "string" and repl.compile(expr, "=user_expression")
        local r = f and table.pack(pcall(f))
        if r and r[1] then
          reply.user_expressions[name] = { status = "ok", data = bundle_of(table.unpack(r, 2, r.n)), metadata = {} }
        else
          local ec = error_content(r and r[2] or "cannot compile " .. tostring(expr))
          ec.status = "error"
          reply.user_expressions[name] = ec
        end
      end
    end
  else
    for k, v in pairs(e) do reply[k] = v end
  end
  return reply
end

--- Byte offset in s of the code-point position pos (0-based, as Jupyter counts).
local function byte_of(s, pos)
  if not utf8.len(s) then return math.min(pos, #s) end
  local b = utf8.offset(s, pos + 1)
  return b and b - 1 or #s
end

local function codepoints(s, bytes)
  return utf8.len(s:sub(1, bytes)) or bytes
end

local function check_cursor(c, name)
  if type(c.code) ~= "string" then error(name .. ": content.code must be a string", 0) end
  local pos = c.cursor_pos
  if pos == nil or pos == json.null then pos = utf8.len(c.code) or #c.code end
  if math.type(pos) ~= "integer" then
    if type(pos) == "number" and pos == math.floor(pos) then pos = math.tointeger(pos)
    else error(name .. ": content.cursor_pos must be an integer", 0) end
  end
  return byte_of(c.code, math.max(0, pos))
end

function handlers.complete_request(c)
  local code = c.code
  local at = check_cursor(c, "complete_request")
  local before = code:sub(1, at)
  local from = #before + 1
  while from > 1 and before:sub(from - 1, from - 1):match("[%w_.:]") do from = from - 1 end
  local word = before:sub(from)
  local matches = {}
  if not repl.in_string(before) and (word ~= "" or before:match("[%w_]$") == nil) then
    matches = repl.complete(word)
  end
  return {
    status = "ok", matches = list(matches), metadata = {},
    cursor_start = codepoints(code, from - 1), cursor_end = codepoints(code, at),
  }
end

function handlers.inspect_request(c)
  local code = c.code
  local at = check_cursor(c, "inspect_request")
  local from, to = at, at
  while from > 0 and code:sub(from, from):match("[%w_.:]") do from = from - 1 end
  while to < #code and code:sub(to + 1, to + 1):match("[%w_]") do to = to + 1 end
  local path = code:sub(from + 1, to):gsub(":", "."):gsub("^%.+", ""):gsub("%.+$", "")
  local value = path ~= "" and repl.resolve(path)
  if value == nil then return { status = "ok", found = false, data = {}, metadata = {} } end
  local text, err = kio.captured(gd.help, value)
  if err or text == "" or text:match("^no help for ") then
    local shown = pcall(repl.format, value) and repl.format(value) or tostring(value)
    text = path .. ": " .. type(value) .. (type(value) ~= "function" and (" = " .. shown) or "")
  end
  return { status = "ok", found = true, data = { ["text/plain"] = text }, metadata = {} }
end

function handlers.is_complete_request(c)
  if type(c.code) ~= "string" then error("is_complete_request: content.code must be a string", 0) end
  local status = repl.status(help_request(c.code) or c.code)
  if status == "incomplete" then return { status = status, indent = "  " } end
  return { status = status }
end

--- A glob (* and ?) as a Lua pattern matching a whole input.
local function glob(p)
  return "^" .. p:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".") .. "$"
end

function handlers.history_request(c)
  local with_output = c.output == true
  local function entry(h)
    return list { 1, h[1], with_output and list { h[2], h[3] } or h[2] }
  end
  local out, hist = {}, K.history
  local kind = c.hist_access_type
  local n = math.tointeger(c.n)
  if kind == "tail" then
    n = n or #hist
    for i = math.max(1, #hist - n + 1), #hist do out[#out + 1] = entry(hist[i]) end
  elseif kind == "range" then
    local start, stop = math.tointeger(c.start) or 1, math.tointeger(c.stop)
    for _, h in ipairs(hist) do
      if h[1] >= start and (not stop or h[1] < stop) then out[#out + 1] = entry(h) end
    end
  elseif kind == "search" then
    local pat = glob(type(c.pattern) == "string" and c.pattern or "*")
    local seen, found = {}, {}
    for i = #hist, 1, -1 do
      local h = hist[i]
      if h[2]:match(pat) and not (c.unique and seen[h[2]]) then
        seen[h[2]] = true
        table.insert(found, 1, h)
      end
    end
    n = n or #found
    for i = math.max(1, #found - n + 1), #found do out[#out + 1] = entry(found[i]) end
  end
  return { status = "ok", history = list(out) }
end

function handlers.comm_info_request() return { status = "ok", comms = {} } end

function handlers.shutdown_request(c)
  K.done = true
  return { status = "ok", restart = c.restart == true }
end

function handlers.interrupt_request() return { status = "ok" } end

-- ---- stdin --------------------------------------------------------------------

--- io.read in a cell: an input_request to the frontend, and its input_reply.
local function ask(prompt)
  if not K.allow_stdin then
    error("io.read: this frontend does not accept input (allow_stdin is false)", 3)
  end
  flush_streams()
  send("stdin", K.ids, "input_request", { prompt = prompt, password = false }, K.parent_raw)
  while true do
    local ch = K.sock:poll(-1, "stdin")
    if ch then
      local msg, why = K.sock:recv("stdin")
      if not msg then log("dropped a stdin message: %s", why)
      else
        local ok, content = pcall(json.decode, msg.content)
        local okh, header = pcall(json.decode, msg.header)
        if ok and okh and type(header) == "table" and header.msg_type == "input_reply" and type(content) == "table" then
          if type(content.value) ~= "string" then error("io.read: input interrupted", 3) end
          return content.value
        end
      end
    end
  end
end

-- ---- the loop -------------------------------------------------------------------

local function reply_type(t) return (t:gsub("_request$", "_reply")) end

--- Answer the next message of channel (or msg, already read from it);
--- aborting: an execute_request is answered "aborted" unrun (the cells
--- queued behind one that failed).
local function handle(channel, aborting, msg)
  local why, kind
  if not msg then msg, why, kind = K.sock:recv(channel) end
  if not msg then
    log("dropped a %s message (%s): %s", channel, kind, why)
    return
  end
  local ok, header = pcall(json.decode, msg.header)
  if not ok or type(header) ~= "table" or type(header.msg_type) ~= "string" then
    log("dropped a %s message: its header is not a JSON object with a msg_type (%s)", channel,
      ok and type(header) or tostring(header))
    return
  end
  K.parent_raw, K.ids = msg.header, msg.ids
  local t = header.msg_type
  publish("status", { execution_state = "busy" })
  local h = handlers[t]
  if not h then
    log("ignored a %s message of unknown type %s", channel, t)
  elseif aborting and t == "execute_request" then
    send(channel, K.ids, "execute_reply", { status = "aborted", execution_count = K.count }, K.parent_raw)
  else
    local okc, content = pcall(json.decode, msg.content)
    local reply
    if not okc or type(content) ~= "table" then
      reply = { status = "error", ename = "BadMessage", evalue = t .. ": the content is not a JSON object",
                traceback = list {} }
      log("%s: the content is not a JSON object (%s)", t, tostring(content))
    else
      local okh, r = pcall(h, content)
      if okh then reply = r
      else
        reply = { status = "error", ename = "BadMessage", evalue = tostring(r), traceback = list {} }
        log("%s failed: %s", t, tostring(r))
      end
    end
    if K.abort then
      -- stop_on_error: what is queued now, before the failed cell's reply
      -- lets the client send more, is answered aborted
      local queued = {}
      while K.sock:poll(0, "shell") do
        local q, why = K.sock:recv("shell")
        if q then queued[#queued + 1] = q else log("dropped a shell message: %s", why) end
      end
      K.abort = false
      send(channel, K.ids, reply_type(t), reply, K.parent_raw)
      publish("status", { execution_state = "idle" })
      for _, q in ipairs(queued) do handle("shell", true, q) end
      return
    end
    send(channel, K.ids, reply_type(t), reply, K.parent_raw)
  end
  publish("status", { execution_state = "idle" })
end

local function open_connection(file)
  local f, err = io.open(file, "rb")
  if not f then return nil, "cannot read the connection file: " .. err end
  local text = f:read("a")
  f:close()
  local ok, c = pcall(json.decode, text)
  if not ok or type(c) ~= "table" then return nil, file .. " is not a JSON object: " .. tostring(c) end
  local scheme = c.signature_scheme or "hmac-sha256"
  if scheme ~= "hmac-sha256" then return nil, "signature_scheme " .. tostring(scheme) .. " is not supported (hmac-sha256 only)" end
  local cfg = { transport = c.transport or "tcp", ip = c.ip or "127.0.0.1", key = c.key or "" }
  for _, p in ipairs { "shell_port", "control_port", "stdin_port", "iopub_port", "hb_port" } do
    cfg[p] = math.tointeger(c[p])
    if not cfg[p] then return nil, file .. ": " .. p .. " must be an integer" end
  end
  return gd._kernel.open(cfg)
end

--- run(file, host): serve the connection file until shutdown; host = {call
--- = an interruptible pcall, readme = the README's path}. Returns true, or nil, message.
function M.run(file, host)
  gd = require "gd"
  json = gd.json
  local sock, err = open_connection(file)
  if not sock then return nil, err end
  K = {
    sock = sock, session = random_hex(16), serial = 0, count = 0, history = {}, payload = {},
    call = host.call, log = io.stderr, chunk = "cell",
    readme_url = host.readme and ("file://" .. host.readme) or "https://www.lua.org/manual/5.4/",
  }
  local function send_stream(name, text)
    if not K.silent then publish("stream", { name = name, text = text }) end
  end
  K.out, K.err = kio.Stream("stdout", send_stream), kio.Stream("stderr", send_stream)
  local undo = kio.install(K.out, K.err, kio.Input(ask))
  local draw = require "gd.plot_draw"
  local display = gd._display
  display.sink = display_sink
  display.clear = function(wait)
    if K.silent then return end
    flush_streams()
    publish("clear_output", { wait = wait })
  end
  local old_sink = draw.set_inline(display.show_inline)
  local real_help = rawget(_G, "help")
  _G.help = gd.doc(pager_help, "help([f]): in a notebook, the doc of f in the pager")
  while not K.done do
    local ch = sock:poll(-1)
    if ch == "stdin" then
      sock:recv("stdin")                      -- a reply nobody waits for
    elseif ch then
      handle(ch)
    end
  end
  _G.help = real_help
  draw.set_inline(old_sink)
  display.sink, display.clear = nil, nil
  undo()
  sock:close()
  return true
end

-- ---- the kernelspec -------------------------------------------------------------

--- The folder `jupyter kernelspec list` looks in: prefix/share/jupyter/kernels,
--- else the user's data dir (JUPYTER_DATA_DIR, XDG_DATA_HOME/jupyter, ~/.local/share/jupyter).
local function kernels_dir(prefix)
  if prefix then return prefix .. "/share/jupyter/kernels" end
  local data = os.getenv("JUPYTER_DATA_DIR")
  if not data or data == "" then
    local xdg = os.getenv("XDG_DATA_HOME")
    local home = os.getenv("HOME")
    if xdg and xdg ~= "" then data = xdg .. "/jupyter"
    elseif home and home ~= "" then data = home .. "/.local/share/jupyter"
    else return nil end
  end
  return data .. "/kernels"
end

--- install{exe, prefix}: write kernels/gdlua/kernel.json → its path, or nil, message.
function M.install(opts)
  gd = require "gd"
  json = gd.json
  local dir = kernels_dir(opts.prefix)
  if not dir then return nil, "no HOME or JUPYTER_DATA_DIR to install the kernel into" end
  dir = dir .. "/gdlua"
  local ok, err = require("gd.core")._plotpipe.mkdir(dir)
  if not ok then return nil, err end
  local spec = {
    argv = list { opts.exe, "--kernel", "{connection_file}" },
    display_name = "gdlua (Lua 5.4)", language = "lua", interrupt_mode = "signal",
    metadata = {},
  }
  local path = dir .. "/kernel.json"
  local wrote, werr = gd._kernel.write_atomic(path, json.encode(spec, { indent = 1, sort_keys = true }) .. "\n")
  if not wrote then return nil, werr end
  return path
end

return M
