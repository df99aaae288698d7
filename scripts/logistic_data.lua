-- logistic_data.lua: the helper seed 001's logistic-regression scripts share:
-- gd.seed(1), then N = 1000 rows x = (1, x1, x2) with x1, x2 ~ N(0, 1) and
-- labels y ~ Bernoulli(σ(xᵀθ)) for θ = (−1, 2, −3).  Returns X (N×3), y (N×1), θ.
return function()
  gd.seed(1)
  local N = 1000
  local X = gd.cat({ gd.ones(N, 1), gd.randn(N, 2) }, 2)
  local theta_true = gd.tensor{ { -1 }, { 2 }, { -3 } }
  local y = gd.binomial(1, gd.sigmoid(X:matmul(theta_true)))
  return X, y, theta_true
end
