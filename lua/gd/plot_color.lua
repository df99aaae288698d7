-- gd.plot_color: the colormaps of gd.plot (viridis, plasma, magma,
-- coolwarm, gray) as our own samples at even steps, turned into gnuplot
-- palettes or into single colors.  lua/gd/plot_draw.lua uses them.
local M = {}

-- Colormaps for contours, surfaces, images and colored scatters, as our
-- own samples at even steps from 0 to 1 (viridis is the default).
local CMAPS = {
  viridis = { "#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779",
              "#6ece58", "#b5de2b", "#fde725" },
  plasma = { "#0d0887", "#46039f", "#7201a8", "#9c179e", "#bd3786", "#d8576b", "#ed7953",
             "#fb9f3a", "#fdca26", "#f0f921" },
  magma = { "#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d",
            "#fd9668", "#feca8d", "#fcfdbf" },
  coolwarm = { "#3b4cc0", "#6788ee", "#9abbff", "#c9d7f0", "#edd1c2", "#f7a889", "#e26952", "#b40426" },
  gray = { "#000000", "#ffffff" },
}
M.NAMES = { "viridis", "plasma", "magma", "coolwarm", "gray" }

-- The gnuplot palette of the colormap named (viridis when nil).
function M.palette(name)
  local t, parts = CMAPS[name or "viridis"], {}
  for i, c in ipairs(t) do parts[i] = ("%d '%s'"):format(i - 1, c) end
  return "set palette defined (" .. table.concat(parts, ", ") .. ")"
end

-- The colormap's color at t in [0, 1], interpolated between its samples:
-- "#rrggbb" (GIF contour lines, which cannot use a palette).
function M.cmap_color(name, t)
  local c = CMAPS[name or "viridis"]
  local x = math.max(0, math.min(1, t)) * (#c - 1)
  local i = math.min(#c - 2, math.floor(x))
  local f, rgb = x - i, {}
  for j = 0, 2 do
    local a = tonumber(c[i + 1]:sub(2 + 2 * j, 3 + 2 * j), 16)
    local b = tonumber(c[i + 2]:sub(2 + 2 * j, 3 + 2 * j), 16)
    rgb[j + 1] = math.floor(a + (b - a) * f + 0.5)
  end
  return ("#%02x%02x%02x"):format(rgb[1], rgb[2], rgb[3])
end

local doc = require("gd").doc
M.palette = doc(M.palette, "gd.plot_color.palette(name): the gnuplot palette command of a colormap (viridis when nil)")
M.cmap_color = doc(M.cmap_color, "gd.plot_color.cmap_color(name, t): the colormap's #rrggbb at t in [0, 1]")

return M
