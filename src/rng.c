/* rng.c: xoshiro256** and the distributions drawn from it.
 *
 * Reproducibility is the point: the same seed gives bit-identical tensors on
 * every IEEE-754 machine, so results never depend on libm.  Every draw uses
 * + - * / sqrt floor frexp ldexp (all exact or correctly rounded) and this
 * file's own log and exp.  Floating-point contraction (fused multiply-add)
 * would change results between machines, so it is off here.
 * Not cryptographic; not a general math library (gd_rng_log is ~1 ulp, not
 * correctly rounded, and that is enough).
 */
#include "rng.h"

#include <math.h>

#include "kernels.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")   /* gcc ignores the STDC pragma */
#endif

/* ---- generator ----------------------------------------------------------- */

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* splitmix64: advance *x by the golden gamma and return a mixed output. */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void gd_rng_seed(gd_rng *g, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) g->s[i] = splitmix64(&x);
  g->spare = 0;
  g->has_spare = 0;
}

uint64_t gd_rng_next(gd_rng *g) {
  uint64_t *s = g->s;
  uint64_t r = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

double gd_rng_unif(gd_rng *g) {
  return (double)(gd_rng_next(g) >> 11) * 0x1.0p-53;
}

uint64_t gd_rng_int(gd_rng *g, uint64_t m) {
  uint64_t mask = m;            /* smallest 2^k − 1 >= m */
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  uint64_t x;
  do x = gd_rng_next(g) & mask; while (x > m);   /* accepts with prob > ½ */
  return x;
}

/* ---- deterministic log and exp ------------------------------------------- */

/* ln 2 = LN2_HI + LN2_LO; LN2_HI has 41 significant bits, so k·LN2_HI is
 * exact for |k| < 2^12 (every binary exponent of a double). */
#define LN2_HI 0x1.62e42fefa3000p-1
#define LN2_LO 0x1.3de6af278ece6p-42
#define INV_LN2 1.4426950408889634
#define SQRT_HALF 0.70710678118654752440

double gd_rng_log(double x) {
  if (!(x > 0) || x == HUGE_VAL) return x == 0 ? -HUGE_VAL : x > 0 ? x : NAN;
  int k;
  double m = frexp(x, &k);          /* x = m·2^k, m in [½, 1) */
  if (m < SQRT_HALF) { m *= 2; k--; }
  double f = m - 1;                 /* exact (Sterbenz); |f| < 0.415 */
  /* log(1 + f) = 2 atanh(s) with s = f/(2 + f), |s| < 0.172:
   * 2 atanh(s) = 2s + s·R, R = 2(z/3 + z²/5 + ... ), z = s², and 2s = f − s·f,
   * so log(1 + f) = f − s·(f − R).  Terms past z¹¹ are below 2⁻⁶⁰. */
  double s = f / (2 + f), z = s * s;
  double R = z * (2.0 / 3 + z * (2.0 / 5 + z * (2.0 / 7 + z * (2.0 / 9 + z * (2.0 / 11 +
             z * (2.0 / 13 + z * (2.0 / 15 + z * (2.0 / 17 + z * (2.0 / 19 +
             z * (2.0 / 21 + z * (2.0 / 23)))))))))));
  double dk = k;
  return dk * LN2_HI + (f - (s * (f - R) - dk * LN2_LO));
}

double gd_rng_exp(double x) {
  if (x != x) return x;
  if (x > 709.8) return HUGE_VAL;
  if (x < -745.2) return 0;
  /* x = k·ln2 + r, |r| <= ½ln2; e^r by its Taylor series to r¹⁴/14!. */
  double k = floor(x * INV_LN2 + 0.5);
  double r = (x - k * LN2_HI) - k * LN2_LO;
  double p = 1 + r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 +
             r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 +
             r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 +
             r * (1.0 / 6227020800 + r * (1.0 / 87178291200))))))))))))));
  return ldexp(p, (int)k);
}

/* log(1 + x) for x in (−1, 0]: Goldberg's trick corrects the rounding of 1 + x. */
static double log1p_det(double x) {
  double u = 1 + x;
  return u == 1 ? x : gd_rng_log(u) * x / (u - 1);
}

/* ---- normal -------------------------------------------------------------- */

double gd_rng_gauss(gd_rng *g) {
  if (g->has_spare) {
    g->has_spare = 0;
    return g->spare;
  }
  /* Marsaglia's polar method: (u, v) uniform in the unit disc, s = u² + v²;
   * then u·f and v·f with f = √(−2 log s / s) are independent N(0, 1). */
  double u, v, s;
  do {
    u = 2 * gd_rng_unif(g) - 1;
    v = 2 * gd_rng_unif(g) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  double f = sqrt(-2 * gd_rng_log(s) / s);
  g->spare = v * f;
  g->has_spare = 1;
  return u * f;
}

/* ---- binomial ------------------------------------------------------------ */

/* fc(k) = log k! − [(k + ½) log(k + 1) − (k + 1) + ½ log 2π], the tail of
 * Stirling's series: tabled for k < 10, else its first three terms. */
static double stirling_tail(double k) {
  static const double table[10] = {
    0.08106146679532726, 0.0413406959554093, 0.02767792568499834,
    0.020790672103765093, 0.016644691189821193, 0.013876128823070748,
    0.01189670994589177, 0.010411265261972096, 0.009255462182712733,
    0.00833056343336287};
  if (k < 10) return table[(int)k];
  double r = 1 / (k + 1), rr = r * r;
  return (1.0 / 12 - (1.0 / 360 - rr / 1260) * rr) * r;
}

/* Everything a draw of B(n, p) needs that depends on n and p only, so a
 * tensor of draws with one p computes it once.  The draw is of B(n, p') with
 * p' = min(p, 1 − p) <= ½; flip returns n − k when p > ½. */
typedef struct binom_setup {
  double n, p;            /* as asked */
  int trivial, flip, btrd;
  double q, s, a, r0, bound;                       /* inversion */
  double m, r, nr, npq, bb, aa, c, alpha, vr, urvr; /* BTRD */
} binom_setup;

static void binom_prepare(binom_setup *b, double n, double p) {
  b->n = n;
  b->p = p;
  b->trivial = n == 0 || p == 0 || p == 1;
  b->flip = p > 0.5;
  if (b->trivial) return;
  if (b->flip) p = 1 - p;            /* exact for p in [½, 1] */
  double q = 1 - p;
  b->btrd = n * p >= 10;
  if (!b->btrd) {
    /* Inversion: walk the pmf P(k) = P(k−1)·(n−k+1)/k·p/q from P(0) = qⁿ,
     * n·p + 1 steps on average.  The bound lies past any reachable tail
     * (P(X > bound) < 1e−40): it only ends a walk that rounding kept alive. */
    b->q = q;
    b->s = p / q;
    b->a = (n + 1) * b->s;
    b->r0 = gd_rng_exp(n * log1p_det(-p));
    b->bound = fmin(n, n * p + 20 * sqrt(n * p * q + 1) + 10);
    return;
  }
  /* BTRD (Hörmann, "The generation of binomial random variates", 1993):
   * transformed rejection with a decomposition, exact for n·p >= 10. */
  b->m = floor((n + 1) * p);
  b->r = p / q;
  b->nr = (n + 1) * b->r;
  b->npq = n * p * q;
  double spq = sqrt(b->npq);
  b->bb = 1.15 + 2.53 * spq;
  b->aa = -0.0873 + 0.0248 * b->bb + 0.01 * p;
  b->c = n * p + 0.5;
  b->alpha = (2.83 + 5.1 / b->bb) * spq;
  b->vr = 0.92 - 4.2 / b->bb;
  b->urvr = 0.86 * b->vr;
}

static double binom_inversion(gd_rng *g, const binom_setup *b) {
  for (;;) {
    double u = gd_rng_unif(g), r = b->r0, x = 0;
    while (u > r && x <= b->bound) {
      u -= r;
      x++;
      r *= b->a / x - b->s;
    }
    if (x <= b->bound) return x;
  }
}

/* BTRD's loop; step numbers are the paper's. */
static double binom_btrd(gd_rng *g, const binom_setup *b) {
  const double n = b->n, m = b->m, r = b->r, nr = b->nr, npq = b->npq;
  const double a = b->aa, bb = b->bb, c = b->c, vr = b->vr;
  for (;;) {
    double v = gd_rng_unif(g), u;
    if (v <= b->urvr) {                                /* 1: immediate acceptance */
      u = v / vr - 0.43;
      return floor((2 * a / (0.5 - fabs(u)) + bb) * u + c);
    }
    if (v >= vr) {                                     /* 2: generate u */
      u = gd_rng_unif(g) - 0.5;
    } else {
      u = v / vr - 0.93;
      u = (u < 0 ? -0.5 : 0.5) - u;
      v = gd_rng_unif(g) * vr;
    }
    double us = 0.5 - fabs(u);                         /* 3.0 */
    double k = floor((2 * a / us + bb) * u + c);
    if (!(k >= 0 && k <= n)) continue;
    v = v * b->alpha / (a / (us * us) + bb);
    double km = fabs(k - m);
    if (km <= 15) {                                    /* 3.1: f(k)/f(m) recursively */
      double f = 1;
      if (m < k) for (double i = m + 1; i <= k; i++) f *= nr / i - r;
      else for (double i = k + 1; i <= m; i++) v *= nr / i - r;
      if (v <= f) return k;
      continue;
    }
    v = gd_rng_log(v);                                 /* 3.2: squeeze */
    double rho = km / npq * (((km / 3 + 0.625) * km + 1.0 / 6) / npq + 0.5);
    double t = -km * km / (2 * npq);
    if (v < t - rho) return k;
    if (v > t + rho) continue;
    double nm = n - m + 1;                             /* 3.3 */
    double h = (m + 0.5) * gd_rng_log((m + 1) / (r * nm)) + stirling_tail(m) +
               stirling_tail(n - m);
    double nk = n - k + 1;                             /* 3.4: final test */
    if (v <= h + (n + 1) * gd_rng_log(nm / nk) + (k + 0.5) * gd_rng_log(nk * r / (k + 1)) -
                stirling_tail(k) - stirling_tail(n - k))
      return k;
  }
}

static double binom_draw(gd_rng *g, const binom_setup *b) {
  if (b->trivial) return b->p == 1 ? b->n : 0;
  double k = b->btrd ? binom_btrd(g, b) : binom_inversion(g, b);
  return b->flip ? b->n - k : k;
}

double gd_rng_binom(gd_rng *g, double n, double p) {
  binom_setup b;
  binom_prepare(&b, n, p);
  return binom_draw(g, &b);
}

/* ---- tensors ------------------------------------------------------------- */

#define MAX_EXACT 9007199254740992.0   /* 2^53 */

int gd_rng_uniform(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                   double lo, double hi) {
  if (!isfinite(lo) || !isfinite(hi))
    return gd_seterr(GD_EARG, "bounds must be finite (lo = %g, hi = %g)", lo, hi);
  if (lo > hi) return gd_seterr(GD_EARG, "lo = %g > hi = %g", lo, hi);
  double w = hi - lo;
  if (!isfinite(w)) return gd_seterr(GD_EARG, "hi - lo overflows (lo = %g, hi = %g)", lo, hi);
  int rc = gd_tensor_alloc(out, ndim, shape);
  return rc ? rc : gd_rng_fill(g, GD_RNG_UNIFORM, out, lo, hi);
}

int gd_rng_normal(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                  double mean, double std) {
  if (!isfinite(mean)) return gd_seterr(GD_EARG, "mean = %g is not finite", mean);
  if (!isfinite(std)) return gd_seterr(GD_EARG, "std = %g is not finite", std);
  if (std < 0) return gd_seterr(GD_EARG, "std = %g < 0", std);
  int rc = gd_tensor_alloc(out, ndim, shape);
  return rc ? rc : gd_rng_fill(g, GD_RNG_NORMAL, out, mean, std);
}

int gd_rng_randint(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                   int64_t lo, int64_t hi) {
  const int64_t lim = (int64_t)1 << 53;
  if (lo > hi) return gd_seterr(GD_EARG, "lo = %lld > hi = %lld", (long long)lo, (long long)hi);
  if (lo < -lim || hi > lim)
    return gd_seterr(GD_EARG, "bounds [%lld, %lld] outside [-2^53, 2^53]", (long long)lo,
                     (long long)hi);
  int rc = gd_tensor_alloc(out, ndim, shape);
  if (rc) return rc;
  double *d = gd_data(out);
  uint64_t m = (uint64_t)(hi - lo);
  for (size_t i = 0; i < out->numel; i++) d[i] = (double)(lo + (int64_t)gd_rng_int(g, m));
  return GD_OK;
}

int gd_rng_param(gd_tensor *out, int ndim, const int64_t *shape, const gd_tensor *p,
                 const char *name, double lo, double hi, int lo_open) {
  int nb;
  int64_t b[GD_MAXDIM];
  if (gd_broadcast_shape(p->ndim, p->shape, ndim, shape, &nb, b) ||
      !gd_shape_eq(nb, b, ndim, shape)) {
    char s1[128], s2[128];
    return gd_seterr(GD_ESHAPE, "%s of shape %s does not broadcast to shape %s", name,
                     gd_shape_str(s1, sizeof s1, p->ndim, p->shape),
                     gd_shape_str(s2, sizeof s2, ndim, shape));
  }
  int rc = gd_tensor_alloc(out, ndim, shape);
  if (!rc) rc = gd_copy_into(out, p);
  if (rc) return rc;
  const double *d = gd_data(out);
  for (size_t i = 0; i < out->numel; i++)
    if (!((lo_open ? d[i] > lo : d[i] >= lo) && d[i] <= hi)) {
      double bad = d[i];
      gd_tensor_release(out);
      return gd_seterr(GD_EARG, "%s = %g outside %c%g, %g]", name, bad, lo_open ? '(' : '[',
                       lo, hi);
    }
  return GD_OK;
}

/* out = p broadcast to shape, every value checked to lie in [0, 1]. */
static int probabilities(gd_tensor *out, int ndim, const int64_t *shape, const gd_tensor *p) {
  return gd_rng_param(out, ndim, shape, p, "p", 0, 1, 0);
}

int gd_rng_binomial(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                    int64_t n, const gd_tensor *p) {
  if (n < 0) return gd_seterr(GD_EARG, "n = %lld < 0", (long long)n);
  if ((double)n > MAX_EXACT) return gd_seterr(GD_EARG, "n = %lld > 2^53", (long long)n);
  int rc = probabilities(out, ndim, shape, p);
  if (rc) return rc;
  double *d = gd_data(out);
  binom_setup b;
  binom_prepare(&b, (double)n, out->numel ? d[0] : 0);
  for (size_t i = 0; i < out->numel; i++) {
    if (d[i] != b.p) binom_prepare(&b, b.n, d[i]);
    d[i] = binom_draw(g, &b);
  }
  return GD_OK;
}

int gd_rng_bernoulli(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                     const gd_tensor *p) {
  int rc = probabilities(out, ndim, shape, p);
  if (rc) return rc;
  double *d = gd_data(out);
  for (size_t i = 0; i < out->numel; i++) d[i] = gd_rng_unif(g) < d[i] ? 1 : 0;
  return GD_OK;
}

int gd_rng_randperm(gd_rng *g, gd_tensor *out, int64_t n) {
  if (n < 0) return gd_seterr(GD_EARG, "n = %lld < 0", (long long)n);
  int64_t shape[1] = {n};
  int rc = gd_tensor_alloc(out, 1, shape);
  return rc ? rc : gd_rng_fill(g, GD_RNG_RANDPERM, out, 0, 0);
}

int gd_rng_fill(gd_rng *g, gd_rng_kind kind, gd_tensor *out, double a, double b) {
  if (!gd_is_contig(out)) return gd_seterr(GD_EARG, "a random draw into a strided tensor");
  double *d = gd_data(out);
  size_t n = out->numel;
  switch (kind) {
    case GD_RNG_UNIFORM: {                       /* a = lo, b = hi, checked by the caller */
      double w = b - a, top = w > 0 ? nextafter(b, a) : a;
      for (size_t i = 0; i < n; i++) {
        double x = a + w * gd_rng_unif(g);
        d[i] = x < b ? x : top;                  /* rounding can reach hi; keep [lo, hi) */
      }
      return GD_OK;
    }
    case GD_RNG_NORMAL:                          /* a = mean, b = std */
      for (size_t i = 0; i < n; i++) d[i] = a + b * gd_rng_gauss(g);
      return GD_OK;
    case GD_RNG_RANDPERM:
      for (size_t i = 0; i < n; i++) d[i] = (double)(i + 1);
      for (size_t i = n; i-- > 1;) {             /* Fisher–Yates */
        size_t j = (size_t)gd_rng_int(g, (uint64_t)i);
        double t = d[i];
        d[i] = d[j];
        d[j] = t;
      }
      return GD_OK;
  }
  return gd_seterr(GD_EARG, "unknown random kind %d", (int)kind);
}
