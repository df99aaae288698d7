/* lshape.c: Lua bindings of shape ops, views and indexing.
 *
 * Lua is 1-based: dims 1..ndim and indices 1..n, negatives count from the
 * end (-1 is the last).  x[i] on a 1-D tensor is a number, otherwise a view
 * of row i; x[{spec...}] takes per dim an integer (select), {a, b[, step]}
 * (inclusive range) or {} (all).
 */
#include "lgd.h"

#include <string.h>

#include "adops_shape.h"
#include "compile.h"
#include "kernels.h"
#include "shape.h"

/* A 1-based (negative from the end) index into a dim of size n → 0-based. */
static int64_t checkindex(lua_State *L, int arg, int64_t v, int64_t n, int dim, const char *fname) {
  int64_t i = v < 0 ? v + n : v - 1;
  if (v == 0 || i < 0 || i >= n)
    luaL_error(L, "%s: argument %d: index %I out of range for dim %d of size %I", fname, arg,
               (lua_Integer)v, dim + 1, (lua_Integer)n);
  return i;
}

static int l_reshape(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.reshape");
  int64_t shape[GD_MAXDIM];
  int nd;
  if (lua_istable(L, 2)) {
    lua_Unsigned len = lua_rawlen(L, 2);
    if (len > GD_MAXDIM) luaL_error(L, "gd.reshape: %d dims (at most %d)", (int)len, GD_MAXDIM);
    nd = (int)len;
    for (int i = 0; i < nd; i++) {
      lua_rawgeti(L, 2, i + 1);
      shape[i] = gdl_checkint(L, -1, "gd.reshape", "size");
      lua_pop(L, 1);
    }
  } else {
    nd = lua_gettop(L) - 1;
    if (nd > GD_MAXDIM) luaL_error(L, "gd.reshape: %d dims (at most %d)", nd, GD_MAXDIM);
    for (int i = 0; i < nd; i++) shape[i] = gdl_checkint(L, i + 2, "gd.reshape", "size");
  }
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_reshape(r, x, nd, shape)) gdl_fail(L, "gd.reshape");
  gdl_view_done(L, -1);
  return 1;
}

static int l_flatten(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.flatten");
  int64_t n = (int64_t)x->numel;
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_reshape(r, x, 1, &n)) gdl_fail(L, "gd.flatten");
  gdl_view_done(L, -1);
  return 1;
}

int gdl_t(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.T");
  int perm[GD_MAXDIM];
  for (int i = 0; i < x->ndim; i++) perm[i] = x->ndim - 1 - i;
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_permute(r, x, perm)) gdl_fail(L, "gd.T");
  gdl_view_done(L, -1);
  return 1;
}

static int l_transpose(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.transpose");
  if (lua_isnoneornil(L, 2) && x->ndim <= 2) return gdl_t(L);
  int a = gdl_checkdim(L, 2, x->ndim, "gd.transpose");
  int b = gdl_checkdim(L, 3, x->ndim, "gd.transpose");
  int perm[GD_MAXDIM];
  for (int i = 0; i < x->ndim; i++) perm[i] = i;
  perm[a] = b;
  perm[b] = a;
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_permute(r, x, perm)) gdl_fail(L, "gd.transpose");
  gdl_view_done(L, -1);
  return 1;
}

static int l_permute(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.permute");
  int perm[GD_MAXDIM];
  int n;
  if (lua_istable(L, 2)) {
    n = (int)lua_rawlen(L, 2);
    if (n != x->ndim) luaL_error(L, "gd.permute: %d dims given for a %d-d tensor", n, x->ndim);
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, 2, i + 1);
      perm[i] = gdl_checkdim(L, lua_gettop(L), x->ndim, "gd.permute");
      lua_pop(L, 1);
    }
  } else {
    n = lua_gettop(L) - 1;
    if (n != x->ndim) luaL_error(L, "gd.permute: %d dims given for a %d-d tensor", n, x->ndim);
    for (int i = 0; i < n; i++) perm[i] = gdl_checkdim(L, i + 2, x->ndim, "gd.permute");
  }
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_permute(r, x, perm)) gdl_fail(L, "gd.permute");
  gdl_view_done(L, -1);
  return 1;
}

static int l_squeeze(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.squeeze");
  int dim = gdl_optdim(L, 2, x->ndim, "gd.squeeze");
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_squeeze(r, x, dim)) gdl_fail(L, "gd.squeeze");
  gdl_view_done(L, -1);
  return 1;
}

static int l_unsqueeze(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.unsqueeze");
  int dim = gdl_checkdim(L, 2, x->ndim + 1, "gd.unsqueeze");
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_unsqueeze(r, x, dim)) gdl_fail(L, "gd.unsqueeze");
  gdl_view_done(L, -1);
  return 1;
}

static int l_expand(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.expand");
  int64_t shape[GD_MAXDIM];
  int nd;
  if (lua_istable(L, 2)) {
    nd = (int)lua_rawlen(L, 2);
    if (nd > GD_MAXDIM) luaL_error(L, "gd.expand: %d dims (at most %d)", nd, GD_MAXDIM);
    for (int i = 0; i < nd; i++) {
      lua_rawgeti(L, 2, i + 1);
      shape[i] = gdl_checkint(L, -1, "gd.expand", "size");
      lua_pop(L, 1);
    }
  } else {
    nd = lua_gettop(L) - 1;
    if (nd > GD_MAXDIM) luaL_error(L, "gd.expand: %d dims (at most %d)", nd, GD_MAXDIM);
    for (int i = 0; i < nd; i++) shape[i] = gdl_checkint(L, i + 2, "gd.expand", "size");
  }
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_expand(r, x, nd, shape)) gdl_fail(L, "gd.expand");
  gdl_view_done(L, -1);
  return 1;
}

/* Collect the tensors of the list at arg (numbers/tables converted). */
static int tensor_list(lua_State *L, int arg, const gd_tensor **xs, int max, const char *fname) {
  luaL_argexpected(L, lua_istable(L, arg), arg, "table of tensors");
  lua_Unsigned n = lua_rawlen(L, arg);
  if (n == 0) luaL_error(L, "%s: empty list of tensors", fname);
  if (n > (lua_Unsigned)max) luaL_error(L, "%s: too many tensors (%d)", fname, (int)n);
  luaL_checkstack(L, (int)n + 4, fname);
  for (lua_Unsigned i = 0; i < n; i++) {
    lua_rawgeti(L, arg, (lua_Integer)i + 1);
    gd_tensor *t = gdl_test(L, -1);
    if (!t) {
      if (lua_type(L, -1) != LUA_TNUMBER && !lua_istable(L, -1))
        luaL_error(L, "%s: element %d of the list is a %s, expected a tensor", fname, (int)i + 1,
                   luaL_typename(L, -1));
      t = gdl_from_value(L, -1, fname);
    } else if (!t->st) {
      luaL_error(L, "%s: element %d is an empty tensor", fname, (int)i + 1);
    }
    xs[i] = t;   /* kept alive on the stack */
  }
  return (int)n;
}

#define MAXLIST 4096

static int l_cat(lua_State *L) {
  lua_settop(L, 2);
  const gd_tensor **xs = lua_newuserdatauv(L, sizeof(gd_tensor *) * MAXLIST, 0);
  int n = tensor_list(L, 1, xs, MAXLIST, "gd.cat");
  int dim = lua_isnoneornil(L, 2) ? 0 : gdl_checkdim(L, 2, xs[0]->ndim, "gd.cat");
  gd_tensor *r = gdl_new(L);
  if (gd_ad_cat(r, xs, n, dim)) gdl_fail(L, "gd.cat");
  return 1;
}

static int l_stack(lua_State *L) {
  lua_settop(L, 2);
  const gd_tensor **xs = lua_newuserdatauv(L, sizeof(gd_tensor *) * MAXLIST, 0);
  int n = tensor_list(L, 1, xs, MAXLIST, "gd.stack");
  int dim = lua_isnoneornil(L, 2) ? 0 : gdl_checkdim(L, 2, xs[0]->ndim + 1, "gd.stack");
  gd_tensor *r = gdl_new(L);
  if (gd_ad_stack(r, xs, n, dim)) gdl_fail(L, "gd.stack");
  return 1;
}

static int l_narrow(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.narrow");
  int dim = gdl_checkdim(L, 2, x->ndim, "gd.narrow");
  int64_t start = gdl_checkint(L, 3, "gd.narrow", "start");
  int64_t len = gdl_checkint(L, 4, "gd.narrow", "length");
  int64_t n = x->shape[dim];
  int64_t s0 = start < 0 ? start + n : start - 1;
  if (start == 0 || s0 < 0 || s0 > n || len < 0 || len > n - s0)
    luaL_error(L, "gd.narrow: start %I, length %I out of range for dim %d of size %I",
               (lua_Integer)start, (lua_Integer)len, dim + 1, (lua_Integer)n);
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_slice(r, x, dim, s0, len, 1)) gdl_fail(L, "gd.narrow");
  gdl_view_done(L, -1);
  return 1;
}

static int l_select(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.select");
  int dim = gdl_checkdim(L, 2, x->ndim, "gd.select");
  int64_t i = checkindex(L, 3, gdl_checkint(L, 3, "gd.select", "index"), x->shape[dim], dim, "gd.select");
  gd_tensor *r = gdl_new_view(L, 1, x);
  if (gd_ad_select(r, x, dim, i)) gdl_fail(L, "gd.select");
  gdl_view_done(L, -1);
  return 1;
}

static int l_index(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.index");
  int dim = gdl_checkdim(L, 2, x->ndim, "gd.index");
  gdl_scalar sc;
  gd_tensor *idx = gdl_operand(L, 3, &sc, "gd.index");
  if (idx->ndim > 1) {
    char s[96];
    luaL_error(L, "gd.index: argument 3: index must be 1-D, got shape %s",
               gd_shape_str(s, sizeof s, idx->ndim, idx->shape));
  }
  int64_t n = (int64_t)idx->numel;
  int64_t *ids = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)(n ? n : 1), 0);
  for (int64_t k = 0; k < n; k++) {
    double v = gd_data(idx)[idx->ndim ? k * idx->stride[0] : 0];
    if (v != (double)(int64_t)v) luaL_error(L, "gd.index: index %f is not an integer", v);
    ids[k] = checkindex(L, 3, (int64_t)v, x->shape[dim], dim, "gd.index");
  }
  gd_tensor *r = gdl_new(L);
  if (gd_ad_index(r, x, dim, ids, n)) gdl_fail(L, "gd.index");
  if (gd_cp_tracing) gd_cp_index(r, x, dim, idx);
  return 1;
}

static int l_mask(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.mask");
  gdl_scalar sc;
  gd_tensor *m = gdl_operand(L, 2, &sc, "gd.mask");
  gd_tensor *r = gdl_new(L);
  if (gd_ad_mask(r, x, m)) gdl_fail(L, "gd.mask");
  return 1;
}

/* Element address from the integer arguments first..first+ndim-1. */
static double *element(lua_State *L, gd_tensor *x, int first, const char *fname) {
  int n = lua_gettop(L) - first + 1;
  if (n != x->ndim)
    luaL_error(L, "%s: %d indices given for a %d-d tensor", fname, n < 0 ? 0 : n, x->ndim);
  double *p = gd_data(x);
  for (int d = 0; d < x->ndim; d++) {
    int64_t i = checkindex(L, first + d, gdl_checkint(L, first + d, fname, "index"),
                           x->shape[d], d, fname);
    p += i * x->stride[d];
  }
  return p;
}

static int l_at(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.at");
  if (gd_cp_tracing) gd_cp_read(x, "x:at");
  lua_pushnumber(L, *element(L, x, 2, "gd.at"));
  return 1;
}

static int l_set(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.set");
  double v = gdl_checknumber(L, 2, "gd.set", "v");
  if (gd_cp_tracing) gd_cp_write(x, "x:set");
  *element(L, x, 3, "gd.set") = v;
  gd_touch(x);
  lua_settop(L, 1);
  return 1;
}

/* View of x selected by the key at index k (integer or spec table).  With
 * record, each step is a recording select/slice (the result has an id of
 * its own when a tape records it); without (assignment), plain views. */
static gd_tensor *keyed_view(lua_State *L, gd_tensor *x, int k, const char *fname, int record) {
  gd_tensor *r = gdl_new_view(L, 1, x);   /* x (argument 1) is shared by the view */
  if (lua_type(L, k) == LUA_TNUMBER) {
    if (x->ndim == 0) luaL_error(L, "%s: cannot index a 0-d tensor", fname);
    int64_t i = checkindex(L, 2, gdl_checkint(L, k, fname, "index"), x->shape[0], 0, fname);
    if (record ? gd_ad_select(r, x, 0, i) : gd_select(r, x, 0, i)) gdl_fail(L, fname);
    return r;
  }
  if (!lua_istable(L, k))
    luaL_error(L, "%s: index must be an integer or a table, got %s", fname, luaL_typename(L, k));
  int n = (int)lua_rawlen(L, k);
  if (n > x->ndim) luaL_error(L, "%s: %d indices for a %d-d tensor", fname, n, x->ndim);
  if (n == 0) {                    /* x[{}]: all of x */
    if (record ? gd_ad_alias(r, x) : (gd_tensor_view(r, x), GD_OK)) gdl_fail(L, fname);
    return r;
  }
  int dim = 0;
  for (int e = 1; e <= n; e++) {
    const gd_tensor *src = e == 1 ? x : r;   /* r holds the previous step */
    lua_rawgeti(L, k, e);
    int top = lua_gettop(L);
    gd_tensor next;
    gd_tensor_init(&next);
    int rc;
    int64_t size = src->shape[dim];
    if (lua_type(L, top) == LUA_TNUMBER) {
      int64_t i = checkindex(L, 2, gdl_checkint(L, top, fname, "index"), size, dim, fname);
      rc = record ? gd_ad_select(&next, src, dim, i) : gd_select(&next, src, dim, i);
    } else if (lua_istable(L, top)) {
      int len = (int)lua_rawlen(L, top);
      int64_t a = 1, b = -1, step = 1;
      if (len >= 1) { lua_rawgeti(L, top, 1); a = gdl_checkint(L, -1, fname, "range start"); lua_pop(L, 1); }
      if (len >= 2) { lua_rawgeti(L, top, 2); b = gdl_checkint(L, -1, fname, "range end"); lua_pop(L, 1); }
      else if (len == 1) b = a;
      if (len >= 3) { lua_rawgeti(L, top, 3); step = gdl_checkint(L, -1, fname, "range step"); lua_pop(L, 1); }
      if (step <= 0) luaL_error(L, "%s: range step must be positive", fname);
      int64_t a0 = a < 0 ? a + size : a - 1, b0 = b < 0 ? b + size : b - 1;
      if (a == 0 || b == 0 || a0 < 0 || a0 > size || b0 >= size || b0 < -1)
        luaL_error(L, "%s: range {%I, %I} out of bounds for dim %d of size %I", fname,
                   (lua_Integer)a, (lua_Integer)b, dim + 1, (lua_Integer)size);
      int64_t cnt = b0 >= a0 ? (b0 - a0) / step + 1 : 0;
      rc = record ? gd_ad_slice(&next, src, dim, cnt ? a0 : 0, cnt, step)
                  : gd_slice(&next, src, dim, cnt ? a0 : 0, cnt, step);
      dim++;
    } else {
      return (gd_tensor *)(intptr_t)luaL_error(L, "%s: index entry %d must be an integer or a table, got %s",
                                               fname, e, luaL_typename(L, top));
    }
    lua_pop(L, 1);
    if (rc) {
      gd_tensor_release(&next);
      gdl_fail(L, fname);
    }
    gd_tensor_release(r);          /* the node (if any) keeps its own reference */
    *r = next;                     /* moved: keeps next's id */
  }
  return r;
}

/* x[{i, j, ...}] with an integer per dim: the element, or NULL if the key
 * is not of that form. */
static const double *keyed_element(lua_State *L, gd_tensor *x, int k, const char *fname) {
  if (!lua_istable(L, k) || x->ndim == 0 || (int)lua_rawlen(L, k) != x->ndim) return NULL;
  int64_t off = 0;
  for (int d = 0; d < x->ndim; d++) {
    int t = lua_rawgeti(L, k, d + 1);
    lua_pop(L, 1);
    if (t != LUA_TNUMBER) return NULL;
  }
  for (int d = 0; d < x->ndim; d++) {
    lua_rawgeti(L, k, d + 1);
    int64_t i = checkindex(L, 2, gdl_checkint(L, -1, fname, "index"), x->shape[d], d, fname);
    lua_pop(L, 1);
    off += i * x->stride[d];
  }
  return gd_data(x) + off;
}

/* x[i] of a 1-D x is a Lua number, except when an active tape tracks x: then
 * it is a recorded 0-d tensor, so that code such as (1 - v[1])^2
 * differentiates (DESIGN.md section 3).  x[{i, j, ...}] stays a number. */
/* x[m] for a tensor m (numpy boolean indexing): a 1-D m of #x entries on an
 * n-d x (n ≥ 2) picks the rows where m ≠ 0; otherwise x:mask(m). */
static int mask_index(lua_State *L, const gd_tensor *x) {
  const char *fname = "gd.Tensor index";
  gd_tensor *m = gdl_test(L, 2);
  if (!m) {
    lua_pushnil(L);
    return 1;
  }
  if (x->ndim < 2 || m->ndim != 1 || m->shape[0] != x->shape[0]) {
    gd_tensor *r = gdl_new(L);
    if (gd_ad_mask(r, x, m)) gdl_fail(L, fname);
    return 1;
  }
  if (gd_cp_tracing) gd_cp_read(m, "x[mask] (its shape depends on the mask's values)");
  int64_t n = m->shape[0], k = 0;
  int64_t *ids = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)(n ? n : 1), 0);
  for (int64_t i = 0; i < n; i++)
    if (gd_data(m)[i * m->stride[0]] != 0) ids[k++] = i;
  gd_tensor *r = gdl_new(L);
  if (gd_ad_index(r, x, 0, ids, k)) gdl_fail(L, fname);
  return 1;
}

int gdl_getitem(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.Tensor index");
  const gd_tensor *xs[1] = {x};
  if (lua_type(L, 2) == LUA_TNUMBER && x->ndim == 1) {
    int64_t i = checkindex(L, 2, gdl_checkint(L, 2, "gd.Tensor index", "index"), x->shape[0], 0,
                           "gd.Tensor index");
    if (!x->id || !gd_ad_tracking(1, xs)) {   /* id 0: no tape knows x (the hot path) */
      if (gd_cp_tracing) gd_cp_read(x, "x[i] (a number)");
      lua_pushnumber(L, gd_data(x)[i * x->stride[0]]);
      return 1;
    }
    gd_tensor *r = gdl_new_view(L, 1, x);   /* inline data: the view anchors its owner */
    if (gd_ad_select(r, x, 0, i)) gdl_fail(L, "gd.Tensor index");
    gdl_view_done(L, -1);
    return 1;
  }
  if (lua_type(L, 2) == LUA_TUSERDATA) return mask_index(L, x);
  if (lua_type(L, 2) != LUA_TNUMBER && !lua_istable(L, 2)) {
    lua_pushnil(L);
    return 1;
  }
  const double *p = keyed_element(L, x, 2, "gd.Tensor index");
  if (p) {                              /* every dim selected: a number */
    if (gd_cp_tracing) gd_cp_read(x, "x[{...}] (a number)");
    lua_pushnumber(L, *p);
    return 1;
  }
  keyed_view(L, x, 2, "gd.Tensor index", 1);
  return 1;
}

int gdl_setitem(lua_State *L) {
  const char *fname = "gd.Tensor assignment";
  gd_tensor *x = gdl_check(L, 1, fname);
  if (lua_type(L, 2) == LUA_TSTRING)
    luaL_error(L, "%s: cannot set field '%s' of a tensor", fname, lua_tostring(L, 2));
  if (gd_cp_tracing) gd_cp_write(x, "x[i] = v");
  gd_tensor *r = keyed_view(L, x, 2, fname, 0);
  gdl_scalar sc;
  gd_tensor *v = gdl_operand(L, 3, &sc, fname);
  if (gd_copy_into(r, v)) gdl_fail(L, fname);
  gd_touch(x);
  return 0;
}

static int l_contiguous(lua_State *L) {
  gd_tensor *x = gdl_check(L, 1, "gd.contiguous");
  if (gd_is_contig(x)) { lua_settop(L, 1); return 1; }
  gd_tensor *r = gdl_new(L);
  if (gd_ad_unary(r, GD_UN_COPY, x)) gdl_fail(L, "gd.contiguous");   /* a recorded copy */
  return 1;
}

static const gdl_reg methods[] = {
  {"reshape", l_reshape, "x:reshape(...): same data in a new shape (one -1 inferred); a view when contiguous"},
  {"flatten", l_flatten, "x:flatten(): 1-D reshape"},
  {"t", gdl_t, "x:t() or x.T: dims reversed (a view)"},
  {"transpose", l_transpose, "x:transpose(d1, d2): view with two dims swapped"},
  {"permute", l_permute, "x:permute(d1, d2, ...): view with dims reordered"},
  {"squeeze", l_squeeze, "x:squeeze([dim]): view without size-1 dims"},
  {"unsqueeze", l_unsqueeze, "x:unsqueeze(dim): view with a size-1 dim inserted at dim"},
  {"expand", l_expand, "x:expand(...): view broadcast to a larger shape (-1 keeps a dim)"},
  {"cat", l_cat, "gd.cat({a, b, ...}[, dim]): join along an existing dim (default 1)"},
  {"stack", l_stack, "gd.stack({a, b, ...}[, dim]): join along a new dim (default 1)"},
  {"narrow", l_narrow, "x:narrow(dim, start, len): view of len entries from start along dim"},
  {"select", l_select, "x:select(dim, i): view at index i of dim, that dim removed"},
  {"index", l_index, "x:index(dim, idx): copy of the entries at the 1-based indices idx along dim"},
  {"mask", l_mask, "x:mask(m): 1-D copy of the elements where m ~= 0"},
  {"at", l_at, "x:at(i, j, ...): the element as a Lua number"},
  {"set", l_set, "x:set(v, i, j, ...): write the element; returns x"},
  {"contiguous", l_contiguous, "x:contiguous(): x if row-major contiguous, else a copy"},
  {NULL, NULL, NULL}
};

void gdl_open_shape(lua_State *L) {
  gdl_register(L, methods, 1, 2, 3);
}
