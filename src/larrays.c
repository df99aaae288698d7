/* larrays.c: Lua bindings of the array functions in C: sort, argsort,
 * cumsum, cumprod, unique and the histogram kernel (gd._histogram, wrapped
 * by lua/gd/arrays.lua).  Dims are 1-based here, 0-based below.
 */
#include "lgd.h"

#include <string.h>

#include "adops_arrays.h"
#include "adops_shape.h"
#include "arrays.h"

/* The dim argument at arg: nil → the last dim (0 for a 0-d tensor). */
static int lastdim(lua_State *L, int arg, const gd_tensor *x, const char *fname) {
  if (lua_isnoneornil(L, arg)) return x->ndim ? x->ndim - 1 : 0;
  if (x->ndim == 0) luaL_error(L, "%s: argument %d: a 0-d tensor has no dims", fname, arg);
  return gdl_checkdim(L, arg, x->ndim, fname);
}

/* The options table at arg: {descending = boolean}; unknown keys are errors. */
static int descending_opt(lua_State *L, int arg, const char *fname) {
  if (lua_isnoneornil(L, arg)) return 0;
  luaL_argexpected(L, lua_istable(L, arg), arg, "options table");
  int desc = 0;
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "descending") != 0) {
      lua_pop(L, 1);
      luaL_error(L, "%s: unknown option '%s' (known: descending)", fname, luaL_tolstring(L, -1, NULL));
    }
    if (!lua_isboolean(L, -1))
      luaL_error(L, "%s: option descending: boolean expected, got %s", fname, luaL_typename(L, -1));
    desc = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  return desc;
}

static int sort_common(lua_State *L, const char *fname, int want_values) {
  gd_tensor *x = gdl_check(L, 1, fname);
  int dim = lastdim(L, 2, x, fname);
  int desc = descending_opt(L, 3, fname);
  lua_settop(L, 1);
  gd_tensor *v = gdl_new(L);
  gd_tensor *ix = gdl_new(L);
  int rc = want_values ? gd_ad_sort(v, ix, x, dim, desc, 1) : gd_sort(NULL, ix, x, dim, desc, 1);
  if (rc) gdl_fail(L, fname);
  if (!want_values) return 1;
  gdl_gcstep(L);
  return 2;
}

static int l_sort(lua_State *L) { return sort_common(L, "gd.sort", 1); }
static int l_argsort(lua_State *L) { return sort_common(L, "gd.argsort", 0); }

static int cumulative(lua_State *L, const char *fname, int prod) {
  gd_tensor *x = gdl_check(L, 1, fname);
  int flat_all = lua_isnoneornil(L, 2);       /* no dim: over the flattened tensor (numpy) */
  int dim = flat_all ? 0 : lastdim(L, 2, x, fname);
  lua_settop(L, 1);
  gd_tensor *r = gdl_new(L);
  gd_tensor flat;
  gd_tensor_init(&flat);
  int64_t n = (int64_t)x->numel;
  int rc = flat_all ? gd_ad_reshape(&flat, x, 1, &n) : GD_OK;
  const gd_tensor *src = flat_all ? &flat : x;
  if (!rc) rc = prod ? gd_ad_cumprod(r, src, dim) : gd_ad_cumsum(r, src, dim, 0);
  gd_tensor_release(&flat);
  if (rc) gdl_fail(L, fname);
  return 1;
}

static int l_cumsum(lua_State *L) { return cumulative(L, "gd.cumsum", 0); }
static int l_cumprod(lua_State *L) { return cumulative(L, "gd.cumprod", 1); }

static int l_unique(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.unique");
  lua_settop(L, 1);
  gd_tensor *v = gdl_new(L);
  gd_tensor *c = gdl_new(L);
  if (gd_unique(v, c, x)) gdl_fail(L, "gd.unique");
  return 2;
}

/* gd._histogram(x, bins[, lo, hi]) → counts, edges (no range: min, max of x). */
static int l_histogram(lua_State *L) {
  const char *fname = "gd.histogram";
  gd_tensor *x = gdl_check(L, 1, fname);
  int64_t bins = gdl_checkint(L, 2, fname, "bins");
  int autor = lua_isnoneornil(L, 3);
  double lo = autor ? 0 : gdl_checknumber(L, 3, fname, "range[1]");
  double hi = autor ? 0 : gdl_checknumber(L, 4, fname, "range[2]");
  lua_settop(L, 1);
  gd_tensor *c = gdl_new(L);
  gd_tensor *e = gdl_new(L);
  if (gd_histogram(c, e, x, bins, lo, hi, autor)) gdl_fail(L, fname);
  return 2;
}

static const gdl_reg methods[] = {
  {"sort", l_sort, "x:sort([dim = -1[, {descending = false}]]): values, indices sorted along dim (stable, NaN last)"},
  {"argsort", l_argsort, "x:argsort([dim = -1[, {descending = false}]]): the indices that sort x along dim (stable)"},
  {"cumsum", l_cumsum, "x:cumsum([dim]): cumulative sum along dim (no dim: of the flattened x)"},
  {"cumprod", l_cumprod, "x:cumprod([dim]): cumulative product along dim (no dim: of the flattened x)"},
  {"unique", l_unique, "gd.unique(x): the distinct values (ascending, 1-D) and how often each occurs"},
  {NULL, NULL, NULL}
};

static const gdl_reg funcs[] = {
  {"_histogram", l_histogram, "gd._histogram(x, bins[, lo, hi]): counts, edges (gd.histogram's kernel)"},
  {NULL, NULL, NULL}
};

void gdl_open_arrays(lua_State *L) {
  gdl_register(L, methods, 1, 2, 3);
  gdl_register(L, funcs, 1, 0, 3);
}
