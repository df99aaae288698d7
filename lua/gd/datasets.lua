-- gd.data's datasets, scalers and one_hot (loaded into gd.data by data.lua).
--
-- The generators follow scikit-learn's make_* functions (the same geometry,
-- class sizes, defaults and labels 0..k-1) and draw from gd's default
-- generator, so gd.seed(n) makes them repeatable; n = 0 gives empty tensors
-- of the right shape.  sin_data is PRML's t = sin(2πx) + noise.  Scalers
-- remember their fit: scaler:transform(x), scaler:inverse_transform(z).
-- one_hot takes 1-based labels, as Lua indexes.
local gd = require "gd"
local check = require "gd.check"

local M = {}

local function is_tensor(v) return type(v) == "userdata" end

-- Rows of x (and y) in a random order (the same permutation for both).
local function shuffle_rows(x, y)
  local n = #x
  if n == 0 then return x, y end
  local idx = gd.randperm(n)
  return x:index(1, idx), y and y:index(1, idx)
end

-- Gaussian noise of x's shape times s, added (s = 0: x unchanged).
local function add_noise(x, s)
  if s == 0 or x:numel() == 0 then return x end
  return x + gd.normal(0, s, x.shape)
end

-- The sample count n, checked.
local function count(fname, n) return check.integer(fname, "argument 1 (n)", n, 0) end

-- n points 0, step, 2·step, ... as a 1-D tensor (linspace without endpoint).
local function steps(n, step)
  if n == 0 then return gd.zeros(0) end
  return gd.arange(0, n) * step
end

-- ---- two-class toy sets ----------------------------------------------------------

--- gd.data.make_moons(n, {noise = 0, shuffle = true}): x (n×2), y (0/1): two interleaving half circles
function M.make_moons(n, o)
  local f = "gd.data.make_moons"
  n = count(f, n)
  o = check.opts(f, o, { "noise", "shuffle" }, 2)
  local noise = check.number(f, "noise", o.noise or 0, 0)
  local n_out = n // 2
  local n_in = n - n_out
  local function half(m) return m == 0 and gd.zeros(0) or gd.linspace(0, math.pi, m) end
  local t_out, t_in = half(n_out), half(n_in)
  local outer = gd.stack({ gd.cos(t_out), gd.sin(t_out) }, 2)
  local inner = gd.stack({ 1 - gd.cos(t_in), 0.5 - gd.sin(t_in) }, 2)
  local x = gd.cat({ outer, inner }, 1)
  local y = gd.cat({ gd.zeros(n_out), gd.ones(n_in) }, 1)
  if check.boolean(f, "shuffle", o.shuffle, true) then x, y = shuffle_rows(x, y) end
  return add_noise(x, noise), y
end

--- gd.data.make_circles(n, {noise = 0, factor = 0.8, shuffle = true}): x (n×2), y: the unit circle (0) around one of radius factor (1)
function M.make_circles(n, o)
  local f = "gd.data.make_circles"
  n = count(f, n)
  o = check.opts(f, o, { "noise", "factor", "shuffle" }, 2)
  local noise = check.number(f, "noise", o.noise or 0, 0)
  local factor = check.number(f, "factor", o.factor or 0.8, 0)
  if factor >= 1 then check.fail(f, "factor must be in [0, 1), got %s", check.show(factor)) end
  local n_out = n // 2
  local n_in = n - n_out
  local t_out, t_in = steps(n_out, 2 * math.pi / math.max(n_out, 1)), steps(n_in, 2 * math.pi / math.max(n_in, 1))
  local outer = gd.stack({ gd.cos(t_out), gd.sin(t_out) }, 2)
  local inner = gd.stack({ gd.cos(t_in), gd.sin(t_in) }, 2) * factor
  local x = gd.cat({ outer, inner }, 1)
  local y = gd.cat({ gd.zeros(n_out), gd.ones(n_in) }, 1)
  if check.boolean(f, "shuffle", o.shuffle, true) then x, y = shuffle_rows(x, y) end
  return add_noise(x, noise), y
end

-- ---- blobs, regression, classification ---------------------------------------------

-- Sizes of k groups sharing n as sklearn does: n // k each, one more for the first n % k.
local function group_sizes(n, k)
  local sizes = {}
  for i = 1, k do sizes[i] = n // k + (i <= n % k and 1 or 0) end
  return sizes
end

-- Rows: group i (1-based) gets sizes[i] rows of gen(i, m); labels i - 1.
local function grouped(sizes, p, gen)
  local xs, ys = {}, {}
  for i, m in ipairs(sizes) do
    xs[#xs + 1] = m > 0 and gen(i, m) or gd.zeros(0, p)
    ys[#ys + 1] = gd.full({ m }, i - 1)
  end
  return gd.cat(xs, 1), gd.cat(ys, 1)
end

--- gd.data.make_blobs(n, {centers = 3, std = 1, n_features = 2, center_box = {-10, 10}, shuffle = true}): x, y (0..k-1), centers (k×p)
function M.make_blobs(n, o)
  local f = "gd.data.make_blobs"
  n = count(f, n)
  o = check.opts(f, o, { "centers", "std", "n_features", "center_box", "shuffle" }, 2)
  local centers = o.centers or 3
  local p = check.integer(f, "n_features", o.n_features or 2, 1)
  if is_tensor(centers) or type(centers) == "table" then
    centers = gd.tensor(centers)
    if centers.ndim ~= 2 then check.fail(f, "centers: a k×p tensor expected, got %d dims", centers.ndim) end
    p = centers.shape[2]
  else
    local k = check.integer(f, "centers", centers, 1)
    local box = o.center_box or { -10, 10 }
    if type(box) ~= "table" then check.fail(f, "center_box: {lo, hi} expected, got %s", check.show(box)) end
    local lo = check.number(f, "center_box[1]", box[1])
    local hi = check.number(f, "center_box[2]", box[2], lo)
    centers = gd.uniform(lo, hi, { k, p })
  end
  local k = centers.shape[1]
  local std = o.std or 1
  local stds = {}
  for i = 1, k do
    stds[i] = check.number(f, "std", type(std) == "table" and std[i] or std, 0)
  end
  local x, y = grouped(group_sizes(n, k), p, function(i, m)
    return centers[i] + gd.normal(0, stds[i], { m, p })
  end)
  if check.boolean(f, "shuffle", o.shuffle, true) then x, y = shuffle_rows(x, y) end
  return x, y, centers
end

--- gd.data.make_regression(n, p, {noise = 0, n_informative = 10, bias = 0}): x (n×p), y (n), coef (p): y = x·coef + bias + noise
function M.make_regression(n, p, o)
  local f = "gd.data.make_regression"
  n = count(f, n)
  p = check.integer(f, "argument 2 (p)", p, 0)
  o = check.opts(f, o, { "noise", "n_informative", "bias" }, 3)
  local noise = check.number(f, "noise", o.noise or 0, 0)
  local bias = check.number(f, "bias", o.bias or 0)
  local ni = math.min(p, check.integer(f, "n_informative", o.n_informative or 10, 0))
  local x = gd.randn(n, p)
  -- sklearn: the first n_informative coefficients are 100·U(0, 1), the rest 0
  local coef = gd.cat({ 100 * gd.rand(ni), gd.zeros(p - ni) }, 1)
  local y = (p > 0 and x:matmul(coef) or gd.zeros(n)) + bias
  return x, add_noise(y, noise), coef
end

-- k distinct vertices of the hypercube {0, 1}^d as a k×d tensor of 0/1.
local function hypercube_vertices(fname, k, d)
  if d < 53 and k > 2 ^ d then
    check.fail(fname, "n_classes · n_clusters_per_class = %d needs 2^n_informative >= %d (n_informative = %d)", k, k, d)
  end
  local seen, rows = {}, {}
  while #rows < k do
    local bits = gd.randint(0, 1, { d }):totable()
    local key = table.concat(bits)
    if not seen[key] then
      seen[key] = true
      rows[#rows + 1] = bits
    end
  end
  return gd.tensor(rows)
end

--- gd.data.make_classification(n, {n_features = 20, n_informative = 2, n_redundant = 2, n_classes = 2, n_clusters_per_class = 2, class_sep = 1, flip_y = 0.01, shuffle = true}): x, y (0..k-1)
function M.make_classification(n, o)
  local f = "gd.data.make_classification"
  n = count(f, n)
  o = check.opts(f, o, { "n_features", "n_informative", "n_redundant", "n_classes",
                         "n_clusters_per_class", "class_sep", "flip_y", "shuffle" }, 2)
  local p = check.integer(f, "n_features", o.n_features or 20, 1)
  local ni = check.integer(f, "n_informative", o.n_informative or 2, 1)
  local nr = check.integer(f, "n_redundant", o.n_redundant or 2, 0)
  local nc = check.integer(f, "n_classes", o.n_classes or 2, 1)
  local cpc = check.integer(f, "n_clusters_per_class", o.n_clusters_per_class or 2, 1)
  local sep = check.number(f, "class_sep", o.class_sep or 1, 0)
  local flip = check.number(f, "flip_y", o.flip_y or 0.01, 0, 1)
  if ni + nr > p then
    check.fail(f, "n_informative + n_redundant = %d must be <= n_features = %d", ni + nr, p)
  end
  -- sklearn's algorithm: clusters at hypercube vertices of side 2·class_sep,
  -- each a standard normal mixed by a random matrix; cluster c is class c mod k
  local k = nc * cpc
  local centroids = hypercube_vertices(f, k, ni) * (2 * sep) - sep
  local sizes = group_sizes(n, k)
  local xs, ys = {}, {}
  for c, m in ipairs(sizes) do
    local a = 2 * gd.rand(ni, ni) - 1
    xs[c] = gd.randn(m, ni):matmul(a) + centroids[c]
    ys[c] = gd.full({ m }, (c - 1) % nc)
  end
  local xi, y = gd.cat(xs, 1), gd.cat(ys, 1)
  local parts = { xi }
  if nr > 0 then parts[#parts + 1] = xi:matmul(2 * gd.rand(ni, nr) - 1) end
  if p - ni - nr > 0 then parts[#parts + 1] = gd.randn(n, p - ni - nr) end
  local x = gd.cat(parts, 2)
  if flip > 0 and n > 0 then
    local flipped = gd.rand(n):lt(flip)
    y = gd.where(flipped, gd.randint(0, nc - 1, { n }), y)
  end
  if check.boolean(f, "shuffle", o.shuffle, true) then x, y = shuffle_rows(x, y) end
  return x, y
end

--- gd.data.sin_data(n, {noise = 0.3, random = false}): x, t (n×1): t = sin(2πx) + N(0, noise²), x evenly in [0, 1] (random: x ~ U(0, 1))
function M.sin_data(n, o)
  local f = "gd.data.sin_data"
  n = count(f, n)
  o = check.opts(f, o, { "noise", "random" }, 2)
  local noise = check.number(f, "noise", o.noise or 0.3, 0)
  local x
  if check.boolean(f, "random", o.random, false) then x = gd.rand(n)
  else x = n == 1 and gd.zeros(1) or (n == 0 and gd.zeros(0) or gd.linspace(0, 1, n)) end
  local t = add_noise(gd.sin(2 * math.pi * x), noise)
  return x:reshape(n, 1), t:reshape(n, 1)
end

-- ---- one_hot --------------------------------------------------------------------------

--- gd.data.one_hot(labels, k): labels 1..k (any shape) → 0/1 tensor of shape labels.shape .. {k}
function M.one_hot(labels, k)
  local f = "gd.data.one_hot"
  if not is_tensor(labels) then
    if type(labels) ~= "table" and type(labels) ~= "number" then
      check.fail(f, "argument 1 (labels): tensor or table expected, got %s", check.show(labels))
    end
    labels = gd.tensor(labels)
  end
  k = check.integer(f, "argument 2 (k)", k, 1)
  if labels:numel() > 0 then
    local _ <close> = gd.no_grad()
    local mn, mx = labels:min():item(), labels:max():item()
    local frac = (labels - gd.floor(labels)):abs():max():item()
    if frac ~= 0 or mn ~= mn then check.fail(f, "labels must be integers 1..k") end
    if mn < 1 then check.fail(f, "label %s < 1 (labels are 1..k: add 1 to 0-based labels)", check.show(mn)) end
    if mx > k then check.fail(f, "label %s > k = %d", check.show(mx), k) end
  end
  return labels:detach():unsqueeze(-1):eq(gd.arange(1, k + 1))
end

-- ---- scalers -----------------------------------------------------------------------------

local Scaler = {}
Scaler.__index = Scaler
Scaler.__name = "gd.data.Scaler"

local function data_arg(fname, x)
  if is_tensor(x) then return x end
  if type(x) == "table" then return gd.tensor(x) end
  check.fail(fname, "argument 1: tensor expected, got %s", check.show(x))
end

-- x's trailing dims must match what the scaler was fitted on.
function Scaler:_check(fname, x)
  x = data_arg(fname, x)
  local want = self.shift.shape
  local ok = x.ndim >= 1 and x.ndim == #want + 1
  for i = 1, #want do ok = ok and x.shape[i + 1] == want[i] end
  if not ok then
    check.fail(fname, "x of shape {%s} does not match the fit (rows of shape {%s})",
      table.concat(x.shape, ","), table.concat(want, ","))
  end
  return x
end

--- scaler:transform(x): (x − shift) / scale with the fitted shift and scale
function Scaler:transform(x)
  x = self:_check(self.kind .. ":transform", x)
  return (x - self.shift) / self.scale + self.offset
end

--- scaler:inverse_transform(z): undo transform
function Scaler:inverse_transform(z)
  z = self:_check(self.kind .. ":inverse_transform", z)
  return (z - self.offset) * self.scale + self.shift
end

function Scaler:__tostring()
  return string.format("%s(%d features)", self.kind, self.shift:numel())
end

-- A zero scale (a constant feature) becomes 1, as scikit-learn does.
local function safe_scale(s) return gd.where(s:eq(0), 1, s) end

local function fit_rows(fname, x)
  x = data_arg(fname, x):detach()
  if x.ndim == 0 or #x == 0 then check.fail(fname, "argument 1: at least one row expected, got shape {%s}", table.concat(x.shape, ",")) end
  return x
end

--- gd.data.standardize(x): a scaler fitted to x's columns (mean, std with ddof 0) and x transformed
function M.standardize(x)
  local f = "gd.data.standardize"
  x = fit_rows(f, x)
  local s = setmetatable({ kind = "gd.data.standardize", shift = x:mean(1), offset = 0 }, Scaler)
  s.scale = safe_scale(x:std(1))
  s.mean, s.std = s.shift, s.scale
  return s, s:transform(x)
end

--- gd.data.minmax(x, {range = {0, 1}}): a scaler mapping x's column ranges to range, and x transformed
function M.minmax(x, o)
  local f = "gd.data.minmax"
  x = fit_rows(f, x)
  o = check.opts(f, o, { "range" }, 2)
  local r = o.range or { 0, 1 }
  if type(r) ~= "table" then check.fail(f, "range: {lo, hi} expected, got %s", check.show(r)) end
  local lo = check.number(f, "range[1]", r[1])
  local hi = check.number(f, "range[2]", r[2])
  if not (hi > lo) then check.fail(f, "range: lo < hi expected, got {%s, %s}", check.show(lo), check.show(hi)) end
  local mn, mx = x:min(1), x:max(1)
  local s = setmetatable({ kind = "gd.data.minmax", shift = mn, offset = lo, min = mn, max = mx }, Scaler)
  s.scale = safe_scale(mx - mn) / (hi - lo)
  return s, s:transform(x)
end

for k, fn in pairs(M) do gd.doc(fn, "gd.data." .. k) end
gd.doc(M.make_moons, "gd.data.make_moons(n, {noise = 0, shuffle = true}): x (n×2), y (0/1), two interleaving half circles")
gd.doc(M.make_circles, "gd.data.make_circles(n, {noise = 0, factor = 0.8, shuffle = true}): x (n×2), y (0 outer, 1 inner)")
gd.doc(M.make_blobs, "gd.data.make_blobs(n, {centers = 3, std = 1, n_features = 2, center_box, shuffle}): x, y (0..k-1), centers")
gd.doc(M.make_regression, "gd.data.make_regression(n, p, {noise = 0, n_informative = 10, bias = 0}): x, y, coef")
gd.doc(M.make_classification, "gd.data.make_classification(n, {n_features = 20, n_informative = 2, n_redundant = 2, n_classes = 2, ...}): x, y (0..k-1)")
gd.doc(M.sin_data, "gd.data.sin_data(n, {noise = 0.3, random = false}): x, t (n×1), t = sin(2πx) + noise")
gd.doc(M.one_hot, "gd.data.one_hot(labels, k): labels 1..k → 0/1 tensor with a last dim of k")
gd.doc(M.standardize, "gd.data.standardize(x): scaler (mean, std) fitted to x's columns, and x scaled")
gd.doc(M.minmax, "gd.data.minmax(x, {range = {0, 1}}): scaler fitted to x's column ranges, and x scaled")
gd.doc(Scaler.transform, "scaler:transform(x): scale x as the fitted data was")
gd.doc(Scaler.inverse_transform, "scaler:inverse_transform(z): undo scaler:transform")

return M
