/* tests/helpers/stalled_display.c: a display server that accepts
 * connections and never answers, for the plot spec's no-hang check.
 * usage: stalled_display SOCKET_PATH SECONDS — listens on the unix socket
 * SOCKET_PATH for SECONDS, accepting and holding every connection silently,
 * then removes the socket and exits. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s SOCKET_PATH SECONDS\n", argv[0]); return 2; }
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (strlen(argv[1]) >= sizeof a.sun_path) return 2;
  strcpy(a.sun_path, argv[1]);
  unlink(argv[1]);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) {
    perror("stalled_display");
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  time_t end = time(NULL) + atoi(argv[2]);
  while (time(NULL) < end) {
    struct pollfd p = { .fd = s, .events = POLLIN };
    if (poll(&p, 1, 200) > 0) (void)accept(s, NULL, NULL);   /* held open, never read */
  }
  unlink(argv[1]);
  return 0;
}
