/* lplot.c: Lua bindings of the gnuplot pipe (placeholder until implemented). */
#include "lgd.h"

void gdl_open_plot(lua_State *L) { (void)L; }
