/* fileio.h: atomic file writes, the one way gd writes a file that must never
 * be left half-written (weights files, CSV, checkpoints).
 *
 * The data goes to a temporary file ".<name>.XXXXXX" in the target's folder;
 * only after a complete, flushed and fsync'ed write is it renamed over the
 * target.  Any failure removes the temporary file and leaves the old target
 * as it was.  No Lua here.
 */
#ifndef GD_FILEIO_H
#define GD_FILEIO_H

#include <stdio.h>

/* Writes the whole content to f; returns GD_OK or a gd error (gd_seterr). */
typedef int (*gd_file_writer)(FILE *f, void *ctx);

/* Write path atomically through write(f, ctx): GD_OK, or an error whose
 * message says why (strerror or the writer's), the old file intact. */
int gd_file_write_atomic(const char *path, gd_file_writer write, void *ctx);

#endif
