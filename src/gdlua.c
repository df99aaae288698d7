/* gdlua.c: the executable (minimal: runs scripts; the REPL comes next). */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

struct gd_embedded { const char *name; const unsigned char *src; size_t len; };
extern const struct gd_embedded gd_embedded[];
LUAMOD_API int luaopen_gd_core(lua_State *L);

static int load_embedded(lua_State *L) {
  const struct gd_embedded *e = lua_touserdata(L, lua_upvalueindex(1));
  const char *chunk = lua_pushfstring(L, "=[gd] %s", e->name);
  if (luaL_loadbuffer(L, (const char *)e->src, e->len, chunk)) return lua_error(L);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

static void preload(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_gd_core);
  lua_setfield(L, -2, "gd.core");
  for (const struct gd_embedded *e = gd_embedded; e->name; e++) {
    const char *name = e->name;
    size_t n = strlen(name);
    lua_pushlightuserdata(L, (void *)e);
    lua_pushcclosure(L, load_embedded, 1);
    if (n > 5 && strcmp(name + n - 5, ".init") == 0)  /* gd.init → gd */
      lua_pushlstring(L, name, n - 5);
    else
      lua_pushstring(L, name);
    lua_insert(L, -2);
    lua_settable(L, -3);
  }
  lua_pop(L, 1);
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (!L) { fputs("gdlua: cannot create state\n", stderr); return 1; }
  luaL_openlibs(L);
  preload(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "gd");
  if (lua_pcall(L, 1, 1, 0)) { fprintf(stderr, "gdlua: %s\n", lua_tostring(L, -1)); return 1; }
  lua_setglobal(L, "gd");
  if (argc < 2) { fputs("usage: gdlua script [args]\n", stderr); return 1; }
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, traceback);
  int rc = luaL_loadfile(L, argv[1]);
  if (!rc) {
    for (int i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
    rc = lua_pcall(L, argc - 2, 0, 1);
  }
  if (rc) fprintf(stderr, "gdlua: %s\n", lua_tostring(L, -1));
  lua_close(L);
  return rc ? 1 : 0;
}
