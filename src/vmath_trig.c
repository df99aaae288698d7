/* vmath_trig.c: vectorizable sin, cos and tan.
 *
 * Reduction (Cody–Waite with FMA): x = k·π/2 + r, k = round(x·2/π), with
 * π/2 ≈ C1 + C2 (two doubles, off by ~2⁻¹⁰⁹).  x − k·C1 by one fma is exact
 * (both are multiples of ulp(C1)·2⁻¹ and the difference is below π/4); then
 * rh + rl = a − k·C2 by one Fast2Sum, exact but for the rounding of k·C2
 * (≤ k·2⁻¹⁰⁷ ≤ 2⁻⁸⁷; the dropped part of π/2 adds k·2⁻¹⁰⁹).  That is 2⁻⁶⁷ of
 * r when |r| ≥ 2⁻²⁰; the rare elements with k ≠ 0 and a smaller r (x near a
 * multiple of π/2) take the C library's path after the loop, like the far
 * ones below.  k mod 4 picks the quadrant from the low bits of the rounding
 * shifter.
 *
 * sin, cos: on |r| ≤ π/4, sin r = r + r³·S(r²) and cos r = 1 − r²/2 + r⁴·C(r²)
 * with fdlibm's minimax coefficients (k_sin.c, k_cos.c).  A lane needs one of
 * the two (sin x is ±sin r or ±cos r by quadrant), so each lane evaluates one
 * polynomial whose coefficients it picks, not both.
 *
 * tan: r·cot r = 1 − r²/3 + r⁴·G(r²) is smooth on |r| ≤ π/4 (its poles are
 * at ±π), so tan x = r/(r·cot r) for even k and −(r·cot r)/r for odd k: one
 * double-double division either way.  G is the degree-8 Chebyshev
 * interpolant of (r·cot r − 1 + r²/3)/r⁴ on r² ∈ [0, 0.617] (mpmath, 50
 * digits), off by < 1.6e-18 in r·cot r with its coefficients in doubles.
 *
 * |x| > TRIG_BOUND (k ≥ 2^20), ±inf and NaN take a slow path after the
 * vector loop: the C library's sin/cos/tan (Payne–Hanek reduction) for just
 * those elements, so the common loop stays branch-free.  The loop and the
 * slow path's test share trig_reduce, so they agree on which elements.
 */
#include "vmath.h"
#include "vmath_dd.h"

static const double TRIG_BOUND = 1.6e6;     /* |k| ≤ 1.02e6 < 2^20 */

typedef enum { TRIG_SIN, TRIG_COS, TRIG_TAN } trig_kind;

/* sin r (use_cos = 0) or cos r (use_cos = 1) for r = rh + rl, |rh| ≲ π/4:
 * A + (B·P(z) + E) with A, B, E and the coefficients of P picked by use_cos. */
VM_INLINE double sin_or_cos(double rh, double rl, int use_cos) {
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
               S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
               S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
               C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
               C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  double z = rh * rh, hz = 0.5 * z, w = 1.0 - hz;
  double p = use_cos ? C6 : S6;
  p = fma(z, p, use_cos ? C5 : S5);
  p = fma(z, p, use_cos ? C4 : S4);
  p = fma(z, p, use_cos ? C3 : S3);
  p = fma(z, p, use_cos ? C2 : S2);
  p = fma(z, p, use_cos ? C1 : S1);
  /* sin: rh + rh³·P + rl·(1 − z/2); cos: w + z²·P + (w's rounding − zl/2 − rh·rl) */
  double zl = fma(rh, rh, -z);
  double ec = ((1.0 - w) - hz) + fma(-0.5, zl, -rh * rl);
  double a = use_cos ? w : rh, b = use_cos ? z * z : rh * z, e = use_cos ? ec : rl * w;
  return a + fma(b, p, e);
}

/* r·cot r as hi + *lo for r = rh + rl, |rh| ≲ π/4 (see the header). */
VM_INLINE double rcot_dd(double rh, double rl, double *lo) {
  const double G0 = -0.022222222222222227, G1 = -0.0021164021164013164,
               G2 = -0.00021164021167471226, G3 = -2.137779858364584e-05,
               G4 = -2.1644090191907296e-06, G5 = -2.1923750144836255e-07,
               G6 = -2.227414725870103e-08, G7 = -2.1578115307193097e-09,
               G8 = -3.042115964679408e-10;
  const double c1 = -1.0 / 3, d1 = -1.850371707708594e-17;      /* −1/3 = c1 + d1 */
  double z = rh * rh;
  double g = fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, fma(z, G8, G7), G6), G5), G4),
                                      G3), G2), G1), G0);
  double t = fma(z, c1, (z * z) * g);       /* −z/3 + z²·G, |t| ≤ 0.22 */
  double h = 1.0 + t;
  /* h's rounding, −z·d1, and −(2·rh·rl)/3 for r² − z (z's own rounding, ≤ 2⁻⁵⁴/3, is dropped) */
  *lo = fma(z, d1, fma(rh, rl * (2 * c1), (1.0 - h) + t));
  return h;
}

/* x = k·π/2 + rh + rl for |x| ≤ TRIG_BOUND; *q gets the shifter's bits
 * (k mod 4 in the low two); returns nonzero when the element needs the slow
 * path: k ≠ 0 with |rh| < 2⁻²⁰, which includes the far ones (|x| past the
 * bound, ±inf, NaN), reduced as if x were C1 (k = 1, r = −C2). */
VM_INLINE int trig_reduce(double v, double *rh, double *rl, uint64_t *q) {
  const double two_over_pi = 0x1.45f306dc9c883p-1;
  const double C1 = 0x1.921fb54442d18p+0, C2 = 0x1.1a62633145c07p-54;  /* π/2 ≈ C1 + C2 */
  const double shift = 0x1.8p52;
  double xc = fabs(v) <= TRIG_BOUND ? v : C1;
  double kd = fma(xc, two_over_pi, shift);
  *q = vm_bits(kd);
  kd -= shift;
  double a = fma(-kd, C1, xc);              /* exact, see above */
  double t = kd * C2;
  double h = a - t;
  *rh = h;
  *rl = (a - h) - t;                        /* Fast2Sum: |a| > |t| when |h| ≥ 2⁻²⁰ */
  return (kd != 0) & (fabs(h) < 0x1p-20);
}

/* One chunk of the vector loop; returns nonzero when some element needs the slow path. */
VM_INLINE int trig_loop(double *y, const double *x, int64_t m, trig_kind kind) {
  int slow = 0;
  for (int64_t i = 0; i < m; i++) {
    double v = x[i], rh, rl, res;
    uint64_t q;
    slow |= trig_reduce(v, &rh, &rl, &q);
    if (kind == TRIG_TAN) {                 /* k even: r/(r cot r); odd: −(r cot r)/r */
      double cl, ch = rcot_dd(rh, rl, &cl);
      int odd = (int)(q & 1);
      double nh = odd ? ch : rh, nl = odd ? cl : rl;
      double dh = odd ? rh : ch, dl = odd ? rl : cl;
      res = vm_double(vm_bits(vm_dd_div(nh, nl, dh, dl)) ^ (q << 63));
    } else {
      uint64_t qq = q + (kind == TRIG_COS);  /* cos x = sin(x + π/2) */
      res = sin_or_cos(rh, rl, (int)(qq & 1)) * ((qq & 2) ? -1.0 : 1.0);
    }
    res = (v == 0 && kind != TRIG_COS) ? v : res;   /* sin and tan keep the sign of 0 */
    y[i] = res;
  }
  return slow;
}

GD_CLONES static int sin_fast(double *y, const double *x, int64_t m, const void *c) { (void)c; return trig_loop(y, x, m, TRIG_SIN); }
GD_CLONES static int cos_fast(double *y, const double *x, int64_t m, const void *c) { (void)c; return trig_loop(y, x, m, TRIG_COS); }
GD_CLONES static int tan_fast(double *y, const double *x, int64_t m, const void *c) { (void)c; return trig_loop(y, x, m, TRIG_TAN); }

/* The slow path: |x| > TRIG_BOUND, ±inf, NaN and x near a multiple of π/2, by the C library. */
static int trig_edge(double v, const void *c) {
  double rh, rl;
  uint64_t q;
  (void)c;
  return trig_reduce(v, &rh, &rl, &q);
}
static double sin_slow(double v, const void *c) { (void)c; return sin(v); }
static double cos_slow(double v, const void *c) { (void)c; return cos(v); }
static double tan_slow(double v, const void *c) { (void)c; return tan(v); }

void gd_vsin(double *y, const double *x, int64_t n) { vm_run(y, x, n, NULL, sin_fast, trig_edge, sin_slow); }
void gd_vcos(double *y, const double *x, int64_t n) { vm_run(y, x, n, NULL, cos_fast, trig_edge, cos_slow); }
void gd_vtan(double *y, const double *x, int64_t n) { vm_run(y, x, n, NULL, tan_fast, trig_edge, tan_slow); }
