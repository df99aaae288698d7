-- gd.display: rich output for notebooks. gd.display(x) shows a value the
-- way a notebook shows it (a figure as an image, a tensor as a table,
-- gd.html / gd.markdown / gd.latex as rendered text); bundle(...) is the
-- MIME bundle ({["text/plain"] = ..., ["text/html"] = ...}) of a cell's
-- results. In a Jupyter kernel lua/gd/kernel.lua sets the sink that sends
-- a bundle as display_data; elsewhere gd.display prints as the REPL prints.
-- The text/plain of every bundle is gd.repl.format's, so a notebook and the
-- REPL show the same text.
local repl = require "gd.repl"

local M = {}

--- The sink of gd.display: function(bundle) in a kernel, nil elsewhere;
--- clear: function(wait) that clears the cell's output, in a kernel.
M.sink, M.clear = nil, nil

-- ---- rich text objects ---------------------------------------------------

local Rich = { __name = "gd.Rich" }
Rich.__index = Rich
Rich.__tostring = function(r) return r.text end

local function rich(fname, mime, s, text)
  if type(s) ~= "string" then
    error(("%s: the argument must be a string, got %s"):format(fname, type(s)), 3)
  end
  return setmetatable({ mime = mime, source = s, text = text or s }, Rich)
end

local function is_rich(v) return getmetatable(v) == Rich end

-- ---- base64 (image bytes in JSON) -----------------------------------------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64 = {}
for i = 0, 63 do b64[i] = B64:sub(i + 1, i + 1) end

--- base64(s): s in base64 (RFC 4648, padded with =).
function M.base64(s)
  local out, n = {}, #s
  for i = 1, n - 2, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a << 16 | b << 8 | c
    out[#out + 1] = b64[v >> 18] .. b64[v >> 12 & 63] .. b64[v >> 6 & 63] .. b64[v & 63]
  end
  local rest = n % 3
  if rest == 1 then
    local v = s:byte(n) << 16
    out[#out + 1] = b64[v >> 18] .. b64[v >> 12 & 63] .. "=="
  elseif rest == 2 then
    local a, b = s:byte(n - 1, n)
    local v = a << 16 | b << 8
    out[#out + 1] = b64[v >> 18] .. b64[v >> 12 & 63] .. b64[v >> 6 & 63] .. "="
  end
  return table.concat(out)
end

-- ---- bundles ---------------------------------------------------------------

local MIME = { png = "image/png", svg = "image/svg+xml", gif = "image/gif" }

--- image_bundle(ext, bytes, text): the bundle of an image file's bytes
--- (png and gif in base64, svg as text).
function M.image_bundle(ext, bytes, text)
  local mime = MIME[ext]
  return { [mime] = ext == "svg" and bytes or M.base64(bytes), ["text/plain"] = text or ("<" .. ext .. " image>") }
end

local function is_figure(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__name") == "gd.plot.Figure"
end

local function escape_html(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

--- html_table(x): a 1-d or 2-d tensor within the print threshold as an
--- HTML table (a 1-d one as a row), or nil.
function M.html_table(x)
  local gd = package.loaded.gd
  local opts = gd.printoptions()
  if x.ndim < 1 or x.ndim > 2 or x:numel() > opts.threshold or x:numel() == 0 then return nil end
  local rows = x.ndim == 1 and { x:totable() } or x:totable()
  local fmt = "%." .. math.max(1, math.min(17, opts.precision)) .. "g"
  local out = { '<table class="gd-tensor">' }
  for _, row in ipairs(rows) do
    local cells = {}
    for j, v in ipairs(row) do cells[j] = "<td>" .. escape_html(fmt:format(v)) .. "</td>" end
    out[#out + 1] = "<tr>" .. table.concat(cells) .. "</tr>"
  end
  local shape = table.concat(x.shape, "×")
  out[#out + 1] = "</table><p><small>tensor " .. shape .. "</small></p>"
  return table.concat(out)
end

--- render(fig, fname, ext): the bytes of fig (or an animation: gif)
--- rendered as ext (png, svg, gif) through a temporary file that is
--- removed again, so nothing is left in plots/.
function M.render(fig, fname, ext)
  local draw = require "gd.plot_draw"
  local base = os.tmpname()
  local path = base .. "." .. ext
  local ok, err = pcall(draw.save, fig, fname, path)
  os.remove(base)
  if not ok then
    os.remove(path)
    error(err, 0)
  end
  local f, ferr = io.open(path, "rb")
  if not f then error(("%s: cannot read the rendered %s: %s"):format(fname, ext, ferr), 0) end
  local bytes = f:read("a")
  f:close()
  os.remove(path)
  return bytes
end

-- Whether a figure has a series drawn step by step ({animate = true}): it is shown as a GIF.
local function animated(fig)
  for _, ax in pairs(fig.axes or {}) do
    for _, s in ipairs(ax.series or {}) do
      if s.animate then return true end
    end
  end
  return false
end

--- show_inline(fig, fname, ext): the plot_draw inline sink: fig rendered
--- (as a GIF when it is animated) and sent to M.sink.
function M.show_inline(fig, fname, ext)
  if fig.frames or animated(fig) then ext = "gif" end
  M.sink(M.image_bundle(ext, M.render(fig, fname, ext), ext == "gif" and "<animation>" or "<figure>"))
end

--- bundle(...): the MIME bundle of values: text/plain as the REPL prints
--- them; for one value also text/html (a tensor's table, gd.html),
--- text/markdown, text/latex, or the image of a figure.
function M.bundle(...)
  local data = { ["text/plain"] = repl.format(...) }
  if select("#", ...) ~= 1 then return data end
  local v = ...
  if is_rich(v) then
    data[v.mime] = v.source
  elseif repl.is_tensor(v) then
    data["text/html"] = M.html_table(v)
  elseif is_figure(v) then
    local mode, _, ext = require("gd.plot_draw").destination("gd.display")
    if mode ~= "none" then
      ext = animated(v) and "gif" or ext or (mode == "svg" and "svg" or "png")
      for k, x in pairs(M.image_bundle(ext, M.render(v, "gd.display", ext), data["text/plain"])) do data[k] = x end
    end
  end
  return data
end

--- display(...): show each value: in a kernel as display_data, else printed as the REPL prints it.
function M.display(...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if M.sink then M.sink(M.bundle(v)) else print(repl.format(v)) end
  end
end

--- Install gd.display, gd.html, gd.markdown and gd.latex into gd.
return function(gd)
  gd.display = gd.doc(M.display,
    "gd.display(x, ...): show values as a notebook does (figure as an image, tensor as a table, gd.html/markdown/latex rendered); outside a notebook print them as the REPL does")
  gd.html = gd.doc(function(s) return rich("gd.html", "text/html", s) end,
    "gd.html(s): HTML text that gd.display (or a cell's result) shows rendered in a notebook")
  gd.markdown = gd.doc(function(s) return rich("gd.markdown", "text/markdown", s) end,
    "gd.markdown(s): Markdown text that gd.display (or a cell's result) shows rendered in a notebook")
  gd.latex = gd.doc(function(s)
    local r = rich("gd.latex", "text/latex", s)
    if not s:match("^%s*%$") and not s:match("^%s*\\%[") and not s:match("^%s*\\begin") then r.source = "$$" .. s .. "$$" end
    return r
  end, "gd.latex(s): a LaTeX formula (wrapped in $$ unless it is already delimited) that a notebook shows typeset")
  gd.clear_output = gd.doc(function(wait)
    if wait ~= nil and type(wait) ~= "boolean" then
      error("gd.clear_output: wait must be a boolean, got " .. type(wait), 2)
    end
    if M.clear then M.clear(wait == true) end
  end, "gd.clear_output([wait]): in a notebook, clear the cell's output (wait: when the next output comes); nothing elsewhere")
  gd._display = M
end
