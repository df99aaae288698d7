/* plotpipe.c: spawn gnuplot, write commands, read its errors, reap it.
 *
 * See plotpipe.h for the protocol and the reasons behind it.  This file is
 * the plumbing only: it refuses to know what a plot is.
 */
#include "plotpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

static const char marker_prefix[] = "GD_SYNC ";

/* ---- live pipes: their temp files go at exit even without a close ------ */

static gd_plotpipe *live;
static int atexit_registered;

static void unlink_all_at_exit(void) {
  for (gd_plotpipe *p = live; p; p = p->next)
    for (size_t i = 0; i < p->ntmp; i++) unlink(p->tmp[i]);
}

static void live_add(gd_plotpipe *p) {
  if (!atexit_registered) atexit_registered = atexit(unlink_all_at_exit) == 0;
  p->next = live;
  live = p;
}

static void live_remove(gd_plotpipe *p) {
  for (gd_plotpipe **q = &live; *q; q = &(*q)->next)
    if (*q == p) { *q = p->next; break; }
  p->next = NULL;
}

/* ---- small helpers ------------------------------------------------------ */

void gd_plotpipe_init(gd_plotpipe *p) {
  memset(p, 0, sizeof *p);
  p->pid = -1;
  p->in = -1;
  p->err = -1;
  p->status = -1;
  p->timeout_ms = GD_PLOTPIPE_TIMEOUT_MS;
}

int gd_plotpipe_alive(const gd_plotpipe *p) { return p->pid > 0; }

/* Grow *buf (capacity *cap) to hold need bytes. */
static int reserve(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return GD_OK;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  char *b = realloc(*buf, c);
  if (!b) return gd_seterr(GD_ENOMEM, "out of memory");
  *buf = b;
  *cap = c;
  return GD_OK;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (reserve(buf, cap, *len + n + 1)) return GD_ENOMEM;
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = '\0';
  return GD_OK;
}

static void set_cloexec(int fd) { fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC); }
static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }
static void close_fd(int *fd) { if (*fd >= 0) { close(*fd); *fd = -1; } }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- spawning ----------------------------------------------------------- */

/* In the child between fork and exec: only async-signal-safe calls.  Its
 * stdin and stderr are our pipes, stdout /dev/null; signals we may have
 * ignored or blocked are back to their defaults; it leads a process group
 * of its own (a terminal's Ctrl-C is ours, and a kill of the group also
 * ends what gnuplot runs); it dies with us (Linux), and it reports a failed
 * exec as its errno on the `report` pipe. */
static void child_exec(const char *exe, char *const argv[], int in, int err, int report,
                       pid_t parent) {
  int null = open("/dev/null", O_WRONLY);
  if (dup2(in, 0) < 0 || dup2(err, 2) < 0 || null < 0 || dup2(null, 1) < 0) goto fail;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  static const int sigs[] = {SIGPIPE, SIGINT, SIGCHLD, SIGTERM, SIGQUIT, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setpgid(0, 0);
#ifdef __linux__
  /* SIGKILL when we die, even by SIGKILL; if we died before this call,
   * our parent is already someone else: do not start at all. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
#else
  (void)parent;
#endif
  execvp(exe, argv);
fail:;
  int e = errno;
  ssize_t w = write(report, &e, sizeof e);
  (void)w;
  _exit(127);
}

int gd_plotpipe_open(gd_plotpipe *p, const char *exe, int timeout_ms) {
  if (p->pid > 0) return gd_seterr(GD_EARG, "gnuplot is already running on this pipe");
  if (!exe || !*exe) exe = "gnuplot";
  int sv[2] = {-1, -1}, ep[2] = {-1, -1}, rp[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(ep) != 0 || pipe(rp) != 0) {
    int e = errno;
    close_fd(&sv[0]); close_fd(&sv[1]); close_fd(&ep[0]); close_fd(&ep[1]);
    close_fd(&rp[0]); close_fd(&rp[1]);
    return gd_seterr(GD_PLOTPIPE_EIO, "cannot create pipes for gnuplot: %s", strerror(e));
  }
  /* gdlua forks from its one Lua thread, so no other thread can fork
   * between pipe() and these calls; the child's copies (dup2'ed to 0 and
   * 2) lose the flag, and rp[1] closes by itself when exec succeeds. */
  set_cloexec(sv[0]); set_cloexec(sv[1]); set_cloexec(ep[0]); set_cloexec(ep[1]);
  set_cloexec(rp[0]); set_cloexec(rp[1]);
  char arg0[256], arg1[] = "-d";
  snprintf(arg0, sizeof arg0, "%s", exe);
  char *argv[] = {arg0, arg1, NULL};
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) child_exec(exe, argv, sv[1], ep[1], rp[1], parent);
  int fork_errno = errno;
  close_fd(&sv[1]);
  close_fd(&ep[1]);
  close_fd(&rp[1]);
  int exec_errno = 0;
  if (pid > 0) {
    /* EOF: exec succeeded; an int: the child's errno (it exits at once). */
    ssize_t k;
    while ((k = read(rp[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {}
    if (k != (ssize_t)sizeof exec_errno) exec_errno = 0;
    if (exec_errno) { int st; while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {} }
  }
  close_fd(&rp[0]);
  if (pid < 0 || exec_errno) {
    close_fd(&sv[0]);
    close_fd(&ep[0]);
    return gd_seterr(GD_PLOTPIPE_ENOEXEC, "cannot run %s: %s", exe,
                     strerror(pid < 0 ? fork_errno : exec_errno));
  }
  setpgid(pid, pid);             /* also here: kill(-pid) works at once */
  set_nonblock(sv[0]);
  set_nonblock(ep[0]);
  p->pid = (int)pid;
  p->in = sv[0];
  p->err = ep[0];
  p->status = -1;
  p->sent = p->acked = 0;
  p->failed = 0;
  p->timeout_ms = timeout_ms > 0 ? timeout_ms : GD_PLOTPIPE_TIMEOUT_MS;
  live_add(p);
  return GD_OK;
}

/* ---- reading stderr ----------------------------------------------------- */

static gd_plotpipe_cmd *find_cmd(gd_plotpipe *p, unsigned long id) {
  for (size_t i = 0; i < p->ncmd; i++)
    if (p->cmds[i].id == id) return &p->cmds[i];
  return NULL;
}

/* A marker "GD_SYNC <id> <errno> <errmsg>": command id has run; `mark` is
 * where gnuplot's text about it starts in p->out. */
static void on_marker(gd_plotpipe *p, const char *s, size_t mark) {
  char *end;
  unsigned long id = strtoul(s, &end, 10);
  long gerr = strtol(end, &end, 10);
  if (*end == ' ') end++;
  if (id > p->acked) { p->acked = id; p->since = now_ms(); }
  if (gerr == 0 || p->failed) return;
  p->failed = 1;
  /* GPVAL_ERRMSG is gnuplot's message without the echo and caret lines it
   * printed before; those go, so that the caller does not show them twice. */
  const char *msg = *end ? end : (p->out ? p->out + mark : "");
  snprintf(p->errmsg, sizeof p->errmsg, "%s", msg);
  p->olen = mark;
  if (p->out) p->out[mark] = '\0';
  gd_plotpipe_cmd *c = find_cmd(p, id);
  snprintf(p->errcmd, sizeof p->errcmd, "%s", c ? c->text : "?");
}

/* Split complete lines out of rbuf: markers are handled, the rest is text. */
static int split_lines(gd_plotpipe *p, int at_eof) {
  size_t start = 0;
  for (;;) {
    char *nl = p->rlen > start ? memchr(p->rbuf + start, '\n', p->rlen - start) : NULL;
    /* a line without end (at EOF, or absurdly long) is taken as it is */
    int flush = at_eof || p->rlen - start > 65536;
    size_t end = nl ? (size_t)(nl - p->rbuf) : (flush ? p->rlen : start);
    if (end == start && !nl) break;
    char *line = p->rbuf + start;
    size_t n = end - start;
    if (n >= sizeof marker_prefix - 1 && memcmp(line, marker_prefix, sizeof marker_prefix - 1) == 0) {
      line[n] = '\0';
      on_marker(p, line + sizeof marker_prefix - 1, p->mark);
      p->mark = p->olen;
    } else {
      if (append(&p->out, &p->olen, &p->ocap, line, n)) return GD_ENOMEM;
      if (append(&p->out, &p->olen, &p->ocap, "\n", 1)) return GD_ENOMEM;
    }
    start = nl ? end + 1 : end;
    if (!nl) break;
  }
  memmove(p->rbuf, p->rbuf + start, p->rlen - start);
  p->rlen -= start;
  return GD_OK;
}

/* Keep the collected text under GD_PLOTPIPE_OUTMAX: drop its older half. */
static void trim_output(gd_plotpipe *p) {
  if (p->olen <= GD_PLOTPIPE_OUTMAX) return;
  size_t drop = p->olen - GD_PLOTPIPE_OUTMAX / 2;
  memmove(p->out, p->out + drop, p->olen - drop + 1);
  p->olen -= drop;
  p->mark = p->mark > drop ? p->mark - drop : 0;
}

/* Read what stderr has now (non-blocking; a bounded number of reads, so a
 * flood cannot starve the writer); at EOF close it. */
static int drain(gd_plotpipe *p) {
  for (int reads = 0; p->err >= 0 && reads < 64; reads++) {
    if (reserve(&p->rbuf, &p->rcap, p->rlen + 4096 + 1)) return GD_ENOMEM;
    ssize_t k = read(p->err, p->rbuf + p->rlen, p->rcap - p->rlen - 1);
    if (k > 0) {
      p->rlen += (size_t)k;
      if (split_lines(p, 0)) return GD_ENOMEM;
      trim_output(p);
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return GD_OK;
    close_fd(&p->err);           /* EOF (or a read error: the same to us) */
    return split_lines(p, 1);
  }
  return GD_OK;
}

/* ---- ending ------------------------------------------------------------- */

void gd_plotpipe_remove_temps(gd_plotpipe *p) {
  for (size_t i = 0; i < p->ntmp; i++) { unlink(p->tmp[i]); free(p->tmp[i]); }
  p->ntmp = 0;
}

static void free_cmds(gd_plotpipe *p) {
  for (size_t i = 0; i < p->ncmd; i++) free(p->cmds[i].text);
  p->ncmd = 0;
}

/* Free everything but p->status, p->errmsg and p->errcmd; p is then empty. */
static void release(gd_plotpipe *p) {
  close_fd(&p->in);
  close_fd(&p->err);
  gd_plotpipe_remove_temps(p);
  free(p->tmp);
  free_cmds(p);
  free(p->cmds);
  free(p->rbuf);
  free(p->out);
  live_remove(p);
  int status = p->status;
  char msg[GD_PLOTPIPE_MSGMAX], cmd[GD_PLOTPIPE_CMDMAX];
  memcpy(msg, p->errmsg, sizeof msg);
  memcpy(cmd, p->errcmd, sizeof cmd);
  gd_plotpipe_init(p);
  p->status = status;
  memcpy(p->errmsg, msg, sizeof msg);
  memcpy(p->errcmd, cmd, sizeof cmd);
}

static void reap_blocking(gd_plotpipe *p) {
  int st;
  while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {}
  p->status = st;
  p->pid = -1;
}

/* SIGKILL gnuplot's process group (what it runs too: system(), a shell)
 * and gnuplot itself (should it have left the group), then reap it. */
static void kill_and_reap(gd_plotpipe *p) {
  kill(-p->pid, SIGKILL);
  kill(p->pid, SIGKILL);
  reap_blocking(p);
}

void gd_plotpipe_kill(gd_plotpipe *p) {
  if (p->pid > 0) kill_and_reap(p);
  release(p);
}

int gd_plotpipe_close(gd_plotpipe *p, int timeout_ms) {
  close_fd(&p->in);              /* EOF on its stdin: gnuplot exits */
  int killed = 0;
  double deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  int step = 1;
  while (p->pid > 0) {
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) { p->status = st; p->pid = -1; break; }
    if (r < 0 && errno != EINTR) { p->pid = -1; break; }   /* reaped elsewhere (SIGCHLD ignored) */
    double left = deadline - now_ms();
    if (left <= 0) {
      kill_and_reap(p);
      killed = 1;
      break;
    }
    /* Keep reading stderr while it exits, so it never blocks writing. */
    struct pollfd f = {p->err, POLLIN, 0};
    int wait = step < left ? step : (int)left + 1;
    if (p->err >= 0) {
      if (poll(&f, 1, wait) > 0) drain(p);
    } else {
      nanosleep(&(struct timespec){0, (long)wait * 1000000L}, NULL);
    }
    if (step < 32) step *= 2;
  }
  release(p);
  if (killed)
    return gd_seterr(GD_PLOTPIPE_EDIED, "gnuplot did not exit within %d ms and was killed", timeout_ms);
  return GD_OK;
}

/* gnuplot is gone (or must go): collect its last words, reap it, and
 * return GD_PLOTPIPE_EDIED with them. */
static int died(gd_plotpipe *p) {
  close_fd(&p->in);
  double deadline = now_ms() + 2000;
  while (p->err >= 0 && now_ms() < deadline) {
    struct pollfd f = {p->err, POLLIN, 0};
    if (poll(&f, 1, 50) > 0) drain(p);
  }
  /* the end of what it wrote, for the message */
  char last[600];
  const char *out = p->out ? p->out : "";
  size_t n = p->olen;
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) n--;
  size_t s = n > sizeof last - 1 ? n - (sizeof last - 1) : 0;
  snprintf(last, sizeof last, "%.*s", (int)(n - s), out + s);
  gd_plotpipe_close(p, 100);
  int st = p->status;
  const char *sep = *last ? ": " : "";
  /* A child that could not start (exec failed after all, or we were
   * dying as it forked) exits with 127 before it says anything. */
  if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127 && !*last)
    return gd_seterr(GD_PLOTPIPE_ENOEXEC, "cannot run gnuplot (exit status 127)");
  if (st >= 0 && WIFSIGNALED(st))
    return gd_seterr(GD_PLOTPIPE_EDIED, "gnuplot died (signal %d)%s%s", WTERMSIG(st), sep, last);
  return gd_seterr(GD_PLOTPIPE_EDIED, "gnuplot exited (status %d)%s%s",
                   st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, sep, last);
}

/* Milliseconds poll may still wait: the rest of p->timeout_ms since the
 * wait began or gnuplot last made progress (took input, passed a marker). */
static int wait_left(const gd_plotpipe *p) {
  double left = p->since + p->timeout_ms - now_ms();
  return left <= 0 ? 0 : (int)left + 1;
}

/* gnuplot did not answer in time: kill it (and what it runs), report it. */
static int timed_out(gd_plotpipe *p) {
  int ms = p->timeout_ms;
  gd_plotpipe_kill(p);
  return gd_seterr(GD_PLOTPIPE_ETIMEOUT,
                   "gnuplot did not answer within %g s (GD_PLOT_TIMEOUT) and was killed", ms / 1e3);
}

/* A signal arrived while we waited (Ctrl-C): stop gnuplot, report it. */
static int interrupted(gd_plotpipe *p) {
  gd_plotpipe_kill(p);
  return gd_seterr(GD_PLOTPIPE_EINTR, "interrupted while waiting for gnuplot");
}

/* ---- writing ------------------------------------------------------------ */

/* Write all of buf to gnuplot's stdin, reading its stderr meanwhile. */
static int write_all(gd_plotpipe *p, const char *buf, size_t n) {
  p->since = now_ms();
  while (n > 0) {
    if (p->in < 0) return died(p);
    struct pollfd f[2] = {{p->in, POLLOUT, 0}, {p->err, POLLIN, 0}};
    int left = wait_left(p);
    if (left == 0) return timed_out(p);
    int r = poll(f, p->err >= 0 ? 2 : 1, left);
    if (r < 0) {
      if (errno == EINTR) return interrupted(p);
      return gd_seterr(GD_PLOTPIPE_EIO, "poll: %s", strerror(errno));
    }
    if (r == 0) continue;        /* the deadline is checked above */
    if (p->err >= 0 && (f[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      int rc = drain(p);
      if (rc) return rc;
    }
    if (f[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t k = send(p->in, buf, n, MSG_NOSIGNAL);
      if (k > 0) { buf += k; n -= (size_t)k; p->since = now_ms(); continue; }
      if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      return died(p);           /* EPIPE, ECONNRESET: it is gone */
    }
  }
  return GD_OK;
}

int gd_plotpipe_send(gd_plotpipe *p, const char *cmd, size_t len) {
  if (p->pid <= 0) return gd_seterr(GD_PLOTPIPE_EDIED, "gnuplot is not running");
  unsigned long id = p->sent + 1;
  if (p->ncmd == p->cmdcap) {
    size_t c = p->cmdcap ? 2 * p->cmdcap : 32;
    gd_plotpipe_cmd *m = realloc(p->cmds, c * sizeof *m);
    if (!m) return gd_seterr(GD_ENOMEM, "out of memory");
    p->cmds = m;
    p->cmdcap = c;
  }
  size_t keep = len < GD_PLOTPIPE_CMDMAX - 1 ? len : GD_PLOTPIPE_CMDMAX - 1;
  char *text = malloc(keep + 1);
  if (!text) return gd_seterr(GD_ENOMEM, "out of memory");
  memcpy(text, cmd, keep);
  text[keep] = '\0';
  while (keep > 0 && text[keep - 1] == '\n') text[--keep] = '\0';
  p->cmds[p->ncmd++] = (gd_plotpipe_cmd){id, text};
  p->sent = id;

  int rc = write_all(p, cmd, len);
  if (rc) return rc;
  /* The marker must start a line of its own: a trailing backslash would
   * continue the command into it, so a space ends such a line. */
  size_t k = len;
  while (k > 0 && cmd[k - 1] == '\n') k--;
  char mk[96];
  int m = snprintf(mk, sizeof mk, "%s\nprinterr \"%s%lu\", GPVAL_ERRNO, GPVAL_ERRMSG\n",
                   k > 0 && cmd[k - 1] == '\\' ? " " : "", marker_prefix, id);
  return write_all(p, mk, (size_t)m);
}

/* ---- data --------------------------------------------------------------- */

/* Reads a tensor's elements in row-major order, whatever its strides. */
typedef struct col_reader {
  const double *p;               /* next element */
  int nd, contig;
  const int64_t *shape, *stride;
  int64_t idx[GD_MAXDIM];
} col_reader;

static void col_start(col_reader *r, const gd_tensor *t) {
  r->p = gd_data(t);
  r->nd = t->ndim;
  r->contig = gd_is_contig(t);
  r->shape = t->shape;
  r->stride = t->stride;
  memset(r->idx, 0, sizeof r->idx);
}

static double col_next(col_reader *r) {
  double v = *r->p;
  if (r->contig) { r->p++; return v; }
  for (int d = r->nd - 1; d >= 0; d--) {
    r->p += r->stride[d];
    if (++r->idx[d] < r->shape[d]) return v;
    r->p -= r->stride[d] * r->shape[d];
    r->idx[d] = 0;
  }
  return v;
}

static int check_cols(const gd_tensor *const *cols, int ncols, size_t n) {
  if (ncols < 0 || ncols > 16) return gd_seterr(GD_EARG, "%d columns (at most 16)", ncols);
  for (int c = 0; c < ncols; c++) {
    if (!cols[c] || !cols[c]->st) return gd_seterr(GD_EARG, "column %d is empty", c + 1);
    if (cols[c]->numel != n)
      return gd_seterr(GD_ESHAPE, "column %d has %zu values, expected %zu", c + 1,
                       cols[c]->numel, n);
  }
  return GD_OK;
}

int gd_plotpipe_datablock(gd_plotpipe *p, const char *name, const gd_tensor *const *cols,
                          int ncols, size_t n, size_t every) {
  if (!name || !*name) return gd_seterr(GD_EARG, "datablock needs a name");
  for (const char *s = name; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
          (s > name && *s >= '0' && *s <= '9')))
      return gd_seterr(GD_EARG, "bad datablock name '%s'", name);
  int rc = check_cols(cols, ncols, n);
  if (rc) return rc;
  col_reader r[16];
  for (int c = 0; c < ncols; c++) col_start(&r[c], cols[c]);
  char *buf = NULL;
  size_t len = 0, cap = 0;
  char num[40];
  int k = snprintf(num, sizeof num, "$%.30s << EOD\n", name);
  rc = append(&buf, &len, &cap, num, (size_t)k);
  for (size_t i = 0; i < n && !rc; i++) {
    for (int c = 0; c < ncols && !rc; c++) {
      double v = col_next(&r[c]);
      k = isfinite(v) ? snprintf(num, sizeof num, "%.10g", v) : snprintf(num, sizeof num, "NaN");
      if (c + 1 < ncols) num[k++] = ' ';
      rc = append(&buf, &len, &cap, num, (size_t)k);
    }
    if (!rc) rc = append(&buf, &len, &cap, "\n", 1);
    if (!rc && every > 0 && (i + 1) % every == 0 && i + 1 < n) rc = append(&buf, &len, &cap, "\n", 1);
  }
  if (!rc) rc = append(&buf, &len, &cap, "EOD\n", 4);
  if (!rc) rc = gd_plotpipe_send(p, buf, len);
  free(buf);
  return rc;
}

int gd_plotpipe_tempfile(gd_plotpipe *p, const gd_tensor *const *cols, int ncols, size_t n,
                         char *path, size_t size) {
  int rc = check_cols(cols, ncols, n);
  if (rc) return rc;
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  if ((size_t)snprintf(path, size, "%s/gdplot-%ld-XXXXXX", dir, (long)getpid()) >= size)
    return gd_seterr(GD_EARG, "temp directory name too long");
  if (p->ntmp == p->tmpcap) {
    size_t c = p->tmpcap ? 2 * p->tmpcap : 4;
    char **t = realloc(p->tmp, c * sizeof *t);
    if (!t) return gd_seterr(GD_ENOMEM, "out of memory");
    p->tmp = t;
    p->tmpcap = c;
  }
  char *copy = malloc(strlen(path) + 1);
  if (!copy) return gd_seterr(GD_ENOMEM, "out of memory");
  int fd = mkstemp(path);
  if (fd < 0) {
    free(copy);
    return gd_seterr(GD_PLOTPIPE_EIO, "cannot create a temp file in %s: %s", dir, strerror(errno));
  }
  strcpy(copy, path);
  p->tmp[p->ntmp++] = copy;      /* registered first: removed whatever happens next */

  col_reader r[16];
  for (int c = 0; c < ncols; c++) col_start(&r[c], cols[c]);
  enum { CHUNK = 8192 };         /* doubles per write */
  double buf[CHUNK];
  size_t rows_per = ncols > 0 ? CHUNK / (size_t)ncols : 0;
  for (size_t i = 0; i < n && ncols > 0;) {
    size_t m = n - i < rows_per ? n - i : rows_per, k = 0;
    for (size_t j = 0; j < m; j++)
      for (int c = 0; c < ncols; c++) buf[k++] = col_next(&r[c]);
    const char *b = (const char *)buf;
    size_t left = k * sizeof(double);
    while (left > 0) {
      ssize_t w = write(fd, b, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int e = errno;
        close(fd);
        return gd_seterr(GD_PLOTPIPE_EIO, "cannot write temp file %s: %s", path,
                         strerror(w < 0 ? e : ENOSPC));
      }
      b += w;
      left -= (size_t)w;
    }
    i += m;
  }
  if (close(fd) != 0)
    return gd_seterr(GD_PLOTPIPE_EIO, "cannot write temp file %s: %s", path, strerror(errno));
  return GD_OK;
}

/* ---- waiting ------------------------------------------------------------ */

int gd_plotpipe_sync(gd_plotpipe *p) {
  if (p->pid <= 0) return gd_seterr(GD_PLOTPIPE_EDIED, "gnuplot is not running");
  p->since = now_ms();
  while (p->acked < p->sent) {
    if (p->err < 0) return died(p);
    struct pollfd f = {p->err, POLLIN, 0};
    int left = wait_left(p);
    if (left == 0) return timed_out(p);
    int r = poll(&f, 1, left);
    if (r < 0) {
      if (errno == EINTR) return interrupted(p);
      return gd_seterr(GD_PLOTPIPE_EIO, "poll: %s", strerror(errno));
    }
    if (r == 0) continue;
    int rc = drain(p);
    if (rc) return rc;
    if (p->err < 0 && p->acked < p->sent) return died(p);
  }
  free_cmds(p);
  if (!p->failed) return GD_OK;
  p->failed = 0;
  /* Clear gnuplot's error state, so the next figure on this pipe starts clean. */
  static const char reset[] = "reset errors\n";
  int rc = write_all(p, reset, sizeof reset - 1);
  if (rc) return rc;
  return gd_seterr(GD_PLOTPIPE_EGNUPLOT, "%s (in: %s)", p->errmsg, p->errcmd);
}

void gd_plotpipe_clear_output(gd_plotpipe *p) {
  p->olen = p->mark = 0;
  if (p->out) p->out[0] = '\0';
}

/* ---- directories and output files ---------------------------------------- */

int gd_plotpipe_sibling(const char *path, char *out, size_t size) {
  if (!path || !*path) return gd_seterr(GD_EARG, "empty file name");
  const char *slash = strrchr(path, '/');
  int dirlen = slash ? (int)(slash - path + 1) : 0;
  const char *base = path + dirlen;
  if (!*base) return gd_seterr(GD_EARG, "%s names a directory, not a file", path);
  static unsigned long counter;
  for (int attempt = 0; attempt < 100; attempt++) {
    /* unique enough with O_EXCL: pid, time and a counter, mixed */
    unsigned long r = (unsigned long)getpid() * 2654435761UL ^ (unsigned long)(now_ms() * 1e3) ^
                      (++counter * 40503UL << 8);
    if ((size_t)snprintf(out, size, "%.*s.%s.tmp%06lx", dirlen, path, base, r & 0xffffffUL) >= size)
      return gd_seterr(GD_EARG, "file name too long: %s", path);
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) { close(fd); return GD_OK; }
    if (errno != EEXIST)
      return gd_seterr(GD_PLOTPIPE_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  return gd_seterr(GD_PLOTPIPE_EIO, "cannot write %s: no free temp name beside it", path);
}

int gd_plotpipe_mkdirs(const char *path) {
  char buf[4096];
  if (!path || !*path) return gd_seterr(GD_EARG, "empty directory name");
  if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
    return gd_seterr(GD_EARG, "directory name too long");
  for (char *s = buf + 1;; s++) {
    char c = *s;
    if (c == '/' || c == '\0') {
      *s = '\0';
      struct stat st;
      if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return gd_seterr(GD_PLOTPIPE_EIO, "cannot create directory %s: %s", buf, strerror(errno));
      if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return gd_seterr(GD_PLOTPIPE_EIO, "%s exists and is not a directory", buf);
      *s = c;
      if (c == '\0') break;
    }
  }
  return GD_OK;
}
