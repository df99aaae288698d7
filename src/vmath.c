/* vmath.c: vectorizable exp.
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

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define GD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GD_CLONES
#endif

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
    double r2 = r * r;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
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
