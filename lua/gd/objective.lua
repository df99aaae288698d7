-- gd.objective (internal): a scalar function of one tensor as the second-order
-- optimizers see it.  minimize, the line searches and least_squares all
-- evaluate f through one of these, so the checks on f's result (a one-element
-- tensor, finite at x0, the same shape every time) and the evaluation counters
-- (nfev, ngev, nhev) live in one place.
--
-- Points are flat 1-D tensors of n = x0:numel() elements; f and a user's grad
-- see them reshaped to x0's shape (a view, no copy).
local gd = require "gd"
local check = require "gd.check"

local M = {}

local function shape_str(s)
  return "{" .. table.concat(s, ",") .. "}"
end
M.shape_str = shape_str

local function is_tensor(x)
  return type(x) == "userdata" and pcall(gd.numel, x)
end
M.is_tensor = is_tensor

local function is_callable(f)
  if type(f) == "function" then return true end
  local mt = getmetatable(f)
  return type(mt) == "table" and mt.__call ~= nil
end
M.is_callable = is_callable

--- M.dot(a, b): aᵀb of two flat tensors, as a number.
function M.dot(a, b) return gd.dot(a, b):item() end

--- M.finite(v): v is a number that is neither NaN nor ±inf.
function M.finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

--- M.point(fname, x0, argn): x0 (tensor, number or nested table) as a fresh flat tensor, and its shape.
function M.point(fname, x0, argn)
  if not (type(x0) == "number" or is_tensor(x0) or (type(x0) == "table" and getmetatable(x0) == nil)) then
    check.fail(fname, "argument %d: tensor expected, got %s", argn, type(x0))
  end
  local t = gd.tensor(x0)
  if t:numel() == 0 then check.fail(fname, "argument %d: empty tensor", argn) end
  return t:reshape(t:numel()):copy(), t.shape
end

local Objective = {}
Objective.__index = Objective

-- f and its gradient at xs recorded on a tape (the gradient nil when f gave no tensor).
local function taped_fg(f, xs)
  local tape <close> = gd.GradientTape()
  tape:watch(xs)
  local y = f(xs)
  tape:stop()
  if is_tensor(y) then return y, tape:gradient(y, xs, { unconnected = "zero" }) end
  return y
end

--- M.new(fname, f, shape[, grad[, compile]]): the objective f of tensors of this shape; grad(x) replaces the tape when given; compile: f and its gradient through gd.compile.
function M.new(fname, f, shape, grad, compile)
  if not is_callable(f) then check.fail(fname, "argument 1: function expected, got %s", type(f)) end
  if grad ~= nil and not is_callable(grad) then
    check.fail(fname, "grad: function expected, got %s", type(grad))
  end
  local n = 1
  for _, s in ipairs(shape) do n = n * s end
  local P = setmetatable({ fname = fname, f = f, grad = grad, shape = shape, n = n,
    nfev = 0, ngev = 0, nhev = 0 }, Objective)
  if compile and not grad then   -- traced at the first point, replayed in C at the others
    P.fg_step = gd.compile(function(xs) return taped_fg(f, xs) end, { fallback = true })
  end
  return P
end

-- The value of y = f(x) as a number, after checking it is a one-element tensor
-- of the same shape at every call.
function Objective:value(y)
  if not is_tensor(y) then
    check.fail(self.fname, "f must return a 0-d tensor, got %s", type(y))
  end
  local s = y.shape
  if y:numel() ~= 1 then
    check.fail(self.fname, "f must return a scalar (0-d tensor), got shape %s", shape_str(s))
  end
  local key = shape_str(s)
  if self.yshape == nil then
    self.yshape = key
  elseif self.yshape ~= key then
    check.fail(self.fname, "f changed the shape of its result: %s at x0, now %s", self.yshape, key)
  end
  return y:item()
end

--- P:f(x): f at the flat point x, a number.
function Objective:fval(x)
  self.nfev = self.nfev + 1
  return self:value(gd.no_grad(self.f, x:reshape(self.shape)))
end

--- P:fg(x): f and its gradient at the flat point x: a number and a flat tensor.
function Objective:fg(x)
  self.nfev, self.ngev = self.nfev + 1, self.ngev + 1
  local xs = x:reshape(self.shape)
  local y, g
  if self.grad then
    y = gd.no_grad(self.f, xs)
    g = self.grad(xs)
    if not is_tensor(g) then check.fail(self.fname, "grad must return a tensor, got %s", type(g)) end
  elseif self.fg_step then
    y, g = self.fg_step(xs)
  else
    y, g = taped_fg(self.f, xs)
  end
  local fx = self:value(y)
  if g:numel() ~= self.n then
    check.fail(self.fname, "the gradient has shape %s, x has %s", shape_str(g.shape), shape_str(self.shape))
  end
  return fx, g:reshape(self.n)
end

--- P:hess(x): the n×n Hessian at the flat point x (nested tapes).
function Objective:hess(x)
  self.nhev = self.nhev + 1
  local n, shape, f = self.n, self.shape, self.f
  return gd.hessian(function(z) return f(z:reshape(shape)) end, x):reshape(n, n)
end

--- P:hvp(x, v): the Hessian-vector product H(x)·v at the flat point x, a flat tensor.
function Objective:hvp(x, v)
  self.nhev = self.nhev + 1
  local shape, f = self.shape, self.f
  return gd.hvp(function(z) return f(z:reshape(shape)) end, x, v):reshape(self.n)
end

--- M.rows(list, n): the flat tensors of list as the rows of a #list×n tensor (gd.stack takes few).
function M.rows(list, n)
  local P = gd.zeros(#list, n)
  for i, row in ipairs(list) do P[i] = row end
  return P
end

--- P:check_x0(fx, g): f(x0) and its gradient must be finite.
function Objective:check_x0(fx, g)
  if fx ~= fx or fx == math.huge or fx == -math.huge then
    check.fail(self.fname, "f(x0) is %s", check.show(fx))
  end
  local gi = g:abs():max():item()
  if gi ~= gi or gi == math.huge then check.fail(self.fname, "the gradient at x0 is not finite") end
end

---------------------------------------------------------------------------
-- a loss closure over Variables, seen as a function of their flat concatenation
-- (the stateful optimizers of optim_closure.lua and max_stable_lr use it)

--- M.hvp_vars(loss_fn, list, vs): H·v for the Variables in list, vs a list of tensors of their shapes (nested tapes).
function M.hvp_vars(loss_fn, list, vs)
  local outer <close> = gd.GradientTape()
  outer:watch(list)
  local gs
  do
    local inner <close> = gd.GradientTape()
    inner:watch(list)
    gs = inner:gradient(loss_fn(), list, { unconnected = "zero" })
  end
  local s = (gs[1] * vs[1]):sum()
  for i = 2, #list do s = s + (gs[i] * vs[i]):sum() end
  outer:stop()
  return outer:gradient(s, list, { unconnected = "zero" })
end

local VarObjective = setmetatable({}, { __index = Objective })
VarObjective.__index = VarObjective

--- M.of_variables(fname, loss_fn, list): the objective x ↦ loss_fn() with the Variables of list set from x.
function M.of_variables(fname, loss_fn, list)
  local n = 0
  for _, v in ipairs(list) do n = n + v:numel() end
  return setmetatable({ fname = fname, f = loss_fn, list = list, shape = { n }, n = n,
    nfev = 0, ngev = 0, nhev = 0 }, VarObjective)
end

--- P:flat(): the Variables' current values as one flat tensor.
function VarObjective:flat()
  local parts = {}
  for i, v in ipairs(self.list) do parts[i] = gd.tensor(v):reshape(v:numel()) end
  return #parts == 1 and parts[1] or gd.cat(parts, 1)
end

--- P:assign(x): set the Variables from the flat tensor x.
function VarObjective:assign(x)
  local off = 0
  for _, v in ipairs(self.list) do
    local k = v:numel()
    v:assign(x:narrow(1, off + 1, k):reshape(v.shape))
    off = off + k
  end
end

local function flatten(ts)
  local parts = {}
  for i, t in ipairs(ts) do parts[i] = t:reshape(t:numel()) end
  return #parts == 1 and parts[1] or gd.cat(parts, 1)
end

-- The flat tensor x split into tensors of the Variables' shapes.
function VarObjective:split(x)
  local out, off = {}, 0
  for i, v in ipairs(self.list) do
    local k = v:numel()
    out[i] = x:narrow(1, off + 1, k):reshape(v.shape)
    off = off + k
  end
  return out
end

function VarObjective:fval(x)
  self.nfev = self.nfev + 1
  self:assign(x)
  return self:value(gd.no_grad(self.f))
end

function VarObjective:fg(x)
  self.nfev, self.ngev = self.nfev + 1, self.ngev + 1
  self:assign(x)
  local tape <close> = gd.GradientTape()
  tape:watch(self.list)
  local y = self.f()
  tape:stop()
  local fx = self:value(y)
  return fx, flatten(tape:gradient(y, self.list, { unconnected = "zero" }))
end

function VarObjective:hvp(x, v)
  self.nhev = self.nhev + 1
  self:assign(x)
  return flatten(M.hvp_vars(self.f, self.list, self:split(v)))
end

function VarObjective:hess(x)
  local rows = {}
  for i = 1, self.n do
    local e = gd.zeros(self.n)
    e[i] = 1
    rows[i] = self:hvp(x, e)
  end
  self.nhev = self.nhev - self.n + 1
  return gd.stack(rows)
end

return M
