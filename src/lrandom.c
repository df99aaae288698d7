/* lrandom.c: Lua bindings of random (placeholder until implemented). */
#include "lgd.h"

void gdl_open_random(lua_State *L) { (void)L; }
