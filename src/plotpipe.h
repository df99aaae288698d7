/* plotpipe.h: one gnuplot child process behind two pipes.
 *
 * The C side of gd.plot: spawn gnuplot, send it commands, learn which
 * command failed and with what message, hand it bulk data in temp files,
 * reap it.  It knows the protocol, not what a figure is: lua/gd/plot.lua
 * writes the commands.  No Lua here; errors are GD_E* codes with a message
 * in gd_errmsg().
 *
 * Protocol: every command sent is followed by its own marker line
 *     printerr "GD_SYNC <k> ", GPVAL_ERRNO, " ", GPVAL_ERRMSG
 * (printerr always writes to gnuplot's stderr, whatever `set print` says).
 * We read that stderr; the first marker with a nonzero GPVAL_ERRNO names
 * the failing command k and carries gnuplot's own message.  gnuplot keeps
 * going after an error (stdin is not a script file), so a figure is one
 * stream of commands and one wait at the end (gd_plotpipe_sync).
 *
 * Why this shape:
 * - stdin is a socket, so a write to a gnuplot that died fails with EPIPE
 *   (send with MSG_NOSIGNAL) instead of killing us with SIGPIPE;
 * - every write polls stderr too: gnuplot blocked on a full stderr pipe
 *   would otherwise stop reading stdin and both sides would wait forever;
 * - gnuplot reads stdin one byte per system call (about 2 µs per byte),
 *   so bulk data goes into temp files (gd_plotpipe_tempfile), read in one
 *   go as `binary format='%float64...'`; only small data goes inline;
 * - our ends of the pipes are close-on-exec, the child runs in its own
 *   process group (a terminal's Ctrl-C is ours to handle), and every path
 *   out (close, kill, atexit) removes the temp files and reaps the child;
 * - no wait is unbounded: every poll has a deadline, timeout_ms after the
 *   wait began or gnuplot last made progress (took input, passed a
 *   marker); past it gnuplot's process group is killed and reaped;
 * - on Linux the child has PR_SET_PDEATHSIG = SIGKILL: if we die, even by
 *   SIGTERM or SIGKILL, gnuplot goes too (no orphans).
 */
#ifndef GD_PLOTPIPE_H
#define GD_PLOTPIPE_H

#include <stddef.h>

#include "tensor.h"

/* Status codes beyond tensor.h's (GD_OK is success). */
enum gd_plotpipe_status {
  GD_PLOTPIPE_ENOEXEC = 100,  /* gnuplot could not be started (not on PATH) */
  GD_PLOTPIPE_EGNUPLOT,       /* gnuplot reported an error in a command */
  GD_PLOTPIPE_EDIED,          /* gnuplot exited or stopped answering */
  GD_PLOTPIPE_EIO,            /* a pipe, temp file or wait failed */
  GD_PLOTPIPE_EINTR,          /* interrupted (a signal) while waiting */
  GD_PLOTPIPE_ETIMEOUT        /* no answer within the pipe's timeout (it was killed) */
};

/* How long a wait on gnuplot may go without progress by default (ms). */
#define GD_PLOTPIPE_TIMEOUT_MS 30000

/* Room kept for gnuplot's message and the offending command's text. */
#define GD_PLOTPIPE_MSGMAX 1024
#define GD_PLOTPIPE_CMDMAX 400
/* Most of gnuplot's other output kept (the newest part). */
#define GD_PLOTPIPE_OUTMAX (4 << 20)

typedef struct gd_plotpipe_cmd {
  unsigned long id;            /* marker number */
  char *text;                  /* its first GD_PLOTPIPE_CMDMAX bytes */
} gd_plotpipe_cmd;

typedef struct gd_plotpipe {
  int pid;                     /* the child, or -1 once reaped */
  int in;                      /* our end of its stdin (socket), or -1 */
  int err;                     /* our end of its stderr (pipe), or -1 */
  int status;                  /* wait status after the reap, or -1 */
  int timeout_ms;              /* longest wait without progress */
  double since;                /* when the current wait began or last progressed (ms) */
  unsigned long sent, acked;   /* markers sent / last marker read */
  char *rbuf; size_t rlen, rcap;   /* stderr bytes not yet split into lines */
  char *out; size_t olen, ocap;    /* stderr text that is not a marker */
  size_t mark;                 /* where in out the text after the last marker starts */
  gd_plotpipe_cmd *cmds; size_t ncmd, cmdcap;   /* sent, not yet acknowledged */
  int failed;                  /* a marker reported an error */
  char errmsg[GD_PLOTPIPE_MSGMAX];   /* gnuplot's message of the first error */
  char errcmd[GD_PLOTPIPE_CMDMAX];   /* the command it failed on */
  char **tmp; size_t ntmp, tmpcap;   /* temp files to remove */
  struct gd_plotpipe *next;    /* list of live pipes (for the atexit clean-up) */
} gd_plotpipe;

/* Make p a safe, empty (closed) pipe; owns nothing yet. */
void gd_plotpipe_init(gd_plotpipe *p);

/* Spawn `exe` (searched on PATH; NULL: "gnuplot") with default settings
 * (-d: no ~/.gnuplot); its waits give up after timeout_ms without progress
 * (<= 0: GD_PLOTPIPE_TIMEOUT_MS).  GD_PLOTPIPE_ENOEXEC if it cannot be
 * started. */
int gd_plotpipe_open(gd_plotpipe *p, const char *exe, int timeout_ms);

/* 1 while a child is attached. */
int gd_plotpipe_alive(const gd_plotpipe *p);

/* Send one command (one line, or several lines that belong together such
 * as a datablock) followed by its marker.  Reads stderr while writing. */
int gd_plotpipe_send(gd_plotpipe *p, const char *cmd, size_t len);

/* Send `$name << EOD`, n rows of the columns as text ("%.10g", NaN as
 * NaN), a blank line after every `every` rows if every > 0 (grid scans
 * for splot), and EOD: one command.  Columns are read flattened in
 * row-major order; each must have n elements. */
int gd_plotpipe_datablock(gd_plotpipe *p, const char *name, const gd_tensor *const *cols,
                          int ncols, size_t n, size_t every);

/* Write n rows of the columns as native float64 records into a new temp
 * file ($TMPDIR or /tmp, named gdplot-<pid>-XXXXXX) and put its path in path[size] (ncols may be 0:
 * an empty file for gnuplot to write into).  The file is removed by
 * gd_plotpipe_remove_temps, when p is closed or killed, or at exit. */
int gd_plotpipe_tempfile(gd_plotpipe *p, const gd_tensor *const *cols, int ncols, size_t n,
                         char *path, size_t size);

/* Remove the temp files made so far (once gnuplot has read them: after a
 * sync). */
void gd_plotpipe_remove_temps(gd_plotpipe *p);

/* Wait until gnuplot has run every command sent.  GD_OK, or
 * GD_PLOTPIPE_EGNUPLOT with the message and command in p->errmsg and
 * p->errcmd (the error state is then cleared in gnuplot, so p stays
 * usable), or GD_PLOTPIPE_EDIED / EINTR / ETIMEOUT (p is then killed).  The text
 * gnuplot wrote besides the markers (warnings, printerr output) is in
 * p->out[0..olen) (NUL-terminated when olen > 0) until cleared. */
int gd_plotpipe_sync(gd_plotpipe *p);

/* Forget the text collected in p->out (after the caller has read it). */
void gd_plotpipe_clear_output(gd_plotpipe *p);

/* End gnuplot: close its stdin, let it exit (up to timeout_ms, then
 * SIGKILL), reap it, remove the temp files, free everything.  p is empty
 * afterwards; idempotent.  Returns GD_OK or GD_PLOTPIPE_EDIED if gnuplot
 * had to be killed or exited with a failure status. */
int gd_plotpipe_close(gd_plotpipe *p, int timeout_ms);

/* SIGKILL and reap at once, remove the temp files, free everything. */
void gd_plotpipe_kill(gd_plotpipe *p);

/* Create a new empty file beside `path`, named .<name>.tmpXXXXXX in the
 * same directory (mode 0666 & ~umask), and put its name in out[size]: a
 * file to render into and rename over path once it is complete. */
int gd_plotpipe_sibling(const char *path, char *out, size_t size);

/* mkdir -p: create path and its missing parents (mode 0777 & ~umask). */
int gd_plotpipe_mkdirs(const char *path);

#endif
