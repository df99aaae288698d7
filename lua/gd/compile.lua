-- gd.compile: capture a training step once and replay it in C (DESIGN.md
-- section 11).  This file is the user-facing part: the cache of traces by
-- signature, the guards that notice a replaced Variable, the eager fallback.
-- Tracing, planning and replay are C (src/compile.c, src/lcompile.c).
--
-- A signature is the arguments' kinds, tensor shapes and strides, and the
-- values of number, boolean and string arguments: numbers are static (a new
-- number traces again), as jax.jit's static arguments.  The tensors made
-- outside the function that a trace reads (its Variables, captured data)
-- are held by reference; where one is reachable from the function's
-- upvalues, the path to it is a guard, checked before each replay, so that
-- replacing it (params.w = gd.Variable(...)) retraces instead of replaying
-- on the old one.
return function(gd)
  local check = require "gd.check"
  local C = gd._compile

  local Step = {}
  Step.__index = Step
  Step.__name = "gd.CompiledStep"

  local function pack(...) return { n = select("#", ...), ... } end

  -- Paths from fn to each target (breadth first through upvalues and plain
  -- table fields, a few steps deep, gd's own tables skipped).
  local skip = { [gd] = true, [package] = true, [package.loaded] = true, [_G] = false }
  local function find_paths(fn, targets, want)
    local found, seen, queue, head, budget = {}, {}, { { fn, {} } }, 1, 4000
    while head <= #queue and want > 0 and budget > 0 do
      local v, path = queue[head][1], queue[head][2]
      head = head + 1
      local function visit(child, step)
        budget = budget - 1
        if targets[child] and not found[child] then
          local p = { table.unpack(path) }
          p[#p + 1] = step
          found[child] = p
          want = want - 1
        elseif (type(child) == "table" or type(child) == "function") and not seen[child]
            and not skip[child] and #path < 4 then
          seen[child] = true
          local p = { table.unpack(path) }
          p[#p + 1] = step
          queue[#queue + 1] = { child, p }
        end
      end
      if type(v) == "function" then
        for i = 1, 255 do
          local name, u = debug.getupvalue(v, i)
          if name == nil then break end
          visit(u, { "u", i })
        end
      elseif type(v) == "table" and getmetatable(v) == nil then
        for k, u in next, v do
          if type(k) == "string" or type(k) == "number" then visit(u, { "f", k }) end
        end
      end
    end
    return found
  end

  local function forget(self, sig)
    if self.traces[sig] == nil then return end
    self.traces[sig] = nil
    for i, s in ipairs(self.order) do
      if s == sig then table.remove(self.order, i) break end
    end
  end

  -- Trace fn on these arguments (one eager call) and cache the program.
  local function trace(self, sig, ...)
    while #self.order >= self.max_traces do forget(self, self.order[1]) end
    local r = pack(C.trace(self.fn, ...))
    local prog, err = r[1], r[2]
    local entry
    if prog then
      local targets, n = {}, 0
      for _, t in ipairs(C.anchors(prog)) do targets[t] = true; n = n + 1 end
      local guards = {}
      for obj, path in pairs(find_paths(self.fn, targets, n)) do guards[#guards + 1] = { path, obj } end
      entry = { prog = prog, guards = guards }
    elseif self.fallback then
      if not self.warned then
        self.warned = true
        io.stderr:write(err, "; running this step eagerly (fallback = true)\n")
      end
      entry = { eager = true, guards = {} }
    else
      error(err, 0)
    end
    self.traces[sig] = entry
    self.order[#self.order + 1] = sig
    self.ntraced = self.ntraced + 1
    return table.unpack(r, 3, r.n)
  end

  -- The cached trace for these arguments (nil: trace now).
  local function lookup(self, sig)
    local tr = self.traces[sig]
    if tr and not C.guards_hold(self.fn, tr.guards) then   -- lcompile.c: the one check of guards
      forget(self, sig)
      tr = nil
    end
    return tr
  end

  -- step(...): the replay of a cached program runs in C (lcompile.c's
  -- step_call: signature, guards, replay); the rest comes here.
  Step.__call = C.step_call(function(self, ...)
    local sig = C.signature(...)
    local tr = lookup(self, sig)
    if tr == nil then return trace(self, sig, ...) end
    if tr.eager then return self.fn(...) end
    return tr.prog:run(1, ...)
  end)

  --- step:run(n, ...): n calls of the step on the same arguments, looped in C; returns the last call's results.
  function Step:run(n, ...)
    n = check.integer("gd.CompiledStep:run", "argument 1 (n)", n, 1)
    local sig = C.signature(...)
    local tr = lookup(self, sig)
    if tr == nil then
      local r = pack(trace(self, sig, ...))
      if n == 1 then return table.unpack(r, 1, r.n) end
      n = n - 1
      tr = self.traces[sig]
    end
    if tr.eager then
      local r
      for _ = 1, n do r = pack(self.fn(...)) end
      return table.unpack(r, 1, r.n)
    end
    return tr.prog:run(n, ...)
  end

  --- step:info(): {traces = cached traces, traced = traces made so far, programs = {{instructions, buffers, doubles, guards}, ...}}.
  function Step:info()
    local progs = {}
    for _, sig in ipairs(self.order) do
      local tr = self.traces[sig]
      if tr.prog then
        local s = tr.prog:stats()
        s.guards = #tr.guards
        s.list = tr.prog:instructions()
        progs[#progs + 1] = s
      else
        progs[#progs + 1] = { eager = true }
      end
    end
    return { traces = #self.order, traced = self.ntraced, programs = progs }
  end

  --- step:clear(): forget every cached trace (the next call traces again).
  function Step:clear()
    self.traces, self.order = {}, {}
  end

  gd.doc(Step.run, "step:run(n, ...): n calls of a compiled step looped in C; returns the last call's results")
  gd.doc(Step.info, "step:info(): the cached traces and each program's instruction and buffer counts")
  gd.doc(Step.clear, "step:clear(): forget a compiled step's traces")

  --- gd.compile(fn[, {max_traces = 8, fallback = false}]): fn captured on its first call per signature and replayed in C after.
  function gd.compile(fn, opts)
    local fname = "gd.compile"
    if type(fn) ~= "function" then check.fail(fname, "argument 1: function expected, got %s", check.show(fn)) end
    opts = check.opts(fname, opts, { "max_traces", "fallback" }, 2)
    local self = setmetatable({
      fn = fn,
      max_traces = opts.max_traces == nil and 8 or check.integer(fname, "max_traces", opts.max_traces, 1),
      fallback = check.boolean(fname, "fallback", opts.fallback, false),
      traces = {}, order = {}, ntraced = 0,
    }, Step)
    return self
  end
  gd.doc(gd.compile, "gd.compile(fn[, {max_traces = 8, fallback = false}]): a step that runs fn once per "
    .. "signature (tensor shapes, number values) while recording its ops, then replays them in C: "
    .. "step(...) returns fresh tensors, step:run(n, ...) loops n times")
end
