-- tests/helpers/plotproc.lua: files, shell commands and processes for the
-- plot specs (plot_spec.lua, plot_security_spec.lua): reading files,
-- running gdlua in a shell, and looking at processes through /proc.
local M = {}

--- A string quoted for the shell.
function M.shq(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

--- The whole content of a file, or nil if it cannot be read.
function M.slurp(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- Run a shell command; its stdout, stderr and success.
function M.run(cmd)
  local err = os.tmpname()
  local p = assert(io.popen("(" .. cmd .. ") 2> " .. err))
  local out = p:read("a")
  local ok = p:close()
  local e = M.slurp(err)
  os.remove(err)
  return out, e, ok
end

--- Write text into the file p; returns p.
function M.write(p, text)
  local f = assert(io.open(p, "w"))
  f:write(text)
  f:close()
  return p
end

--- Our pid (the first field of /proc/self/stat, read in this process).
function M.mypid()
  return tonumber(M.slurp("/proc/self/stat"):match("^(%d+)"))
end

--- Every process as {pid, comm, state, ppid, pgrp}, from /proc/*/stat.
function M.procs()
  local list = {}
  local p = io.popen("cat /proc/[0-9]*/stat 2>/dev/null")
  for line in p:lines() do
    local pid, comm, state, ppid, pgrp = line:match("^(%d+) %((.-)%) (%a) (%d+) (%d+)")
    if pid then
      list[#list + 1] = { pid = tonumber(pid), comm = comm, state = state,
                          ppid = tonumber(ppid), pgrp = tonumber(pgrp) }
    end
  end
  p:close()
  return list
end

--- True while process pid exists and is not a zombie.
function M.alive(pid)
  local s = M.slurp("/proc/" .. pid .. "/stat")
  return s ~= nil and s:match("^%d+ %(.-%) (%a)") ~= "Z"
end

--- Wait up to `seconds` for pred() to hold (polling every 50 ms); its last value.
function M.wait_for(pred, seconds)
  for _ = 1, math.ceil(seconds / 0.05) do
    local v = pred()
    if v then return v end
    os.execute("sleep 0.05")
  end
  return pred()
end

--- The gdlua under test as an absolute path (for shell commands run elsewhere).
function M.gdlua()
  local u = require "tests.helpers.util"
  return u.gdlua:sub(1, 1) == "/" and u.gdlua or u.sh_line("pwd") .. "/" .. u.gdlua
end

--- A new empty folder for a spec's files, and path(name) inside it.
function M.scratch()
  local dir = os.tmpname()
  os.remove(dir)
  assert(require("gd.core")._plotpipe.mkdir(dir))
  return dir, function(name) return dir .. "/" .. name end
end

return M
