-- gd.nn.regularizers: Keras's weight penalties. A regularizer is a callable
-- object r(w) → 0-d tensor (recorded on tapes) that Dense adds to the
-- training loss for its kernel (kernel_regularizer) or bias
-- (bias_regularizer), as Keras adds model.losses: the loss that fit reports
-- and evaluate returns includes the penalties.
local gd = require "gd"
local check = require "gd.check"

local M = {}

local RegMT = { __name = "gd.nn.regularizer" }
RegMT.__index = RegMT

-- r(w) = l1·Σ|w| + l2·Σw²
function RegMT.__call(self, w)
  local p
  if self.l1 ~= 0 then p = self.l1 * gd.abs(w):sum() end
  if self.l2 ~= 0 then
    local q = self.l2 * gd.square(w):sum()
    p = p and p + q or q
  end
  return p or gd.zeros_like(w):sum()
end

function RegMT.__tostring(self) return ("regularizer(l1 = %g, l2 = %g)"):format(self.l1, self.l2) end

local function new(fname, l1, l2)
  return setmetatable({ l1 = check.number(fname, "l1", l1, 0), l2 = check.number(fname, "l2", l2, 0) }, RegMT)
end

--- gd.nn.regularizers.l1(λ = 0.01): the penalty λ·Σ|w|
function M.l1(l) return new("gd.nn.regularizers.l1", l == nil and 0.01 or l, 0) end

--- gd.nn.regularizers.l2(λ = 0.01): the penalty λ·Σw² (Keras: no ½)
function M.l2(l) return new("gd.nn.regularizers.l2", 0, l == nil and 0.01 or l) end

--- gd.nn.regularizers.l1_l2{l1 = 0.01, l2 = 0.01}: the penalty l1·Σ|w| + l2·Σw²
function M.l1_l2(o)
  local fname = "gd.nn.regularizers.l1_l2"
  o = check.opts(fname, o, { "l1", "l2" }, 1)
  return new(fname, o.l1 == nil and 0.01 or o.l1, o.l2 == nil and 0.01 or o.l2)
end

--- gd.nn.regularizers.is(v): whether v is a regularizer made here
function M.is(v) return getmetatable(v) == RegMT end

gd.doc(M.l1, "gd.nn.regularizers.l1(λ = 0.01): the penalty λ·Σ|w|")
gd.doc(M.l2, "gd.nn.regularizers.l2(λ = 0.01): the penalty λ·Σw² (as Keras: no ½)")
gd.doc(M.l1_l2, "gd.nn.regularizers.l1_l2{l1 = 0.01, l2 = 0.01}: the penalty l1·Σ|w| + l2·Σw²")
gd.doc(M.is, "gd.nn.regularizers.is(v): whether v is a gd.nn regularizer")
return M
