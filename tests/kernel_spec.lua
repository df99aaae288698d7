-- tests/kernel_spec.lua: gdlua as a Jupyter kernel, under real clients.
--
-- The kernelspec is installed with `gdlua --install-kernel` into private
-- Jupyter folders under a temporary directory (JUPYTER_DATA_DIR,
-- JUPYTER_PATH, JUPYTER_RUNTIME_DIR, JUPYTER_CONFIG_DIR), so the tests
-- neither see nor touch the user's kernels. tests/kernel/kernel_tests.py
-- drives the kernel with jupyter_client (jupyter_kernel_test's protocol
-- suite, interrupt, bad messages, stdin, figures) and nbconvert/Chromium
-- (the notebooks of scripts/notebooks); each of its cases is one `it` here,
-- which passes when the case and all its subtests passed. The Python run
-- happens once, at the first case that needs it.
local json = gd.json

local GDLUA = os.getenv("GDLUA") or "./gdlua"
local PYTHON = os.getenv("PYTHON") or "/usr/bin/python3"
local SCRIPT = "tests/kernel/kernel_tests.py"

local pr = require "tests.helpers.plotproc"
local sh_quote, read = pr.shq, pr.slurp

--- Run a shell command: its stdout and stderr together, and its exit status (0: success).
local function run(cmd)
  local out, err, ok = pr.run(cmd)
  return out .. err, ok and 0 or 1
end

local root = os.tmpname()
os.remove(root)
assert(os.execute("mkdir -p " .. sh_quote(root .. "/data") .. " " .. sh_quote(root .. "/runtime")
  .. " " .. sh_quote(root .. "/config") .. " " .. sh_quote(root .. "/prefix")))

-- every jupyter command of this spec runs with these
local ENV = ("env -u GD_PLOT -u GD_PLOT_DIR JUPYTER_DATA_DIR=%s JUPYTER_PATH=%s JUPYTER_RUNTIME_DIR=%s"
  .. " JUPYTER_CONFIG_DIR=%s JUPYTER_PLATFORM_DIRS=0 PYDEVD_DISABLE_FILE_VALIDATION=1 GDLUA=%s ")
  :format(sh_quote(root .. "/data"), sh_quote(root .. "/data"), sh_quote(root .. "/runtime"),
    sh_quote(root .. "/config"), sh_quote(GDLUA))

local install_out, install_code = run(ENV .. sh_quote(GDLUA) .. " --install-kernel --user")

-- the cases of the Python run, listed without running them
local cases = {}
do
  local out = run(ENV .. sh_quote(PYTHON) .. " " .. SCRIPT .. " --list")
  for name in out:gmatch("CASE\t([^\n]+)") do cases[#cases + 1] = name end
end

local results                  -- name → {ok = bool, why = {...}}, filled by the one run
local run_output
local function results_of()
  if results then return results end
  results = {}
  run_output = run("cd " .. sh_quote(root) .. " && " .. ENV .. sh_quote(PYTHON) .. " "
    .. sh_quote(os.getenv("PWD") .. "/" .. SCRIPT))
  for status, name, why in run_output:gmatch("RESULT\t(%a+)\t([^\t\n]*)\t([^\n]*)") do
    local case = name:match("^(%S+)") or name   -- a subtest "Class.test (text=...)" counts for its test
    local r = results[case] or { ok = true, seen = 0, why = {} }
    r.seen = r.seen + 1
    if status ~= "ok" then
      r.ok = false
      r.why[#r.why + 1] = status .. " " .. name .. ": " .. why:gsub("\\n", "\n"):gsub("\\\\", "\\")
    end
    results[case] = r
  end
  return results
end

describe("the Jupyter kernel", function()
  teardown(function() os.execute("rm -rf " .. sh_quote(root)) end)

  it("installs its kernelspec where `jupyter kernelspec list` finds it", function()
    assert.are.equal(0, install_code, install_out)
    local spec = json.decode(assert(read(root .. "/data/kernels/gdlua/kernel.json")))
    assert.are.equal("gdlua (Lua 5.4)", spec.display_name)
    assert.are.equal("lua", spec.language)
    assert.are.equal("signal", spec.interrupt_mode)
    assert.are.same({ "--kernel", "{connection_file}" }, { spec.argv[2], spec.argv[3] })
    assert.is_truthy(spec.argv[1]:match("^/"), "argv[1] must be absolute: " .. spec.argv[1])
    local real = run("readlink -f " .. sh_quote(GDLUA)):gsub("\n$", "")
    assert.are.equal(real, spec.argv[1])
    local list = run(ENV .. "jupyter kernelspec list")
    assert.is_truthy(list:find("gdlua%s+" .. (root .. "/data/kernels/gdlua"):gsub("%p", "%%%0")), list)
  end)

  it("installs under --prefix DIR as share/jupyter/kernels/gdlua", function()
    local out, code = run(ENV .. sh_quote(GDLUA) .. " --install-kernel --prefix " .. sh_quote(root .. "/prefix"))
    assert.are.equal(0, code, out)
    local path = root .. "/prefix/share/jupyter/kernels/gdlua/kernel.json"
    assert.are.equal("gdlua (Lua 5.4)", json.decode(assert(read(path))).display_name)
    local list = run(ENV:gsub("JUPYTER_PATH=%S+", "JUPYTER_PATH=" .. sh_quote(root .. "/prefix/share/jupyter"))
      .. "JUPYTER_DATA_DIR=" .. sh_quote(root .. "/empty") .. " jupyter kernelspec list")
    assert.is_truthy(list:find("/prefix/share/jupyter/kernels/gdlua", 1, true), list)
  end)

  it("refuses a bad command line and an unreadable connection file", function()
    local out, code = run(sh_quote(GDLUA) .. " --install-kernel --prefix")
    assert.are_not.equal(0, code)
    assert.is_truthy(out:find("usage:", 1, true), out)
    out, code = run(sh_quote(GDLUA) .. " --kernel " .. sh_quote(root .. "/missing.json"))
    assert.are_not.equal(0, code)
    assert.is_truthy(out:find("cannot read the connection file", 1, true), out)
  end)

  it("lists the cases of tests/kernel/kernel_tests.py", function()
    assert.is_true(#cases >= 40, "only " .. #cases .. " cases listed")
  end)

  for _, name in ipairs(cases) do
    it("passes " .. name, function()
      local r = results_of()[name]
      assert(r, "no result for " .. name .. "; the run said:\n" .. (run_output or ""):sub(-3000))
      assert(r.ok, table.concat(r.why, "\n"))
    end)
  end
end)
