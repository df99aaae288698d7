/* gdlua_alloc.c: the gdlua executable's allocator for its Lua state.
 *
 * Lua tells the allocator the size of every block it frees, so small blocks
 * (up to 1 KiB) need no header: they are carved from 64 KiB chunks, each
 * chunk serving one 16-byte size class with its own free list.  A loop of
 * tensor ops allocates and collects one small userdata per op; glibc's malloc
 * spends ~250 instructions on such a pair once the collector frees in bulk,
 * a free list ~20.  The limit covers a tensor with 64 elements inline
 * (~760 bytes with Lua's header, lcore.c).  Larger blocks go to malloc.
 *
 * Freed memory must serve other sizes later (a program that fills and drops
 * tables of strings of ever new lengths must not grow without bound), so a
 * chunk counts its live blocks: when the last one is freed the chunk goes
 * back to a common pool of empty chunks, reused by any class; once that
 * pool holds more than 16 MiB and more chunks than are in use, empty
 * chunks give their pages back to the system (MADV_DONTNEED) and keep only
 * their address range.  Chunks are aligned to
 * their size, so a block's chunk is its address with the low bits cleared.
 * Not used by `require "gd"` from lua5.4 (that state is lua5.4's).
 */
#define _DEFAULT_SOURCE 1   /* MAP_ANONYMOUS, madvise */
#include "gdlua_alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lua.h>

#define SMALL_MAX 1024
#define CLASS_SIZE 16
#define NCLASSES (SMALL_MAX / CLASS_SIZE)
#define CHUNK ((size_t)64 * 1024)
#define REGION_CHUNKS 32               /* chunks mapped at a time (2 MiB) */
#define EMPTY_KEEP 256                 /* empty chunks always kept with their pages (16 MiB) */

typedef struct freeblock { struct freeblock *next; } freeblock;

/* The header at the start of every chunk; blocks follow it. */
typedef struct chunk {
  freeblock *free;                     /* freed blocks of this chunk */
  char *carve, *end;                   /* the never-used tail */
  struct chunk *prev, *next;           /* its class's list, or an empty list */
  unsigned live;                       /* blocks in use */
  unsigned cls;                        /* size class */
  int listed;                          /* on its class's list (it has room) */
} chunk;
#define HEADER 64                      /* header bytes, a multiple of 16 */
_Static_assert(sizeof(chunk) <= HEADER, "chunk header fits");

/* avail[c]: chunks of class c, the first one serving.  A chunk that fills
 * up stays listed until an allocation finds it full; a free into an
 * unlisted chunk links it again. */
static chunk *avail[NCLASSES];
static chunk *empty, *decommitted;     /* empty chunks: with pages, without */
static size_t nempty, nused;          /* empty chunks with pages; chunks serving a class */
static char *fresh, *fresh_end;        /* unused chunks of the newest region */
static void **regions;                 /* every mapping, for gdlua_alloc_release */
static size_t nregions, regions_cap;

static size_t class_of(size_t n) { return (n + CLASS_SIZE - 1) / CLASS_SIZE - 1; }
static chunk *chunk_of(void *p) { return (chunk *)((uintptr_t)p & ~(uintptr_t)(CHUNK - 1)); }

static void unlink_chunk(chunk *k) {
  if (k->prev) k->prev->next = k->next;
  else avail[k->cls] = k->next;
  if (k->next) k->next->prev = k->prev;
  k->prev = k->next = NULL;
  k->listed = 0;
}

static void link_chunk(chunk *k) {     /* at the front: it serves next */
  k->prev = NULL;
  k->next = avail[k->cls];
  if (k->next) k->next->prev = k;
  avail[k->cls] = k;
  k->listed = 1;
}

/* Map a new region of REGION_CHUNKS chunks, aligned to CHUNK. */
static int map_region(void) {
  if (nregions == regions_cap) {
    size_t ncap = regions_cap ? 2 * regions_cap : 16;
    void **r = realloc(regions, ncap * sizeof *r);
    if (!r) return 0;
    regions = r;
    regions_cap = ncap;
  }
  size_t len = REGION_CHUNKS * CHUNK;
  char *p = mmap(NULL, len + CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  char *a = (char *)(((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
  if (a > p) munmap(p, (size_t)(a - p));
  if (a + len < p + len + CHUNK) munmap(a + len, (size_t)(p + len + CHUNK - (a + len)));
  regions[nregions++] = a;
  fresh = a;
  fresh_end = a + len;
  return 1;
}

/* An empty chunk for class c: a kept one, a decommitted one, or a new one. */
static chunk *take_chunk(size_t c) {
  chunk *k;
  if (empty) {
    k = empty;
    empty = k->next;
    nempty--;
  } else if (decommitted) {
    k = decommitted;
    decommitted = k->next;
  } else {
    if (fresh == fresh_end && !map_region()) return NULL;
    k = (chunk *)fresh;
    fresh += CHUNK;
  }
  k->free = NULL;
  k->carve = (char *)k + HEADER;
  k->end = (char *)k + HEADER + (CHUNK - HEADER) / ((c + 1) * CLASS_SIZE) * ((c + 1) * CLASS_SIZE);
  k->live = 0;
  k->cls = (unsigned)c;
  link_chunk(k);
  nused++;
  return k;
}

/* k has no live block left: give it to the common pool, with its pages
 * while the pool is small or smaller than the chunks in use (freeing is
 * usually followed by allocating again, and madvise costs ~100 µs on a
 * busy machine), else only with its address range. */
static void give_back(chunk *k) {
  unlink_chunk(k);
  nused--;
  if (nempty < EMPTY_KEEP || nempty < nused) {
    k->next = empty;
    empty = k;
    nempty++;
    return;
  }
  static size_t page;
  if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
  if (page < CHUNK) madvise((char *)k + page, CHUNK - page, MADV_DONTNEED);  /* keep the header */
  k->next = decommitted;
  decommitted = k;
}

static int has_room(const chunk *k) {
  return k->free || (size_t)(k->end - k->carve) >= (k->cls + 1) * CLASS_SIZE;
}

/* The slow path of small_alloc: the serving chunk of class c is full or absent. */
static void *small_alloc_slow(size_t c) {
  chunk *k;
  while ((k = avail[c]) && !has_room(k)) unlink_chunk(k);   /* full: off until a block comes back */
  if (!k && !(k = take_chunk(c))) return NULL;
  freeblock *b = k->free;
  k->live++;
  if (b) {
    k->free = b->next;
    return b;
  }
  void *p = k->carve;
  k->carve += (c + 1) * CLASS_SIZE;
  return p;
}

static inline void *small_alloc(size_t n) {
  size_t c = class_of(n);
  chunk *k = avail[c];
  if (k) {
    freeblock *b = k->free;
    if (b) {
      k->free = b->next;
      k->live++;
      return b;
    }
    size_t sz = (c + 1) * CLASS_SIZE;
    if ((size_t)(k->end - k->carve) >= sz) {
      void *p = k->carve;
      k->carve += sz;
      k->live++;
      return p;
    }
  }
  return small_alloc_slow(c);
}

/* The slow path of small_free: k was full, or has no live block left. */
static void small_free_slow(chunk *k) {
  if (!k->listed) link_chunk(k);
  if (k->live) return;
  if (avail[k->cls] == k && !k->next) {  /* its class's only chunk: keep it, as new */
    k->free = NULL;
    k->carve = (char *)k + HEADER;
    return;
  }
  give_back(k);
}

static inline void small_free(void *p) {
  chunk *k = chunk_of(p);
  freeblock *b = p;
  b->next = k->free;
  k->free = b;
  if (--k->live == 0 || !k->listed) small_free_slow(k);
}

void *gdlua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (ptr == NULL) osize = 0;       /* then osize only says the object's type */
  if (nsize == 0) {
    if (ptr) {
      if (osize <= SMALL_MAX) small_free(ptr);
      else free(ptr);
    }
    return NULL;
  }
  if (osize <= SMALL_MAX && nsize <= SMALL_MAX) {
    if (ptr && class_of(osize) == class_of(nsize)) return ptr;
    void *q = small_alloc(nsize);
    if (q && ptr) {
      memcpy(q, ptr, osize < nsize ? osize : nsize);
      small_free(ptr);
    }
    return q;
  }
  if (osize > SMALL_MAX && nsize > SMALL_MAX) return realloc(ptr, nsize);
  /* crossing the small/large boundary */
  void *q = nsize <= SMALL_MAX ? small_alloc(nsize) : malloc(nsize);
  if (q && ptr) {
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    if (osize <= SMALL_MAX) small_free(ptr);
    else free(ptr);
  }
  return q;
}

void gdlua_alloc_release(void) {
  for (size_t i = 0; i < nregions; i++) munmap(regions[i], REGION_CHUNKS * CHUNK);
  free(regions);
  regions = NULL;
  nregions = regions_cap = 0;
  memset(avail, 0, sizeof avail);
  empty = decommitted = NULL;
  nempty = nused = 0;
  fresh = fresh_end = NULL;
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
 * under valgrind: free lists would hide use-after-free of Lua objects.
 * GDLUA_SYSTEM_ALLOC=0 selects gdlua_alloc in a sanitizer build too. */
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
  int plain = sys && *sys ? strcmp(sys, "0") != 0 : SANITIZED;   /* "0" picks ours, even then */
  lua_State *L = lua_newstate(plain ? system_alloc : gdlua_alloc, NULL);
  if (L) {
    lua_atpanic(L, panic);
    lua_setwarnf(L, warn_off, L);
  }
  return L;
}
