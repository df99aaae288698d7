-- gd.plot_draw: a gd.plot figure as gnuplot commands on a plot pipe, and
-- where figures go (files, text, windows: GD_PLOT).  lua/gd/plot.lua builds
-- and checks figures; this file only draws them, so everything it is given
-- has been checked already.
--
-- The figure model (built by plot.lua):
--   fig    = {rows, cols, size = {w, h}, heading, axes = {[i] = ax}}
--   ax     = {series = {...}, raw = {gnuplot commands}, log = {x = true, ...},
--             is3d, o = {title, xlabel, ylabel, zlabel, xlim, ylim, zlim,
--                        legend, legend_pos, grid, aspect, view}}
--   series = {kind = "xy" | "boxes" | "contour" | "wireframe" | "surface",
--             title, style = {line, dt, marker}, color, alpha, lw, ps,
--             cols = {tensors} (xy, boxes), labels, floor (boxes),
--             grid = {X, Y, Z, nx, ny} (Z of shape (ny, nx)), levels,
--             filled, lines, bands, colorbar (contour and 3-D)}
--
-- Data: up to INLINE_MAX numbers go inline as a datablock ($name << EOD);
-- more go into a float64 temp file, since gnuplot reads its stdin one byte
-- per system call (about 2 µs a byte: 1000 numbers of text cost ~20 ms).
local pipe = require("gd.core")._plotpipe
local check = require "gd.check"
local layout = require "gd.plot_layout"

local M = {}

local INLINE_MAX = 1000            -- numbers sent as text; more go to a temp file
-- matplotlib's colors, which series take in turn
M.CYCLE = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }
local CYCLE = M.CYCLE
local color = require "gd.plot_color"
M.CMAP_NAMES = color.NAMES
local palette, cmap_color = color.palette, color.cmap_color
local PACKAGE_HINT = "install the Debian package gnuplot-nox (apt-get install gnuplot-nox), "
  .. "or set GD_PLOT=none to skip plots"

local fail = check.fail

---------------------------------------------------------------------------
-- the figure as gnuplot commands

-- The one way any text reaches gnuplot: titles, labels, legend entries,
-- tick labels, colors, file names, everything that is not a number gd
-- formats or a keyword it chose.  gnuplot runs `cmd` in backquotes and
-- expands @macros on the command line, and a newline ends a command; in a
-- single-quoted string none of that happens and there are no escapes.  So
-- the text goes out single-quoted, cut at each quote and newline, which
-- come as the constant strings "'" and "\n" joined with `.`: it's →
-- 'it'."'".'s', a line break never ends the command (gnuplot's own '' for
-- a quote fails at the start of a string).  Every other control character
-- (C0, DEL) is refused; oneline refuses newlines too (file names).  The
-- terminals are all noenhanced, so ^ _ @ { } show as they are.
-- Returns the gnuplot string expression, or nil and why not.
local CUT = { ["'"] = [['."'".']], ["\n"] = [['."\n".']] }
local function literal(s, oneline)
  if type(s) ~= "string" then return nil, "a string is expected, got " .. type(s) end
  local bad = s:find(oneline and "[\0-\31\127]" or "[\0-\9\11-\31\127]")
  if bad then
    local b = s:byte(bad)
    local name = ({ [10] = "newline", [13] = "carriage return", [9] = "tab", [0] = "NUL" })[b]
    return nil, ("control character %s at byte %d (%s)"):format(("\\%d"):format(b), bad,
      name or "C0/DEL") .. (oneline and "" or "; text may hold newlines, no other control characters")
  end
  return "'" .. s:gsub("['\n]", CUT) .. "'"
end
M.literal = literal

-- The gate for ax:gnuplot(cmd), the one raw command a user can send: one
-- `set` or `unset` statement (or `exit`) that neither runs nor writes
-- anything.  Refused: backquotes, @macros, `system`, a second statement
-- (`;`), control characters, pipes and file output (`set output`, `print`,
-- `table`, `term`, `fit` logs, load paths; gnuplot accepts any unambiguous
-- prefix, so a word that is a prefix of one of those counts as it), and a
-- quoted string that starts with < or | (gnuplot opens those as commands).
-- Returns cmd, or nil and why not.
local RAW_FIRST = { set = true, unset = true, exit = true }
local RAW_REFUSED = { "output", "print", "table", "terminal", "fit", "loadpath", "fontpath",
                      "psdir", "history", "macros" }
function M.raw_command(cmd)
  if type(cmd) ~= "string" then return nil, "a string is expected, got " .. type(cmd) end
  if cmd:find("[%c\127]") then return nil, "control characters are refused" end
  if cmd:find("[`@;!]") then return nil, "backquotes, @, ; and ! are refused" end
  if cmd:find("system", 1, true) then return nil, "system() is refused" end
  if cmd:find("['\"]%s*[<|]") then return nil, "a quoted name starting with < or | (a pipe) is refused" end
  local first, opt = cmd:match("^%s*(%a+)%s*(%a*)")
  if not first or not RAW_FIRST[first] then
    return nil, "only a set, unset or exit command is sent raw, got " .. check.show(cmd)
  end
  if opt ~= "" then
    for _, r in ipairs(RAW_REFUSED) do
      if r:sub(1, #opt) == opt or opt:sub(1, #r) == r then
        return nil, ("'%s %s' may write or run something and is refused"):format(first, opt)
      end
    end
  end
  return cmd
end

-- literal(s) for the commands; plot.lua has checked the user's text with
-- literal already, so this fails only for names from elsewhere (arg[0]).
local function text(s, oneline)
  local lit, why = literal(s, oneline)
  if not lit then error("gd.plot: text " .. check.show(s) .. ": " .. why, 0) end
  return lit
end


local function finite(v) return v == v and v > -math.huge and v < math.huge end

-- The one way numbers reach gnuplot (gd formats them; gnuplot has no inf).
local function num(v)
  if not finite(v) then
    error("gd.plot: internal error: non-finite number " .. tostring(v) .. " in a gnuplot command", 0)
  end
  return string.format("%.10g", v)
end

-- Colors with alpha are #AARRGGBB, AA the transparency (00 opaque).
local function colorspec(c, alpha)
  if alpha and alpha < 1 and c:match("^#%x%x%x%x%x%x$") then
    c = string.format("#%02x%s", math.floor((1 - alpha) * 255 + 0.5), c:sub(2))
  end
  return "lc rgb " .. text(c, true)
end

local function title_of(s)
  return s.title and ("title " .. text(s.title)) or "notitle"
end

-- Where the data of one series goes: inline text or a temp file.
local function upload(ctx, cols, nx, ny)
  local n = cols[1]:numel()
  ctx.k = ctx.k + 1
  if n * #cols <= INLINE_MAX then
    local name = ("gd%d_%d"):format(ctx.id, ctx.k)
    ctx.check(ctx.p:datablock(name, cols, nx or 0))
    return "$" .. name
  end
  local path = ctx.check(ctx.p:tempfile(cols))
  local rec = nx and ("record=(%d,%d) "):format(nx, ny) or ""
  return ("%s binary %sformat=%s"):format(text(path, true), rec, text(("%float64"):rep(#cols)))
end

local function point_props(st, ps, default_ps)
  return ("pt %d ps %s"):format(st.marker, num(ps or default_ps))
end

-- One plot item of an "xy" series.  A transparent series with a title
-- gets its key sample from an opaque twin that draws nothing (NaN).
-- The `with` clause of an "xy" series.
local function xy_with(s)
  local st = s.style
  local lw = s.lw and (" lw " .. num(s.lw)) or ""
  local dt = st.dt and st.dt > 1 and (" dt " .. st.dt) or ""
  local with
  if st.line and st.marker then
    local m = st.marker == "dot" and 7 or st.marker
    with = ("linespoints pt %d ps %s%s%s"):format(m, num(s.ps or 0.6), lw, dt)
  elseif st.line then
    with = "lines" .. lw .. dt
  elseif st.marker == "dot" then
    with = s.ps and ("points pt 7 ps " .. num(s.ps)) or "dots"
  else
    with = "points " .. point_props(st, s.ps, 0.8) .. lw
  end
  return with
end

-- A key entry drawing nothing (NaN) in s's style, opaque: the key sample
-- of a transparent series, and the entries of a figure's shared legend.
local function key_sample(s, color)
  local with = s.kind == "xy" and xy_with(s) or "lines lw 2"
  if with == "dots" then with = "points pt 7 ps 0.5" end
  return ("NaN with %s %s %s"):format(with, colorspec(s.color or color), title_of(s))
end

local function xy_item(s, src, color)
  local c = colorspec(s.color or color, s.alpha)
  local keyed = s.alpha and s.alpha < 1 and s.title
  local with = xy_with(s)
  local item = ("%s using 1:2 with %s %s %s"):format(src, with, c, keyed and "notitle" or title_of(s))
  if keyed then item = item .. ", " .. key_sample(s, color) end
  return item
end

local function boxes_item(s, src, color)
  local fill = ("fs %ssolid %s border lc rgb %s"):format(s.alpha and "transparent " or "",
    num(s.alpha or 0.85), text("#ffffff"))
  return ("%s using 1:2:3 with boxes %s %s %s"):format(src, fill, colorspec(s.color or color), title_of(s))
end

-- Contour lines of a grid into the datablock $<name>, before any plotting.
local function contour_table(ctx, s, src)
  local name = ("gdc%d_%d"):format(ctx.id, ctx.k)
  local lv = {}
  for i, l in ipairs(s.levels) do lv[i] = num(l) end
  for _, c in ipairs {
    "set contour base", "unset surface", "set cntrparam levels discrete " .. table.concat(lv, ","),
    "set table $" .. name,
    "splot " .. src .. " using 1:2:3 with lines notitle",
    "unset table", "reset",
  } do ctx.send(c) end
  return "$" .. name
end

-- Contour lines on a text terminal: one plot item per level, each with a
-- line type of its own (the dumb terminal draws type k with its own
-- character); a level's points are those nearer it than its neighbours.

-- Contour lines on a GIF in one item: the color of each point is its
-- level's colormap color, looked up by gnuplot in an array (lc rgb variable).
local function rgb_level_item(ctx, s, d)
  local lv, cols, conds = s.levels, {}, {}
  for k = 1, #lv do
    local c = cmap_color(s.cmap, #lv > 1 and (k - 1) / (#lv - 1) or 0.5)
    cols[k] = tostring(tonumber(c:sub(2), 16))
    if k > 1 then conds[#conds + 1] = ("(z >= %s)"):format(num((lv[k - 1] + lv[k]) / 2)) end
  end
  local name = ("gdlv%d_%d"):format(ctx.id, ctx.k)
  ctx.k = ctx.k + 1
  ctx.send(("array %s[%d] = [%s]"):format(name, #lv, table.concat(cols, ",")))
  ctx.send(("%s_k(z) = 1%s"):format(name, #conds > 0 and (" + " .. table.concat(conds, " + ")) or ""))
  return ("%s using 1:2:(%s[%s_k($3)]) with lines lc rgb variable lw %s %s"):format(d.src, name, name,
    num(s.lw or 1), title_of(s))
end

local function level_items(s, d, colored)
  local lv, t = s.levels, {}
  for k, l in ipairs(lv) do
    local lo = k > 1 and (lv[k - 1] + l) / 2 or -math.huge
    local hi = k < #lv and (l + lv[k + 1]) / 2 or math.huge
    local cond = {}
    if lo > -math.huge then cond[#cond + 1] = "$3 >= " .. num(lo) end
    if hi < math.huge then cond[#cond + 1] = "$3 < " .. num(hi) end
    local y = #cond > 0 and ("(%s ? $2 : NaN)"):format(table.concat(cond, " && ")) or "2"
    local src = s.lines and d.src or d.tbl
    local how = colored and (colorspec(cmap_color(s.cmap, #lv > 1 and (k - 1) / (#lv - 1) or 0.5))
      .. " lw " .. num(s.lw or 1)) or ("lt %d"):format((k - 1) % 8 + 1)
    t[#t + 1] = ("%s using 1:%s with lines %s %s"):format(src, y, how, k == 1 and title_of(s) or "notitle")
  end
  return table.concat(t, ", ")
end

-- The commands of one axes: settings, then one plot or splot.
local function axes_commands(ctx, ax, pre)
  local send = ctx.send
  send("reset")
  local cmap
  for _, s in ipairs(ax.series) do cmap = cmap or s.cmap end
  -- gnuplot's gif terminal cannot define a palette twice in one image
  -- (one frame of an animation): the axes after the first keep gnuplot's
  -- default palette there, and their contour lines get colormap colors
  -- point by point instead (rgb_level_item, slower: a gnuplot function
  -- call per point); each palette takes only a few of the 256 colors
  local own_palette = not (ctx.few_colors and ctx.palette_sent)
  if own_palette then send(palette(cmap)) end
  if ctx.few_colors then send("set palette maxcolors 16") end
  ctx.palette_sent = true
  if ax.o.title then send("set title " .. text(ax.o.title)) end
  if ax.o.xlabel then send("set xlabel " .. text(ax.o.xlabel)) end
  -- the dumb terminal cannot rotate text, and drops a rotated y label
  if ax.o.ylabel then
    send("set ylabel " .. text(ax.o.ylabel) .. (ctx.text and " norotate" or ""))
    if ctx.text then send(("set lmargin %d"):format((utf8.len(ax.o.ylabel) or #ax.o.ylabel) + 10)) end
  end
  if ax.o.zlabel then send("set zlabel " .. text(ax.o.zlabel)) end
  for _, k in ipairs { "x", "y", "z" } do
    local l = ax.o[k .. "lim"]
    if not ax.is3d and k ~= "z" then l = layout.axis_range(ax, k) or l end
    if l then
      local a, b = l[1] and num(l[1]) or "*", l[2] and num(l[2]) or "*"
      if k == "y" and ax.o.yreverse then a, b = b, a end
      send(("set %srange [%s:%s]"):format(k, a, b))
    end
    if ax.log[k] then send("set logscale " .. k); send(("set format %s '%%g'"):format(k)) end
  end
  if ax.o.grid then send("set grid") end
  if ax.o.aspect == "equal" then send("set size ratio -1")
  elseif ax.o.aspect == "square" then send("set size square") end
  local titles = {}
  for _, s in ipairs(ax.series) do titles[#titles + 1] = s.title end
  if ax.o.legend == false or #titles == 0 or ctx.fig.shared_key then send("unset key")
  else
    local pos = ax.o.legend_pos
    if not pos and not ax.is3d then
      local f = ctx.fig
      pos = layout.key_position(ax, layout.axis_range(ax, "x") or ax.o.xlim, layout.axis_range(ax, "y") or ax.o.ylim,
        titles, f.size[1] / f.cols, f.size[2] / f.rows)
    end
    -- over contour lines the key needs a background of its own
    local under = false
    for _, s in ipairs(ax.series) do under = under or s.kind == "contour" or s.kind == "image" end
    send("set key " .. (pos or "top right") .. (under and " opaque" or " noopaque"))
  end
  send("unset colorbox")
  local items = {}
  for i, s in ipairs(ax.series) do
    local color = CYCLE[(i - 1) % #CYCLE + 1]
    local d = pre[s]
    if s.kind == "xy" and s.cols[3] then      -- colored by value
      if s.colorbar then send("set colorbox") end
      items[#items + 1] = ("%s using 1:2:3 with points %s lc palette %s"):format(d.src,
        point_props(s.style, s.ps, 0.8), title_of(s))
    elseif s.kind == "xy" then
      items[#items + 1] = xy_item(s, d.src, color)
    elseif s.kind == "vectors" then
      local lw = " lw " .. num(s.lw or 1)
      items[#items + 1] = ("%s using 1:2:3:4 with vectors head filled size screen 0.008,20%s %s %s"):format(
        d.src, lw, colorspec(s.color or color, s.alpha), title_of(s))
    elseif s.kind == "errorbar" then
      local with = s.style.line and "yerrorlines" or "yerrorbars"
      local m = s.style.marker == "dot" and 7 or (s.style.marker or 7)
      items[#items + 1] = ("%s using 1:2:3 with %s pt %d ps %s %s %s"):format(d.src, with, m,
        num(s.ps or 0.8), colorspec(s.color or color, s.alpha), title_of(s))
    elseif s.kind == "band" then
      items[#items + 1] = ("%s using 1:2:3 with filledcurves fs transparent solid %s noborder %s %s"):format(
        d.src, num(s.alpha or 0.3), colorspec(s.color or color), title_of(s))
    elseif s.kind == "line" then
      local dt = s.style.dt and s.style.dt > 1 and (" dt " .. s.style.dt) or ""
      local c = colorspec(s.color or "#404040", s.alpha)
      local lw = " lw " .. num(s.lw or 1)
      local from = s.axis == "y" and ("graph 0, first %s to graph 1, first %s"):format(num(s.at), num(s.at))
        or ("first %s, graph 0 to first %s, graph 1"):format(num(s.at), num(s.at))
      send(("set arrow from %s nohead front %s%s%s"):format(from, c, lw, dt))
      if s.title then items[#items + 1] = ("NaN with lines %s%s%s %s"):format(c, lw, dt, title_of(s)) end
    elseif s.kind == "image" then
      if s.colorbar then send("set colorbox") end
      for key, labels in pairs { x = s.xlabels, y = s.ylabels } do
        local n = key == "x" and s.grid.nx or s.grid.ny
        if not labels and n <= 30 then send(("set %stics 1"):format(key)) end   -- cells are 1, 2, ...
        if labels then
          local t = {}
          for j, l in ipairs(labels) do t[j] = text(l) .. " " .. j end
          send(("set %stics (%s)"):format(key, table.concat(t, ", ")))
        end
      end
      if s.annot then
        local Z, lo, hi = s.grid[3], s.grid[3]:min():item(), s.grid[3]:max():item()
        for r = 1, s.grid.ny do
          for c = 1, s.grid.nx do
            local v = Z[r][c]
            -- dark text on the light end of the colormap, white on the dark end
            local light = hi > lo and (v - lo) / (hi - lo) > 0.6
            local ok, str = pcall(string.format, s.fmt, v)   -- %d of a fraction fails
            if not ok then str = ("%.3g"):format(v) end
            send(("set label %s at first %d, first %d center front tc rgb %s"):format(
              text(str), c, r, text(light and "#000000" or "#ffffff")))
          end
        end
      end
      items[#items + 1] = d.src .. " using 1:2:3 with image " .. title_of(s)
    elseif s.kind == "boxes" then
      if s.labels then
        local t = {}
        for j, l in ipairs(s.labels) do t[j] = text(l) .. " " .. j end
        send("set xtics (" .. table.concat(t, ", ") .. ")")
      end
      items[#items + 1] = boxes_item(s, d.src, color)
    elseif s.kind == "contour" and ctx.text then
      items[#items + 1] = level_items(s, d)
    elseif s.kind == "contour" and ctx.few_colors and not own_palette and not s.filled and not s.color then
      items[#items + 1] = rgb_level_item(ctx, s, d)
    elseif s.kind == "contour" then
      if s.filled then
        local nb = #s.levels + 1
        send(("set palette maxcolors %d"):format(nb))
        send(("set cbrange [-0.5:%s]"):format(num(nb - 0.5)))
        local step, tics = math.max(1, math.ceil(#s.levels / 12)), {}
        for k = 1, #s.levels, step do tics[#tics + 1] = ("%s %s"):format(text(("%.4g"):format(s.levels[k])), num(k - 0.5)) end
        send("set cbtics (" .. table.concat(tics, ", ") .. ")")
        if s.colorbar ~= false then send("set colorbox") end
        items[#items + 1] = d.bands .. " using 1:2:3 with image " .. (s.lines and "notitle" or title_of(s))
      elseif s.colorbar then
        send("set colorbox")
      end
      if s.log and not s.filled then
        -- colors and the colorbar by log z, over the levels' span
        send("set logscale cb")
        send(("set cbrange [%s:%s]"):format(num(s.levels[1]), num(s.levels[#s.levels])))
      end
      if s.lines then
        local c = s.filled and colorspec(s.color or "#000000")
          or (s.color and colorspec(s.color) or "lc palette")
        local lw = " lw " .. num(s.lw or (s.filled and 0.5 or 1))
        local dt = s.style.dt and s.style.dt > 1 and (" dt " .. s.style.dt) or ""
        items[#items + 1] = ("%s using 1:2:3 with lines %s%s%s %s"):format(d.src, c, lw, dt, title_of(s))
        if s.level_labels then    -- every 80th point of each line carries its level
          send("set style textbox opaque noborder margins 1,1")
          items[#items + 1] = ("%s using 1:2:(sprintf('%%.4g', $3)) every 80::30 with labels boxed "
            .. "font ',8' tc rgb '#303030' notitle"):format(d.src)
        end
      end
    elseif s.kind == "wireframe" then
      send("set hidden3d")
      local lw = s.lw and (" lw " .. num(s.lw)) or ""
      items[#items + 1] = ("%s using 1:2:3 with lines %s%s %s"):format(d.src, colorspec(s.color or color), lw, title_of(s))
    elseif s.kind == "surface" then
      send("set pm3d depthorder border lc rgb '#404040' lw 0.3")
      if s.colorbar then send("set colorbox") end
      items[#items + 1] = ("%s using 1:2:3 with pm3d %s"):format(d.src, title_of(s))
    end
  end
  for _, l in ipairs(ax.labels or {}) do
    send(("set label %s at first %s, first %s %s front tc rgb %s"):format(text(l.s), num(l.x), num(l.y),
      l.align, text(l.color)))
  end
  for _, a in ipairs(ax.arrows or {}) do
    send(("set arrow from first %s, first %s to first %s, first %s head filled front lc rgb %s lw %s"):format(
      num(a[1]), num(a[2]), num(a[3]), num(a[4]), text(a.color), num(a.lw)))
  end
  if ax.is3d then
    send("set xyplane relative 0")
    if ax.o.view then send(("set view %s,%s"):format(num(ax.o.view[1]), num(ax.o.view[2]))) end
  end
  for _, c in ipairs(ax.raw) do send(c) end
  if #items == 0 then
    send("set xrange [0:1]")
    send("set yrange [0:1]")
    items[1] = "NaN notitle"
  end
  send((ax.is3d and "splot " or "plot ") .. table.concat(items, ", "))
  if ctx.probe then   -- the ranges drawn, read back for fig:ranges()
    send(("printerr sprintf('gd_range %d %%.17g %%.17g %%.17g %%.17g', GPVAL_X_MIN, GPVAL_X_MAX, "
      .. "GPVAL_Y_MIN, GPVAL_Y_MAX)"):format(ax.index or 0))
  end
end

local function not_found(fname, why)
  fail(fname, "gnuplot not found (%s); %s", why, PACKAGE_HINT)
end

local render_count = 0

-- fig:legend: one key for the whole figure, an overlay plot of key
-- samples only, one per distinct title in the order the series come.
local function shared_legend(ctx, fig, where)
  local items, seen = {}, {}
  for i = 1, fig.rows * fig.cols do
    local ax = fig.axes[i]
    for j, s in ipairs(ax and ax.series or {}) do
      if s.title and not seen[s.title] then
        seen[s.title] = true
        items[#items + 1] = key_sample(s, CYCLE[(j - 1) % #CYCLE + 1])
      end
    end
  end
  if #items == 0 then return end
  for _, c in ipairs { "reset", "set origin 0,0", "set size 1,1", "unset border", "unset tics",
                       "set xrange [0:1]", "set yrange [0:1]",
                       where == "top" and ("set key at screen 0.5,%s center top horizontal width 2"):format(
                         num(fig.heading and 0.9 or 0.97))
                         or "set key at screen 0.5,0.01 center bottom horizontal width 2" } do
    ctx.send(c)
  end
  ctx.send("plot " .. table.concat(items, ", "))
end

-- The commands of one figure (one frame of an animation): its data and
-- contour tables first, outside the multiplot, then its axes.
local function frame_commands(ctx, fig, as_text)
  local pre = {}
  for i = 1, fig.rows * fig.cols do
    local ax = fig.axes[i]
    for _, s in ipairs(ax and ax.series or {}) do
      local key = s.data_of or s      -- frames share their series' data
      local d = ctx.sent[key] or {}
      if ctx.sent[key] then
      elseif s.grid then
        local g = s.grid
        d.src = upload(ctx, { g[1], g[2], g[3] }, g.nx, g.ny)
        if s.kind == "contour" then
          if s.lines then d.src = contour_table(ctx, s, d.src)
          elseif as_text then d.tbl = contour_table(ctx, s, d.src) end
          if s.filled then d.bands = upload(ctx, { g[1], g[2], s.bands }, g.nx, g.ny) end
        end
      elseif s.cols then
        d.src = upload(ctx, s.cols)
      end
      ctx.sent[key] = d
      pre[s] = s.upto and { src = ("%s every ::0::%d"):format(d.src, s.upto - 1) } or d
    end
  end
  local multi = fig.rows * fig.cols > 1 or fig.heading
  local shared = fig.shared_key
  if multi or shared then
    -- a shared legend gets a strip of the figure below (or above) the panels
    local top = fig.heading and 0.06 or 0
    local margins = shared and (shared == "top" and (" margins 0.07,0.97,0.08,%s spacing 0.08,0.1"):format(num(0.84 - top))
      or (" margins 0.07,0.97,0.16,%s spacing 0.08,0.1"):format(num(0.92 - top))) or ""
    ctx.send(("set multiplot layout %d,%d%s%s"):format(fig.rows, fig.cols,
      fig.heading and (" title " .. text(fig.heading)) or "", margins))
    multi = true
  end
  local last = 0
  for i = 1, fig.rows * fig.cols do if fig.axes[i] then last = i end end
  if last == 0 then last = 1 end
  for i = 1, last do
    local ax = fig.axes[i]
    if ax then axes_commands(ctx, ax, pre)
    elseif multi then ctx.send("set multiplot next")
    else axes_commands(ctx, { series = {}, raw = {}, log = {}, o = {} }, pre) end
  end
  if shared then shared_legend(ctx, fig, shared) end
  if multi then ctx.send("unset multiplot") end
end


-- Draw fig on pipe p: the terminal commands `term` (a list), the data, the
-- axes, one sync.  A gnuplot error leaves p in step (sync cleared it); any
-- other failure before the sync leaves commands in flight, so p is killed.
local function draw(fig, fname, p, term, as_text, probe)
  render_count = render_count + 1
  local ctx = { p = p, id = render_count, k = 0, text = as_text, synced = false, fig = fig, probe = probe,
                few_colors = term[1]:find("terminal gif", 1, true) ~= nil, sent = {} }
  function ctx.check(ok, msg, cmd)
    if ok then return ok end
    if cmd then fail(fname, "gnuplot error: %s\n  in command: %s", msg, cmd) end
    if msg:match("^cannot run") then not_found(fname, msg) end
    fail(fname, "%s", msg)
  end
  function ctx.send(c) ctx.check(p:send(c)) end
  local function body()
    -- a clean slate: the last figure may have failed inside a multiplot
    ctx.send("unset multiplot")
    ctx.send("reset session")
    for _, c in ipairs(term) do ctx.send(c) end
    for _, f in ipairs(fig.frames or { fig }) do   -- an animation: its frames, in order
      ctx.fig, ctx.palette_sent = f, false          -- each frame is an image of its own
      frame_commands(ctx, f, as_text)
    end
    ctx.send("unset output")

    local ok, out, cmd = p:sync()
    ctx.synced = ok or cmd ~= nil
    if not ok then ctx.check(ok, out, cmd) end
    if probe then
      ctx.ranges = {}
      out = (out or ""):gsub("gd_range (%d+) (%S+) (%S+) (%S+) (%S+)\n?", function(i, a, b, c, d)
        ctx.ranges[tonumber(i)] = { x = { tonumber(a), tonumber(b) }, y = { tonumber(c), tonumber(d) } }
        return ""
      end)
    end
    if out then out = out:gsub("%d+ frames in animation sequence%s*", "") end
    if out and out:match("%S") then
      io.stderr:write("gd.plot: gnuplot says: ", (out:gsub("^%s+", ""):gsub("%s+$", "")), "\n")
    end
  end
  local ok, err = pcall(body)
  if not ctx.synced then p:kill() end
  if not ok then error(err, 0) end
  return ctx.ranges
end

-- GD_PLOT_TIMEOUT: how long gd.plot waits for gnuplot to answer (s).
local function timeout(fname)
  local v = os.getenv("GD_PLOT_TIMEOUT")
  if v == nil or v == "" then return 30 end
  local t = tonumber(v)
  if not (t and t > 0 and t <= 1e6) then
    fail(fname, "GD_PLOT_TIMEOUT must be a number of seconds in (0, 1e6], got %s", check.show(v))
  end
  return t
end

local function open_pipe(fname)
  local p, err = pipe.open(nil, timeout(fname))
  if not p then not_found(fname, err) end
  return p
end

-- One gnuplot for files and text, kept between figures (a spawn costs
-- 30-50 ms); each figure starts with `reset session`, and its temp files
-- go when it is done.  Windows get a gnuplot of their own, which keeps the
-- newest window's data for as long as that window can replot (zoom).
local files_pipe, window_pipe

local function files_session(fname)
  if not (files_pipe and files_pipe:pid()) then files_pipe = open_pipe(fname) end
  return files_pipe
end

-- Run fn(p) on the files session, then remove the figure's temp files.
local function on_files_session(fname, fn)
  local p = files_session(fname)
  local ok, err = pcall(fn, p)
  p:cleanup()
  if not ok then error(err, 0) end
end

local FORMATS = { png = true, svg = true, pdf = true, txt = true, eps = true, jpg = true,
                  jpeg = true, gif = true }

-- The text terminal's size: COLUMNS and LINES, else the tty's, else 80x25.
local function text_size()
  local c, r = tonumber(os.getenv("COLUMNS") or ""), tonumber(os.getenv("LINES") or "")
  if not (c and r) then
    local tc, tr = pipe.ttysize()
    c, r = c or tc or 80, r or (tr and tr - 1) or 25
  end
  return math.max(20, math.min(400, math.floor(c))), math.max(8, math.min(200, math.floor(r)))
end

local function term_for(format, size)
  local w, h = size[1], size[2]
  if format == "png" then
    return ("set terminal pngcairo size %d,%d noenhanced rounded font 'sans,10'"):format(w, h)
  elseif format == "svg" then
    return ("set terminal svg size %d,%d noenhanced font 'sans,10' background rgb '#ffffff'"):format(w, h)
  elseif format == "pdf" then
    return ("set terminal pdfcairo size %sin,%sin noenhanced rounded font 'sans,10'"):format(num(w / 100), num(h / 100))
  elseif format == "eps" then
    return ("set terminal epscairo size %sin,%sin noenhanced rounded font 'sans,10'"):format(num(w / 100), num(h / 100))
  elseif format == "jpg" or format == "jpeg" then
    return ("set terminal jpeg size %d,%d noenhanced font 'sans,10' background '#ffffff'"):format(w, h)
  elseif format == "gif" then
    return ("set terminal gif size %d,%d noenhanced font 'sans,10' background '#ffffff'"):format(w, h)
  elseif format == "txt" or format == "dumb" then
    local cols = math.max(20, math.min(400, w // 8))
    local rows = math.max(8, math.min(200, h // 16))
    if format == "dumb" then cols, rows = text_size() end
    return ("set terminal dumb size %d,%d noenhanced"):format(cols, rows)
  end
  error("unreachable: " .. tostring(format))
end

-- The frames of a figure with animated paths (path{animate = true}):
-- frame k draws their first k points, every other series whole, on the
-- whole figure's ranges (so the axes stay still); nil when none animates.
local function animated_frames(fig)
  local n = 0
  for _, ax in pairs(fig.axes) do
    for _, s in ipairs(ax.series) do if s.animate then n = math.max(n, s.cols[1]:numel()) end end
  end
  if n == 0 then return nil end
  local frames = {}
  for k = 1, n do
    local f = setmetatable({ axes = {} }, { __index = fig })
    for i, ax in pairs(fig.axes) do
      local a = setmetatable({ series = {}, o = setmetatable({}, { __index = ax.o }) }, { __index = ax })
      if not ax.is3d then
        a.o.xlim, a.o.ylim = layout.axis_range(ax, "x") or ax.o.xlim, layout.axis_range(ax, "y") or ax.o.ylim
      end
      for j, s in ipairs(ax.series) do
        if s.animate then
          -- the whole path is sent once; frame k plots its first k points
          a.series[j] = setmetatable({ upto = math.min(k, s.cols[1]:numel()), data_of = s }, { __index = s })
        else
          a.series[j] = s
        end
      end
      f.axes[i] = a
    end
    frames[k] = f
  end
  return frames
end

-- Render fig into the file path, in the format its extension names.  The
-- file appears whole or not at all: gnuplot writes a new file beside it,
-- renamed over path once gnuplot has finished without error; on failure
-- that file goes and an old path is left as it was.
local function save(fig, fname, path, size)
  local ext = path:match("%.(%w+)$")
  ext = ext and ext:lower()
  if not FORMATS[ext] then
    fail(fname, "cannot tell the format of %s (extensions .png, .svg, .pdf, .eps, .jpg, .gif, .txt)",
      check.show(path))
  end
  local _, why = literal(path, true)
  if why then fail(fname, "path %s: %s", check.show(path), why) end
  local dir = path:match("^(.*[^/])/+[^/]*$")
  if dir then
    local made, merr = pipe.mkdir(dir)
    if not made then fail(fname, "cannot create the folder of %s: %s", check.show(path), merr) end
  end
  local tmp, err = pipe.sibling(path)
  if not tmp then fail(fname, "%s", err) end
  if fig.frames and ext ~= "gif" then fail(fname, "an animation is saved as .gif, got %s", check.show(path)) end
  local frames = ext == "gif" and (fig.frames or animated_frames(fig))
  local term = term_for(ext, size or fig.size)
  if frames then
    term = term:gsub("^set terminal gif ", ("set terminal gif animate delay %d loop 0 ")
      :format(math.max(1, math.floor(100 / (fig.fps or 10) + 0.5))))
  end
  local ok, derr = pcall(on_files_session, fname, function(p)
    draw(frames and { frames = frames, size = fig.size } or fig, fname, p,
      { term, "set output " .. text(tmp, true) }, ext == "txt")
  end)
  if not ok then
    os.remove(tmp)
    error(derr, 0)
  end
  local moved, merr = os.rename(tmp, path)
  if not moved then
    os.remove(tmp)
    fail(fname, "cannot write %s: %s", check.show(path), merr)
  end
  return path
end

---------------------------------------------------------------------------
-- where show() draws: GD_PLOT

local MODES = { window = true, png = true, svg = true, dumb = true, none = true }
local override = {}                -- plt.output(mode, dir)
local DISPLAY_WAIT = 2             -- s a display server has to answer
local window_term                  -- cached: "qt", "wxt", "x11" or false
local shown = 0                    -- figures shown, for file names and window numbers

local function find_window_terminal(fname)
  if window_term ~= nil then return window_term end
  window_term = false
  local x11, wl = os.getenv("DISPLAY"), os.getenv("WAYLAND_DISPLAY")
  local display = (x11 ~= "" and x11) or wl
  if not display or display == "" then return false end
  -- a display that does not answer would hang the window terminal
  local up, why = pipe.display(display, display ~= x11, DISPLAY_WAIT)
  if not up then
    io.stderr:write(("gd.plot: the display %s does not answer within %g s (%s); writing PNG files\n")
      :format(display, DISPLAY_WAIT, why))
    return false
  end
  local p = pipe.open(nil, timeout(fname))
  if not p then return false end
  local ok, out
  if p:send("printerr GPVAL_TERMINALS") then ok, out = p:sync() end
  p:close()
  if ok and out then
    for _, t in ipairs { "qt", "wxt", "x11" } do
      if (" " .. out .. " "):find("%s" .. t .. "%s") then window_term = t; break end
    end
  end
  return window_term
end

-- In a Jupyter kernel figures go inline: sink(fig, fname, ext) renders and
-- sends them (lua/gd/display.lua's, set by lua/gd/kernel.lua).
local inline_sink

local warned_window = false
local function destination(fname)
  local mode = override.mode or os.getenv("GD_PLOT")
  if mode == "" then mode = nil end
  mode = mode and mode:lower()
  if mode and not MODES[mode] then
    fail(fname, "GD_PLOT must be window, png, svg, dumb or none (got '%s')", mode)
  end
  if inline_sink and mode ~= "none" and mode ~= "dumb" then
    return "inline", nil, mode == "svg" and "svg" or "png"
  end
  if mode == nil or mode == "window" then
    if find_window_terminal(fname) then mode = "window"
    else
      if mode == "window" and not warned_window then
        warned_window = true
        io.stderr:write("gd.plot: no display or no qt/wxt/x11 terminal in gnuplot; writing PNG files\n")
      end
      mode = "png"
    end
  end
  local dir = override.dir or os.getenv("GD_PLOT_DIR")
  if dir == nil or dir == "" then dir = "plots" end
  return mode, dir
end

local function script_name()
  local s = arg and arg[0]
  if type(s) ~= "string" or s == "" or s == "-" then return "gdlua" end
  return (s:match("([^/]+)$") or s):gsub("%.lua$", "")
end

local function show(fig, fname)
  local mode, dir, ext = destination(fname)
  if mode == "none" then return fig end
  if mode == "inline" then
    inline_sink(fig, fname, ext)
  elseif mode == "png" or mode == "svg" then
    local ok, err = pipe.mkdir(dir)
    if not ok then fail(fname, "%s", err) end
    shown = shown + 1
    local path = ("%s/%s-%d.%s"):format(dir, script_name(), shown, mode)
    save(fig, fname, path)
    print("gd.plot: " .. path)
  elseif mode == "dumb" then
    on_files_session(fname, function(p)
      local tmp = assert(p:tempfile())
      draw(fig, fname, p, { term_for("dumb", fig.size), "set output " .. text(tmp, true) }, true)
      local f = io.open(tmp, "r")
      if f then io.write(f:read("a")); f:close() end
      io.stdout:flush()
    end)
  else
    if not (window_pipe and window_pipe:pid()) then window_pipe = open_pipe(fname) end
    window_pipe:cleanup()       -- the last window's data: only the newest window replots
    shown = shown + 1
    draw(fig, fname, window_pipe, {
      ("set terminal %s %d size %d,%d noenhanced persist title %s"):format(window_term, shown,
        fig.size[1], fig.size[2], text(script_name() .. "-" .. shown, true)),
    })
  end
  return fig
end

---------------------------------------------------------------------------
-- the module

local doc = require("gd").doc
M.MODES = MODES
M.save = doc(save, "gd.plot_draw.save(fig, fname, path[, size]): render fig into path (png, svg, pdf, txt by extension)")
M.show = doc(show, "gd.plot_draw.show(fig, fname): draw fig where GD_PLOT says")
-- The ranges gnuplot draws on each axes of fig (GPVAL_X_MIN, ...), from a
-- render into a scratch text file: {[i] = {x = {lo, hi}, y = {lo, hi}}}.
local function ranges(fig, fname)
  local r
  on_files_session(fname, function(p)
    local tmp = assert(p:tempfile())
    r = draw(fig, fname, p, { term_for("txt", fig.size), "set output " .. text(tmp, true) }, true, true)
  end)
  return r
end
M.ranges = doc(ranges, "gd.plot_draw.ranges(fig, fname): the x and y ranges gnuplot drew on each axes")
M.script_name = script_name
M.destination = doc(destination, "gd.plot_draw.destination(fname): the mode and directory show() uses now")

M.set_inline = doc(function(sink)
  local old = inline_sink
  inline_sink = sink
  return old
end, "gd.plot_draw.set_inline(sink): figures shown go to sink(fig, fname, ext) instead of GD_PLOT's place (nil: back to it); returns the old sink")
M.show_inline = doc(function(fig, fname, ext) inline_sink(fig, fname, ext) end,
  "gd.plot_draw.show_inline(fig, fname, ext): hand fig (or an animation, ext gif) to the inline sink")

M.output = doc(function(mode, dir)
  local old_mode, old_dir = override.mode, override.dir
  override.mode, override.dir = mode, dir
  return old_mode, old_dir
end, "gd.plot_draw.output(mode, dir): override GD_PLOT and GD_PLOT_DIR (nil: back to them); returns the old overrides")

M.shutdown = doc(function()
  if files_pipe then files_pipe:close() end
  if window_pipe then window_pipe:close() end
  files_pipe, window_pipe = nil, nil
end, "gd.plot_draw.shutdown(): end the kept gnuplot processes (the next figure starts one)")

return M
