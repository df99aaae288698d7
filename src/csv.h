/* csv.h: a fast reader and writer of numeric CSV (gd.data.read_csv / write_csv).
 *
 * Fields are separated by commas; an empty field, NA, NaN or nan is a
 * missing value (NaN).  Every row must have the first row's field count (or
 * the header's).  Header names are plain or quoted as RFC 4180 ("a,b",
 * "say ""hi"""); data fields are plain numbers.
 * Errors say where: "line 3, column 2: cannot read 'abc' as a number".
 * No Lua here.
 */
#ifndef GD_CSV_H
#define GD_CSV_H

#include <stdio.h>

#include "tensor.h"

/* Parse buf[0..len) (from the first data line) into out, (rows, cols),
 * allocated here; line0 is the file line number of buf's first line; cols is
 * ncols when ncols > 0 (a header's count: every row must have it, and no rows
 * give 0×ncols), else the first row's field count. */
int gd_csv_parse(gd_tensor *out, const char *buf, size_t len, int64_t line0, int64_t ncols);

/* Read the header field at *p (before end) into out (room for end − *p
 * bytes), unescaped and trimmed, its length in *n; *p moves past the comma
 * or the line's end.  Returns 1 if another field follows on the header line,
 * 0 if this was the last, or an error (GD_EARG, a broken quote) as −1. */
int gd_csv_name(const char **p, const char *end, char *out, size_t *n);

/* What gd_csv_write writes: x (1-d: one column, or 2-d with ≥ 1 column) and
 * nnames header names (0: no header line; else one per column). */
typedef struct gd_csv_table {
  const gd_tensor *x;
  int64_t nnames;
  const char *const *names;
  const size_t *lens;
} gd_csv_table;

/* Check t (shape, name count) without writing anything. */
int gd_csv_check(const gd_csv_table *t);
/* A gd_file_writer of the gd_csv_table table: the header (names quoted when
 * needed), then one row a line, %.17g, NaN as an empty field ("NaN" when
 * there is one column, so the line is not blank). */
int gd_csv_write(FILE *f, void *table);

#endif
