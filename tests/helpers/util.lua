-- tests/helpers/util.lua: small assertions shared by the specs.
local M = {}

--- Assert |a - b| <= tol elementwise (numbers, tables or tensors).
function M.close(a, b, tol, msg)
  tol = tol or 1e-12
  local function flat(v, out)
    if type(v) == "number" then out[#out + 1] = v
    elseif type(v) == "table" then for _, e in ipairs(v) do flat(e, out) end
    else flat(v:totable(), out) end
    return out
  end
  local fa, fb = flat(a, {}), flat(b, {})
  assert(#fa == #fb, (msg or "") .. string.format(" sizes differ: %d vs %d", #fa, #fb))
  for i = 1, #fa do
    local d = math.abs(fa[i] - fb[i])
    if not (d <= tol or fa[i] == fb[i]) then
      error(string.format("%s element %d: %.17g vs %.17g (|diff| %.3g > %.3g)",
        msg or "", i, fa[i], fb[i], d, tol), 2)
    end
  end
  return true
end

--- Assert that f(...) raises an error whose message contains every pattern (plain).
function M.errors(f, ...)
  local ok, err = pcall(f)
  if ok then error("expected an error, got none", 2) end
  err = tostring(err)
  for _, p in ipairs({ ... }) do
    if not err:find(p, 1, true) then
      error(string.format("error %q does not mention %q", err, p), 2)
    end
  end
  return err
end

--- The first line a shell command prints (its pipe closed, so no zombie is left).
function M.sh_line(cmd)
  local p = assert(io.popen(cmd))
  local line = p:read("l")
  p:close()
  return line
end

--- Call f(...) with print captured; returns f's first result and the printed lines (a table).
function M.capture_print(f, ...)
  local lines = {}
  local saved = _G.print
  _G.print = function(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    lines[#lines + 1] = table.concat(t, "\t")
  end
  local ok, res = pcall(f, ...)
  _G.print = saved
  assert(ok, res)
  return res, lines
end

--- Run scripts/<name>.lua with print captured; returns its result and the text.
function M.run_script(name)
  local res, lines = M.capture_print(dofile, "scripts/" .. name .. ".lua")
  return res, table.concat(lines, "\n")
end

--- The gdlua executable under test.
M.gdlua = os.getenv("GDLUA") or "./gdlua"

--- The line the caller is on (for errors_at).
function M.here() return debug.getinfo(2, "l").currentline end

--- Assert that f() raises an error at file:line (the caller's position) mentioning every pattern.
function M.errors_at(file, line, f, ...)
  local err = M.errors(f, ...)
  local prefix = file .. ":" .. line .. ":"
  if err:sub(1, #prefix) ~= prefix then
    error(string.format("error %q does not start with %q", err, prefix), 2)
  end
  return err
end

--- A fresh empty folder (remove it with os.execute("rm -r " .. d)).
function M.tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir " .. d))
  return d
end

--- The names in folder d (ls -A), sorted.
function M.listing(d)
  local p = assert(io.popen("ls -A " .. d))
  local names = {}
  for l in p:lines() do names[#names + 1] = l end
  p:close()
  return names
end

--- The whole content of the file at p; spit(p, s) writes s there.
function M.slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
function M.spit(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

return M
