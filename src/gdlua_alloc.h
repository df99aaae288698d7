/* gdlua_alloc.h: the executable's allocator for the Lua state. */
#ifndef GDLUA_ALLOC_H
#define GDLUA_ALLOC_H

#include <stddef.h>

/* lua_Alloc: size-class free lists for small blocks, malloc for the rest. */
void *gdlua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* A new Lua state on gdlua_alloc, with a panic handler and warnings (off
 * until "@on"), as luaL_newstate sets up. */
struct lua_State *gdlua_newstate(void);
/* Return the allocator's chunks to the system (after lua_close). */
void gdlua_alloc_release(void);

#endif
