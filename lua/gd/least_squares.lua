-- gd.optim.least_squares: nonlinear least squares, min ½‖r(x)‖², by
-- Levenberg–Marquardt with Nielsen's damping update (Madsen, Nielsen &
-- Tingleff, "Methods for non-linear least squares problems", Algorithm 3.16)
-- or Gauss–Newton with an Armijo backtracking search.  The Jacobian comes from
-- gd.jacobian; values of ½‖r‖² go through gd.objective like minimize's.
local gd = require "gd"
local check = require "gd.check"
local objective = require "gd.objective"
local ls = require "gd.line_search"
local minimize = require "gd.minimize"
local doc = gd.doc

local M = {}

local dot = objective.dot

local allowed = { "method", "tol", "xtol", "maxiter", "tau", "trace" }

--- gd.optim.least_squares(residual_fn, x0[, opts]): minimize ½‖r(x)‖² by "lm" (default) or "gauss-newton".
function M.least_squares(residual_fn, x0, opts)
  local fname = "gd.optim.least_squares"
  local o = check.opts(fname, opts, allowed, 3)
  local x, shape = objective.point(fname, x0, 2)
  local n = x:numel()
  local method = check.oneof(fname, "method", o.method or "lm", { "lm", "gauss-newton" })
  local tol = o.tol == nil and 1e-10 or check.number(fname, "tol", o.tol, 0, nil, true)
  local xtol = o.xtol == nil and 1e-14 or check.number(fname, "xtol", o.xtol, 0, nil, true)
  local maxiter = o.maxiter == nil and 100 * n or check.integer(fname, "maxiter", o.maxiter, 0)
  local tau = o.tau == nil and 1e-3 or check.number(fname, "tau", o.tau, 0, nil, true)
  local trace = check.boolean(fname, "trace", o.trace, false)

  local rshape
  local function r_of(z)                   -- the residuals at the flat point z, flat
    local r = residual_fn(z:reshape(shape))
    if not objective.is_tensor(r) then
      check.fail(fname, "residual_fn must return a tensor, got %s", type(r))
    end
    local key = objective.shape_str(r.shape)
    if rshape == nil then rshape = r.shape
    elseif key ~= objective.shape_str(rshape) then
      check.fail(fname, "residual_fn changed the shape of its result: %s at x0, now %s",
        objective.shape_str(rshape), key)
    end
    return r:reshape(r:numel())
  end
  if not objective.is_callable(residual_fn) then
    check.fail(fname, "argument 1: function expected, got %s", type(residual_fn))
  end
  local P = objective.new(fname, function(z)
    local r = r_of(z:reshape(n))
    return 0.5 * gd.dot(r, r)
  end, shape)
  local njev = 0
  local function jac(z)
    njev = njev + 1
    return gd.jacobian(r_of, z)
  end

  local r = gd.no_grad(r_of, x)
  P.nfev = P.nfev + 1
  local F = 0.5 * dot(r, r)
  P:check_x0(F, gd.zeros(1))
  local J = jac(x)
  local g = J.T:matmul(r)
  local path = trace and { x } or nil
  local values = trace and { F } or nil
  local A = J.T:matmul(J)
  local mu, nu = 0, 2
  if method == "lm" then
    local dmax = 0
    for i = 1, n do dmax = math.max(dmax, A:at(i, i)) end
    mu = tau * dmax
  end
  local I = gd.eye(n)
  local success, message, nit = false, nil, 0
  while true do
    local gmax = g:abs():max():item()
    if gmax ~= gmax then message = "non-finite value"; break end
    if gmax <= tol then
      success, message = true, ("converged: ‖Jᵀr‖∞ = %.3g ≤ tol = %.3g"):format(gmax, tol); break
    end
    if nit >= maxiter then message = ("maxiter (%d) reached"):format(maxiter); break end
    nit = nit + 1
    local accepted, h = false, nil
    if method == "lm" then
      h = -gd.solve(A + mu * I, g)
      local xn = x + h
      local Fn = P:fval(xn)
      local predicted = 0.5 * dot(h, mu * h - g)       -- L(0) − L(h) of the damped model
      local rho = (F - Fn) / predicted
      if Fn == Fn and rho > 0 then
        x, accepted = xn, true
        mu = mu * math.max(1 / 3, 1 - (2 * rho - 1) ^ 3)
        nu = 2
      else
        mu, nu = mu * nu, 2 * nu
      end
    else
      h = -gd.lstsq(J, r):reshape(n)                    -- min ‖J h + r‖
      local alpha, msg = ls.search_armijo(P, x, h, F, g, { c1 = 1e-4, rho = 0.5, alpha0 = 1 })
      if alpha == nil then message = "line search failed: " .. msg; break end
      h = alpha * h
      x, accepted = x + h, true
    end
    if accepted then
      r = gd.no_grad(r_of, x)
      F = 0.5 * dot(r, r)
      J = jac(x)
      g = J.T:matmul(r)
      A = J.T:matmul(J)
      if trace then path[#path + 1], values[#values + 1] = x, F end
    end
    if math.sqrt(dot(h, h)) <= xtol * (math.sqrt(dot(x, x)) + xtol) then
      success, message = true, ("converged: step ‖h‖ ≤ xtol·(‖x‖ + xtol), xtol = %.3g"):format(xtol); break
    end
  end
  local jshape = {}
  for _, s in ipairs(rshape) do jshape[#jshape + 1] = s end
  for _, s in ipairs(shape) do jshape[#jshape + 1] = s end
  local res = setmetatable({
    title = fname, method = method, x = x:reshape(shape), fun = r:reshape(rshape), cost = F,
    jac = J:reshape(jshape), grad = g:reshape(shape), nit = nit, nfev = P.nfev, ngev = njev,
    njev = njev, nhev = 0, success = success, message = message,
  }, minimize.Result)
  if trace then res.path, res.values = objective.rows(path, n), gd.tensor(values) end
  return res
end
doc(M.least_squares, "gd.optim.least_squares(residual_fn, x0[, {method = \"lm\" | \"gauss-newton\", tol = 1e-10, xtol = 1e-14, maxiter = 100·n, tau = 1e-3, trace = false}]): minimize ½‖r(x)‖² (Levenberg–Marquardt with Nielsen's damping, or Gauss–Newton with backtracking; J from gd.jacobian); the minimize result with fun = r(x), cost = ½‖r‖², jac, njev")

return M
