-- proc_cpu: CPU time of this process plus its reaped children (gnuplot),
-- from /proc/self/stat, for the plot benchmarks: os.clock alone would miss
-- most of the work, which gnuplot does.  Returns cpu() in seconds.
local tck = 100
do
  local p = io.popen("getconf CLK_TCK 2>/dev/null")
  if p then tck = tonumber(p:read("l") or "") or 100; p:close() end
end

-- utime + stime + cutime + cstime, in seconds
return function()
  local f = assert(io.open("/proc/self/stat"))
  local s = f:read("a")
  f:close()
  local fields = {}
  for w in s:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = w end
  -- after "pid (comm) ": state is field 1, utime..cstime are 12..15
  return (fields[12] + fields[13] + fields[14] + fields[15]) / tck
end
