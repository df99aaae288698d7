/* lplot.c: Lua binding of the gnuplot pipe (plotpipe.c).
 *
 * Low level, for lua/gd/plot.lua only: gd.core._plotpipe = {open, mkdir, sibling, ttysize, display}
 * and the pipe userdata "gd.PlotPipe".  Failures of the environment
 * (gnuplot missing or dead, a gnuplot error) return nil, message as Lua's
 * io does; plot.lua turns them into errors that name the user's function.
 */
#include "lgd.h"

#include <string.h>

#include "plotenv.h"
#include "plotpipe.h"
#include <unistd.h>

#define GDL_PLOTPIPE "gd.PlotPipe"

/* Longest wait for gnuplot to exit once its stdin is closed. */
#define CLOSE_TIMEOUT_MS 3000

static gd_plotpipe *checkpipe(lua_State *L, const char *fname) {
  gd_plotpipe *p = luaL_testudata(L, 1, GDL_PLOTPIPE);
  if (!p) luaL_error(L, "%s: argument 1: %s expected, got %s", fname, GDL_PLOTPIPE, gdl_typename(L, 1));
  return p;
}

/* nil, message (and the offending command for gnuplot's own errors). */
static int pushfail(lua_State *L, gd_plotpipe *p, int rc) {
  lua_pushnil(L);
  if (rc == GD_PLOTPIPE_EGNUPLOT) {
    lua_pushstring(L, p->errmsg);
    lua_pushstring(L, p->errcmd);
    return 3;
  }
  lua_pushstring(L, gd_errmsg());
  return 2;
}

/* The columns in the table at arg: tensors of n elements each. */
static int checkcols(lua_State *L, int arg, const gd_tensor **cols, size_t *n, const char *fname) {
  luaL_checktype(L, arg, LUA_TTABLE);
  int ncols = (int)lua_rawlen(L, arg);
  if (ncols > 16) luaL_error(L, "%s: %d columns (at most 16)", fname, ncols);
  for (int c = 0; c < ncols; c++) {
    lua_rawgeti(L, arg, c + 1);
    cols[c] = gdl_test(L, -1);
    if (!cols[c] || !cols[c]->st)
      luaL_error(L, "%s: column %d: tensor expected, got %s", fname, c + 1, gdl_typename(L, -1));
    lua_pop(L, 1);               /* the table keeps it alive */
    if (c == 0) *n = cols[0]->numel;
    else if (cols[c]->numel != *n)
      luaL_error(L, "%s: column %d has %d values, column 1 has %d", fname, c + 1,
                 (int)cols[c]->numel, (int)*n);
  }
  if (ncols == 0) *n = 0;
  return ncols;
}

/* Longest timeout accepted (s): its milliseconds fit in an int. */
#define MAX_TIMEOUT_S 1e6

static int pp_open(lua_State *L) {
  const char *exe = luaL_optstring(L, 1, "gnuplot");
  lua_Number t = luaL_optnumber(L, 2, GD_PLOTPIPE_TIMEOUT_MS / 1e3);
  if (!(t > 0 && t <= MAX_TIMEOUT_S))
    luaL_error(L, "_plotpipe.open: argument 2: timeout must be in (0, 1e6] seconds, got %f", t);
  gd_plotpipe *p = lua_newuserdatauv(L, sizeof *p, 0);
  gd_plotpipe_init(p);           /* closed before anything is acquired */
  luaL_setmetatable(L, GDL_PLOTPIPE);
  int ms = (int)(t * 1e3);
  int rc = gd_plotpipe_open(p, exe, ms > 0 ? ms : 1);
  if (rc) return pushfail(L, p, rc);
  return 1;
}

static int pp_mkdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (gd_plotpipe_mkdirs(path)) {
    lua_pushnil(L);
    lua_pushstring(L, gd_errmsg());
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int pp_ttysize(lua_State *L) {
  int cols, rows;
  if (gd_plotenv_ttysize(STDOUT_FILENO, &cols, &rows) != 0
      && gd_plotenv_ttysize(STDERR_FILENO, &cols, &rows) != 0) return 0;
  lua_pushinteger(L, cols);
  lua_pushinteger(L, rows);
  return 2;
}

static int pp_display(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  int wayland = lua_toboolean(L, 2);
  lua_Number t = luaL_checknumber(L, 3);
  if (!(t > 0 && t <= 60)) luaL_error(L, "_plotpipe.display: argument 3: timeout must be in (0, 60] seconds, got %f", t);
  char why[600];
  if (gd_plotenv_display_answers(name, wayland, (int)(t * 1e3), why, sizeof why)) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_pushstring(L, why);
  return 2;
}

static int pp_sibling(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  if (strlen(path) != len) luaL_error(L, "_plotpipe.sibling: argument 1: the path holds a NUL byte");
  char out[4096];
  if (gd_plotpipe_sibling(path, out, sizeof out)) {
    lua_pushnil(L);
    lua_pushstring(L, gd_errmsg());
    return 2;
  }
  lua_pushstring(L, out);
  return 1;
}

static int pp_send(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:send");
  size_t len;
  const char *cmd = luaL_checklstring(L, 2, &len);
  int rc = gd_plotpipe_send(p, cmd, len);
  if (rc) return pushfail(L, p, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int pp_datablock(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:datablock");
  const char *name = luaL_checkstring(L, 2);
  const gd_tensor *cols[16];
  size_t n = 0;
  int ncols = checkcols(L, 3, cols, &n, "pipe:datablock");
  lua_Integer every = luaL_optinteger(L, 4, 0);
  int rc = gd_plotpipe_datablock(p, name, cols, ncols, n, every > 0 ? (size_t)every : 0);
  if (rc) return pushfail(L, p, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int pp_tempfile(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:tempfile");
  const gd_tensor *cols[16];
  size_t n = 0;
  int ncols = lua_isnoneornil(L, 2) ? 0 : checkcols(L, 2, cols, &n, "pipe:tempfile");
  char path[4096];
  int rc = gd_plotpipe_tempfile(p, cols, ncols, n, path, sizeof path);
  if (rc) return pushfail(L, p, rc);
  lua_pushstring(L, path);
  return 1;
}

static int pp_sync(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:sync");
  int rc = gd_plotpipe_sync(p);
  if (rc) {
    gd_plotpipe_clear_output(p);
    return pushfail(L, p, rc);
  }
  lua_pushboolean(L, 1);
  lua_pushlstring(L, p->out ? p->out : "", p->olen);
  gd_plotpipe_clear_output(p);
  return 2;
}

/* __gc and __close as well: idempotent. */
static int pp_close(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:close");
  if (gd_plotpipe_close(p, CLOSE_TIMEOUT_MS)) {
    lua_pushnil(L);
    lua_pushstring(L, gd_errmsg());
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int pp_cleanup(lua_State *L) {
  gd_plotpipe_remove_temps(checkpipe(L, "pipe:cleanup"));
  return 0;
}

static int pp_kill(lua_State *L) {
  gd_plotpipe_kill(checkpipe(L, "pipe:kill"));
  return 0;
}

static int pp_pid(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:pid");
  if (p->pid > 0) lua_pushinteger(L, p->pid);
  else lua_pushnil(L);
  return 1;
}

static int pp_tostring(lua_State *L) {
  gd_plotpipe *p = checkpipe(L, "pipe:__tostring");
  if (p->pid > 0) lua_pushfstring(L, "gd.PlotPipe (gnuplot pid %d)", p->pid);
  else lua_pushstring(L, "gd.PlotPipe (closed)");
  return 1;
}

static const gdl_reg funcs[] = {
  {"open", pp_open, "_plotpipe.open([exe[, timeout]]): spawn gnuplot (default \"gnuplot\" on PATH; waits give up after timeout s, default 30); a pipe, or nil, message"},
  {"mkdir", pp_mkdir, "_plotpipe.mkdir(path): create a directory and its parents; true, or nil, message"},
  {"ttysize", pp_ttysize, "_plotpipe.ttysize(): columns, rows of the terminal on stdout (or stderr), or nothing"},
  {"display", pp_display, "_plotpipe.display(name, wayland, timeout): true when the X (or Wayland) display answers within timeout s, or nil, why not"},
  {"sibling", pp_sibling, "_plotpipe.sibling(path): create an empty temp file beside path (.name.tmpXXXXXX) to rename over it; its name, or nil, message"},
  {NULL, NULL, NULL}
};

static const gdl_reg methods[] = {
  {"send", pp_send, "pipe:send(cmd): send one gnuplot command (and its error marker); true, or nil, message"},
  {"datablock", pp_datablock, "pipe:datablock(name, cols[, every]): send tensors as columns of $name (a blank line every `every` rows)"},
  {"tempfile", pp_tempfile, "pipe:tempfile([cols]): write columns as float64 records to a temp file removed at close; its path"},
  {"sync", pp_sync, "pipe:sync(): wait for gnuplot; true, its other output, or nil, gnuplot's message, the failing command"},
  {"close", pp_close, "pipe:close(): end gnuplot, reap it, remove the temp files; true, or nil, message"},
  {"cleanup", pp_cleanup, "pipe:cleanup(): remove the temp files made so far (after a sync)"},
  {"kill", pp_kill, "pipe:kill(): SIGKILL gnuplot, reap it, remove the temp files"},
  {"pid", pp_pid, "pipe:pid(): gnuplot's process id, or nil once closed"},
  {NULL, NULL, NULL}
};

void gdl_open_plot(lua_State *L) {
  if (luaL_newmetatable(L, GDL_PLOTPIPE)) {
    lua_newtable(L);
    gdl_register(L, methods, lua_gettop(L), 0, 3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, pp_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, pp_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, pp_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  gdl_register(L, funcs, lua_gettop(L), 0, 3);
  lua_setfield(L, 1, "_plotpipe");
}
