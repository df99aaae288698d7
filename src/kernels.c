/* kernels.c: elementwise maps, broadcasting binary ops and reductions.
 *
 * The per-op code is one expression (e.g. `x + y`) expanded by a macro into
 * an inner loop with four paths: all contiguous, scalar right, scalar left,
 * and general strides.  gd_iter merges dims, so contiguous tensors of any
 * rank run the flat path; views run in their memory order (kloop).
 * Not here: reductions (reduce.c), matmul (blas.c), views (shape.c).
 */
#include "kernels.h"
#include "specfun.h"
#include "threads.h"
#include "vmath.h"

#include <math.h>
#include <string.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>   /* non-temporal stores of the transposed strips */
#endif

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

/* A binary loop with constant operand strides (the compiler vectorizes
 * stride 2, the halves of interleaved data such as x[1::2], as it does 1). */
#define BIN_LOOP(SA, SB, EXPR) \
  for (int64_t i = 0; i < cnt; i++) { double x = a[i * (SA)], y = b[i * (SB)]; o[i] = EXPR; }

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
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 0) {                          \
      const double x = *a, y = *b, r = expr;                                   \
      for (int64_t i = 0; i < cnt; i++) o[i] = r;                              \
    } else if (s[0] == 1 && s[1] == 2 && s[2] == 2) {                          \
      BIN_LOOP(2, 2, expr)                                                     \
    } else if (s[0] == 1 && s[1] == 2 && s[2] == 1) {                          \
      BIN_LOOP(2, 1, expr)                                                     \
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 2) {                          \
      BIN_LOOP(1, 2, expr)                                                     \
    } else if (s[0] == 1 && s[1] == 2 && s[2] == 0) {                          \
      const double y = *b;                                                     \
      for (int64_t i = 0; i < cnt; i++) { double x = a[2 * i]; o[i] = expr; }  \
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 2) {                          \
      const double x = *a;                                                     \
      for (int64_t i = 0; i < cnt; i++) { double y = b[2 * i]; o[i] = expr; }  \
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
    } else if (s[0] == 1 && s[1] == 2) {                                       \
      for (int64_t i = 0; i < cnt; i++) { double x = a[2 * i]; o[i] = expr; }  \
    } else if (s[0] == 2 && s[1] == 1) {                                       \
      for (int64_t i = 0; i < cnt; i++) { double x = a[i]; o[2 * i] = expr; }  \
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

/* ---- iteration order ------------------------------------------------------
 *
 * Elementwise loops walk the lead operand (the first input, or the output
 * when its order puts more operands at unit stride: pick_lead) in its memory
 * order: dims sorted by its strides, largest outermost, so a permuted or
 * transposed view streams like a contiguous one.  When another operand is
 * then strided along the innermost dim but dense along some other dim (the
 * output of exp(x.T), or a copy into a transposed view), the two dims are
 * cut in TILE × TILE tiles and that operand goes through a small buffer:
 * each row of a tile is computed contiguously, and the strided writes of a
 * tile land in the same few cache lines. */

#define TILE 32

static int64_t iabs64(int64_t v) { return v < 0 ? -v : v; }

/* Run fn over the iteration with its last two dims tiled; operands strided
 * along the last dim are gathered (inputs) or scattered (operand 0) per row. */
static void run_tiled(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx) {
  int d = it->ndim, nops = it->nops;
  int64_t R = it->shape[d - 2], C = it->shape[d - 1];
  double stage[GD_ITER_MAXOPS][TILE];
  int64_t is[GD_ITER_MAXOPS], rs[GD_ITER_MAXOPS], s[GD_ITER_MAXOPS], cnt[GD_MAXDIM] = {0};
  int staged[GD_ITER_MAXOPS];
  double *p0[GD_ITER_MAXOPS], *p[GD_ITER_MAXOPS];
  for (int k = 0; k < nops; k++) {
    is[k] = it->stride[k][d - 1];
    rs[k] = it->stride[k][d - 2];
    staged[k] = is[k] != 0 && is[k] != 1;
    s[k] = staged[k] ? 1 : is[k];
    p0[k] = base[k];
  }
  for (;;) {
    for (int64_t r0 = 0; r0 < R; r0 += TILE) {
      int64_t rn = R - r0 < TILE ? R - r0 : TILE;
      for (int64_t c0 = 0; c0 < C; c0 += TILE) {
        int64_t cn = C - c0 < TILE ? C - c0 : TILE;
        for (int64_t r = r0; r < r0 + rn; r++) {
          for (int k = 0; k < nops; k++) {
            double *src = p0[k] + r * rs[k] + c0 * is[k];
            p[k] = staged[k] ? stage[k] : src;
            if (staged[k] && k > 0)
              for (int64_t j = 0; j < cn; j++) stage[k][j] = src[j * is[k]];
          }
          fn(ctx, cn, p, s);
          if (staged[0]) {
            double *dst = p0[0] + r * rs[0] + c0 * is[0];
            for (int64_t j = 0; j < cn; j++) dst[j * is[0]] = stage[0][j];
          }
        }
      }
    }
    if (!gd_iter_step(it, d - 2, cnt, p0)) return;   /* the dims outside the tiles */
  }
}

/* The transposes among the tiled iterations: every operand dense (or
 * broadcast) along the last dim, "row-dense", or dense along the one before
 * it, "column-dense" (exp(x.T), x.T:contiguous(), x.T + y.T, x.T + y).
 * These run in strips of STRIP rows × STRIP_W columns: a column-dense input
 * is gathered a cache line (STRIP doubles) per column into a buffer, fn
 * computes each row's chunk contiguously (one call per chunk, not per tile
 * row), and a column-dense output is written out a cache line per column.
 * A copy writes straight from its input. */
#define STRIP 8
#define STRIP_W 256

/* Whether operand k is column-dense (else row-dense, or the iteration is no strip run). */
static int col_dense(const gd_iter *it, int k) {
  int d = it->ndim;
  return it->stride[k][d - 2] == 1 && it->stride[k][d - 1] != 0 && it->stride[k][d - 1] != 1;
}

static int is_transpose(const gd_iter *it) {
  int d = it->ndim, cols = 0;
  for (int k = 0; k < it->nops; k++) {
    int64_t sl = it->stride[k][d - 1];
    if (col_dense(it, k)) cols++;
    else if (sl != 1 && sl != 0) return 0;
  }
  return cols > 0;
}

/* Bytes of output past which a strip's lines are written with non-temporal
 * stores: a transposed write that misses the cache otherwise reads every line
 * before writing it (1000×1000: 520 -> 230 µs). */
#define STREAM_MIN ((int64_t)2 << 20)

/* Whether a strip run may stream: SSE2 and every strip row 16-byte aligned. */
static int can_stream(const gd_iter *it, const double *o0) {
#ifdef __SSE2__
  int64_t os = it->stride[0][it->ndim - 1];
  for (int i = 0; i < it->ndim - 2; i++)   /* dim ndim - 2 has stride 1: strips start at r0 */
    if (it->stride[0][i] % 2) return 0;
  return os % 2 == 0 && ((uintptr_t)o0 & 15) == 0;
#else
  (void)it, (void)o0;
  return 0;
#endif
}

/* o[c·os + b] = src[b][c] for b < STRIP, c < cn, with non-temporal stores. */
static void strip_stream(double *o, int64_t os, const double *const *src, int64_t cn) {
#ifdef __SSE2__
  for (int64_t c = 0; c < cn; c++) {
    double *d = o + c * os;
    for (int b = 0; b < STRIP; b += 2) _mm_stream_pd(d + b, _mm_set_pd(src[b + 1][c], src[b][c]));
  }
#else
  for (int64_t c = 0; c < cn; c++)
    for (int b = 0; b < STRIP; b++) o[c * os + b] = src[b][c];
#endif
}

static void strips(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx, int nt) {
  int d = it->ndim, nops = it->nops, cd[GD_ITER_MAXOPS];
  for (int k = 0; k < nops; k++) cd[k] = col_dense(it, k);
  int copy = fn == un_copy && nops == 2 && cd[0] && it->stride[1][d - 1] == 1;
  int64_t R = it->shape[d - 2], C = it->shape[d - 1];
  int64_t cnt[GD_MAXDIM] = {0}, rs[GD_ITER_MAXOPS], ls[GD_ITER_MAXOPS], s[GD_ITER_MAXOPS];
  double stage[GD_ITER_MAXOPS][STRIP][STRIP_W], *b0[GD_ITER_MAXOPS];
  for (int k = 0; k < nops; k++) {
    rs[k] = it->stride[k][d - 2];
    ls[k] = it->stride[k][d - 1];
    s[k] = cd[k] ? 1 : ls[k];            /* staged rows are dense */
    b0[k] = base[k];
  }
  int stream = nt && cd[0] && can_stream(it, b0[0]);
  for (;;) {
    for (int64_t r0 = 0; r0 < R; r0 += STRIP) {
      int rn = R - r0 < STRIP ? (int)(R - r0) : STRIP;
      for (int64_t c0 = 0; c0 < C; c0 += STRIP_W) {
        int64_t cn = C - c0 < STRIP_W ? C - c0 : STRIP_W;
        for (int k = 1; k < nops; k++) {  /* gather the column-dense inputs */
          if (!cd[k]) continue;
          const double *in = b0[k] + r0 + c0 * ls[k];
          for (int64_t c = 0; c < cn; c++)
            for (int b = 0; b < rn; b++) stage[k][b][c] = in[c * ls[k] + b];
        }
        const double *src[STRIP];
        for (int b = 0; b < rn; b++) {
          double *p[GD_ITER_MAXOPS];
          for (int k = 0; k < nops; k++)
            p[k] = cd[k] ? stage[k][b] : b0[k] + (r0 + b) * rs[k] + c0 * ls[k];
          if (copy) { src[b] = p[1]; continue; }
          fn(ctx, cn, p, s);
          src[b] = stage[0][b];
        }
        if (!cd[0]) continue;             /* a row-dense output is written */
        double *o = b0[0] + r0 + c0 * ls[0];
        int64_t os = ls[0];
        if (rn == STRIP && stream) {
          strip_stream(o, os, src, cn);
        } else if (rn == STRIP) {
          for (int64_t c = 0; c < cn; c++)
            for (int b = 0; b < STRIP; b++) o[c * os + b] = src[b][c];
        } else {
          for (int64_t c = 0; c < cn; c++)
            for (int b = 0; b < rn; b++) o[c * os + b] = src[b][c];
        }
      }
    }
    if (!gd_iter_step(it, d - 2, cnt, b0)) break;    /* the dims outside the strips */
  }
#ifdef __SSE2__
  if (stream) _mm_sfence();
#endif
}

/* The strip runners: plain stores, and streaming ones for outputs past STREAM_MIN. */
static void run_strips(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx) {
  strips(it, base, fn, ctx, 0);
}
static void run_strips_nt(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx) {
  strips(it, base, fn, ctx, 1);
}

/* Dim to tile with the innermost one: where some operand is strided along
 * the last dim (after merging) but denser along another, move that other
 * dim next to the last and return 1. */
static int plan_tiles(gd_iter *it) {
  int d = it->ndim;
  if (d < 2 || it->shape[d - 1] < TILE / 2) return 0;
  for (int k = 0; k < it->nops; k++) {
    int64_t si = iabs64(it->stride[k][d - 1]);
    if (si <= 1) continue;
    int q = -1;
    for (int i = 0; i < d - 1; i++)
      if (it->stride[k][i] != 0 && iabs64(it->stride[k][i]) < si &&
          (q < 0 || iabs64(it->stride[k][i]) < iabs64(it->stride[k][q])))
        q = i;
    if (q < 0 || it->shape[q] < TILE / 2) continue;
    for (int i = q; i < d - 2; i++) {     /* rotate dim q to position d - 2 */
      int64_t sh = it->shape[i];
      it->shape[i] = it->shape[i + 1];
      it->shape[i + 1] = sh;
      for (int m = 0; m < it->nops; m++) {
        int64_t t = it->stride[m][i];
        it->stride[m][i] = it->stride[m][i + 1];
        it->stride[m][i + 1] = t;
      }
    }
    return 1;
  }
  return 0;
}

/* Run fn elementwise over shape for nops operands with strides st[k] and
 * first elements base[k], in operand lead's memory order (see above),
 * split across threads past grain elements per thread. */
/* The operand whose memory order the loop walks: the given lead (an input)
 * unless the output's order gives more operands unit stride innermost
 * (x.T + y: out and y dense, x.T tiled, rather than the other way round). */
static int pick_lead(int nops, int nd, const int64_t *shape, const int64_t *const *st, int lead) {
  int best = lead, bestn = -1;
  const int cand[2] = {lead, 0};
  for (int c = 0; c < (lead ? 2 : 1); c++) {
    int L = cand[c], inner = -1;
    for (int i = 0; i < nd; i++)          /* L's densest dim */
      if (shape[i] > 1 && st[L][i] != 0 && (inner < 0 || iabs64(st[L][i]) < iabs64(st[L][inner])))
        inner = i;
    if (inner < 0) return lead;
    int n = 0;
    for (int k = 0; k < nops; k++) n += iabs64(st[k][inner]) == 1;
    if (n > bestn) { bestn = n; best = L; }
  }
  return best;
}

static void kloop(int nops, int nd, const int64_t *shape, const int64_t *const *st,
                  double *const *base, gd_iter_fn fn, void *ctx, int lead, int64_t grain) {
  int perm[GD_MAXDIM], m = 0;
  lead = pick_lead(nops, nd, shape, st, lead);
  for (int i = 0; i < nd; i++) {          /* stable insertion sort, largest stride first */
    int j = m++;
    int64_t ki = iabs64(st[lead][i]), k0 = iabs64(st[0][i]);
    while (j > 0) {
      int64_t kj = iabs64(st[lead][perm[j - 1]]), kj0 = iabs64(st[0][perm[j - 1]]);
      if (kj > ki || (kj == ki && kj0 >= k0)) break;
      perm[j] = perm[j - 1];
      j--;
    }
    perm[j] = i;
  }
  int64_t pshape[GD_MAXDIM], pst[GD_ITER_MAXOPS][GD_MAXDIM];
  const int64_t *pstp[GD_ITER_MAXOPS];
  for (int k = 0; k < nops; k++) {
    for (int i = 0; i < nd; i++) pst[k][i] = st[k][perm[i]];
    pstp[k] = pst[k];
  }
  for (int i = 0; i < nd; i++) pshape[i] = shape[perm[i]];
  gd_iter it;
  gd_iter_init(&it, nops, nd, pshape, pstp);
  int64_t n = 1;
  for (int i = 0; i < it.ndim; i++) n *= it.shape[i];
  int tiled = plan_tiles(&it);
  int64_t align = it.ndim == 1 ? GD_PAR_ALIGN : (tiled && it.ndim == 2) ? TILE : 1;
  gd_iter_runner run = !tiled ? gd_iter_run : !is_transpose(&it) ? run_tiled
                       : n * (int64_t)sizeof(double) >= STREAM_MIN ? run_strips_nt : run_strips;
  gd_iter_run_par(&it, base, fn, ctx, run, gd_par_parts(n, grain), align);
}

/* fn over n elements of operands at strides 1 or 0 (the flat fast paths). */
static void run_flat(int nops, gd_iter_fn fn, int64_t n, double *const *p, const int64_t *s,
                     int64_t grain) {
  int parts = gd_par_parts(n, grain);
  if (parts == 1) {                       /* small: the loop itself, no iterator */
    double *q[GD_ITER_MAXOPS];
    for (int k = 0; k < nops; k++) q[k] = p[k];
    fn(NULL, n, q, s);
    return;
  }
  gd_iter it;
  it.nops = nops;
  it.ndim = 1;
  it.shape[0] = n;
  for (int k = 0; k < nops; k++) it.stride[k][0] = s[k];
  gd_iter_run_par(&it, p, fn, NULL, gd_iter_run, parts, GD_PAR_ALIGN);
}

/* Elements per thread worth splitting for: the transcendental ops cost more. */
static int64_t bin_grain(gd_binop op) {
  return op == GD_BIN_POW || op == GD_BIN_MOD ? GD_PAR_GRAIN_COSTLY : GD_PAR_GRAIN_CHEAP;
}
static int64_t un_grain(gd_unop op) {
  switch (op) {
    case GD_UN_NEG: case GD_UN_ABS: case GD_UN_RELU: case GD_UN_SIGN: case GD_UN_FLOOR:
    case GD_UN_CEIL: case GD_UN_ROUND: case GD_UN_SQUARE: case GD_UN_COPY:
      return GD_PAR_GRAIN_CHEAP;
    default: return GD_PAR_GRAIN_COSTLY;
  }
}

/* The loop for a binary op: pow by a scalar has a vectorized one. */
static gd_iter_fn binfn(gd_binop op) { return op == GD_BIN_POW ? bin_pow_fast : binfns[op]; }

/* ---- drivers ------------------------------------------------------------- */

static void run2(gd_tensor *out, const gd_tensor *a, gd_iter_fn fn, void *ctx, int64_t grain) {
  const int64_t *st[2] = {out->stride, a->stride};
  int64_t sa[GD_MAXDIM];
  if (!gd_shape_eq(out->ndim, out->shape, a->ndim, a->shape)) {
    gd_broadcast_strides(a, out->ndim, out->shape, sa);
    st[1] = sa;
  }
  double *base[2] = {gd_data(out), gd_data(a)};
  kloop(2, out->ndim, out->shape, st, base, fn, ctx, 1, grain);
}

gd_iter_fn gd_binary_loop(gd_binop op, int64_t n) {
  return (unsigned)op < GD_BIN_COUNT && n < 2 * bin_grain(op) ? binfn(op) : NULL;
}

gd_iter_fn gd_unary_loop(gd_unop op, int64_t n) {
  return (unsigned)op < GD_UN_COUNT && n < 2 * un_grain(op) ? unfn(op) : NULL;
}

void gd_binary_flat(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  double *p[3] = {gd_data(out), gd_data(a), gd_data(b)};
  const int64_t s[3] = {1, a->ndim ? 1 : 0, b->ndim ? 1 : 0};
  run_flat(3, binfn(op), (int64_t)out->numel, p, s, bin_grain(op));
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
  double *base[3] = {gd_data(out), gd_data(a), gd_data(b)};
  kloop(3, out->ndim, out->shape, st, base, binfn(op), NULL, 1, bin_grain(op));
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
    run_flat(3, binfn(op), (int64_t)out->numel, p, s, bin_grain(op));
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
  run2(out, x, unfn(op), NULL, un_grain(op));
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
    run2(dst, &tmp, un_copy, NULL, GD_PAR_GRAIN_CHEAP);
    gd_tensor_release(&tmp);
  } else {
    run2(dst, src, un_copy, NULL, GD_PAR_GRAIN_CHEAP);
  }
  gd_touch(dst);
  return GD_OK;
}

int gd_contiguous(gd_tensor *out, const gd_tensor *x) {
  int rc = gd_tensor_alloc(out, x->ndim, x->shape);
  if (rc) return rc;
  run2(out, x, un_copy, NULL, GD_PAR_GRAIN_CHEAP);
  return GD_OK;
}

GD_CLONES static void fill_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  double v = *(double *)ctx, *o = p[0];
  if (s[0] == 1) for (int64_t i = 0; i < n; i++) o[i] = v;
  else for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;
}

void gd_fill(gd_tensor *t, double v) {
  const int64_t *st[1] = {t->stride};
  double *base[1] = {gd_data(t)};
  kloop(1, t->ndim, t->shape, st, base, fill_fn, &v, 0, GD_PAR_GRAIN_CHEAP);
  gd_touch(t);
}

/* o = c ≠ 0 ? a : b; the unit- and zero-stride cases as loops that vectorize. */
static inline double pick(double c, double u, double v) { return c != 0 ? u : v; }
#define WHERE_LOOP(A, B) for (int64_t i = 0; i < n; i++) o[i] = pick(c[i], (A), (B))
GD_CLONES static void where_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  (void)ctx;
  double *restrict o = p[0];
  const double *c = p[1], *a = p[2], *b = p[3];
  if (s[0] == 1 && s[1] == 1 && (s[2] | s[3]) >= 0 && (s[2] | s[3]) <= 1) {
    double a0 = a[0], b0 = b[0];
    if (s[2] && s[3]) WHERE_LOOP(a[i], b[i]);
    else if (s[2]) WHERE_LOOP(a[i], b0);
    else if (s[3]) WHERE_LOOP(a0, b[i]);
    else WHERE_LOOP(a0, b0);
    return;
  }
  for (int64_t i = 0; i < n; i++)
    o[i * s[0]] = c[i * s[1]] != 0 ? a[i * s[2]] : b[i * s[3]];
}

/* o = min(max(x, lo), hi) as clip's two selects: x < lo ? lo : x, then > hi ? hi. */
GD_CLONES static void clip_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  const double lo = ((const double *)ctx)[0], hi = ((const double *)ctx)[1];
  double *restrict o = p[0];
  const double *x = p[1];
  if (s[0] == 1 && s[1] == 1)
    for (int64_t i = 0; i < n; i++) {
      double v = x[i] < lo ? lo : x[i];
      o[i] = v > hi ? hi : v;
    }
  else
    for (int64_t i = 0; i < n; i++) {
      double v = x[i * s[1]] < lo ? lo : x[i * s[1]];
      o[i * s[0]] = v > hi ? hi : v;
    }
}

int gd_clip_scalar(gd_tensor *out, const gd_tensor *x, double lo, double hi) {
  int rc = gd_tensor_alloc(out, x->ndim, x->shape);
  if (rc) return rc;
  double b[2] = {lo, hi};
  run2(out, x, clip_fn, b, GD_PAR_GRAIN_CHEAP);
  return GD_OK;
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
  double *base[4] = {gd_data(out), gd_data(c), gd_data(a), gd_data(b)};
  kloop(4, n2, s2, st, base, where_fn, NULL, 2, GD_PAR_GRAIN_CHEAP);
  return GD_OK;
}
