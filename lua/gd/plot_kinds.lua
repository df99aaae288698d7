-- gd.plot_kinds: the annotation and extra kinds of gd.plot (issue 13):
-- text, arrow, quiver, gradient_field, errorbar, fill_between, hline,
-- vline, point, imshow/heatmap and scatter's c = labels or values.  Each
-- builder checks its arguments and adds a series (or an annotation) to an
-- axes; lua/gd/plot_draw.lua draws them.  plot.lua hands in its helpers
-- (H) and its registrars, so there is one checker of each thing.
local gd = require "gd"
local check = require "gd.check"

local fail = check.fail
local M = {}

-- The kinds' series, as plot_draw sees them:
--   {kind = "vectors", cols = {x, y, u, v}}          quiver, gradient_field
--   {kind = "errorbar", cols = {x, y, e}, err = {y = e}}
--   {kind = "band", cols = {x, lo, hi}}              fill_between
--   {kind = "line", axis = "x" | "y", at}            vline, hline
--   {kind = "image", grid = {X, Y, Z, nx, ny}, annot, fmt}   imshow, heatmap
--   {kind = "xy", cols = {x, y, c}, cmap}            scatter{c = values}
-- and on the axes: ax.labels = {{x, y, s, color, align}}, ax.arrows.

function M.install(method, quick, H)
  local function same_length(fname, names, ts)
    for i = 2, #ts do
      if ts[i]:numel() ~= ts[1]:numel() then
        fail(fname, "%s and %s have different lengths (%d and %d)", names[1], names[i],
          ts[1]:numel(), ts[i]:numel())
      end
    end
    if ts[1]:numel() == 0 then fail(fname, "no data (0 points)") end
  end

  local function tensors(fname, names, ...)
    local args, ts = { ... }, {}
    for i, n in ipairs(names) do
      if not H.is_data(args[i]) then fail(fname, "%s must be a tensor or a table of numbers", n) end
      ts[i] = H.to_tensor(args[i], fname, n)
    end
    same_length(fname, names, ts)
    return ts
  end

  local ALIGN = { left = "left", center = "center", right = "right" }
  local function ax_text(ax, fname, x, y, s, o)
    check.number(fname, "x", x)
    check.number(fname, "y", y)
    H.check_text(fname, s, "text")
    o = check.opts(fname, o, H.set_of { "color", "align" })
    local c = o.color ~= nil and H.check_color(fname, o.color) or "#000000"
    local align = o.align == nil and "left" or check.oneof(fname, "align", o.align, { "left", "center", "right" })
    ax.labels = ax.labels or {}
    ax.labels[#ax.labels + 1] = { x = x, y = y, s = s, color = c, align = ALIGN[align] }
    return ax
  end
  method("text", ax_text, "ax:text(x, y, s[, {color, align}]): the text s at (x, y) in data coordinates; align left, center, right")
  quick("text", ax_text, "gd.plot.text(x, y, s[, opts]): text at (x, y) on the current axes")

  local function ax_arrow(ax, fname, x1, y1, x2, y2, o)
    check.number(fname, "x1", x1); check.number(fname, "y1", y1)
    check.number(fname, "x2", x2); check.number(fname, "y2", y2)
    o = check.opts(fname, o, H.set_of { "color", "linewidth", "lw" })
    local lw = o.linewidth or o.lw
    ax.arrows = ax.arrows or {}
    ax.arrows[#ax.arrows + 1] = { x1, y1, x2, y2, color = o.color ~= nil and H.check_color(fname, o.color) or "#000000",
      lw = lw ~= nil and check.number(fname, "linewidth", lw, 0, nil, true) or 1 }
    return ax
  end
  method("arrow", ax_arrow, "ax:arrow(x1, y1, x2, y2[, {color, linewidth}]): an arrow from (x1, y1) to (x2, y2)")
  quick("arrow", ax_arrow, "gd.plot.arrow(x1, y1, x2, y2[, opts]): an arrow on the current axes")

  local function vectors(ax, fname, x, y, u, v, o)
    local s = H.series_opts(fname, o, "-")
    s.kind, s.cols = "vectors", { x, y, u, v }
    H.add_series(ax, fname, s)
    return ax
  end
  local function ax_quiver(ax, fname, x, y, u, v, o)
    o = check.opts(fname, o, H.set_of(H.SERIES_OPTS, { "scale" }))
    local ts = tensors(fname, { "x", "y", "u", "v" }, x, y, u, v)
    local k = o.scale == nil and 1 or check.number(fname, "scale", o.scale, 0, nil, true)
    o.scale = nil
    return vectors(ax, fname, ts[1], ts[2], ts[3] * k, ts[4] * k, o)
  end
  method("quiver", ax_quiver, "ax:quiver(x, y, u, v[, opts]): arrows from (x, y) along (u, v); opts scale, color, linewidth, title")
  quick("quiver", ax_quiver, "gd.plot.quiver(x, y, u, v[, opts]): arrows on the current axes")

  -- Arrows of -grad f on an n x n grid, gradients from the tape (gd.grad),
  -- scaled so that the longest is 0.9 of a grid cell.
  local function ax_gradient_field(ax, fname, f, o)
    if type(f) ~= "function" then fail(fname, "f must be a function of a 2-vector, got %s", type(f)) end
    o = check.opts(fname, o, H.set_of(H.SERIES_OPTS, { "x", "y", "n" }))
    local xr = o.x ~= nil and H.check_range(fname, o.x, "x") or { -1, 1 }
    local yr = o.y ~= nil and H.check_range(fname, o.y, "y") or xr
    local n = o.n == nil and 15 or check.integer(fname, "n", o.n, 2, 200)
    o.x, o.y, o.n = nil, nil, nil
    local df = gd.grad(f)
    local xs, ys, us, vs = {}, {}, {}, {}
    local longest = 0
    for i = 0, n - 1 do
      for j = 0, n - 1 do
        local x = xr[1] + (xr[2] - xr[1]) * i / (n - 1)
        local y = yr[1] + (yr[2] - yr[1]) * j / (n - 1)
        local ok, g = pcall(df, gd.tensor { x, y })
        if not ok then fail(fname, "gd.grad(f) at (%g, %g): %s", x, y, tostring(g)) end
        local gx, gy = g[1], g[2]
        if gx == gx and gy == gy then
          xs[#xs + 1], ys[#ys + 1], us[#us + 1], vs[#vs + 1] = x, y, -gx, -gy
          longest = math.max(longest, math.sqrt(gx * gx + gy * gy))
        end
      end
    end
    if #xs == 0 then fail(fname, "the gradient of f is NaN everywhere on the grid") end
    local cell = math.min((xr[2] - xr[1]), (yr[2] - yr[1])) / (n - 1)
    local k = longest > 0 and 0.9 * cell / longest or 0
    return vectors(ax, fname, gd.tensor(xs), gd.tensor(ys), gd.tensor(us) * k, gd.tensor(vs) * k, o)
  end
  method("gradient_field", ax_gradient_field, "ax:gradient_field(f[, {x, y, n}]): arrows of -grad f (from gd.grad) on an n x n grid over x, y, the longest 0.9 of a cell")
  quick("gradient_field", ax_gradient_field, "gd.plot.gradient_field(f[, opts]): arrows of -grad f on the current axes")

  -- A series of equally long columns (names), with the options every series takes.
  local function columns(ax, fname, kind, names, style, o, ...)
    o = check.opts(fname, o, H.SERIES_SET)
    local ts = tensors(fname, names, ...)
    if kind == "band" and o.alpha == nil then o.alpha = 0.3 end
    local s = H.series_opts(fname, o, style)
    s.kind, s.cols = kind, ts
    if kind == "errorbar" then s.err = { y = ts[3] } end
    H.add_series(ax, fname, s)
    return ax
  end

  local function ax_errorbar(ax, fname, x, y, e, o)
    return columns(ax, fname, "errorbar", { "x", "y", "err" }, "o", o, x, y, e)
  end
  method("errorbar", ax_errorbar, "ax:errorbar(x, y, err[, opts]): points with error bars y +- err; style \"-o\" joins them")
  quick("errorbar", ax_errorbar, "gd.plot.errorbar(x, y, err[, opts]): error bars on the current axes")

  local function ax_fill_between(ax, fname, x, lo, hi, o)
    return columns(ax, fname, "band", { "x", "lo", "hi" }, "-", o, x, lo, hi)
  end
  method("fill_between", ax_fill_between, "ax:fill_between(x, lo, hi[, {alpha = 0.3, color, title}]): the band between two curves")
  quick("fill_between", ax_fill_between, "gd.plot.fill_between(x, lo, hi[, opts]): a band on the current axes")

  local function line(axis)
    return function(ax, fname, at, o)
      check.number(fname, axis == "y" and "y" or "x", at)
      o = check.opts(fname, o, H.SERIES_SET)
      local s = H.series_opts(fname, o, "--")
      if not s.style.line then fail(fname, "takes a line style (\"-\", \"--\", \":\", \"-.\")") end
      s.kind, s.axis, s.at = "line", axis, at
      H.add_series(ax, fname, s)
      return ax
    end
  end
  method("hline", line("y"), "ax:hline(y[, opts]): a horizontal line across the axes at y (style \"--\")")
  method("vline", line("x"), "ax:vline(x[, opts]): a vertical line across the axes at x (style \"--\")")
  quick("hline", line("y"), "gd.plot.hline(y[, opts]): a horizontal line on the current axes")
  quick("vline", line("x"), "gd.plot.vline(x[, opts]): a vertical line on the current axes")

  local function ax_point(ax, fname, x, y, o)
    check.number(fname, "x", x)
    check.number(fname, "y", y)
    o = check.opts(fname, o, H.set_of(H.SERIES_OPTS, { "marker" }))
    if o.marker ~= nil and o.style ~= nil then fail(fname, "marker and style given both") end
    o.style, o.marker = o.marker or o.style or "*", nil
    if o.pointsize == nil and o.ps == nil then o.ps = 2.5 end
    local s = H.series_opts(fname, o, "*")
    if s.style.line then fail(fname, "marker must be a marker (\"o\", \"*\", \"x\", \"+\", \"s\", ...)") end
    s.kind, s.cols = "xy", { gd.tensor { x }, gd.tensor { y } }
    H.add_series(ax, fname, s)
    return ax
  end
  method("point", ax_point, "ax:point(x, y[, {marker = \"*\", label, color, pointsize}]): one marked point (a minimum, a start)")
  quick("point", ax_point, "gd.plot.point(x, y[, opts]): one marked point on the current axes")

  -- Z drawn as cells, row 1 on top (as a matrix); heatmap writes each value.
  local function image(annotate)
    return function(ax, fname, Z, o)
      o = check.opts(fname, o, H.set_of { "cmap", "colorbar", "labels", "xlabels", "ylabels", "fmt", "title" })
      local ok, T = pcall(gd.tensor, Z)
      if not ok then fail(fname, "Z: %s", tostring(T)) end
      if T.ndim ~= 2 or T:numel() == 0 then fail(fname, "Z must be a 2-D grid (rows, cols)") end
      local ny, nx = T.shape[1], T.shape[2]
      if annotate and nx * ny > 2500 then fail(fname, "at most 2500 cells are labelled, Z has %d", nx * ny) end
      local s = { style = {}, title = o.title ~= nil and H.check_text(fname, o.title, "title") or nil }
      s.kind = "image"
      s.grid = { gd.arange(1, nx + 1):reshape(1, nx):expand(ny, nx), gd.arange(1, ny + 1):reshape(ny, 1):expand(ny, nx),
                 T, nx = nx, ny = ny }
      s.cmap = o.cmap ~= nil and H.check_cmap(fname, o.cmap) or nil
      s.colorbar = o.colorbar ~= false
      s.annot = annotate
      s.fmt = o.fmt ~= nil and H.check_text(fname, o.fmt, "fmt", true) or "%.3g"
      if not pcall(string.format, s.fmt, 1) then fail(fname, "fmt %s is not a number format", check.show(s.fmt)) end
      local xl, yl = o.xlabels or o.labels, o.ylabels or o.labels
      for _, p in ipairs { { xl, nx, "xlabels" }, { yl, ny, "ylabels" } } do
        if p[1] ~= nil then
          if type(p[1]) ~= "table" or #p[1] ~= p[2] then fail(fname, "%s must be a list of %d strings", p[3], p[2]) end
          for i, l in ipairs(p[1]) do H.check_text(fname, l, p[3] .. "[" .. i .. "]") end
        end
      end
      s.xlabels, s.ylabels = xl, yl
      ax.o.yreverse = true
      H.add_series(ax, fname, s)
      return ax
    end
  end
  method("imshow", image(false), "ax:imshow(Z[, {cmap, colorbar = true, labels, xlabels, ylabels}]): the matrix Z as colored cells, row 1 on top")
  method("heatmap", image(true), "ax:heatmap(Z[, {labels, xlabels, ylabels, fmt = \"%.3g\", cmap, colorbar}]): cells with their values written in (a confusion matrix)")
  quick("imshow", image(false), "gd.plot.imshow(Z[, opts]): the matrix Z as colored cells on the current axes")
  quick("heatmap", image(true), "gd.plot.heatmap(Z[, opts]): cells with their values on the current axes")
end

-- scatter{c = ...}: labels (strings, or integers) give one series per class
-- (a legend entry each, in the color cycle); other numbers color by value
-- through the colormap.  Returns the series to add.
function M.colored_scatter(fname, s, c, o, H)
  local x, y = s.cols[1], s.cols[2]
  local n = x:numel()
  local list
  if type(c) == "table" and type(c[1]) == "string" then list = c
  else list = H.to_tensor(c, fname, "c"):totable() end
  if #list ~= n then fail(fname, "c has %d values for %d points", #list, n) end
  local classes = type(list[1]) == "string"
  if not classes then
    classes = true
    for _, v in ipairs(list) do
      if type(v) ~= "number" or v ~= math.floor(v) or math.abs(v) > 1e6 then classes = false; break end
    end
    local seen = {}
    for _, v in ipairs(list) do seen[v] = true end
    local k = 0
    for _ in pairs(seen) do k = k + 1 end
    if k > 20 then classes = false end
  end
  if o.cmap ~= nil then s.cmap = H.check_cmap(fname, o.cmap) end
  if not classes then
    s.cols[3] = gd.tensor(list)
    s.colorbar = o.colorbar ~= false
    return { s }
  end
  if o.colorbar then fail(fname, "colorbar is for c = values; c = labels gets a legend entry per class") end
  local order, members = {}, {}
  for i, v in ipairs(list) do
    if type(v) == "string" then H.check_text(fname, v, "c[" .. i .. "]") end
    if not members[v] then members[v] = {}; order[#order + 1] = v end
    members[v][#members[v] + 1] = i
  end
  table.sort(order, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  local out = {}
  for _, v in ipairs(order) do
    local idx = members[v]
    local xs, ys = {}, {}
    for j, i in ipairs(idx) do xs[j], ys[j] = x[i], y[i] end
    local t = {}
    for k, val in pairs(s) do t[k] = val end
    t.cols = { gd.tensor(xs), gd.tensor(ys) }
    t.title = (s.title and (s.title .. " ") or "") .. (type(v) == "number" and ("%.10g"):format(v) or v)
    out[#out + 1] = t
  end
  return out
end

local doc = require("gd").doc
M.install = doc(M.install, "gd.plot_kinds.install(method, quick, H): register the annotation kinds as ax: methods and gd.plot functions")
M.colored_scatter = doc(M.colored_scatter, "gd.plot_kinds.colored_scatter(fname, s, c, o, H): scatter{c}: a series per class, or one colored by value")

return M
