/* loptim2.c: the Lua binding of optim2.c's kernel, gd._optim._lbfgs_direction
 * (used by lua/gd/minimize.lua; not a user-facing function). */

#include "lgd.h"
#include "optim2.h"

/* A 1-D contiguous tensor of n elements at stack index i, or an error. */
static const double *flat_vector(lua_State *L, int i, int64_t n, const char *fname, const char *what) {
  gd_tensor *t = gdl_check(L, i, fname);
  if (t->ndim != 1 || !gd_is_contig(t) || (int64_t)t->numel != n)
    luaL_error(L, "%s: %s must be a contiguous 1-D tensor of %I elements", fname, what, (lua_Integer)n);
  return gd_data(t);
}

/* gd._optim._lbfgs_direction(g, S, Y, rho, gamma): −H·g for the L-BFGS
 * matrix of the pairs S[i], Y[i] (lists of m flat tensors, oldest first),
 * rho[i] = 1/(Y[i]ᵀS[i]) and H0 = gamma·I. */
int gdl_lbfgs_direction(lua_State *L) {
  const char *fname = "gd._optim._lbfgs_direction";
  gd_tensor *g = gdl_check(L, 1, fname);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  double gamma = luaL_checknumber(L, 5);
  if (g->ndim != 1 || !gd_is_contig(g)) luaL_error(L, "%s: g must be a contiguous 1-D tensor", fname);
  int64_t n = (int64_t)g->numel;
  lua_Integer m = luaL_len(L, 2);
  if (luaL_len(L, 3) != m || luaL_len(L, 4) != m)
    luaL_error(L, "%s: S, Y and rho differ in length", fname);
  if (m < 0 || m > 100000) luaL_error(L, "%s: %I pairs", fname, (lua_Integer)m);
  /* workspace in a userdata (collected with it; an allocation failure is a Lua error) */
  size_t bytes = (size_t)(m > 0 ? m : 1) * (2 * sizeof(double *) + 2 * sizeof(double));
  char *ws = lua_newuserdatauv(L, bytes, 0);
  const double **sp = (const double **)(void *)ws;
  const double **yp = sp + m;
  double *rho = (double *)(void *)(yp + m);
  double *alpha = rho + m;
  for (lua_Integer i = 0; i < m; i++) {
    lua_rawgeti(L, 2, i + 1);
    sp[i] = flat_vector(L, -1, n, fname, "S[i]");   /* kept alive by the table S */
    lua_rawgeti(L, 3, i + 1);
    yp[i] = flat_vector(L, -1, n, fname, "Y[i]");
    lua_rawgeti(L, 4, i + 1);
    if (!lua_isnumber(L, -1)) luaL_error(L, "%s: rho[%I] must be a number", fname, (lua_Integer)(i + 1));
    rho[i] = lua_tonumber(L, -1);
    lua_pop(L, 3);
  }
  gd_tensor *r = gdl_new_shaped(L, 1, &n, fname);
  double *q = gd_data(r);
  if (m == 0) {
    for (int64_t k = 0; k < n; k++) q[k] = -gd_data(g)[k];
  } else {
    gd_optim_lbfgs_two_loop(q, gd_data(g), n, (int)m, sp, yp, rho, gamma, alpha);
  }
  return 1;
}
