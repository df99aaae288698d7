/* lprint.c: Lua bindings of print (placeholder until implemented). */
#include "lgd.h"

void gdl_open_print(lua_State *L) { (void)L; }
