-- gd.optim: optimizers (C userdata from loptim.c: SGD, Adagrad, RMSprop, Adam,
-- AdamW), opt:minimize, optimization paths for contour plots, learning-rate
-- schedules, the learning-rate range test and the largest stable rate 2/λmax
-- from Hessian-vector products.  Loaded on first use of gd.optim.
local gd = require "gd"
local core = gd._optim
local doc = gd.doc
local check = require "gd.check"

local M = {}
for _, k in ipairs { "SGD", "Adagrad", "RMSprop", "Adam", "AdamW" } do M[k] = core[k] end

local methods, optimizer_mt = core._methods, core._metatable

local function is_variable(x)
  local mt = getmetatable(x)
  return type(x) == "userdata" and type(mt) == "table" and mt.__name == "gd.Variable"
end

-- A Variable or a list of them → a list; errors name fname and the argument.
local function varlist(vars, fname, argn)
  if is_variable(vars) then return { vars } end
  if type(vars) ~= "table" or getmetatable(vars) ~= nil then
    check.fail(fname, "argument %d: gd.Variable or list of variables expected, got %s", argn, type(vars))
  end
  if #vars == 0 then check.fail(fname, "argument %d: no variables given", argn) end
  for i, v in ipairs(vars) do
    if not is_variable(v) then
      check.fail(fname, "argument %d: element %d is not a gd.Variable (%s)", argn, i, type(v))
    end
  end
  return vars
end

local function is_callable(f)
  if type(f) == "function" then return true end
  local mt = getmetatable(f)
  return type(mt) == "table" and mt.__call ~= nil
end

local function check_optimizer(opt, fname, argn)
  if getmetatable(opt) ~= optimizer_mt then
    check.fail(fname, "argument %d: gd.Optimizer expected, got %s", argn, type(opt))
  end
end

local function check_fn(f, fname, argn)
  if not is_callable(f) then
    check.fail(fname, "argument %d: function expected, got %s", argn, type(f))
  end
end

local function value_of(loss, fname)
  if type(loss) == "number" then return loss end
  if type(loss) ~= "userdata" then
    check.fail(fname, "the loss function must return a tensor, got %s", type(loss))
  end
  return loss:sum():item()
end

---------------------------------------------------------------------------
-- minimize

--- One eager minimize step: record loss_fn() on a tape, apply its gradients, return the loss.
local function minimize_step(opt, loss_fn, list, fname)
  local tape <close> = gd.GradientTape()
  tape:watch(list)
  local loss = loss_fn()
  tape:stop()
  if type(loss) ~= "userdata" then
    check.fail(fname, "loss_fn must return a tensor, got %s", type(loss))
  end
  opt:apply_gradients(tape:gradient(loss, list), list)
  return loss
end

-- Compiled minimize steps by optimizer, then loss function (weak keys: a
-- step lives as long as both), each remembering the Variables it was made for.
local compiled_steps = setmetatable({}, { __mode = "k" })

--- The gd.compile'd minimize step of (opt, loss_fn, list), made on first use.
local function compiled_step(opt, loss_fn, list, fname)
  local by_fn = compiled_steps[opt]
  if by_fn == nil then
    by_fn = setmetatable({}, { __mode = "k" })
    compiled_steps[opt] = by_fn
  end
  local e = by_fn[loss_fn]
  local same = e ~= nil and #e.list == #list
  for i = 1, same and #list or 0 do same = same and rawequal(e.list[i], list[i]) end
  if not same then
    local vars = { table.unpack(list) }
    e = { list = vars, step = gd.compile(function() return minimize_step(opt, loss_fn, vars, fname) end) }
    by_fn[loss_fn] = e
  end
  return e.step
end

--- opt:minimize(loss_fn, vars[, {compile = false}]): record loss_fn() on a tape, apply its gradients, return the loss.
function methods.minimize(opt, loss_fn, vars, opts)
  local fname = "gd.Optimizer:minimize"
  check_optimizer(opt, fname, 0)
  check_fn(loss_fn, fname, 1)
  local list = varlist(vars, fname, 2)
  opts = check.opts(fname, opts, { "compile" }, 3)
  if check.boolean(fname, "compile", opts.compile, false) then
    return compiled_step(opt, loss_fn, list, fname)()
  end
  return minimize_step(opt, loss_fn, list, fname)
end
doc(methods.minimize, "opt:minimize(loss_fn, vars[, {compile = false}]): records loss_fn() on a GradientTape, applies the gradients to vars (a Variable or a list), returns the loss; compile = true runs the step through gd.compile (traced once, replayed in C)")

---------------------------------------------------------------------------
-- trace

--- gd.optim.trace(f, x0, opt, steps[, {compile = false}]): the optimizer's path on f from x0, a (steps+1)×n tensor.
function M.trace(f, x0, opt, steps, opts)
  local fname = "gd.optim.trace"
  opts = check.opts(fname, opts, { "compile" }, 5)
  local compile = check.boolean(fname, "compile", opts.compile, false)
  check_fn(f, fname, 1)
  check_optimizer(opt, fname, 3)
  if math.type(steps) ~= "integer" or steps < 0 then
    check.fail(fname, "argument 4: steps must be an integer >= 0, got %s", tostring(steps))
  end
  local x = gd.Variable(gd.tensor(x0))
  local n = x:numel()
  local path, values = gd.zeros(steps + 1, n), gd.zeros(steps + 1)
  local loss_fn = function() return f(x) end
  path[1] = x:reshape(n)
  for i = 1, steps do
    values[i] = value_of(opt:minimize(loss_fn, x, compile and { compile = true } or nil), fname)
    path[i + 1] = x:reshape(n)
  end
  values[steps + 1] = value_of(gd.no_grad(f, x), fname)
  return path, values
end
doc(M.trace, "gd.optim.trace(f, x0, opt, steps[, {compile = false}]): runs opt on f from x0; returns the path as a (steps+1)×n tensor and f along it (steps+1); compile = true replays each step through gd.compile")

---------------------------------------------------------------------------
-- schedules: callables of the step number (0 for the first step)

local Schedule = {}
Schedule.__index = Schedule
Schedule.__call = function(s, step) return s.fn(step) end
Schedule.__tostring = function(s) return s.desc end
Schedule.__name = "gd.optim.schedule"

local function positive(fname, what, x)
  if type(x) ~= "number" or not (x > 0) or x == math.huge then
    check.fail(fname, "%s must be a positive number, got %s", what, tostring(x))
  end
end

local schedules = {}
M.schedules = schedules

--- schedules.exponential(lr0, rate, steps[, staircase]): lr0·rate^(step/steps).
function schedules.exponential(lr0, rate, steps, staircase)
  local fname = "gd.optim.schedules.exponential"
  positive(fname, "lr0", lr0); positive(fname, "rate", rate); positive(fname, "steps", steps)
  local fn = staircase and function(t) return lr0 * rate ^ (t // steps) end
    or function(t) return lr0 * rate ^ (t / steps) end
  return setmetatable({ lr0 = lr0, rate = rate, steps = steps, fn = fn,
    desc = ("exponential(%g, %g, %g%s)"):format(lr0, rate, steps, staircase and ", staircase" or "") }, Schedule)
end
doc(schedules.exponential, "gd.optim.schedules.exponential(lr0, rate, steps[, staircase]): lr at step t = lr0·rate^(t/steps) (⌊t/steps⌋ with staircase)")

--- schedules.step(lr0, factor, every): lr0·factor^⌊step/every⌋.
function schedules.step(lr0, factor, every)
  local fname = "gd.optim.schedules.step"
  positive(fname, "lr0", lr0); positive(fname, "factor", factor); positive(fname, "every", every)
  return setmetatable({ lr0 = lr0, factor = factor, every = every,
    fn = function(t) return lr0 * factor ^ (t // every) end,
    desc = ("step(%g, %g, %g)"):format(lr0, factor, every) }, Schedule)
end
doc(schedules.step, "gd.optim.schedules.step(lr0, factor, every): lr at step t = lr0·factor^⌊t/every⌋")

--- schedules.cosine(lr0, steps[, lr_min = 0]): cosine decay from lr0 to lr_min over steps.
function schedules.cosine(lr0, steps, lr_min)
  local fname = "gd.optim.schedules.cosine"
  positive(fname, "lr0", lr0); positive(fname, "steps", steps)
  lr_min = lr_min or 0
  if type(lr_min) ~= "number" or not (lr_min >= 0 and lr_min <= lr0) then
    check.fail(fname, "lr_min must be in [0, lr0], got %s", tostring(lr_min))
  end
  return setmetatable({ lr0 = lr0, steps = steps, lr_min = lr_min,
    fn = function(t)
      local s = math.min(t, steps) / steps
      return lr_min + (lr0 - lr_min) * 0.5 * (1 + math.cos(math.pi * s))
    end,
    desc = ("cosine(%g, %g, %g)"):format(lr0, steps, lr_min) }, Schedule)
end
doc(schedules.cosine, "gd.optim.schedules.cosine(lr0, steps[, lr_min = 0]): lr at step t = lr_min + (lr0 − lr_min)·(1 + cos(π·min(t, steps)/steps))/2")

---------------------------------------------------------------------------
-- the learning-rate range test

-- d(log loss)/d(log lr) by central differences (one-sided at the ends), as
-- np.gradient: the steepest relative descent, whatever the loss's scale (the
-- raw loss when some loss is <= 0).
local function slopes(lrs, losses, k)
  local s, positive_losses = {}, true
  for i = 1, k do positive_losses = positive_losses and losses[i] > 0 end
  if positive_losses then
    local logs = {}
    for i = 1, k do logs[i] = math.log(losses[i]) end
    losses = logs
  end
  for i = 1, k do
    local a, b = math.max(i - 1, 1), math.min(i + 1, k)
    s[i] = a == b and 0 or (losses[b] - losses[a]) / (math.log(lrs[b]) - math.log(lrs[a]))
  end
  return s
end

--- gd.optim.lr_find(loss_fn, vars[, opts]): the learning-rate range test.
function M.lr_find(loss_fn, vars, opts)
  local fname = "gd.optim.lr_find"
  check_fn(loss_fn, fname, 1)
  local list = varlist(vars, fname, 2)
  if opts ~= nil and type(opts) ~= "table" then
    check.fail(fname, "argument 3: options table expected, got %s", type(opts))
  end
  opts = opts or {}
  local lo, hi, steps = opts.min or 1e-7, opts.max or 10, opts.steps or 100
  local diverge = opts.diverge or 4
  positive(fname, "min", lo); positive(fname, "max", hi)
  if not (hi > lo) then check.fail(fname, "max (%g) must exceed min (%g)", hi, lo) end
  if math.type(steps) ~= "integer" or steps < 2 then
    check.fail(fname, "steps must be an integer >= 2, got %s", tostring(steps))
  end
  local make = opts.optimizer or M.SGD
  check_fn(make, fname, 3)
  local saved = {}
  for i, v in ipairs(list) do saved[i] = gd.tensor(v) end
  local opt = make(lo)
  local ratio = (hi / lo) ^ (1 / (steps - 1))
  local lrs, losses = {}, {}
  local best, stop = math.huge, nil
  local ok, err = pcall(function()
    for i = 1, steps do
      local lr = lo * ratio ^ (i - 1)
      opt.lr = lr
      opt:minimize(loss_fn, list)
      local loss = value_of(gd.no_grad(loss_fn), fname)
      lrs[i], losses[i] = lr, loss
      if loss ~= loss or loss > diverge * best then stop = i; break end
      best = math.min(best, loss)
    end
  end)
  for i, v in ipairs(list) do v:assign(saved[i]) end    -- restore, even after an error
  if not ok then error(err, 0) end
  local k = stop and stop - 1 or #lrs                   -- the points before divergence
  local s = slopes(lrs, losses, k)
  local steepest = 1
  for i = 2, k do if s[i] < s[steepest] then steepest = i end end
  return {
    lrs = gd.tensor(lrs), losses = gd.tensor(losses),
    suggestion = k >= 1 and lrs[steepest] or nil,
    diverged_at = stop and lrs[stop] or nil,
  }
end
doc(M.lr_find, "gd.optim.lr_find(loss_fn, vars[, {min = 1e-7, max = 10, steps = 100, diverge = 4, optimizer = gd.optim.SGD}]): range test: one step per lr of an exponential sweep, loss after each; returns {lrs, losses, suggestion (steepest descent of log loss before divergence), diverged_at}; restores vars")

---------------------------------------------------------------------------
-- the largest stable rate 2/λmax

local hvp = require("gd.objective").hvp_vars   -- H·v for a list of variables (nested tapes)

local function norm2(vs)
  local s = 0
  for _, v in ipairs(vs) do s = s + (v * v):sum():item() end
  return math.sqrt(s)
end

--- gd.optim.max_stable_lr(loss_fn, vars[, opts]): 2/λmax of the Hessian by power iteration.
function M.max_stable_lr(loss_fn, vars, opts)
  local fname = "gd.optim.max_stable_lr"
  check_fn(loss_fn, fname, 1)
  local list = varlist(vars, fname, 2)
  opts = opts or {}
  local iters, tol = opts.iters or 1000, opts.tol or 1e-13
  -- a fixed start (not gd's generator, whose state is the user's)
  local vs, k = {}, 0
  for i, v in ipairs(list) do
    local n = v:numel()
    vs[i] = gd.sin(gd.arange(k + 1, k + n + 1) * 2.399963229728653 + 0.5):reshape(v.shape)
    k = k + n
  end
  local lambda, prev = 0, nil
  for it = 1, iters do
    local nv = norm2(vs)
    if nv == 0 then break end
    for i = 1, #vs do vs[i] = vs[i] / nv end
    local hv = hvp(loss_fn, list, vs)
    lambda = 0                                  -- Rayleigh quotient vᵀHv, ‖v‖ = 1
    for i = 1, #vs do lambda = lambda + (vs[i] * hv[i]):sum():item() end
    vs = hv
    if prev and math.abs(lambda - prev) <= tol * math.abs(lambda) then break end
    prev = lambda
    if it == iters and opts.strict then
      check.fail(fname, "power iteration did not converge in %d steps", iters)
    end
  end
  return lambda > 0 and 2 / lambda or math.huge, lambda
end
doc(M.max_stable_lr, "gd.optim.max_stable_lr(loss_fn, vars[, {iters = 1000, tol = 1e-13}]): 2/λmax of the Hessian at vars (power iteration on Hessian-vector products) and λmax; gradient descent diverges above it on a quadratic")

---------------------------------------------------------------------------
-- beyond first order: minimize.lua, line_search.lua, least_squares.lua, optim_closure.lua (issue 11)

M.minimize = require("gd.minimize").minimize
M.least_squares = require("gd.least_squares").least_squares
require("gd.optim_closure")(M, varlist)   -- LBFGS, BFGS, Newton
do
  local ls = require "gd.line_search"
  M.line_search = { armijo = ls.armijo, wolfe = ls.wolfe }
end

return M
