-- exam_compile: exam 2(3) (as exam_tape.lua) through gd.compile: the first
-- call traces (one eager step), step:run replays the other 49,999 in C.
-- Timed: all 50,000 steps, the trace included.  info: the trace's cost.
local X = gd.tensor{{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
                    {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
local y = gd.tensor{55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                    63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}:reshape(10, 1)
local traces, beta = {}, nil
for _ = 1, 5 do
  beta = gd.Variable(gd.tensor{5.0, 10.0}:reshape(2, 1))
  local step = gd.compile(function()
    local tape <close> = gd.GradientTape()
    local r = y - X:matmul(beta)
    local loss = r.T:matmul(r) / 10
    local slope = tape:gradient(loss, beta)
    beta:assign_sub(slope * 0.0015)
  end)
  local t0 = os.clock()
  step()
  local t1 = os.clock()
  step:run(49999)
  local t2 = os.clock()
  traces[#traces + 1] = (t1 - t0) * 1e3
  print(("time %.9f"):format(t2 - t0))
end
table.sort(traces)
print(("info trace (first call: one eager step recorded and planned) %.3f ms median, %.3f-%.3f ms")
  :format(traces[3], traces[1], traces[5]))
print(("value %.17g"):format(beta:at(1, 1)))
