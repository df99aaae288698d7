-- gd.optim.minimize: unconstrained minimization of f(x), x a tensor of any
-- shape, by Newton (modified Cholesky, Nocedal & Wright 3.4), Newton-CG
-- (truncated CG on Hessian-vector products, N&W 7.1), BFGS (N&W 6.1), L-BFGS
-- (two-loop recursion, N&W 7.4), nonlinear CG (PR+ / FR, N&W 5.2) and the
-- first-order optimizers of gd.optim by name.
--
-- Every method is a `step(S)` on a state S = {P, x, fx, g, ...} (P the
-- objective of gd.objective, x and g flat tensors); the same steps drive the
-- stateful optimizers (gd.optim.LBFGS, BFGS, Newton) in optim_closure.lua.
-- This file refuses to know about tapes: gradients, Hessians and their
-- products come from the objective.
local gd = require "gd"
local check = require "gd.check"
local objective = require "gd.objective"
local ls = require "gd.line_search"
local doc = gd.doc

local M = {}

local dot = objective.dot
local finite = objective.finite

---------------------------------------------------------------------------
-- one step along d with the state's line search; updates S.x, S.fx, S.g and
-- returns s = x_new − x, y = g_new − g, or nil and a message

local searches = { wolfe = ls.search_wolfe, armijo = ls.search_armijo, exact = ls.search_exact }

local function take_step(S, d)
  local x, g = S.x, S.g
  local alpha, f1, g1, x1
  if S.line_search == "none" then
    alpha = S.lr
    x1 = x + alpha * d
    f1, g1 = S.P:fg(x1)
  else
    local msg
    alpha, msg, g1, _, x1 = searches[S.line_search](S.P, x, d, S.fx, g, S.ls)
    if alpha == nil then return nil, "line search failed: " .. msg end
    f1 = msg
  end
  S.x, S.fx, S.g = x1, f1, g1
  return alpha * d, g1 - g
end

---------------------------------------------------------------------------
-- the methods: init(S) once, step(S) per iteration (nil, or a failure message)

local methods = {}
M.methods = methods

-- Newton: solve (H + τI) p = −g with the smallest τ of the sequence
-- 0, τ0, 2τ0, ... that makes Cholesky succeed (N&W Algorithm 3.3, β = 1e-3).
local function modified_newton_direction(H, g, S)
  local n = g:numel()
  local beta = 1e-3
  local mindiag = math.huge
  for i = 1, n do mindiag = math.min(mindiag, H:at(i, i)) end
  local tau = mindiag > 0 and 0 or -mindiag + beta
  local I = gd.eye(n)
  for _ = 1, 100 do
    local A = tau == 0 and H or H + tau * I
    local ok, L = pcall(gd.cholesky, A)
    if ok then
      if tau > 0 then S.hessian_modified = S.hessian_modified + 1 end
      S.tau = tau
      return -gd.solve(A, g)
    end
    tau = math.max(2 * tau, beta)
  end
  return nil
end
M.modified_newton_direction = modified_newton_direction

methods.newton = {
  line_search = "wolfe", c2 = 0.9,
  step = function(S)
    local d = modified_newton_direction(S.P:hess(S.x), S.g, S)
    if d == nil then return "the Hessian could not be made positive definite" end
    local s, y = take_step(S, d)
    if s == nil then return y end
  end,
}

-- Newton-CG: CG on H p = −g with Hessian-vector products, stopped at the
-- residual ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖ or at negative curvature (N&W 7.1).
methods["newton-cg"] = {
  line_search = "wolfe", c2 = 0.9,
  step = function(S)
    local P, x, g = S.P, S.x, S.g
    local gn = math.sqrt(dot(g, g))
    local eps = math.min(0.5, math.sqrt(gn)) * gn
    local z, r, d = gd.zeros_like(g), g, -g
    local rr = dot(r, r)
    local p = -g
    for j = 1, 2 * g:numel() + 10 do
      local Bd = P:hvp(x, d)
      local curv = dot(d, Bd)
      if curv <= 0 then p = j == 1 and -g or z; break end
      local a = rr / curv
      z = z + a * d
      r = r + a * Bd
      local rr1 = dot(r, r)
      p = z
      if math.sqrt(rr1) < eps then break end
      d = -r + (rr1 / rr) * d
      rr = rr1
    end
    local s, y = take_step(S, p)
    if s == nil then return y end
  end,
}

-- BFGS on the inverse Hessian H (N&W 6.17), H0 = (sᵀy / yᵀy)·I before the
-- first update (6.20); an update whose curvature sᵀy is not positive is skipped.
methods.bfgs = {
  line_search = "wolfe", c2 = 0.9,
  step = function(S)
    local d = S.H and -gd.matmul(S.H, S.g) or -S.g
    local s, y = take_step(S, d)
    if s == nil then return y end
    local sy = dot(s, y)
    if not (sy > 1e-12 * math.sqrt(dot(s, s) * dot(y, y))) then return end
    if S.H == nil then S.H = gd.eye(S.g:numel()) * (sy / dot(y, y)) end
    local rho = 1 / sy
    local Hy = gd.matmul(S.H, y)
    local yHy = dot(y, Hy)
    S.H = S.H - rho * (gd.outer(Hy, s) + gd.outer(s, Hy)) + (rho * rho * yHy + rho) * gd.outer(s, s)
  end,
}

-- L-BFGS: the two-loop recursion over the last `history` pairs (s, y), with
-- H0 = (sᵀy / yᵀy)·I of the newest pair (N&W Algorithm 7.4).
local two_loop = gd._optim._lbfgs_direction        -- optim2.c: one pass per pair, no temporaries
local function lbfgs_direction(S)
  if #S.s == 0 then return -S.g end
  return two_loop(S.g, S.s, S.y, S.rho, S.gamma)
end

methods.lbfgs = {
  line_search = "wolfe", c2 = 0.9,
  init = function(S) S.s, S.y, S.rho = {}, {}, {} end,
  step = function(S)
    local s, y = take_step(S, lbfgs_direction(S))
    if s == nil then return y end
    local sy, yy = dot(s, y), dot(y, y)
    if not (sy > 1e-12 * math.sqrt(dot(s, s) * yy)) then return end
    if #S.s == S.history then
      table.remove(S.s, 1); table.remove(S.y, 1); table.remove(S.rho, 1)
    end
    S.s[#S.s + 1], S.y[#S.y + 1], S.rho[#S.rho + 1] = s, y, 1 / sy
    S.gamma = sy / yy
  end,
}

-- Nonlinear CG: d = −g + βd_prev with β = max(0, gᵀ(g − g_prev)/‖g_prev‖²)
-- (PR+) or ‖g‖²/‖g_prev‖² (FR); restart with −g every n steps and whenever d
-- is not a descent direction.
methods.cg = {
  line_search = "wolfe", c2 = 0.1,
  step = function(S)
    local g = S.g
    local d = -g
    if S.d ~= nil and S.since_restart < g:numel() then
      local gg_prev = dot(S.g_prev, S.g_prev)
      local beta = S.variant == "fr" and dot(g, g) / gg_prev
        or math.max(0, dot(g, g - S.g_prev) / gg_prev)
      local dd = -g + beta * S.d
      if dot(dd, g) < 0 then d = dd; S.since_restart = S.since_restart + 1
      else S.since_restart = 0 end
    else
      S.since_restart = 0
    end
    S.g_prev = g
    local s, y = take_step(S, d)
    if s == nil then return y end
    S.d = d
  end,
}

-- First-order methods: one update of a gd.optim optimizer per iteration
-- ("gd" with a line search is steepest descent).
local first_order = {
  gd = function(o) return gd.optim.SGD(o.lr) end,
  momentum = function(o) return gd.optim.SGD { lr = o.lr, momentum = o.momentum } end,
  nesterov = function(o) return gd.optim.SGD { lr = o.lr, momentum = o.momentum, nesterov = true } end,
  adagrad = function(o) return gd.optim.Adagrad(o.lr) end,
  rmsprop = function(o) return gd.optim.RMSprop(o.lr) end,
  adam = function(o) return gd.optim.Adam(o.lr) end,
  adamw = function(o) return gd.optim.AdamW(o.lr) end,
}
for name, make in pairs(first_order) do
  methods[name] = {
    line_search = "none", c2 = 0.9, first_order = true,
    init = function(S, o) S.opt = make(o) end,
    step = function(S)
      if S.line_search ~= "none" then
        local s, y = take_step(S, -S.g)
        if s == nil then return y end
        return
      end
      S.var = S.var or gd.Variable(S.x, { trainable = false })   -- one Variable: the optimizer state is keyed by it; not watched by tapes
      S.opt:apply_gradients({ S.g }, { S.var })
      S.x = gd.tensor(S.var)
      S.fx, S.g = S.P:fg(S.x)
    end,
  }
end

local method_names = {}
for k in pairs(methods) do method_names[#method_names + 1] = k end
table.sort(method_names)
M.method_names = method_names

---------------------------------------------------------------------------
-- options and state

local allowed = { "method", "tol", "maxiter", "line_search", "callback", "trace", "grad",
  "history", "variant", "lr", "momentum", "c1", "c2", "rho", "alpha0", "alpha_max", "compile" }

--- M.state(fname, P, x, o): the checked options o made into a method state at the flat point x.
function M.state(fname, P, x, o)
  local name = check.oneof(fname, "method", o.method or "bfgs", method_names)
  local m = methods[name]
  local S = { P = P, x = x, method = name, hessian_modified = 0, nit = 0 }
  S.line_search = check.oneof(fname, "line_search", o.line_search or m.line_search,
    { "wolfe", "armijo", "exact", "none" })
  if S.line_search ~= "none" and m.first_order and name ~= "gd" then
    check.fail(fname, "line_search must be \"none\" for method %q, got %q", name, S.line_search)
  end
  S.ls = ls.options(fname, o, m.c2)
  local lr_default = m.first_order and 0.01 or 1
  S.lr = o.lr == nil and lr_default or check.number(fname, "lr", o.lr, 0, nil, true)
  S.history = o.history == nil and 10 or check.integer(fname, "history", o.history, 1)
  S.variant = check.oneof(fname, "variant", o.variant or "pr+", { "pr+", "fr" })
  local mo = o.momentum == nil and 0.9 or check.number(fname, "momentum", o.momentum, 0, 1)
  if m.init then m.init(S, { lr = S.lr, momentum = mo }) end
  return S
end

---------------------------------------------------------------------------
-- the result

local Result = {}
Result.__name = "gd.optim.Result"
Result.__index = Result
M.Result = Result

function Result.__tostring(r)
  local lines = {
    ("%s (%s): %s"):format(r.title or "gd.optim.minimize", r.method, r.message),
    ("  success: %s"):format(tostring(r.success)),
    r.cost and ("  cost: %.10g"):format(r.cost) or ("  fun: %.10g"):format(r.fun),
    ("  x: %s"):format(tostring(r.x):gsub("\n", "\n     ")),
    ("  ‖grad‖∞: %.3g"):format(r.grad:abs():max():item()),
    ("  nit: %d  nfev: %d  ngev: %d  nhev: %d"):format(r.nit, r.nfev, r.ngev, r.nhev),
  }
  if r.hessian_modified and r.hessian_modified > 0 then
    lines[#lines + 1] = ("  Hessian made positive definite (τI added) in %d iterations"):format(r.hessian_modified)
  end
  if r.path then lines[#lines + 1] = ("  path: %d×%d"):format(r.path.shape[1], r.path.shape[2]) end
  return table.concat(lines, "\n")
end

---------------------------------------------------------------------------
-- the driver

--- M.run(S, maxiter, tol, callback, path, values): iterate S.method until ‖g‖∞ ≤ tol; returns success, message.
function M.run(S, maxiter, tol, callback, path, values)
  local m = methods[S.method]
  for _ = 1, maxiter + 1 do
    local gmax = S.g:abs():max():item()
    if not finite(S.fx) or not finite(gmax) then return false, "non-finite value" end
    if gmax <= tol then
      return true, ("converged: ‖g‖∞ = %.3g ≤ tol = %.3g"):format(gmax, tol)
    end
    if S.nit >= maxiter then return false, ("maxiter (%d) reached"):format(maxiter) end
    local err = m.step(S)
    if err then return false, err end
    S.nit = S.nit + 1
    if path then path[#path + 1], values[#values + 1] = S.x, S.fx end
    if callback and callback(S.nit, S.x:reshape(S.P.shape), S.fx, S.g:reshape(S.P.shape)) == true then
      return false, "stopped by the callback"
    end
  end
end

--- gd.optim.minimize(f, x0[, opts]): minimize a scalar function of one tensor.
function M.minimize(f, x0, opts)
  local fname = "gd.optim.minimize"
  local o = check.opts(fname, opts, allowed, 3)
  local x, shape = objective.point(fname, x0, 2)
  local P = objective.new(fname, f, shape, o.grad,
    check.boolean(fname, "compile", o.compile, false))
  local tol = o.tol == nil and 1e-6 or check.number(fname, "tol", o.tol, 0, nil, true)
  local S = M.state(fname, P, x, o)
  local maxiter = o.maxiter == nil and (methods[S.method].first_order and 10000 or 200 * P.n)
    or check.integer(fname, "maxiter", o.maxiter, 0)
  local trace = check.boolean(fname, "trace", o.trace, false)
  if o.callback ~= nil and not objective.is_callable(o.callback) then
    check.fail(fname, "callback: function expected, got %s", type(o.callback))
  end
  S.fx, S.g = P:fg(x)
  P:check_x0(S.fx, S.g)
  local path, values = nil, nil
  if trace then path, values = { x }, { S.fx } end
  local success, message = M.run(S, maxiter, tol, o.callback, path, values)
  local r = setmetatable({
    x = S.x:reshape(shape), fun = S.fx, grad = S.g:reshape(shape), nit = S.nit,
    nfev = P.nfev, ngev = P.ngev, nhev = P.nhev, success = success, message = message,
    method = S.method, hessian_modified = S.method == "newton" and S.hessian_modified or nil,
  }, Result)
  if trace then r.path, r.values = objective.rows(path, P.n), gd.tensor(values) end
  return r
end
doc(M.minimize, "gd.optim.minimize(f, x0[, {method = \"bfgs\", tol = 1e-6, maxiter, line_search, callback, trace = false, grad, history = 10, variant = \"pr+\", lr, momentum, c1, c2, compile = false}]): minimize f (one tensor → 0-d tensor) by newton, newton-cg, bfgs, lbfgs, cg or a first-order method (gd, momentum, nesterov, adagrad, rmsprop, adam, adamw); returns {x, fun, grad, nit, nfev, ngev, nhev, success, message, path, values}")

return M
