/* vmath_dd.h: the inline pieces the vmath kernels share (private to vmath*.c).
 *
 * Double-double ("dd") arithmetic: a value hi + lo with |lo| ≤ ½ulp(hi)
 * carries about 106 bits, which is what lets exp, log and division inside a
 * kernel leave only the final rounding as error.  Everything here is
 * straight-line code, so loops that call it vectorize.  fma() becomes one
 * instruction in the AVX2/AVX-512 clones of GD_CLONES (polynomials use it
 * too: half the operations, and one rounding per step); the baseline clone
 * calls the C library's fma (correct, slower).  Needs -ffp-contract=off
 * (implied by -std=c11), or the compiler could fuse a product whose rounding
 * error an error-free transformation below has already accounted for.
 */
#ifndef GD_VMATH_DD_H
#define GD_VMATH_DD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Forced inline: a call left in a kernel's loop would stop its vectorization. */
#if defined(__GNUC__)
#define VM_INLINE static inline __attribute__((always_inline))
#else
#define VM_INLINE static inline
#endif

VM_INLINE double vm_double(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline uint64_t vm_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* s + *e = a + b exactly (Knuth's two-sum, any magnitudes). */
VM_INLINE double vm_two_sum(double a, double b, double *e) {
  double s = a + b, bb = s - a;
  *e = (a - (s - bb)) + (b - bb);
  return s;
}
/* s + *e = a + b exactly, when |a| ≥ |b| (or a = 0). */
VM_INLINE double vm_fast_two_sum(double a, double b, double *e) {
  double s = a + b;
  *e = b - (s - a);
  return s;
}
/* p + *e = a·b exactly (barring underflow). */
VM_INLINE double vm_two_prod(double a, double b, double *e) {
  double p = a * b;
  *e = fma(a, b, -p);
  return p;
}
/* (nh + nl) / (dh + dl), rounded once more: error ≈ ½ulp + 2⁻¹⁰⁰.  One
 * division: q = nh·(1/dh) may be an ulp or two off, and the remainder
 * r = nh + nl − q·(dh + dl) (fma: nearly exact) corrects it. */
VM_INLINE double vm_dd_div(double nh, double nl, double dh, double dl) {
  double inv = 1.0 / dh;
  double q = nh * inv;
  double r = fma(-q, dl, fma(-q, dh, nh) + nl);
  return fma(r, inv, q);
}
/* 2^k for an integral double k in [−1022, 1023]. */
VM_INLINE double vm_pow2(double k) {
  const double shift = 0x1.8p52;
  return vm_double((vm_bits(k + shift) + (1023 - 0x4338000000000000ULL)) << 52);
}

/* e^r − 1 − r for |r| ≤ ln2/2 + tiny: r²(1/2! + r/3! + … + r¹¹/13!) by
 * Estrin's scheme (short dependency chains; truncation < 4e-18 relative). */
VM_INLINE double vm_exp_poly(double r) {
  double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  double q0 = fma(r, 1.0 / 6.0, 0.5), q1 = fma(r, 1.0 / 120.0, 1.0 / 24.0);
  double q2 = fma(r, 1.0 / 5040.0, 1.0 / 720.0), q3 = fma(r, 1.0 / 362880.0, 1.0 / 40320.0);
  double q4 = fma(r, 1.0 / 39916800.0, 1.0 / 3628800.0);
  double q5 = fma(r, 1.0 / 6227020800.0, 1.0 / 479001600.0);
  double p = fma(r8, fma(r2, q5, q4), fma(r4, fma(r2, q3, q2), fma(r2, q1, q0)));
  return r2 * p;
}

/* Cody–Waite reduction for exp: x + xl = k·ln2 + r, |r| ≤ ln2/2 (+ tiny),
 * and e^r − 1 = rh + *t with |*t| ≲ r²; *k gets k.  x must lie in
 * [−746, 710] (callers clamp), xl is a small correction (|xl| ≪ 1).
 * ln2 is split so that k·ln2hi is exact; r is kept as rh + rl. */
VM_INLINE double vm_exp_reduce(double x, double xl, double *k, double *t) {
  const double inv_ln2 = 1.4426950408889634074;
  const double ln2hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
  const double ln2lo = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
  const double shift = 0x1.8p52;
  double kd = fma(x, inv_ln2, shift) - shift;   /* k = round(x / ln2), exact */
  double a = fma(-kd, ln2hi, x), b = kd * ln2lo, rl;
  double r = vm_two_sum(a, -b, &rl);
  rl += xl;
  double q = vm_exp_poly(r);                /* e^r − 1 − r */
  *k = kd;
  *t = fma(rl, 1.0 + (r + q), q);           /* e^(r + rl) − 1 − r, to first order in rl */
  return r;
}

/* (m·2^k rounded): applies 2^k for integral k in [−1100, 1100] in two halves,
 * so subnormal results are rounded once and k = 1024 does not overflow early. */
VM_INLINE double vm_scale(double m, double k) {
  double k1 = floor(k * 0.5), k2 = k - k1;
  return m * vm_pow2(k1) * vm_pow2(k2);
}

/* e^(x + xl) as hi + *lo (|x| ≤ 746 after the caller's clamp; for results
 * below 2^−1022 only hi is meaningful). */
VM_INLINE double vm_exp_dd(double x, double xl, double *lo) {
  double k, t, e1;
  double r = vm_exp_reduce(x, xl, &k, &t);
  double s1 = vm_two_sum(1.0, r, &e1);
  double l1 = e1 + t, l2;
  double h = vm_fast_two_sum(s1, l1, &l2);
  *lo = vm_scale(l2, k);
  return vm_scale(h, k);
}

/* log(x) as hi + *lo with relative error ≲ 2⁻⁶⁶, for finite x > 0.
 * x = 2^k·m, m in [√½, √2), f = m − 1, s = f/(2 + f) carried as s + sl;
 * log m = 2 atanh s = 2s + 2s³/3 + s⁵·Q(s²), Q's Taylor coefficients 2/(2j+5)
 * (|s| ≤ 0.1716, so 12 terms reach 2⁻⁶⁷); 2s³/3 is formed in dd. */
VM_INLINE double vm_log_dd(double x, double *lo) {
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const double c3h = 0x1.5555555555555p-1, c3l = 0x1.5555555555555p-55;   /* 2/3 = c3h + c3l */
  int sub = x < 0x1p-1022;
  double xs = sub ? x * 0x1p54 : x;
  uint64_t ix = vm_bits(xs);
  double k = vm_double((ix >> 52) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
  k = sub ? k - 54.0 : k;
  double m = vm_double((ix & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  int big = m > 1.41421356237309504880;
  m = big ? m * 0.5 : m;
  k = big ? k + 1.0 : k;
  double f = m - 1.0, dl;
  double d = vm_fast_two_sum(2.0, f, &dl);
  double inv = 1.0 / d;                     /* one division; s's rounding lands in sl */
  double s = f * inv;
  double sl = (fma(-s, d, f) - s * dl) * inv;
  double z = s * s, zl = fma(s, s, -z);
  double s3 = s * z, s3l = fma(s, z, -s3) + s * zl + 3.0 * z * sl;
  double t3 = s3 * c3h, t3l = fma(s3, c3h, -t3) + s3 * c3l + s3l * c3h;
  double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  double q0 = fma(z, 2.0 / 7, 2.0 / 5), q1 = fma(z, 2.0 / 11, 2.0 / 9);
  double q2 = fma(z, 2.0 / 15, 2.0 / 13), q3 = fma(z, 2.0 / 19, 2.0 / 17);
  double q4 = fma(z, 2.0 / 23, 2.0 / 21), q5 = fma(z, 2.0 / 27, 2.0 / 25);
  double q = fma(z8, fma(z2, q5, q4), fma(z4, fma(z2, q3, q2), fma(z2, q1, q0)));
  double tail = s3 * z * q;                 /* s⁵·Q(s²) */
  double a1, a2;
  double A = vm_fast_two_sum(2.0 * s, t3, &a1);
  double l = a1 + (2.0 * sl + t3l + tail);
  double H = vm_two_sum(k * ln2hi, A, &a2);
  return vm_fast_two_sum(H, a2 + l + k * ln2lo, lo);
}

/* The fast-path pattern: fast() runs the branch-free vector loop over a
 * chunk and returns nonzero when some element lies outside its range; then
 * slow(v, ctx) recomputes those elements (edge(v, ctx) nonzero) one by one.
 * When y == x the chunk of x is copied first, since fast() overwrote it. */
#define VM_CHUNK 256
typedef int (*vm_fast_fn)(double *y, const double *x, int64_t m, const void *ctx);
VM_INLINE void vm_run(double *y, const double *x, int64_t n, const void *ctx, vm_fast_fn fast,
                      int (*edge)(double, const void *), double (*slow)(double, const void *)) {
  for (int64_t i0 = 0; i0 < n; i0 += VM_CHUNK) {
    double xs[VM_CHUNK];
    int64_t m = n - i0 < VM_CHUNK ? n - i0 : VM_CHUNK;
    const double *src = x + i0;
    if (y == x) {
      memcpy(xs, src, sizeof(double) * (size_t)m);
      src = xs;
    }
    if (!fast(y + i0, src, m, ctx)) continue;
    for (int64_t i = 0; i < m; i++)
      if (edge(src[i], ctx)) y[i0 + i] = slow(src[i], ctx);
  }
}

#endif
