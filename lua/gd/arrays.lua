-- gd.arrays: numpy-style array functions built from gd's differentiable ops
-- (meshgrid, diff, diag, trace, tril, triu, logspace, softmax, log_softmax,
-- isnan, isinf, isfinite, any, all, quantile, median, histogram, kron, tile /
-- repeat_, nan_to_num).  Each is composed of recorded ops, so its gradient is
-- the one their rules give: nothing here defines a gradient.  The C kernels
-- (sort, argsort, cumsum, cumprod, unique, the histogram count) are in
-- src/larrays.c.  Installed into gd (and the tensor methods) by init.lua.
return function(gd)
  local check = require "gd.check"
  local methods = gd._methods

  -- Register f as gd.name with its doc line; also as a method x:name(...).
  local function def(name, line, f, method)
    gd[name] = gd.doc(f, line)
    if method ~= false then methods[name] = f end
  end

  local function is_tensor(v)
    return type(v) == "userdata" and pcall(gd.numel, v)
  end

  -- Argument argn of fname as a tensor: numbers and nested tables are converted.
  local function tensor_arg(fname, argn, v)
    if is_tensor(v) then return v end
    if type(v) == "number" or (type(v) == "table" and getmetatable(v) == nil) then
      local ok, t = pcall(gd.tensor, v)
      if ok then return t end
      check.fail(fname, "argument %d: %s", argn, tostring(t):gsub("^gd%.tensor: ", ""))
    end
    check.fail(fname, "argument %d: tensor expected, got %s", argn, check.show(v))
  end

  -- A dim argument (1-based, negative from the end) → 1..ndim; nil → default.
  local function dim_arg(fname, argn, x, dim, default)
    if dim == nil then dim = default end
    local nd = x.ndim
    local d = check.integer(fname, ("argument %d (dim)"):format(argn), dim)
    if nd == 0 then check.fail(fname, "argument %d: a 0-d tensor has no dims", argn) end
    if d < 0 then d = d + nd + 1 end
    if d < 1 or d > nd then
      check.fail(fname, "argument %d: dim %d out of range for a %d-d tensor", argn, dim, nd)
    end
    return d
  end

  local function shape_str(s) return "{" .. table.concat(s, ",") .. "}" end

  -- ---- grids and ranges -------------------------------------------------------

  def("meshgrid", "gd.meshgrid(x, y[, {indexing = \"xy\"}]): X, Y grids of the 1-D x and y (xy: #y × #x; ij: #x × #y), as numpy",
    function(x, y, opts)
      local f = "gd.meshgrid"
      x, y = tensor_arg(f, 1, x), tensor_arg(f, 2, y)
      opts = check.opts(f, opts, { "indexing" }, 3)
      local indexing = check.oneof(f, "option indexing", opts.indexing or "xy", { "xy", "ij" })
      for i, v in ipairs { x, y } do
        if v.ndim ~= 1 then check.fail(f, "argument %d: 1-D tensor expected, got shape %s", i, shape_str(v.shape)) end
      end
      local nx, ny = #x, #y
      if indexing == "xy" then
        return x:reshape(1, nx):expand(ny, nx):copy(), y:reshape(ny, 1):expand(ny, nx):copy()
      end
      return x:reshape(nx, 1):expand(nx, ny):copy(), y:reshape(1, ny):expand(nx, ny):copy()
    end, false)

  def("logspace", "gd.logspace(a, b[, n = 50[, base = 10]]): n values base^t for t evenly spaced from a to b",
    function(a, b, n, base)
      local f = "gd.logspace"
      check.number(f, "argument 1 (start)", a)
      check.number(f, "argument 2 (stop)", b)
      n = check.integer(f, "argument 3 (n)", n or 50, 0)
      base = check.number(f, "argument 4 (base)", base or 10, 0, nil, true)
      return base ^ gd.linspace(a, b, n)
    end, false)

  -- ---- differences, diagonals, triangles --------------------------------------

  def("diff", "x:diff([n = 1[, dim = -1]]): n-th differences x[i+1] - x[i] along dim, as numpy.diff",
    function(x, n, dim)
      local f = "gd.diff"
      x = tensor_arg(f, 1, x)
      n = check.integer(f, "argument 2 (n)", n or 1, 0)
      dim = dim_arg(f, 3, x, dim, -1)
      for _ = 1, n do
        local len = x.shape[dim]
        if len == 0 then break end
        x = x:narrow(dim, 2, len - 1) - x:narrow(dim, 1, len - 1)
      end
      return x
    end)

  -- 0/1 matrix of shape rows × cols that is 1 where (column − row) rel k.
  local function offsets(rows, cols, rel, k)
    local d = gd.arange(cols):reshape(1, cols) - gd.arange(rows):reshape(rows, 1)
    return d[rel](d, k)
  end

  local function check_matrix(f, x, atleast)
    if x.ndim < 2 or (not atleast and x.ndim ~= 2) then
      check.fail(f, "argument 1: %s tensor expected, got shape %s", atleast and "a ≥2-D" or "2-D",
        shape_str(x.shape))
    end
  end

  def("diag", "gd.diag(x[, k = 0]): 1-D x → square matrix with x on diagonal k; 2-D x → its diagonal k (k > 0 above)",
    function(x, k)
      local f = "gd.diag"
      x = tensor_arg(f, 1, x)
      k = check.integer(f, "argument 2 (k)", k or 0)
      if x.ndim == 1 then
        local n = #x
        local m = n + math.abs(k)
        local row = x
        if k > 0 then row = gd.cat({ gd.zeros(k), x }) elseif k < 0 then row = gd.cat({ x, gd.zeros(-k) }) end
        return gd.where(offsets(m, m, "eq", k), row:reshape(1, m):expand(m, m), 0)
      end
      check_matrix(f, x)
      local s = x.shape
      return x:mask(offsets(s[1], s[2], "eq", k))
    end)

  def("trace", "x:trace([k = 0]): sum of diagonal k of the matrix x",
    function(x, k)
      local f = "gd.trace"
      x = tensor_arg(f, 1, x)
      check_matrix(f, x)
      return gd.diag(x, k):sum()
    end)

  local function triangle(name, rel, what)
    def(name, ("x:%s([k = 0]): x with the entries %s diagonal k zeroed (last two dims)"):format(name, what),
      function(x, k)
        local f = "gd." .. name
        x = tensor_arg(f, 1, x)
        k = check.integer(f, "argument 2 (k)", k or 0)
        check_matrix(f, x, true)
        local s = x.shape
        return gd.where(offsets(s[#s - 1], s[#s], rel, k), x, 0)
      end)
  end
  triangle("tril", "le", "above")
  triangle("triu", "ge", "below")

  -- ---- softmax ------------------------------------------------------------------

  -- x − max(x) along dim, the max a constant: softmax and log_softmax do not
  -- change under a shift, so this is exact and keeps exp from overflowing.
  local function shifted(f, x, dim)
    x = tensor_arg(f, 1, x)
    dim = dim_arg(f, 2, x, dim, -1)
    return x - gd.stop_gradient(x:max(dim, true)), dim
  end

  def("softmax", "x:softmax([dim = -1]): exp(x) / sum(exp(x)) along dim, computed stably",
    function(x, dim)
      local z, d = shifted("gd.softmax", x, dim)
      local e = gd.exp(z)
      return e / e:sum(d, true)
    end)

  def("log_softmax", "x:log_softmax([dim = -1]): x - logsumexp(x) along dim (stable)",
    function(x, dim)
      local z, d = shifted("gd.log_softmax", x, dim)
      return z - gd.log(gd.exp(z):sum(d, true))
    end)

  -- ---- tests of values ------------------------------------------------------------

  def("isnan", "x:isnan(): 1 where x is NaN, else 0",
    function(x) x = tensor_arg("gd.isnan", 1, x); return x:ne(x) end)
  def("isinf", "x:isinf(): 1 where x is +inf or -inf, else 0",
    function(x) x = tensor_arg("gd.isinf", 1, x); return gd.abs(x):eq(math.huge) end)
  def("isfinite", "x:isfinite(): 1 where x is neither NaN nor ±inf, else 0",
    function(x) x = tensor_arg("gd.isfinite", 1, x); return (x - x):eq(0) end)

  -- any / all: no dim → a Lua boolean (usable in `if`); with dim → a 0/1 tensor.
  local function anyall(name, line, test, want)
    def(name, line, function(x, dim, keepdim)
      local f = "gd." .. name
      x = tensor_arg(f, 1, x)
      if dim == nil then return want(x:count_nonzero(), x:numel()) end
      local hits = test(x)
      dim = dim_arg(f, 2, x, dim)
      keepdim = check.boolean(f, "argument 3 (keepdim)", keepdim, false)
      local s = hits:sum(dim, keepdim)
      return name == "any" and s:gt(0) or s:eq(0)
    end)
  end
  anyall("any", "x:any([dim[, keepdim]]): whether some element is nonzero (NaN counts); no dim → a boolean, else a 0/1 tensor",
    function(x) return x:ne(0) end, function(nz) return nz > 0 end)
  anyall("all", "x:all([dim[, keepdim]]): whether every element is nonzero; no dim → a boolean, else a 0/1 tensor",
    function(x) return x:eq(0) end, function(nz, n) return nz == n end)

  def("nan_to_num", "x:nan_to_num([{nan = 0, posinf = max, neginf = -max}]): NaN and ±inf replaced (max: the largest finite double)",
    function(x, opts)
      local f = "gd.nan_to_num"
      x = tensor_arg(f, 1, x)
      opts = check.opts(f, opts, { "nan", "posinf", "neginf" }, 2)
      local big = 1.7976931348623157e308
      local nan = check.number(f, "option nan", opts.nan or 0)
      local posinf = check.number(f, "option posinf", opts.posinf or big)
      local neginf = check.number(f, "option neginf", opts.neginf or -big)
      local r = gd.where(x:ne(x), nan, x)
      r = gd.where(x:eq(math.huge), posinf, r)
      return gd.where(x:eq(-math.huge), neginf, r)
    end)

  -- ---- order statistics -------------------------------------------------------------

  -- The q-quantile (number in [0, 1]) of xs, sorted along d, by numpy's linear method:
  -- h = (n - 1)·q, result = v[⌊h⌋] + (h - ⌊h⌋)·(v[⌊h⌋ + 1] - v[⌊h⌋]).
  local function quantile_one(s, d, n, q)
    local h = (n - 1) * q
    local lo = math.floor(h)
    local hi = math.min(lo + 1, n - 1)
    local a = s:narrow(d, lo + 1, 1)
    if hi == lo then return a end
    return a + (s:narrow(d, hi + 1, 1) - a) * (h - lo)
  end

  local function quantile(f, x, q, dim, keepdim, qarg)
    x = tensor_arg(f, 1, x)
    local qs, scalar
    if type(q) == "number" then
      qs, scalar = { q }, true
    else
      local qt = tensor_arg(f, qarg, q)
      if qt.ndim > 1 then check.fail(f, "argument %d: q must be a number or 1-D, got shape %s", qarg, shape_str(qt.shape)) end
      scalar = qt.ndim == 0
      qs = scalar and { qt:item() } or qt:totable()
    end
    for _, v in ipairs(qs) do
      if type(v) ~= "number" or not (v >= 0 and v <= 1) then
        check.fail(f, "argument %d: q must be in [0, 1], got %s", qarg, check.show(v))
      end
    end
    keepdim = check.boolean(f, "argument " .. (qarg + 2) .. " (keepdim)", keepdim, false)
    local shape = x.shape
    local src, d = x, nil
    if dim == nil then
      src, d = x:reshape(x:numel()), 1
    else
      d = dim_arg(f, qarg + 1, x, dim)
    end
    local n = src.shape[d]
    if n == 0 then check.fail(f, "argument 1: no values along dim %d (shape %s)", d, shape_str(shape)) end
    local s = gd.sort(src, d)
    local nanlane = src:ne(src):sum(d, true):gt(0)
    local anynan = nanlane:sum():item() > 0
    local outs = {}
    for i, v in ipairs(qs) do
      local r = quantile_one(s, d, n, v)
      if anynan then r = gd.where(nanlane, 0 / 0, r) end     -- numpy: NaN where a lane has one
      if dim == nil then
        local ones = {}
        for k = 1, #shape do ones[k] = 1 end
        r = keepdim and r:reshape(ones) or r:reshape({})
      elseif not keepdim then
        r = r:squeeze(d)
      end
      outs[i] = r
    end
    if scalar then return outs[1] end
    return gd.stack(outs, 1)
  end

  def("quantile", "x:quantile(q[, dim[, keepdim]]): q-quantiles (q a number or 1-D tensor in [0, 1]) by linear interpolation, as numpy; q's dim first",
    function(x, q, dim, keepdim) return quantile("gd.quantile", x, q, dim, keepdim, 2) end)
  def("median", "x:median([dim[, keepdim]]): the 0.5-quantile along dim (mean of the middle two when even), as numpy",
    function(x, dim, keepdim) return quantile("gd.median", x, 0.5, dim, keepdim, 1) end)

  def("histogram", "gd.histogram(x[, {bins = 10, range = {lo, hi}}]): counts, edges of equal-width bins, as numpy (last bin closed; values outside range ignored)",
    function(x, opts)
      local f = "gd.histogram"
      x = tensor_arg(f, 1, x)
      opts = check.opts(f, opts, { "bins", "range" }, 2)
      local bins = check.integer(f, "option bins", opts.bins or 10, 1)
      if opts.range == nil then return check.call(gd._histogram, x, bins) end
      local r = check.list(f, "option range", opts.range)
      local lo = check.number(f, "option range[1]", r[1])
      local hi = check.number(f, "option range[2]", r[2])
      if #r ~= 2 then check.fail(f, "option range: {lo, hi} expected, got %d values", #r) end
      if not (lo < hi) then check.fail(f, "option range: lo < hi expected, got {%s, %s}", check.show(lo), check.show(hi)) end
      return check.call(gd._histogram, x, bins, lo, hi)
    end, false)

  -- ---- products and repetition ------------------------------------------------------

  def("kron", "gd.kron(a, b): Kronecker product (block (i, j) is a[i][j]·b), for tensors of any dims",
    function(a, b)
      local f = "gd.kron"
      a, b = tensor_arg(f, 1, a), tensor_arg(f, 2, b)
      local nd = math.max(a.ndim, b.ndim)
      local sa, sb = a.shape, b.shape
      while #sa < nd do table.insert(sa, 1, 1) end
      while #sb < nd do table.insert(sb, 1, 1) end
      local ia, ib, out = {}, {}, {}
      for i = 1, nd do
        ia[2 * i - 1], ia[2 * i] = sa[i], 1
        ib[2 * i - 1], ib[2 * i] = 1, sb[i]
        out[i] = sa[i] * sb[i]
      end
      if nd == 0 then return a * b end
      return (a:reshape(ia) * b:reshape(ib)):reshape(out)
    end)

  -- Repetitions from a list or from numbers at args (argn: the first one's position).
  local function reps_of(f, argn, ...)
    local reps = select("#", ...) == 1 and type(...) == "table" and { table.unpack((...)) } or { ... }
    if #reps == 0 then check.fail(f, "argument %d: repetitions expected", argn) end
    for i, r in ipairs(reps) do reps[i] = check.integer(f, ("repetition %d"):format(i), r, 0) end
    return reps
  end

  local function tile(x, reps)
    local shape = x.shape
    local nd = math.max(#shape, #reps)
    while #shape < nd do table.insert(shape, 1, 1) end
    while #reps < nd do table.insert(reps, 1, 1) end
    local lifted, big, out = {}, {}, {}
    for i = 1, nd do
      lifted[2 * i - 1], lifted[2 * i] = 1, shape[i]
      big[2 * i - 1], big[2 * i] = reps[i], shape[i]
      out[i] = reps[i] * shape[i]
    end
    if nd == 0 then return x:copy() end
    return x:reshape(lifted):expand(big):reshape(out)
  end

  def("tile", "gd.tile(x, reps) or x:tile(r1, r2, ...): x repeated reps[i] times along dim i (missing leading reps are 1), as numpy.tile",
    function(x, ...)
      x = tensor_arg("gd.tile", 1, x)
      return tile(x, reps_of("gd.tile", 2, ...))
    end)
  def("repeat_", "x:repeat_(r1, r2, ...): x tiled r_i times along dim i, as torch's repeat (= gd.tile)",
    function(x, ...)
      x = tensor_arg("gd.repeat_", 1, x)
      return tile(x, reps_of("gd.repeat_", 2, ...))
    end)
end
