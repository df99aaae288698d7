/* gdlua.c: the gdlua executable.
 *
 * The lua5.4 command line (-e, -l, -i, -v, -E, -W, -, --, `arg`, LUA_INIT)
 * with `gd` and `help` preloaded as globals, and a REPL written for
 * numerical work: readline editing and a history file, expressions printed
 * without `return`, statements continued over several lines while they are
 * incomplete, Ctrl-C that stops the running computation but not the
 * session, and tab completion of dotted and colon paths (`gd.li` →
 * `gd.linspace`, `x:res` → `x:reshape`), and top-level `local`s that
 * stay for the session.  `gdlua --kernel FILE` is a Jupyter kernel
 * (lua/gd/kernel.lua; cells run through the same docall as REPL lines).
 * The completion candidates, the formatting of
 * results and the session variables come from lua/gd/repl.lua; this file
 * reads lines and runs chunks.
 *
 * The Lua sources in lua/gd/ are compiled in (embed.c) and served through
 * package.preload, so gdlua runs from any directory without LUA_PATH.
 * It behaves like lua.c where the command line is concerned, but shares
 * no code with it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/readline.h>
#include <readline/history.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "gdlua_alloc.h"
#include "interrupt.h"

#define GDLUA_NAME "gdlua"
#define HISTORY_LINES 1000

/* The name errors are prefixed with: argv[0], as lua5.4 does ("gdlua" if
 * argv[0] is empty).  The REPL prints its errors without it. */
static const char *progname = GDLUA_NAME;

/* ---- embedded Lua modules -------------------------------------------- */

struct gd_embedded { const char *name; const unsigned char *src; size_t len; };
extern const struct gd_embedded gd_embedded[];
LUAMOD_API int luaopen_gd_core(lua_State *L);

/* package.preload loader of one embedded file (upvalue: its gd_embedded). */
static int load_embedded(lua_State *L) {
  const struct gd_embedded *e = lua_touserdata(L, lua_upvalueindex(1));
  const char *chunk = lua_pushfstring(L, "=[gd] %s", e->name);
  if (luaL_loadbuffer(L, (const char *)e->src, e->len, chunk)) return lua_error(L);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

/* Register gd.core and every embedded file (gd.init as gd) in package.preload. */
static void preload(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_gd_core);
  lua_setfield(L, -2, "gd.core");
  for (const struct gd_embedded *e = gd_embedded; e->name; e++) {
    size_t n = strlen(e->name);
    if (n > 5 && strcmp(e->name + n - 5, ".init") == 0)
      lua_pushlstring(L, e->name, n - 5);
    else
      lua_pushstring(L, e->name);
    lua_pushlightuserdata(L, (void *)e);
    lua_pushcclosure(L, load_embedded, 1);
    lua_settable(L, -3);
  }
  lua_pop(L, 1);
}

/* ---- running chunks, and Ctrl-C while they run ---------------------- */

/* Ctrl-C cannot raise a Lua error from a signal handler; it sets a hook
 * instead (lua_sethook is safe there), and the hook raises the error at
 * the next Lua instruction, call or return. */
static lua_State *running;

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  if (gd_interrupt_take()) luaL_error(L, "interrupted!");   /* else a C loop has already stopped on it */
}

static void on_sigint_running(int sig) {
  (void)sig;
  gd_interrupt_raise();                       /* for C loops, which no hook reaches */
  lua_sethook(running, interrupt_hook,
              LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

/* Message handler: the message (or the error object's __tostring) plus a traceback. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Call the function below the narg arguments on top, with tracebacks and
 * Ctrl-C turned into an "interrupted!" error.  In a script a second Ctrl-C
 * ends the process (the first may be stuck in C code); in the REPL every
 * Ctrl-C only interrupts, so a session is never lost to an impatient key. */
static int docall(lua_State *L, int narg, int nres, int in_repl) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint_running;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = in_repl ? 0 : SA_RESETHAND;   /* no SA_RESTART: Ctrl-C also ends a blocked read */
  running = L;
  gd_interrupt_clear();
  sigaction(SIGINT, &sa, &old);
  int status = lua_pcall(L, narg, nres, base);
  sigaction(SIGINT, &old, NULL);
  gd_interrupt_clear();
  if (lua_gethook(L) == interrupt_hook) lua_sethook(L, NULL, 0, 0);   /* a late Ctrl-C */
  lua_remove(L, base);
  return status;
}

/* Print the error on top (if any) as "progname: msg" on stderr and pop it. */
static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error object is not a string)");
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

static int dostring(lua_State *L, const char *s, const char *chunkname) {
  int status = luaL_loadbuffer(L, s, strlen(s), chunkname);
  if (status == LUA_OK) status = docall(L, 0, 0, 0);
  return report(L, status);
}

static int dofile(lua_State *L, const char *fname) {
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) status = docall(L, 0, 0, 0);
  return report(L, status);
}

/* ---- the REPL: reading lines ---------------------------------------- */

/* On a terminal, lines come from readline's callback interface driven by
 * pselect, with SIGINT, SIGWINCH and SIGCONT blocked except inside
 * pselect: a Ctrl-C at the prompt then always lands in pselect, never
 * half-way through readline, and simply abandons the line being typed.
 * After Ctrl-Z and fg (SIGCONT) the shell has reset the terminal: set it
 * up again and redraw the line. */
static volatile sig_atomic_t got_sigint, got_sigwinch, got_sigcont;
static char *line_read;
static int line_done;

static void on_signal_at_prompt(int sig) {
  if (sig == SIGINT) got_sigint = 1;
  else if (sig == SIGWINCH) got_sigwinch = 1;
  else got_sigcont = 1;
}

static void on_line(char *line) {
  line_read = line;
  line_done = 1;
  rl_callback_handler_remove();
}

enum read_result { READ_LINE, READ_EOF, READ_CANCELLED };

static enum read_result read_tty(const char *prompt, char **line) {
  sigset_t block, orig;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGWINCH);
  sigaddset(&block, SIGCONT);
  sigprocmask(SIG_BLOCK, &block, &orig);
  struct sigaction sa, old_int, old_winch, old_cont;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal_at_prompt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGWINCH, &sa, &old_winch);
  sigaction(SIGCONT, &sa, &old_cont);
  got_sigint = got_sigwinch = got_sigcont = 0;

  enum read_result res = READ_LINE;
  line_read = NULL;
  line_done = 0;
  rl_callback_handler_install(prompt, on_line);
  int fd = fileno(rl_instream ? rl_instream : stdin);
  while (!line_done) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    int r = pselect(fd + 1, &fds, NULL, NULL, NULL, &orig);
    if (r < 0 && errno != EINTR) {            /* the terminal went away */
      rl_callback_handler_remove();
      break;
    }
    if (got_sigwinch) {
      got_sigwinch = 0;
      rl_resize_terminal();
    }
    if (got_sigcont) {
      got_sigcont = 0;
      if (rl_deprep_term_function) rl_deprep_term_function();
      if (rl_prep_term_function) rl_prep_term_function(1);
      rl_forced_update_display();
    }
    if (got_sigint) {                         /* abandon the line, keep the session */
      got_sigint = 0;
      rl_echo_signal_char(SIGINT);
      rl_free_line_state();
      rl_callback_sigcleanup();
      rl_cleanup_after_signal();
      rl_callback_handler_remove();
      fputc('\n', rl_outstream ? rl_outstream : stdout);
      res = READ_CANCELLED;
      break;
    }
    if (r > 0) rl_callback_read_char();
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGWINCH, &old_winch, NULL);
  sigaction(SIGCONT, &old_cont, NULL);
  sigprocmask(SIG_SETMASK, &orig, NULL);
  if (res == READ_LINE && !line_read) res = READ_EOF;
  *line = line_read;
  return res;
}

/* Not a terminal (a pipe or file on stdin, as in `gdlua -i < session`):
 * the prompt on stdout and a plain line read, no editing, no history.
 * The line is echoed after the prompt, as lua5.4 (readline) does, so that
 * the output reads as a transcript. */
static enum read_result read_plain(const char *prompt, char **line) {
  fputs(prompt, stdout);
  fflush(stdout);
  size_t cap = 0;
  *line = NULL;
  ssize_t n = getline(line, &cap, stdin);
  if (n < 0) {
    free(*line);
    *line = NULL;
    return READ_EOF;
  }
  if (n > 0 && (*line)[n - 1] == '\n') (*line)[n - 1] = '\0';
  fputs(*line, stdout);
  fputc('\n', stdout);
  fflush(stdout);                             /* before any error on stderr */
  return READ_LINE;
}

/* ---- the REPL: history ---------------------------------------------- */

/* $GDLUA_HISTORY, else $HOME/.gdlua_history; saved at exit, also on os.exit. */
static char *history_path;

static void history_save(void) {
  if (!history_path) return;
  write_history(history_path);
  free(history_path);
  history_path = NULL;
  clear_history();
}

static void history_load(void) {
  const char *p = getenv("GDLUA_HISTORY");
  const char *home = getenv("HOME");
  char *path = NULL;
  if (p && *p) {
    path = malloc(strlen(p) + 1);
    if (path) strcpy(path, p);
  } else if (home && *home) {
    static const char name[] = "/.gdlua_history";
    path = malloc(strlen(home) + sizeof name);
    if (path) { strcpy(path, home); strcat(path, name); }
  }
  using_history();
  stifle_history(HISTORY_LINES);
  if (!path) return;
  read_history(path);                         /* a missing file is a fresh start */
  history_path = path;
  static int registered;
  if (!registered) registered = !atexit(history_save);
}

static void history_add(const char *line) {
  if (!line[strspn(line, " \t")]) return;
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (!last || strcmp(last->line, line) != 0) add_history(line);
}

/* ---- the REPL: tab completion ----------------------------------------- */

/* The Lua half of the REPL, gd.repl (lua/gd/repl.lua), is kept in the
 * registry under repl_key: complete(path) gives the completions of a
 * path, format(...) the line that shows results, error_text(msg) the text
 * of an error.  Without it the REPL still runs, plainer. */
static lua_State *repl_L;
static const char repl_key = 'r';

/* Push gd.repl[name] (nil if missing) and return its type. */
static int repl_helper(lua_State *L, const char *name) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &repl_key) != LUA_TTABLE) return LUA_TNIL;
  int t = lua_getfield(L, -1, name);
  lua_remove(L, -2);
  return t;
}

/* Readline breaks words at '.' and ':' too, so that the matches it shows
 * and inserts are member names (`linspace`, not `gd.linspace`).  Lua is
 * given the whole path; path_skip bytes are cut off each candidate. */
static size_t path_skip;
static int cands_index;                       /* stack index of the candidate list */

/* (protected) complete(path): the sorted candidates, a table left on the stack. */
static int fetch_candidates(lua_State *L) {
  const char *path = lua_touserdata(L, 1);
  size_t len = (size_t)lua_tointeger(L, 2);
  if (repl_helper(L, "complete") != LUA_TFUNCTION) luaL_error(L, "no gd.repl.complete");
  lua_pushlstring(L, path, len);
  lua_call(L, 1, 1);
  luaL_checktype(L, -1, LUA_TTABLE);
  return 1;
}

static char *complete_next(const char *text, int state) {
  static lua_Integer next;
  (void)text;
  if (state == 0) next = 0;
  char *match = NULL;
  if (lua_rawgeti(repl_L, cands_index, ++next) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(repl_L, -1, &n);
    if (n >= path_skip && (match = malloc(n - path_skip + 1)))   /* readline frees it */
      memcpy(match, s + path_skip, n - path_skip + 1);
  }
  lua_pop(repl_L, 1);
  return match;
}

static int is_path_char(char c) {
  return isalnum((unsigned char)c) || c == '_' || c == '.' || c == ':';
}

/* The quote that opens a string still open at `point` in line, or 0.
 * (Long strings and comments are not followed: Tab there is rare.) */
static char open_quote(const char *line, int point) {
  char q = 0;
  for (int i = 0; i < point && line[i]; i++) {
    if (q && line[i] == '\\') i++;
    else if (q && line[i] == q) q = 0;
    else if (!q && (line[i] == '"' || line[i] == '\'')) q = line[i];
  }
  return q;
}

/* Words break at Lua's operators and punctuation, '.' and ':' included;
 * inside a string only at the quote, so that Tab completes a file name. */
static char lua_word_breaks[] = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#.:";
static char string_word_breaks[] = "\"'";

static char *word_breaks(void) {
  return open_quote(rl_line_buffer, rl_point) ? string_word_breaks : lua_word_breaks;
}

static char **attempt_completion(const char *text, int start, int end) {
  char q = open_quote(rl_line_buffer, start);
  if (q) {                                    /* readline's file names, then the quote */
    rl_completion_append_character = q;
    return NULL;
  }
  rl_attempted_completion_over = 1;
  rl_completion_append_character = '\0';
  int from = start;
  while (from > 0 && is_path_char(rl_line_buffer[from - 1])) from--;
  if (from == end && !rl_line_buffer[strspn(rl_line_buffer, " \t")]) {
    rl_insert_text("  ");                     /* Tab at the start of a line indents */
    return NULL;
  }
  lua_State *L = repl_L;
  lua_pushcfunction(L, fetch_candidates);
  lua_pushlightuserdata(L, rl_line_buffer + from);
  lua_pushinteger(L, end - from);
  char **matches = NULL;
  if (lua_pcall(L, 2, 1, 0) == LUA_OK) {      /* a failure just completes nothing */
    path_skip = (size_t)(start - from);
    cands_index = lua_gettop(L);
    matches = rl_completion_matches(text, complete_next);
  }
  lua_pop(L, 1);
  return matches;
}

/* ---- the REPL: compiling, running, printing ------------------------- */

/* A syntax error at <eof> means the chunk is not finished yet. */
static int incomplete(lua_State *L, int status) {
  static const char mark[] = "<eof>";
  size_t n;
  const char *msg = lua_tolstring(L, -1, &n);
  return status == LUA_ERRSYNTAX && msg && n >= sizeof mark - 1 &&
         strcmp(msg + n - (sizeof mark - 1), mark) == 0;
}

/* (protected) gd.repl.rewrite(chunk): the chunk with its top-level
 * `local`s turned into session variables. */
static int rewrite_locals(lua_State *L) {
  if (repl_helper(L, "rewrite") != LUA_TFUNCTION) luaL_error(L, "no gd.repl.rewrite");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  luaL_checktype(L, -1, LUA_TSTRING);
  return 1;
}

/* Run the loaded chunk on top in gd.repl.env, the session's environment
 * (its session variables, then the globals), if gd.repl is there. */
static void use_session_env(lua_State *L) {
  if (repl_helper(L, "env") == LUA_TTABLE) {
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
  }
}

/* Compile buf as "return <buf>" so that an expression prints its value,
 * else as statements whose top-level `local`s are session variables.
 * Pushes the function or the error message. */
static int compile(lua_State *L, const char *buf, size_t len) {
  const char *ret = lua_pushfstring(L, "return %s", buf);
  int status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
  lua_remove(L, -2);
  if (status != LUA_OK) {
    lua_pop(L, 1);
    lua_pushcfunction(L, rewrite_locals);
    lua_pushlstring(L, buf, len);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {    /* then the chunk as typed */
      lua_pop(L, 1);
      lua_pushlstring(L, buf, len);
    }
    size_t n;
    const char *src = lua_tolstring(L, -1, &n);
    status = luaL_loadbuffer(L, src, n, "=stdin");
    lua_remove(L, -2);
  }
  if (status == LUA_OK) use_session_env(L);
  return status;
}

/* Print the n values on top with the global `print`, as lua5.4 does (so a
 * redefined print is used); report a failing print and pop them. */
static void print_values(lua_State *L, int n) {
  lua_getglobal(L, "print");
  lua_insert(L, -n - 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "error calling 'print' (%s)\n", msg ? msg : "(error object is not a string)");
    fflush(stderr);
    lua_pop(L, 1);
  }
}

/* (protected) gd.repl.error_text(msg), or msg. */
static int error_text(lua_State *L) {
  if (repl_helper(L, "error_text") == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
  }
  return lua_type(L, -1) == LUA_TSTRING ? 1 : 0;
}

/* Print the error message on top on stderr and pop it. */
static void print_error(lua_State *L) {
  lua_pushcfunction(L, error_text);
  lua_pushvalue(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);                     /* the message as it came */
  }
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "%s\n", msg ? msg : "(error object is not a string)");
  fflush(stderr);
  lua_pop(L, 2);
}

/* Run the compiled chunk on top and print what it returns: one line,
 * gd.repl.format's text of the results (tensors pretty, tables as their
 * contents), printed with `print`. */
static void run_chunk(lua_State *L) {
  int base = lua_gettop(L);
  int status = docall(L, 0, LUA_MULTRET, 1);
  int n = lua_gettop(L) - base + 1;
  if (status == LUA_OK && n > 0) {
    luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
    if (repl_helper(L, "format") == LUA_TFUNCTION) {
      lua_insert(L, base);
      status = docall(L, n, 1, 1);
      n = 1;
    } else {
      lua_pop(L, 1);
    }
  }
  if (status != LUA_OK) print_error(L);
  else if (n > 0) print_values(L, n);
}

/* (protected) tostring(_PROMPT) (or _PROMPT2 when arg 1 is false), or the default. */
static int get_prompt(lua_State *L) {
  int first = lua_toboolean(L, 1);
  if (lua_getglobal(L, first ? "_PROMPT" : "_PROMPT2") == LUA_TNIL)
    lua_pushstring(L, first ? "> " : ">> ");
  else
    luaL_tolstring(L, -1, NULL);
  return 1;
}

/* Push the prompt and return it; a failing __tostring gives the default. */
static const char *push_prompt(lua_State *L, int first) {
  lua_pushcfunction(L, get_prompt);
  lua_pushboolean(L, first);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lua_pop(L, 1);
    lua_pushstring(L, first ? "> " : ">> ");
  }
  return lua_tostring(L, -1);
}

/* Load gd.repl into the registry; set readline up on a terminal. */
static void setup_repl(lua_State *L, int tty) {
  repl_L = L;
  lua_getglobal(L, "require");
  lua_pushstring(L, "gd.repl");
  if (docall(L, 1, 1, 1) == LUA_OK) lua_rawsetp(L, LUA_REGISTRYINDEX, &repl_key);
  else print_error(L);
  if (!tty) return;
  rl_readline_name = GDLUA_NAME;
  rl_attempted_completion_function = attempt_completion;
  rl_basic_word_break_characters = lua_word_breaks;
  rl_completion_word_break_hook = word_breaks;
  rl_catch_signals = 0;                       /* read_tty handles SIGINT, SIGWINCH, SIGCONT */
  rl_catch_sigwinch = 0;
}

/* The read-eval-print loop, until end of input.  Lines accumulate in
 * chunk until they compile or fail for a reason other than <eof>. */
static void repl(lua_State *L) {
  int tty = isatty(STDIN_FILENO);
  if (tty) {
    puts("A top-level `local x = ...` keeps x for the later lines; help() for help");
    fflush(stdout);
    history_load();
  }
  setup_repl(L, tty);
  char *chunk = NULL;
  size_t len = 0;
  for (;;) {
    char *line;
    const char *p = push_prompt(L, len == 0);
    enum read_result r = tty ? read_tty(p, &line) : read_plain(p, &line);
    lua_pop(L, 1);
    if (r == READ_EOF) break;
    if (r == READ_CANCELLED) {                /* Ctrl-C: drop the pending chunk too */
      len = 0;
      continue;
    }
    if (tty) history_add(line);
    /* "=expr" on a first line is "return expr", as in lua5.4 */
    const char *lead = len == 0 && line[0] == '=' ? "return " : "";
    const char *text = line + (*lead ? 1 : 0);
    size_t nlead = strlen(lead), n = strlen(text);
    char *grown = realloc(chunk, len + nlead + n + 2);
    if (!grown) {
      free(line);
      fprintf(stderr, "%s: out of memory\n", progname);
      break;
    }
    chunk = grown;
    if (len > 0) chunk[len++] = '\n';
    memcpy(chunk + len, lead, nlead);
    memcpy(chunk + len + nlead, text, n + 1);
    len += nlead + n;
    free(line);
    if (!chunk[strspn(chunk, " \t")]) {       /* nothing typed yet */
      len = 0;
      continue;
    }
    int status = compile(L, chunk, len);
    if (incomplete(L, status)) {
      lua_pop(L, 1);
      continue;
    }
    len = 0;
    if (status == LUA_OK) run_chunk(L);
    else print_error(L);
  }
  free(chunk);
  fputc('\n', stdout);                        /* as lua5.4, also off a terminal */
  fflush(stdout);
  if (tty) history_save();
}

/* ---- the command line ------------------------------------------------ */

enum {
  OPT_ERROR = 1 << 0,
  OPT_I = 1 << 1,       /* -i: REPL after the script */
  OPT_V = 1 << 2,       /* -v: version */
  OPT_E = 1 << 3,       /* -E: ignore environment variables */
  OPT_EXEC = 1 << 4,    /* some -e was given */
  OPT_HELP = 1 << 5,    /* -h or --help: the usage, and nothing else */
};

/* The usage on out; after "progname: <why>" on stderr when bad is an option
 * gdlua refuses (missing_arg: -e or -l without its argument). */
static void usage(FILE *out, const char *bad, int missing_arg) {
  if (bad) {
    if (missing_arg) fprintf(stderr, "%s: '%s' needs argument\n", progname, bad);
    else fprintf(stderr, "%s: unrecognized option '%s'\n", progname, bad);
  }
  fprintf(out, "usage: %s [options] [script [args]]\n"
        "  -e stat   run the Lua statement stat\n"
        "  -i        enter the REPL after running the script (implies -v)\n"
        "  -l mod    require(\"mod\") into the global mod\n"
        "  -l g=mod  require(\"mod\") into the global g\n"
        "  -v        print the version\n"
        "  -E        ignore LUA_INIT, LUA_PATH and LUA_CPATH\n"
        "  -W        turn warnings on\n"
        "  -h, --help  print this usage\n"
        "  --kernel FILE   be a Jupyter kernel for the connection file FILE\n"
        "  --install-kernel [--user | --prefix DIR]   write the Jupyter kernelspec\n"
        "  --        stop handling options\n"
        "  -         run standard input as the script and stop handling options\n"
        "With no script, gdlua starts the REPL on a terminal, else runs standard input.\n"
        "In the REPL, a top-level `local x = ...` keeps x for the later lines.\n",
        progname);
  fflush(out);
}

/* First pass over argv: which options are set, and where the script is
 * (*script == argc if there is none).  Arguments of -e/-l are not run yet. */
static int scan_options(int argc, char **argv, int *script) {
  int flags = 0;
  *script = argc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') {       /* a script name, or "-" for stdin */
      *script = i;
      return flags;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) return OPT_HELP;
    switch (a[1]) {
      case '-':
        if (a[2]) break;
        *script = i + 1;
        return flags;
      case 'i': case 'v': case 'E': case 'W':   /* -i implies -v, as in lua5.4 */
        if (a[2]) break;
        flags |= a[1] == 'i' ? OPT_I | OPT_V : a[1] == 'v' ? OPT_V : a[1] == 'E' ? OPT_E : 0;
        continue;
      case 'e': case 'l':
        if (a[1] == 'e') flags |= OPT_EXEC;
        if (a[2] == '\0' && (++i >= argc || argv[i][0] == '-')) {
          usage(stderr, a, 1);
          return OPT_ERROR;
        }
        continue;
      default:
        break;
    }
    usage(stderr, a, 0);
    return OPT_ERROR;
  }
  return flags;
}

/* `arg`: the script at 0, its arguments at 1.., the interpreter and the
 * options at negative indices.  With no script the interpreter is at 0. */
static void create_arg_table(lua_State *L, int argc, char **argv, int script) {
  int zero = script < argc ? script : 0;
  lua_createtable(L, argc - zero - 1 > 0 ? argc - zero - 1 : 0, zero + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - zero);
  }
  lua_setglobal(L, "arg");
}

/* require(mod) into a global: "-l mod" or "-l g=mod". */
static int run_require(lua_State *L, const char *spec) {
  const char *eq = strchr(spec, '=');
  const char *mod = eq ? eq + 1 : spec;
  lua_getglobal(L, "require");
  lua_pushstring(L, mod);
  int status = docall(L, 1, 1, 0);
  if (status == LUA_OK) {
    lua_pushlstring(L, spec, eq ? (size_t)(eq - spec) : strlen(spec));
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  return report(L, status);
}

/* Second pass: -e, -l and -W in command-line order. */
static int run_options(lua_State *L, char **argv, int script) {
  for (int i = 1; i < script; i++) {
    const char *a = argv[i];
    if (a[0] != '-') continue;
    switch (a[1]) {
      case 'W':
        lua_warning(L, "@on", 0);
        break;
      case 'e': case 'l': {
        const char *v = a[2] ? a + 2 : argv[++i];
        int status = a[1] == 'e' ? dostring(L, v, "=(command line)") : run_require(L, v);
        if (status != LUA_OK) return status;
        break;
      }
      default:
        break;
    }
  }
  return LUA_OK;
}

/* LUA_INIT_5_4, else LUA_INIT: "@file" runs the file, anything else is code. */
static int run_init(lua_State *L) {
  const char *name = "=LUA_INIT_" LUA_VERSION_MAJOR "_" LUA_VERSION_MINOR;
  const char *init = getenv(name + 1);
  if (!init) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (!init) return LUA_OK;
  return init[0] == '@' ? dofile(L, init + 1) : dostring(L, init, name);
}

/* Push arg[1..#arg], the script's `...`: what -e and LUA_INIT left in the
 * global `arg`, as lua5.4 does; an `arg` that is not a table is an error. */
static int push_script_args(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  lua_Integer len = luaL_len(L, -1);
  int n = len > 0 && len < INT_MAX - 3 ? (int)len : 0;
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1);
  return n;
}

/* The script with the arg table's arguments as `...`; "-" is stdin unless after "--". */
static int run_script(lua_State *L, char **argv, int script) {
  const char *fname = argv[script];
  if (strcmp(fname, "-") == 0 && strcmp(argv[script - 1], "--") != 0) fname = NULL;
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = push_script_args(L);
    status = docall(L, n, 0, 0);
  }
  return report(L, status);
}

/* Load gd into the globals `gd` and `help`. */
static int open_gd(lua_State *L) {
  preload(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "gd");
  int status = docall(L, 1, 1, 0);
  if (status != LUA_OK) return report(L, status);
  lua_getfield(L, -1, "help");
  lua_setglobal(L, "help");
  lua_setglobal(L, "gd");
  return LUA_OK;
}

/* The version line: gd.version, then Lua's own -v line (its copyright). */
static void print_version(lua_State *L) {
  lua_getglobal(L, "gd");
  lua_getfield(L, -1, "version");
  const char *v = lua_tostring(L, -1);
  printf("%s on %s\n", v ? v : GDLUA_NAME, LUA_COPYRIGHT);
  fflush(stdout);
  lua_pop(L, 2);
}

/* ---- the Jupyter kernel (lua/gd/kernel.lua) ---------------------------- */

/* call(f, ...), given to the kernel: f run as a REPL line runs (docall:
 * SIGINT interrupts it, the error carries a traceback) → true, results...
 * or false, message. */
static int kernel_call(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  int status = docall(L, lua_gettop(L) - 1, LUA_MULTRET, 1);
  lua_pushboolean(L, status == LUA_OK);
  lua_insert(L, 1);
  return lua_gettop(L);
}

/* Between cells SIGINT (the frontend's interrupt) only ends a wait. */
static void on_sigint_idle(int sig) { (void)sig; }

/* The absolute path of this executable, pushed (or nil). */
static void push_exe_path(lua_State *L) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) {
    lua_pushnil(L);
    return;
  }
  buf[n] = '\0';
  lua_pushstring(L, buf);
}

/* The README beside the executable (a build tree) or in ../share/doc/gdlua (installed), pushed (or nil). */
static void push_readme(lua_State *L) {
  push_exe_path(L);
  const char *exe = lua_tostring(L, -1);
  const char *slash = exe ? strrchr(exe, '/') : NULL;
  if (!slash) return;
  static const char *const places[] = { "/README.md", "/../share/doc/gdlua/README.md" };
  for (int i = 0; i < 2; i++) {
    lua_pushlstring(L, exe, (size_t)(slash - exe));
    lua_pushstring(L, places[i]);
    lua_concat(L, 2);
    if (access(lua_tostring(L, -1), R_OK) == 0) {
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_pushnil(L);
}

/* (protected) gd.kernel.run(file, host) or gd.kernel.install(opts), per arg 1. */
static int kernel_main(lua_State *L) {
  const char *what = lua_tostring(L, 1);
  lua_getglobal(L, "require");
  lua_pushstring(L, "gd.kernel");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, what);
  if (strcmp(what, "run") == 0) {
    lua_pushvalue(L, 2);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, kernel_call);
    lua_setfield(L, -2, "call");
    push_readme(L);
    lua_setfield(L, -2, "readme");
  } else {
    lua_createtable(L, 0, 2);
    push_exe_path(L);
    lua_setfield(L, -2, "exe");
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "prefix");
    lua_pushnil(L);
  }
  lua_call(L, 2, 2);
  return 2;
}

/* gdlua --kernel FILE, gdlua --install-kernel [--user | --prefix DIR]:
 * 1 if argv asked for one of them (*ok its success), else 0. */
static int kernel_commands(lua_State *L, int argc, char **argv, int *ok) {
  if (argc < 2 || (strcmp(argv[1], "--kernel") != 0 && strcmp(argv[1], "--install-kernel") != 0)) return 0;
  *ok = 0;
  int run = strcmp(argv[1], "--kernel") == 0;
  const char *arg2 = NULL;
  if (run && argc == 3) arg2 = argv[2];
  else if (!run && argc == 2) arg2 = NULL;
  else if (!run && argc == 3 && strcmp(argv[2], "--user") == 0) arg2 = NULL;
  else if (!run && argc == 4 && strcmp(argv[2], "--prefix") == 0) arg2 = argv[3];
  else {
    fprintf(stderr, "usage: %s --kernel CONNECTION_FILE\n"
                    "       %s --install-kernel [--user | --prefix DIR]\n", progname, progname);
    return 1;
  }
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint_idle;
  sigemptyset(&sa.sa_mask);
  if (run) sigaction(SIGINT, &sa, &old);
  lua_pushcfunction(L, kernel_main);
  lua_pushstring(L, run ? "run" : "install");
  if (arg2) lua_pushstring(L, arg2);
  else lua_pushnil(L);
  int status = lua_pcall(L, 2, 2, 0);
  if (run) sigaction(SIGINT, &old, NULL);
  if (status != LUA_OK) {
    report(L, status);
    return 1;
  }
  if (lua_toboolean(L, -2)) {
    if (!run) printf("installed the gdlua kernelspec: %s\n", lua_tostring(L, -2));
    *ok = 1;
  } else {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", progname, msg ? msg : "failed");
  }
  lua_pop(L, 2);
  return 1;
}

/* Everything runs here, under lua_pcall, so that a memory error is reported. */
static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  int script = argc;
  if (argv[0] && argv[0][0]) progname = argv[0];
  int kernel = argc > 1 && (strcmp(argv[1], "--kernel") == 0 || strcmp(argv[1], "--install-kernel") == 0);
  int flags = kernel ? 0 : scan_options(argc, argv, &script);
  lua_pushboolean(L, 0);                      /* result: failure until the end */
  if (flags & OPT_ERROR) return 1;
  if (flags & OPT_HELP) {
    usage(stdout, NULL, 0);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (flags & OPT_E) {                        /* the package library reads this */
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  lua_gc(L, LUA_GCINC, 0, 0, 0);              /* incremental: see luaopen_gd_core */
  if (open_gd(L) != LUA_OK) return 1;
  create_arg_table(L, argc, argv, script);
  if (flags & OPT_V) print_version(L);
  if (!(flags & OPT_E) && run_init(L) != LUA_OK) return 1;
  int kernel_ok;
  if (kernel && kernel_commands(L, argc, argv, &kernel_ok)) {
    lua_pushboolean(L, kernel_ok);
    return 1;
  }
  if (run_options(L, argv, script) != LUA_OK) return 1;
  if (script < argc && run_script(L, argv, script) != LUA_OK) return 1;
  if (flags & OPT_I) {
    repl(L);
  } else if (script == argc && !(flags & (OPT_EXEC | OPT_V))) {
    if (isatty(STDIN_FILENO)) {
      print_version(L);
      repl(L);
    } else if (dofile(L, NULL) != LUA_OK) {
      return 1;
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = gdlua_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create the Lua state (out of memory)\n",
            argv[0] && argv[0][0] ? argv[0] : GDLUA_NAME);
    return EXIT_FAILURE;
  }
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int ok = status == LUA_OK && lua_toboolean(L, -1);
  report(L, status);
  lua_close(L);
  gdlua_alloc_release();
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
