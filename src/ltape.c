/* ltape.c: Lua bindings of the gradient tape: gd.Variable, gd.GradientTape,
 * gd.no_grad, detach / stop_gradient, and gd._ops (the op registry).
 *
 * TensorFlow's GradientTape semantics: a tape records while it is open,
 * watches trainable Variables by itself and anything else on request, and
 * gives gradients of sum(target).  The recording itself is in ad.c.
 */
#include "lgd.h"

#include <string.h>

#include "ad.h"
#include "adops.h"
#include "compile.h"

#define GDL_VARIABLE "gd.Variable"
#define GDL_TAPE "gd.GradientTape"
#define GDL_NOGRAD "gd.no_grad"

/* metatable addresses for gdl_testudata's fast test */
static const void *variable_mt, *tape_mt, *nograd_mt;
static const char tape_key = 'T', nograd_key = 'N';   /* registry: the metatables, by address */

static const char var_key = 'V';

/* ---- Variable ----------------------------------------------------------- */

static int var_new(lua_State *L) {
  const char *fname = "gd.Variable";
  int trainable = 1;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "trainable");
    if (!lua_isnil(L, -1)) trainable = lua_toboolean(L, -1);
    lua_pop(L, 1);
  } else if (!lua_isnoneornil(L, 2)) {
    luaL_error(L, "%s: argument 2: options table expected, got %s", fname, gdl_typename(L, 2));
  }
  gdl_scalar sc;
  gd_tensor *v = gdl_operand(L, 1, &sc, fname);
  gd_tensor *t = lua_newuserdatauv(L, sizeof(gd_tensor), 1);
  gd_tensor_init(t);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &var_key);
  lua_setmetatable(L, -2);
  if (gd_contiguous(t, v)) gdl_fail(L, fname);
  t->id = gd_ad_newid();
  t->flags = trainable ? GD_T_TRAINABLE : 0;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "name");
    if (!lua_isnil(L, -1) && !lua_isstring(L, -1))
      luaL_error(L, "%s: name must be a string, got %s", fname, luaL_typename(L, -1));
    lua_setiuservalue(L, -2, 1);
  }
  return 1;
}

static gd_tensor *checkvar(lua_State *L, int i, const char *fname) {
  gd_tensor *t = gdl_testudata(L, i, GDL_VARIABLE, &variable_mt);
  if (!t) luaL_error(L, "%s: argument %d: gd.Variable expected, got %s", fname, i, gdl_typename(L, i));
  if (!t->st) luaL_error(L, "%s: the variable is closed", fname);
  return t;
}

/* v:assign(x), v:assign_add(x), v:assign_sub(x): in place, x broadcast to v. */
static int var_update(lua_State *L, int op, const char *fname) {
  gd_tensor *v = checkvar(L, 1, fname);
  gdl_scalar sc;
  gd_tensor *x = gdl_operand(L, 2, &sc, fname);
  int nd;
  int64_t shape[GD_MAXDIM];
  if (gd_broadcast_shape(v->ndim, v->shape, x->ndim, x->shape, &nd, shape) ||
      !gd_shape_eq(nd, shape, v->ndim, v->shape)) {
    char a[128], b[128];
    luaL_error(L, "%s: value of shape %s does not fit the variable's shape %s", fname,
               gd_shape_str(a, sizeof a, x->ndim, x->shape),
               gd_shape_str(b, sizeof b, v->ndim, v->shape));
  }
  if (gd_cp_tracing) gd_cp_mutable(v);
  int rc = op < 0 ? gd_copy_into(v, x) : gd_binary_into(v, (gd_binop)op, v, x);
  if (rc) gdl_fail(L, fname);
  if (gd_cp_tracing) {
    if (op < 0) gd_cp_copy(v, x);
    else gd_cp_binary(v, (gd_binop)op, v, x);
  }
  lua_settop(L, 1);
  return 1;
}

static int var_assign(lua_State *L) { return var_update(L, -1, "gd.Variable:assign"); }
static int var_assign_add(lua_State *L) { return var_update(L, GD_BIN_ADD, "gd.Variable:assign_add"); }
static int var_assign_sub(lua_State *L) { return var_update(L, GD_BIN_SUB, "gd.Variable:assign_sub"); }

static int var_index(lua_State *L) {
  gd_tensor *t = gdl_testudata(L, 1, GDL_VARIABLE, &variable_mt);
  if (!t) return luaL_typeerror(L, 1, GDL_VARIABLE);
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char *k = lua_tostring(L, 2);
    if (strcmp(k, "name") == 0) {
      lua_getiuservalue(L, 1, 1);
      return 1;
    }
    if (strcmp(k, "trainable") == 0) {
      lua_pushboolean(L, (t->flags & GD_T_TRAINABLE) != 0);
      return 1;
    }
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(2));  /* the tensor __index */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 1);
  return 1;
}

static int var_tostring(lua_State *L) { return gdl_tostring(L, 1, "variable"); }

/* The Variable metatable: the tensor's, with its own name, __index and __tostring. */
static void var_metatable(lua_State *L) {
  gdl_push_tensor_mt(L);
  int tm = lua_gettop(L);
  lua_newtable(L);
  int vm = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, tm)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, vm);
  }
  lua_pushstring(L, GDL_VARIABLE);
  lua_setfield(L, vm, "__name");
  lua_pushboolean(L, 1);
  lua_setfield(L, vm, "__tensor");
  lua_pushcfunction(L, var_tostring);
  lua_setfield(L, vm, "__tostring");
  lua_newtable(L);                            /* the variable's own methods */
  static const gdl_reg vmeth[] = {
    {"assign", var_assign, "v:assign(x): v's values set to x (broadcast to v's shape), in place; returns v"},
    {"assign_add", var_assign_add, "v:assign_add(x): v ← v + x in place; returns v"},
    {"assign_sub", var_assign_sub, "v:assign_sub(x): v ← v − x in place; returns v"},
    {NULL, NULL, NULL}};
  gdl_register(L, vmeth, lua_gettop(L), 0, 3);
  lua_getfield(L, tm, "__index");
  lua_pushcclosure(L, var_index, 2);
  lua_setfield(L, vm, "__index");
  lua_pushvalue(L, vm);
  lua_setfield(L, LUA_REGISTRYINDEX, GDL_VARIABLE);   /* for luaL_testudata */
  gdl_set_subtype(L, vm);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &var_key);
  lua_pop(L, 1);                              /* the tensor metatable */
}

/* ---- GradientTape ------------------------------------------------------- */

typedef struct ltape { gd_tape *t; } ltape;

static ltape *checktape(lua_State *L, int i, const char *fname) {
  ltape *lt = gdl_testudata(L, i, GDL_TAPE, &tape_mt);
  if (!lt) luaL_error(L, "%s: argument %d: gd.GradientTape expected, got %s", fname, i, gdl_typename(L, i));
  if (!lt->t) luaL_error(L, "%s: the tape is freed", fname);
  return lt;
}

static int tape_gc(lua_State *L) {
  ltape *lt = gdl_checkudata(L, 1, GDL_TAPE, &tape_mt);
  gd_tape_free(lt->t);
  lt->t = NULL;
  return 0;
}

static int tape_close(lua_State *L) {
  ltape *lt = gdl_checkudata(L, 1, GDL_TAPE, &tape_mt);
  if (lt->t) gd_tape_stop(lt->t);
  return 0;
}

void gdl_tape_start(lua_State *L, gd_tape *t, const char *fname) {
  /* A full collection finalizes unreachable tapes (tape_gc stops them).  It
   * runs when the stack reaches twice the depth left after the last one
   * (at least 8), so nesting that deep on purpose costs few collections. */
  static int limit = 8;
  if (gd_ad_depth() >= limit) {
    lua_gc(L, LUA_GCCOLLECT);
    int depth = gd_ad_depth();
    limit = depth >= 4 ? 2 * depth : 8;
  }
  if (gd_tape_start(t)) gdl_fail(L, fname);
}

static int tape_new(lua_State *L) {
  const char *fname = "gd.GradientTape";
  int persistent = 0, fn = 0;
  for (int i = 1; i <= lua_gettop(L) && i <= 2; i++) {
    if (lua_istable(L, i)) {
      lua_getfield(L, i, "persistent");
      persistent = lua_toboolean(L, -1);
      lua_pop(L, 1);
    } else if (lua_isfunction(L, i)) {
      fn = i;
    } else if (!lua_isnil(L, i)) {
      luaL_error(L, "%s: argument %d: options table or function expected, got %s", fname, i,
                 gdl_typename(L, i));
    }
  }
  ltape *lt = lua_newuserdatauv(L, sizeof *lt, 0);
  lt->t = NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tape_key);
  lua_setmetatable(L, -2);
  lt->t = gd_tape_new(persistent);
  if (!lt->t) luaL_error(L, "%s: out of memory", fname);
  gdl_tape_start(L, lt->t, fname);
  if (!fn) return 1;
  int tape = lua_gettop(L);                   /* gd.GradientTape(function(tape) ... end) */
  lua_pushvalue(L, fn);
  lua_pushvalue(L, tape);
  int st = lua_pcall(L, 1, LUA_MULTRET, 0);
  gd_tape_stop(lt->t);
  if (st != LUA_OK) return lua_error(L);
  return lua_gettop(L) - tape + 1;            /* the tape, then f's results */
}

static int tape_watch(lua_State *L) {
  ltape *lt = checktape(L, 1, "gd.GradientTape:watch");
  int top = lua_gettop(L);
  for (int i = 2; i <= top; i++) {
    if (lua_istable(L, i) && !gdl_test(L, i)) {
      for (lua_Integer k = 1; lua_rawgeti(L, i, k) != LUA_TNIL; k++) {
        gd_tensor *x = gdl_check(L, -1, "gd.GradientTape:watch");
        if (gd_tape_watch(lt->t, x)) gdl_fail(L, "gd.GradientTape:watch");
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      continue;
    }
    gd_tensor *x = gdl_check(L, i, "gd.GradientTape:watch");
    if (gd_tape_watch(lt->t, x)) gdl_fail(L, "gd.GradientTape:watch");
  }
  lua_settop(L, 1);
  return 1;
}

static int tape_stop(lua_State *L) {
  ltape *lt = checktape(L, 1, "gd.GradientTape:stop");
  gd_tape_stop(lt->t);
  lua_settop(L, 1);
  return 1;
}

/* tape:gradient(target, a, b, ...) → ga, gb, ...; tape:gradient(target, {a, b})
 * → {ga, gb}; a last table {unconnected = "zero"} gives zeros, not nil. */
static int tape_gradient(lua_State *L) {
  const char *fname = "gd.GradientTape:gradient";
  ltape *lt = checktape(L, 1, fname);
  gd_tensor *target = gdl_check(L, 2, fname);
  int top = lua_gettop(L), zeros = 0, aslist = 0;
  if (top >= 3 && lua_istable(L, top) && !gdl_test(L, top)) {
    lua_getfield(L, top, "unconnected");
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *u = lua_tostring(L, -1);
      if (strcmp(u, "zero") == 0) zeros = 1;
      else if (strcmp(u, "none") != 0)
        luaL_error(L, "%s: unconnected must be \"zero\" or \"none\", got \"%s\"", fname, u);
      lua_pop(L, 1);
      lua_settop(L, --top);
    } else {
      lua_pop(L, 1);
    }
  }
  if (top == 3 && lua_istable(L, 3) && !gdl_test(L, 3)) {   /* a list of sources */
    aslist = 1;
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    luaL_checkstack(L, (int)n + 8, fname);
    for (lua_Integer k = 1; k <= n; k++) lua_rawgeti(L, 3, k);
    lua_remove(L, 3);
    top = lua_gettop(L);
  }
  int n = top - 2;
  if (n < 1) luaL_error(L, "%s: no sources given", fname);
  const gd_tensor *src_small[8];             /* few sources: no scratch userdata */
  gd_tensor grads_small[8];
  const gd_tensor **src = n <= 8 ? src_small : lua_newuserdatauv(L, sizeof(gd_tensor *) * (size_t)n, 0);
  gd_tensor *grads = n <= 8 ? grads_small : lua_newuserdatauv(L, sizeof(gd_tensor) * (size_t)n, 0);
  for (int i = 0; i < n; i++) {
    gd_tensor_init(&grads[i]);
    src[i] = gdl_check(L, 3 + i, fname);
  }
  int first = lua_gettop(L) + 1;
  luaL_checkstack(L, n + 2, fname);
  for (int i = 0; i < n; i++) gdl_new_result(L);   /* before computing: nothing can leak */
  if (gd_tape_gradient(lt->t, target, n, src, grads)) gdl_fail(L, fname);
  int rc = GD_OK;
  for (int i = 0; i < n; i++) {               /* hand each gradient to its userdata */
    if (!grads[i].st && zeros && !rc && !(rc = gd_tensor_alloc(&grads[i], src[i]->ndim, src[i]->shape)))
      gd_fill(&grads[i], 0.0);
    if (grads[i].st) gdl_set_result(L, first + i, &grads[i]);
    else {
      lua_pushnil(L);
      lua_replace(L, first + i);
    }
  }
  if (rc) gdl_fail(L, fname);
  if (!aslist) return n;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushvalue(L, first + i);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* ---- no_grad, detach ----------------------------------------------------- */

typedef struct nograd { int on; } nograd;

static int nograd_close(lua_State *L) {
  nograd *g = gdl_checkudata(L, 1, GDL_NOGRAD, &nograd_mt);
  if (g->on) {
    g->on = 0;
    gd_ad_resume();
  }
  return 0;
}

/* gd.no_grad(): a guard for `local _ <close> = gd.no_grad()`;
 * gd.no_grad(f, ...): f(...) with recording paused. */
static int nograd_new(lua_State *L) {
  if (!lua_isnoneornil(L, 1) && !lua_isfunction(L, 1))
    luaL_error(L, "gd.no_grad: argument 1: function expected, got %s", gdl_typename(L, 1));
  nograd *g = lua_newuserdatauv(L, sizeof *g, 0);
  g->on = 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &nograd_key);
  lua_setmetatable(L, -2);
  gd_ad_pause();
  g->on = 1;
  if (!lua_isfunction(L, 1)) return 1;
  int guard = lua_gettop(L), nargs = guard - 2;
  for (int i = 1; i <= nargs + 1; i++) lua_pushvalue(L, i);   /* f, args */
  int st = lua_pcall(L, nargs, LUA_MULTRET, 0);
  g->on = 0;
  gd_ad_resume();
  if (st != LUA_OK) return lua_error(L);
  return lua_gettop(L) - guard;
}

static int detach(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.detach");
  gd_tensor *r = gdl_new_view(L, 1, x);
  gd_tensor_view(r, x);
  r->id = 0;
  r->flags = 0;
  return 1;
}

static const gdl_reg funcs[] = {
  {"Variable", var_new, "gd.Variable(v[, {name =, trainable = true}]): a tensor assignable in place (assign, assign_add, assign_sub); trainable ones are watched by every tape"},
  {"GradientTape", tape_new, "gd.GradientTape([{persistent = false}][, f]): a recording tape (close it with <close>); with f, runs f(tape) and returns the tape and f's results"},
  {"no_grad", nograd_new, "gd.no_grad([f, ...]): a guard that pauses recording until closed (local _ <close> = gd.no_grad()); with f, f(...) unrecorded"},
  {"stop_gradient", detach, "gd.stop_gradient(x): x as a constant for the tapes (a view, not recorded)"},
  {NULL, NULL, NULL}
};

static const gdl_reg methods[] = {
  {"detach", detach, "x:detach(): x as a constant for the tapes (a view, not recorded)"},
  {NULL, NULL, NULL}
};

void gdl_open_tape(lua_State *L) {
  gdl_register(L, funcs, 1, 0, 3);
  gdl_register(L, methods, 1, 2, 3);
  luaL_newmetatable(L, GDL_TAPE);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &tape_key);
  static const gdl_reg tm[] = {
    {"watch", tape_watch, "tape:watch(x or {x, ...}): record the ops on x from now on"},
    {"gradient", tape_gradient, "tape:gradient(target, x1, x2, ... or {x, ...}[, {unconnected = \"none\" | \"zero\"}]): d sum(target)/dx for each source"},
    {"stop", tape_stop, "tape:stop(): end recording (as closing the tape does); gradient still works"},
    {NULL, NULL, NULL}};
  lua_newtable(L);
  gdl_register(L, tm, lua_gettop(L), 0, 3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, tape_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, tape_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  luaL_newmetatable(L, GDL_NOGRAD);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &nograd_key);
  lua_pushcfunction(L, nograd_close);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, nograd_close);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_createtable(L, GD_OP_COUNT, 0);          /* gd._ops: the differentiable ops */
  for (int i = 0; i < GD_OP_COUNT; i++) {
    lua_pushstring(L, gd_op_info((gd_opcode)i)->name);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, 1, "_ops");
}

/* Called once the tensor metatable is complete (after printing). */
void gdl_open_variable(lua_State *L) {
  var_metatable(L);
}
