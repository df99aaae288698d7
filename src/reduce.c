/* reduce.c: reductions (sum mean var std max min prod logsumexp norm argmax
 * argmin) over one dim or over all elements.
 *
 * Two layouts walk memory in order.  A reduction over the last dim (or any
 * dim of stride 1) reduces contiguous lines (reduce_line).  A reduction over
 * a non-last dim of a contiguous tensor, seen as outer × n × inner, adds
 * whole rows into the output (out[j] += x[i, j] over i): the columns are cut
 * in tiles of COL_TILE, each tile summed pairwise over its rows (col_sum), so
 * the error stays O(log n · ε) like the line sums.  Other layouts take the
 * strided line path.  Results never depend on the thread count: work splits
 * between whole lines or column tiles, and the sum (mean, var, std) of all
 * elements splits at the nodes of its own pairwise tree (line_sum_par).
 * Legend: n = length of the reduced dim, inner = product of the dims after
 * it, w = width of a column tile (≤ COL_TILE).
 */
#include "kernels.h"
#include "threads.h"
#include "vmath.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define COL_X86 1         /* the extremes' AVX-512 loops, chosen at run time */
#endif

/* ---- lines: n elements at stride s ---------------------------------------- */

/* Pairwise summation: blocks of 128 summed with 8 accumulators (cloned for
 * AVX2 like the elementwise loops: the same additions in the same order).
 * A node whose halves are both blocks sums the two in one loop (two
 * independent chains, each block's additions as alone: the same bits;
 * 1e6 doubles 186 -> 95 µs).  pf: prefetch PF_AHEAD doubles ahead, one
 * block at a time (contiguous lines of 32 MB and more, past the caches:
 * 1e7 doubles 4.3 -> 2.2 ms; two streams from memory measured 17% slower);
 * it changes no addition; a threaded sum's leaves prefetch when the whole
 * line would (below PF_MIN alone, they ran 2 threads 1.4x slower than 1). */
#define PF_AHEAD 512
#define PF_MIN ((int64_t)1 << 22)

/* Whether a line of n at stride s is summed with prefetches. */
static inline int prefetched(int64_t n, int64_t s) { return s == 1 && n >= PF_MIN; }

static inline double tree8(const double *r) {
  return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
}

/* The split of a line of n > 128 into two halves, as the recursion does. */
static inline int64_t half_of(int64_t n) { return (n / 2) & ~(int64_t)7; }

/* Whether a line of n splits into two blocks (of 64..128). */
static inline int two_blocks(int64_t n) { return n > 128 && n - half_of(n) <= 128; }

typedef double ext_v8 __attribute__((vector_size(64)));
typedef long long ext_m8 __attribute__((vector_size(64)));
#define LOAD8(v, p) memcpy(&(v), (p), sizeof(ext_v8))

/* sum_line of a contiguous line of n (two_blocks(n)): its two blocks in one
 * loop, two independent chains, each block's additions as alone (the same
 * bits).  The accumulators are 8-lane vectors (GCC's vector extension),
 * lane k being the block's r[k]: left to the vectorizer, the loop over i
 * became an in-order reduction, lane by lane.  (Four blocks in one loop,
 * and sumsq_line's blocks in pairs, measured no faster.)  No prefetch. */
static inline __attribute__((always_inline)) double pairwise_two(const double *x, int64_t n) {
  int64_t na = half_of(n), nb = n - na;   /* na ≤ nb, na a multiple of 8: no tail */
  const double *a = x, *b = x + na;
  ext_v8 ra, rb;
  LOAD8(ra, a);
  LOAD8(rb, b);
  int64_t i = 8;
  for (; i + 8 <= na; i += 8) {          /* both blocks */
    ext_v8 u, v;
    LOAD8(u, a + i);
    LOAD8(v, b + i);
    ra += u;
    rb += v;
  }
  for (; i + 8 <= nb; i += 8) {          /* the rest of the second */
    ext_v8 v;
    LOAD8(v, b + i);
    rb += v;
  }
  double la[8], lb[8];
  memcpy(la, &ra, sizeof la);
  memcpy(lb, &rb, sizeof lb);
  double ta = tree8(la), tb = tree8(lb);
  for (; i < nb; i++) tb += b[i];
  return ta + tb;
}

GD_CLONES
static double sum_line(const double *x, int64_t n, int64_t s, int pf) {
  if (n <= 128) {
    if (n < 8) {
      double r = 0;
      for (int64_t i = 0; i < n; i++) r += x[i * s];
      return r;
    }
    double r[8];
    for (int k = 0; k < 8; k++) r[k] = x[k * s];
    int64_t i = 8;
    if (s == 1 && pf) {
      __builtin_prefetch(x + PF_AHEAD);
      for (; i + 8 <= n; i += 8) {
        if ((i & 15) == 0) {
          __builtin_prefetch(x + i + PF_AHEAD);
          __builtin_prefetch(x + i + PF_AHEAD + 8);
        }
        for (int k = 0; k < 8; k++) r[k] += x[i + k];
      }
    } else if (s == 1) {
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) r[k] += x[i + k];
    } else {
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) r[k] += x[(i + k) * s];
    }
    double t = tree8(r);
    for (; i < n; i++) t += x[i * s];
    return t;
  }
  if (s == 1 && !pf && two_blocks(n)) return pairwise_two(x, n);
  int64_t h = half_of(n);
  return sum_line(x, h, s, pf) + sum_line(x + h * s, n - h, s, pf);
}

double gd_sum_line(const double *x, int64_t n, int64_t s) {
  return sum_line(x, n, s, prefetched(n, s));
}

typedef struct redctx {
  gd_redop op;
  int64_t len, step;    /* line length and stride along the reduced dim */
  double ddof;
} redctx;

/* Pairwise sum of (x - m)^2, in sum_line's blocks and order. */
GD_CLONES
static double sumsq_line(const double *x, int64_t n, int64_t s, double m) {
  if (n <= 128) {
    double r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    if (s == 1)
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) { double d = x[i + k] - m; r[k] += d * d; }
    else
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) { double d = x[(i + k) * s] - m; r[k] += d * d; }
    double t = tree8(r);
    for (; i < n; i++) { double d = x[i * s] - m; t += d * d; }
    return t;
  }
  int64_t h = half_of(n);
  return sumsq_line(x, h, s, m) + sumsq_line(x + h * s, n - h, s, m);
}

/* Σx² of a contiguous line, for the 2-norm: pairwise over halves (split as
 * the sum's) down to blocks of NORM_LEAF, each summed by 32 accumulators
 * (4 chains of 8 lanes, one stream from memory; error below (32 + log₂ n)ε
 * of the sum).  Blocks of 128 with one chain each (sumsq_line, var's) ran
 * 1000×1000 norm() 20–30% slower than numpy's ddot. */
#define NORM_LEAF 1024
GD_CLONES
static double sumsq0_line(const double *x, int64_t n) {
  if (n > NORM_LEAF) {
    int64_t h = half_of(n);
    return sumsq0_line(x, h) + sumsq0_line(x + h, n - h);
  }
  ext_v8 r0 = {0}, r1 = {0}, r2 = {0}, r3 = {0};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    ext_v8 a, b, c, d;
    LOAD8(a, x + i);
    LOAD8(b, x + i + 8);
    LOAD8(c, x + i + 16);
    LOAD8(d, x + i + 24);
    r0 += a * a;
    r1 += b * b;
    r2 += c * c;
    r3 += d * d;
  }
  for (; i + 8 <= n; i += 8) {
    ext_v8 a;
    LOAD8(a, x + i);
    r0 += a * a;
  }
  ext_v8 r = (r0 + r1) + (r2 + r3);
  double l[8];
  memcpy(l, &r, sizeof l);
  double t = tree8(l);
  for (; i < n; i++) t += x[i] * x[i];
  return t;
}

/* Whether sqrt(ss) is the 2-norm itself, ss = Σx² summed directly: finite
 * (no square or sum overflowed) and far above the subnormals (those lost
 * to underflow weigh < 2^-170 of it); else the scaled two-pass norm. */
static int norm_direct(double ss) { return ss >= 0x1p-900 && ss <= DBL_MAX; }

/* Σ exp(x[i·s] − m): chunks through the vector exp, each summed as a line. */
static double sumexp_line(const double *x, int64_t n, int64_t s, double m) {
  double buf[256], r = 0;
  for (int64_t i = 0; i < n; i += 256) {
    int64_t k = n - i < 256 ? n - i : 256;
    for (int64_t j = 0; j < k; j++) buf[j] = x[(i + j) * s] - m;
    gd_vexp(buf, buf, k);
    r += sum_line(buf, k, 1, 0);
  }
  return r;
}

/* var from the sum of squared deviations: as numpy, divided by max(n − ddof, 0). */
static double var_of(double ss, double n, double ddof, int is_std) {
  double den = n - ddof;
  double v = ss / (den > 0 ? den : 0.0);
  return is_std ? sqrt(v) : v;
}

/* The end of a line extreme: after the vector loop's best (*best at bi;
 * sum, its lanes' running sum of the values), the elements [i, n) in order,
 * then the first NaN when the sum is not finite (a NaN, or only a large
 * sum).  Returns the position; *best gets its value. */
static inline __attribute__((always_inline)) int64_t extreme_finish(const double *x, int64_t i, int64_t n,
                                                                    int ismax, double sum, double *best,
                                                                    int64_t bi) {
  double b = *best;
  int bad = sum - sum != 0;               /* NaN when the sum is not finite */
  for (; i < n; i++) {
    double v = x[i];
    bad |= v != v;
    if (ismax ? v > b : v < b) { b = v; bi = i; }
  }
  if (bad)
    for (int64_t j = 0; j < n; j++)
      if (x[j] != x[j]) { bi = j; b = x[j]; break; }
  *best = b;
  return bi;
}

/* max (min) of x[0..n), n ≥ 1, and (withpos) its position: the first NaN
 * wins, and of equal values the first (so a zero keeps the sign of the
 * first zero).  EXT_N independent chains of 8-lane vectors (GCC's vector
 * extension keeps the lanes in registers; arrays of lanes would go through
 * masked stores, which AMD does not forward) of values and positions; each
 * lane keeps its first best, and the lanes combine to the one of smallest
 * position among the equal.  (On AVX-512F, line_extreme_avx512 runs
 * instead: 1000×1000 max(2) 183–245 µs with this, 134–163 with that.)  No compare for NaN in the loop (GCC 12 does a
 * 512-bit v != v lane by lane): NaN never wins a comparison, so a running
 * sum per lane watches for one, and when the sum is not finite a scan
 * decides. */
#define EXT_N 4                           /* independent chains of 8 lanes */
#define EXT_W (EXT_N * 8)
static inline __attribute__((always_inline)) double lanes_extreme(const double *x, int64_t n, int ismax,
                                                                  int withpos, int64_t *pos) {
  ext_v8 m[EXT_N], p[EXT_N], acc[EXT_N];
  for (int k = 0; k < EXT_N; k++) {
    m[k] = (ext_v8){x[0], x[0], x[0], x[0], x[0], x[0], x[0], x[0]};   /* not {0} + x[0]: -0 */
    acc[k] = (ext_v8){0};
    p[k] = (ext_v8){0, -1, -2, -3, -4, -5, -6, -7} - 8 * k;   /* + lane = position 0 */
  }
  int64_t i = 0;
  for (; i + EXT_W <= n; i += EXT_W)
    for (int k = 0; k < EXT_N; k++) {
      ext_v8 v;
      LOAD8(v, x + i + 8 * k);
      ext_m8 t = ismax ? v > m[k] : v < m[k];
      m[k] = (ext_v8)(((ext_m8)v & t) | ((ext_m8)m[k] & ~t));
      if (withpos) {
        ext_v8 fi = (ext_v8){0} + (double)i;
        p[k] = (ext_v8)(((ext_m8)fi & t) | ((ext_m8)p[k] & ~t));
      }
      acc[k] += v;
    }
  double best = x[0], bp = 0, sum = 0;    /* the lanes, in scalar code (GCC did the */
  for (int k = 0; k < EXT_N; k++)          /* tie test's mask vectors lane by lane) */
    for (int l = 0; l < 8; l++) {
      double v = m[k][l], q = p[k][l] + (8 * k + l);
      if ((ismax ? v > best : v < best) || (withpos && v == best && q < bp)) { best = v; bp = q; }
      sum += acc[k][l];
    }
  int64_t bi = extreme_finish(x, i, n, ismax, sum, &best, (int64_t)bp);
  if (withpos) { *pos = bi; return best; }
  if (best == 0)                          /* the first zero's sign */
    for (int64_t j = 0; j < n; j++)
      if (x[j] == 0) return x[j];
  return best;
}

#ifdef COL_X86
/* Whether this CPU runs AVX-512F (the extremes' vector loops). */
GD_CPU_HAS(have_avx512, "avx512f")

/* A best value and its position, 8 lanes (line and column extremes). */
typedef struct col_best { __m512d v, q; } col_best;
#endif

#ifdef COL_X86
/* The better of (l.v, l.q) and (r.v, r.q) by value, ties to the smaller
 * position q (no NaN: line_extreme's loop never takes one). */
static inline __attribute__((always_inline, target("avx512f"))) col_best
lane_combine(col_best l, col_best r, int ismax) {
  __mmask8 t = _mm512_cmp_pd_mask(r.v, l.v, ismax ? _CMP_GT_OQ : _CMP_LT_OQ) |
               (_mm512_cmp_pd_mask(r.v, l.v, _CMP_EQ_OQ) & _mm512_cmp_pd_mask(r.q, l.q, _CMP_LT_OQ));
  return (col_best){_mm512_mask_blend_pd(t, l.v, r.v), _mm512_mask_blend_pd(t, l.q, r.q)};
}

/* lanes_extreme for n ≥ 32 in AVX-512F: 4 chains of 8 lanes keep each lane's
 * first best and the block it came from (a mask blend each: GCC's vector
 * extension code moved masks through extra copies), the chains and lanes
 * combine in vector lanes by value and position, and a running sum
 * watches for NaN as there.  Positions are exact, so x[pos] is the first
 * of equal values (the sign of the first zero) without a second scan. */
static inline __attribute__((always_inline, target("avx512f"))) double
line_extreme_body(const double *x, int64_t n, int ismax, int64_t *pos) {
  const int pred = ismax ? _CMP_GT_OQ : _CMP_LT_OQ;
  col_best c[4];
  __m512d acc[4];
  for (int k = 0; k < 4; k++) {
    c[k].v = _mm512_loadu_pd(x + 8 * k);
    c[k].q = _mm512_setzero_pd();
    acc[k] = c[k].v;
  }
  int64_t i = 32;
  for (; i + 32 <= n; i += 32) {
    __m512d fi = _mm512_set1_pd((double)i);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      __m512d v = _mm512_loadu_pd(x + i + 8 * k);
      __mmask8 t = _mm512_cmp_pd_mask(v, c[k].v, pred);
      c[k].v = _mm512_mask_blend_pd(t, c[k].v, v);
      c[k].q = _mm512_mask_blend_pd(t, c[k].q, fi);
      acc[k] = _mm512_add_pd(acc[k], v);
    }
  }
  const __m512d lane = _mm512_set_pd(7, 6, 5, 4, 3, 2, 1, 0);
  for (int k = 0; k < 4; k++)          /* block start + lane = the position */
    c[k].q = _mm512_add_pd(c[k].q, _mm512_add_pd(lane, _mm512_set1_pd(8.0 * k)));
  col_best b = lane_combine(lane_combine(c[0], c[1], ismax), lane_combine(c[2], c[3], ismax), ismax);
  b = lane_combine(b, (col_best){_mm512_shuffle_f64x2(b.v, b.v, 0x4E), _mm512_shuffle_f64x2(b.q, b.q, 0x4E)}, ismax);
  b = lane_combine(b, (col_best){_mm512_shuffle_f64x2(b.v, b.v, 0xB1), _mm512_shuffle_f64x2(b.q, b.q, 0xB1)}, ismax);
  b = lane_combine(b, (col_best){_mm512_permute_pd(b.v, 0x55), _mm512_permute_pd(b.q, 0x55)}, ismax);
  double best = _mm512_cvtsd_f64(b.v);
  double sum = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(acc[0], acc[1]), _mm512_add_pd(acc[2], acc[3])));
  int64_t bi = extreme_finish(x, i, n, ismax, sum, &best, (int64_t)_mm512_cvtsd_f64(b.q));
  if (pos) *pos = bi;
  return x[bi];
}

__attribute__((target("avx512f"))) static double line_extreme_avx512(const double *x, int64_t n,
                                                                    int ismax, int64_t *pos) {
  return ismax ? line_extreme_body(x, n, 1, pos) : line_extreme_body(x, n, 0, pos);
}
#endif

GD_CLONES
static double extreme_line(const double *x, int64_t n, int ismax, int64_t *pos) {
#ifdef COL_X86
  if (n >= 32 && have_avx512()) return line_extreme_avx512(x, n, ismax, pos);
#endif
  if (pos) return ismax ? lanes_extreme(x, n, 1, 1, pos) : lanes_extreme(x, n, 0, 1, pos);
  return ismax ? lanes_extreme(x, n, 1, 0, NULL) : lanes_extreme(x, n, 0, 0, NULL);
}

/* Reduce one line; *pos (pos not NULL) gets the arg position for argmax/argmin/max/min. */
static double reduce_line(const redctx *c, const double *x, double *pos) {
  int64_t n = c->len, s = c->step;
  switch (c->op) {
    case GD_RED_SUM: return gd_sum_line(x, n, s);
    case GD_RED_MEAN: return gd_sum_line(x, n, s) / (double)n;
    case GD_RED_VAR: case GD_RED_STD: {
      double m = gd_sum_line(x, n, s) / (double)n;
      return var_of(sumsq_line(x, n, s, m), (double)n, c->ddof, c->op == GD_RED_STD);
    }
    case GD_RED_PROD: {
      double r = 1;
      for (int64_t i = 0; i < n; i++) r *= x[i * s];
      return r;
    }
    case GD_RED_NORM: {
      double ss = s == 1 ? sumsq0_line(x, n) : sumsq_line(x, n, s, 0);
      if (norm_direct(ss)) return sqrt(ss);
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
      if (s == 1 && n >= 16) {
        m = extreme_line(x, n, 1, NULL);
        if (m != m) return m;    /* NaN anywhere → NaN */
      } else {
        for (int64_t i = 0; i < n; i++) {
          double v = x[i * s];
          if (v != v) return v;
          if (v > m) m = v;
        }
      }
      if (isinf(m)) return m;    /* all -inf → -inf; any +inf → +inf */
      return m + log(sumexp_line(x, n, s, m));
    }
    case GD_RED_MAX: case GD_RED_ARGMAX: case GD_RED_MIN: case GD_RED_ARGMIN: {
      int ismax = c->op == GD_RED_MAX || c->op == GD_RED_ARGMAX;
      int arg = c->op == GD_RED_ARGMAX || c->op == GD_RED_ARGMIN;
      if (s == 1 && n >= 16) {            /* the vector loop */
        int64_t bi = 0;
        double best = extreme_line(x, n, ismax, pos || arg ? &bi : NULL);
        if (pos) *pos = (double)bi;
        return arg ? (double)bi : best;
      }
      double best = x[0];
      int64_t bi = 0;
      if (best == best) {
        for (int64_t i = 1; i < n; i++) {
          double v = x[i * s];
          if (v != v) { best = v; bi = i; break; }   /* NaN wins, as numpy */
          if (ismax ? v > best : v < best) { best = v; bi = i; }
        }
      }
      if (pos) *pos = (double)bi;
      return arg ? (double)bi : best;
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
  for (int64_t i = 0; i < n; i++) p[0][i * s[0]] = reduce_line(c, p[1] + i * s[1], NULL);
}

/* ---- columns: whole rows accumulated into the output ----------------------- */

/* Elements per chunk when a reduction splits across threads: measured on
 * the loaded 2-core machine, 1000×1000 reductions (100–300 µs) ran slower on
 * two threads than on one, 1e7-element sums faster. */
#define RED_GRAIN ((int64_t)1 << 19)

#define COL_TILE 1024     /* doubles per tile row: 8 KB, so a tile's sums stay in L1 */
#define COL_LEAF 32       /* rows summed in blocks of 8 below this; pairwise above */

/* The term a column sum adds for element v of column j, c = per-column constant. */
typedef enum colterm { TERM_X, TERM_SQDEV, TERM_EXPDEV, TERM_SQSCALED } colterm;

/* dst[j] = Σ_{i<n} term(x[i·inner + j]) for j < w, rows in order (n ≥ 1). */
GD_CLONES static void col_leaf(double *restrict dst, const double *x, int64_t n, int64_t inner,
                     int64_t w, colterm t, const double *c) {
  switch (t) {
    case TERM_X: {       /* 8 rows at a time, added pairwise: one store per 8 loads */
      int64_t i = 0;
      if (n >= 8) {
        const double *r[8];
        for (int k = 0; k < 8; k++) r[k] = x + k * inner;
        for (int64_t j = 0; j < w; j++)
          dst[j] = ((r[0][j] + r[1][j]) + (r[2][j] + r[3][j])) +
                   ((r[4][j] + r[5][j]) + (r[6][j] + r[7][j]));
        i = 8;
      } else {
        for (int64_t j = 0; j < w; j++) dst[j] = x[j];
        i = 1;
      }
      for (; i + 8 <= n; i += 8) {
        const double *r[8];
        for (int k = 0; k < 8; k++) r[k] = x + (i + k) * inner;
        for (int64_t j = 0; j < w; j++)
          dst[j] += ((r[0][j] + r[1][j]) + (r[2][j] + r[3][j])) +
                    ((r[4][j] + r[5][j]) + (r[6][j] + r[7][j]));
      }
      for (; i < n; i++) {
        const double *r = x + i * inner;
        for (int64_t j = 0; j < w; j++) dst[j] += r[j];
      }
      break;
    }
    case TERM_SQDEV:
      for (int64_t j = 0; j < w; j++) { double d = x[j] - c[j]; dst[j] = d * d; }
      for (int64_t i = 1; i < n; i++) {
        const double *r = x + i * inner;
        for (int64_t j = 0; j < w; j++) { double d = r[j] - c[j]; dst[j] += d * d; }
      }
      break;
    case TERM_EXPDEV: {  /* a row's exps at a time, through the vector exp */
      double e[COL_TILE];
      for (int64_t i = 0; i < n; i++) {
        const double *r = x + i * inner;
        for (int64_t j = 0; j < w; j++) e[j] = r[j] - c[j];
        gd_vexp(e, e, w);
        if (i == 0) for (int64_t j = 0; j < w; j++) dst[j] = e[j];
        else for (int64_t j = 0; j < w; j++) dst[j] += e[j];
      }
      break;
    }
    case TERM_SQSCALED:
      for (int64_t j = 0; j < w; j++) { double d = x[j] / c[j]; dst[j] = d * d; }
      for (int64_t i = 1; i < n; i++) {
        const double *r = x + i * inner;
        for (int64_t j = 0; j < w; j++) { double d = r[j] / c[j]; dst[j] += d * d; }
      }
      break;
  }
}

/* dst[j] = Σ_i term(x[i·inner + j]), pairwise over halves of the rows;
 * scratch holds (levels of the recursion) × w doubles. */
GD_CLONES static void col_sum(double *restrict dst, const double *x, int64_t n, int64_t inner,
                    int64_t w, colterm t, const double *c, double *scratch) {
  if (n <= COL_LEAF) {
    col_leaf(dst, x, n, inner, w, t, c);
    return;
  }
  int64_t h = (n / 2) & ~(int64_t)7;     /* leaves of whole 8-row blocks */
  col_sum(dst, x, h, inner, w, t, c, scratch + w);
  col_sum(scratch, x + h * inner, n - h, inner, w, t, c, scratch + w);
  for (int64_t j = 0; j < w; j++) dst[j] += scratch[j];
}

/* Levels of col_sum's recursion for n rows (its scratch is that many × w). */
static int col_levels(int64_t n) {
  int k = 1;
  while (n > COL_LEAF) { n -= (n / 2) & ~(int64_t)7; k++; }
  return k;
}

#ifdef COL_X86


/* The extreme of (l, lq) then (r, rq) in col_extreme's order (NaN wins,
 * then the larger (smaller), then the first): r when it beats l.  The
 * order is total with ties to the left, so this combine is associative. */
static inline __attribute__((always_inline, target("avx512f"))) col_best
col_combine(col_best l, col_best r, int ismax, int withpos) {
  __mmask8 ok = _mm512_cmp_pd_mask(l.v, l.v, _CMP_ORD_Q);   /* a NaN l stays */
  __mmask8 t = ismax ? _mm512_mask_cmp_pd_mask(ok, r.v, l.v, _CMP_NLE_UQ)    /* r > l, or r NaN */
                     : _mm512_mask_cmp_pd_mask(ok, r.v, l.v, _CMP_NGE_UQ);   /* r < l, or r NaN */
  col_best o = {_mm512_mask_blend_pd(t, l.v, r.v), l.q};
  if (withpos) o.q = _mm512_mask_blend_pd(t, l.q, r.q);
  return o;
}

/* col_extreme's rows 1..n−1 for columns [0, w8) (w8 a multiple of 8), best
 * and pos holding row 0: 8 columns a vector, rows 8 at a time combined as
 * a tree (col_combine is associative: the same result as row by row, with
 * 4 steps in each chain instead of 8), then into best and pos: one load
 * and store of those per 8 rows.  The scalar loop (col_extreme_rows),
 * vectorized by GCC, stored pos a row at a time through a masked store
 * (slow on AMD) and chained the rows one by one: 1000×1000 max(1) took
 * 160–190 µs with it, 130–140 with this.  Returns the first row not done
 * (the caller finishes the rest). */
static inline __attribute__((always_inline, target("avx512f"))) int64_t
col_extreme_body(double *best, double *pos, const double *x, int64_t n, int64_t inner, int64_t w8,
                 int ismax, int withpos) {
  int64_t i = 1;
  for (; i + 8 <= n; i += 8) {
    const double *r = x + i * inner;
    __m512d idx[8];
    for (int k = 0; k < 8; k++) idx[k] = _mm512_set1_pd((double)(i + k));
    for (int64_t j = 0; j < w8; j += 8) {
      col_best e[8];
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++) e[k] = (col_best){_mm512_loadu_pd(r + k * inner + j), idx[k]};
#pragma GCC unroll 4
      for (int k = 0; k < 8; k += 2) e[k] = col_combine(e[k], e[k + 1], ismax, withpos);
      e[0] = col_combine(e[0], e[2], ismax, withpos);
      e[4] = col_combine(e[4], e[6], ismax, withpos);
      e[0] = col_combine(e[0], e[4], ismax, withpos);
      col_best b = {_mm512_loadu_pd(best + j), withpos ? _mm512_loadu_pd(pos + j) : e[0].q};
      b = col_combine(b, e[0], ismax, withpos);
      _mm512_storeu_pd(best + j, b.v);
      if (withpos) _mm512_storeu_pd(pos + j, b.q);
    }
  }
  return i;
}

__attribute__((target("avx512f"))) static int64_t col_extreme_avx512(double *best, double *pos,
                                                                    const double *x, int64_t n,
                                                                    int64_t inner, int64_t w8, int ismax) {
  if (pos) return ismax ? col_extreme_body(best, pos, x, n, inner, w8, 1, 1)
                        : col_extreme_body(best, pos, x, n, inner, w8, 0, 1);
  return ismax ? col_extreme_body(best, pos, x, n, inner, w8, 1, 0)
               : col_extreme_body(best, pos, x, n, inner, w8, 0, 0);
}
#endif

/* col_extreme's rows [i0, n) for columns [j0, w), best and pos (if not
 * NULL) holding the rows before. */
GD_CLONES static void col_extreme_rows(double *restrict best, double *restrict pos, const double *x,
                                       int64_t i0, int64_t n, int64_t inner, int64_t j0, int64_t w,
                                       int ismax) {
  if (pos) {
    for (int64_t i = i0; i < n; i++) {  /* bitwise tests, no branches: the loop vectorizes */
      const double *r = x + i * inner;
      double di = (double)i;
      if (ismax)
        for (int64_t j = j0; j < w; j++) {
          double v = r[j], b = best[j];
          int take = (b == b) & !(v <= b);   /* v > b, or v NaN */
          best[j] = take ? v : b;
          pos[j] = take ? di : pos[j];
        }
      else
        for (int64_t j = j0; j < w; j++) {
          double v = r[j], b = best[j];
          int take = (b == b) & !(v >= b);   /* v < b, or v NaN */
          best[j] = take ? v : b;
          pos[j] = take ? di : pos[j];
        }
    }
  } else if (ismax) {
    for (int64_t i = i0; i < n; i++) {
      const double *r = x + i * inner;
      for (int64_t j = j0; j < w; j++) { double v = r[j], b = best[j]; best[j] = (b >= v || b != b) ? b : v; }
    }
  } else {
    for (int64_t i = i0; i < n; i++) {
      const double *r = x + i * inner;
      for (int64_t j = j0; j < w; j++) { double v = r[j], b = best[j]; best[j] = (b <= v || b != b) ? b : v; }
    }
  }
}

/* best[j] = max (min) over the rows of column j, NaN winning (first NaN);
 * pos[j] (if not NULL) its first row, as reduce_line. */
static void col_extreme(double *restrict best, double *restrict pos, const double *x, int64_t n,
                        int64_t inner, int64_t w, int ismax) {
  for (int64_t j = 0; j < w; j++) best[j] = x[j];
  if (pos)
    for (int64_t j = 0; j < w; j++) pos[j] = 0;
  int64_t i0 = 1, w8 = 0;
#ifdef COL_X86
  if (have_avx512() && w >= 8) {
    w8 = w & ~(int64_t)7;
    i0 = col_extreme_avx512(best, pos, x, n, inner, w8, ismax);
    col_extreme_rows(best, pos, x, 1, n, inner, w8, w, ismax);   /* the last columns */
  }
#endif
  col_extreme_rows(best, pos, x, i0, n, inner, 0, w8 ? w8 : w, ismax);
}

/* One tile: columns [0, w) of x (n rows at stride inner) reduced by op into
 * o (and ix for the arg positions); tmp holds w doubles, scratch col_sum's. */
static void col_tile(const redctx *c, double *o, double *ix, const double *x, int64_t inner,
                     int64_t w, double *tmp, double *scratch) {
  int64_t n = c->len;
  double dn = (double)n;
  switch (c->op) {
    case GD_RED_SUM: col_sum(o, x, n, inner, w, TERM_X, NULL, scratch); break;
    case GD_RED_MEAN:
      col_sum(o, x, n, inner, w, TERM_X, NULL, scratch);
      for (int64_t j = 0; j < w; j++) o[j] /= dn;
      break;
    case GD_RED_VAR: case GD_RED_STD:
      col_sum(tmp, x, n, inner, w, TERM_X, NULL, scratch);
      for (int64_t j = 0; j < w; j++) tmp[j] /= dn;
      col_sum(o, x, n, inner, w, TERM_SQDEV, tmp, scratch);
      for (int64_t j = 0; j < w; j++) o[j] = var_of(o[j], dn, c->ddof, c->op == GD_RED_STD);
      break;
    case GD_RED_PROD: {  /* rows in order, 4 per pass over o */
      for (int64_t j = 0; j < w; j++) o[j] = x[j];
      int64_t i = 1;
      for (; i + 4 <= n; i += 4) {
        const double *r0 = x + i * inner, *r1 = r0 + inner, *r2 = r1 + inner, *r3 = r2 + inner;
        for (int64_t j = 0; j < w; j++) o[j] = o[j] * r0[j] * r1[j] * r2[j] * r3[j];
      }
      for (; i < n; i++)
        for (int64_t j = 0; j < w; j++) o[j] *= x[i * inner + j];
      break;
    }
    case GD_RED_NORM:
      for (int64_t j = 0; j < w; j++) tmp[j] = 0;
      for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < w; j++) {
          double a = fabs(x[i * inner + j]);
          tmp[j] = (a > tmp[j] || a != a) ? a : tmp[j];
        }
      col_sum(o, x, n, inner, w, TERM_SQSCALED, tmp, scratch);   /* junk where tmp is 0/inf/NaN */
      for (int64_t j = 0; j < w; j++) {
        double a = tmp[j];
        o[j] = (a == 0 || a != a || isinf(a)) ? a : a * sqrt(o[j]);
      }
      break;
    case GD_RED_LOGSUMEXP:
      col_extreme(tmp, NULL, x, n, inner, w, 1);
      col_sum(o, x, n, inner, w, TERM_EXPDEV, tmp, scratch);
      for (int64_t j = 0; j < w; j++) {
        double m = tmp[j];
        o[j] = (m != m || isinf(m)) ? m : m + log(o[j]);
      }
      break;
    case GD_RED_MAX: case GD_RED_MIN:
      col_extreme(o, ix, x, n, inner, w, c->op == GD_RED_MAX);
      break;
    case GD_RED_ARGMAX: case GD_RED_ARGMIN:
      col_extreme(tmp, o, x, n, inner, w, c->op == GD_RED_ARGMAX);
      if (ix) for (int64_t j = 0; j < w; j++) ix[j] = o[j];
      break;
    default: break;
  }
}

typedef struct coljob {
  const redctx *c;
  double *out, *idx, *buf;
  const double *x;
  int64_t inner, w, tiles, units;
  size_t bufsize;         /* doubles of buf per part */
} coljob;

/* Part k: a contiguous range of the (outer, tile) units. */
static void col_part(void *arg, int k, int nparts) {
  const coljob *j = arg;
  int64_t lo, hi;
  gd_par_range(j->units, k, nparts, 1, &lo, &hi);
  double *buf = j->buf + (size_t)k * j->bufsize;
  for (int64_t u = lo; u < hi; u++) {
    int64_t o = u / j->tiles, j0 = (u % j->tiles) * j->w;
    int64_t tw = j->inner - j0 < j->w ? j->inner - j0 : j->w;
    size_t at = (size_t)(o * j->inner + j0);
    col_tile(j->c, j->out + at, j->idx ? j->idx + at : NULL,
             j->x + (size_t)o * (size_t)(j->c->len * j->inner) + j0, j->inner, tw, buf, buf + j->w);
  }
}

/* Reduce contiguous x (outer × n × inner, n ≥ 1, inner > 1) over the middle
 * dim into contiguous out (outer × inner) and idx.  Each column's result
 * depends on its values alone, so any tiling (and thread split) gives the
 * same bits; tiles narrow so that every thread has one. */
static int reduce_cols(const redctx *c, double *out, double *idx, const double *x,
                       int64_t outer, int64_t inner) {
  int parts = gd_par_parts(outer * c->len * inner, RED_GRAIN);
  int64_t w = inner < COL_TILE ? inner : COL_TILE;
  if (outer * ((inner + w - 1) / w) < parts) {   /* narrower tiles, but rows of ≥ 4 KB */
    int64_t per = (inner + parts - 1) / parts;
    w = per < COL_TILE / 2 ? COL_TILE / 2 : (per + 7) / 8 * 8;
  }
  int64_t tiles = (inner + w - 1) / w;
  if (outer * tiles < parts) parts = (int)(outer * tiles);
  size_t per = (size_t)(col_levels(c->len) + 1) * (size_t)w;
  /* the scratch comes from the storage pool, reused from call to call */
  gd_tensor tmp;
  gd_tensor_init(&tmp);
  int64_t nbuf = (int64_t)(per * (size_t)parts);
  if (gd_tensor_alloc(&tmp, 1, &nbuf))
    return gd_seterr(GD_ENOMEM, "out of memory for a reduction's %zu-byte buffer",
                     per * (size_t)parts * sizeof(double));
  coljob j = {c, out, idx, gd_data(&tmp), x, inner, w, tiles, outer * tiles, per};
  gd_par_run(parts, col_part, &j);
  gd_tensor_release(&tmp);
  return GD_OK;
}

/* ---- one line split across threads ---------------------------------------- *
 * The line's pairwise tree (gd_sum_line's, or sumsq_line's for var) is cut
 * at depth d: its 2^d subtrees are summed in parallel and added back up the
 * same tree, so the result is the one-thread result, bit for bit. */

#define TREE_MAXDEPTH 6

typedef struct treejob {
  const double *x;
  double m;                 /* sumsq: the mean subtracted */
  int sq;                   /* 0: sum_line, 1: sumsq_line, 2: sumsq0_line */
  int pf;                   /* the whole line's prefetch flag, for every leaf */
  int nleaves;
  int64_t off[1 << TREE_MAXDEPTH], len[1 << TREE_MAXDEPTH];
  double val[1 << TREE_MAXDEPTH];
} treejob;

static int64_t tree_half(int64_t n) { return half_of(n); }   /* as the lines split */

/* The length below which a line's tree stops splitting. */
static int64_t tree_leaf_len(int sq) { return sq == 2 ? NORM_LEAF : 128; }

/* Leaves of the tree of [off, off + n) cut at depth. */
static void tree_cut(treejob *j, int64_t off, int64_t n, int depth) {
  if (depth == 0 || n <= tree_leaf_len(j->sq)) {
    j->off[j->nleaves] = off;
    j->len[j->nleaves++] = n;
    return;
  }
  int64_t h = tree_half(n);
  tree_cut(j, off, h, depth - 1);
  tree_cut(j, off + h, n - h, depth - 1);
}

/* The sum of [.., n) from the leaves, consumed in order at *next. */
static double tree_join(const treejob *j, int64_t n, int depth, int *next) {
  if (depth == 0 || n <= tree_leaf_len(j->sq)) return j->val[(*next)++];
  int64_t h = tree_half(n);
  double a = tree_join(j, h, depth - 1, next);
  return a + tree_join(j, n - h, depth - 1, next);
}

/* One line (or leaf) of line_sum_par, by its kind sq. */
static double line_sum_one(const double *x, int64_t n, int sq, double m, int pf) {
  return sq == 2 ? sumsq0_line(x, n) : sq ? sumsq_line(x, n, 1, m) : sum_line(x, n, 1, pf);
}

static void tree_leaf(void *arg, int k, int nleaves) {
  treejob *j = arg;
  (void)nleaves;
  const double *p = j->x + j->off[k];
  j->val[k] = line_sum_one(p, j->len[k], j->sq, j->m, j->pf);
}

/* gd_sum_line(x, n, 1) (sq = 0), sumsq_line(x, n, 1, m) (sq = 1) or
 * sumsq0_line(x, n) (sq = 2), threaded. */
static double line_sum_par(const double *x, int64_t n, int sq, double m) {
  int parts = gd_par_parts(n, RED_GRAIN);
  if (parts <= 1) return line_sum_one(x, n, sq, m, prefetched(n, 1));
  int depth = 0;
  while ((1 << depth) < parts && depth < TREE_MAXDEPTH) depth++;
  treejob j;
  j.x = x;
  j.m = m;
  j.sq = sq;
  j.pf = prefetched(n, 1);   /* a leaf streams from memory as the whole line would */
  j.nleaves = 0;
  tree_cut(&j, 0, n, depth);
  gd_par_run(j.nleaves, tree_leaf, &j);   /* one chunk per leaf */
  int next = 0;
  return tree_join(&j, n, depth, &next);
}

/* ---- drivers --------------------------------------------------------------- */

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

/* *src = x when contiguous, else a contiguous copy of it in tmp (released by
 * the caller; tmp is initialized either way). */
static int flat_of(const gd_tensor *x, gd_tensor *tmp, const gd_tensor **src) {
  gd_tensor_init(tmp);
  *src = x;
  if (gd_is_contig(x)) return GD_OK;
  *src = tmp;
  return gd_contiguous(tmp, x);
}

/* All elements of x reduced into out[0] (and idx[0]). */
static int reduce_all(gd_tensor *out, gd_tensor *idx, redctx *c, const gd_tensor *x) {
  gd_tensor tmp;
  const gd_tensor *src;
  int rc = flat_of(x, &tmp, &src);
  if (rc) return rc;
  c->len = (int64_t)x->numel;
  c->step = 1;
  double pos = 0, n = (double)c->len, *o = gd_data(out);
  const double *p = gd_data(src);
  switch (x->numel ? c->op : GD_RED_COUNT) {
    case GD_RED_SUM: o[0] = line_sum_par(p, c->len, 0, 0); break;
    case GD_RED_MEAN: o[0] = line_sum_par(p, c->len, 0, 0) / n; break;
    case GD_RED_VAR: case GD_RED_STD: {
      double m = line_sum_par(p, c->len, 0, 0) / n;
      o[0] = var_of(line_sum_par(p, c->len, 1, m), n, c->ddof, c->op == GD_RED_STD);
      break;
    }
    case GD_RED_NORM: {
      double ss = line_sum_par(p, c->len, 2, 0);
      o[0] = norm_direct(ss) ? sqrt(ss) : reduce_line(c, p, &pos);
      break;
    }
    default: o[0] = x->numel ? reduce_line(c, p, idx ? &pos : NULL) : reduce_line(c, &pos, NULL);
  }
  gd_tensor_release(&tmp);
  if (idx) gd_data(idx)[0] = pos;
  return GD_OK;
}

/* The nonzeros of p[0..n), in 8 lanes of 0/1 doubles (exact below 2^53 per lane). */
GD_CLONES static int64_t count_nonzero(const double *p, int64_t n) {
  double c[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) c[k] += p[i + k] != 0 ? 1.0 : 0.0;
  int64_t t = 0;
  for (int k = 0; k < 8; k++) t += (int64_t)c[k];
  for (; i < n; i++) t += p[i] != 0;
  return t;
}

int gd_count_nonzero(const gd_tensor *x, int64_t *count) {
  gd_tensor tmp;
  const gd_tensor *src;
  int rc = flat_of(x, &tmp, &src);
  if (rc) return rc;
  *count = count_nonzero(gd_data(src), (int64_t)src->numel);
  gd_tensor_release(&tmp);
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
    if ((rc = reduce_all(out, idx, &c, x))) return rc;
    gd_touch(out);
    return GD_OK;
  }
  if (dim >= x->ndim) return gd_seterr(GD_EARG, "dim %d out of range", dim + 1);
  if (needs_nonempty && x->shape[dim] == 0)
    return gd_seterr(GD_EARG, "%s over an empty dim", gd_redop_name(op));
  c.len = x->shape[dim];
  int64_t inner = 1;
  for (int i = dim + 1; i < x->ndim; i++) inner *= x->shape[i];
  if (c.len > 0 && inner > 1 && x->numel > 0 && gd_is_contig(x) && gd_is_contig(out) &&
      (!idx || gd_is_contig(idx))) {    /* rows accumulated into the output */
    if ((rc = reduce_cols(&c, gd_data(out), idx ? gd_data(idx) : NULL, gd_data(x),
                          (int64_t)x->numel / (c.len * inner), inner)))
      return rc;
    gd_touch(out);
    return GD_OK;
  }
  int64_t xs[GD_MAXDIM];
  int ond = 0;
  for (int i = 0; i < x->ndim; i++) {
    if (i == dim) {
      if (keepdim) xs[ond++] = 0;
      continue;
    }
    xs[ond++] = x->stride[i];
  }
  c.step = c.len ? x->stride[dim] : 0;
  double zero = 0;
  double *xb = c.len ? gd_data(x) : &zero;
  int parts = gd_par_parts((int64_t)x->numel, RED_GRAIN);   /* whole lines each */
  gd_iter it;
  if (idx) {
    const int64_t *st[3] = {out->stride, idx->stride, xs};
    gd_iter_init(&it, 3, out->ndim, out->shape, st);
    double *base[3] = {gd_data(out), gd_data(idx), xb};
    gd_iter_run_par(&it, base, reduce_fn, &c, gd_iter_run, parts, 1);
  } else {
    const int64_t *st[2] = {out->stride, xs};
    gd_iter_init(&it, 2, out->ndim, out->shape, st);
    double *base[2] = {gd_data(out), xb};
    gd_iter_run_par(&it, base, reduce_noidx_fn, &c, gd_iter_run, parts, 1);
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
