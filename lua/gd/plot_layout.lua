-- gd.plot_layout: where things go on a 2-D axes of a gd.plot figure.
-- The drawn ranges: the data's extent with a 5% margin on each side (as
-- matplotlib), never snapped to the next tick; grids (contours, images)
-- are drawn edge to edge and bars stand on 0.  The legend's place: the
-- corner whose box holds the fewest data points, and outside the axes
-- when every corner holds some.  lua/gd/plot_draw.lua asks; nothing here
-- talks to gnuplot.
local M = {}

M.MARGIN = 0.05                    -- of the data's span, each side

local function finite(v) return v == v and v > -math.huge and v < math.huge end

local function list(t) return t:reshape(t:numel()):totable() end

-- lo, hi of the finite values of the Lua arrays given (positive only on a
-- log axis), widened by each array's offsets d (a list, or nil); nil when none.
local function span(log, arrays)
  local lo, hi = math.huge, -math.huge
  for _, a in ipairs(arrays) do
    local v, d, sign = a[1], a[2], a[3] or 1
    for i = 1, #v do
      local x = v[i] + (d and sign * d[i] or 0)
      if finite(x) and (not log or x > 0) then
        if x < lo then lo = x end
        if x > hi then hi = x end
      end
    end
  end
  if lo > hi then return nil end
  return lo, hi
end

-- The extent a series asks of axis k ("x" or "y"): lo, hi, tight (no
-- margin), base (an end kept as it is: bars' floor); nil when it has none.
local function series_extent(s, k, log)
  if s.kind == "xy" or s.kind == "band" or s.kind == "errorbar" or s.kind == "vectors" then
    local i = k == "x" and 1 or 2
    local arrays = { { list(s.cols[i]) } }
    if s.kind == "band" and k == "y" then arrays[2] = { list(s.cols[3]) } end
    if s.kind == "vectors" then arrays[2] = { arrays[1][1], list(s.cols[i + 2]), 1 } end
    if s.err and s.err[k] then
      local e = list(s.err[k])
      arrays[2], arrays[3] = { arrays[1][1], e, 1 }, { arrays[1][1], e, -1 }
    end
    local lo, hi = span(log, arrays)
    return lo, hi, false
  elseif s.kind == "line" then
    if s.axis ~= k then return nil end
    if log and s.at <= 0 then return nil end
    return s.at, s.at, false
  elseif s.kind == "boxes" then
    if k == "x" then
      local c, w = list(s.cols[1]), list(s.cols[3])
      for i = 1, #w do w[i] = w[i] / 2 end
      return span(log, { { c, w, 1 }, { c, w, -1 } })
    end
    local lo, hi = span(log, { { list(s.cols[2]) }, { { s.floor } } })
    return lo, hi, false, (not log and s.floor >= 0) and 0 or nil
  elseif s.kind == "contour" or s.kind == "image" then
    local lo, hi = span(log, { { list(s.grid[k == "x" and 1 or 2]) } })
    if lo and s.kind == "image" then
      local n = k == "x" and s.grid.nx or s.grid.ny
      local h = n > 1 and (hi - lo) / (n - 1) / 2 or 0.5
      lo, hi = lo - h, hi + h
    end
    return lo, hi, true
  end
  return nil
end

-- {lo, hi} drawn on axis k of a 2-D axes, or nil (gnuplot's autoscale,
-- when nothing has an extent).  A limit the user set wins; the other end
-- comes from the data.
function M.range(ax, k)
  local lim = ax.o[k .. "lim"] or {}
  if lim[1] and lim[2] then return nil end
  local log = ax.log[k]
  local mlo, mhi, tlo, thi, base = math.huge, -math.huge, math.huge, -math.huge, nil
  for _, s in ipairs(ax.series) do
    local lo, hi, tight, b = series_extent(s, k, log)
    if lo then
      if tight then tlo, thi = math.min(tlo, lo), math.max(thi, hi)
      else mlo, mhi = math.min(mlo, lo), math.max(mhi, hi) end
      if b then base = b end
    end
  end
  if mlo > mhi and tlo > thi then return nil end
  if mlo <= mhi then
    local f = log and math.log or function(v) return v end
    local g = log and math.exp or f
    local a, b = f(mlo), f(mhi)
    local d = b - a
    if d == 0 then d = a ~= 0 and math.abs(a) * 2 or 2 end
    local keep = base and base == mlo
    mlo, mhi = g(a - M.MARGIN * d), g(b + M.MARGIN * d)
    if keep then mlo = base end
  end
  local lo, hi = math.min(mlo, tlo), math.max(mhi, thi)
  lo, hi = lim[1] or lo, lim[2] or hi
  if not (finite(lo) and finite(hi) and lo < hi) then return nil end
  return { lo, hi }
end

-- {lo, hi} on axis k for ax, shared by all 2-D axes of its figure when
-- the figure says sharex (sharey): the union of their ranges.
function M.axis_range(ax, k)
  local fig = ax.fig
  if not (fig and fig["share" .. k]) then return M.range(ax, k) end
  local lo, hi = math.huge, -math.huge
  for _, a in pairs(fig.axes) do
    if not a.is3d then
      local r = M.range(a, k)
      if r then lo, hi = math.min(lo, r[1]), math.max(hi, r[2]) end
    end
  end
  if lo < hi then return { lo, hi } end
  return nil
end

-- Points of the xy series in axes coordinates [0, 1]² (lines sampled
-- between their points too), for the legend's choice; at most ~4000.
local function sample_points(ax, rx, ry)
  local pts = {}
  -- where a value lands along a drawn range, 0 to 1 (in log on a log axis)
  local function at(v, r, log)
    if log then return (math.log(v) - math.log(r[1])) / (math.log(r[2]) - math.log(r[1])) end
    return (v - r[1]) / (r[2] - r[1])
  end
  local function add(x, y)
    local u, v = at(x, rx, ax.log.x), at(y, ry, ax.log.y)
    if finite(u) and finite(v) then pts[#pts + 1] = { u, v } end
  end
  for _, s in ipairs(ax.series) do
    if s.kind == "xy" or s.kind == "band" or s.kind == "errorbar" or s.kind == "vectors" then
      local x, y = list(s.cols[1]), list(s.cols[2])
      local n = #x
      local step = math.max(1, n // 2000)
      local sub = (s.style and s.style.line or s.kind == "band") and math.max(1, 2000 // n) or 1
      sub = math.min(sub, 20)
      local e = s.err and s.err.y and list(s.err.y)
      for i = 1, n, step do
        add(x[i], y[i])
        if e then add(x[i], y[i] + e[i]); add(x[i], y[i] - e[i]) end
        local j = i + step
        if sub > 1 and j <= n then
          for t = 1, sub - 1 do
            add(x[i] + (x[j] - x[i]) * t / sub, y[i] + (y[j] - y[i]) * t / sub)
          end
        end
      end
    elseif s.kind == "line" then
      for t = 0, 20 do
        if s.axis == "y" then add(rx[1] + (rx[2] - rx[1]) * t / 20, s.at)
        else add(s.at, ry[1] + (ry[2] - ry[1]) * t / 20) end
      end
    end
  end
  return pts
end

-- The legend's place for titles (a list of strings) on an axes drawn over
-- rx, ry in a panel of w x h pixels: a gnuplot key position.
function M.key_position(ax, rx, ry, titles, w, h)
  if not (rx and ry) then return "top right" end
  local len = 0
  for _, t in ipairs(titles) do len = math.max(len, utf8.len(t) or #t) end
  -- the key's box as a fraction of the plot area (about 80% of the panel)
  local kw = math.min(1, (len * 8 + 80) / (0.8 * w))
  local kh = math.min(1, (#titles * 18 + 20) / (0.8 * h))
  local pts = sample_points(ax, rx, ry)
  local best, fewest = nil, math.huge
  for _, c in ipairs { { "top right", 1, 1 }, { "top left", 0, 1 },
                       { "bottom right", 1, 0 }, { "bottom left", 0, 0 } } do
    local n = 0
    for _, p in ipairs(pts) do
      local inx = c[2] == 1 and p[1] >= 1 - kw or c[2] == 0 and p[1] <= kw
      local iny = c[3] == 1 and p[2] >= 1 - kh or c[3] == 0 and p[2] <= kh
      if inx and iny then n = n + 1 end
    end
    if n < fewest then best, fewest = c[1], n end
  end
  if fewest == 0 then return best end
  return "outside right top"
end

local doc = require("gd").doc
M.range = doc(M.range, "gd.plot_layout.range(ax, k): {lo, hi} drawn on axis k: the data with a 5% margin (grids edge to edge, bars on 0), or nil")
M.axis_range = doc(M.axis_range, "gd.plot_layout.axis_range(ax, k): range(), shared over the figure's 2-D axes under sharex/sharey")
M.key_position = doc(M.key_position, "gd.plot_layout.key_position(ax, rx, ry, titles, w, h): the corner with fewest data points under the key, else outside")

return M
