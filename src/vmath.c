/* vmath.c: vectorizable exp and log.
 *
 * exp(x) = 2^k · exp(r), k = round(x/ln2), r = x − k·ln2 (ln2 split in a
 * high part with trailing zero bits and a low part, so k·ln2hi is exact),
 * |r| ≤ ln2/2.  exp(r) = 1 + r + r²/2! + … + r¹³/13! (truncation < 4e-18),
 * summed so that the leading 1 is added last.  2^k is built from the bits
 * of the rounding shifter and applied in two halves, which also covers
 * subnormal results and k = 1024.  Out-of-range inputs select inf / 0.
 */
#include "vmath.h"

#include <math.h>
#include <string.h>

static inline double bits_to_double(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline uint64_t double_to_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

GD_CLONES
void gd_vexp(double *y, const double *x, int64_t n) {
  const double inv_ln2 = 1.4426950408889634074;
  const double ln2hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
  const double ln2lo = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
  const double shift = 0x1.8p52;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    double xc = v > 709.9 ? 709.9 : (v < -746.0 ? -746.0 : v);
    double kd = xc * inv_ln2 + shift;
    kd -= shift;                            /* k = round(x / ln2), exact */
    double r = (xc - kd * ln2hi) - kd * ln2lo;
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    /* p = 1/2! + r/3! + … + r¹¹/13! by Estrin's scheme: short dependency chains */
    double q0 = 0.5 + r * (1.0 / 6.0), q1 = 1.0 / 24.0 + r * (1.0 / 120.0);
    double q2 = 1.0 / 720.0 + r * (1.0 / 5040.0), q3 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
    double q4 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    double q5 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
    double p = (q0 + r2 * q1) + r4 * (q2 + r2 * q3) + r8 * (q4 + r2 * q5);
    double e = 1.0 + (r + r2 * p);
    /* 2^k = 2^k1 · 2^k2; the bits of k1 + shift are 0x4338000000000000 + k1 */
    double k1 = floor(kd * 0.5), k2 = kd - k1;
    const uint64_t bias = 1023 - 0x4338000000000000ULL;
    double s1 = bits_to_double((double_to_bits(k1 + shift) + bias) << 52);
    double s2 = bits_to_double((double_to_bits(k2 + shift) + bias) << 52);
    double res = e * s1 * s2;
    res = v > 709.782712893384 ? INFINITY : res;
    res = v < -745.1332191019412 ? 0.0 : res;
    y[i] = v != v ? v : res;
  }
}

/* log(x): x = 2^k · m with m in [√½, √2), f = m − 1, s = f/(2 + f);
 * log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with R the odd-series remainder
 * 2s³/3 + 2s⁵/5 + … as a degree-7 minimax polynomial in s² (fdlibm's
 * coefficients); k·ln2 in a high and a low part.  Subnormals are scaled by
 * 2^54 first; x < 0 gives NaN, 0 gives −inf, +inf and NaN pass through. */
GD_CLONES
void gd_vlog(double *y, const double *x, int64_t n) {
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
               Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
               Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  const double sqrt2 = 1.41421356237309504880;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    int sub = v < 0x1p-1022;
    double xs = sub ? v * 0x1p54 : v;
    uint64_t ix = double_to_bits(xs);
    /* the biased exponent e as a double: the bits of 2^52 + e, minus 2^52 */
    double k = bits_to_double((ix >> 52) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
    k = sub ? k - 54.0 : k;
    double m = bits_to_double((ix & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    int big = m > sqrt2;
    m = big ? m * 0.5 : m;
    k = big ? k + 1.0 : k;
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s, w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double R = t2 + t1, hfsq = 0.5 * f * f;
    double res = k * ln2hi - ((hfsq - (s * (hfsq + R) + k * ln2lo)) - f);
    res = v == 0 ? -INFINITY : res;
    res = v < 0 ? NAN : res;
    res = v == INFINITY ? v : res;
    y[i] = v != v ? v : res;
  }
}

/* y = y + (x − (w − 1))/w where w = 1 + x: log1p's correction term. */
GD_CLONES
static void log1p_fix(double *y, const double *x, const double *w, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double r = y[i] + (x[i] - (w[i] - 1.0)) / w[i];
    r = w[i] == 1.0 ? x[i] : r;           /* |x| below half an ulp of 1 (and ±0): x itself */
    y[i] = (x[i] == INFINITY || w[i] <= 0.0 || w[i] != w[i]) ? y[i] : r;   /* inf, −inf, NaN as log gave them */
  }
}

/* y = x ≥ 0 ? 1/(1 + e) : e/(1 + e). */
GD_CLONES
static void sigmoid_fix(double *y, const double *x, const double *e, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double d = 1.0 + e[i];
    y[i] = (x[i] >= 0 ? 1.0 : e[i]) / d;
    y[i] = x[i] != x[i] ? x[i] : y[i];
  }
}

/* log1p(x) = log(w) + (x − (w − 1))/w with w = 1 + x rounded: the second
 * term restores what the rounding of w lost (x < −1 gives NaN, −1 gives −inf). */
void gd_vlog1p(double *y, const double *x, int64_t n) {
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    double w[256], xs[256];               /* xs: x's chunk, which y may overwrite */
    int64_t m = n - i0 < 256 ? n - i0 : 256;
    memcpy(xs, x + i0, sizeof(double) * (size_t)m);
    for (int64_t i = 0; i < m; i++) w[i] = 1.0 + xs[i];
    gd_vlog(y + i0, w, m);
    log1p_fix(y + i0, xs, w, m);
  }
}

/* sigmoid(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) below, e = exp(−|x|)
 * (no overflow, full relative accuracy for large negative x). */
void gd_vsigmoid(double *y, const double *x, int64_t n) {
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    double e[256];
    int64_t m = n - i0 < 256 ? n - i0 : 256;
    for (int64_t i = 0; i < m; i++) e[i] = -fabs(x[i0 + i]);
    gd_vexp(e, e, m);
    sigmoid_fix(y + i0, x + i0, e, m);
  }
}
