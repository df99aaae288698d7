/* lthreads.c: gd.set_num_threads / gd.get_num_threads, the Lua side of the
 * kernels' worker threads (threads.c). */
#include "lgd.h"
#include "threads.h"

static int f_set_num_threads(lua_State *L) {
  const char *fname = "gd.set_num_threads";
  int64_t n = gdl_checkint(L, 1, fname, "n");
  if (n < 1 || n > GD_THREADS_MAX)
    return luaL_error(L, "%s: argument 1 (n): number of threads must be 1..%d, got %I", fname,
                      GD_THREADS_MAX, (lua_Integer)n);
  int before = gd_threads_get();
  if (gd_threads_set((int)n)) return gdl_fail(L, fname);
  lua_pushinteger(L, before);
  return 1;
}

static int f_get_num_threads(lua_State *L) {
  lua_pushinteger(L, gd_threads_get());
  return 1;
}

static const gdl_reg funcs[] = {
  {"set_num_threads", f_set_num_threads,
   "gd.set_num_threads(n): threads for elementwise ops, reductions and optimizer steps on "
   "large tensors (1..64); returns the previous count. Results do not depend on it"},
  {"get_num_threads", f_get_num_threads,
   "gd.get_num_threads(): the kernels' thread count (GD_NUM_THREADS at start, else the cores)"},
  {NULL, NULL, NULL}
};

void gdl_open_threads(lua_State *L) { gdl_register(L, funcs, 1, 0, 3); }
