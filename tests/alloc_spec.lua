-- alloc_spec.lua: gdlua's small-block allocator reuses freed memory across
-- size classes, so a program's peak resident memory follows its live data,
-- not the sum of everything it ever allocated.  Each case runs in a fresh
-- gdlua process and reads the peak (VmHWM) from /proc/self/status at the end.
local u = require "tests.helpers.util"

local cwd = u.sh_line("pwd")
local GDLUA = u.gdlua:sub(1, 1) == "/" and u.gdlua or cwd .. "/" .. u.gdlua

-- The program's prologue: status(key) reads a field of /proc/self/status in KiB.
local PROLOGUE = [[
local function status(key)
  for l in io.lines("/proc/self/status") do
    local v = l:match("^" .. key .. ":%s*(%d+)")
    if v then return tonumber(v) end
  end
end
local base = status("VmRSS")
]]

--- Run a program (PROLOGUE prepended) in gdlua; it prints the growth of its peak and its data volume, in KiB.
local function peak(body)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(PROLOGUE, body, '\nprint(status("VmHWM") - base, most // 1024)\n')
  f:close()
  -- GDLUA_SYSTEM_ALLOC=0: gdlua's allocator even in a sanitizer build, where
  -- ASan's quarantine (kept freed malloc blocks) would add to the peak
  local p = assert(io.popen("GDLUA_SYSTEM_ALLOC=0 ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0 '" .. GDLUA .. "' " .. path .. " 2>&1"))
  local out = p:read("a")
  p:close()
  os.remove(path)
  local grown, data = out:match("^(%d+)%s+(%d+)")
  assert(grown, "the program failed: " .. out)
  return tonumber(grown), tonumber(data)
end

describe("allocator", function()
  it("reuses the memory of dropped strings for strings of other sizes", function()
    -- 10 rounds of 50,000 strings of 28 lengths each, every round longer than
    -- the last (so in other size classes); `most` is the largest round's
    -- character count.  lua5.4 peaks at ~1.8× that; without reuse across
    -- classes the peak is the sum of all rounds (~7× here).
    local grown, data = peak [[
local pad, most = ("x"):rep(600), 0
for r = 0, 9 do
  local t, bytes = {}, 0
  for i = 1, 50000 do
    local s = pad:sub(1, r * 28 + i % 28) .. i
    t[i] = s
    bytes = bytes + #s
  end
  most = math.max(most, bytes)
  t = nil
end
]]
    assert(data > 12000, "data volume " .. data)
    assert(grown < 3 * data, ("peak grew by %d KiB for %d KiB of strings"):format(grown, data))
  end)

  it("reuses the memory of dropped tables for strings and closures", function()
    -- rounds alternate between small tables, closures and strings; `most` is
    -- an upper estimate of one round's bytes (48-byte headers, 16 per slot)
    local grown, data = peak [[
local most = 0
for r = 1, 6 do
  local t = {}
  for i = 1, 40000 do
    if r % 3 == 1 then t[i] = { i, i + 1, i + 2, r }
    elseif r % 3 == 2 then local k = i; t[i] = function() return k + r end
    else t[i] = ("y"):rep(40 + r * 20) .. i end
  end
  most = math.max(most, 40000 * (r % 3 == 1 and 48 + 4 * 16 or r % 3 == 2 and 96 or 60 + r * 20))
  t = nil
end
]]
    assert(grown < 3 * data, ("peak grew by %d KiB for at most %d KiB a round"):format(grown, data))
  end)

  it("keeps resident memory flat over 1e6 tensor results of each size class", function()
    -- a + b at sizes on both sides of the inline (no finalizer) limit of 64
    -- elements, with 2000 tensors of mixed sizes alive: the resident set after
    -- 1e6 more results is within 2 MiB of where it was after 1e5 (before
    -- small results were inline, sizes 17-64 grew it by ~150 MiB), and full
    -- collections bring Lua's heap back to within 1 MiB of its start
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(PROLOGUE, [[
local keep = {}
for i = 1, 2000 do keep[i] = gd.rand(1 + i % 100) end
collectgarbage()
local heap0 = collectgarbage("count")
for _, n in ipairs{2, 16, 17, 32, 64, 65, 256} do
  local a, b = gd.rand(n), gd.rand(n)
  for _ = 1, 100000 do local c = a + b end
  local r1 = status("VmRSS")
  for _ = 1, 1000000 do local c = a + b end
  local r2 = status("VmRSS")
  a, b = nil, nil
  collectgarbage()
  collectgarbage()                 -- the second frees what the first finalized
  print(n, r2 - r1, math.floor(collectgarbage("count") - heap0))
end
]])
    f:close()
    local p = assert(io.popen("GDLUA_SYSTEM_ALLOC=0 ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0 '" .. GDLUA .. "' " .. path .. " 2>&1"))
    local out = p:read("a")
    p:close()
    os.remove(path)
    local rows = 0
    for n, grown, heap in out:gmatch("(%d+)%s+(%-?%d+)%s+(%-?%d+)") do
      rows = rows + 1
      assert(tonumber(grown) < 2048, ("size %s: resident memory grew by %s KiB over 1e6 results"):format(n, grown))
      assert(tonumber(heap) < 1024, ("size %s: Lua's heap is %s KiB above its start after a full collection"):format(n, heap))
    end
    assert.equal(7, rows, "the program failed: " .. out)
  end)
end)
