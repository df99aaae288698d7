/* kernels.c: elementwise maps, broadcasting binary ops and reductions.
 *
 * The per-op code is one expression (e.g. `x + y`) expanded by a macro into
 * an inner loop with four paths: all contiguous, scalar right, scalar left,
 * and general strides.  gd_iter merges dims, so contiguous tensors of any
 * rank run the flat path.  Not here: matmul (blas.c), views (shape.c).
 */
#include "kernels.h"
#include "specfun.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

/* ---- scalar definitions ------------------------------------------------ */

/* Lua's floor modulo for floats: the result has the sign of b. */
static inline double fmodfloor(double a, double b) {
  double m = fmod(a, b);
  if (m != 0 && (m < 0) != (b < 0)) m += b;
  return m;
}
static inline double fmaxnan(double a, double b) { return (a != a || a > b) ? a : (b != b ? b : (a == b ? a : b)); }
static inline double fminnan(double a, double b) { return (a != a || a < b) ? a : (b != b ? b : (a == b ? a : b)); }
static inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}
static inline double softplus(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}
static inline double signf(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }
/* pow with the exactly representable cases done directly (same results). */
static inline double powq(double x, double y) {
  return y == 2.0 ? x * x : y == 1.0 ? x : y == 0.0 ? 1.0 : y == -1.0 ? 1.0 / x : pow(x, y);
}

#define BINOPS(X) \
  X(ADD, add, x + y) X(SUB, sub, x - y) X(MUL, mul, x * y) X(DIV, div, x / y) \
  X(POW, pow, powq(x, y)) X(MOD, mod, fmodfloor(x, y)) \
  X(MAX, maximum, fmaxnan(x, y)) X(MIN, minimum, fminnan(x, y)) \
  X(LT, lt, (double)(x < y)) X(LE, le, (double)(x <= y)) X(GT, gt, (double)(x > y)) \
  X(GE, ge, (double)(x >= y)) X(EQ, eq, (double)(x == y)) X(NE, ne, (double)(x != y))

#define UNOPS(X) \
  X(NEG, neg, -x) X(EXP, exp, exp(x)) X(LOG, log, log(x)) X(LOG1P, log1p, log1p(x)) \
  X(EXPM1, expm1, expm1(x)) X(SQRT, sqrt, sqrt(x)) X(ABS, abs, fabs(x)) \
  X(SIN, sin, sin(x)) X(COS, cos, cos(x)) X(TAN, tan, tan(x)) X(TANH, tanh, tanh(x)) \
  X(SIGMOID, sigmoid, sigmoid(x)) X(RELU, relu, (x > 0 ? x : (x != x ? x : 0.0))) \
  X(SOFTPLUS, softplus, softplus(x)) X(SIGN, sign, signf(x)) X(FLOOR, floor, floor(x)) \
  X(CEIL, ceil, ceil(x)) X(ROUND, round, nearbyint(x)) X(SQUARE, square, x * x) \
  X(COPY, copy, x) \
  X(ERF, erf, erf(x)) X(ERFC, erfc, erfc(x)) X(LGAMMA, lgamma, gd_lgamma(x)) \
  X(DIGAMMA, digamma, gd_digamma(x)) X(TRIGAMMA, trigamma, gd_trigamma(x)) \
  X(LOG10, log10, log10(x)) X(LOG2, log2, log2(x))

const char *gd_binop_name(gd_binop op) {
  static const char *const names[] = {
#define X(E, n, expr) #n,
    BINOPS(X)
#undef X
  };
  return (unsigned)op < GD_BIN_COUNT ? names[op] : "?";
}

const char *gd_unop_name(gd_unop op) {
  static const char *const names[] = {
#define X(E, n, expr) #n,
    UNOPS(X)
#undef X
  };
  return (unsigned)op < GD_UN_COUNT ? names[op] : "?";
}

const char *gd_redop_name(gd_redop op) {
  static const char *const names[] = {"sum", "mean", "var", "std", "max", "min", "prod",
                                      "logsumexp", "norm", "argmax", "argmin"};
  return (unsigned)op < GD_RED_COUNT ? names[op] : "?";
}

double gd_binop_scalar(gd_binop op, double x, double y) {
  switch (op) {
#define X(E, n, expr) case GD_BIN_##E: return expr;
    BINOPS(X)
#undef X
    default: return NAN;
  }
}

double gd_unop_scalar(gd_unop op, double x) {
  switch (op) {
#define X(E, n, expr) case GD_UN_##E: return expr;
    UNOPS(X)
#undef X
    default: return NAN;
  }
}

/* ---- inner loops --------------------------------------------------------- */

#define X(E, n, expr)                                                          \
  GD_CLONES static void bin_##n(void *ctx, int64_t cnt, double **p, const int64_t *s) {  \
    (void)ctx;                                                                 \
    double *restrict o = p[0];                                                 \
    const double *a = p[1], *b = p[2];                                         \
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {                                 \
      for (int64_t i = 0; i < cnt; i++) { double x = a[i], y = b[i]; o[i] = expr; } \
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {                          \
      const double y = *b;                                                     \
      for (int64_t i = 0; i < cnt; i++) { double x = a[i]; o[i] = expr; }      \
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {                          \
      const double x = *a;                                                     \
      for (int64_t i = 0; i < cnt; i++) { double y = b[i]; o[i] = expr; }      \
    } else {                                                                   \
      for (int64_t i = 0; i < cnt; i++) {                                      \
        double x = a[i * s[1]], y = b[i * s[2]]; o[i * s[0]] = expr;           \
      }                                                                        \
    }                                                                          \
  }
BINOPS(X)
#undef X

#define X(E, n, expr)                                                          \
  GD_CLONES static void un_##n(void *ctx, int64_t cnt, double **p, const int64_t *s) {   \
    (void)ctx;                                                                 \
    double *o = p[0];                                                          \
    const double *a = p[1];                                                    \
    if (s[0] == 1 && s[1] == 1) {                                              \
      for (int64_t i = 0; i < cnt; i++) { double x = a[i]; o[i] = expr; }      \
    } else {                                                                   \
      for (int64_t i = 0; i < cnt; i++) { double x = a[i * s[1]]; o[i * s[0]] = expr; } \
    }                                                                          \
  }
UNOPS(X)
#undef X

/* The transcendental maps over contiguous data use the vectorized kernels of vmath*.c. */
#define FAST(n, vec)                                                              \
  static void un_##n##_fast(void *ctx, int64_t cnt, double **p, const int64_t *s) { \
    if (s[0] == 1 && s[1] == 1) vec(p[0], p[1], cnt);                             \
    else un_##n(ctx, cnt, p, s);                                                  \
  }
FAST(exp, gd_vexp)
FAST(log, gd_vlog)
FAST(log1p, gd_vlog1p)
FAST(sigmoid, gd_vsigmoid)
FAST(expm1, gd_vexpm1)
FAST(tanh, gd_vtanh)
FAST(softplus, gd_vsoftplus)
FAST(sqrt, gd_vsqrt)
FAST(sin, gd_vsin)
FAST(cos, gd_vcos)
FAST(tan, gd_vtan)
FAST(erf, gd_verf)
#undef FAST

/* x ^ scalar over contiguous x: gd_vpow. */
static void bin_pow_fast(void *ctx, int64_t cnt, double **p, const int64_t *s) {
  if (s[0] == 1 && s[1] == 1 && s[2] == 0) gd_vpow(p[0], p[1], *p[2], cnt);
  else bin_pow(ctx, cnt, p, s);
}

static const gd_iter_fn binfns[] = {
#define X(E, n, expr) bin_##n,
    BINOPS(X)
#undef X
};

static gd_iter_fn unfns[] = {
#define X(E, n, expr) un_##n,
    UNOPS(X)
#undef X
};

/* The loop for op: the vectorized one where there is one. */
static gd_iter_fn unfn(gd_unop op) {
  switch (op) {
    case GD_UN_EXP: return un_exp_fast;
    case GD_UN_LOG: return un_log_fast;
    case GD_UN_LOG1P: return un_log1p_fast;
    case GD_UN_SIGMOID: return un_sigmoid_fast;
    case GD_UN_EXPM1: return un_expm1_fast;
    case GD_UN_TANH: return un_tanh_fast;
    case GD_UN_SOFTPLUS: return un_softplus_fast;
    case GD_UN_SQRT: return un_sqrt_fast;
    case GD_UN_SIN: return un_sin_fast;
    case GD_UN_COS: return un_cos_fast;
    case GD_UN_TAN: return un_tan_fast;
    case GD_UN_ERF: return un_erf_fast;
    default: return unfns[op];
  }
}

/* The loop for a binary op: pow by a scalar has a vectorized one. */
static gd_iter_fn binfn(gd_binop op) { return op == GD_BIN_POW ? bin_pow_fast : binfns[op]; }

/* ---- drivers ------------------------------------------------------------- */

static void run2(gd_tensor *out, const gd_tensor *a, gd_iter_fn fn) {
  const int64_t *st[2] = {out->stride, a->stride};
  int64_t sa[GD_MAXDIM];
  if (!gd_shape_eq(out->ndim, out->shape, a->ndim, a->shape)) {
    gd_broadcast_strides(a, out->ndim, out->shape, sa);
    st[1] = sa;
  }
  gd_iter it;
  gd_iter_init(&it, 2, out->ndim, out->shape, st);
  double *base[2] = {gd_data(out), gd_data(a)};
  gd_iter_run(&it, base, fn, NULL);
}

void gd_binary_flat(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  double *p[3] = {gd_data(out), gd_data(a), gd_data(b)};
  const int64_t s[3] = {1, a->ndim ? 1 : 0, b->ndim ? 1 : 0};
  binfn(op)(NULL, (int64_t)out->numel, p, s);
  gd_touch(out);
}

int gd_binary_into(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  if ((unsigned)op >= GD_BIN_COUNT) return gd_seterr(GD_EARG, "unknown binary op");
  if (gd_is_contig(out) && gd_is_contig(a) && gd_is_contig(b) &&
      (a->ndim == 0 || gd_shape_eq(a->ndim, a->shape, out->ndim, out->shape)) &&
      (b->ndim == 0 || gd_shape_eq(b->ndim, b->shape, out->ndim, out->shape))) {
    gd_binary_flat(out, op, a, b);          /* one flat loop */
    return GD_OK;
  }
  int64_t sa[GD_MAXDIM], sb[GD_MAXDIM];
  gd_broadcast_strides(a, out->ndim, out->shape, sa);
  gd_broadcast_strides(b, out->ndim, out->shape, sb);
  const int64_t *st[3] = {out->stride, sa, sb};
  gd_iter it;
  gd_iter_init(&it, 3, out->ndim, out->shape, st);
  double *base[3] = {gd_data(out), gd_data(a), gd_data(b)};
  gd_iter_run(&it, base, binfn(op), NULL);
  gd_touch(out);
  return GD_OK;
}

int gd_binary(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  /* the common cases in one flat loop: equal shapes, or a 0-d operand */
  if ((unsigned)op < GD_BIN_COUNT && gd_is_contig(a) && gd_is_contig(b) &&
      (a->ndim == 0 || b->ndim == 0 || gd_shape_eq(a->ndim, a->shape, b->ndim, b->shape))) {
    const gd_tensor *big = a->ndim ? a : b;
    int rc = gd_tensor_alloc(out, big->ndim, big->shape);
    if (rc) return rc;
    double *p[3] = {gd_data(out), gd_data(a), gd_data(b)};
    const int64_t s[3] = {1, a->ndim || !b->ndim ? 1 : 0, b->ndim || !a->ndim ? 1 : 0};
    binfn(op)(NULL, (int64_t)out->numel, p, s);
    return GD_OK;
  }
  int nd;
  int64_t shape[GD_MAXDIM];
  int rc = gd_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &nd, shape);
  if (rc) return rc;
  if ((rc = gd_tensor_alloc(out, nd, shape))) return rc;
  return gd_binary_into(out, op, a, b);
}

int gd_unary_into(gd_tensor *out, gd_unop op, const gd_tensor *x) {
  if ((unsigned)op >= GD_UN_COUNT) return gd_seterr(GD_EARG, "unknown unary op");
  run2(out, x, unfn(op));
  gd_touch(out);
  return GD_OK;
}

int gd_unary(gd_tensor *out, gd_unop op, const gd_tensor *x) {
  int rc = gd_tensor_alloc(out, x->ndim, x->shape);
  if (rc) return rc;
  return gd_unary_into(out, op, x);
}

int gd_copy_into(gd_tensor *dst, const gd_tensor *src) {
  int nd;
  int64_t shape[GD_MAXDIM];
  int rc = gd_broadcast_shape(dst->ndim, dst->shape, src->ndim, src->shape, &nd, shape);
  if (rc || !gd_shape_eq(nd, shape, dst->ndim, dst->shape)) {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "cannot assign shape %s into shape %s",
                     gd_shape_str(a, sizeof a, src->ndim, src->shape),
                     gd_shape_str(b, sizeof b, dst->ndim, dst->shape));
  }
  if (src->st == dst->st && src->numel > 1 && !(src->off == dst->off &&
      gd_shape_eq(src->ndim, src->stride, dst->ndim, dst->stride))) {
    gd_tensor tmp;                         /* overlapping storage: copy first */
    gd_tensor_init(&tmp);
    if ((rc = gd_contiguous(&tmp, src))) return rc;
    run2(dst, &tmp, un_copy);
    gd_tensor_release(&tmp);
  } else {
    run2(dst, src, un_copy);
  }
  gd_touch(dst);
  return GD_OK;
}

int gd_contiguous(gd_tensor *out, const gd_tensor *x) {
  int rc = gd_tensor_alloc(out, x->ndim, x->shape);
  if (rc) return rc;
  run2(out, x, un_copy);
  return GD_OK;
}

static void fill_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  double v = *(double *)ctx, *o = p[0];
  if (s[0] == 1) for (int64_t i = 0; i < n; i++) o[i] = v;
  else for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;
}

void gd_fill(gd_tensor *t, double v) {
  const int64_t *st[1] = {t->stride};
  gd_iter it;
  gd_iter_init(&it, 1, t->ndim, t->shape, st);
  double *base[1] = {gd_data(t)};
  gd_iter_run(&it, base, fill_fn, &v);
  gd_touch(t);
}

static void where_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  (void)ctx;
  for (int64_t i = 0; i < n; i++)
    p[0][i * s[0]] = p[1][i * s[1]] != 0 ? p[2][i * s[2]] : p[3][i * s[3]];
}

int gd_where(gd_tensor *out, const gd_tensor *c, const gd_tensor *a, const gd_tensor *b) {
  int n1, n2;
  int64_t s1[GD_MAXDIM], s2[GD_MAXDIM];
  int rc = gd_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &n1, s1);
  if (rc) return rc;
  if ((rc = gd_broadcast_shape(c->ndim, c->shape, n1, s1, &n2, s2))) return rc;
  if ((rc = gd_tensor_alloc(out, n2, s2))) return rc;
  int64_t sc[GD_MAXDIM], sa[GD_MAXDIM], sb[GD_MAXDIM];
  gd_broadcast_strides(c, n2, s2, sc);
  gd_broadcast_strides(a, n2, s2, sa);
  gd_broadcast_strides(b, n2, s2, sb);
  const int64_t *st[4] = {out->stride, sc, sa, sb};
  gd_iter it;
  gd_iter_init(&it, 4, n2, s2, st);
  double *base[4] = {gd_data(out), gd_data(c), gd_data(a), gd_data(b)};
  gd_iter_run(&it, base, where_fn, NULL);
  return GD_OK;
}

/* ---- reductions ---------------------------------------------------------- */

/* Pairwise summation: blocks of 128 summed with 8 accumulators. */
double gd_sum_line(const double *x, int64_t n, int64_t s) {
  if (n <= 128) {
    if (n < 8) {
      double r = 0;
      for (int64_t i = 0; i < n; i++) r += x[i * s];
      return r;
    }
    double r[8];
    for (int k = 0; k < 8; k++) r[k] = x[k * s];
    int64_t i = 8;
    if (s == 1) {
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) r[k] += x[i + k];
    } else {
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) r[k] += x[(i + k) * s];
    }
    double t = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) t += x[i * s];
    return t;
  }
  int64_t h = (n / 2) & ~(int64_t)7;
  return gd_sum_line(x, h, s) + gd_sum_line(x + h * s, n - h, s);
}

typedef struct redctx {
  gd_redop op;
  int64_t len, step;    /* line length and stride along the reduced dim */
  double ddof;
} redctx;

static double sumsq_line(const double *x, int64_t n, int64_t s, double m) {
  /* pairwise sum of (x - m)^2 */
  if (n <= 128) {
    double r = 0;
    for (int64_t i = 0; i < n; i++) { double d = x[i * s] - m; r += d * d; }
    return r;
  }
  int64_t h = n / 2;
  return sumsq_line(x, h, s, m) + sumsq_line(x + h * s, n - h, s, m);
}

/* Reduce one line; *pos gets the arg position for argmax/argmin/max/min. */
static double reduce_line(const redctx *c, const double *x, double *pos) {
  int64_t n = c->len, s = c->step;
  switch (c->op) {
    case GD_RED_SUM: return gd_sum_line(x, n, s);
    case GD_RED_MEAN: return gd_sum_line(x, n, s) / (double)n;
    case GD_RED_VAR: case GD_RED_STD: {
      double m = gd_sum_line(x, n, s) / (double)n;
      double den = (double)n - c->ddof;      /* as numpy: max(n − ddof, 0), so inf or NaN */
      double v = sumsq_line(x, n, s, m) / (den > 0 ? den : 0.0);
      return c->op == GD_RED_STD ? sqrt(v) : v;
    }
    case GD_RED_PROD: {
      double r = 1;
      for (int64_t i = 0; i < n; i++) r *= x[i * s];
      return r;
    }
    case GD_RED_NORM: {
      double amax = 0;
      for (int64_t i = 0; i < n; i++) {
        double a = fabs(x[i * s]);
        if (a > amax || a != a) amax = a;
      }
      if (amax == 0 || amax != amax || isinf(amax)) return amax;
      double r = 0;   /* scaled to avoid overflow and underflow */
      for (int64_t i = 0; i < n; i++) { double d = x[i * s] / amax; r += d * d; }
      return amax * sqrt(r);
    }
    case GD_RED_LOGSUMEXP: {
      double m = -INFINITY;
      for (int64_t i = 0; i < n; i++) m = fmaxnan(m, x[i * s]);
      if (m != m) return m;
      if (isinf(m)) return m;    /* all -inf → -inf; any +inf → +inf */
      double r = 0;
      for (int64_t i = 0; i < n; i++) r += exp(x[i * s] - m);
      return m + log(r);
    }
    case GD_RED_MAX: case GD_RED_ARGMAX: case GD_RED_MIN: case GD_RED_ARGMIN: {
      int ismax = c->op == GD_RED_MAX || c->op == GD_RED_ARGMAX;
      double best = x[0];
      int64_t bi = 0;
      if (best == best) {
        for (int64_t i = 1; i < n; i++) {
          double v = x[i * s];
          if (v != v) { best = v; bi = i; break; }   /* NaN wins, as numpy */
          if (ismax ? v > best : v < best) { best = v; bi = i; }
        }
      }
      *pos = (double)bi;
      return (c->op == GD_RED_ARGMAX || c->op == GD_RED_ARGMIN) ? (double)bi : best;
    }
    default: return NAN;
  }
}

static void reduce_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  const redctx *c = ctx;
  double pos = 0;
  for (int64_t i = 0; i < n; i++) {
    p[0][i * s[0]] = reduce_line(c, p[2] + i * s[2], &pos);
    p[1][i * s[1]] = pos;
  }
}

static void reduce_noidx_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  const redctx *c = ctx;
  double pos = 0;
  for (int64_t i = 0; i < n; i++) p[0][i * s[0]] = reduce_line(c, p[1] + i * s[1], &pos);
}

int gd_reduce_shape(const gd_tensor *x, int dim, int keepdim, int *nd, int64_t *shape) {
  int n = 0;
  if (dim >= x->ndim) return gd_seterr(GD_EARG, "dim %d out of range", dim + 1);
  for (int i = 0; i < x->ndim; i++) {
    if (dim < 0 || i == dim) {
      if (keepdim) shape[n++] = 1;
    } else {
      shape[n++] = x->shape[i];
    }
  }
  *nd = n;
  return GD_OK;
}

int gd_reduce_into(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                   int dim, int keepdim, double ddof) {
  if ((unsigned)op >= GD_RED_COUNT) return gd_seterr(GD_EARG, "unknown reduction");
  int needs_nonempty = op == GD_RED_MAX || op == GD_RED_MIN || op == GD_RED_ARGMAX ||
                       op == GD_RED_ARGMIN;
  redctx c = {op, 0, 0, ddof};
  int rc;
  if (dim < 0) {                          /* all elements */
    if (needs_nonempty && x->numel == 0)
      return gd_seterr(GD_EARG, "%s of an empty tensor", gd_redop_name(op));
    gd_tensor tmp;
    gd_tensor_init(&tmp);
    const gd_tensor *src = x;
    if (!gd_is_contig(x)) {
      if ((rc = gd_contiguous(&tmp, x))) return rc;
      src = &tmp;
    }
    c.len = (int64_t)x->numel;
    c.step = 1;
    double pos = 0;
    gd_data(out)[0] = x->numel ? reduce_line(&c, gd_data(src), &pos)
                               : reduce_line(&c, &pos, &pos);
    gd_tensor_release(&tmp);
    if (idx) gd_data(idx)[0] = pos;
    gd_touch(out);
    return GD_OK;
  }
  if (dim >= x->ndim) return gd_seterr(GD_EARG, "dim %d out of range", dim + 1);
  if (needs_nonempty && x->shape[dim] == 0)
    return gd_seterr(GD_EARG, "%s over an empty dim", gd_redop_name(op));
  int64_t xs[GD_MAXDIM];
  int ond = 0;
  for (int i = 0; i < x->ndim; i++) {
    if (i == dim) {
      if (keepdim) xs[ond++] = 0;
      continue;
    }
    xs[ond++] = x->stride[i];
  }
  c.len = x->shape[dim];
  c.step = c.len ? x->stride[dim] : 0;
  double zero = 0;
  double *xb = c.len ? gd_data(x) : &zero;
  gd_iter it;
  if (idx) {
    const int64_t *st[3] = {out->stride, idx->stride, xs};
    gd_iter_init(&it, 3, out->ndim, out->shape, st);
    double *base[3] = {gd_data(out), gd_data(idx), xb};
    gd_iter_run(&it, base, reduce_fn, &c);
  } else {
    const int64_t *st[2] = {out->stride, xs};
    gd_iter_init(&it, 2, out->ndim, out->shape, st);
    double *base[2] = {gd_data(out), xb};
    gd_iter_run(&it, base, reduce_noidx_fn, &c);
  }
  gd_touch(out);
  return GD_OK;
}

int gd_reduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
              int dim, int keepdim, double ddof) {
  int nd, rc;
  int64_t shape[GD_MAXDIM];
  if ((rc = gd_reduce_shape(x, dim, keepdim, &nd, shape))) return rc;
  if ((rc = gd_tensor_alloc(out, nd, shape))) return rc;
  if (idx && (rc = gd_tensor_alloc(idx, nd, shape))) return rc;
  return gd_reduce_into(out, idx, op, x, dim, keepdim, ddof);
}
