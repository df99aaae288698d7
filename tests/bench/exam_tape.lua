-- exam_tape: seed 000 problem 2(3), 50,000 steps of loss = (y - Xβ)ᵀ(y - Xβ)/10
-- on the fixed 10×2 data, tape gradient, β ← β − 0.0015·g.
local X = gd.tensor{{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
                    {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
local y = gd.tensor{55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                    63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}:reshape(10, 1)
local beta = gd.Variable(gd.tensor{5.0, 10.0}:reshape(2, 1))
local t0 = os.clock()
for _ = 1, 50000 do
  local tape <close> = gd.GradientTape()
  local r = y - X:matmul(beta)
  local loss = r.T:matmul(r) / 10
  local slope = tape:gradient(loss, beta)
  beta:assign_sub(slope * 0.0015)
end
print(("time %.9f"):format(os.clock() - t0))
print(("value %.17g"):format(beta:at(1, 1)))
