/* llinalg.c: Lua bindings of linalg (placeholder until implemented). */
#include "lgd.h"

void gdl_open_linalg(lua_State *L) { (void)L; }
