/* lprint.c: Lua bindings of printing: tostring(x) and gd.printoptions.
 *
 * The options live in one userdata in the registry (per Lua state, like
 * numpy's global print options).  The text is built in a buffer held by a
 * userdata with a __gc, so a memory error from Lua cannot leak it.
 */
#include "lgd.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "compile.h"
#include "print.h"

#define GDL_PRINTBUF "gd.PrintBuffer"

static const char opts_key = 'P';   /* registry key of the gd_printopts userdata */

/* A text buffer that starts inside the userdata and may move to the heap. */
typedef struct holder {
  gd_buf b;
  char mem[512];
} holder;

static gd_printopts *getopts(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &opts_key);
  gd_printopts *o = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return o;
}

static int holder_gc(lua_State *L) {
  holder *h = luaL_checkudata(L, 1, GDL_PRINTBUF);
  gd_buf_free(&h->b);
  return 0;
}

/* Push the numpy-style text of the tensor at i as `prefix(...)`.
 * Variables pass "variable"; the options are gd.printoptions'. */
int gdl_tostring(lua_State *L, int i, const char *prefix) {
  i = lua_absindex(L, i);
  gd_tensor *x = gdl_test(L, i);
  if (!x) return luaL_error(L, "tostring: tensor expected, got %s", luaL_typename(L, i));
  if (gd_cp_tracing) gd_cp_read(x, "tostring");
  holder *h = lua_newuserdatauv(L, sizeof *h, 0);
  gd_buf_init(&h->b, h->mem, sizeof h->mem);
  luaL_setmetatable(L, GDL_PRINTBUF);
  if (gd_tensor_format(&h->b, x, prefix, getopts(L))) {
    gd_buf_free(&h->b);
    return gdl_fail(L, "tostring");
  }
  lua_pushlstring(L, h->b.s, h->b.len);
  gd_buf_free(&h->b);
  lua_remove(L, -2);
  return 1;
}

static int m_tostring(lua_State *L) {
  return gdl_tostring(L, 1, "tensor");
}

/* The value at the top as an integer in [lo, hi], or an error naming key. */
static lua_Integer checkopt(lua_State *L, const char *key, lua_Integer lo, lua_Integer hi,
                            const char *what) {
  int isint;
  lua_Integer v = lua_tointegerx(L, -1, &isint);
  if (!isint || lua_type(L, -1) != LUA_TNUMBER || v < lo || v > hi) {
    if (lua_type(L, -1) == LUA_TNUMBER)
      return luaL_error(L, "gd.printoptions: %s must be %s, got %s", key, what, lua_tostring(L, -1));
    return luaL_error(L, "gd.printoptions: %s must be %s, got a %s", key, what, luaL_typename(L, -1));
  }
  return v;
}

static void pushopts(lua_State *L, const gd_printopts *o) {
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, o->precision);
  lua_setfield(L, -2, "precision");
  if (o->threshold == INT64_MAX) lua_pushnumber(L, HUGE_VAL);
  else lua_pushinteger(L, (lua_Integer)o->threshold);
  lua_setfield(L, -2, "threshold");
  lua_pushinteger(L, o->edgeitems);
  lua_setfield(L, -2, "edgeitems");
  lua_pushinteger(L, o->linewidth);
  lua_setfield(L, -2, "linewidth");
}

static int f_printoptions(lua_State *L) {
  gd_printopts *o = getopts(L);
  pushopts(L, o);                       /* the options before the call */
  if (lua_isnoneornil(L, 1)) return 1;
  if (!lua_istable(L, 1))
    return luaL_error(L, "gd.printoptions: table of options expected, got %s", luaL_typename(L, 1));
  gd_printopts n = *o;                  /* all checked before any is applied */
  const lua_Integer big = 1000000000;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (!k) return luaL_error(L, "gd.printoptions: option names are strings, got a %s", luaL_typename(L, -2));
    if (strcmp(k, "precision") == 0) {
      n.precision = (int)checkopt(L, k, 0, big, "a non-negative integer");
    } else if (strcmp(k, "threshold") == 0) {
      if (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) == HUGE_VAL) n.threshold = INT64_MAX;
      else n.threshold = (int64_t)checkopt(L, k, 0, LUA_MAXINTEGER, "a non-negative integer or math.huge");
    } else if (strcmp(k, "edgeitems") == 0) {
      n.edgeitems = (int)checkopt(L, k, 1, big, "a positive integer");
    } else if (strcmp(k, "linewidth") == 0) {
      n.linewidth = (int)checkopt(L, k, 1, big, "a positive integer");
    } else {
      return luaL_error(L, "gd.printoptions: unknown option '%s' (precision, threshold, edgeitems, linewidth)", k);
    }
    lua_pop(L, 1);
  }
  *o = n;
  return 1;
}

static const gdl_reg funcs[] = {
  {"printoptions", f_printoptions,
   "gd.printoptions{precision = 8, threshold = 1000, edgeitems = 3, linewidth = 80}: set any of "
   "tostring's options; returns the options before the call (the current ones when called with none)"},
  {NULL, NULL, NULL}
};

void gdl_open_print(lua_State *L) {
  gd_printopts *o = lua_newuserdatauv(L, sizeof *o, 0);
  gd_printopts_default(o);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &opts_key);

  luaL_newmetatable(L, GDL_PRINTBUF);
  lua_pushcfunction(L, holder_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, holder_gc);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);

  gdl_new(L);                           /* the tensor metatable, through a dummy */
  lua_getmetatable(L, -1);
  lua_pushcfunction(L, m_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 2);

  gdl_register(L, funcs, 1, 0, 3);
}
