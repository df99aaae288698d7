/* csv.c: numeric CSV in one pass over a buffer: count lines, allocate the
 * table once, then strtod each field in place. */
#include "csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* 1 if s[0..n) is a missing-value marker. */
static int is_missing(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  return n == 0 || (n == 2 && memcmp(s, "NA", 2) == 0) ||
         (n == 3 && (memcmp(s, "NaN", 3) == 0 || memcmp(s, "nan", 3) == 0));
}

/* Count fields of the line starting at p (up to end). */
static int64_t count_fields(const char *p, const char *end) {
  int64_t n = 1;
  for (; p < end && *p != '\n'; p++) n += *p == ',';
  return n;
}

int gd_csv_parse(gd_tensor *out, const char *buf, size_t len, int64_t line0) {
  const char *p = buf, *end = buf + len;
  while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) end--;  /* trailing blank lines */
  int64_t rows = 0, cols = 0;
  if (end > p) {
    rows = 1;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) rows++;
    cols = count_fields(p, end);
  }
  int64_t shape[2] = {rows, cols};
  int rc = gd_tensor_alloc(out, 2, shape);
  if (rc) return rc;
  double *d = gd_data(out);
  char tmp[64];
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t c = 0; c < cols; c++) {
      const char *f = p;
      while (p < end && *p != ',' && *p != '\n') p++;
      size_t n = (size_t)(p - f);
      if (n && f[n - 1] == '\r') n--;
      double v;
      if (is_missing(f, n)) {
        v = NAN;
      } else {
        char *e;
        v = strtod(f, &e);      /* stops at the comma, newline or end */
        while (e < f + n && (*e == ' ' || *e == '\t')) e++;
        if (e != f + n) {
          size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
          memcpy(tmp, f, k);
          tmp[k] = 0;
          gd_tensor_release(out);
          return gd_seterr(GD_EARG, "line %lld, column %lld: cannot read '%s' as a number",
                           (long long)(line0 + r), (long long)c + 1, tmp);
        }
      }
      d[r * cols + c] = v;
      int last = c == cols - 1;
      if (!last && (p >= end || *p != ',')) {
        gd_tensor_release(out);
        return gd_seterr(GD_ESHAPE, "line %lld: %lld fields, expected %lld",
                         (long long)(line0 + r), (long long)c + 1, (long long)cols);
      }
      if (last && p < end && *p == ',') {
        gd_tensor_release(out);
        return gd_seterr(GD_ESHAPE, "line %lld: %lld fields, expected %lld",
                         (long long)(line0 + r), (long long)count_fields(p - n, end) + c,
                         (long long)cols);
      }
      p++;   /* past the comma or newline */
    }
  }
  return GD_OK;
}

int gd_csv_write(FILE *f, const gd_tensor *x) {
  if (x->ndim < 1 || x->ndim > 2) return gd_seterr(GD_ESHAPE, "write_csv needs a 1-d or 2-d tensor");
  gd_tensor c;
  gd_tensor_init(&c);
  int rc = gd_contiguous(&c, x);
  if (rc) return rc;
  int64_t rows = x->shape[0], cols = x->ndim == 2 ? x->shape[1] : 1;
  const double *d = gd_data(&c);
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t k = 0; k < cols; k++) {
      double v = d[r * cols + k];
      if (k) fputc(',', f);
      if (!isnan(v)) fprintf(f, "%.17g", v);
    }
    fputc('\n', f);
  }
  gd_tensor_release(&c);
  return ferror(f) ? gd_seterr(GD_EARG, "write failed") : GD_OK;
}
