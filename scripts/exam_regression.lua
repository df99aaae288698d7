-- exam_regression.lua: the helper the seed 000 problem 2 scripts share: the
-- exam's ten points as the design matrix X = [1, x] (10×2) and y (10×1), and
-- the closed-form least-squares answer the exam printed.
return function()
  local X = gd.tensor{{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
                      {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}}
  local y = gd.tensor{55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                      63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286}:reshape(10, 1)
  return X, y, { 9.94457323, 2.21570461 }
end
