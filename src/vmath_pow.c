/* vmath_pow.c: vectorizable x^p for an array x and one scalar exponent p.
 *
 * The exponent is known before the loop, so the path is chosen once:
 *   p = 0, 1, 2, −1, ½   1, x, x·x, 1/x, √x (each correctly rounded, as pow)
 *   integral |p| ≤ 64    x = 2^e·m, m in [1, 2): m^|p| by binary powering
 *                        in double-double (exact products by fma), a dd
 *                        reciprocal for p < 0, then 2^(e·p) applied at the end
 *                        (so no intermediate overflows or underflows)
 *   otherwise            exp(p·log|x|) with log|x| in dd (vm_log_dd, ~2⁻⁶⁶)
 *                        and p·log|x| in dd, whose low part enters exp's
 *                        reduction: the only sizeable error is the last rounding;
 *                        x ≤ 0, subnormal, inf, NaN and |p·log x| > 707 go to a
 *                        per-element slow path after the vector loop
 * Signs and special values (±0, ±inf, negative x with integral or not p)
 * follow C99's pow (Annex F).  A non-finite p takes the scalar pow loop.
 */
#include "vmath.h"
#include "vmath_dd.h"

#define POW_CHUNK 256

/* Sign factor for x < 0 (or −0, −inf): −1 for odd integral p, 1 for even, NaN otherwise. */
static double neg_factor(double p) {
  if (p != floor(p)) return NAN;
  return fabs(p) < 0x1p53 && fmod(p, 2.0) != 0 ? -1.0 : 1.0;
}

/* The value of pow at x = ±0 (zero = 1) or ±inf (zero = 0), before the sign. */
static double edge_value(double p, int zero) {
  return (p > 0) == (zero != 0) ? 0.0 : INFINITY;
}

/* pow over the whole range, one element (the slow path of pow_general). */
static double pow_one(double v, const void *ctx) {
  const double p = *(const double *)ctx;
  const double neg = neg_factor(p), at0 = edge_value(p, 1), atinf = edge_value(p, 0);
  double a = fabs(v), ll, k, t;
  int edge = !(a > 0 && a < INFINITY);      /* 0, inf or NaN */
  double lh = vm_log_dd(edge ? 1.0 : a, &ll);
  double zh = p * lh, zl = fma(p, lh, -zh) + p * ll;
  double zc = zh > 709.9 ? 709.9 : (zh < -746.0 ? -746.0 : zh);
  double r = vm_exp_reduce(zc, zl, &k, &t);
  double res = vm_scale(1.0 + (r + t), k);
  res = zh > 709.782712893384 ? INFINITY : res;
  res = zh < -745.1332191019412 ? 0.0 : res;
  res = a == 0 ? at0 : (a == INFINITY ? atinf : res);
  double f = (edge && neg != neg) ? 1.0 : neg;   /* (−0)^½ = +0, (−inf)^½ = +inf */
  res = (vm_bits(v) >> 63) ? res * f : res;
  return v != v ? v : res;
}

/* The fast path covers positive normal x with |p·log x| ≤ 708 (2^k is one
 * normal double); the test here errs towards the slow path (libm's log). */
static int pow_edge(double v, const void *ctx) {
  const double p = *(const double *)ctx;
  return !(v >= 0x1p-1022 && v <= 0x1.fffffffffffffp1023) || !(fabs(p * log(v)) <= 706.5);
}

GD_CLONES
static int pow_fast(double *y, const double *x, int64_t n, const void *ctx) {
  const double p = *(const double *)ctx;
  int edge = 0;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], ll, k, t;
    double lh = vm_log_dd(v, &ll);
    double zh = p * lh, zl = fma(p, lh, -zh) + p * ll;
    edge |= !(v >= 0x1p-1022 && v <= 0x1.fffffffffffffp1023) | !(fabs(zh) <= 707.0);
    double r = vm_exp_reduce(zh, zl, &k, &t);
    y[i] = (1.0 + (r + t)) * vm_pow2(k);
  }
  return edge;
}

static void pow_general(double *y, const double *x, double p, int64_t n) {
  vm_run(y, x, n, &p, pow_fast, pow_edge, pow_one);
}

/* bh = m, the significand of |x| in [1, 2), and e its exponent (subnormals scaled). */
GD_CLONES
static void pow_int_split(double *restrict bh, double *restrict bl, double *restrict ph,
                          double *restrict pl, double *restrict e,
                          const double *restrict x, int64_t m) {
  for (int64_t i = 0; i < m; i++) {
    double a = fabs(x[i]);
    int sub = a < 0x1p-1022;
    uint64_t ix = vm_bits(sub ? a * 0x1p54 : a);
    double k = vm_double((ix >> 52) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
    e[i] = sub ? k - 54.0 : k;
    bh[i] = vm_double((ix & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    bl[i] = 0.0;
    ph[i] = 1.0;
    pl[i] = 0.0;
  }
}

/* (ah, al) ← (ah, al)·(bh, bl) in dd, elementwise. */
GD_CLONES
static void dd_mul_into(double *ah, double *al, const double *bh, const double *bl, int64_t m) {
  for (int64_t i = 0; i < m; i++) {
    double lo, h = vm_two_prod(ah[i], bh[i], &lo);
    lo += ah[i] * bl[i] + al[i] * bh[i];
    ah[i] = vm_fast_two_sum(h, lo, &al[i]);
  }
}

/* val · 2^E for integral E, val within 2^±130, as two normal factors: past
 * [−2044, 2046] the result is inf or 0 anyway, and clamping E (not the two
 * factors' exponents) lets the loops vectorize (GCC does not if-convert a
 * clamp of floor's result). */
VM_INLINE double scale_exp2(double val, double E) {
  E = E > 2046.0 ? 2046.0 : (E < -2044.0 ? -2044.0 : E);
  double k1 = floor(E * 0.5), k2 = E - k1;
  return val * vm_pow2(k1) * vm_pow2(k2);
}

/* y = sign · (ph + pl)^(±1) · 2^(e·p), with the C99 values at 0, inf and NaN. */
GD_CLONES
static void pow_int_finish(double *y, const double *x, const double *ph, const double *pl,
                           const double *e, double p, int64_t m) {
  const double neg = neg_factor(p), at0 = edge_value(p, 1), atinf = edge_value(p, 0);
  for (int64_t i = 0; i < m; i++) {
    double v = x[i], a = fabs(v);
    double q = 1.0 / ph[i];
    double inv = q + (fma(-q, ph[i], 1.0) - q * pl[i]) * q;
    double val = p < 0 ? inv : ph[i] + pl[i];
    double res = scale_exp2(val, e[i] * p);
    res = a == 0 ? at0 : (a == INFINITY ? atinf : res);
    res = (vm_bits(v) >> 63) ? res * neg : res;
    y[i] = v != v ? v : res;
  }
}

/* Integral p, 2 < |p| ≤ 64 or p = −2: binary powering chunk by chunk. */
static void pow_int(double *y, const double *x, double p, int64_t n) {
  for (int64_t i0 = 0; i0 < n; i0 += POW_CHUNK) {
    double bh[POW_CHUNK], bl[POW_CHUNK], ph[POW_CHUNK], pl[POW_CHUNK], e[POW_CHUNK], xs[POW_CHUNK];
    int64_t m = n - i0 < POW_CHUNK ? n - i0 : POW_CHUNK;
    memcpy(xs, x + i0, sizeof(double) * (size_t)m);
    pow_int_split(bh, bl, ph, pl, e, xs, m);
    for (unsigned u = (unsigned)fabs(p); u; u >>= 1) {
      if (u & 1) dd_mul_into(ph, pl, bh, bl, m);
      if (u > 1) dd_mul_into(bh, bl, bh, bl, m);
    }
    pow_int_finish(y + i0, xs, ph, pl, e, p, m);
  }
}

/* pow_half: e made even by moving one factor 2 into m (m in [1, 4)), and
 * the m values kept for the square root (the powering squares bh in place). */
GD_CLONES
static void pow_half_even(double *restrict bh, double *restrict e, double *restrict mv, int64_t m) {
  for (int64_t i = 0; i < m; i++) {
    int odd = e[i] != 2.0 * floor(e[i] * 0.5);
    bh[i] = odd ? 2.0 * bh[i] : bh[i];
    e[i] = odd ? e[i] - 1.0 : e[i];
    mv[i] = bh[i];
  }
}

/* y = (ph + pl)^(±1) · √m · 2^(e·p) for p = n + ½, the product in dd and
 * rounded once before the scaling; C99's values at ±0, ±inf, x < 0, NaN. */
GD_CLONES
static void pow_half_finish(double *restrict y, const double *restrict x, const double *restrict ph,
                            const double *restrict pl, const double *restrict mv,
                            const double *restrict e, double p, int64_t m) {
  const double at0 = edge_value(p, 1), atinf = edge_value(p, 0);
  for (int64_t i = 0; i < m; i++) {
    double v = x[i], a = fabs(v);
    double q = 1.0 / ph[i];
    double ql = (fma(-q, ph[i], 1.0) - q * pl[i]) * q;   /* 1/(ph + pl) = q + ql */
    double rh = p < 0 ? q : ph[i], rl = p < 0 ? ql : pl[i];
    double s = sqrt(mv[i]);
    double sl = fma(-s, s, mv[i]) * (0.5 / s);             /* √m = s + sl */
    double lo, h = vm_two_prod(rh, s, &lo);
    double val = h + (lo + (rh * sl + rl * s));
    double res = scale_exp2(val, e[i] * p);                /* e·p integral: e is even */
    int edge = a == 0 || a == INFINITY;
    res = a == 0 ? at0 : (a == INFINITY ? atinf : res);
    res = ((vm_bits(v) >> 63) && !edge) ? NAN : res;      /* x < 0: no real power */
    y[i] = v != v ? v : res;
  }
}

/* Half-integral p = n + ½, 0 < |n| ≤ 64 or p = −½: x^n · √x in dd (pow_int's
 * powering, then one rounding), chunk by chunk. */
static void pow_half(double *y, const double *x, double p, int64_t n) {
  double nn = p - 0.5;
  for (int64_t i0 = 0; i0 < n; i0 += POW_CHUNK) {
    double bh[POW_CHUNK], bl[POW_CHUNK], ph[POW_CHUNK], pl[POW_CHUNK], e[POW_CHUNK],
           xs[POW_CHUNK], mv[POW_CHUNK];
    int64_t m = n - i0 < POW_CHUNK ? n - i0 : POW_CHUNK;
    memcpy(xs, x + i0, sizeof(double) * (size_t)m);
    pow_int_split(bh, bl, ph, pl, e, xs, m);
    pow_half_even(bh, e, mv, m);
    for (unsigned u = (unsigned)fabs(nn); u; u >>= 1) {
      if (u & 1) dd_mul_into(ph, pl, bh, bl, m);
      if (u > 1) dd_mul_into(bh, bl, bh, bl, m);
    }
    pow_half_finish(y + i0, xs, ph, pl, mv, e, p, m);
  }
}

GD_CLONES
static void pow_sqrt(double *y, const double *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], r = sqrt(v);
    r = v == 0 ? 0.0 : r;                   /* pow(−0, ½) = +0 */
    y[i] = v == -INFINITY ? INFINITY : r;
  }
}

GD_CLONES
static void pow_small(double *y, const double *x, double p, int64_t n) {
  if (p == 2.0) for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i];
  else if (p == -1.0) for (int64_t i = 0; i < n; i++) y[i] = 1.0 / x[i];
  else if (p == 1.0) for (int64_t i = 0; i < n; i++) y[i] = x[i];
  else   /* p = 0: 1, even for a quiet NaN x (a signaling one gives NaN, as glibc) */
    for (int64_t i = 0; i < n; i++) y[i] = (x[i] != x[i] && !(vm_bits(x[i]) & 0x0008000000000000ULL)) ? x[i] + x[i] : 1.0;
}

void gd_vpow(double *y, const double *x, double p, int64_t n) {
  if (!isfinite(p)) {
    for (int64_t i = 0; i < n; i++) y[i] = pow(x[i], p);
  } else if (p == 0 || p == 1 || p == 2 || p == -1) {
    pow_small(y, x, p, n);
  } else if (p == 0.5) {
    pow_sqrt(y, x, n);
  } else if (p == floor(p) && fabs(p) <= 64) {
    pow_int(y, x, p, n);
  } else if (p - 0.5 == floor(p - 0.5) && fabs(p) <= 64.5) {
    pow_half(y, x, p, n);
  } else {
    pow_general(y, x, p, n);
  }
}
