/* lnn.c: Lua bindings of layers and models (placeholder until implemented). */
#include "lgd.h"

void gdl_open_nn(lua_State *L) { (void)L; }
