/* plotenv.c: the terminal's size and a bounded probe of the display
 * server (see plotenv.h). */
#include "plotenv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int gd_plotenv_ttysize(int fd, int *cols, int *rows) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return -1;
  *cols = ws.ws_col;
  *rows = ws.ws_row;
  return 0;
}

/* Connect fd to addr without blocking past timeout_ms: 0 when connected. */
static int connect_within(int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
  if (connect(fd, addr, len) == 0) return 0;
  if (errno != EINPROGRESS && errno != EAGAIN) return -1;
  struct pollfd pf = { .fd = fd, .events = POLLOUT };
  int r;
  do r = poll(&pf, 1, timeout_ms); while (r < 0 && errno == EINTR);
  if (r == 0) { errno = ETIMEDOUT; return -1; }
  if (r < 0) return -1;
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) return -1;
  if (err) { errno = err; return -1; }
  return 0;
}

/* The server on connected fd answers req within timeout_ms: it sends at
 * least one byte back.  A server that accepts connections but is stalled
 * would otherwise pass a connect-only probe and hang gnuplot's window
 * terminal. */
static int replies(int fd, const void *req, size_t n, int timeout_ms) {
  ssize_t w;
  do w = send(fd, req, n, MSG_NOSIGNAL); while (w < 0 && errno == EINTR);
  if (w != (ssize_t)n) return 0;
  struct pollfd pf = { .fd = fd, .events = POLLIN };
  int r;
  do r = poll(&pf, 1, timeout_ms); while (r < 0 && errno == EINTR);
  if (r == 0) { errno = ETIMEDOUT; return 0; }
  if (r < 0) return 0;
  unsigned char b;
  ssize_t got;
  do got = recv(fd, &b, 1, 0); while (got < 0 && errno == EINTR);
  if (got == 1) return 1;
  if (got == 0) errno = ECONNRESET;
  return 0;
}

/* The X11 connection setup (little-endian, protocol 11.0, no auth): any
 * reply (success, failure or authenticate) means an X server is there. */
static const unsigned char X11_SETUP[12] = { 'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
/* Wayland's wl_display.sync(new callback id 2), in host byte order: the
 * compositor answers with wl_callback.done. */
static const uint32_t WL_SYNC[3] = { 1, (12u << 16) | 0u, 2 };

/* A unix socket at path (abstract when abstract is nonzero) answers req. */
static int unix_answers(const char *path, int abstract, const void *req, size_t reqn,
                        int timeout_ms) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  size_t n = strlen(path), off = abstract ? 1 : 0;
  if (n + off >= sizeof a.sun_path) { errno = ENAMETOOLONG; return 0; }
  memcpy(a.sun_path + off, path, n);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + off + n);
  int ok = connect_within(fd, (struct sockaddr *)&a, len, timeout_ms) == 0 &&
           replies(fd, req, reqn, timeout_ms);
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

/* An X server at host:port over TCP answers the connection setup. */
static int tcp_answers(const char *host, int port, int timeout_ms) {
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, ps, &hints, &res) != 0 || !res) { errno = EHOSTUNREACH; return 0; }
  int ok = 0;
  for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    ok = connect_within(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == 0 &&
         replies(fd, X11_SETUP, sizeof X11_SETUP, timeout_ms);
    int saved = errno;
    close(fd);
    errno = saved;
  }
  freeaddrinfo(res);
  return ok;
}

int gd_plotenv_display_answers(const char *display, int wayland, int timeout_ms,
                               char *why, unsigned size) {
  char path[512];
  if (!display || !*display) { snprintf(why, size, "no display named"); return 0; }
  if (wayland) {
    const char *dir = getenv("XDG_RUNTIME_DIR");
    if (display[0] == '/') snprintf(path, sizeof path, "%s", display);
    else if (dir && *dir) snprintf(path, sizeof path, "%s/%s", dir, display);
    else { snprintf(why, size, "XDG_RUNTIME_DIR is not set"); return 0; }
    if (unix_answers(path, 0, WL_SYNC, sizeof WL_SYNC, timeout_ms)) return 1;
    snprintf(why, size, "%s: %s", path, strerror(errno));
    return 0;
  }
  const char *colon = strrchr(display, ':');
  if (!colon) { snprintf(why, size, "not of the form [host]:n"); return 0; }
  char *end;
  long n = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || n < 0 || n > 60000) { snprintf(why, size, "no display number"); return 0; }
  size_t hl = (size_t)(colon - display);
  char host[256];
  if (hl >= sizeof host) { snprintf(why, size, "host name too long"); return 0; }
  memcpy(host, display, hl);
  host[hl] = '\0';
  if (hl == 0 || strcmp(host, "unix") == 0) {
    snprintf(path, sizeof path, "/tmp/.X11-unix/X%ld", n);
    if (unix_answers(path, 0, X11_SETUP, sizeof X11_SETUP, timeout_ms)) return 1;
    /* the abstract socket only when the file one is absent, not stalled */
    if (errno != ETIMEDOUT && unix_answers(path, 1, X11_SETUP, sizeof X11_SETUP, timeout_ms))
      return 1;
    snprintf(why, size, "%s: %s", path, strerror(errno));
    return 0;
  }
  if (tcp_answers(host, 6000 + (int)n, timeout_ms)) return 1;
  snprintf(why, size, "%s port %ld: %s", host, 6000 + n, strerror(errno));
  return 0;
}
