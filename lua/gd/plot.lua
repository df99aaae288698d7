-- gd.plot: figures drawn by gnuplot (DESIGN.md section 6).
--
-- A figure is a list of axes, each a list of series; nothing is sent to
-- gnuplot until show() or save(), when lua/gd/plot_draw.lua turns the
-- figure into commands for one gnuplot process (src/plotpipe.c), each
-- checked, so a gnuplot error becomes a Lua error with gnuplot's message
-- and the command.  This file is the API: it builds figures and checks
-- every argument when a series is added, so a bad call fails at once, also
-- under GD_PLOT=none, where nothing is drawn or spawned.
local gd = require "gd"
local check = require "gd.check"
local draw = require "gd.plot_draw"
local kinds = require "gd.plot_kinds"

local plt = {}
local doc = gd.doc

local DEFAULT_SIZE = { 640, 480 }
-- Limits that keep an absurd request an argument error rather than an
-- out-of-memory death: axes in a layout, pixels a side, samples.
local MAX_AXES, MAX_SIDE, MAX_PIXELS = 400, 100, 10000
local MAX_SAMPLES, MAX_GRID, MAX_BINS, MAX_LEVELS = 1000000, 2000, 1000000, 1000
local NAMED = {
  blue = "#1f77b4", orange = "#ff7f0e", green = "#2ca02c", red = "#d62728",
  purple = "#9467bd", brown = "#8c564b", pink = "#e377c2", gray = "#7f7f7f",
  grey = "#7f7f7f", olive = "#bcbd22", cyan = "#17becf", black = "#000000",
  white = "#ffffff", yellow = "#ffd700", magenta = "#ff00ff", navy = "#000080",
  b = "#1f77b4", g = "#2ca02c", r = "#d62728", c = "#17becf", m = "#ff00ff",
  y = "#ffd700", k = "#000000", w = "#ffffff",
}
for i, c in ipairs(draw.CYCLE) do NAMED["C" .. i] = c end

---------------------------------------------------------------------------
-- argument checking

local fail = check.fail
local H                            -- the checkers plot_kinds.lua uses (below)

local function is_tensor(v)
  return type(v) == "userdata" and pcall(function() return v.shape end) and v.shape ~= nil
end

-- A data table is an array; an options table has no [1].
local function is_data(v)
  return is_tensor(v) or type(v) == "number" or (type(v) == "table" and v[1] ~= nil)
end

local function set_of(...)
  local s = {}
  for _, list in ipairs({ ... }) do for _, k in ipairs(list) do s[k] = true end end
  return s
end

-- Options every series takes.
local SERIES_OPTS = { "style", "color", "linewidth", "lw", "pointsize", "ps", "alpha", "title", "label" }

-- Any data as a tensor (a copy: later writes to the caller's do not show).
local function to_tensor(v, fname, what)
  local ok, t = pcall(gd.tensor, v)
  if not ok then fail(fname, "%s: %s", what, tostring(t):gsub("^gd%.tensor: ", "")) end
  if t.ndim ~= 1 then t = t:reshape(t:numel()) end
  return t
end

local function check_string(fname, v, what)
  if type(v) ~= "string" then fail(fname, "%s must be a string, got %s", what, type(v)) end
  return v
end

-- Text that goes to gnuplot (titles, labels, colors, paths): a string that
-- plot_draw's one escaper accepts (oneline: no newline either, for paths).
local function check_text(fname, v, what, oneline)
  check_string(fname, v, what)
  local ok, why = draw.literal(v, oneline)
  if not ok then fail(fname, "%s %s: %s", what, check.show(v), why) end
  return v
end

-- A positive finite number (linewidth, pointsize, width).
local function check_positive(fname, v, what)
  return check.number(fname, what, v, 0, nil, true)
end

-- {lo, hi}: finite numbers with lo < hi, or nil ends when allow_nil (automatic).
local function check_range(fname, r, what, allow_nil)
  if type(r) ~= "table" then fail(fname, "%s must be a table {lo, hi}, got %s", what, type(r)) end
  local a, b = r[1], r[2]
  if not (allow_nil and a == nil) then check.number(fname, what .. " lower end", a) end
  if not (allow_nil and b == nil) then check.number(fname, what .. " upper end", b) end
  if a and b and not (a < b) then
    fail(fname, "%s: lo must be below hi, got {%s, %s}", what, check.show(a), check.show(b))
  end
  return { a, b }
end

-- rows x cols of a layout, each at least 1, at most MAX_AXES axes in all.
local function check_layout(fname, rows, cols)
  rows = check.integer(fname, "layout rows", rows, 1, MAX_SIDE)
  cols = check.integer(fname, "layout cols", cols, 1, MAX_SIDE)
  if rows * cols > MAX_AXES then
    fail(fname, "a %dx%d layout has %d axes (at most %d)", rows, cols, rows * cols, MAX_AXES)
  end
  return rows, cols
end

-- Width and height in pixels, 16 to MAX_PIXELS each.
local function check_size(fname, size)
  if type(size) ~= "table" then fail(fname, "size must be a table {width, height} in pixels") end
  return { check.integer(fname, "width", size[1], 16, MAX_PIXELS),
           check.integer(fname, "height", size[2], 16, MAX_PIXELS) }
end

-- Style strings: a line part ("-", "--", ":", "-.") and/or a marker.
local MARKERS = { o = 7, ["."] = "dot", ["+"] = 1, x = 2, ["*"] = 3, s = 5, ["^"] = 9, v = 11, d = 13 }
local function parse_style(fname, s)
  check_string(fname, s, "style")
  local dt, rest
  if s == "-." then return { line = true, dt = 4 } end
  if s:sub(1, 2) == "--" then dt, rest = 2, s:sub(3)
  elseif s:sub(1, 1) == "-" then dt, rest = 1, s:sub(2)
  elseif s:sub(1, 1) == ":" then dt, rest = 3, s:sub(2)
  else rest = s end
  if rest ~= "" and not MARKERS[rest] or (dt == nil and rest == "") then
    fail(fname, "unknown style '%s' (lines \"-\", \"--\", \":\", \"-.\"; markers \"o\", \".\", "
      .. "\"+\", \"x\", \"*\", \"s\", \"^\", \"v\", \"d\"; or both, as \"-o\")", s)
  end
  return { line = dt ~= nil, dt = dt, marker = MARKERS[rest] }
end

local function check_color(fname, c, alpha)
  check_text(fname, c, "color", true)
  local hex = NAMED[c] or (c:match("^#%x%x%x%x%x%x$") and c)
  if alpha and alpha < 1 and not hex then
    fail(fname, "alpha needs a color given as #rrggbb or a name gd.plot knows, got '%s'", c)
  end
  if not hex and not c:match("^#%x%x%x%x%x%x%x%x$") and not c:match("^[%w_%- ]+$") then
    fail(fname, "bad color %s (a name or #rrggbb)", check.show(c))
  end
  return hex or c
end

-- The options every series takes, checked; returns a series skeleton.
local function series_opts(fname, o, default_style)
  local s = { title = o.title or o.label }
  if s.title ~= nil then check_text(fname, s.title, "title") end
  s.style = parse_style(fname, o.style or default_style)
  if o.alpha ~= nil then s.alpha = check.number(fname, "alpha", o.alpha, 0, 1) end
  if o.color ~= nil then s.color = check_color(fname, o.color, s.alpha) end
  local lw, ps = o.linewidth or o.lw, o.pointsize or o.ps
  if lw ~= nil then s.lw = check_positive(fname, lw, "linewidth") end
  if ps ~= nil then s.ps = check_positive(fname, ps, "pointsize") end
  return s
end

---------------------------------------------------------------------------
-- figures and axes

local Figure, Axes = {}, {}
Figure.__index, Axes.__index = Figure, Axes
Figure.__name, Axes.__name = "gd.plot.Figure", "gd.plot.Axes"

local current                      -- the figure of the quick functions

local function new_figure(fname, opts)
  opts = check.opts(fname, opts, set_of { "layout", "size", "title", "sharex", "sharey" })
  local layout = opts.layout or { 1, 1 }
  if type(layout) ~= "table" then fail(fname, "layout must be a table {rows, cols}") end
  local rows, cols = check_layout(fname, layout[1], layout[2])
  local size
  if opts.size ~= nil then size = check_size(fname, opts.size)
  elseif cols == 1 and rows == 1 then size = DEFAULT_SIZE
  else size = { math.min(560 * cols, 1800), math.min(420 * rows, 1400) } end
  if opts.title ~= nil then check_text(fname, opts.title, "title") end
  local fig = setmetatable({ rows = rows, cols = cols, size = size, heading = opts.title,
                             axes = {}, cur = 1 }, Figure)
  for _, k in ipairs { "sharex", "sharey" } do
    if opts[k] ~= nil then fig[k] = check.boolean(fname, k, opts[k]) end
  end
  current = fig
  return fig
end

local function get_axes(fig, fname, i, j)
  local n = fig.rows * fig.cols
  if j ~= nil then
    i, j = check.integer(fname, "row", i, 1), check.integer(fname, "column", j, 1)
    if i > fig.rows or j > fig.cols then
      fail(fname, "(%d, %d) is outside the %dx%d layout", i, j, fig.rows, fig.cols)
    end
    i = (i - 1) * fig.cols + j
  end
  i = i == nil and fig.cur or check.integer(fname, "subplot", i, 1)
  if i > n then fail(fname, "subplot %d of a %dx%d layout (at most %d)", i, fig.rows, fig.cols, n) end
  local ax = fig.axes[i]
  if not ax then
    ax = setmetatable({ fig = fig, index = i, series = {}, raw = {}, log = {}, o = {} }, Axes)
    fig.axes[i] = ax
  end
  fig.cur = i
  return ax
end

local function gcf()
  return current or new_figure("gd.plot.figure", nil)
end

local function gca() return get_axes(gcf(), "gd.plot.gca") end

local function add_series(ax, fname, s)
  local three = s.kind == "wireframe" or s.kind == "surface"
  if ax.is3d ~= nil and ax.is3d ~= three then
    fail(fname, "cannot mix 3-D plots (wireframe, surface) with 2-D ones in one axes")
  end
  ax.is3d = three
  ax.series[#ax.series + 1] = s
  return s
end

---------------------------------------------------------------------------
-- series: lines and points

-- Samples of a function of one number over opts.x.
local function sample1(fname, f, o)
  if o.x == nil then fail(fname, "plotting a function needs the range x = {lo, hi}") end
  local r = check_range(fname, o.x, "x")
  local n = o.n and check.integer(fname, "n", o.n, 2, MAX_SAMPLES) or 200
  local x = gd.linspace(r[1], r[2], n)
  local y = {}
  for i = 1, n do
    local v = f(x[i])
    if type(v) ~= "number" then
      local ok, item = pcall(function() return v:item() end)
      if not ok then fail(fname, "f(x) must return a number, got %s", type(v)) end
      v = item
    end
    y[i] = v
  end
  return x, gd.tensor(y)
end

-- (x, y, style, opts), (y, style, opts) or (f, style, opts{x = {lo, hi}}).
local function xy_args(fname, default_style, extra, ...)
  local args, n = { ... }, select("#", ...)
  local data, i = {}, 1
  while i <= n and #data < 2 and (is_data(args[i]) or type(args[i]) == "function") do
    data[#data + 1] = args[i]
    i = i + 1
  end
  local style
  if type(args[i]) == "string" then style = args[i]; i = i + 1 end
  local o = args[i]
  if i < n or (o ~= nil and type(o) ~= "table") then
    fail(fname, "arguments are (x, y[, style][, opts]) or (y[, style][, opts])")
  end
  o = check.opts(fname, o, set_of(SERIES_OPTS, { "x", "n" }, extra or {}))
  if style and o.style then fail(fname, "style given twice") end
  if #data == 0 then fail(fname, "no data given") end
  local s = series_opts(fname, o, style or default_style)
  local x, y
  if type(data[1]) == "function" then
    if #data > 1 then fail(fname, "a function takes no y data") end
    x, y = sample1(fname, data[1], o)
  else
    if o.n ~= nil then fail(fname, "option n is for functions") end
    if #data == 1 then
      y = to_tensor(data[1], fname, "y")
      x = gd.arange(1, y:numel() + 1)
    else
      if type(data[2]) == "function" then fail(fname, "y must be data, not a function") end
      x, y = to_tensor(data[1], fname, "x"), to_tensor(data[2], fname, "y")
    end
    if x:numel() ~= y:numel() then
      fail(fname, "x and y have different lengths (%d and %d)", x:numel(), y:numel())
    end
  end
  if y:numel() == 0 then fail(fname, "no data (0 points)") end
  s.kind, s.cols = "xy", { x, y }
  return s, o
end

local function ax_plot(ax, fname, ...)
  add_series(ax, fname, (xy_args(fname, "-", nil, ...)))
  return ax
end

local function ax_scatter(ax, fname, ...)
  local s, o = xy_args(fname, "o", { "c", "cmap", "colorbar" }, ...)
  if o.c == nil then
    if o.cmap ~= nil or o.colorbar ~= nil then fail(fname, "cmap and colorbar go with c = values") end
    add_series(ax, fname, s)
  else
    for _, t in ipairs(kinds.colored_scatter(fname, s, o.c, o, H)) do add_series(ax, fname, t) end
  end
  return ax
end

-- A path: an (n, 2) tensor, a list of 2-vectors or {x, y} pairs, or (x, y).
local path_series
local function ax_path(ax, fname, p, ...)
  if is_data((...)) then       -- (x, y[, style][, opts])
    return path_series(ax, fname, p, ...)
  end
  local P
  if is_tensor(p) then
    P = gd.tensor(p)
  elseif type(p) == "table" and p[1] ~= nil then
    local ok, r = pcall(function()
      if is_tensor(p[1]) then return gd.stack(p) end
      return gd.tensor(p)
    end)
    if not ok then fail(fname, "points: %s", tostring(r)) end
    P = r
  else
    fail(fname, "points must be an (n, 2) tensor, a list of 2-vectors, or x, y")
  end
  if P.ndim ~= 2 or P.shape[2] ~= 2 then
    local sh = {}
    for i, d in ipairs(P.shape) do sh[i] = tostring(d) end
    fail(fname, "points must be an (n, 2) tensor or a list of 2-vectors, got shape {%s}",
      table.concat(sh, ","))
  end
  return path_series(ax, fname, P[{ {}, 1 }], P[{ {}, 2 }], ...)
end

-- The path's series (x, y[, style][, opts]) and its end markers.
function path_series(ax, fname, ...)
  local s, o = xy_args(fname, "-o", { "mark_ends", "animate" }, ...)
  add_series(ax, fname, s)
  if o.mark_ends ~= nil and check.boolean(fname, "mark_ends", o.mark_ends) then
    -- start: a circle, end: a star, in the path's color
    local c = s.color or draw.CYCLE[(#ax.series - 1) % #draw.CYCLE + 1]
    local n = s.cols[1]:numel()
    for _, e in ipairs { { 1, 7, 1.6 }, { n, 3, 2.4 } } do
      add_series(ax, fname, { kind = "xy", style = { marker = e[2] }, color = c, ps = e[3],
        cols = { gd.tensor { s.cols[1][e[1]] }, gd.tensor { s.cols[2][e[1]] } } })
    end
  end
  if o.animate ~= nil then s.animate = check.boolean(fname, "animate", o.animate) end
  return ax
end

---------------------------------------------------------------------------
-- series: histograms and bars

local function minmax(t)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(t) do
    if v == v and v > -math.huge and v < math.huge then
      if v < lo then lo = v end
      if v > hi then hi = v end
    end
  end
  return lo, hi
end

local function finite_min(t)
  return (minmax(t:reshape(t:numel()):totable()))
end

local function ax_hist(ax, fname, data, o)
  if not is_data(data) then fail(fname, "data must be a tensor or a table of numbers") end
  o = check.opts(fname, o, set_of(SERIES_OPTS, { "bins", "range", "density" }))
  local s = series_opts(fname, o, "-")
  local v = to_tensor(data, fname, "data"):totable()
  if #v == 0 then fail(fname, "no data (0 values)") end
  local edges
  if type(o.bins) == "table" or is_tensor(o.bins) then
    edges = to_tensor(o.bins, fname, "bins"):totable()
    if #edges < 2 then fail(fname, "bins: at least 2 edges needed") end
    for i = 1, #edges do
      check.number(fname, "bins: edge " .. i, edges[i])
      if i > 1 and not (edges[i] > edges[i - 1]) then fail(fname, "bins: edges must increase") end
    end
  else
    local nb = o.bins == nil and 10 or check.integer(fname, "bins", o.bins, 1, MAX_BINS)
    local lo, hi
    if o.range ~= nil then
      local r = check_range(fname, o.range, "range")
      lo, hi = r[1], r[2]
    else
      lo, hi = minmax(v)
      if lo > hi then fail(fname, "no finite values") end
      if lo == hi then lo, hi = lo - 0.5, hi + 0.5 end
    end
    edges = {}
    for k = 0, nb do edges[k + 1] = lo + (hi - lo) * k / nb end
    edges[nb + 1] = hi
  end
  local nb, lo, hi = #edges - 1, edges[1], edges[#edges]
  local counts = {}
  for k = 1, nb do counts[k] = 0 end
  local w = (hi - lo) / nb
  for _, x in ipairs(v) do
    if x >= lo and x <= hi then
      local k = math.floor((x - lo) / w) + 1
      if k > nb then k = nb end
      -- uneven edges (or rounding): step to the right bin, [e_k, e_k+1)
      while k > 1 and x < edges[k] do k = k - 1 end
      while k < nb and x >= edges[k + 1] do k = k + 1 end
      counts[k] = counts[k] + 1
    end
  end
  local heights, centers, widths, total = {}, {}, {}, 0
  for k = 1, nb do total = total + counts[k] end
  for k = 1, nb do
    widths[k] = edges[k + 1] - edges[k]
    centers[k] = (edges[k] + edges[k + 1]) / 2
    heights[k] = counts[k]
    if o.density and total > 0 then heights[k] = counts[k] / (total * widths[k]) end
  end
  s.kind, s.floor = "boxes", 0
  s.cols = { gd.tensor(centers), gd.tensor(heights), gd.tensor(widths) }
  add_series(ax, fname, s)
  return gd.tensor(counts), gd.tensor(edges)
end

local function ax_bar(ax, fname, a, b, o)
  if type(b) == "table" and not is_data(b) then o, b = b, nil end
  o = check.opts(fname, o, set_of(SERIES_OPTS, { "width" }))
  local s = series_opts(fname, o, "-")
  local x, h, labels
  if b == nil then
    h = to_tensor(a, fname, "heights")
    x = gd.arange(1, h:numel() + 1)
  else
    h = to_tensor(b, fname, "heights")
    if type(a) == "table" and type(a[1]) == "string" then
      labels = {}
      for i, l in ipairs(a) do labels[i] = check_text(fname, l, "label") end
      x = gd.arange(1, #labels + 1)
    else
      x = to_tensor(a, fname, "x")
    end
  end
  if x:numel() ~= h:numel() then
    fail(fname, "x and heights have different lengths (%d and %d)", x:numel(), h:numel())
  end
  if h:numel() == 0 then fail(fname, "no data (0 bars)") end
  local width = o.width == nil and 0.8 or check_positive(fname, o.width, "width")
  s.kind, s.floor = "boxes", math.min(0, (finite_min(h)))
  s.cols = { x, h, gd.full({ h:numel() }, width) }
  s.labels = labels
  add_series(ax, fname, s)
  return ax
end

---------------------------------------------------------------------------
-- series on grids: contour, wireframe, surface

local function item_of(v)
  if type(v) == "number" then return v end
  local ok, r = pcall(function() return v:item() end)
  if ok and type(r) == "number" then return r end
  return nil
end

-- f(v) of a 2-vector tensor, or f(x, y) of two numbers: find out which.
local function two_arg_sampler(fname, f, x0, y0)
  local ok, r = pcall(f, gd.tensor { x0, y0 })
  if ok and item_of(r) then
    return function(x, y) return item_of(f(gd.tensor { x, y })) end
  end
  local why = ok and ("it returned a " .. type(r)) or tostring(r)
  local ok2, r2 = pcall(f, x0, y0)
  if ok2 and type(r2) == "number" then return f end
  if ok2 and item_of(r2) then return function(x, y) return item_of(f(x, y)) end end
  fail(fname, "f must return a number for a 2-vector tensor (f(v)) or for two numbers "
    .. "(f(x, y)); f(v): %s; f(x, y): %s", why, ok2 and ("returned a " .. type(r2)) or tostring(r2))
end

-- A grid from (f), (Z) or (X, Y, Z): tensors X, Y, Z of shape (ny, nx).
local function grid_args(fname, args, o, default_n)
  local nargs = #args
  local X, Y, Z, nx, ny
  local function counts()
    local n = o.n or default_n
    if type(n) == "table" then
      return check.integer(fname, "n[1]", n[1], 2, MAX_GRID), check.integer(fname, "n[2]", n[2], 2, MAX_GRID)
    end
    n = check.integer(fname, "n", n, 2, MAX_GRID)
    return n, n
  end
  local xr = o.x and check_range(fname, o.x, "x")
  local yr = o.y and check_range(fname, o.y, "y")
  if type(args[1]) == "function" then
    if nargs > 1 then fail(fname, "arguments are (f[, opts]), (Z[, opts]) or (X, Y, Z[, opts])") end
    xr = xr or { -1, 1 }
    yr = yr or xr
    nx, ny = counts()
    local xs, ys = gd.linspace(xr[1], xr[2], nx), gd.linspace(yr[1], yr[2], ny)
    local g = two_arg_sampler(fname, args[1], xs[1], ys[1])
    local rows = {}
    for j = 1, ny do
      local row, y = {}, ys[j]
      for i = 1, nx do
        local z = g(xs[i], y)
        if type(z) ~= "number" then fail(fname, "f returned a %s at (%g, %g)", type(z), xs[i], y) end
        row[i] = z
      end
      rows[j] = row
    end
    Z = gd.tensor(rows)
    X = xs:reshape(1, nx):expand(ny, nx)
    Y = ys:reshape(ny, 1):expand(ny, nx)
    return X, Y, Z, nx, ny
  end
  if o.n ~= nil then fail(fname, "option n is for functions") end
  if nargs ~= 1 and nargs ~= 3 then
    fail(fname, "arguments are (f[, opts]), (Z[, opts]) or (X, Y, Z[, opts])")
  end
  local function grid_tensor(v, what)
    local ok, t = pcall(gd.tensor, v)
    if not ok then fail(fname, "%s: %s", what, tostring(t)) end
    return t
  end
  Z = grid_tensor(args[nargs], "Z")
  if Z.ndim ~= 2 or Z.shape[1] < 2 or Z.shape[2] < 2 then
    fail(fname, "Z must be a 2-D grid of at least 2x2 values (ny, nx)")
  end
  ny, nx = Z.shape[1], Z.shape[2]
  if nargs == 1 then
    xr = xr or { 1, nx }
    yr = yr or { 1, ny }
    X = gd.linspace(xr[1], xr[2], nx):reshape(1, nx):expand(ny, nx)
    Y = gd.linspace(yr[1], yr[2], ny):reshape(ny, 1):expand(ny, nx)
  else
    if xr or yr then fail(fname, "options x and y are for functions and a lone Z") end
    X, Y = grid_tensor(args[1], "X"), grid_tensor(args[2], "Y")
    if X.ndim == 1 and X:numel() == nx then X = X:reshape(1, nx):expand(ny, nx) end
    if Y.ndim == 1 and Y:numel() == ny then Y = Y:reshape(ny, 1):expand(ny, nx) end
    if X.ndim ~= 2 or X.shape[1] ~= ny or X.shape[2] ~= nx
      or Y.ndim ~= 2 or Y.shape[1] ~= ny or Y.shape[2] ~= nx then
      fail(fname, "X and Y must be vectors of %d and %d values or grids of Z's shape (%d, %d)",
        nx, ny, ny, nx)
    end
  end
  return X, Y, Z, nx, ny
end

local function finite_range(Z)
  local lo, hi = minmax(Z:reshape(Z:numel()):totable())
  if lo > hi then return nil end
  return lo, hi
end

-- About n round levels strictly between lo and hi: multiples of a step of
-- 1, 2, 2.5 or 5 times a power of ten (as matplotlib's levels = n).
local function nice_levels(lo, hi, n)
  if not (hi > lo) then return { lo } end
  local raw = (hi - lo) / (n + 1)
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag * 10
  for _, m in ipairs { 1, 2, 2.5, 5 } do
    if m * mag >= raw then step = m * mag; break end
  end
  local levels = {}
  for k = math.floor(lo / step) + 1, math.ceil(hi / step) - 1 do
    local v = k * step
    if v > lo and v < hi then levels[#levels + 1] = v end
  end
  if #levels == 0 then levels[1] = lo / 2 + hi / 2 end   -- (lo + hi) / 2 may overflow
  return levels
end

-- n levels evenly spaced in log between the smallest positive value of Z
-- and hi (for log = true: a bowl's levels crowd near its minimum).
local function log_levels(fname, Z, hi, n)
  local lo = math.huge
  for _, v in ipairs(Z:reshape(Z:numel()):totable()) do
    if v > 0 and v < lo then lo = v end
  end
  if not (lo < hi) then fail(fname, "log = true needs positive values of Z below its largest") end
  local a, b, levels = math.log(lo), math.log(hi), {}
  for k = 1, n do levels[k] = math.exp(a + (b - a) * k / (n + 1)) end
  return levels
end

local function ax_contour(ax, fname, ...)
  local args, o = { ... }, nil
  if type(args[#args]) == "table" and not is_data(args[#args]) then o = table.remove(args) end
  o = check.opts(fname, o, set_of(SERIES_OPTS, { "x", "y", "n", "levels", "filled", "lines", "colorbar",
                                                 "cmap", "log", "labels" }))
  local s = series_opts(fname, o, "-")
  if o.style and not s.style.line then fail(fname, "contour lines take a line style") end
  local X, Y, Z, nx, ny = grid_args(fname, args, o, o.filled and 150 or 100)
  local lo, hi = finite_range(Z)
  if not lo then fail(fname, "Z has no finite values") end
  local levels = {}
  if o.log ~= nil then check.boolean(fname, "log", o.log) end
  if o.labels ~= nil then check.boolean(fname, "labels", o.labels) end
  if o.log and (o.levels == nil or type(o.levels) == "number") then
    local n = o.levels == nil and 10 or check.integer(fname, "levels", o.levels, 1, MAX_LEVELS)
    levels = log_levels(fname, Z, hi, n)
  elseif o.levels == nil or type(o.levels) == "number" then
    levels = nice_levels(lo, hi, o.levels == nil and 10 or check.integer(fname, "levels", o.levels, 1, MAX_LEVELS))
  else
    levels = to_tensor(o.levels, fname, "levels"):totable()
    if #levels == 0 then fail(fname, "levels: none given") end
    for k = 1, #levels do
      check.number(fname, "levels: value " .. k, levels[k])
      if k > 1 and not (levels[k] > levels[k - 1]) then fail(fname, "levels must increase") end
    end
  end
  s.kind, s.grid = "contour", { X, Y, Z, nx = nx, ny = ny }
  s.levels, s.filled = levels, o.filled and true or false
  s.lines = o.lines ~= false and (not s.filled or o.lines == true)
  s.colorbar = o.colorbar
  s.log, s.level_labels = o.log, o.labels
  if o.cmap ~= nil then s.cmap = check.oneof(fname, "cmap", o.cmap, draw.CMAP_NAMES) end
  if s.log and levels[1] <= 0 then fail(fname, "log = true needs positive levels, got %s", check.show(levels[1])) end
  if s.filled then
    -- band k = how many levels z reaches; NaN stays NaN (a hole in the image)
    local B = gd.zeros(ny, nx)
    for _, l in ipairs(levels) do B = B + Z:ge(l) end
    s.bands = gd.where(Z:eq(Z), B, 0 / 0)
  end
  add_series(ax, fname, s)
  return ax
end

local function grid3d(kind, default_n)
  return function(ax, fname, ...)
    local args, o = { ... }, nil
    if type(args[#args]) == "table" and not is_data(args[#args]) then o = table.remove(args) end
    o = check.opts(fname, o, set_of(SERIES_OPTS, { "x", "y", "n", "view", "colorbar", "cmap" }))
    local s = series_opts(fname, o, "-")
    local X, Y, Z, nx, ny = grid_args(fname, args, o, default_n)
    if o.view ~= nil then
      if type(o.view) ~= "table" then fail(fname, "view must be a table {rot_x, rot_z}") end
      ax.o.view = { check.number(fname, "view[1]", o.view[1]), check.number(fname, "view[2]", o.view[2]) }
    end
    s.kind, s.grid, s.colorbar = kind, { X, Y, Z, nx = nx, ny = ny }, o.colorbar
    if o.cmap ~= nil then s.cmap = check.oneof(fname, "cmap", o.cmap, draw.CMAP_NAMES) end
    add_series(ax, fname, s)
    return ax
  end
end
local ax_wireframe = grid3d("wireframe", 40)
local ax_surface = grid3d("surface", 50)

---------------------------------------------------------------------------
-- axes settings

local function ax_title(ax, fname, s) ax.o.title = check_text(fname, s, "title"); return ax end
local function ax_xlabel(ax, fname, s) ax.o.xlabel = check_text(fname, s, "label"); return ax end
local function ax_ylabel(ax, fname, s) ax.o.ylabel = check_text(fname, s, "label"); return ax end
local function ax_zlabel(ax, fname, s) ax.o.zlabel = check_text(fname, s, "label"); return ax end

local function limits(key)
  return function(ax, fname, a, b)
    if type(a) == "table" then a, b = a[1], a[2] end
    if a ~= nil then check.number(fname, "lower limit", a) end
    if b ~= nil then check.number(fname, "upper limit", b) end
    if a and b and not (a < b) then
      fail(fname, "lower limit must be below the upper, got %s, %s", check.show(a), check.show(b))
    end
    ax.o[key] = { a, b }
    return ax
  end
end
local ax_xlim, ax_ylim, ax_zlim = limits("xlim"), limits("ylim"), limits("zlim")

local function ax_logscale(ax, fname, axes, on)
  axes = axes == nil and "y" or check_string(fname, axes, "axes")
  if not axes:match("^[xyz]*$") then fail(fname, "axes must be letters of \"xyz\", got '%s'", axes) end
  for c in axes:gmatch(".") do ax.log[c] = on ~= false or nil end
  return ax
end

local KEY_WORDS = set_of { "top", "bottom", "left", "right", "center", "inside", "outside",
                          "above", "below", "box", "nobox", "horizontal", "vertical" }
-- Keywords sent as they are, so only known words, joined by single spaces.
local function check_position(fname, pos)
  check_string(fname, pos, "position")
  local words = {}
  for w in pos:gmatch("%S+") do
    if not KEY_WORDS[w] then
      fail(fname, "unknown legend position word %s (top, bottom, left, right, center, outside, box, ...)",
        check.show(w))
    end
    words[#words + 1] = w
  end
  return table.concat(words, " ")
end

-- legend(), legend(false), legend("top left"), legend{"a", "b"}[, position].
local function ax_legend(ax, fname, a, pos)
  if a == false then ax.o.legend = false; return ax end
  ax.o.legend = true
  if type(a) == "string" then ax.o.legend_pos = check_position(fname, a)
  elseif type(a) == "table" then
    for i, l in ipairs(a) do
      if not ax.series[i] then fail(fname, "%d labels for %d series", #a, #ax.series) end
      ax.series[i].title = check_text(fname, l, "label")
    end
    if pos ~= nil then ax.o.legend_pos = check_position(fname, pos) end
  elseif a ~= nil and a ~= true then
    fail(fname, "expects labels (a table), a position (a string), true or false")
  end
  return ax
end

local function ax_grid(ax, fname, on)
  if on ~= nil and type(on) ~= "boolean" then fail(fname, "expects true or false") end
  ax.o.grid = on ~= false
  return ax
end

local function ax_axis(ax, fname, mode)
  if mode ~= "equal" and mode ~= "square" and mode ~= "auto" then
    fail(fname, "mode must be \"equal\", \"square\" or \"auto\", got %s", tostring(mode))
  end
  ax.o.aspect = mode
  return ax
end

local function ax_view(ax, fname, rx, rz)
  ax.o.view = { check.number(fname, "rot_x", rx), check.number(fname, "rot_z", rz) }
  return ax
end

local function ax_gnuplot(ax, fname, cmd)
  local ok, why = draw.raw_command(cmd)
  if not ok then fail(fname, "command %s: %s", check.show(cmd), why) end
  ax.raw[#ax.raw + 1] = cmd
  return ax
end

local function check_cmap(fname, name)
  return check.oneof(fname, "cmap", name, draw.CMAP_NAMES)
end

-- plot.lua's checkers, for the kinds in plot_kinds.lua
H = { is_data = is_data, to_tensor = to_tensor, check_text = check_text, check_color = check_color,
      check_range = check_range, series_opts = series_opts, add_series = add_series, set_of = set_of,
      SERIES_OPTS = SERIES_OPTS, SERIES_SET = set_of(SERIES_OPTS), check_cmap = check_cmap }

---------------------------------------------------------------------------
-- the object API

local function method(name, impl, line)
  local f = function(self, ...)
    if getmetatable(self) ~= Axes then fail("ax:" .. name, "call it as ax:%s(...)", name) end
    return impl(self, "ax:" .. name, ...)
  end
  Axes[name] = doc(f, line)
end

method("plot", ax_plot, "ax:plot(x, y[, style][, opts]): a line; also (y), or (f, {x = {lo, hi}}); opts style, color, linewidth, pointsize, alpha, title")
method("scatter", ax_scatter, "ax:scatter(x, y[, opts]): points (style \"o\"); opts alpha, color, pointsize, style, title")
method("path", ax_path, "ax:path(P[, opts]): points joined in order (\"-o\"), P an (n, 2) tensor, a list of 2-vectors, or x, y; opts mark_ends (a circle at the start, a star at the end), animate (grows frame by frame in a GIF)")
method("hist", ax_hist, "ax:hist(x[, opts]): histogram; opts bins (a count or edges), range, density, color, alpha, title; returns counts, edges")
method("bar", ax_bar, "ax:bar([x,] heights[, opts]): bars at x (numbers or labels); opts width, color, alpha, title")
method("contour", ax_contour, "ax:contour(f | Z | X, Y, Z[, opts]): contour lines, or filled = true; opts x, y, n, levels (a count or values), lines, colorbar, cmap, log (log-spaced levels colored by log), labels (level values on the lines)")
method("wireframe", ax_wireframe, "ax:wireframe(f | Z | X, Y, Z[, opts]): 3-D mesh of f(v) or f(x, y) over x, y; opts n, view = {rot_x, rot_z}, color")
method("surface", ax_surface, "ax:surface(f | Z | X, Y, Z[, opts]): 3-D colored surface; opts x, y, n, view, colorbar")
method("title", ax_title, "ax:title(s): the axes' title")
method("xlabel", ax_xlabel, "ax:xlabel(s): the x axis label")
method("ylabel", ax_ylabel, "ax:ylabel(s): the y axis label")
method("zlabel", ax_zlabel, "ax:zlabel(s): the z axis label (3-D)")
method("xlim", ax_xlim, "ax:xlim(lo, hi): the x range (nil: automatic)")
method("ylim", ax_ylim, "ax:ylim(lo, hi): the y range (nil: automatic)")
method("zlim", ax_zlim, "ax:zlim(lo, hi): the z range (nil: automatic)")
method("logscale", ax_logscale, "ax:logscale([axes = \"y\"][, on]): log scale on the axes named by letters of \"xyz\"")
method("legend", ax_legend, "ax:legend([labels][, position]): show the legend (false hides it); labels name the series in order")
method("grid", ax_grid, "ax:grid([on = true]): grid lines")
method("axis", ax_axis, "ax:axis(mode): \"equal\" (same unit on x and y), \"square\" or \"auto\"")
method("view", ax_view, "ax:view(rot_x, rot_z): 3-D viewing angles in degrees")
method("gnuplot", ax_gnuplot, "ax:gnuplot(cmd): one raw gnuplot set/unset command sent before this axes' plot (nothing that runs or writes)")

kinds.install(method, function(name, impl, line)
  plt[name] = doc(function(...) return impl(plt.gca(), "gd.plot." .. name, ...) end, line)
end, H)

--- Figure methods.
Figure.subplot = doc(function(self, i, j)
  return get_axes(self, "fig:subplot", i, j)
end, "fig:subplot(i) or fig:subplot(row, col): the axes at position i (row-major, from 1)")
Figure.show = doc(function(self) return draw.show(self, "fig:show") end,
  "fig:show(): draw the figure where GD_PLOT says (window, png, svg, dumb, none)")
local function save_with(fig, fname, path, opts)
  check_text(fname, path, "path", true)
  opts = check.opts(fname, opts, set_of { "size" })
  local size = opts.size
  if size ~= nil then size = check_size(fname, size) end
  return draw.save(fig, fname, path, size)
end
Figure.save = doc(function(self, path, opts) return save_with(self, "fig:save", path, opts) end,
  "fig:save(path[, {size = {w, h}}]): write the figure as png, svg, pdf, eps, jpg, gif or txt (by extension; a missing folder is made), whole or not at all; returns path")
Figure.legend = doc(function(self, opts)
  local fname = "fig:legend"
  opts = check.opts(fname, opts, set_of { "position" })
  self.shared_key = opts.position == nil and "bottom"
    or check.oneof(fname, "position", opts.position, { "bottom", "top" })
  return self
end, "fig:legend([{position = \"bottom\" | \"top\"}]): one legend for the whole figure (each title once) in a strip below or above the panels, instead of one per axes")
Figure.ranges = doc(function(self) return draw.ranges(self, "fig:ranges") end,
  "fig:ranges(): the x and y ranges gnuplot draws on each axes, {[i] = {x = {lo, hi}, y = {lo, hi}}} (read back from GPVAL_)")
Figure.title = doc(function(self, s)
  self.heading = check_text("fig:title", s, "title")
  return self
end, "fig:title(s): the figure's title, above all its axes")

---------------------------------------------------------------------------
-- the quick functions, on the current figure's current axes

local function quick(name, impl, line)
  plt[name] = doc(function(...) return impl(gca(), "gd.plot." .. name, ...) end, line)
end

quick("plot", ax_plot, "gd.plot.plot(x, y[, style][, opts]): a line on the current axes; style \"-\", \"--\", \".\", \"o\", \"-o\", ...")
quick("scatter", ax_scatter, "gd.plot.scatter(x, y[, opts]): points on the current axes; opts alpha, color, pointsize, title")
quick("path", ax_path, "gd.plot.path(P[, opts]): points joined in order (an optimizer's path) on the current axes")
quick("hist", ax_hist, "gd.plot.hist(x[, opts]): histogram on the current axes; opts bins, range, density; returns counts, edges")
quick("bar", ax_bar, "gd.plot.bar([x,] heights[, opts]): bars on the current axes")
quick("contour", ax_contour, "gd.plot.contour(f | Z | X, Y, Z[, opts]): contour lines (or filled) on the current axes")
quick("wireframe", ax_wireframe, "gd.plot.wireframe(f | Z | X, Y, Z[, opts]): 3-D mesh on the current axes")
quick("surface", ax_surface, "gd.plot.surface(f | Z | X, Y, Z[, opts]): 3-D surface on the current axes")
quick("title", ax_title, "gd.plot.title(s): title of the current axes")
quick("xlabel", ax_xlabel, "gd.plot.xlabel(s): x label of the current axes")
quick("ylabel", ax_ylabel, "gd.plot.ylabel(s): y label of the current axes")
quick("zlabel", ax_zlabel, "gd.plot.zlabel(s): z label of the current axes")
quick("xlim", ax_xlim, "gd.plot.xlim(lo, hi): x range of the current axes")
quick("ylim", ax_ylim, "gd.plot.ylim(lo, hi): y range of the current axes")
quick("zlim", ax_zlim, "gd.plot.zlim(lo, hi): z range of the current axes")
quick("logscale", ax_logscale, "gd.plot.logscale([axes = \"y\"][, on]): log scale on the current axes")
quick("legend", ax_legend, "gd.plot.legend([labels][, position]): legend of the current axes (false hides it)")
quick("grid", ax_grid, "gd.plot.grid([on = true]): grid lines on the current axes")
quick("axis", ax_axis, "gd.plot.axis(mode): \"equal\", \"square\" or \"auto\" aspect of the current axes")
quick("view", ax_view, "gd.plot.view(rot_x, rot_z): 3-D view of the current axes")

plt.figure = doc(function(opts) return new_figure("gd.plot.figure", opts) end,
  "gd.plot.figure{layout = {rows, cols}, size = {w, h}, title, sharex, sharey}: a new figure, now the current one; sharex/sharey give all 2-D axes one x (y) range")
plt.subplots = doc(function(rows, cols, opts)
  local fname = "gd.plot.subplots"
  if type(rows) == "table" then rows, cols, opts = nil, nil, rows end
  rows, cols = check_layout(fname, rows == nil and 1 or rows, cols == nil and 1 or cols)
  opts = check.opts(fname, opts, set_of { "size", "title" })
  local fig = new_figure(fname, { layout = { rows, cols }, size = opts.size, title = opts.title })
  local axes = {}
  for i = 1, rows * cols do axes[i] = get_axes(fig, fname, i) end
  fig.cur = 1
  return fig, table.unpack(axes)
end, "gd.plot.subplots([rows, cols][, {size, title}]): a new figure and its axes: fig, ax1, ax2, ...")
plt.subplot = doc(function(a, b, c)
  local fname = "gd.plot.subplot"
  if c ~= nil then             -- matplotlib's subplot(rows, cols, i)
    local fig = gcf()
    local rows, cols = check_layout(fname, a, b)
    if fig.rows ~= rows or fig.cols ~= cols then
      if next(fig.axes) and (fig.rows * fig.cols > 1) then
        fail(fname, "the current figure has a %dx%d layout", fig.rows, fig.cols)
      end
      fig.rows, fig.cols = rows, cols
      if fig.size == DEFAULT_SIZE then fig.size = { math.min(560 * cols, 1800), math.min(420 * rows, 1400) } end
    end
    return get_axes(fig, fname, c)
  end
  return get_axes(gcf(), fname, a, b)
end, "gd.plot.subplot(i), subplot(row, col) or subplot(rows, cols, i): make that axes of the current figure current")
local anim_count = 0
plt.animate = doc(function(draw_fn, frames, opts)
  local fname = "gd.plot.animate"
  if type(draw_fn) ~= "function" then fail(fname, "draw_fn must be a function (fig, k), got %s", type(draw_fn)) end
  frames = check.integer(fname, "frames", frames, 1, 10000)
  opts = check.opts(fname, opts, set_of { "fps", "file", "size", "layout", "title" })
  local fps = opts.fps == nil and 10 or check.number(fname, "fps", opts.fps, 0.1, 100)
  local file = opts.file
  if file ~= nil then check_text(fname, file, "file", true)
  else
    local mode, dir = draw.destination(fname)
    if mode == "none" then file = false
    elseif mode == "inline" then file = true   -- a notebook's cell output, no file
    else
      anim_count = anim_count + 1
      file = ("%s/%s-anim%d.gif"):format(dir, draw.script_name(), anim_count)
    end
  end
  local keep, list = current, {}
  for k = 1, frames do
    local fig = new_figure(fname, { size = opts.size, layout = opts.layout, title = opts.title })
    local ok, err = pcall(draw_fn, fig, k)
    if not ok then current = keep; error(err, 0) end
    list[k] = fig
  end
  current = keep
  if not file then return nil end
  local anim = { frames = list, size = list[1].size, fps = fps, axes = {}, rows = 1, cols = 1 }
  if file == true then
    draw.show_inline(anim, fname, "gif")
    return nil
  end
  draw.save(anim, fname, file)
  if opts.file == nil then print("gd.plot: " .. file) end
  return file
end, "gd.plot.animate(draw_fn, frames[, {fps = 10, file, size, layout, title}]): an animated GIF; draw_fn(fig, k) draws frame k into a new figure; file defaults to GD_PLOT_DIR/<script>-anim<n>.gif (nothing under GD_PLOT=none; in a notebook shown inline, no file); returns the file")
plt.gcf = doc(function() return gcf() end, "gd.plot.gcf(): the current figure (made if there is none)")
plt.gca = doc(function() return gca() end, "gd.plot.gca(): the current axes of the current figure")
plt.show = doc(function()
  local fig = current
  if not fig then return nil end
  current = nil                 -- as matplotlib: the next plot starts a new figure
  return draw.show(fig, "gd.plot.show")
end, "gd.plot.show(): draw the current figure where GD_PLOT says, and start a new one")
plt.savefig = doc(function(path, opts)
  return save_with(gcf(), "gd.plot.savefig", path, opts)
end, "gd.plot.savefig(path[, {size}]): write the current figure as png, svg, pdf or txt (by extension)")
plt.clf = doc(function() current = nil end, "gd.plot.clf(): drop the current figure; the next plot starts a new one")
plt.close = doc(function() current = nil end, "gd.plot.close(): the same as gd.plot.clf()")
plt.output = doc(function(mode, dir)
  local fname = "gd.plot.output"
  if mode ~= nil and not draw.MODES[mode] then
    fail(fname, "mode must be window, png, svg, dumb or none, got %s", tostring(mode))
  end
  if dir ~= nil then check_text(fname, dir, "dir", true) end
  return draw.output(mode, dir)
end, "gd.plot.output([mode][, dir]): where show() draws, over GD_PLOT and GD_PLOT_DIR (nil: back to them); returns the old ones")
plt.shutdown = doc(function() draw.shutdown() end,
  "gd.plot.shutdown(): end the gnuplot processes gd.plot keeps between figures (the next figure starts one)")
plt.destination = doc(function() return draw.destination("gd.plot.destination") end,
  "gd.plot.destination(): the mode and directory show() would use now")

return plt
