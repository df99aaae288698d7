/* gdlua_alloc.c: the gdlua executable's allocator for its Lua state.
 *
 * Lua tells the allocator the size of every block it frees, so small blocks
 * need no header: free lists per 16-byte size class, carved from 64 KiB
 * chunks.  A loop of tensor ops allocates and collects one small userdata
 * per op; glibc's malloc spends ~250 instructions on such a pair once the
 * collector frees in bulk, a free list ~20.  Blocks over 512 bytes go to
 * malloc.  Not used by `require "gd"` from lua5.4 (that state is lua5.4's).
 */
#include "gdlua_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>

#define SMALL_MAX 512
#define CLASS_SIZE 16
#define NCLASSES (SMALL_MAX / CLASS_SIZE)
#define CHUNK (64 * 1024)

typedef struct freeblock { struct freeblock *next; } freeblock;
typedef struct chunk { struct chunk *next; } chunk;

static freeblock *freelist[NCLASSES];
static chunk *chunks;
static char *carve, *carve_end;     /* unused tail of the newest chunk */

static size_t class_of(size_t n) { return (n + CLASS_SIZE - 1) / CLASS_SIZE - 1; }

static void *small_alloc(size_t n) {
  size_t c = class_of(n);
  freeblock *b = freelist[c];
  if (b) {
    freelist[c] = b->next;
    return b;
  }
  size_t sz = (c + 1) * CLASS_SIZE;
  if (carve == NULL || (size_t)(carve_end - carve) < sz) {
    chunk *k = malloc(CHUNK);
    if (!k) return NULL;
    k->next = chunks;
    chunks = k;
    carve = (char *)k + CLASS_SIZE;  /* keep 16-byte alignment after the link */
    carve_end = (char *)k + CHUNK;
  }
  void *p = carve;
  carve += sz;
  return p;
}

static void small_free(void *p, size_t n) {
  freeblock *b = p;
  size_t c = class_of(n);
  b->next = freelist[c];
  freelist[c] = b;
}

void *gdlua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (ptr == NULL) osize = 0;       /* then osize only says the object's type */
  if (nsize == 0) {
    if (ptr) {
      if (osize <= SMALL_MAX) small_free(ptr, osize);
      else free(ptr);
    }
    return NULL;
  }
  if (osize <= SMALL_MAX && nsize <= SMALL_MAX) {
    if (ptr && class_of(osize) == class_of(nsize)) return ptr;
    void *q = small_alloc(nsize);
    if (q && ptr) {
      memcpy(q, ptr, osize < nsize ? osize : nsize);
      small_free(ptr, osize);
    }
    return q;
  }
  if (osize > SMALL_MAX && nsize > SMALL_MAX) return realloc(ptr, nsize);
  /* crossing the small/large boundary */
  void *q = nsize <= SMALL_MAX ? small_alloc(nsize) : malloc(nsize);
  if (q && ptr) {
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    if (osize <= SMALL_MAX) small_free(ptr, osize);
    else free(ptr);
  }
  return q;
}

void gdlua_alloc_release(void) {
  while (chunks) {
    chunk *k = chunks;
    chunks = k->next;
    free(k);
  }
  memset(freelist, 0, sizeof freelist);
  carve = carve_end = NULL;
}

/* ---- the state: panic and warning handlers ------------------------------ */

static int panic(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "gdlua: PANIC: unprotected error in call to Lua API (%s)\n",
          msg ? msg : "error object is not a string");
  fflush(stderr);
  return 0;
}

static void warn_on(void *ud, const char *msg, int tocont);

static void warn_off(void *ud, const char *msg, int tocont) {
  lua_State *L = ud;
  if (!tocont && strcmp(msg, "@on") == 0) lua_setwarnf(L, warn_on, L);
}

static void warn_cont(void *ud, const char *msg, int tocont) {
  lua_State *L = ud;
  fputs(msg, stderr);
  if (tocont) {
    lua_setwarnf(L, warn_cont, L);
  } else {
    fputs("\n", stderr);
    lua_setwarnf(L, warn_on, L);
  }
}

static void warn_on(void *ud, const char *msg, int tocont) {
  lua_State *L = ud;
  if (!tocont && msg[0] == '@') {          /* control message */
    if (strcmp(msg, "@off") == 0) lua_setwarnf(L, warn_off, L);
    return;
  }
  fputs("Lua warning: ", stderr);
  warn_cont(ud, msg, tocont);
}

/* The system allocator, for sanitizer builds and GDLUA_SYSTEM_ALLOC=1 runs
 * under valgrind: free lists would hide use-after-free of Lua objects. */
static void *system_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

lua_State *gdlua_newstate(void) {
  const char *sys = getenv("GDLUA_SYSTEM_ALLOC");
  int plain = SANITIZED || (sys && *sys && strcmp(sys, "0") != 0);
  lua_State *L = lua_newstate(plain ? system_alloc : gdlua_alloc, NULL);
  if (L) {
    lua_atpanic(L, panic);
    lua_setwarnf(L, warn_off, L);
  }
  return L;
}
