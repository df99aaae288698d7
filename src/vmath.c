/* vmath.c: vectorizable exp, expm1, tanh, log, log1p, sigmoid, softplus, sqrt.
 *
 * exp(x) = 2^k · exp(r), k = round(x/ln2), r = x − k·ln2 (ln2 split in a
 * high part with trailing zero bits and a low part, so k·ln2hi is exact),
 * |r| ≤ ln2/2.  exp(r) = 1 + r + r²/2! + … + r¹³/13! (truncation < 4e-18),
 * summed so that the leading 1 is added last (vm_exp_reduce in vmath_dd.h).
 * 2^k is built from the bits of the rounding shifter and applied in two
 * halves, which also covers subnormal results and k = 1024.  Out-of-range
 * inputs select inf / 0.  The functions built on exp keep its result in
 * double-double (vmath_dd.h) until one final rounding, so each stays within
 * about ½ulp of the true value (softplus, for speed, within 1.5: see
 * softplus_fast); no loop calls libm, and special values
 * (±0, ±inf, NaN) are selected, not branched on.
 */
#include "vmath.h"
#include "vmath_dd.h"

/* exp over the whole range, one element (the slow path of gd_vexp). */
static double exp_full(double v, const void *ctx) {
  (void)ctx;
  double xc = v > 709.9 ? 709.9 : (v < -746.0 ? -746.0 : v);
  double k, t;
  double r = vm_exp_reduce(xc, 0.0, &k, &t);
  double res = vm_scale(1.0 + (r + t), k);   /* the leading 1 added last */
  res = v > 709.782712893384 ? INFINITY : res;
  res = v < -745.1332191019412 ? 0.0 : res;
  return v != v ? v : res;
}
static int exp_edge(double v, const void *ctx) { (void)ctx; return !(fabs(v) <= 708.0); }

/* exp(v) for |v| ≤ 708, where 2^k is one normal double: no clamps, no selects. */
VM_INLINE double exp_normal(double v) {
  const double inv_ln2 = 1.4426950408889634074, shift = 0x1.8p52;
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  double kd = fma(v, inv_ln2, shift) - shift;
  double r = fma(-kd, ln2lo, fma(-kd, ln2hi, v));
  return (1.0 + (r + vm_exp_poly(r))) * vm_pow2(kd);
}

GD_CLONES
static int exp_fast(double *y, const double *x, int64_t m, const void *ctx) {
  int edge = 0;
  (void)ctx;
  for (int64_t i = 0; i < m; i++) {
    double v = x[i];
    edge |= !(fabs(v) <= 708.0);
    y[i] = exp_normal(v);
  }
  return edge;
}

void gd_vexp(double *y, const double *x, int64_t n) { vm_run(y, x, n, NULL, exp_fast, exp_edge, exp_full); }

/* expm1(x) = 2·((2^(k−1) − ½) + 2^(k−1)·r + 2^(k−1)·t), e^r − 1 = r + t: the
 * first term is exact for k ≥ −52 (−½ below, off by < 2^(k−1)), the first
 * two are summed by Fast2Sum (|2^(k−1) − ½| ≥ 2^(k−1)·|r| for every k, both
 * 0 at k = 0), so no digits are lost to cancellation near 0 (k = 0 leaves
 * r + t) or near −1 (x ≤ −40 gives −1); halving 2^k lets k = 1024 through. */
static inline double expm1_dd(double x, double *lo) {
  double k, t, e, l;
  double r = vm_exp_reduce(x, 0.0, &k, &t);
  double sc = vm_pow2(k - 1.0);             /* k in [−58, 1024]: 2^(k−1) is a normal double */
  double h = vm_fast_two_sum(sc - 0.5, sc * r, &e);
  double hi = vm_fast_two_sum(h, e + sc * t, &l);
  *lo = 2.0 * l;
  return 2.0 * hi;
}

GD_CLONES
void gd_vexpm1(double *y, const double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], lo;
    double xc = v > 709.9 ? 709.9 : (v < -40.0 ? -40.0 : v);
    double res = expm1_dd(xc, &lo);
    res = v > 709.782712893384 ? INFINITY : res;
    res = fabs(v) < 0x1p-54 ? v : res;      /* x + x²/2 rounds to x (and ±0, subnormals: exact) */
    y[i] = v != v ? v : res;
  }
}

/* tanh|x| = E/(E + 2) with E = expm1(2|x|) in dd and a dd division; past
 * |x| = 20 the quotient rounds to 1.  The sign is copied from x. */
GD_CLONES
void gd_vtanh(double *y, const double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], el, dl;
    double a = fabs(v);
    a = a < 20.0 ? a : 20.0;
    double eh = expm1_dd(2.0 * a, &el);
    double dh = vm_two_sum(2.0, eh, &dl);
    double q = vm_dd_div(eh, el, dh, dl + el);
    y[i] = v != v ? v : copysign(q, v);
  }
}

/* log(x): x = 2^k · m with m in [√½, √2), f = m − 1, s = f/(2 + f);
 * log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with R the odd-series remainder
 * 2s³/3 + 2s⁵/5 + … as a degree-7 minimax polynomial in s² (fdlibm's
 * coefficients); k·ln2 in a high and a low part, c a correction added to
 * the low part (log1p's).  The caller has taken k and m from x. */
VM_INLINE double log_core(double k, double f, double c) {
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
               Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
               Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  double s = f / (2.0 + f);
  double z = s * s, w = z * z;
  double t1 = w * fma(w, fma(w, Lg6, Lg4), Lg2);
  double t2 = z * fma(w, fma(w, fma(w, Lg7, Lg5), Lg3), Lg1);
  double R = t2 + t1, hfsq = 0.5 * f * f;
  return k * ln2hi - ((hfsq - fma(s, hfsq + R, fma(k, ln2lo, c))) - f);
}

/* x = 2^k·m, m in [√½, √2), for positive normal x: returns m, *k gets k. */
VM_INLINE double log_split(double x, double *k) {
  uint64_t ix = vm_bits(x);
  /* the biased exponent e as a double: the bits of 2^52 + e, minus 2^52 */
  double e = vm_double((ix >> 52) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
  double m = vm_double((ix & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  int big = m > 1.41421356237309504880;
  *k = big ? e + 1.0 : e;
  return big ? m * 0.5 : m;
}

/* log over the whole range, one element: subnormals scaled by 2^54, x < 0
 * gives NaN, 0 gives −inf, +inf and NaN pass through. */
static double log_full(double v, const void *ctx) {
  (void)ctx;
  int sub = v < 0x1p-1022;
  double k, m = log_split(sub ? v * 0x1p54 : v, &k);
  double res = log_core(sub ? k - 54.0 : k, m - 1.0, 0.0);
  res = v == 0 ? -INFINITY : res;
  res = v < 0 ? NAN : res;
  res = v == INFINITY ? v : res;
  return v != v ? v : res;
}
static int log_edge(double v, const void *ctx) { (void)ctx; return !(v >= 0x1p-1022 && v <= 0x1.fffffffffffffp1023); }

/* log of positive normal finite x. */
GD_CLONES
static int log_fast(double *y, const double *x, int64_t n, const void *ctx) {
  int edge = 0;
  (void)ctx;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], k;
    edge |= !(v >= 0x1p-1022 && v <= 0x1.fffffffffffffp1023);
    double m = log_split(v, &k);
    y[i] = log_core(k, m - 1.0, 0.0);
  }
  return edge;
}

void gd_vlog(double *y, const double *x, int64_t n) { vm_run(y, x, n, NULL, log_fast, log_edge, log_full); }

/* log1p over the whole range, one element: log(w) + (x − (w − 1))/w with
 * w = 1 + x rounded (x < −1 gives NaN, −1 gives −inf). */
static double log1p_full(double v, const void *ctx) {
  double w = 1.0 + v;
  double r = log_full(w, ctx) + (v - (w - 1.0)) / w;
  r = w == 1.0 ? v : r;                     /* |x| below half an ulp of 1 (and ±0): x itself */
  return (v == INFINITY || w <= 0.0 || w != w) ? log_full(w, ctx) : r;
}
static int log1p_edge(double v, const void *ctx) { (void)ctx; return !(v > -1.0 && v < 0x1p1000); }

/* log1p(v) for −1 < v < 2^1000: w = 1 + v = 2^k·m, and the rounding error c
 * of w (exact: 1 − (w − v) when w ≥ 2, else v − (w − 1)) joins f as
 * f = m − 1 + c·2^−k, so 1 + f = (1 + v)·2^−k up to one rounding: a single
 * division (fdlibm's log1p divides c by w instead). */
VM_INLINE double log1p_normal(double v) {
  double k, w = 1.0 + v;
  double m = log_split(w, &k);
  double c = w >= 2.0 ? 1.0 - (w - v) : v - (w - 1.0);
  return log_core(k, fma(c, vm_pow2(-k), m - 1.0), 0.0);
}

GD_CLONES
static int log1p_fast(double *y, const double *x, int64_t n, const void *ctx) {
  int edge = 0;
  (void)ctx;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    edge |= !(v > -1.0 && v < 0x1p1000);
    y[i] = v == 0 ? v : log1p_normal(v);
  }
  return edge;
}

void gd_vlog1p(double *y, const double *x, int64_t n) { vm_run(y, x, n, NULL, log1p_fast, log1p_edge, log1p_full); }

/* sigmoid(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) below, e = exp(−|x|) in
 * dd and a dd division (no overflow, full relative accuracy for x ≪ 0). */
GD_CLONES
void gd_vsigmoid(double *y, const double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], el, dl;
    double a = fabs(v);
    double eh = vm_exp_dd(a < 746.0 ? -a : -746.0, 0.0, &el);
    double dh = vm_fast_two_sum(1.0, eh, &dl);
    double res = v >= 0 ? vm_dd_div(1.0, 0.0, dh, dl + el) : vm_dd_div(eh, el, dh, dl + el);
    y[i] = v != v ? v : res;
  }
}

/* softplus(x) = max(x, 0) + log1p(e), e = exp(−|x|) in dd; log1p(e) =
 * log(w) + wl/w with w + wl = 1 + e exactly and log in dd, then one final
 * rounding of the sum: the whole range, one element (softplus_fast's
 * edges: |x| > 708, NaN). */
static double softplus_full(double v, const void *ctx) {
  (void)ctx;
  double el, wl, ll, e;
  double a = fabs(v);
  double eh = vm_exp_dd(a < 746.0 ? -a : -746.0, 0.0, &el);
  double wh = vm_fast_two_sum(1.0, eh, &wl);
  double lh = vm_log_dd(wh, &ll);
  double s = vm_two_sum(v > 0 ? v : 0.0, lh, &e);
  double res = s + (e + (ll + (wl + el) / wh));
  res = v == INFINITY ? v : res;
  return v != v ? v : res;
}
static int softplus_edge(double v, const void *ctx) { (void)ctx; return !(fabs(v) <= 708.0); }

/* softplus for |x| ≤ 708: e = exp(−|x|) as gd_vexp computes it (a normal
 * double in (0, 1]), log1p(e) by log1p_normal (w = 1 + e in (1, 2], its
 * rounding error folded into f), then max(x, 0) + log1p(e), one rounding.
 * The error of e reaches log1p(e) shrunk by e/(1 + e) ≤ ½. */
GD_CLONES
static int softplus_fast(double *y, const double *x, int64_t m, const void *ctx) {
  int edge = 0;
  (void)ctx;
  for (int64_t i = 0; i < m; i++) {
    double v = x[i];
    edge |= !(fabs(v) <= 708.0);
    double e = exp_normal(-fabs(v));
    y[i] = (v > 0 ? v : 0.0) + log1p_normal(e);
  }
  return edge;
}

void gd_vsoftplus(double *y, const double *x, int64_t n) {
  vm_run(y, x, n, NULL, softplus_fast, softplus_edge, softplus_full);
}

/* y = √x, one vsqrtpd per vector (sqrt is inlined: -fno-math-errno). */
GD_CLONES
void gd_vsqrt(double *y, const double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = sqrt(x[i]);
}
