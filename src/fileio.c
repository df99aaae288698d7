/* fileio.c: write to a temporary file beside the target, then rename it over
 * the target (rename is atomic within a folder, so readers see the old file
 * or the new one, never a part). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensor.h"

static int sys_error(int err) { return gd_seterr(GD_EARG, "%s", strerror(err)); }

/* The temporary name ".<base>.XXXXXX" in path's folder (malloc'ed), or NULL. */
static char *temp_name(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
  const char *base = path + dirlen;
  size_t n = dirlen + 1 + strlen(base) + 8 + 1;
  char *t = malloc(n);
  if (t) {
    memcpy(t, path, dirlen);
    snprintf(t + dirlen, n - dirlen, ".%s.XXXXXX", base);
  }
  return t;
}

/* Mode for the new file: the old file's, else 0666 less the umask (as fopen). */
static mode_t new_mode(const char *path) {
  struct stat s;
  if (stat(path, &s) == 0) return s.st_mode & 07777;
  mode_t m = umask(0);
  umask(m);
  return 0666 & ~m;
}

/* Make the rename durable: fsync the folder (best effort). */
static void sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else if ((size_t)(slash - path) < sizeof dir) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  else return;
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

int gd_file_write_atomic(const char *path, gd_file_writer write, void *ctx) {
  if (!path || !*path) return gd_seterr(GD_EARG, "empty path");
  struct stat s;
  if (stat(path, &s) == 0 && S_ISDIR(s.st_mode)) return sys_error(EISDIR);
  char *tmp = temp_name(path);
  if (!tmp) return gd_seterr(GD_ENOMEM, "out of memory");
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return sys_error(e);
  }
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    int e = errno;
    close(fd);
    unlink(tmp);
    free(tmp);
    return sys_error(e);
  }
  errno = 0;
  int rc = write(f, ctx);
  /* an I/O failure reports the system's reason, not the writer's "write failed" */
  int e = fflush(f) != 0 || ferror(f) ? (errno ? errno : EIO) : 0;
  if (!rc && !e && fchmod(fd, new_mode(path)) != 0) e = errno;
  if (!rc && !e && fsync(fd) != 0) e = errno;
  if (fclose(f) != 0 && !e) e = errno ? errno : EIO;
  if (!rc && !e && rename(tmp, path) != 0) e = errno;
  if (e) rc = sys_error(e);
  if (rc) unlink(tmp);
  else sync_dir(path);
  free(tmp);
  return rc;
}
