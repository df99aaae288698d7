/* loptim.c: Lua bindings of the optimizers (placeholder until implemented). */
#include "lgd.h"

void gdl_open_optim(lua_State *L) { (void)L; }
