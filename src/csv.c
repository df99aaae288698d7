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

int gd_csv_parse(gd_tensor *out, const char *buf, size_t len, int64_t line0, int64_t ncols) {
  const char *p = buf, *end = buf + len;
  while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) end--;  /* trailing blank lines */
  int64_t rows = 0, cols = ncols > 0 ? ncols : 0;
  if (end > p) {
    rows = 1;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) rows++;
    if (ncols <= 0) cols = count_fields(p, end);
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

/* 1 if the name s[0..n) must be quoted to read back as it is. */
static int needs_quotes(const char *s, size_t n) {
  if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') return 1;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
  return 0;
}

int gd_csv_name(const char **pp, const char *end, char *out, size_t *n) {
  const char *p = *pp;
  size_t k = 0;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  if (p < end && *p == '"') {
    for (p++;; p++) {
      if (p >= end) {
        gd_seterr(GD_EARG, "header: unterminated quote");
        return -1;
      }
      if (*p == '"') {
        if (p + 1 < end && p[1] == '"') { out[k++] = '"'; p++; continue; }
        p++;
        break;
      }
      out[k++] = *p;
    }
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    if (p < end && *p != ',' && *p != '\n') {
      gd_seterr(GD_EARG, "header: text after the closing quote of \"%.*s\"", (int)k, out);
      return -1;
    }
  } else {
    while (p < end && *p != ',' && *p != '\n') out[k++] = *p++;
    while (k && (out[k - 1] == ' ' || out[k - 1] == '\t' || out[k - 1] == '\r')) k--;
  }
  *n = k;
  int more = p < end && *p == ',';
  *pp = p < end ? p + 1 : p;
  return more;
}

int gd_csv_check(const gd_csv_table *t) {
  const gd_tensor *x = t->x;
  char s[128];
  if (x->ndim < 1 || x->ndim > 2)
    return gd_seterr(GD_ESHAPE, "a 1-d or 2-d tensor expected, got shape %s",
                     gd_shape_str(s, sizeof s, x->ndim, x->shape));
  int64_t cols = x->ndim == 2 ? x->shape[1] : 1;
  if (cols < 1)
    return gd_seterr(GD_ESHAPE, "shape %s has no columns to write", gd_shape_str(s, sizeof s, x->ndim, x->shape));
  if (t->nnames && t->nnames != cols)
    return gd_seterr(GD_ESHAPE, "the header has %lld names for %lld columns (shape %s)", (long long)t->nnames,
                     (long long)cols, gd_shape_str(s, sizeof s, x->ndim, x->shape));
  return GD_OK;
}

/* Write the header line of t (nothing without names). */
static void write_header(FILE *f, const gd_csv_table *t) {
  for (int64_t i = 0; i < t->nnames; i++) {
    const char *s = t->names[i];
    size_t n = t->lens[i];
    if (i) fputc(',', f);
    if (!needs_quotes(s, n)) {
      fwrite(s, 1, n, f);
      continue;
    }
    fputc('"', f);
    for (size_t k = 0; k < n; k++) {
      if (s[k] == '"') fputc('"', f);
      fputc(s[k], f);
    }
    fputc('"', f);
  }
  if (t->nnames) fputc('\n', f);
}

int gd_csv_write(FILE *f, void *table) {
  const gd_csv_table *t = table;
  int rc = gd_csv_check(t);
  if (rc) return rc;
  const gd_tensor *x = t->x;
  gd_tensor c;
  gd_tensor_init(&c);
  rc = gd_contiguous(&c, x);
  if (rc) return rc;
  write_header(f, t);
  int64_t rows = x->shape[0], cols = x->ndim == 2 ? x->shape[1] : 1;
  const double *d = gd_data(&c);
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t k = 0; k < cols; k++) {
      double v = d[r * cols + k];
      if (k) fputc(',', f);
      if (!isnan(v)) fprintf(f, "%.17g", v);
      else if (cols == 1) fputs("NaN", f);
    }
    fputc('\n', f);
  }
  gd_tensor_release(&c);
  return ferror(f) ? gd_seterr(GD_EARG, "write failed") : GD_OK;
}
