-- gd.kernel_io: a notebook cell's standard streams. While `gdlua --kernel`
-- runs, print, io.write, io.stdout and io.stderr write into two Stream
-- objects that send their text as `stream` messages (lua/gd/kernel.lua
-- gives the send function): at every newline or carriage return (so a
-- progress bar's "\r" redraws in place while the cell runs, not at its
-- end), past 4 KiB, and when the cell ends. io.read, io.lines() and
-- io.stdin read lines that the frontend types, through an input function
-- (the kernel's input_request). A file opened with io.open, or set with
-- io.output / io.input, is untouched.
local M = {}

local FLUSH_BYTES = 4096

local Stream = { __name = "gd.kernel.Stream" }
Stream.__index = Stream

--- The longest prefix of s that is whole UTF-8, with invalid bytes as U+FFFD,
--- and the bytes of an unfinished character at the end (kept for the next write).
local function utf8_split(s)
  if utf8.len(s) then return s, "" end
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:byte(i)
    local len = c < 0x80 and 1 or c >= 0xF0 and c < 0xF8 and 4 or c >= 0xE0 and 3 or c >= 0xC2 and c < 0xE0 and 2 or 0
    if len == 0 then
      out[#out + 1] = "\u{FFFD}"
      i = i + 1
    elseif i + len - 1 > n then
      if utf8.len(s:sub(i) .. ("\x80"):rep(len - (n - i + 1))) then
        return table.concat(out), s:sub(i)     -- a character cut in two
      end
      out[#out + 1] = "\u{FFFD}"
      i = i + 1
    else
      local ch = s:sub(i, i + len - 1)
      if utf8.len(ch) then out[#out + 1] = ch; i = i + len
      else out[#out + 1] = "\u{FFFD}"; i = i + 1 end
    end
  end
  return table.concat(out), ""
end

--- Stream(name, send): a write-only file object whose text goes to send(name, text).
function M.Stream(name, send)
  return setmetatable({ name = name, send = send, buf = {}, size = 0, tail = "" }, Stream)
end

function Stream:write(...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    local t = type(v)
    if t == "number" then v = tostring(v)
    elseif t ~= "string" then
      error(("bad argument #%d to 'write' (string expected, got %s)"):format(i, t), 2)
    end
    self.buf[#self.buf + 1] = v
    self.size = self.size + #v
    if self.size > FLUSH_BYTES or v:find("[\n\r]") then self:flush() end
  end
  return self
end

function Stream:flush()
  if self.size == 0 and self.tail == "" then return self end
  local text, tail = utf8_split(self.tail .. table.concat(self.buf))
  self.buf, self.size, self.tail = {}, 0, tail
  if text ~= "" then self.send(self.name, text) end
  return self
end

--- Drop what is buffered (a silent cell, or a new one after an error in send).
function Stream:reset() self.buf, self.size, self.tail = {}, 0, "" end

function Stream:setvbuf() return true end
function Stream:close() return nil, "cannot close a standard file" end
function Stream:seek() return nil, "Illegal seek", 29 end
function Stream:lines() error("the notebook's " .. self.name .. " is write-only", 2) end
function Stream:read() return nil, "the notebook's " .. self.name .. " is write-only", 9 end
Stream.__tostring = function(s) return "file (notebook " .. s.name .. ")" end

local Input = { __name = "gd.kernel.Input" }
Input.__index = Input
Input.__tostring = function() return "file (notebook stdin)" end

--- Input(ask): a read-only file object; ask(prompt) returns a line typed in the frontend.
function M.Input(ask)
  return setmetatable({ ask = ask, pending = nil }, Input)
end

-- The next line (without its newline), asking the frontend when none is pending.
local function next_line(self)
  local s = self.pending
  if s == nil then s = self.ask("") .. "\n" end
  local nl = s:find("\n", 1, true)
  local line = s:sub(1, nl - 1)
  self.pending = nl < #s and s:sub(nl + 1) or nil
  return line
end

local function read_one(self, fmt)
  if math.type(fmt) == "integer" then
    if fmt <= 0 then return "" end
    local s = self.pending or (self.ask("") .. "\n")
    self.pending = #s > fmt and s:sub(fmt + 1) or nil
    return s:sub(1, fmt)
  end
  fmt = type(fmt) == "string" and fmt:gsub("^%*", "") or fmt
  if fmt == "l" then return next_line(self)
  elseif fmt == "L" then return next_line(self) .. "\n"
  elseif fmt == "n" then return tonumber(next_line(self))
  elseif fmt == "a" then
    local s = self.pending or ""
    self.pending = nil
    return s
  end
  error("bad argument to 'read' (invalid format)", 3)
end

function Input:read(...)
  local n = select("#", ...)
  if n == 0 then return read_one(self, "l") end
  local out = {}
  for i = 1, n do
    out[i] = read_one(self, (select(i, ...)))
    if out[i] == nil then return table.unpack(out, 1, i) end
  end
  return table.unpack(out, 1, n)
end

function Input:lines(...)
  local fmts = table.pack(...)
  return function() return self:read(table.unpack(fmts, 1, fmts.n)) end
end

function Input:close() return nil, "cannot close a standard file" end
function Input:write() return nil, "the notebook's stdin is read-only", 9 end
function Input:setvbuf() return true end

--- print_text(...): the line print(...) writes, without its newline.
function M.print_text(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  return table.concat(parts, "\t", 1, n)
end

--- captured(f, ...): the lines that print writes while f(...) runs, as one
--- text (print is put back after, also on error); then f's error or nil.
function M.captured(f, ...)
  local lines, real_print = {}, print
  _G.print = function(...) lines[#lines + 1] = M.print_text(...) end
  local ok, err = pcall(f, ...)
  _G.print = real_print
  return table.concat(lines, "\n"), not ok and err or nil
end

--- install(out, err, input): route print, io.write, io.read, io.lines() and
--- the io.std* files through the streams; returns a function that undoes it.
function M.install(out, err, input)
  local saved = {
    print = print, write = io.write, read = io.read, lines = io.lines,
    stdout = io.stdout, stderr = io.stderr, stdin = io.stdin,
  }
  local real_out, real_in = io.stdout, io.stdin
  _G.print = function(...) out:write(M.print_text(...), "\n") end
  io.write = function(...)
    if io.output() == real_out then return out:write(...) end
    return saved.write(...)
  end
  io.read = function(...)
    if io.input() == real_in then return input:read(...) end
    return saved.read(...)
  end
  io.lines = function(fname, ...)
    if fname == nil and io.input() == real_in then return input:lines(...) end
    return saved.lines(fname, ...)
  end
  io.stdout, io.stderr, io.stdin = out, err, input
  return function()
    _G.print, io.write, io.read, io.lines = saved.print, saved.write, saved.read, saved.lines
    io.stdout, io.stderr, io.stdin = saved.stdout, saved.stderr, saved.stdin
  end
end

return M
