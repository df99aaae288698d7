-- kernel_bench.lua: shared by kernel_start.lua and kernel_roundtrip.lua:
-- install gdlua's kernelspec into a private JUPYTER_DATA_DIR, time gdlua and
-- ipykernel (python3) with kernel_client.py, print gdlua's samples as `time`
-- lines and ipykernel's median as `info`.
local M = {}
local here = arg[0]:match("^(.*/)") or "./"
local function shq(s) return "'" .. tostring(s):gsub("'", [['\'']]) .. "'" end

local function interpreter()
  local lo = 0
  while arg[lo - 1] do lo = lo - 1 end
  return lo < 0 and arg[lo] or "./gdlua"
end

local function lines_of(cmd)
  local p = assert(io.popen(cmd .. " 2>/dev/null", "r"))
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end

local function median(t)
  table.sort(t)
  local n = #t
  return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
end

function M.run(mode, n)
  local dir = os.tmpname()
  os.remove(dir)
  local env = ("JUPYTER_DATA_DIR=%s JUPYTER_RUNTIME_DIR=%s/rt PYDEVD_DISABLE_FILE_VALIDATION=1 ")
    :format(shq(dir), shq(dir))
  assert(os.execute(env .. shq(interpreter()) .. " --install-kernel --user >/dev/null"))
  local python = os.getenv("PYTHON") or "/usr/bin/python3"
  local client = env .. shq(python) .. " " .. shq(here .. "kernel_client.py") .. " " .. mode
  local function samples(name, count)
    local t = {}
    for _, l in ipairs(lines_of(client .. " " .. name .. " " .. count)) do
      local s = tonumber(l:match("^time (%S+)"))
      if s then t[#t + 1] = s end
    end
    return t
  end
  local mine = samples("gdlua", n)
  for _, s in ipairs(mine) do print(("time %.6f"):format(s)) end
  local ref = samples("python3", mode == "start" and 3 or n)
  if #ref > 0 then
    print(("info ipykernel %s: median %.1f ms (wall)"):format(mode, median(ref) * 1e3))
  end
  os.execute("rm -rf " .. shq(dir))
end

return M
