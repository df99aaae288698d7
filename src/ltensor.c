/* ltensor.c: Lua bindings of tensor creation, arithmetic, math, reductions.
 *
 * Thin: check arguments, create the result userdata empty, call the core,
 * turn a core error into "gd.<name>: <message>".  Metamethods share the
 * functions of gd (`a + b` is gd.add(a, b)); numbers and nested tables are
 * accepted wherever a tensor is (gdl_operand).
 */
#include "lgd.h"

#include <math.h>
#include <string.h>

#include "adops.h"
#include "compile.h"
#include "kernels.h"

/* ---- creation ---------------------------------------------------------- */

/* Walk the first elements of a nested table to find its shape. */
static int table_shape(lua_State *L, int i, int64_t *shape, const char *fname) {
  int nd = 0;
  lua_pushvalue(L, i);
  for (;;) {
    if (lua_istable(L, -1)) {
      if (nd == GD_MAXDIM) luaL_error(L, "%s: nested table deeper than %d", fname, GD_MAXDIM);
      shape[nd++] = (int64_t)lua_rawlen(L, -1);
      if (shape[nd - 1] == 0) break;
      lua_rawgeti(L, -1, 1);
      lua_remove(L, -2);
    } else {
      gd_tensor *t = gdl_test(L, -1);
      if (t) {
        if (nd + t->ndim > GD_MAXDIM) luaL_error(L, "%s: more than %d dims", fname, GD_MAXDIM);
        for (int k = 0; k < t->ndim; k++) shape[nd++] = t->shape[k];
      }
      break;
    }
  }
  lua_pop(L, 1);
  return nd;
}

/* Fill dst (contiguous, position *pos) from the value at stack index i at depth d. */
static void table_fill(lua_State *L, int i, int d, int nd, const int64_t *shape,
                       double *dst, size_t *pos, const char *fname) {
  if (d == nd) {
    int isnum;
    double v = lua_tonumberx(L, i, &isnum);
    if (isnum && lua_type(L, i) == LUA_TNUMBER) { dst[(*pos)++] = v; return; }
    if (lua_isboolean(L, i)) { dst[(*pos)++] = lua_toboolean(L, i); return; }
    luaL_error(L, "%s: element %d is a %s, expected a number", fname, (int)*pos + 1,
               luaL_typename(L, i));
  }
  gd_tensor *t = lua_istable(L, i) ? NULL : gdl_test(L, i);
  if (t) {
    if (!gd_shape_eq(t->ndim, t->shape, nd - d, shape + d)) {
      char a[96], b[96];
      luaL_error(L, "%s: tensor element of shape %s where shape %s is expected", fname,
                 gd_shape_str(a, sizeof a, t->ndim, t->shape),
                 gd_shape_str(b, sizeof b, nd - d, shape + d));
    }
    gd_tensor view;
    gd_tensor_init(&view);
    view.st = &(gd_storage){dst + *pos, t->numel, 1, 0, 1};
    view.ndim = t->ndim;
    memcpy(view.shape, t->shape, sizeof view.shape);
    view.numel = gd_contig_strides(t->ndim, t->shape, view.stride);
    gd_copy_into(&view, t);
    *pos += t->numel;
    return;
  }
  if (!lua_istable(L, i))
    luaL_error(L, "%s: ragged nested table: a %s at depth %d where a table of %d is expected",
               fname, luaL_typename(L, i), d + 1, (int)shape[d]);
  if ((int64_t)lua_rawlen(L, i) != shape[d])
    luaL_error(L, "%s: ragged nested table: %I elements at depth %d, expected %I", fname,
               (lua_Integer)lua_rawlen(L, i), d + 1, (lua_Integer)shape[d]);
  luaL_checkstack(L, 4, fname);
  for (int64_t k = 1; k <= shape[d]; k++) {
    lua_rawgeti(L, i, k);
    table_fill(L, lua_gettop(L), d + 1, nd, shape, dst, pos, fname);
    lua_pop(L, 1);
  }
}

gd_tensor *gdl_from_value(lua_State *L, int i, const char *fname) {
  i = lua_absindex(L, i);
  gd_tensor *src = gdl_test(L, i);
  gd_tensor *t = gdl_new(L);
  if (src) {
    if (!src->st) luaL_error(L, "%s: tensor is empty (closed)", fname);
    if (gd_contiguous(t, src)) gdl_fail(L, fname);
    return t;
  }
  int64_t shape[GD_MAXDIM];
  int nd = 0;
  if (lua_istable(L, i)) nd = table_shape(L, i, shape, fname);
  else if (lua_type(L, i) != LUA_TNUMBER && !lua_isboolean(L, i))
    luaL_error(L, "%s: number, table or tensor expected, got %s", fname, luaL_typename(L, i));
  if (gd_tensor_alloc(t, nd, shape)) gdl_fail(L, fname);
  size_t pos = 0;
  table_fill(L, i, 0, nd, shape, gd_data(t), &pos, fname);
  if (gd_cp_tracing) gd_cp_const(t);
  return t;
}

static int f_tensor(lua_State *L) {
  gdl_from_value(L, 1, "gd.tensor");
  return 1;
}

static gd_tensor *new_filled(lua_State *L, int nd, const int64_t *shape, double v, const char *fname) {
  gd_tensor *t = gdl_new(L);
  if (gd_tensor_alloc(t, nd, shape)) gdl_fail(L, fname);
  gd_fill(t, v);
  if (gd_cp_tracing) gd_cp_const(t);
  return t;
}

static int f_zeros(lua_State *L) {
  int64_t shape[GD_MAXDIM];
  int nd = gdl_checkshape(L, 1, shape, "gd.zeros");
  new_filled(L, nd, shape, 0.0, "gd.zeros");
  return 1;
}

static int f_ones(lua_State *L) {
  int64_t shape[GD_MAXDIM];
  int nd = gdl_checkshape(L, 1, shape, "gd.ones");
  new_filled(L, nd, shape, 1.0, "gd.ones");
  return 1;
}

static int f_full(lua_State *L) {
  int64_t shape[GD_MAXDIM];
  double v = gdl_checknumber(L, 2, "gd.full", "v");
  lua_settop(L, 1);
  int nd = lua_isnumber(L, 1) && !lua_istable(L, 1) ? (int)1 : 0;
  if (nd) {
    shape[0] = gdl_checkint(L, 1, "gd.full", "size");
    if (shape[0] < 0) luaL_error(L, "gd.full: negative size %I", (lua_Integer)shape[0]);
  } else {
    luaL_argexpected(L, lua_istable(L, 1), 1, "shape table");
    nd = gdl_checkshape(L, 1, shape, "gd.full");
  }
  new_filled(L, nd, shape, v, "gd.full");
  return 1;
}

static int like(lua_State *L, double v, const char *fname) {
  gd_tensor *x = gdl_check(L, 1, fname);
  new_filled(L, x->ndim, x->shape, v, fname);
  return 1;
}
static int f_zeros_like(lua_State *L) { return like(L, 0.0, "gd.zeros_like"); }
static int f_ones_like(lua_State *L) { return like(L, 1.0, "gd.ones_like"); }

static int f_eye(lua_State *L) {
  int64_t n = gdl_checkint(L, 1, "gd.eye", "n");
  int64_t m = lua_isnoneornil(L, 2) ? n : gdl_checkint(L, 2, "gd.eye", "m");
  if (n < 0 || m < 0) luaL_error(L, "gd.eye: negative size (%I, %I)", (lua_Integer)n, (lua_Integer)m);
  int64_t shape[2] = {n, m};
  gd_tensor *t = new_filled(L, 2, shape, 0.0, "gd.eye");
  double *d = gd_data(t);
  for (int64_t i = 0; i < n && i < m; i++) d[i * m + i] = 1.0;
  if (gd_cp_tracing) gd_cp_const(t);
  return 1;
}

/* A finite number argument (arange's bounds and step). */
static double checkfinite(lua_State *L, int arg, const char *fname, const char *what) {
  double v = gdl_checknumber(L, arg, fname, what);
  if (!isfinite(v))
    luaL_error(L, "%s: argument %d (%s): finite number expected, got %s", fname, arg, what,
               isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
  return v;
}

static int f_arange(lua_State *L) {
  const char *fname = "gd.arange";
  double start = 0, stop, step = 1;
  int n = lua_gettop(L);
  if (n <= 1) stop = checkfinite(L, 1, fname, "stop");
  else {
    start = checkfinite(L, 1, fname, "start");
    stop = checkfinite(L, 2, fname, "stop");
    if (n >= 3) step = checkfinite(L, 3, fname, "step");
  }
  if (step == 0) luaL_error(L, "%s: argument 3 (step) must be nonzero", fname);
  double cnt = ceil((stop - start) / step);   /* stop - start may overflow to ±inf */
  if (!(cnt >= 0)) cnt = 0;
  if (cnt > 1e15)
    luaL_error(L, "%s: too many elements (%f) from %f to %f by %f", fname, cnt, start, stop, step);
  int64_t shape[1] = {(int64_t)cnt};
  gd_tensor *t = gdl_new(L);
  if (gd_tensor_alloc(t, 1, shape)) gdl_fail(L, "gd.arange");
  double *d = gd_data(t);
  for (int64_t i = 0; i < shape[0]; i++) d[i] = start + (double)i * step;
  if (gd_cp_tracing) gd_cp_const(t);
  return 1;
}

static int f_linspace(lua_State *L) {
  double a = gdl_checknumber(L, 1, "gd.linspace", "a"), b = gdl_checknumber(L, 2, "gd.linspace", "b");
  int64_t n = lua_isnoneornil(L, 3) ? 50 : gdl_checkint(L, 3, "gd.linspace", "n");
  if (n < 0) luaL_error(L, "gd.linspace: negative count %I", (lua_Integer)n);
  int64_t shape[1] = {n};
  gd_tensor *t = gdl_new(L);
  if (gd_tensor_alloc(t, 1, shape)) gdl_fail(L, "gd.linspace");
  double *d = gd_data(t);
  double step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  for (int64_t i = 0; i < n; i++) d[i] = a + (double)i * step;
  if (n > 1) d[n - 1] = b;           /* exact endpoint, as numpy */
  if (gd_cp_tracing) gd_cp_const(t);
  return 1;
}

/* ---- inspection -------------------------------------------------------- */

static int f_numel(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)gdl_check(L, 1, "gd.numel")->numel);
  return 1;
}

static int f_count_nonzero(lua_State *L) {
  int64_t n;
  if (gd_count_nonzero(gdl_check(L, 1, "gd.count_nonzero"), &n)) gdl_fail(L, "gd.count_nonzero");
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int f_item(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.item");
  if (x->numel != 1) {
    char s[128];
    luaL_error(L, "gd.item: tensor of shape %s has %I elements, expected 1",
               gd_shape_str(s, sizeof s, x->ndim, x->shape), (lua_Integer)x->numel);
  }
  int64_t idx[GD_MAXDIM] = {0};
  if (gd_cp_tracing) gd_cp_read(x, "item");
  lua_pushnumber(L, gd_get(x, idx));
  return 1;
}

static void push_table(lua_State *L, const gd_tensor *x, int d, const double *p) {
  if (d == x->ndim) { lua_pushnumber(L, *p); return; }
  luaL_checkstack(L, 3, "gd.totable");
  lua_createtable(L, (int)x->shape[d], 0);
  for (int64_t i = 0; i < x->shape[d]; i++) {
    push_table(L, x, d + 1, p + i * x->stride[d]);
    lua_rawseti(L, -2, i + 1);
  }
}

static int f_totable(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.totable");
  if (gd_cp_tracing) gd_cp_read(x, "totable");
  push_table(L, x, 0, gd_data(x));
  return 1;
}

/* ---- arithmetic ---------------------------------------------------------- */

static int binary(lua_State *L, gd_binop op, const char *fname) {
  gdl_scalar sa, sb;
  gd_tensor *a = gdl_operand(L, 1, &sa, fname);
  gd_tensor *b = gdl_operand(L, 2, &sb, fname);
  int nd;
  int64_t shape[GD_MAXDIM];
  const int64_t *sp = shape;
  int flat = 1;                  /* the common cases: no broadcasting, one flat loop */
  if (b->ndim == 0 || gd_shape_eq(a->ndim, a->shape, b->ndim, b->shape)) {
    nd = a->ndim;
    sp = a->shape;
  } else if (a->ndim == 0) {
    nd = b->ndim;
    sp = b->shape;
  } else {
    flat = 0;
    if (gd_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &nd, shape)) gdl_fail(L, fname);
  }
  flat = flat && gd_is_contig(a) && gd_is_contig(b);
  gd_tensor *r = gdl_new_shaped(L, nd, sp, fname);   /* a tape keeps a copy of a small one */
  if (flat) {
    if (gd_ad_binary_flat(r, op, a, b)) gdl_fail(L, fname);
  } else if (gd_ad_binary_into(r, op, a, b)) {
    gdl_fail(L, fname);
  }
  return 1;
}

#define BIN(name, op) static int f_##name(lua_State *L) { return binary(L, op, "gd." #name); }
BIN(add, GD_BIN_ADD) BIN(sub, GD_BIN_SUB) BIN(mul, GD_BIN_MUL) BIN(div, GD_BIN_DIV)
BIN(pow, GD_BIN_POW) BIN(mod, GD_BIN_MOD) BIN(maximum, GD_BIN_MAX) BIN(minimum, GD_BIN_MIN)
BIN(lt, GD_BIN_LT) BIN(le, GD_BIN_LE) BIN(gt, GD_BIN_GT) BIN(ge, GD_BIN_GE)
BIN(eq, GD_BIN_EQ) BIN(ne, GD_BIN_NE)
#undef BIN

static int f_idiv(lua_State *L) {   /* floor(a / b): no gradient, not recorded */
  binary(L, GD_BIN_DIV, "gd.idiv");
  gd_tensor *r = lua_touserdata(L, -1);
  gd_unary_into(r, GD_UN_FLOOR, r);
  if (gd_cp_tracing) gd_cp_unary(r, GD_UN_FLOOR, r);
  r->id = 0;
  r->flags = 0;
  return 1;
}

static int f_where(lua_State *L) {
  gdl_scalar sc, sa, sb;
  gd_tensor *c = gdl_operand(L, 1, &sc, "gd.where");
  gd_tensor *a = gdl_operand(L, 2, &sa, "gd.where");
  gd_tensor *b = gdl_operand(L, 3, &sb, "gd.where");
  gd_tensor *r = gdl_new(L);
  if (gd_ad_where(r, c, a, b)) gdl_fail(L, "gd.where");
  return 1;
}

static int f_clip(lua_State *L) {
  gdl_scalar sx, slo, shi;
  gd_tensor *x = gdl_operand(L, 1, &sx, "gd.clip");
  gd_tensor *lo = lua_isnil(L, 2) ? NULL : gdl_operand(L, 2, &slo, "gd.clip");
  gd_tensor *hi = lua_isnoneornil(L, 3) ? NULL : gdl_operand(L, 3, &shi, "gd.clip");
  gd_tensor *r = gdl_new(L);
  if (gd_ad_clip(r, x, lo, hi)) gdl_fail(L, "gd.clip");
  return 1;
}

/* ---- math ---------------------------------------------------------------- */

static int unary(lua_State *L, gd_unop op, const char *fname) {
  gdl_scalar sx;
  gd_tensor *x = gdl_operand(L, 1, &sx, fname);
  gd_tensor *r = gdl_new_shaped(L, x->ndim, x->shape, fname);   /* a tape keeps a copy of a small one */
  if (gd_ad_unary_into(r, op, x)) gdl_fail(L, fname);
  return 1;
}

#define UN(name, op) static int f_##name(lua_State *L) { return unary(L, op, "gd." #name); }
UN(neg, GD_UN_NEG) UN(exp, GD_UN_EXP) UN(log, GD_UN_LOG) UN(log1p, GD_UN_LOG1P)
UN(expm1, GD_UN_EXPM1) UN(sqrt, GD_UN_SQRT) UN(abs, GD_UN_ABS) UN(sin, GD_UN_SIN)
UN(cos, GD_UN_COS) UN(tan, GD_UN_TAN) UN(tanh, GD_UN_TANH) UN(sigmoid, GD_UN_SIGMOID)
UN(relu, GD_UN_RELU) UN(softplus, GD_UN_SOFTPLUS) UN(sign, GD_UN_SIGN) UN(floor, GD_UN_FLOOR)
UN(ceil, GD_UN_CEIL) UN(round, GD_UN_ROUND) UN(square, GD_UN_SQUARE) UN(copy, GD_UN_COPY)
UN(erf, GD_UN_ERF) UN(erfc, GD_UN_ERFC) UN(lgamma, GD_UN_LGAMMA) UN(digamma, GD_UN_DIGAMMA)
UN(trigamma, GD_UN_TRIGAMMA) UN(log10, GD_UN_LOG10) UN(log2, GD_UN_LOG2)
#undef UN

/* ---- reductions ---------------------------------------------------------- */

/* x:op([dim [, keepdim]] [, {ddof = }]); max/min with a dim also return
 * 1-based indices; argmax/argmin return 1-based indices. */
static int reduce(lua_State *L, gd_redop op, const char *fname) {
  gdl_scalar sx;
  gd_tensor *x = gdl_operand(L, 1, &sx, fname);
  double ddof = 0;
  int top = lua_gettop(L);
  for (int i = 2; i <= top; i++) {
    if (lua_istable(L, i)) {
      lua_getfield(L, i, "ddof");
      if (!lua_isnil(L, -1)) {
        int ok;
        ddof = lua_tonumberx(L, -1, &ok);
        if (!ok) luaL_error(L, "%s: ddof must be a number", fname);
      }
      lua_pop(L, 1);
      lua_pushnil(L);
      lua_replace(L, i);
    }
  }
  int dim = gdl_optdim(L, 2, x->ndim, fname);
  if (!lua_isnoneornil(L, 3) && !lua_isboolean(L, 3))
    luaL_error(L, "%s: argument 3 (keepdim): boolean expected, got %s", fname, luaL_typename(L, 3));
  int keepdim = lua_toboolean(L, 3);
  int wantidx = op == GD_RED_ARGMAX || op == GD_RED_ARGMIN ||
                ((op == GD_RED_MAX || op == GD_RED_MIN) && dim >= 0);
  int nd;
  int64_t shape[GD_MAXDIM];
  if (gd_reduce_shape(x, dim, keepdim, &nd, shape)) gdl_fail(L, fname);
  gd_tensor *r = gdl_new_shaped(L, nd, shape, fname);
  gd_tensor *ix = wantidx ? gdl_new_shaped(L, nd, shape, fname) : NULL;
  if (gd_ad_reduce_into(r, ix, op, x, dim, keepdim, ddof)) gdl_fail(L, fname);
  if (ix) {   /* positions → 1-based indices */
    double *d = gd_data(ix);
    for (size_t i = 0; i < ix->numel; i++) d[i] += 1;
    if (op == GD_RED_ARGMAX || op == GD_RED_ARGMIN) return 1;
  }
  return wantidx ? 2 : 1;
}

#define RED(name, op) static int f_##name(lua_State *L) { return reduce(L, op, "gd." #name); }
RED(sum, GD_RED_SUM) RED(mean, GD_RED_MEAN) RED(var, GD_RED_VAR) RED(std, GD_RED_STD)
RED(max, GD_RED_MAX) RED(min, GD_RED_MIN) RED(prod, GD_RED_PROD)
RED(logsumexp, GD_RED_LOGSUMEXP) RED(norm, GD_RED_NORM) RED(argmax, GD_RED_ARGMAX)
RED(argmin, GD_RED_ARGMIN)
#undef RED

/* ---- metamethods --------------------------------------------------------- */

/* __gc and __close: idempotent (a closed tensor is empty). */
static int m_gc(lua_State *L) {
  gd_tensor *t = gdl_test(L, 1);
  if (!t) return luaL_typeerror(L, 1, GDL_TENSOR);
  if (gdl_is_small(t)) t->st = NULL;        /* inline data: nothing to free */
  else gd_tensor_release(t);
  return 0;
}

static int m_len(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.len");
  if (x->ndim == 0) luaL_error(L, "gd.len: length of a 0-d tensor");
  lua_pushinteger(L, (lua_Integer)x->shape[0]);
  return 1;
}

static int m_index(lua_State *L) {
  gd_tensor *x = gdl_test(L, 1);
  if (!x) return luaL_typeerror(L, 1, GDL_TENSOR);
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    const char *k = lua_tostring(L, 2);
    if (!x->st) return 1;
    if (strcmp(k, "shape") == 0) { gdl_pushshape(L, x->ndim, x->shape); return 1; }
    if (strcmp(k, "ndim") == 0) { lua_pushinteger(L, x->ndim); return 1; }
    if (strcmp(k, "T") == 0) {
      lua_settop(L, 1);
      return gdl_t(L);
    }
    return 1;   /* nil */
  }
  return gdl_getitem(L);
}

static const gdl_reg funcs[] = {
  {"tensor", f_tensor, "gd.tensor(v): tensor from a number, nested table or tensor (copied)"},
  {"zeros", f_zeros, "gd.zeros(...): tensor of zeros; shape as 3, 4 or {3, 4}"},
  {"ones", f_ones, "gd.ones(...): tensor of ones; shape as 3, 4 or {3, 4}"},
  {"full", f_full, "gd.full(shape, v): tensor of the given shape filled with v"},
  {"eye", f_eye, "gd.eye(n[, m]): n×m identity matrix"},
  {"arange", f_arange, "gd.arange([start,] stop[, step]): values start, start+step, ... (stop excluded)"},
  {"linspace", f_linspace, "gd.linspace(a, b[, n = 50]): n evenly spaced values from a to b inclusive"},
  {"zeros_like", f_zeros_like, "gd.zeros_like(x): zeros of x's shape"},
  {"ones_like", f_ones_like, "gd.ones_like(x): ones of x's shape"},
  {NULL, NULL, NULL}
};

static const gdl_reg methods[] = {
  {"numel", f_numel, "x:numel(): number of elements"},
  {"count_nonzero", f_count_nonzero, "x:count_nonzero(): the number of elements that are not 0 (NaN counts), an integer"},
  {"item", f_item, "x:item(): the Lua number of a one-element tensor"},
  {"totable", f_totable, "x:totable(): nested Lua tables (a number for 0-d)"},
  {"add", f_add, "gd.add(a, b): a + b, broadcast"},
  {"sub", f_sub, "gd.sub(a, b): a - b, broadcast"},
  {"mul", f_mul, "gd.mul(a, b): a * b elementwise, broadcast"},
  {"div", f_div, "gd.div(a, b): a / b, broadcast"},
  {"pow", f_pow, "gd.pow(a, b): a ^ b, broadcast"},
  {"mod", f_mod, "gd.mod(a, b): floor modulo a % b (sign of b, as Lua)"},
  {"idiv", f_idiv, "gd.idiv(a, b): floor(a / b)"},
  {"neg", f_neg, "gd.neg(x): -x"},
  {"lt", f_lt, "x:lt(y): 1 where x < y else 0"},
  {"le", f_le, "x:le(y): 1 where x <= y else 0"},
  {"gt", f_gt, "x:gt(y): 1 where x > y else 0"},
  {"ge", f_ge, "x:ge(y): 1 where x >= y else 0"},
  {"eq", f_eq, "x:eq(y): 1 where x == y else 0"},
  {"ne", f_ne, "x:ne(y): 1 where x ~= y else 0"},
  {"where", f_where, "gd.where(c, a, b): a where c ~= 0 else b, broadcast"},
  {"maximum", f_maximum, "gd.maximum(a, b): elementwise maximum (NaN propagates)"},
  {"minimum", f_minimum, "gd.minimum(a, b): elementwise minimum (NaN propagates)"},
  {"clip", f_clip, "gd.clip(x, lo, hi): min(max(x, lo), hi); lo or hi may be nil"},
  {"exp", f_exp, "gd.exp(x): e^x elementwise"},
  {"log", f_log, "gd.log(x): natural logarithm"},
  {"log1p", f_log1p, "gd.log1p(x): log(1 + x), accurate near 0"},
  {"expm1", f_expm1, "gd.expm1(x): e^x - 1, accurate near 0"},
  {"sqrt", f_sqrt, "gd.sqrt(x): square root"},
  {"abs", f_abs, "gd.abs(x): absolute value"},
  {"sin", f_sin, "gd.sin(x): sine"},
  {"cos", f_cos, "gd.cos(x): cosine"},
  {"tan", f_tan, "gd.tan(x): tangent"},
  {"tanh", f_tanh, "gd.tanh(x): hyperbolic tangent"},
  {"sigmoid", f_sigmoid, "gd.sigmoid(x): 1 / (1 + e^-x), stable for large |x|"},
  {"relu", f_relu, "gd.relu(x): max(x, 0)"},
  {"softplus", f_softplus, "gd.softplus(x): log(1 + e^x), stable"},
  {"sign", f_sign, "gd.sign(x): -1, 0 or 1"},
  {"floor", f_floor, "gd.floor(x): round down"},
  {"ceil", f_ceil, "gd.ceil(x): round up"},
  {"round", f_round, "gd.round(x): round half to even (as numpy)"},
  {"square", f_square, "gd.square(x): x^2"},
  {"copy", f_copy, "x:copy(): a contiguous copy"},
  {"erf", f_erf, "gd.erf(x): error function 2/sqrt(pi) * integral_0^x e^-t^2 dt"},
  {"erfc", f_erfc, "gd.erfc(x): 1 - erf(x), accurate for large x"},
  {"lgamma", f_lgamma, "gd.lgamma(x): log|Gamma(x)|; inf at 0, -1, -2, ..."},
  {"digamma", f_digamma, "gd.digamma(x): d/dx lgamma(x); -inf at 0, nan at negative integers"},
  {"trigamma", f_trigamma, "gd.trigamma(x): d/dx digamma(x)"},
  {"log10", f_log10, "gd.log10(x): base-10 logarithm (exact at powers of 10)"},
  {"log2", f_log2, "gd.log2(x): base-2 logarithm (exact at powers of 2)"},
  {"sum", f_sum, "gd.sum(x[, dim[, keepdim]]): sum (pairwise); no dim: 0-d"},
  {"mean", f_mean, "gd.mean(x[, dim[, keepdim]]): arithmetic mean"},
  {"var", f_var, "gd.var(x[, dim[, keepdim]][, {ddof = 0}]): variance, divisor n - ddof"},
  {"std", f_std, "gd.std(x[, dim[, keepdim]][, {ddof = 0}]): standard deviation"},
  {"max", f_max, "gd.max(x[, dim[, keepdim]]): maximum; with dim also the 1-based indices"},
  {"min", f_min, "gd.min(x[, dim[, keepdim]]): minimum; with dim also the 1-based indices"},
  {"prod", f_prod, "gd.prod(x[, dim[, keepdim]]): product"},
  {"logsumexp", f_logsumexp, "gd.logsumexp(x[, dim[, keepdim]]): log(sum(exp(x))), stable"},
  {"norm", f_norm, "gd.norm(x[, dim[, keepdim]]): Euclidean (Frobenius) norm"},
  {"argmax", f_argmax, "gd.argmax(x[, dim[, keepdim]]): 1-based index of the maximum"},
  {"argmin", f_argmin, "gd.argmin(x[, dim[, keepdim]]): 1-based index of the minimum"},
  {NULL, NULL, NULL}
};

void gdl_open_tensor(lua_State *L) {
  gdl_register(L, funcs, 1, 0, 3);
  gdl_register(L, methods, 1, 2, 3);
}

/* Set up the tensor metatable; the method table is at index m. */
void gdl_tensor_metatable(lua_State *L, int m, const void *key) {
  m = lua_absindex(L, m);
  lua_newtable(L);
  lua_pushstring(L, GDL_TENSOR);
  lua_setfield(L, -2, "__name");
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, m_len);
  lua_setfield(L, -2, "__len");
  lua_pushvalue(L, m);
  lua_pushcclosure(L, m_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, gdl_setitem);
  lua_setfield(L, -2, "__newindex");
  static const struct { const char *mm; lua_CFunction fn; } ops[] = {
    {"__add", f_add}, {"__sub", f_sub}, {"__mul", f_mul}, {"__div", f_div},
    {"__pow", f_pow}, {"__mod", f_mod}, {"__unm", f_neg}, {"__idiv", f_idiv},
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    lua_pushcfunction(L, ops[i].fn);
    lua_setfield(L, -2, ops[i].mm);
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}
