-- gaussian_basis.lua: the helper of the PRML scripts (linear_basis, bias_variance):
-- the design matrix of a bias and Gaussian basis functions.

--- gaussian_basis(mu, s) → design(x): the n × (M + 1) matrix of a column of ones and
--- exp(−(x − μⱼ)²/(2s²)) for the M centers in mu, for x of n values.
return function(mu, s)
  local M = mu:numel()
  return function(x)
    local n = x:numel()
    local d = (x:reshape(n, 1) - mu:reshape(1, M)) / s
    return gd.cat({ gd.ones(n, 1), gd.exp(-0.5 * d ^ 2) }, 2)
  end
end
