--[[ tests/bench/run.lua: the benchmark table (`make bench`).

Usage:
  ./gdlua tests/bench/run.lua [name ...]     run all workloads, or only the named ones
                                             (a program's name runs all its rows, e.g. transcendental)
  env: GDLUA=path       gdlua to benchmark (default: the interpreter running this script)
       BENCH_REPS=n     processes per implementation (default 5; slow entries cap it lower)
       PYTHON=path      python with torch (default /usr/bin/python3: Debian's python3-torch)

Each workload <name> is up to three programs in this directory:
  <name>.lua  run as `gdlua tests/bench/<name>.lua`
  <name>.py   run with PYTHON (torch, 1 thread, float64); skipped ("n/a") if torch is missing;
              with entry field ref = "numpy" it is a numpy program instead (needs numpy,
              not torch), and its time shows in the numpy column; with refs = {"numpy",
              "torch"} it runs once per library, given the library's name as its first
              argument, and both columns fill; with ref = "python" it uses the standard
              library only, and its time shows in the numpy column marked "py"
  <name>.c    optional plain-C baseline, compiled into build/bench/ at run time
              (entry field c = a short description of it; c_libs = extra cc arguments;
              c_file = another program's <name>, c_args = its command-line arguments)
Each program does its own set-up, then prints one line `time <seconds>` per timed
repetition of the timed region (set-up and start-up excluded), and optionally
`value <number>` (a checksum compared across implementations), `info <text>`
(shown in the notes, e.g. iterations and evaluations) and `base <seconds>`
(a baseline timed in the same process, interleaved with the timed region; entry
field base = "inline" puts their median in the C column: cross-process noise on
a shared VM is as large as the differences these rows look for). Every program
measures process CPU time (os.clock / time.process_time / CLOCK_PROCESS_CPUTIME_ID,
all the same clock), so the comparison is fair on a loaded machine; all runs are
single-threaded. The runner runs one process of each implementation in turn, round
after round, pools the samples of all processes and prints medians.

Entry field ns = true prints ns per element (ops elements per timed repetition).
GD_NUM_THREADS=1 is set for gdlua like the other libraries' thread variables;
a program can still ask for more itself (kernels_par).

Adding a workload = the programs above plus one entry in `workloads` below.
Entry fields file (the programs' <name>, default the entry's name) and args (a
string appended to both command lines) let several entries share programs;
base_args does the same for the base program.
]]

local workloads = {
  { name = "per_op", what = "a + b, 2-element tensors",
    ops = 1e6, unit = "µs/op", reps = { torch = 3 },
    goal = "< 0.3 µs/op, ≥ 10× torch",
    check = function(r) return r.gd < 0.3 and (r.torch and r.torch / r.gd >= 10) end },
  { name = "chain", what = "sum(exp(-0.5*(x*w)^2)), 1e7",
    unit = "ms", c = "fused loop, glibc exp, cc -O2 -fno-math-errno", reps = { gd = 3, torch = 3 },
    goal = "≤ 1.5× C, ≥ 10× torch",
    check = function(r)
      return (r.c and r.gd / r.c <= 1.5) and (r.torch and r.torch / r.gd >= 10)
    end },
  { name = "exam_tape", what = "exam 2(3): 50,000 tape steps on 10×2",
    unit = "ms", reps = { gd = 3, torch = 3 },
    goal = "≥ 15× torch",
    check = function(r) return r.torch and r.torch / r.gd >= 15 end },
  { name = "exam_compile", what = "exam 2(3): 50,000 steps through gd.compile (trace included)",
    unit = "ms", c = "hand-written loop, the tape's order of operations", reps = { gd = 3, torch = 3 },
    goal = "≤ 10× C, ≥ 150× torch",
    check = function(r)
      return (r.c and r.gd / r.c <= 10) and (r.torch and r.torch / r.gd >= 150)
    end },
  { name = "mle_normal", what = "mle_normal: 1000 tape steps on 1e4 points",
    unit = "ms", reps = { gd = 3, torch = 3 },
    goal = "≥ 3× torch",
    check = function(r) return r.torch and r.torch / r.gd >= 3 end },
  { name = "mle_compile", what = "mle_normal through gd.compile (trace included), 1000 steps on 1e4",
    unit = "ms", c = "one pass per step (log, exp per point), its own sample", reps = { gd = 3, torch = 3 },
    goal = "≤ 2× C (needs fusion)",
    check = function(r) return r.c and r.gd / r.c <= 2 end },
  { name = "mlp_compile", what = "MLP 2-32-32-1 tanh, Adam, 2000 tape steps on 1000 points, gd.compile",
    unit = "ms", reps = { gd = 3, torch = 3 },
    goal = "≥ 3× torch",
    check = function(r) return r.torch and r.torch / r.gd >= 3 end },
  { name = "record_cost", what = "a + b recorded on a tape, 2 elements",
    ops = 2e5, unit = "µs/op", base = "record_plain", c = "the same op outside a tape, in gdlua",
    goal = "≤ 2× the op outside a tape",
    check = function(r) return r.c and r.gd <= 2 * r.c end },
  { name = "optim_step", what = "Adam step (apply_gradients) on a 1e7-element variable",
    unit = "ms", c = "memory floor: one loop reading g, reading+writing w, m, v", reps = { torch = 3 },
    goal = "≤ 1.5× C, ≥ 5× torch",
    check = function(r)
      return (r.c and r.gd / r.c <= 1.5) and (r.torch and r.torch / r.gd >= 5)
    end },
  { name = "matmul", what = "1024×1024 @ 1024×1024",
    unit = "ms", c = "cblas_dgemm called directly", c_libs = "$(pkg-config --cflags --libs openblas)",
    goal = "within 5% of torch",
    check = function(r) return r.torch and r.gd <= 1.05 * r.torch end },
  { name = "plot_points", what = "1e6 points to a 640×480 PNG, plot(x, y, \".\"); CPU incl. gnuplot",
    unit = "ms", reps = { gd = 1 },
    goal = "< 3 s",
    check = function(r) return r.gd < 3000 end },
  { name = "plot_gif", what = "5 paths × 50 frames on a 200×200 contour, animated GIF; CPU incl. gnuplot",
    unit = "ms", reps = { gd = 1 },
    goal = "< 3 s, < 2 MB (info)",
    check = function(r) return r.gd < 3000 end },
  { name = "nn_logistic", what = "exam 3(2): 10,000 epochs Dense(1, sigmoid) + BCE, 2000 rows, fit (gd.compile)",
    unit = "ms", reps = { gd = 2, torch = 1 },
    goal = "≥ 10× torch",
    check = function(r) return r.torch and r.torch / r.gd >= 10 end },
  { name = "nn_mlp", what = "784-128-10 MLP, batch 128, one epoch of 60,000 rows",
    unit = "ms", reps = { gd = 1, torch = 1 },
    goal = "≤ torch",
    check = function(r) return r.torch and r.gd <= r.torch end },
  { name = "sort", what = "gd.sort of 1e6 doubles (values and indices) vs np.sort",
    unit = "ms", ref = "numpy",
    goal = "≤ numpy",
    check = function(r) return r.numpy and r.gd <= r.numpy end },
  { name = "histogram", what = "gd.histogram of 1e7 doubles, 10 bins vs np.histogram",
    unit = "ms", ref = "numpy",
    goal = "≤ numpy",
    check = function(r) return r.numpy and r.gd <= r.numpy end },
  { name = "json_msg", what = "gd.json encode + decode, a message with 1e5 floats and 1e5 chars, vs Python's json",
    unit = "ms", ref = "python",
    goal = "≤ 2× Python's json (C accelerated)",
    check = function(r) return r.python and r.gd <= 2 * r.python end },
  { name = "kernel_start", what = "gdlua --kernel: start to the first kernel_info_reply (jupyter_client, wall time)",
    unit = "ms", reps = { gd = 1 },
    goal = "< 200 ms (ipykernel's in the notes)",
    check = function(r) return r.gd < 200 end },
  { name = "kernel_roundtrip", what = "an empty cell, execute_request to execute_reply (jupyter_client, wall time)",
    unit = "ms", reps = { gd = 1 },
    goal = "< 5 ms (ipykernel's in the notes)",
    check = function(r) return r.gd < 5 end },
  { name = "lbfgs", what = "L-BFGS (history 10, strong Wolfe), separable Rosenbrock n = 10,000, gtol 1e-6",
    unit = "ms", reps = { gd = 3, torch = 2 },
    goal = "≥ 5× torch",
    check = function(r) return r.torch and r.torch / r.gd >= 5 end },
}

-- a + b at the sizes around the inline-result limit (64 elements), against
-- the 16-element cost timed in the same process (C column; issue 15 item 4);
-- small_add's time lines are per 1e6 ops, long run or not
for _, n in ipairs { 2, 16, 17, 32, 64 } do
  workloads[#workloads + 1] = {
    name = "small_add_" .. n, file = "small_add", args = tostring(n), refs = { "numpy", "torch" },
    what = ("a + b, %d elements"):format(n), ops = 1e6, unit = "µs/op",
    base = "inline", c = "a + b at 16 elements, same process", reps = { torch = 3 },
    goal = "≤ 1.3× the 16-element cost",
    check = function(r) return r.c and r.gd <= 1.3 * r.c end }
end
workloads[#workloads + 1] = {
  name = "small_add_long", file = "small_add", args = "32 long", refs = {},
  what = "a + b, 32 elements, 1e7 ops with 10,000 tensors alive", ops = 1e6, unit = "µs/op",
  base = "inline", c = "a + b at 16 elements, same process", reps = { gd = 3 },
  goal = "≤ 1.3× the 16-element cost",
  check = function(r) return r.c and r.gd <= 1.3 * r.c end }

-- LAPACK-backed functions at n = 100 and 500, numpy and torch beside
-- (issue 15 item 5)
for _, op in ipairs { "solve", "inv", "cholesky", "eigh", "svd" } do
  for _, n in ipairs { 100, 500 } do
    workloads[#workloads + 1] = {
      name = ("linalg_%s_%d"):format(op, n), file = "linalg", args = ("%s %d"):format(op, n),
      refs = { "numpy", "torch" }, what = ("gd.%s, %d×%d"):format(op, n, n), ops = 1, unit = "µs",
      reps = n > 100 and { gd = 3, numpy = 3, torch = 3 } or nil,
      goal = "≤ numpy",
      check = function(r) return r.numpy and r.gd <= r.numpy end }
  end
end

-- Vectorized transcendentals (issue 15, item 1): ns/elem on 1e6 elements;
-- goal within 1.5× of numpy (for erf, sigmoid, softplus: scipy.special.erf,
-- expit and np.logaddexp stand in, numpy having none).
for _, f in ipairs { "exp", "log", "expm1", "log1p", "tanh", "sigmoid", "softplus", "sin", "cos",
                     "tan", "sqrt", "erf", "pow2.5", "pow3" } do
  workloads[#workloads + 1] = {
    name = "transcendental_" .. f, file = "transcendental", args = f, refs = { "numpy", "torch" },
    what = f .. " of 1e6 doubles", ops = 1e6, ns = true,
    unit = "ns/elem", reps = { gd = 3, torch = 2, numpy = 2 },
    goal = "≤ 1.5× numpy",
    check = function(r) return r.numpy and r.gd <= 1.5 * r.numpy end }
end

-- Issue 15 items 2 and 3 (kernels_par.lua/.py, wall clock): reductions over dim 1
-- and the transposed exp on 1000×1000 against torch and numpy (1 thread), and
-- 1e7-element ops with 1 and 2 threads; the 2-thread rows put gdlua's 1-thread time,
-- timed in the same process between the 2-thread batches, in the C column, so
-- gdlua/C is the threads' speed-up (goal ≥ 1.7×: ≤ 0.59).  The *7_c2 rows put gdlua's
-- 2-thread sum and add beside hand-written loops on 2 pthreads (kernels_par.c): these
-- memory-bound ops scale only as far as the machine's bandwidth does, and the C
-- program's own speed-up over 1 thread goes to the notes.
local function ge_ref(r) local ref = r.torch or r.numpy; return ref and r.gd <= ref end
for _, c in ipairs {
  { "sum1", "x:sum(1), 1000×1000" }, { "mean1", "x:mean(1), 1000×1000" },
  { "max1", "x:max(1), 1000×1000" }, { "expT", "gd.exp(x.T), 1000×1000" },
  { "max2", "x:max(2) (values and indices), 1000×1000" }, { "norm", "x:norm(), 1000×1000" },
  { "lse2", "x:logsumexp(2), 1000×1000 (numpy: scipy.special)" },
  { "clip", "gd.clip(x, -0.2, 0.2), 1000×1000" },
} do
  workloads[#workloads + 1] = { name = c[1], file = "kernels_par", args = c[1] .. " 1",
    what = c[2] .. ", 1 thread, wall", ops = 20, unit = "µs/op", goal = "≤ torch", check = ge_ref }
  workloads[#workloads + 1] = { name = c[1] .. "_np", file = "kernels_par", ref = "numpy",
    args = c[1] .. " 1 numpy", what = c[2] .. ", 1 thread, wall", ops = 20, unit = "µs/op",
    goal = "≤ numpy", check = ge_ref }
end
for _, c in ipairs { { "sum", "x:sum(), 1e7" }, { "add", "a + b, 1e7" }, { "exp", "gd.exp(x), 1e7" } } do
  workloads[#workloads + 1] = { name = c[1] .. "7", file = "kernels_par", args = c[1] .. " 1",
    what = c[2] .. ", 1 thread, wall", ops = 2, unit = "µs/op", goal = "≤ torch", check = ge_ref }
  workloads[#workloads + 1] = { name = c[1] .. "7_np", file = "kernels_par", ref = "numpy",
    args = c[1] .. " 1 numpy", what = c[2] .. ", 1 thread, wall", ops = 2, unit = "µs/op",
    goal = "≤ numpy", check = ge_ref }
  workloads[#workloads + 1] = { name = c[1] .. "7_t2", file = "kernels_par", args = c[1] .. " 2",
    base = "inline", what = c[2] .. ", 2 threads (torch 2), wall",
    ops = 2, unit = "µs/op", c = "gdlua with 1 thread, same process",
    goal = "≥ 1.7× over 1 thread (gdlua/C ≤ 0.59)",
    check = function(r) return r.c and r.gd <= r.c / 1.7 end }
  if c[1] ~= "exp" then   -- memory-bound: what this machine's bandwidth gives two threads
    workloads[#workloads + 1] = { name = c[1] .. "7_c2", file = "kernels_par", args = c[1] .. " 2",
      refs = {}, c_file = "kernels_par", c_args = c[1], c_libs = "-pthread",
      what = c[2] .. ", 2 threads, wall", ops = 2, unit = "µs/op",
      c = "hand-written loop on 2 pthreads (its speed-up over 1 thread in the notes)",
      goal = "≤ 1.1× C", check = function(r) return r.c and r.gd <= 1.1 * r.c end }
  end
end

---------------------------------------------------------------------------

local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end
local function shq(s) return "'" .. tostring(s):gsub("'", [['\'']]) .. "'" end

-- The interpreter running us: the lowest negative index of arg (lua.c convention).
local function interpreter()
  local lo = 0
  while arg and arg[lo - 1] do lo = lo - 1 end
  return lo < 0 and arg[lo] or "./gdlua"
end

io.stdout:setvbuf("line")
local HERE = dirname(arg and arg[0] or "tests/bench/run.lua")
do  -- make HERE absolute so ROOT is right from any working directory
  local p = io.popen("cd '" .. HERE:gsub("'", [['\'']]) .. "' && pwd")
  local abs = p and p:read("l")
  if p then p:close() end
  if abs and abs ~= "" then HERE = abs end
end
local ROOT = HERE:gsub("/tests/bench$", "")
local OUT = ROOT .. "/build/bench"
local GDLUA = os.getenv("GDLUA") or interpreter()
local PYTHON = os.getenv("PYTHON") or "/usr/bin/python3"
local REPS = math.tointeger(tonumber(os.getenv("BENCH_REPS") or "")) or 5
if REPS < 1 then REPS = 1 end
local ENV = "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 GD_NUM_THREADS=1 "

local function exists(p) local f = io.open(p, "r"); if f then f:close() end; return f ~= nil end

-- Run a shell command; return its output lines and whether it succeeded.
local function run(cmd)
  local p = io.popen(cmd .. " 2>&1", "r")
  local out = p:read("a")
  local ok = p:close()
  local lines = {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  return lines, ok
end

local function median(t)
  table.sort(t)
  local n = #t
  if n == 0 then return nil end
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

local notes = {}
local function note(s) notes[#notes + 1] = s end

-- One process of an implementation: its `time` samples, `base` samples, value
-- and info, or nil and the first line that is none of those.
local function run_once(cmd)
  local lines, ok = run(cmd)
  local out, other = { samples = {}, bases = {} }, nil
  for _, l in ipairs(lines) do
    local key, num = l:match("^(%a+)%s+(%S+)")
    num = tonumber(num)
    if key == "time" and num then out.samples[#out.samples + 1] = num
    elseif key == "base" and num then out.bases[#out.bases + 1] = num
    elseif key == "value" and num then out.value = num
    elseif l:match("^info%s") then out.info = l:match("^info%s+(.*)")
    else other = other or l end
  end
  if ok and #out.samples > 0 then return out end
  return nil, other or lines[1] or "(no output)"
end

-- Run the implementations of one row, jobs = { {key, label, cmd, reps}, ... },
-- in turns: one process of each, then the next round, so that a change in the
-- machine's speed during the row (this VM has slow and fast spells of seconds
-- to minutes) touches every column alike.  Returns, by key, the median
-- seconds, the value and the median in-process baseline (`base` lines).
local function measure(jobs)
  local acc, rounds = {}, 0
  for _, j in ipairs(jobs) do
    acc[j.key] = { samples = {}, bases = {} }
    rounds = math.max(rounds, j.reps)
  end
  for round = 1, rounds do
    for _, j in ipairs(jobs) do
      local a = acc[j.key]
      if round <= j.reps and not a.failed then
        local out, msg = run_once(j.cmd)
        if not out then
          note(("%s: failed: %s"):format(j.label, msg))
          a.failed = true
        else
          table.move(out.samples, 1, #out.samples, #a.samples + 1, a.samples)
          table.move(out.bases, 1, #out.bases, #a.bases + 1, a.bases)
          a.value, a.info = out.value, out.info or a.info
        end
      end
    end
  end
  local t, v, base = {}, {}, {}
  for _, j in ipairs(jobs) do
    local a = acc[j.key]
    if not a.failed then
      if a.info then note(("%s: %s"):format(j.label, a.info)) end
      t[j.key], v[j.key], base[j.key] = median(a.samples), a.value, median(a.bases)
    end
  end
  return t, v, base
end

-- Is torch importable by PYTHON?
local torch_version
do
  local lines, ok = run(shq(PYTHON) .. [[ -c "import torch; print(torch.__version__)"]])
  if ok and lines[#lines] then torch_version = lines[#lines] end
end

-- Is numpy importable by PYTHON (for the entries with ref = "numpy")?
local numpy_version
do
  local lines, ok = run(shq(PYTHON) .. [[ -c "import numpy; print(numpy.__version__)"]])
  if ok and lines[#lines] then numpy_version = lines[#lines] end
end

local cc_ok = run("command -v cc >/dev/null && echo yes")[1] == "yes"

local function compile_c(w)
  local src = ("%s/%s.c"):format(HERE, w.c_file or w.name)
  local exe = ("%s/%s_c"):format(OUT, w.name)
  if not cc_ok then note(w.name .. " C: no cc"); return nil end
  local lines, ok = run(("mkdir -p %s && cc -O2 -fno-math-errno -std=c11 -D_POSIX_C_SOURCE=200809L -o %s %s %s -lm")
    :format(shq(OUT), shq(exe), shq(src), w.c_libs or ""))
  if not ok then note(("%s C: compile failed: %s"):format(w.name, lines[1] or "?")); return nil end
  return exe
end

-- Seconds → the display unit.
local function scale(w, s)
  if s == nil then return nil end
  if w.ns then return s / w.ops * 1e9 end
  if w.ops then return s / w.ops * 1e6 end
  return s * 1e3
end

local function fmt(x)
  if x == nil then return "n/a" end
  if x >= 100 then return ("%.0f"):format(x) end
  if x >= 10 then return ("%.1f"):format(x) end
  if x >= 1 then return ("%.2f"):format(x) end
  return ("%.3f"):format(x)
end
local function ratio(a, b)
  if a == nil or b == nil or b == 0 then return "n/a" end
  return ("%.2f×"):format(a / b)
end

local function same(a, b)
  return math.abs(a - b) <= 1e-9 * math.max(1, math.abs(a), math.abs(b))
end

-- Selection by name from the command line.
local wanted = {}
for i = 1, #(arg or {}) do wanted[arg[i]] = true end
local selected = {}
for _, w in ipairs(workloads) do
  if next(wanted) == nil or wanted[w.name] or (w.file and wanted[w.file]) then
    selected[#selected + 1] = w
  end
end
for name in pairs(wanted) do
  local found = false
  for _, w in ipairs(workloads) do
    found = found or w.name == name or w.file == name
  end
  if not found then io.stderr:write("bench: no workload named " .. name .. "\n"); os.exit(1) end
end

print(("gdlua bench: %s | torch: %s | numpy: %s | OPENBLAS_NUM_THREADS=1 (1 thread vs 1 thread), OPENBLAS_CORETYPE=%s"):format(
  GDLUA, torch_version and (torch_version .. " via " .. PYTHON) or "n/a (" .. PYTHON .. " cannot import torch)",
  numpy_version or "n/a",
  os.getenv("OPENBLAS_CORETYPE") or "unset"))
print(("median of up to %d processes × in-process repetitions; CPU time; per-op rows in µs/op, others in ms"):format(REPS))

local rows = {}
for _, w in ipairs(selected) do
  local reps = w.reps or {}
  local function n(impl) return math.min(REPS, reps[impl] or REPS) end
  local file = w.file or w.name
  local args = w.args and " " .. w.args or ""
  local lua_file = ("%s/%s.lua"):format(HERE, file)
  io.stderr:write(("bench: %s ...\n"):format(w.name))
  local jobs = { { key = "gd", label = w.name .. " gdlua", reps = n("gd"),
                  cmd = ENV .. shq(GDLUA) .. " " .. shq(lua_file) .. args } }
  local py_file = ("%s/%s.py"):format(HERE, file)
  for _, ref in ipairs(w.refs or { w.ref or "torch" }) do   -- the Python libraries of the .py side
    local ref_ok = (ref == "numpy" and numpy_version) or (ref == "torch" and torch_version) or ref == "python"
    if ref_ok and exists(py_file) then
      jobs[#jobs + 1] = { key = ref, label = w.name .. " " .. ref, reps = n(ref),
        cmd = ENV .. "PYTHONDONTWRITEBYTECODE=1 " .. shq(PYTHON) .. " " .. shq(py_file)
          .. (w.refs and " " .. ref or "") .. args }
    end
  end
  if w.base and w.base ~= "inline" then      -- a gdlua baseline program in the C column
    jobs[#jobs + 1] = { key = "c", label = w.name .. " base", reps = n("c"),
      cmd = ENV .. shq(GDLUA) .. " " .. shq(("%s/%s.lua"):format(HERE, w.base))
        .. (w.base_args and " " .. w.base_args or "") }
  elseif not w.base and w.c then
    local exe = compile_c(w)
    if exe then
      jobs[#jobs + 1] = { key = "c", label = w.name .. " C", reps = n("c"),
        cmd = ENV .. shq(exe) .. (w.c_args and " " .. w.c_args or "") }
    end
  end
  local r, v, base = measure(jobs)
  if w.base == "inline" then r.c = base.gd end   -- timed by the gdlua program itself, in the same process
  for _, k in ipairs { "torch", "numpy", "python", "c" } do
    if v.gd and v[k] and not same(v.gd, v[k]) and not (k == "c" and w.base_args) then   -- a base on other data differs
      note(("%s: gdlua value %.17g differs from %s value %.17g"):format(w.name, v.gd, k, v[k]))
    end
  end
  for k, s in pairs(r) do r[k] = scale(w, s) end
  local verdict = "?"
  if r.gd then
    local ok = w.check and w.check(r)
    -- check returns true, false, or nil when a missing column leaves it open
    if ok == true then verdict = "met" elseif ok == false then verdict = "MISSED" end
  end
  rows[#rows + 1] = {
    w.name .. " (" .. w.what .. ")", w.unit,
    r.gd and fmt(r.gd) or "err", fmt(r.torch), ratio(r.torch, r.gd), fmt(r.numpy or r.python) .. (r.python and " py" or ""), ratio(r.numpy or r.python, r.gd),
    fmt(r.c), ratio(r.gd, r.c), w.goal .. ": " .. verdict,
  }
end

-- Print the table, padding by UTF-8 character count.
local header = { "workload", "unit", "gdlua", "torch", "torch/gdlua", "numpy", "numpy/gdlua", "C", "gdlua/C", "goal" }
local width = {}
for i, h in ipairs(header) do width[i] = utf8.len(h) end
for _, row in ipairs(rows) do
  for i, c in ipairs(row) do width[i] = math.max(width[i], utf8.len(c) or #c) end
end
local function line(cells)
  local out = {}
  for i, c in ipairs(cells) do
    local pad = (" "):rep(width[i] - (utf8.len(c) or #c))
    out[i] = (i >= 3 and i <= #cells - 1) and (pad .. c) or (c .. pad)
  end
  print("| " .. table.concat(out, " | ") .. " |")
end
print()
line(header)
local sep = {}
for i = 1, #header do sep[i] = ("-"):rep(width[i]) end
print("|-" .. table.concat(sep, "-|-") .. "-|")
for _, row in ipairs(rows) do line(row) end
local cs = {}
for _, w in ipairs(selected) do
  if type(w.c) == "string" then cs[#cs + 1] = w.name .. ": " .. w.c end
end
if #cs > 0 then print(); print("C column: " .. table.concat(cs, "; ")) end
if #notes > 0 then
  print()
  for _, s in ipairs(notes) do print("note: " .. s) end
end
