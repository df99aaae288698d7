/* lnnio.c: Lua bindings of gd.nn's and gd.data's files: weights files
 * (net:save_weights / load_weights) and numeric CSV (read_csv / write_csv).
 * Every write goes through gd_file_write_atomic (a failed write leaves the
 * old file intact); failures of the environment return nil, "path: message"
 * as Lua's io does, misuse raises an error.  The formats live in nn.c and
 * csv.c; this file only moves values between Lua and them.
 */
#include "lgd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "fileio.h"
#include "kernels.h"
#include "nn.h"

/* Push the result of an atomic write with status rc: true, or nil and "path: message". */
static int write_result(lua_State *L, int rc, const char *path) {
  if (rc == GD_ENOMEM) return luaL_error(L, "not enough memory");
  if (rc) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, gd_errmsg());
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* A file being read, owned by a userdata so that an error (out of memory
 * while reading) cannot leak it: created closed, then opened; __gc closes. */
#define GDL_FILE "gd.nn.file"
typedef struct fhandle { FILE *f; } fhandle;

static int fhandle_gc(lua_State *L) {
  fhandle *h = luaL_checkudata(L, 1, GDL_FILE);
  if (h->f) fclose(h->f);
  h->f = NULL;
  return 0;
}

/* Close the handle at i now; returns 1 if the file had a read error. */
static int fhandle_close(lua_State *L, int i) {
  fhandle *h = luaL_checkudata(L, i, GDL_FILE);
  int err = h->f && ferror(h->f);
  if (h->f) fclose(h->f);
  h->f = NULL;
  return err;
}

/* Open path for reading: pushes its handle and returns the file, its size in
 * *size (-1 when not a regular file); or returns NULL with nil, "path:
 * message", errno pushed after the handle (a folder is EISDIR). */
static FILE *open_read(lua_State *L, const char *path, long *size) {
  fhandle *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->f = NULL;
  luaL_setmetatable(L, GDL_FILE);
  h->f = fopen(path, "rb");
  if (!h->f) {
    luaL_fileresult(L, 0, path);
    return NULL;
  }
  struct stat s;
  int e = fstat(fileno(h->f), &s) != 0 ? errno : S_ISDIR(s.st_mode) ? EISDIR : 0;
  if (e) {
    fclose(h->f);
    h->f = NULL;
    errno = e;
    luaL_fileresult(L, 0, path);
    return NULL;
  }
  *size = S_ISREG(s.st_mode) ? (long)s.st_size : -1;
  return h->f;
}

/* ---- weights files ------------------------------------------------------- */

/* The tensors of the list at t into a new userdata of pointers (pushed). */
static const gd_tensor **collect(lua_State *L, int t, int *n, const char *fname) {
  luaL_checktype(L, t, LUA_TTABLE);
  lua_Integer len = (lua_Integer)lua_rawlen(L, t);
  if (len > 1000000) luaL_error(L, "%s: too many weights (%d)", fname, (int)len);
  const gd_tensor **w = lua_newuserdatauv(L, sizeof *w * (size_t)(len + 1), 0);
  for (lua_Integer i = 0; i < len; i++) {
    lua_rawgeti(L, t, i + 1);
    w[i] = gdl_check(L, -1, fname);
    if (!w[i]->st) luaL_error(L, "%s: weight %d is closed", fname, (int)i + 1);
    lua_pop(L, 1);   /* the table anchors it */
  }
  *n = (int)len;
  return w;
}

/* _nn.save_weights(path, weights) → true (or nil, message) */
static int l_save(lua_State *L) {
  const char *fname = "gd.nn.Sequential:save_weights";
  const char *path = luaL_checkstring(L, 1);
  gd_nn_weights ws;
  ws.w = collect(L, 2, &ws.n, fname);
  return write_result(L, gd_file_write_atomic(path, gd_nn_save, &ws), path);
}

/* _nn.load_weights(path, weights) → true (or nil, message); all or nothing */
static int l_load(lua_State *L) {
  const char *fname = "gd.nn.Sequential:load_weights";
  const char *path = luaL_checkstring(L, 1);
  int n;
  const gd_tensor **w = collect(L, 2, &n, fname);
  gd_tensor *vals = lua_newuserdatauv(L, sizeof *vals * (size_t)(n + 1), 0);
  for (int i = 0; i <= n; i++) gd_tensor_init(&vals[i]);
  long size;
  FILE *f = open_read(L, path, &size);
  if (!f) return 3;
  int rc = gd_nn_load(f, n, w, vals);
  fhandle_close(L, -1);                  /* the handle, on top */
  if (rc) luaL_error(L, "%s: %s: %s", fname, path, gd_errmsg());
  for (int i = 0; i < n; i++) {      /* everything read: now assign all */
    gd_copy_into((gd_tensor *)w[i], &vals[i]);
    gd_touch((gd_tensor *)w[i]);
    gd_tensor_release(&vals[i]);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* ---- CSV ------------------------------------------------------------------ */

/* Push the whole content of f (size bytes, or -1: read to the end) as a string. */
static void read_all(lua_State *L, FILE *f, long size) {
  luaL_Buffer b;
  if (size >= 0) {
    char *p = luaL_buffinitsize(L, &b, (size_t)size + 1);
    luaL_pushresultsize(&b, fread(p, 1, (size_t)size, f));
    return;
  }
  luaL_buffinit(L, &b);
  size_t got;
  do {
    char *p = luaL_prepbuffer(&b);
    got = fread(p, 1, LUAL_BUFFERSIZE, f);
    luaL_addsize(&b, got);
  } while (got == LUAL_BUFFERSIZE);
  luaL_pushresult(&b);
}

/* _nn.read_csv(path, header) → tensor, names (or nil, message) */
static int l_read_csv(lua_State *L) {
  const char *fname = "gd.data.read_csv";
  const char *path = luaL_checkstring(L, 1);
  int header = lua_toboolean(L, 2);
  lua_settop(L, 2);
  long size;
  FILE *f = open_read(L, path, &size);   /* 3: its handle */
  if (!f) return 3;
  read_all(L, f, size);                  /* 4: the content */
  if (fhandle_close(L, 3)) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: read error", path);
    return 2;
  }
  size_t len;
  const char *buf = lua_tolstring(L, 4, &len), *end = buf + len, *p = buf;
  lua_newtable(L);                       /* 5: names */
  int64_t line0 = 1, nnames = 0;
  if (header && len) {
    char *name = lua_newuserdatauv(L, len + 1, 0);
    int more;
    do {
      size_t n;
      more = gd_csv_name(&p, end, name, &n);
      if (more < 0) luaL_error(L, "%s: %s: %s", fname, path, gd_errmsg());
      lua_pushlstring(L, name, n);
      lua_rawseti(L, 5, (lua_Integer)++nnames);
    } while (more);
    lua_pop(L, 1);
    for (const char *q = buf; q < p; q++) line0 += *q == '\n';
  }
  gd_tensor *t = gdl_new(L);
  if (gd_csv_parse(t, p, (size_t)(end - p), line0, nnames))
    luaL_error(L, "%s: %s: %s", fname, path, gd_errmsg());
  lua_pushvalue(L, 5);
  return 2;
}

/* _nn.write_csv(path, x, names) → true (or nil, message); checks everything before writing */
static int l_write_csv(lua_State *L) {
  const char *fname = "gd.data.write_csv";
  const char *path = luaL_checkstring(L, 1);
  gd_csv_table t = {gdl_check(L, 2, fname), 0, NULL, NULL};
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    t.nnames = (int64_t)lua_rawlen(L, 3);
    const char **names = lua_newuserdatauv(L, sizeof *names * (size_t)(t.nnames + 1), 0);
    size_t *lens = lua_newuserdatauv(L, sizeof *lens * (size_t)(t.nnames + 1), 0);
    for (int64_t i = 0; i < t.nnames; i++) {
      if (lua_rawgeti(L, 3, (lua_Integer)i + 1) != LUA_TSTRING)
        luaL_error(L, "%s: header name %d: string expected, got %s", fname, (int)i + 1, luaL_typename(L, -1));
      names[i] = lua_tolstring(L, -1, &lens[i]);
      lua_pop(L, 1);   /* the table anchors it */
    }
    t.names = names;
    t.lens = lens;
  }
  if (gd_csv_check(&t)) gdl_fail(L, fname);
  return write_result(L, gd_file_write_atomic(path, gd_csv_write, &t), path);
}

static const gdl_reg iofuncs[] = {
  {"save_weights", l_save, NULL}, {"load_weights", l_load, NULL},
  {"read_csv", l_read_csv, NULL}, {"write_csv", l_write_csv, NULL},
  {NULL, NULL, NULL}
};

void gdl_register_nnio(lua_State *L, int t) {
  t = lua_absindex(L, t);
  luaL_newmetatable(L, GDL_FILE);
  lua_pushcfunction(L, fhandle_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  gdl_register(L, iofuncs, t, 0, 0);
}
