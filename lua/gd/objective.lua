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

--- M.new(fname, f, shape[, grad]): the objective f of tensors of this shape; grad(x) replaces the tape when given.
function M.new(fname, f, shape, grad)
  if not is_callable(f) then check.fail(fname, "argument 1: function expected, got %s", type(f)) end
  if grad ~= nil and not is_callable(grad) then
    check.fail(fname, "grad: function expected, got %s", type(grad))
  end
  local n = 1
  for _, s in ipairs(shape) do n = n * s end
  return setmetatable({ fname = fname, f = f, grad = grad, shape = shape, n = n,
    nfev = 0, ngev = 0, nhev = 0 }, Objective)
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
  else
    local tape <close> = gd.GradientTape()
    tape:watch(xs)
    y = self.f(xs)
    tape:stop()
    if is_tensor(y) then g = tape:gradient(y, xs, { unconnected = "zero" }) end
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

--- P:check_x0(fx, g): f(x0) and its gradient must be finite.
function Objective:check_x0(fx, g)
  if fx ~= fx or fx == math.huge or fx == -math.huge then
    check.fail(self.fname, "f(x0) is %s", check.show(fx))
  end
  local gi = g:abs():max():item()
  if gi ~= gi or gi == math.huge then check.fail(self.fname, "the gradient at x0 is not finite") end
end

return M
