-- gd.autodiff: functional forms over the gradient tape (grad, value_and_grad,
-- hessian, hvp) and the gradient checker.  Installed into gd by init.lua.
return function(gd)
  local doc = gd.doc
  local check = require "gd.check"

  local function check_fn(name, f)
    if type(f) ~= "function" then
      check.fail("gd." .. name, "argument 1: function expected, got %s", type(f))
    end
  end

  local function check_tensor(name, i, x)
    local ok = type(x) == "number" or (type(x) == "table" and getmetatable(x) == nil)
      or (type(x) == "userdata" and pcall(gd.numel, x))
    if not ok then
      check.fail("gd." .. name, "argument %d: tensor expected, got %s", i, type(x))
    end
  end

  -- Arguments as tensors: numbers become 0-d tensors; tensors are used as is.
  local function as_tensors(args, n)
    local t = {}
    for i = 1, n do
      local a = args[i]
      if type(a) == "number" or (type(a) == "table" and getmetatable(a) == nil) then
        a = gd.tensor(a)
      end
      t[i] = a
    end
    return t
  end

  -- Which arguments to differentiate: argnums (a number or a list), default 1.
  local function argnums_of(opts)
    local a = opts and opts.argnums or 1
    if type(a) == "number" then return { a }, true end
    return a, false
  end

  --- gd.value_and_grad(f[, {argnums = 1}]): a function returning f(...) and its gradients.
  function gd.value_and_grad(f, opts)
    check_fn("value_and_grad", f)
    local nums, single = argnums_of(opts)
    return function(...)
      local n = select("#", ...)
      local args = as_tensors({ ... }, n)
      local tape <close> = gd.GradientTape()
      local wrt = {}
      for i, k in ipairs(nums) do
        if args[k] == nil then check.fail("gd.grad", "argument %d is missing", k) end
        tape:watch(args[k])
        wrt[i] = args[k]
      end
      local y = f(table.unpack(args, 1, n))
      tape:stop()
      local grads = tape:gradient(y, wrt, { unconnected = "zero" })
      if single then return y, grads[1] end
      return y, table.unpack(grads)
    end
  end
  doc(gd.value_and_grad, "gd.value_and_grad(f[, {argnums = 1}]): a function returning f(...) and the gradients of sum(f) in the argnums arguments")

  --- gd.grad(f[, {argnums = 1}]): a function returning the gradient of sum(f(...)).
  function gd.grad(f, opts)
    check_fn("grad", f)
    local vg = gd.value_and_grad(f, opts)
    return function(...)
      return select(2, vg(...))
    end
  end
  doc(gd.grad, "gd.grad(f[, {argnums = 1}]): a function returning the gradients of sum(f(...)); composes: gd.grad(gd.grad(f))")

  --- gd.hessian(f, x): the Hessian of scalar f at x, a (n, n) tensor for n = x:numel().
  function gd.hessian(f, x)
    check_fn("hessian", f)
    check_tensor("hessian", 2, x)
    x = as_tensors({ x }, 1)[1]
    local n = x:numel()
    local outer <close> = gd.GradientTape({ persistent = true })
    outer:watch(x)
    local g
    do
      local inner <close> = gd.GradientTape()
      inner:watch(x)
      local y = f(x)
      g = inner:gradient(y, x, { unconnected = "zero" })
    end
    g = g:reshape(n)
    local rows = {}
    for i = 1, n do
      local r = outer:gradient(g:select(1, i), x, { unconnected = "zero" })
      rows[i] = r:reshape(n)
    end
    outer:stop()
    return gd.stack(rows)
  end
  doc(gd.hessian, "gd.hessian(f, x): Hessian of the scalar function f at x, (n, n) for n = x:numel()")

  --- gd.hvp(f, x, v): the Hessian-vector product H(x)·v without forming H.
  function gd.hvp(f, x, v)
    check_fn("hvp", f)
    check_tensor("hvp", 2, x)
    check_tensor("hvp", 3, v)
    x = as_tensors({ x }, 1)[1]
    local outer <close> = gd.GradientTape()
    outer:watch(x)
    local g
    do
      local inner <close> = gd.GradientTape()
      inner:watch(x)
      g = inner:gradient(f(x), x, { unconnected = "zero" })
    end
    local s = (g * v):sum()
    outer:stop()
    return outer:gradient(s, x, { unconnected = "zero" })
  end
  doc(gd.hvp, "gd.hvp(f, x, v): Hessian-vector product H(x)·v by differentiating (∇f·v)")

  --- gd.gradcheck(f, inputs[, opts]): compare tape gradients with central differences.
  function gd.gradcheck(f, inputs, opts)
    check_fn("gradcheck", f)
    if type(inputs) ~= "table" and type(inputs) ~= "userdata" then
      check.fail("gd.gradcheck", "argument 2: tensor or list of tensors expected, got %s", type(inputs))
    end
    if opts ~= nil and type(opts) ~= "table" then
      check.fail("gd.gradcheck", "argument 3: options table expected, got %s", type(opts))
    end
    opts = opts or {}
    local eps, atol, rtol = opts.eps or 1e-6, opts.atol or 1e-5, opts.rtol or 1e-3
    if type(inputs) == "userdata" then inputs = { inputs } end
    local xs = {}
    for i, x in ipairs(inputs) do xs[i] = gd.tensor(x) end
    local function value(...)
      local y = f(...)
      if type(y) == "number" then return y end
      return y:sum():item()
    end
    local analytic
    do
      local tape <close> = gd.GradientTape()
      tape:watch(xs)
      local y = f(table.unpack(xs))
      tape:stop()
      analytic = tape:gradient(y, xs, { unconnected = "zero" })
    end
    local worst, report = -1, nil
    for k, x in ipairs(xs) do
      local flat = x:reshape(-1)                -- a view: writes reach x
      local a = analytic[k]:reshape(-1)
      for i = 1, flat:numel() do
        local old = flat[i]
        flat[i] = old + eps
        local fp = value(table.unpack(xs))
        flat[i] = old - eps
        local fm = value(table.unpack(xs))
        flat[i] = old
        local num = (fp - fm) / (2 * eps)
        local ana = a[i]
        local err = math.abs(ana - num)
        local excess = err - (atol + rtol * math.abs(num))
        if excess > worst or ana ~= ana then
          worst = ana ~= ana and math.huge or excess
          report = string.format("input %d element %d: analytic %.10g, numeric %.10g (|diff| %.3g)",
            k, i, ana, num, err)
        end
      end
    end
    if worst > 0 then return false, report end
    return true, report
  end
  doc(gd.gradcheck, "gd.gradcheck(f, inputs[, {eps = 1e-6, atol = 1e-5, rtol = 1e-3}]): true, or false and a report naming the worst element")

  ---------------------------------------------------------------------------
  -- Jacobians (issue 11): jacobian, jvp, vjp, all built from reverse mode, so
  -- they compose with gd.grad, gd.hessian and each other.

  local function shape_key(s) return "{" .. table.concat(s, ",") .. "}" end

  local function check_output(name, y)
    if type(y) ~= "userdata" or not pcall(gd.numel, y) then
      check.fail("gd." .. name, "f must return a tensor, got %s", type(y))
    end
  end

  local function check_same_shape(name, what, t, want, argn)
    if shape_key(t.shape) ~= shape_key(want) then
      check.fail("gd." .. name, "argument %d: %s has shape %s, expected %s", argn, what,
        shape_key(t.shape), shape_key(want))
    end
  end

  --- gd.jacobian(f, x): ∂f(x)/∂x with shape f(x).shape .. x.shape (m×n for f: ℝⁿ→ℝᵐ), one backward pass per output.
  function gd.jacobian(f, x)
    check_fn("jacobian", f)
    check_tensor("jacobian", 2, x)
    x = as_tensors({ x }, 1)[1]
    local n = x:numel()
    local tape <close> = gd.GradientTape({ persistent = true })
    tape:watch(x)
    local y = f(x)
    check_output("jacobian", y)
    local m = y:numel()
    local flat = y:reshape(m)
    local outs = {}
    for i = 1, m do outs[i] = flat:select(1, i) end   -- recorded, so each row can be differentiated
    tape:stop()
    local J = gd.zeros(m, n)                          -- row by row: gd.stack takes few tensors
    for i = 1, m do J[i] = tape:gradient(outs[i], x, { unconnected = "zero" }):reshape(n) end
    local shape = y.shape
    for _, s in ipairs(x.shape) do shape[#shape + 1] = s end
    return J:reshape(shape)
  end
  doc(gd.jacobian, "gd.jacobian(f, x): the Jacobian of f at x, shape f(x).shape .. x.shape (m×n for f: ℝⁿ→ℝᵐ; the gradient for scalar f); composes with gd.grad (jacobian of grad = hessian)")

  --- gd.jvp(f, x, v): f(x) and the forward product J·v (shape of f(x)), by differentiating the pullback uᵀJ in u.
  function gd.jvp(f, x, v)
    check_fn("jvp", f)
    check_tensor("jvp", 2, x)
    check_tensor("jvp", 3, v)
    x, v = table.unpack(as_tensors({ x, v }, 2))
    check_same_shape("jvp", "v", v, x.shape, 3)
    local outer <close> = gd.GradientTape()
    local y, g, u
    do
      local inner <close> = gd.GradientTape()
      inner:watch(x)
      y = f(x)
      check_output("jvp", y)
      u = gd.zeros_like(y)
      outer:watch(u)
      local s = (y * u):sum()
      inner:stop()
      g = inner:gradient(s, x, { unconnected = "zero" })      -- Jᵀu, linear in u, recorded by outer
    end
    local t = (g * v):sum()
    outer:stop()
    return y, outer:gradient(t, u, { unconnected = "zero" })
  end
  doc(gd.jvp, "gd.jvp(f, x, v): f(x) and J·v (shape of f(x)), v of x's shape; two reverse passes, no Jacobian formed")

  --- gd.vjp(f, x): f(x) and pullback, where pullback(u) = uᵀJ (shape of x) for u of f(x)'s shape.
  function gd.vjp(f, x)
    check_fn("vjp", f)
    check_tensor("vjp", 2, x)
    x = as_tensors({ x }, 1)[1]
    local y = f(x)
    check_output("vjp", y)
    local yshape = y.shape
    local function pullback(u)
      check_tensor("vjp pullback", 1, u)
      u = as_tensors({ u }, 1)[1]
      check_same_shape("vjp pullback", "u", u, yshape, 1)
      local tape <close> = gd.GradientTape()
      tape:watch(x)
      local s = (f(x) * u):sum()             -- f is evaluated again: the tape of the first call is not kept
      tape:stop()
      return tape:gradient(s, x, { unconnected = "zero" })
    end
    return y, pullback
  end
  doc(gd.vjp, "gd.vjp(f, x): f(x) and a function pullback(u) = uᵀJ (shape of x) for u of f(x)'s shape; each pullback is one forward and one reverse pass")
end
