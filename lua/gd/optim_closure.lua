-- gd.optim.LBFGS, BFGS, Newton: stateful second-order optimizers driven by a
-- loss closure over Variables, as torch.optim.LBFGS: `opt:minimize(loss_fn,
-- vars)` runs up to max_iter iterations of the method on loss_fn, with the
-- Variables seen as one flat vector.  The iterations are minimize.lua's method
-- steps (one definition of each method); the state (L-BFGS pairs, the BFGS
-- matrix) persists between calls, so repeated calls continue, as torch's do.
-- Installed into gd.optim by optim.lua, which lends its variable-list check.
local gd = require "gd"
local check = require "gd.check"
local objective = require "gd.objective"
local minimize = require "gd.minimize"
local doc = gd.doc

return function(optim, varlist)
  local Closure = {}
  Closure.__index = Closure
  Closure.__name = "gd.optim.ClosureOptimizer"

  function Closure.__tostring(o)
    return ("gd.optim.%s{lr = %g, max_iter = %d, line_search = %q%s}"):format(o.kind, o.lr, o.max_iter,
      o.line_search, o.method == "lbfgs" and (", history = %d"):format(o.history) or "")
  end

  local allowed = { "lr", "history", "line_search", "max_iter", "tol", "c1", "c2" }

  local function constructor(kind, method)
    local fname = "gd.optim." .. kind
    return function(opts)
      if type(opts) == "number" then opts = { lr = opts } end
      local o = check.opts(fname, opts, allowed, 1)
      if method ~= "lbfgs" and o.history ~= nil then
        check.fail(fname, "unknown option 'history' (only LBFGS keeps a history)")
      end
      local self = setmetatable({
        kind = kind, method = method, full_batch = true,
        lr = o.lr == nil and 1 or check.number(fname, "lr", o.lr, 0, nil, true),
        history = o.history == nil and 10 or check.integer(fname, "history", o.history, 1),
        line_search = check.oneof(fname, "line_search", o.line_search or "wolfe", { "wolfe", "armijo", "none" }),
        max_iter = o.max_iter == nil and 20 or check.integer(fname, "max_iter", o.max_iter, 1),
        tol = o.tol == nil and 1e-7 or check.number(fname, "tol", o.tol, 0, nil, true),
        iterations = 0, nfev = 0, message = nil,
      }, Closure)
      -- the method state, built now so that every option is checked at construction
      -- lr is the step of line_search = "none" and the first trial step of the searches (torch's lr)
      self.opts = { method = method, line_search = self.line_search, lr = self.lr, history = self.history,
        c1 = o.c1, c2 = o.c2, alpha0 = self.lr }
      minimize.state(fname, objective.of_variables(fname, function() end, {}), gd.zeros(1), self.opts)
      return self
    end
  end

  --- opt:minimize(loss_fn, vars): up to max_iter iterations on loss_fn() over vars; returns the loss before them.
  function Closure:minimize(loss_fn, vars)
    local fname = "gd.optim." .. self.kind .. ":minimize"
    if getmetatable(self) ~= Closure then check.fail(fname, "call it as opt:minimize(loss_fn, vars)") end
    if not objective.is_callable(loss_fn) then
      check.fail(fname, "argument 1: function expected, got %s", type(loss_fn))
    end
    local list = varlist(vars, fname, 2)
    local P = objective.of_variables(fname, loss_fn, list)
    local x = P:flat()
    local S = self.state
    local same = S ~= nil and #S.list == #list
    for i = 1, same and #list or 0 do same = same and rawequal(S.list[i], list[i]) end
    if not same then
      S = minimize.state(fname, P, x, self.opts)       -- new variables: a fresh history
      S.list = { table.unpack(list) }
      self.state = S
    end
    S.P, S.x, S.nit = P, x, 0
    S.fx, S.g = P:fg(x)
    P:check_x0(S.fx, S.g)
    local f0 = S.fx
    local _, message = minimize.run(S, self.max_iter, self.tol)
    P:assign(S.x)
    self.iterations = self.iterations + S.nit
    self.nfev = self.nfev + P.nfev
    self.message, self.loss = message, S.fx
    return gd.tensor(f0)
  end
  doc(Closure.minimize, "opt:minimize(loss_fn, vars): up to max_iter iterations of the method on loss_fn() over vars (a Variable or a list, seen as one vector); the history persists between calls; returns the loss before the iterations (opt.loss is the loss after, opt.message why it stopped)")

  --- opt:reset(): forget the history (L-BFGS pairs, BFGS matrix) and the counters.
  function Closure:reset()
    self.state, self.iterations, self.nfev, self.message = nil, 0, 0, nil
  end
  doc(Closure.reset, "opt:reset(): forget the history (L-BFGS pairs, the BFGS matrix) and the counters")

  optim.LBFGS = constructor("LBFGS", "lbfgs")
  doc(optim.LBFGS, "gd.optim.LBFGS{lr = 1, history = 10, line_search = \"wolfe\" | \"armijo\" | \"none\", max_iter = 20, tol = 1e-7, c1, c2}: L-BFGS driven by opt:minimize(loss_fn, vars), as torch.optim.LBFGS; also net:compile{optimizer = ...} for full-batch fits")
  optim.BFGS = constructor("BFGS", "bfgs")
  doc(optim.BFGS, "gd.optim.BFGS{lr = 1, line_search = \"wolfe\", max_iter = 20, tol = 1e-7, c1, c2}: BFGS on the inverse Hessian driven by opt:minimize(loss_fn, vars)")
  optim.Newton = constructor("Newton", "newton")
  doc(optim.Newton, "gd.optim.Newton{lr = 1, line_search = \"wolfe\", max_iter = 20, tol = 1e-7, c1, c2}: Newton's method (Hessian from Hessian-vector products, τI added when not positive definite) driven by opt:minimize(loss_fn, vars)")
  optim._closure_mt = Closure
end
