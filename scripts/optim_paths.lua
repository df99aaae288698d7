-- optim_paths.lua: shared by optim_f.lua and optim_g.lua (seed 004): runs
-- one optimizer from a start point with gd.optim.trace and draws, as the
-- assignment does, the function's wireframe beside its contour with the path.
local M = {}

--- Run opt on f from x0 for steps; print the end point; draw the figure
-- (with f's minimum marked when xmin, a {x1, x2}, is given).
-- Returns the path ((steps+1)×2) and f along it.
function M.run(f, name, x0, opt, steps, range, xmin)
  local path, values = gd.optim.trace(f, gd.tensor(x0), opt, steps)
  local last = path[path.shape[1]]
  print(string.format("%-9s from (%5g, %5g), %2d steps: x = (%9.5f, %9.5f), f = %11.5f",
    name, x0[1], x0[2], steps, last[1], last[2], values[#values]))
  local plt = gd.plot
  local ok, err = pcall(function()
    local fig = plt.figure { layout = { 1, 2 }, size = { 1200, 500 },
                             title = string.format("%s from (%g, %g)", name, x0[1], x0[2]) }
    fig:subplot(1):wireframe(f, { x = range, y = range, view = { 30, 200 } })
      :title("f over the square"):xlabel("x1"):ylabel("x2"):zlabel("f")
    local ax = fig:subplot(2)
    ax:contour(f, { x = range, y = range, levels = 30 })
    ax:path(path, { title = name, color = "red", mark_ends = true })
    if xmin then ax:point(xmin[1], xmin[2], { label = "minimum", color = "black", marker = "x" }) end
    ax:title(string.format("%s, %d steps: start o, end *", name, steps)):xlabel("x1"):ylabel("x2")
    fig:show()
  end)
  if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end
  return path, values
end

--- One animated GIF of all the paths growing step by step on f's contour
-- (res: name -> {path = ...}, drawn in the order of names; xmin as in run).
function M.animate(f, res, names, range, heading, xmin)
  local plt = gd.plot
  local ok, err = pcall(function()
    local fig = plt.figure { size = { 700, 560 } }
    local ax = fig:subplot(1)
    ax:contour(f, { x = range, y = range, levels = 30 })
    for _, name in ipairs(names) do
      ax:path(res[name].path, { title = name, animate = true })
    end
    if xmin then ax:point(xmin[1], xmin[2], { label = "minimum", color = "black", marker = "x" }) end
    ax:title(heading):xlabel("x1"):ylabel("x2")
    local mode, dir = plt.destination()
    if mode == "none" then return end
    if mode == "inline" then return fig:show() end   -- a notebook: the GIF in the cell, no file
    local arg0 = (arg and arg[0] or "optim"):match("([^/]+)%.lua$") or "optim"
    print("gd.plot: " .. fig:save(("%s/%s-paths.gif"):format(dir, arg0)))
  end)
  if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end
end

return M
