/* lcore.c: the gd.core module: the tensor userdata type and binding helpers.
 *
 * luaopen_gd_core builds three tables (functions, methods, docs), lets each
 * binding file register into them, and returns the functions table with the
 * methods and docs under `_methods` and `_docs`.  lua/gd/init.lua builds the
 * user-facing `gd` on top.
 */
#include "lgd.h"

#include <stddef.h>
#include <string.h>

#include "compile.h"
#include "kernels.h"

static const char tensor_key = 'T';   /* registry key of the metatable */
static const char pool_key = 'P';     /* registry key of the pool sentinel */
static const char small_key = 'S';    /* registry key of the small-tensor metatable */

/* A small tensor: data inline after the header, one allocation, no __gc. */
typedef struct gdl_small {
  gd_tensor t;
  gd_storage st;
  double data[];
} gdl_small;

gd_tensor *gdl_new(lua_State *L) {
  gdl_gcstep(L);
  gd_tensor *t = lua_newuserdatauv(L, sizeof(gd_tensor), 0);
  gd_tensor_init(t);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_key);
  lua_setmetatable(L, -2);
  return t;
}

static const void *tensor_mt, *small_mt, *sub_mt;   /* this state's metatables: a fast first test */

void gdl_push_tensor_mt(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_key); }

void gdl_set_subtype(lua_State *L, int i) { sub_mt = lua_topointer(L, i); }

int gdl_is_small(const gd_tensor *t) {
  return t->st && (const char *)t->st == (const char *)t + offsetof(gdl_small, st);
}

/* Room kept inline by gdl_new_result, whose result size is not known yet:
 * 16 elements, not GDL_SMALL_MAX, as most such results (matmul of small
 * operands, gradients) are small, and a 760-byte userdata for each made
 * those loops a fifth slower (cache and collector pacing). */
#define GDL_RESULT_INLINE 16

gd_tensor *gdl_new_result(lua_State *L) {
  gdl_gcstep(L);
  gdl_small *s = lua_newuserdatauv(L, sizeof(gdl_small) + GDL_RESULT_INLINE * sizeof(double), 0);
  memset(&s->st, 0, sizeof s->st);
  s->st.data = s->data;
  s->st.cap = GDL_RESULT_INLINE;
  s->st.refs = 1;                  /* never released: the userdata owns it */
  s->st.borrowed = 1;
  gd_tensor_init(&s->t);           /* empty until gdl_set_result */
  if (gd_cp_tracing) gd_cp_born(&s->st);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &small_key);
  lua_setmetatable(L, -2);
  return &s->t;
}

void gdl_set_result(lua_State *L, int i, gd_tensor *t) {
  gdl_small *s = lua_touserdata(L, i);
  if (t->numel <= s->st.cap && gd_is_contig(t)) {      /* copied inline: no finalizer */
    memcpy(s->data, gd_data(t), sizeof(double) * t->numel);
    s->t = *t;
    s->t.st = &s->st;
    s->t.off = 0;
    if (gd_cp_tracing) gd_cp_copy(&s->t, t);
    gd_tensor_release(t);
    return;
  }
  s->t = *t;                       /* the reference moves to the userdata, */
  gd_tensor_init(t);
  i = lua_absindex(L, i);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_key);
  lua_setmetatable(L, i);          /* which is now finalized: releases it */
}

gd_tensor *gdl_new_shaped(lua_State *L, int nd, const int64_t *shape, const char *fname) {
  size_t n;
  if (gd_shape_check(nd, shape, &n)) gdl_fail(L, fname);
  if (n > GDL_SMALL_MAX) {
    gd_tensor *t = gdl_new(L);
    if (gd_tensor_alloc(t, nd, shape)) gdl_fail(L, fname);
    return t;
  }
  gdl_gcstep(L);
  gdl_small *s = lua_newuserdatauv(L, sizeof(gdl_small) + n * sizeof(double), 0);
  s->st.data = s->data;
  s->st.cap = n;
  s->st.refs = 1;                  /* never released: the userdata owns it */
  s->st.version = 0;
  s->st.borrowed = 1;
  if (gd_cp_tracing) gd_cp_born(&s->st);
  gd_tensor *t = &s->t;
  t->st = &s->st;
  t->off = 0;
  t->flags = 0;
  t->id = 0;
  t->ndim = nd;
  for (int i = 0; i < nd; i++) t->shape[i] = shape[i];
  t->numel = gd_contig_strides(nd, shape, t->stride);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &small_key);
  lua_setmetatable(L, -2);
  return t;
}

gd_tensor *gdl_new_view(lua_State *L, int i, const gd_tensor *x) {
  if (!x->st->borrowed) return gdl_new(L);
  i = lua_absindex(L, i);
  gdl_gcstep(L);
  gd_tensor *t = lua_newuserdatauv(L, sizeof(gd_tensor), 1);
  gd_tensor_init(t);
  if (gdl_is_small(x)) lua_pushvalue(L, i);      /* x owns the data */
  else lua_getiuservalue(L, i, 1);               /* x is a view: its anchor owns it */
  lua_setiuservalue(L, -2, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &small_key);  /* no finalizer: nothing to release */
  lua_setmetatable(L, -2);
  return t;
}

void gdl_view_done(lua_State *L, int i) {
  gd_tensor *t = lua_touserdata(L, i);
  if (!t->st || t->st->borrowed || !lua_getmetatable(L, i)) return;
  int unfinalized = lua_topointer(L, -1) == small_mt;
  lua_pop(L, 1);
  if (!unfinalized) return;
  i = lua_absindex(L, i);                        /* the op made a copy: pooled, so finalize */
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_key);
  lua_setmetatable(L, i);
}

/* gdl_test for a value known to be a userdata; leaves the stack as it was. */
static inline gd_tensor *test_userdata(lua_State *L, int i) {
  if (!lua_getmetatable(L, i)) return NULL;
  const void *mt = lua_topointer(L, -1);
  if (mt == small_mt || mt == tensor_mt || mt == sub_mt) {
    lua_pop(L, 1);
    gd_tensor *t = lua_touserdata(L, i);
    if (gd_cp_tracing && t->st) gdl_cp_seen(L, i, t);
    return t;
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_key);
  int ok = lua_rawequal(L, -1, -2);
  if (!ok) {                       /* subtypes (Variable) chain to the tensor metatable */
    lua_pop(L, 1);
    ok = lua_getfield(L, -1, "__tensor") == LUA_TBOOLEAN && lua_toboolean(L, -1);
  }
  lua_pop(L, 2);
  gd_tensor *t = ok ? lua_touserdata(L, i) : NULL;
  if (t && gd_cp_tracing && t->st && t->st->borrowed) gdl_cp_seen(L, i, t);
  return t;
}

gd_tensor *gdl_test(lua_State *L, int i) {
  return lua_type(L, i) == LUA_TUSERDATA ? test_userdata(L, i) : NULL;
}

const char *gdl_typename(lua_State *L, int i) {
  int t = luaL_getmetafield(L, i, "__name");
  if (t == LUA_TSTRING) {
    const char *n = lua_tostring(L, -1);
    lua_pop(L, 1);               /* the metatable still anchors the string */
    return n;
  }
  if (t != LUA_TNIL) lua_pop(L, 1);
  return luaL_typename(L, i);
}

gd_tensor *gdl_check(lua_State *L, int i, const char *fname) {
  gd_tensor *t = gdl_test(L, i);
  if (!t) luaL_error(L, "%s: argument %d: tensor expected, got %s", fname, i, gdl_typename(L, i));
  if (!t->st) luaL_error(L, "%s: argument %d: tensor is empty (closed)", fname, i);
  return t;
}

gd_tensor *gdl_operand(lua_State *L, int i, gdl_scalar *sc, const char *fname) {
  switch (lua_type(L, i)) {
    case LUA_TNUMBER:
      sc->v = lua_tonumber(L, i);
      sc->st.data = &sc->v;
      sc->st.cap = 1;
      sc->st.refs = 1;            /* never reaches 0: not pooled */
      sc->st.version = 0;
      sc->st.borrowed = 1;
      gd_tensor_init(&sc->t);
      sc->t.st = &sc->st;
      if (gd_cp_tracing) gd_cp_scalar(&sc->st);
      return &sc->t;
    case LUA_TTABLE:
      return gdl_from_value(L, i, fname);
    case LUA_TUSERDATA: {
      gd_tensor *t = test_userdata(L, i);
      if (t) {
        if (!t->st) luaL_error(L, "%s: argument %d: tensor is empty (closed)", fname, i);
        return t;
      }
    }
    /* fallthrough */
    default:
      luaL_error(L, "%s: argument %d: tensor or number expected, got %s", fname, i,
                 gdl_typename(L, i));
      return NULL;
  }
}

int gdl_fail(lua_State *L, const char *fname) {
  return luaL_error(L, "%s: %s", fname, gd_errmsg());
}

void *gdl_testudata(lua_State *L, int i, const char *tname, const void **mt) {
  void *p = lua_touserdata(L, i);
  if (!p || !lua_getmetatable(L, i)) return NULL;
  const void *m = lua_topointer(L, -1);
  lua_pop(L, 1);
  if (m == *mt) return p;
  p = luaL_testudata(L, i, tname);       /* the full test, by the registry's name */
  if (p) *mt = m;
  return p;
}

void *gdl_checkudata(lua_State *L, int i, const char *tname, const void **mt) {
  void *p = gdl_testudata(L, i, tname, mt);
  if (!p) luaL_typeerror(L, i, tname);
  return p;
}

/* Lua's collector runs one cycle per heap-size worth of debt, and its heap
 * (tables, closures, userdata headers) is often small next to tensor
 * storage: fed byte for byte, it would run a full cycle every few big
 * temporaries.  Storage bytes are scaled to give at least 8 MiB of storage
 * per cycle instead: a cycle costs time in proportion to the Lua heap, so
 * this bounds the collector's share, and at most about 8 MiB more of dead
 * storage waits for it. */
void gdl_gcstep(lua_State *L) {
  if (gd_cp_tracing) return;             /* a trace keeps every tensor it met alive */
  static size_t pending;
  pending += gd_alloc_take_debt();
  if (pending >= 64 * 1024) {
    const double per_cycle = 8.0 * 1024 * 1024;
    double heap = (double)lua_gc(L, LUA_GCCOUNT, 0) * 1024.0 + 1.0;
    double kb = (double)pending / 1024.0 * (heap < per_cycle ? heap / per_cycle : 1.0);
    if (kb >= 1.0) {                       /* else keep it pending until it counts */
      pending = 0;
      lua_gc(L, LUA_GCSTEP, kb > (double)(1 << 30) ? 1 << 30 : (int)kb);
    }
  }
}

/* What to add to a "number expected" error: a hint when arg is a one-element
 * tensor (v[i] inside a tape is one), else "". */
static const char *item_hint(lua_State *L, int arg) {
  gd_tensor *t = lua_type(L, arg) == LUA_TUSERDATA ? gdl_test(L, arg) : NULL;
  return t && t->st && t->numel == 1 ? " (a one-element tensor: use :item() for its number)" : "";
}

int64_t gdl_checkint(lua_State *L, int arg, const char *fname, const char *what) {
  int isnum;
  lua_Integer v = lua_tointegerx(L, arg, &isnum);
  if (!isnum) {
    if (lua_type(L, arg) == LUA_TNUMBER)
      luaL_error(L, "%s: argument %d (%s): number has no integer representation", fname, arg, what);
    luaL_error(L, "%s: argument %d (%s): integer expected, got %s%s", fname, arg, what,
               luaL_typename(L, arg), item_hint(L, arg));
  }
  return (int64_t)v;
}

double gdl_checknumber(lua_State *L, int arg, const char *fname, const char *what) {
  int isnum;
  double v = lua_tonumberx(L, arg, &isnum);
  if (!isnum || lua_type(L, arg) != LUA_TNUMBER)
    luaL_error(L, "%s: argument %d (%s): number expected, got %s%s", fname, arg, what,
               gdl_typename(L, arg), item_hint(L, arg));
  return v;
}

double gdl_optnumber(lua_State *L, int arg, double def, const char *fname, const char *what) {
  return lua_isnoneornil(L, arg) ? def : gdl_checknumber(L, arg, fname, what);
}

int gdl_checkdim(lua_State *L, int arg, int ndim, const char *fname) {
  int64_t d = gdl_checkint(L, arg, fname, "dim");
  if (d < 0) d += ndim + 1;
  if (d < 1 || d > ndim)     /* a 0-d tensor has no dims (as numpy) */
    luaL_error(L, "%s: argument %d: dim %I out of range for a %d-d tensor", fname, arg,
               (lua_Integer)gdl_checkint(L, arg, fname, "dim"), ndim);
  return (int)(d - 1);
}

int gdl_optdim(lua_State *L, int arg, int ndim, const char *fname) {
  return lua_isnoneornil(L, arg) ? -1 : gdl_checkdim(L, arg, ndim, fname);
}

int gdl_checkshape(lua_State *L, int arg, int64_t *shape, const char *fname) {
  int n;
  if (lua_istable(L, arg)) {
    lua_Unsigned len = lua_rawlen(L, arg);
    if (len > GD_MAXDIM) luaL_error(L, "%s: shape has %I dims (at most %d)", fname, (lua_Integer)len, GD_MAXDIM);
    n = (int)len;
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, arg, i + 1);
      int isnum;
      lua_Integer v = lua_tointegerx(L, -1, &isnum);
      if (!isnum) luaL_error(L, "%s: shape[%d]: integer expected, got %s", fname, i + 1, luaL_typename(L, -1));
      shape[i] = (int64_t)v;
      lua_pop(L, 1);
    }
  } else {
    int top = lua_gettop(L);
    n = top >= arg ? top - arg + 1 : 0;
    if (n > GD_MAXDIM) luaL_error(L, "%s: shape has %d dims (at most %d)", fname, n, GD_MAXDIM);
    for (int i = 0; i < n; i++) shape[i] = gdl_checkint(L, arg + i, fname, "size");
  }
  for (int i = 0; i < n; i++)
    if (shape[i] < 0)
      luaL_error(L, "%s: negative size %I in dim %d", fname, (lua_Integer)shape[i], i + 1);
  size_t numel;
  if (gd_shape_check(n, shape, &numel)) gdl_fail(L, fname);
  return n;
}

void gdl_pushshape(lua_State *L, int ndim, const int64_t *shape) {
  lua_createtable(L, ndim, 0);
  for (int i = 0; i < ndim; i++) {
    lua_pushinteger(L, (lua_Integer)shape[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

void gdl_register(lua_State *L, const gdl_reg *r, int t, int m, int d) {
  for (; r->name; r++) {
    lua_pushcfunction(L, r->fn);
    if (t) { lua_pushvalue(L, -1); lua_setfield(L, t, r->name); }
    if (m) { lua_pushvalue(L, -1); lua_setfield(L, m, r->name); }
    if (d && r->doc) { lua_pushstring(L, r->doc); lua_rawset(L, d); }
    else lua_pop(L, 1);
  }
}

#define GDL_POOL "gd.pool"

/* Finalizer of the module's sentinel: return pooled buffers to the system. */
static int pool_release(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &pool_key);
  int self = lua_type(L, 1) == LUA_TUSERDATA && lua_rawequal(L, 1, -1);
  lua_pop(L, 1);
  if (!self) return luaL_typeerror(L, 1, GDL_POOL);
  gd_pool_trim();
  return 0;
}

/* Module entry: returns the table of functions with `_methods` and `_docs`. */
LUAMOD_API int luaopen_gd_core(lua_State *L);
LUAMOD_API int luaopen_gd_core(lua_State *L) {
  /* Incremental collection: in generational mode an object that survives a
   * young collection is freed only by a major one, which is paced by the
   * Lua heap alone, so dead tensors and tapes holding large external memory
   * would pile up.  Incremental cycles are paced by gdl_gcstep's debt. */
  lua_gc(L, LUA_GCINC, 0, 0, 0);
  lua_settop(L, 0);
  lua_newuserdatauv(L, 1, 0);              /* sentinel: trims the pool when the state closes */
  lua_newtable(L);
  lua_pushstring(L, GDL_POOL);
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, pool_release);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &pool_key);
  lua_newtable(L);                         /* 1: functions */
  lua_newtable(L);                         /* 2: methods */
  lua_newtable(L);                         /* 3: docs (function → line) */
  gdl_tensor_metatable(L, 2, &tensor_key);
  gdl_open_tensor(L);
  gdl_open_shape(L);
  gdl_open_linalg(L);
  gdl_open_random(L);
  gdl_open_print(L);
  gdl_open_plot(L);
  gdl_open_tape(L);
  gdl_open_optim(L);
  gdl_open_nn(L);
  gdl_open_arrays(L);
  gdl_open_json(L);
  gdl_open_threads(L);
  gdl_open_compile(L);
  gdl_open_variable(L);
  gdl_open_kernel(L);
  lua_pushvalue(L, 2);
  lua_setfield(L, 1, "_methods");
  lua_pushvalue(L, 3);
  lua_setfield(L, 1, "_docs");
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_key);
  tensor_mt = lua_topointer(L, -1);
  lua_newtable(L);                         /* the small-tensor metatable: the same but __gc */
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushnil(L);
  lua_setfield(L, -2, "__gc");
  small_mt = lua_topointer(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &small_key);
  lua_setfield(L, 1, "_metatable");
  lua_settop(L, 1);
  return 1;
}
