-- gd.optim.line_search: step lengths along a descent direction d from x.
--   armijo: backtracking until sufficient decrease, f(x+αd) ≤ f(x) + c1·α·∇fᵀd
--   wolfe:  the strong Wolfe conditions, sufficient decrease and
--           |∇f(x+αd)ᵀd| ≤ c2·|∇f(x)ᵀd|, by bracketing and zoom with cubic
--           interpolation (Nocedal & Wright, Algorithms 3.5 and 3.6)
--   exact:  α = −∇fᵀd / dᵀHd, the exact minimizer along d of a quadratic f
-- Each returns alpha, f_new, g_new, nfev, or nil and a message (never loops:
-- the number of trials is bounded).  The `search_*` functions are the engine
-- minimize uses on an objective (gd.objective); they also return the point
-- x + αd itself, so the caller steps to the very point whose gradient it has.
-- The public ones wrap them.
local gd = require "gd"
local check = require "gd.check"
local objective = require "gd.objective"
local doc = gd.doc

local M = {}

local MAX_TRIALS = 60

local finite = objective.finite

local dot = objective.dot

local function descent(fname, dphi0)
  if not (dphi0 < 0) then
    return ("%s: d is not a descent direction (∇fᵀd = %s ≥ 0)"):format(fname, check.show(dphi0))
  end
end

--- M.search_armijo(P, x, d, f0, g0, o): backtracking on objective P; o = {c1, rho, alpha0}; alpha, f_new, g_new, nfev, x_new.
function M.search_armijo(P, x, d, f0, g0, o)
  local dphi0 = dot(g0, d)
  local bad = descent("armijo", dphi0)
  if bad then return nil, bad, 0 end
  local alpha, nfev = o.alpha0, 0
  for _ = 1, MAX_TRIALS do
    local x1 = x + alpha * d
    local f1, g1 = P:fg(x1)
    nfev = nfev + 1
    if finite(f1) and f1 <= f0 + o.c1 * alpha * dphi0 then return alpha, f1, g1, nfev, x1 end
    alpha = alpha * o.rho
  end
  return nil, ("armijo: no sufficient decrease after %d trials (alpha = %s)"):format(
    MAX_TRIALS, check.show(alpha)), nfev
end

-- The minimizer of the cubic through (a, fa, da) and (b, fb, db) (N&W 3.59),
-- kept inside the middle 80% of [a, b]; bisection when it is not defined.
local function cubic_step(a, fa, da, b, fb, db)
  local lo, hi = math.min(a, b), math.max(a, b)
  local mid = 0.5 * (a + b)
  if not (finite(fa) and finite(fb) and finite(da) and finite(db)) then return mid end
  local d1 = da + db - 3 * (fa - fb) / (a - b)
  local disc = d1 * d1 - da * db
  if not (disc >= 0) then return mid end
  local d2 = (b > a and 1 or -1) * math.sqrt(disc)
  local den = db - da + 2 * d2
  if den == 0 then return mid end
  local t = b - (b - a) * (db + d2 - d1) / den
  local margin = 0.1 * (hi - lo)
  if not finite(t) or t < lo + margin or t > hi - margin then return mid end
  return t
end

--- M.search_wolfe(P, x, d, f0, g0, o): strong Wolfe on objective P; o = {c1, c2, alpha0, alpha_max}; alpha, f_new, g_new, nfev, x_new.
function M.search_wolfe(P, x, d, f0, g0, o)
  local dphi0 = dot(g0, d)
  local bad = descent("wolfe", dphi0)
  if bad then return nil, bad, 0 end
  local c1, c2, nfev = o.c1, o.c2, 0
  local xa                                   -- the point of the last trial
  local function phi(a)
    xa = x + a * d
    local f1, g1 = P:fg(xa)
    nfev = nfev + 1
    local d1 = finite(f1) and dot(g1, d) or 0 / 0
    return f1, g1, d1
  end
  -- Sufficient decrease; where f(x+αd) − f(x) is lost in rounding (within
  -- 1e-14·|f|), Hager and Zhang's approximate form φ'(α) ≤ (2c1 − 1)φ'(0)
  -- decides instead, so that searches near a minimizer with f ≠ 0 succeed.
  local noise = 1e-14 * math.abs(f0)
  local function armijo_fails(a, fa, da)
    if not finite(fa) then return true end
    if fa <= f0 + c1 * a * dphi0 then return false end
    return not (fa - f0 <= noise and da <= (2 * c1 - 1) * dphi0)
  end

  -- zoom (N&W 3.6): lo satisfies sufficient decrease and has the lower value;
  -- the minimizer sought lies between lo and hi
  local function zoom(lo, flo, dlo, hi, fhi, dhi)
    for _ = 1, MAX_TRIALS do
      if math.abs(hi - lo) <= 1e-16 * math.max(1, math.abs(lo)) then break end
      local a = cubic_step(lo, flo, dlo, hi, fhi, dhi)
      local fa, ga, da = phi(a)
      if armijo_fails(a, fa, da) or (fa >= flo and fa - flo > noise) then
        hi, fhi, dhi = a, fa, da
      else
        if math.abs(da) <= -c2 * dphi0 then return a, fa, ga, xa end
        if da * (hi - lo) >= 0 then hi, fhi, dhi = lo, flo, dlo end
        lo, flo, dlo = a, fa, da
      end
    end
    return nil, ("wolfe: zoom found no step in [%s, %s]"):format(check.show(math.min(lo, hi)),
      check.show(math.max(lo, hi)))
  end

  local a_prev, f_prev, d_prev = 0, f0, dphi0
  local a = o.alpha0
  for i = 1, MAX_TRIALS do
    local fa, ga, da = phi(a)
    local r1, r2, r3, r4
    if armijo_fails(a, fa, da) or (i > 1 and fa >= f_prev and fa - f_prev > noise) then
      r1, r2, r3, r4 = zoom(a_prev, f_prev, d_prev, a, fa, da)
    elseif math.abs(da) <= -c2 * dphi0 then
      return a, fa, ga, nfev, xa
    elseif da >= 0 then
      r1, r2, r3, r4 = zoom(a, fa, da, a_prev, f_prev, d_prev)
    else
      if a >= o.alpha_max then
        return nil, ("wolfe: reached alpha_max = %s with f still decreasing"):format(check.show(o.alpha_max)), nfev
      end
      a_prev, f_prev, d_prev = a, fa, da
      a = math.min(2 * a, o.alpha_max)
    end
    if r1 ~= nil then return r1, r2, r3, nfev, r4 end
    if r2 ~= nil then return nil, r2, nfev end
  end
  return nil, ("wolfe: no step after %d trials"):format(MAX_TRIALS), nfev
end

--- M.search_exact(P, x, d, f0, g0): α = −gᵀd / dᵀHd (one Hessian-vector product), exact for a quadratic f; alpha, f_new, g_new, 1, x_new.
function M.search_exact(P, x, d, f0, g0)
  local dphi0 = dot(g0, d)
  local bad = descent("exact", dphi0)
  if bad then return nil, bad, 0 end
  local curv = dot(d, P:hvp(x, d))
  if not (curv > 0) then
    return nil, ("exact: no minimizer along d (dᵀHd = %s ≤ 0)"):format(check.show(curv)), 0
  end
  local alpha = -dphi0 / curv
  local x1 = x + alpha * d
  local f1, g1 = P:fg(x1)
  return alpha, f1, g1, 1, x1
end

--- M.options(fname, o, c2_default): the checked line-search parameters of an options table.
function M.options(fname, o, c2_default)
  local c1 = o.c1 == nil and 1e-4 or check.number(fname, "c1", o.c1, 0, 1, true)
  local c2 = o.c2 == nil and c2_default or check.number(fname, "c2", o.c2, 0, 1, true)
  if not (c1 < c2) then
    check.fail(fname, "c1 (%s) must be less than c2 (%s)", check.show(c1), check.show(c2))
  end
  return {
    c1 = c1, c2 = c2,
    rho = o.rho == nil and 0.5 or check.number(fname, "rho", o.rho, 0, 1, true),
    alpha0 = o.alpha0 == nil and 1 or check.number(fname, "alpha0", o.alpha0, 0, nil, true),
    alpha_max = o.alpha_max == nil and 1e10 or check.number(fname, "alpha_max", o.alpha_max, 0, nil, true),
  }
end

-- The public form: f a function of tensors of x's shape, d of the same shape.
local function public(fname, search, allowed, c2_default)
  return function(f, x, d, opts)
    local xf, shape = objective.point(fname, x, 2)
    local df = objective.point(fname, d, 3)
    if df:numel() ~= xf:numel() then
      check.fail(fname, "argument 3: d has %d elements, x has %d", df:numel(), xf:numel())
    end
    local o = M.options(fname, check.opts(fname, opts, allowed, 4), c2_default)
    local P = objective.new(fname, f, shape)
    local f0, g0 = P:fg(xf)
    P:check_x0(f0, g0)
    local alpha, f1, g1, nfev = search(P, xf, df, f0, g0, o)
    if alpha == nil then return nil, f1 end
    return alpha, f1, g1:reshape(shape), nfev
  end
end

M.armijo = public("gd.optim.line_search.armijo", M.search_armijo, { "c1", "rho", "alpha0" }, 1)
doc(M.armijo, "gd.optim.line_search.armijo(f, x, d[, {c1 = 1e-4, rho = 0.5, alpha0 = 1}]): backtracking α ← ρα until f(x+αd) ≤ f(x) + c1·α·∇fᵀd; returns alpha, f_new, g_new, nfev, or nil, message (d not a descent direction, no decrease)")

M.wolfe = public("gd.optim.line_search.wolfe", M.search_wolfe, { "c1", "c2", "alpha0", "alpha_max" }, 0.9)
doc(M.wolfe, "gd.optim.line_search.wolfe(f, x, d[, {c1 = 1e-4, c2 = 0.9, alpha0 = 1, alpha_max = 1e10}]): a step satisfying the strong Wolfe conditions (bracketing and zoom, Nocedal & Wright 3.5–3.6); returns alpha, f_new, g_new, nfev, or nil, message")

return M
