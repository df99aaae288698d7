/* lcompile.c: the Lua binding of compile.c: gd._compile.trace(fn, ...) runs
 * fn once while tracing and returns a gd.Program; prog:run(n, ...) replays
 * it.  The user-facing gd.compile (signatures, the cache, guards, fallback)
 * is lua/gd/compile.lua.
 *
 * While a trace runs, every tensor made before it that an op meets is
 * anchored in the program's user value (a table keyed by its storage), so
 * inline data stays valid for as long as the program may read it.
 */
#include "lgd.h"

#include <string.h>

#include "ad.h"
#include "compile.h"

#define GDL_PROGRAM "gd.Program"

typedef struct gdl_prog { gd_prog *p; int nres; } gdl_prog;

static const void *program_mt;
static lua_State *trace_L;        /* the state running the trace (one at a time) */
static const char anchors_key = 'A';   /* registry: the running trace's anchor table */

/* "file:line" of the innermost user code on the stack (frames of gd's own
 * Lua files, named "=[gd] ...", are skipped when a user frame exists). */
static void where(char *buf, size_t len) {
  lua_State *L = trace_L;
  lua_Debug ar;
  buf[0] = 0;
  for (int level = 1; L && lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
    int ours = strncmp(ar.source, "=[gd]", 5) == 0;
    if (!buf[0] || !ours) snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
    if (!ours) return;
  }
}

void gdl_cp_anchor(lua_State *L, int i) {
  if (!gd_cp_tracing || L != trace_L) return;
  i = lua_absindex(L, i);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &anchors_key);
  lua_pushvalue(L, i);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void gdl_cp_seen(lua_State *L, int i, const gd_tensor *t) {
  if (L != trace_L) return;
  gd_cp_seen(t);
  if (!gd_cp_outside(t)) return;
  i = lua_absindex(L, i);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &anchors_key);
  lua_pushlightuserdata(L, t->st);
  lua_pushvalue(L, i);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

static gdl_prog *checkprog(lua_State *L, int i, const char *fname) {
  gdl_prog *p = gdl_testudata(L, i, GDL_PROGRAM, &program_mt);
  if (!p) luaL_error(L, "%s: argument %d: gd.Program expected, got %s", fname, i, gdl_typename(L, i));
  if (!p->p) luaL_error(L, "%s: the program is closed", fname);
  return p;
}

/* __gc and __close: free the program (idempotent). */
static int prog_gc(lua_State *L) {
  gdl_prog *p = gdl_testudata(L, 1, GDL_PROGRAM, &program_mt);
  if (!p) return luaL_typeerror(L, 1, GDL_PROGRAM);
  gd_prog_free(p->p);
  p->p = NULL;
  return 0;
}

/* gd._compile.trace(fn, ...): run fn(...) once as a trace.  Returns the
 * program (or false and the trace's error) followed by fn's results, which
 * are the eager call's. */
static int l_trace(lua_State *L) {
  const char *fname = "gd.compile";
  luaL_checktype(L, 1, LUA_TFUNCTION);
  int nargs = lua_gettop(L) - 1;
  if (gd_ad_depth() > 0)
    luaL_error(L, "%s: a compiled step cannot run inside an open GradientTape "
               "(open the tape inside the step)", fname);
  gdl_prog *ud = lua_newuserdatauv(L, sizeof *ud, 1);
  ud->p = NULL;
  ud->nres = 0;
  luaL_setmetatable(L, GDL_PROGRAM);
  int ui = lua_gettop(L);
  lua_newtable(L);                       /* the anchors */
  int ai = lua_gettop(L);
  lua_pushvalue(L, ai);
  lua_setiuservalue(L, ui, 1);
  ud->p = gd_prog_new();
  if (!ud->p) luaL_error(L, "%s: out of memory", fname);
  for (int k = 0; k < nargs; k++) {      /* before tracing: the door would take them for outside tensors */
    gd_tensor *t = gdl_test(L, 2 + k);
    if (t && t->st && gd_prog_arg(ud->p, k, t)) break;
  }
  if (gd_prog_begin(ud->p)) gdl_fail(L, fname);
  trace_L = L;
  lua_pushvalue(L, ai);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &anchors_key);
  gd_cp_where_fn = where;
  int gc_was_on = lua_gc(L, LUA_GCISRUNNING);
  lua_gc(L, LUA_GCSTOP);
  lua_pushvalue(L, 1);
  for (int k = 0; k < nargs; k++) lua_pushvalue(L, 2 + k);
  int base = lua_gettop(L) - nargs - 1;
  int st = lua_pcall(L, nargs, LUA_MULTRET, 0);
  if (gc_was_on) lua_gc(L, LUA_GCRESTART);
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &anchors_key);
  if (st != LUA_OK) {
    gd_prog_abort(ud->p);
    trace_L = NULL;
    return lua_error(L);
  }
  int nres = lua_gettop(L) - base;
  const gd_tensor *resv[64];
  if (nres > 64) gd_cp_unsupported("returning more than 64 values");
  for (int k = 0; k < nres && k < 64; k++) {
    int i = base + 1 + k;
    resv[k] = gdl_test(L, i);
    if (!resv[k] && !lua_isnil(L, i))
      gd_cp_unsupported(lua_type(L, i) == LUA_TNUMBER
                            ? "returning a number (return a tensor: a replay recomputes tensors only)"
                            : "returning a value that is not a tensor");
  }
  int rc = gd_prog_end(ud->p, nres > 64 ? 64 : nres, resv);
  trace_L = NULL;
  ud->nres = nres;
  if (rc) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, gd_errmsg());
  } else {
    lua_pushvalue(L, ui);
    lua_pushnil(L);
  }
  lua_rotate(L, base + 1, 2);            /* prog (or false), message, results... */
  return nres + 2;
}

/* Push fresh copies of the results of the program's last run; their count. */
static int push_results(lua_State *L, gdl_prog *ud, const char *fname) {
  luaL_checkstack(L, ud->nres + 2, fname);
  for (int k = 0; k < ud->nres; k++) {
    const gd_tensor *h = gd_prog_result(ud->p, k);
    if (!h) { lua_pushnil(L); continue; }
    gd_tensor *r = gdl_new_shaped(L, h->ndim, h->shape, fname);
    if (gd_copy_into(r, h)) gdl_fail(L, fname);
  }
  return ud->nres;
}

/* prog:run(n, ...): replay n ≥ 1 times with the arguments ...; returns
 * fresh copies of the results of the last run. */
static int l_run(lua_State *L) {
  const char *fname = "gd.Program:run";
  gdl_prog *ud = checkprog(L, 1, fname);
  int64_t n = gdl_checkint(L, 2, fname, "n");
  if (n < 1) luaL_error(L, "%s: argument 2 (n): at least 1 expected, got %I", fname, (lua_Integer)n);
  if (gd_cp_tracing) luaL_error(L, "%s: compiled steps do not nest (one runs inside a trace)", fname);
  int nargs = lua_gettop(L) - 2;
  for (int k = 0; k < nargs; k++) {
    gd_tensor *t = gdl_test(L, 3 + k);
    if (t && gd_prog_bind(ud->p, k, t)) gdl_fail(L, fname);
  }
  if (gd_prog_run(ud->p, n)) gdl_fail(L, fname);
  return push_results(L, ud, fname);
}

/* prog:stats(): instructions, planned buffers, doubles in them, fused instructions. */
static int l_stats(lua_State *L) {
  gdl_prog *ud = checkprog(L, 1, "gd.Program:stats");
  int ni, nb, nf;
  size_t nd;
  gd_prog_stats(ud->p, &ni, &nb, &nd, &nf);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, nf);
  lua_setfield(L, -2, "fused");
  lua_pushinteger(L, ni);
  lua_setfield(L, -2, "instructions");
  lua_pushinteger(L, nb);
  lua_setfield(L, -2, "buffers");
  lua_pushinteger(L, (lua_Integer)nd);
  lua_setfield(L, -2, "doubles");
  return 1;
}

/* prog:instructions(): a list of "name numel" per instruction, in order. */
static int l_instructions(lua_State *L) {
  gdl_prog *ud = checkprog(L, 1, "gd.Program:instructions");
  lua_newtable(L);
  size_t n;
  const char *name;
  for (int i = 0; (name = gd_prog_instr(ud->p, i, &n)); i++) {
    lua_pushfstring(L, "%s %I", name, (lua_Integer)n);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* gd._compile.live(): programs alive in C (for the memory tests). */
static int l_live(lua_State *L) {
  lua_pushinteger(L, gd_prog_live());
  return 1;
}

/* gd._compile.anchors(prog): the tensors made outside that the program holds (a list). */
static int l_anchors(lua_State *L) {
  checkprog(L, 1, "gd._compile.anchors");
  lua_getiuservalue(L, 1, 1);
  lua_newtable(L);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    if (gdl_test(L, -1)) {
      lua_pushvalue(L, -1);
      lua_rawseti(L, -4, ++n);
    }
    lua_pop(L, 1);
  }
  return 1;
}

/* Append v in decimal to b. */
static void add_int(luaL_Buffer *b, long long v) {
  char s[24];
  int n = 0;
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do { s[n++] = (char)('0' + u % 10); u /= 10; } while (u);
  if (v < 0) s[n++] = '-';
  while (n) luaL_addchar(b, s[--n]);
}

/* Push the signature of the values at first..last: a string key of their
 * kinds, shapes and strides (tensors) and values (numbers, booleans,
 * strings). */
static void push_signature(lua_State *L, int first, int last) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = first; i <= last; i++) {
    gd_tensor *t = gdl_test(L, i);
    if (t) {
      luaL_addchar(&b, 'T');
      for (int d = 0; d < t->ndim; d++) {
        add_int(&b, (long long)t->shape[d]);
        luaL_addchar(&b, '/');
        add_int(&b, (long long)t->stride[d]);
        luaL_addchar(&b, ',');
      }
    } else if (lua_type(L, i) == LUA_TNUMBER) {
      char s[64];
      if (lua_isinteger(L, i)) snprintf(s, sizeof s, "I%lld", (long long)lua_tointeger(L, i));
      else snprintf(s, sizeof s, "N%.17g", lua_tonumber(L, i));
      luaL_addstring(&b, s);
    } else if (lua_type(L, i) == LUA_TBOOLEAN) {
      luaL_addstring(&b, lua_toboolean(L, i) ? "B1" : "B0");
    } else if (lua_type(L, i) == LUA_TSTRING) {
      luaL_addchar(&b, 'S');
      add_int(&b, (long long)lua_rawlen(L, i));
      luaL_addchar(&b, ':');
      lua_pushvalue(L, i);
      luaL_addvalue(&b);
    } else if (lua_isnil(L, i)) {
      luaL_addchar(&b, 'Z');
    } else {
      luaL_error(L, "gd.compile: argument %d: a %s (a compiled step takes tensors, "
                 "numbers, booleans, strings and nil; pass other values as upvalues)",
                 i - first + 1, gdl_typename(L, i));
    }
    luaL_addchar(&b, ';');
  }
  luaL_pushresult(&b);
}

/* gd._compile.signature(...): the arguments' signature (push_signature). */
static int l_signature(lua_State *L) {
  push_signature(L, 1, lua_gettop(L));
  return 1;
}

/* Does every guard {path, obj} of the list at gi lead from the function
 * at fi to obj?  A path is a list of steps {"u", i} (upvalue i of a
 * function) or {"f", k} (field k of a table, raw). */
static int guards_hold(lua_State *L, int fi, int gi) {
  int top = lua_gettop(L);
  int ok = 1;
  lua_Integer ng = (lua_Integer)lua_rawlen(L, gi);
  for (lua_Integer g = 1; ok && g <= ng; g++) {
    lua_settop(L, top);
    lua_rawgeti(L, gi, g);                       /* top+1: {path, obj} */
    lua_rawgeti(L, top + 1, 1);                  /* top+2: path */
    lua_pushvalue(L, fi);                        /* top+3: the value followed */
    lua_Integer ns = (lua_Integer)lua_rawlen(L, top + 2);
    for (lua_Integer k = 1; ok && k <= ns; k++) {
      lua_rawgeti(L, top + 2, k);                /* top+4: the step */
      lua_rawgeti(L, top + 4, 1);                /* top+5: "u" or "f" */
      lua_rawgeti(L, top + 4, 2);                /* top+6: i or k */
      const char *kind = lua_tostring(L, top + 5);
      if (kind && kind[0] == 'u') {
        ok = lua_type(L, top + 3) == LUA_TFUNCTION &&
             lua_getupvalue(L, top + 3, (int)lua_tointeger(L, top + 6)) != NULL;
        if (!ok) break;
      } else {
        ok = lua_type(L, top + 3) == LUA_TTABLE;
        if (!ok) break;
        lua_pushvalue(L, top + 6);
        lua_rawget(L, top + 3);
      }
      lua_replace(L, top + 3);
      lua_settop(L, top + 3);
    }
    if (ok) {
      lua_rawgeti(L, top + 1, 2);
      ok = lua_rawequal(L, top + 3, -1);
    }
  }
  lua_settop(L, top);
  return ok;
}

/* gd._compile.guards_hold(fn, guards) → whether every guard leads from fn to its object. */
static int l_guards_hold(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lua_pushboolean(L, guards_hold(L, 1, 2));
  return 1;
}

/* step(...), the __call of a gd.CompiledStep (compile.lua): when the
 * arguments' signature has a cached program whose guards hold, replay it
 * here; anything else (a first call, a new signature, a guard that broke,
 * an eager fallback) goes to the Lua side, upvalue 1, as slow(step, ...). */
static int l_step_call(lua_State *L) {
  int top = lua_gettop(L);
  if (lua_type(L, 1) == LUA_TTABLE && !gd_cp_tracing) {
    push_signature(L, 2, top);                   /* top+1 */
    if (lua_getfield(L, 1, "traces") == LUA_TTABLE) {   /* top+2 */
      lua_pushvalue(L, top + 1);
      lua_rawget(L, top + 2);                    /* top+3: the entry */
      if (lua_type(L, top + 3) == LUA_TTABLE && lua_getfield(L, top + 3, "prog") == LUA_TUSERDATA &&
          lua_getfield(L, top + 3, "guards") == LUA_TTABLE && lua_getfield(L, 1, "fn") == LUA_TFUNCTION &&
          guards_hold(L, top + 6, top + 5)) {
        gdl_prog *ud = checkprog(L, top + 4, "gd.CompiledStep");
        const char *fname = "gd.CompiledStep";
        for (int k = 0; k < top - 1; k++) {
          gd_tensor *t = gdl_test(L, 2 + k);
          if (t && gd_prog_bind(ud->p, k, t)) gdl_fail(L, fname);
        }
        if (gd_prog_run(ud->p, 1)) gdl_fail(L, fname);
        lua_settop(L, top + 4);
        return push_results(L, ud, fname);
      }
    }
  }
  lua_settop(L, top);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, top, LUA_MULTRET);
  return lua_gettop(L);
}

/* gd._compile.step_call(slow): the __call of compiled steps, slow its Lua side. */
static int l_make_step_call(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushcclosure(L, l_step_call, 1);
  return 1;
}

void gdl_open_compile(lua_State *L) {
  luaL_newmetatable(L, GDL_PROGRAM);
  program_mt = lua_topointer(L, -1);
  lua_pushcfunction(L, prog_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, prog_gc);
  lua_setfield(L, -2, "__close");
  lua_newtable(L);
  lua_pushcfunction(L, l_run);
  lua_setfield(L, -2, "run");
  lua_pushcfunction(L, l_stats);
  lua_setfield(L, -2, "stats");
  lua_pushcfunction(L, l_instructions);
  lua_setfield(L, -2, "instructions");
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  static const gdl_reg fns[] = {
      {"trace", l_trace, NULL},
      {"live", l_live, NULL},
      {"anchors", l_anchors, NULL},
      {"signature", l_signature, NULL},
      {"step_call", l_make_step_call, NULL},
      {"guards_hold", l_guards_hold, NULL},
      {NULL, NULL, NULL},
  };
  lua_newtable(L);
  gdl_register(L, fns, lua_gettop(L), 0, 0);
  lua_setfield(L, 1, "_compile");
}
