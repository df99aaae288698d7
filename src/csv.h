/* csv.h: a fast reader and writer of numeric CSV (gd.data.read_csv / write_csv).
 *
 * Fields are separated by commas; an empty field, NA, NaN or nan is a
 * missing value (NaN).  Every row must have the first row's field count.
 * Errors say where: "line 3, column 2: cannot read 'abc' as a number".
 * No Lua here.
 */
#ifndef GD_CSV_H
#define GD_CSV_H

#include <stdio.h>

#include "tensor.h"

/* Parse buf[0..len) (from the first data line) into out, (rows, cols),
 * allocated here; line0 is the file line number of buf's first line. */
int gd_csv_parse(gd_tensor *out, const char *buf, size_t len, int64_t line0);
/* Write x (1-d: one column, or 2-d) to f, one row a line, %.17g, NaN as empty. */
int gd_csv_write(FILE *f, const gd_tensor *x);

#endif
