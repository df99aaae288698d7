-- memory_spec.lua: tensor storage is visible to Lua's collector, so loops
-- that make temporaries keep bounded memory without collectgarbage().
local function rss_kb()
  local f = assert(io.open("/proc/self/statm"))
  local _, resident = f:read("n", "n")
  f:close()
  return resident * 4   -- pages of 4 KiB
end

describe("memory", function()
  it("stays bounded over 1e6 iterations of c = a + b * 2 on 1000 elements", function()
    local a, b = gd.linspace(0, 1, 1000), gd.linspace(1, 2, 1000)
    local c
    local before = rss_kb()
    local peak = before
    for i = 1, 1000000 do
      c = a + b * 2
      if i % 20000 == 0 then peak = math.max(peak, rss_kb()) end
    end
    -- 16 GB pass through the allocator; growth must stay under 64 MiB
    assert(peak - before < 64 * 1024,
      string.format("resident memory grew by %d KiB", peak - before))
    assert.equal(2, c[1])
    assert.equal(5, c[1000])
  end)

  it("reuses large buffers instead of growing", function()
    local x = gd.linspace(-3, 3, 1000000)
    local before = rss_kb()
    local s
    for _ = 1, 200 do s = gd.exp(-0.5 * (x * 0.7) ^ 2):sum() end
    local grown = rss_kb() - before
    -- 200 iterations × 4 temporaries of 8 MB: without reuse this is 6.4 GB
    assert(grown < 256 * 1024, string.format("grew by %d KiB", grown))
    local want = 0
    for i = 1, 1000000 do want = want + math.exp(-0.5 * (x[i] * 0.7) ^ 2) end
    assert(math.abs(s:item() - want) < 1e-8 * want, s:item() .. " vs " .. want)
  end)
end)
