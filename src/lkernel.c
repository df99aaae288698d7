/* lkernel.c: Lua binding of the Jupyter kernel's sockets (kernel_zmq.h).
 *
 * gd._kernel.open(settings) binds the channels of a connection file and
 * gives a gd.Kernel with poll, recv, send, port and close.  Messages go in
 * and out as their JSON parts, as strings: lua/gd/kernel.lua decodes them
 * and answers.  Thin: the wire format and signatures are kernel_zmq.c's.
 */
#include "lgd.h"

#include <string.h>

#include "fileio.h"
#include "kernel_zmq.h"

#define GDL_KERNEL "gd.Kernel"

/* The userdata: the kernel (NULL once closed) and the last message read,
 * kept here so that an error while handing it to Lua leaks nothing. */
typedef struct gdl_kernel {
  gd_kernel *k;
  gd_kernel_msg last;
} gdl_kernel;

static const char *const CHANNELS[] = { "shell", "control", "stdin", "iopub", NULL };

static gdl_kernel *check_open(lua_State *L, const char *fname) {
  gdl_kernel *u = luaL_checkudata(L, 1, GDL_KERNEL);
  if (!u->k) luaL_error(L, "%s: the kernel is closed", fname);
  return u;
}

/* An integer field of settings table 1 in [0, 65535]. */
static int port_field(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  int isnum;
  lua_Integer p = lua_tointegerx(L, -1, &isnum);
  if (!isnum || p < 0 || p > 65535)
    luaL_error(L, "gd._kernel.open: %s must be an integer port in [0, 65535], got %s", name, luaL_typename(L, -1));
  lua_pop(L, 1);
  return (int)p;
}

/* A string field of settings table 1 (left on the stack, so it stays alive). */
static const char *string_field(lua_State *L, const char *name, size_t *len) {
  lua_getfield(L, 1, name);
  const char *s = lua_tolstring(L, -1, len);
  if (!s || lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "gd._kernel.open: %s must be a string, got %s", name, luaL_typename(L, -1));
  return s;
}

static int kernel_open(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  gd_kernel_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.transport = string_field(L, "transport", NULL);
  cfg.ip = string_field(L, "ip", NULL);
  cfg.key = (const unsigned char *)string_field(L, "key", &cfg.keylen);
  static const char *const ports[GD_KERNEL_NCHANNELS] = { "shell_port", "control_port", "stdin_port", "iopub_port", "hb_port" };
  for (int ch = 0; ch < GD_KERNEL_NCHANNELS; ch++) cfg.ports[ch] = port_field(L, ports[ch]);
  gdl_kernel *u = lua_newuserdatauv(L, sizeof *u, 0);   /* empty first: an error leaks nothing */
  memset(u, 0, sizeof *u);
  luaL_setmetatable(L, GDL_KERNEL);
  u->k = gd_kernel_open(&cfg);
  if (!u->k) {
    luaL_pushfail(L);
    lua_pushfstring(L, "gd._kernel.open: %s", gd_errmsg());
    return 2;
  }
  return 1;
}

static int kernel_close(lua_State *L) {
  gdl_kernel *u = luaL_checkudata(L, 1, GDL_KERNEL);
  gd_kernel_msg_free(&u->last);
  gd_kernel_close(u->k);
  u->k = NULL;
  return 0;
}

static int kernel_port(lua_State *L) {
  gdl_kernel *u = check_open(L, "kernel:port");
  static const char *const all[] = { "shell", "control", "stdin", "iopub", "hb", NULL };
  lua_pushinteger(L, gd_kernel_port(u->k, luaL_checkoption(L, 2, NULL, all)));
  return 1;
}

/* k:poll(timeout_ms[, channel...]): "control", "shell" or "stdin" (or only
 * the channels named) when one has a message, nil on timeout or a signal. */
static int kernel_poll(lua_State *L) {
  gdl_kernel *u = check_open(L, "kernel:poll");
  lua_Integer ms = luaL_optinteger(L, 2, -1);
  luaL_argcheck(L, ms >= -1 && ms <= 86400000, 2, "timeout in ms must be in [-1, 86400000]");
  unsigned mask = 0;
  for (int i = 3; i <= lua_gettop(L); i++) {
    int ch = luaL_checkoption(L, i, NULL, CHANNELS);
    luaL_argcheck(L, ch != GD_KERNEL_IOPUB, i, "iopub does not receive");
    mask |= 1u << ch;
  }
  if (!mask) mask = 1u << GD_KERNEL_SHELL | 1u << GD_KERNEL_CONTROL | 1u << GD_KERNEL_STDIN;
  int ch;
  if (gd_kernel_poll(u->k, (long)ms, mask, &ch) != GD_OK) return luaL_error(L, "kernel:poll: %s", gd_errmsg());
  if (ch < 0) lua_pushnil(L);
  else lua_pushstring(L, CHANNELS[ch]);
  return 1;
}

/* Push frames[from..to-1] of the last message as a list. */
static void push_frames(lua_State *L, const gd_kernel_msg *m, size_t from, size_t to) {
  lua_createtable(L, (int)(to - from), 0);
  for (size_t i = from; i < to; i++) {
    lua_pushlstring(L, m->frames[i].data, m->frames[i].len);
    lua_rawseti(L, -2, (lua_Integer)(i - from + 1));
  }
}

/* k:recv(channel): {ids, header, parent, metadata, content, buffers}, or
 * nil, why, "signature" | "wire" for a message to drop. */
static int kernel_recv(lua_State *L) {
  gdl_kernel *u = check_open(L, "kernel:recv");
  int ch = luaL_checkoption(L, 2, NULL, CHANNELS);
  luaL_argcheck(L, ch != GD_KERNEL_IOPUB, 2, "iopub does not receive");
  gd_kernel_msg_free(&u->last);
  int st = gd_kernel_recv(u->k, ch, &u->last);
  if (st != GD_OK) {
    gd_kernel_msg_free(&u->last);
    luaL_pushfail(L);
    lua_pushstring(L, gd_errmsg());
    lua_pushstring(L, st == GD_KERNEL_ESIGNATURE ? "signature" : st == GD_KERNEL_EWIRE ? "wire" : "error");
    return 3;
  }
  const gd_kernel_msg *m = &u->last;
  size_t d = m->delim;
  lua_createtable(L, 0, 6);
  push_frames(L, m, 0, d);
  lua_setfield(L, -2, "ids");
  static const char *const parts[4] = { "header", "parent", "metadata", "content" };
  for (int i = 0; i < 4; i++) {
    lua_pushlstring(L, m->frames[d + 2 + i].data, m->frames[d + 2 + i].len);
    lua_setfield(L, -2, parts[i]);
  }
  push_frames(L, m, d + 6, m->nframes);
  lua_setfield(L, -2, "buffers");
  gd_kernel_msg_free(&u->last);
  return 1;
}

/* The strings of list table i as frames in out (at most max); returns how many. */
static size_t list_frames(lua_State *L, int i, gd_kernel_frame *out, size_t max, const char *what) {
  if (lua_isnoneornil(L, i)) return 0;
  luaL_checktype(L, i, LUA_TTABLE);
  lua_Integer n = luaL_len(L, i);
  if (n < 0 || (size_t)n > max) luaL_error(L, "kernel:send: at most %d %s, got %d", (int)max, what, (int)n);
  for (lua_Integer j = 1; j <= n; j++) {
    lua_rawgeti(L, i, j);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "kernel:send: %s[%d] must be a string", what, (int)j);
    out[j - 1].data = (char *)lua_tolstring(L, -1, &out[j - 1].len);
    lua_pop(L, 1);                            /* still referenced by the table */
  }
  return (size_t)n;
}

#define MAX_IDS 16
#define MAX_BUFFERS 16

/* k:send(channel, ids, header, parent, metadata, content[, buffers]) */
static int kernel_send(lua_State *L) {
  gdl_kernel *u = check_open(L, "kernel:send");
  int ch = luaL_checkoption(L, 2, NULL, CHANNELS);
  gd_kernel_frame ids[MAX_IDS], bufs[MAX_BUFFERS], parts[4];
  size_t nids = list_frames(L, 3, ids, MAX_IDS, "ids");
  for (int i = 0; i < 4; i++) parts[i].data = (char *)luaL_checklstring(L, 4 + i, &parts[i].len);
  size_t nbufs = list_frames(L, 8, bufs, MAX_BUFFERS, "buffers");
  if (gd_kernel_send(u->k, ch, ids, nids, parts, bufs, nbufs) != GD_OK)
    return luaL_error(L, "kernel:send: %s", gd_errmsg());
  return 0;
}

/* Writes the string of a write_atomic call. */
static int write_text(FILE *f, void *ctx) {
  const gd_kernel_frame *t = ctx;
  if (fwrite(t->data, 1, t->len, f) != t->len) return gd_seterr(GD_EARG, "write failed");
  return GD_OK;
}

/* gd._kernel.write_atomic(path, text): write a file whole or not at all → true, or nil, message */
static int kernel_write_atomic(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  gd_kernel_frame t;
  t.data = (char *)luaL_checklstring(L, 2, &t.len);
  if (gd_file_write_atomic(path, write_text, &t) != GD_OK) {
    luaL_pushfail(L);
    lua_pushfstring(L, "cannot write %s: %s", path, gd_errmsg());
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int kernel_tostring(lua_State *L) {
  gdl_kernel *u = luaL_checkudata(L, 1, GDL_KERNEL);
  lua_pushstring(L, u->k ? "gd.Kernel (open)" : "gd.Kernel (closed)");
  return 1;
}

void gdl_open_kernel(lua_State *L) {
  static const luaL_Reg methods[] = {
    { "poll", kernel_poll }, { "recv", kernel_recv }, { "send", kernel_send },
    { "port", kernel_port }, { "close", kernel_close }, { NULL, NULL },
  };
  if (luaL_newmetatable(L, GDL_KERNEL)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, kernel_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, kernel_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, kernel_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, kernel_open);
  lua_setfield(L, -2, "open");
  lua_pushcfunction(L, kernel_write_atomic);
  lua_setfield(L, -2, "write_atomic");
  lua_setfield(L, 1, "_kernel");              /* into the functions table */
}
