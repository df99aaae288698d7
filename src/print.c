/* print.c: numpy's array repr for tensors (np.array2string, 'maxprec').
 *
 * Three passes over the elements that will be shown (all of them, or the
 * `edgeitems` corners of every dim when numel > threshold):
 *   1. magnitudes: scientific notation when max|x| >= 1e8, min|x| < 1e-4
 *      or max/min > 1e3 (over the finite nonzero values);
 *   2. widths: the shortest round-trip digits of each finite value, cut at
 *      `precision` fraction digits, give the widest integer part and the
 *      longest fraction (positional), or the most mantissa digits and
 *      exponent digits (scientific);
 *   3. layout: numpy's _formatArray, rows wrapped at linewidth.
 * Digits come from the C library (exact "%.*e" / "%.*f", correctly rounded)
 * and strtod, and are what numpy's Dragon4 prints: the shortest decimal that
 * reads back as x (at a power of two, the one above when only it does), or
 * x rounded at the cut.  Checked against numpy on ~30000 random arrays.
 * Not a general float formatter: only what the repr of float64 arrays needs.
 */
#include "print.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A double never needs more than ~21 fraction digits in positional mode
 * (|x| >= 1e-4 there) nor 16 in scientific: larger precisions print the same. */
#define PREC_MAX 30
#define WORD 128   /* room for one formatted element */

void gd_printopts_default(gd_printopts *o) {
  o->precision = 8;
  o->threshold = 1000;
  o->edgeitems = 3;
  o->linewidth = 80;
}

/* ---- buffer -------------------------------------------------------------- */

void gd_buf_init(gd_buf *b, char *mem, size_t cap) {
  b->s = cap ? mem : NULL;
  b->cap = b->s ? cap : 0;
  b->len = 0;
  b->heap = 0;
  if (b->cap) b->s[0] = '\0';
}

void gd_buf_free(gd_buf *b) {
  if (b->heap) free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
  b->heap = 0;
}

/* Make room for n more bytes and the NUL. */
static int buf_reserve(gd_buf *b, size_t n) {
  if (b->cap > b->len && n < b->cap - b->len) return GD_OK;
  if (n > ((size_t)-1) / 4 - b->len) return gd_seterr(GD_ENOMEM, "text too large");
  size_t cap = b->cap ? b->cap : 256;
  while (cap <= b->len + n) cap *= 2;
  char *s = b->heap ? realloc(b->s, cap) : malloc(cap);
  if (!s) return gd_seterr(GD_ENOMEM, "not enough memory for the text of a tensor");
  if (!b->heap && b->len) memcpy(s, b->s, b->len);
  b->s = s;
  b->cap = cap;
  b->heap = 1;
  s[b->len] = '\0';
  return GD_OK;
}

int gd_buf_add(gd_buf *b, const char *s, size_t n) {
  if (buf_reserve(b, n)) return GD_ENOMEM;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return GD_OK;
}

/* Append n copies of c. */
static int buf_fill(gd_buf *b, char c, size_t n) {
  if (buf_reserve(b, n)) return GD_ENOMEM;
  memset(b->s + b->len, c, n);
  b->len += n;
  b->s[b->len] = '\0';
  return GD_OK;
}

/* ---- one number ---------------------------------------------------------- */

/* A decimal ±d[0].d[1]...d[k-1] × 10^ex (digits as characters). */
typedef struct dec {
  int neg, k, ex;
  char d[40];
} dec;

/* Read "%e" text ("-1.25e-07") into r. */
static void dec_parse(dec *r, const char *s) {
  r->neg = *s == '-';
  if (r->neg) s++;
  r->k = 0;
  for (; *s && *s != 'e' && r->k < (int)sizeof r->d; s++)
    if (*s != '.') r->d[r->k++] = *s;
  const char *e = strchr(s, 'e');
  r->ex = e ? atoi(e + 1) : 0;
}

/* The value r reads back as (strtod rounds to nearest). */
static double dec_value(const dec *r) {
  char s[64];
  snprintf(s, sizeof s, "%s%c.%.*se%d", r->neg ? "-" : "", r->d[0], r->k - 1, r->d + 1, r->ex);
  return strtod(s, NULL);
}

/* r becomes the next decimal up with as many digits (9.99 → 10.0). */
static void dec_up(dec *r) {
  int i = r->k - 1;
  while (i >= 0 && r->d[i] == '9') r->d[i--] = '0';
  if (i >= 0) {
    r->d[i]++;
  } else {
    r->d[0] = '1';
    r->ex++;
  }
}

/* 1 if a decimal of p significant digits reads back as a (finite, >= 0),
 * in r: the closest one, or, when only the one above does (a power of two,
 * whose gap below is half the gap above), that one. */
static int dec_fits(double a, int p, dec *r) {
  char s[64];
  snprintf(s, sizeof s, "%.*e", p - 1, a);
  dec_parse(r, s);
  double v = strtod(s, NULL);
  if (v == a) return 1;
  if (v > a) return 0;
  dec_up(r);
  return dec_value(r) == a;
}

/* The shortest decimal that reads back as x (finite), as Dragon4 picks it.
 * Fitting is monotone in the digit count, so bisect 1..17. */
static void shortest(double x, dec *r) {
  double a = fabs(x);
  int lo = 1, hi = 17;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (dec_fits(a, mid, r)) hi = mid;
    else lo = mid + 1;
  }
  dec_fits(a, lo, r);
  r->neg = signbit(x) != 0;
}

/* x (finite) with p fraction digits in scientific notation, as numpy's
 * Dragon4 in 'unique' mode: the shortest digits when they number p + 1,
 * else x exactly rounded (fewer digits: the cut; more: min_digits). */
static void sci_digits(double x, int p, dec *r) {
  shortest(x, r);
  if (r->k == p + 1) return;
  char s[96];
  snprintf(s, sizeof s, "%.*e", p, x);
  dec_parse(r, s);
}

/* Append the characters of a NUL-terminated string with bounds. */
typedef struct out { char *s; size_t n, len; } out;
static void out_c(out *o, char c) {
  if (o->len + 1 < o->n) o->s[o->len++] = c;
  o->s[o->len] = '\0';
}

/* x (finite) positionally, as numpy's Dragon4 in 'unique' mode with at most
 * prec fraction digits, trailing zeros trimmed, the point kept: "1.",
 * "-0.25", "0.33333333". */
static int pos_text(char *s, size_t n, double x, int prec) {
  dec r;
  out o = {s, n, 0};
  shortest(x, &r);
  if (r.k - 1 - r.ex > prec) {         /* the cut: x rounded at prec digits */
    int len = snprintf(s, n, "%.*f", prec, x);
    o.len = len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
    if (!memchr(s, '.', o.len)) out_c(&o, '.');
    while (o.s[o.len - 1] == '0') o.s[--o.len] = '\0';
    return (int)o.len;
  }
  if (r.neg) out_c(&o, '-');
  if (r.ex < 0) {
    out_c(&o, '0');
    out_c(&o, '.');
    for (int i = -1; i > r.ex; i--) out_c(&o, '0');
    for (int i = 0; i < r.k; i++) out_c(&o, r.d[i]);
  } else {
    for (int i = 0; i <= r.ex; i++) out_c(&o, i < r.k ? r.d[i] : '0');
    out_c(&o, '.');
    for (int i = r.ex + 1; i < r.k; i++) out_c(&o, r.d[i]);
  }
  return (int)o.len;
}

/* Parts of x (finite) in scientific notation as Dragon4 'unique' with at
 * most prec fraction digits, trailing zeros trimmed: characters before the
 * point, fraction digits, exponent digits. */
static void sci_parts(double x, int prec, int *intlen, int *fraclen, int *expdigits) {
  dec r;
  shortest(x, &r);
  if (r.k - 1 > prec) sci_digits(x, prec, &r);
  int k = r.k;
  while (k > 1 && r.d[k - 1] == '0') k--;
  *intlen = 1 + r.neg;
  *fraclen = k - 1;
  int e = abs(r.ex);
  *expdigits = e >= 100 ? 3 : 2;
}

/* ---- layout of the elements ---------------------------------------------- */

/* How every element is printed: the same widths for all (numpy's FloatingFormat). */
typedef struct layout {
  int sci;          /* scientific notation */
  int prec;         /* fraction digits: the cut (positional) or all of them (scientific) */
  int pad_left;     /* characters before the point */
  int pad_right;    /* characters after the point (scientific: digits, 'e', sign, exponent) */
  int exp_size;     /* exponent digits (scientific) */
} layout;

/* What the scans learn. */
typedef struct scan {
  const layout *f;
  int finite, nonzero, nonfinite, neginf;
  double maxabs, minabs;                /* over finite nonzero values */
  int intlen, fraclen, expdigits;       /* maxima over finite values */
} scan;

typedef void (*visit_fn)(scan *sc, double v);

/* Call fn on each shown element of x from dim d on (edge 0: all elements). */
static void walk(const gd_tensor *x, int d, const double *p, int64_t edge,
                 visit_fn fn, scan *sc) {
  if (d == x->ndim) { fn(sc, *p); return; }
  int64_t n = x->shape[d];
  int summ = edge && n > 2 * edge;
  for (int64_t i = 0; i < n; i++) {
    if (summ && i == edge) i = n - edge;
    walk(x, d + 1, p + i * x->stride[d], edge, fn, sc);
  }
}

static void visit_magnitude(scan *sc, double v) {
  if (!isfinite(v)) {
    sc->nonfinite = 1;
    if (v < 0) sc->neginf = 1;
    return;
  }
  sc->finite = 1;
  double a = fabs(v);
  if (a == 0) return;
  if (!sc->nonzero || a > sc->maxabs) sc->maxabs = a;
  if (!sc->nonzero || a < sc->minabs) sc->minabs = a;
  sc->nonzero = 1;
}

static void visit_width(scan *sc, double v) {
  if (!isfinite(v)) return;
  int il, fl, ed = 0;
  if (sc->f->sci) {
    sci_parts(v, sc->f->prec, &il, &fl, &ed);
  } else {
    char s[WORD];
    int len = pos_text(s, sizeof s, v, sc->f->prec);
    const char *dot = memchr(s, '.', (size_t)len);
    il = dot ? (int)(dot - s) : len;
    fl = dot ? len - il - 1 : 0;
  }
  if (il > sc->intlen) sc->intlen = il;
  if (fl > sc->fraclen) sc->fraclen = fl;
  if (ed > sc->expdigits) sc->expdigits = ed;
}

/* Decide the layout of x's shown elements (numpy's fillFormat). */
static void plan(layout *f, const gd_tensor *x, int64_t edge, int precision) {
  scan sc = {0};
  sc.f = f;
  walk(x, 0, gd_data(x), edge, visit_magnitude, &sc);
  f->sci = sc.nonzero && (sc.maxabs >= 1e8 || sc.minabs < 1e-4 || sc.maxabs / sc.minabs > 1e3);
  f->prec = precision < 0 ? 0 : precision > PREC_MAX ? PREC_MAX : precision;
  f->pad_left = f->pad_right = f->exp_size = 0;
  if (sc.finite) {
    walk(x, 0, gd_data(x), edge, visit_width, &sc);
    f->pad_left = sc.intlen;
    if (f->sci) {
      f->prec = sc.fraclen;
      f->exp_size = sc.expdigits > 2 ? sc.expdigits : 2;
      f->pad_right = f->exp_size + 2 + f->prec;
    } else {
      f->pad_right = sc.fraclen;
    }
  }
  if (sc.nonfinite) {   /* room for "nan", "inf", "-inf" */
    int room = 3 + sc.neginf - (f->pad_right + 1);
    if (room > f->pad_left) f->pad_left = room;
  }
}

/* One element as laid out by f, into s[n]; returns its length. */
static size_t word(char *s, size_t n, double v, const layout *f) {
  out o = {s, n, 0};
  if (!isfinite(v)) {   /* right-aligned in the width of the numbers */
    const char *name = isnan(v) ? "nan" : v < 0 ? "-inf" : "inf";
    for (int i = (int)strlen(name); i < f->pad_left + f->pad_right + 1; i++) out_c(&o, ' ');
    while (*name) out_c(&o, *name++);
    return o.len;
  }
  if (f->sci) {         /* " 1.5000e-05": prec digits, exponent of exp_size digits */
    dec r;
    char e[16];
    sci_digits(v, f->prec, &r);
    for (int i = 1 + r.neg; i < f->pad_left; i++) out_c(&o, ' ');
    if (r.neg) out_c(&o, '-');
    out_c(&o, r.d[0]);
    out_c(&o, '.');
    for (int i = 1; i < r.k; i++) out_c(&o, r.d[i]);
    snprintf(e, sizeof e, "e%c%0*d", r.ex < 0 ? '-' : '+', f->exp_size, abs(r.ex));
    for (const char *c = e; *c; c++) out_c(&o, *c);
    return o.len;
  }
  char t[WORD];         /* "  1.25  ": the point in one column */
  int len = pos_text(t, sizeof t, v, f->prec);
  int il = (int)strcspn(t, "."), fl = len - il - 1;
  for (int i = il; i < f->pad_left; i++) out_c(&o, ' ');
  for (int i = 0; i < len; i++) out_c(&o, t[i]);
  for (int i = fl; i < f->pad_right; i++) out_c(&o, ' ');
  return o.len;
}

/* ---- rows and blocks (numpy's _formatArray) ------------------------------ */

typedef struct writer {
  gd_buf *b;
  const gd_tensor *x;
  const layout *f;
  int64_t edge;       /* items kept at each end of a dim; 0: all */
  size_t line;        /* offset in b where the current line starts */
} writer;

static int newlines(writer *w, int k) {
  if (buf_fill(w->b, '\n', (size_t)k)) return GD_ENOMEM;
  w->line = w->b->len;
  return GD_OK;
}

/* Put a word of the last axis; first wrap to the hanging indent h when the
 * line would pass width and wrapping helps (numpy's _extendLine). */
static int place(writer *w, const char *s, size_t n, int h, int width) {
  gd_buf *b = w->b;
  size_t col = b->len - w->line;
  if (col > (size_t)h && (long long)(col + n) > width) {
    while (b->len > w->line && b->s[b->len - 1] == ' ') b->len--;
    b->s[b->len] = '\0';
    if (newlines(w, 1) || buf_fill(b, ' ', (size_t)h)) return GD_ENOMEM;
  }
  return gd_buf_add(b, s, n);
}

/* Dims d.. of the block at p: "[...]", rows of the last dim wrapped at
 * width - 1, inner blocks indented by h and separated by one newline per
 * dim below them (a blank line between matrices of a 3-d tensor). */
static int rec(writer *w, int d, const double *p, int h, int width) {
  const gd_tensor *x = w->x;
  int64_t n = x->shape[d], edge = w->edge;
  int summ = edge && n > 2 * edge;
  int64_t items = summ ? 2 * edge + 1 : n;
  int inner = x->ndim - d - 1;          /* dims below this one */
  char s[WORD];
  if (gd_buf_add(w->b, "[", 1)) return GD_ENOMEM;
  for (int64_t j = 0; j < items; j++) {
    int gap = summ && j == edge;                      /* the "..." item */
    int64_t i = !summ || j < edge ? j : n - 2 * edge - 1 + j;
    int last = j == items - 1;
    if (inner == 0) {
      int rc = gap ? place(w, "...", 3, h, width - 1)
                   : place(w, s, word(s, sizeof s, p[i * x->stride[d]], w->f), h, width - 1);
      if (rc || (!last && gd_buf_add(w->b, ", ", 2))) return GD_ENOMEM;
    } else {
      if (j > 0 && buf_fill(w->b, ' ', (size_t)h)) return GD_ENOMEM;
      int rc = gap ? gd_buf_add(w->b, "...", 3)
                   : rec(w, d + 1, p + i * x->stride[d], h + 1, width - 1);
      if (rc || (!last && (gd_buf_add(w->b, ",", 1) || newlines(w, inner)))) return GD_ENOMEM;
    }
  }
  return gd_buf_add(w->b, "]", 1);
}

int gd_tensor_format(gd_buf *b, const gd_tensor *x, const char *prefix,
                     const gd_printopts *o) {
  gd_printopts def;
  if (!o) {
    gd_printopts_default(&def);
    o = &def;
  }
  size_t start = b->len, plen = strlen(prefix);
  if (gd_buf_add(b, prefix, plen) || gd_buf_add(b, "(", 1)) return GD_ENOMEM;
  if (!x->st) return gd_buf_add(b, "<closed>)", 9);
  if (x->numel == 0) {       /* numpy: "[]", with the shape unless it is (0,) */
    if (gd_buf_add(b, "[]", 2)) return GD_ENOMEM;
    if (x->ndim != 1) {
      char t[32];
      if (gd_buf_add(b, ", shape=(", 9)) return GD_ENOMEM;
      for (int i = 0; i < x->ndim; i++) {
        int k = snprintf(t, sizeof t, i ? ", %lld" : "%lld", (long long)x->shape[i]);
        if (gd_buf_add(b, t, (size_t)k)) return GD_ENOMEM;
      }
      if (gd_buf_add(b, ")", 1)) return GD_ENOMEM;
    }
    return gd_buf_add(b, ")", 1);
  }
  int64_t edge = o->threshold >= 0 && x->numel > (uint64_t)o->threshold
                 ? (o->edgeitems > 0 ? o->edgeitems : 1) : 0;
  layout f;
  plan(&f, x, edge, o->precision);
  if (x->ndim == 0) {
    char s[WORD];
    if (gd_buf_add(b, s, word(s, sizeof s, *gd_data(x), &f))) return GD_ENOMEM;
  } else {
    writer w = {b, x, &f, edge, start};
    /* numpy: rows hang under the first "[" after "prefix("; the ")" counts
     * against the line width */
    if (rec(&w, 0, gd_data(x), (int)plen + 2, o->linewidth - 1)) return GD_ENOMEM;
  }
  return gd_buf_add(b, ")", 1);
}
