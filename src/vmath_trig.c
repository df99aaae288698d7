/* vmath_trig.c: vectorizable sin, cos and tan.
 *
 * Reduction (Cody–Waite with FMA): x = k·π/2 + r, k = round(x·2/π), with
 * π/2 = C1 + C2 + C3 in three doubles.  x − k·C1 by one fma is exact (both
 * are multiples of ulp(C1)·2⁻¹ and the difference is below π/4); then
 * rh + rl = a − k·C2 − k·C3 by one Fast2Sum, exact but for the rounding of
 * k·C2 (≤ k·2⁻¹⁰⁷ ≤ 2⁻⁸⁷).  That is 2⁻⁶⁷ of r when |r| ≥ 2⁻²⁰; the rare
 * elements with k ≠ 0 and a smaller r (x near a multiple of π/2) take the
 * C library's path after the loop, like the far ones below.  On
 * |r| ≤ π/4: sin r = r + r³·S(r²), cos r = 1 − r²/2 + r⁴·C(r²) with fdlibm's
 * minimax coefficients (k_sin.c, k_cos.c), both kept as hi + lo so that
 * tan = sin/cos (or −cos/sin) is one dd division.  k mod 4 picks the
 * quadrant from the low bits of the rounding shifter.
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

/* sin and cos of rh + rl (|rh| ≲ π/4) as hi + lo. */
static inline void sincos_dd(double rh, double rl, double *sh, double *sl, double *ch, double *cl) {
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
               S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
               S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
               C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
               C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  double z = rh * rh, zl = fma(rh, rh, -z), z2 = z * z;
  /* sin: r + r³(S1 + z·R) + rl·(1 − z/2) */
  double rs = fma(z2, fma(z2, S6, fma(z, S5, S4)), fma(z, S3, S2));
  double st = fma(z * rh, fma(z, rs, S1), rl * fma(-0.5, z, 1.0));
  *sh = vm_fast_two_sum(rh, st, sl);
  /* cos: w = 1 − z/2 with its rounding error kept, then z²·C(z) − r·rl */
  double rc = z * fma(z2, fma(z2, fma(z, C6, C5), fma(z, C4, C3)), fma(z, C2, C1));
  double hz = 0.5 * z, w = 1.0 - hz;
  double ct = fma(-0.5, zl, (1.0 - w) - hz) + fma(z, rc, -rh * rl);
  *ch = vm_fast_two_sum(w, ct, cl);
}

/* x = k·π/2 + rh + rl for |x| ≤ TRIG_BOUND (else x is taken as 0); *q gets
 * the shifter's bits (k mod 4 in the low two); returns nonzero when the
 * element needs the slow path: far, or k ≠ 0 with |rh| < 2⁻²⁰. */
VM_INLINE int trig_reduce(double v, double *rh, double *rl, uint64_t *q) {
  const double two_over_pi = 0x1.45f306dc9c883p-1;
  const double C1 = 0x1.921fb54442d18p+0, C2 = 0x1.1a62633145c07p-54,
               C3 = -0x1.f1976b7ed8fbcp-110;      /* π/2 = C1 + C2 + C3 + 6e-50 */
  const double shift = 0x1.8p52;
  int far = !(fabs(v) <= TRIG_BOUND);       /* also ±inf and NaN */
  double xc = far ? 0.0 : v;
  double kd = fma(xc, two_over_pi, shift);
  *q = vm_bits(kd);
  kd -= shift;
  double a = fma(-kd, C1, xc);              /* exact, see above */
  double t = kd * C2;
  double h = a - t;
  *rh = h;
  *rl = ((a - h) - t) - kd * C3;            /* Fast2Sum: |a| > |t| when |h| ≥ 2⁻²⁰ */
  return far | ((kd != 0) & (fabs(h) < 0x1p-20));
}

/* One chunk of the vector loop; returns nonzero when some element needs the slow path. */
VM_INLINE int trig_loop(double *y, const double *x, int64_t m, trig_kind kind) {
  int slow = 0;
  for (int64_t i = 0; i < m; i++) {
    double v = x[i], rh, rl;
    uint64_t q;
    slow |= trig_reduce(v, &rh, &rl, &q);
    double sh, sl, ch, cl, res;
    sincos_dd(rh, rl, &sh, &sl, &ch, &cl);
    if (kind == TRIG_TAN) {                 /* k even: sin/cos; odd: −cos/sin */
      int odd = (int)(q & 1);
      double nh = odd ? -ch : sh, nl = odd ? -cl : sl;
      double dh = odd ? sh : ch, dl = odd ? sl : cl;
      res = vm_dd_div(nh, nl, dh, dl);
    } else {                                /* hi alone: hi + lo rounds to hi */
      uint64_t qq = q + (kind == TRIG_COS);  /* cos x = sin(x + π/2) */
      res = ((qq & 1) ? ch : sh) * ((qq & 2) ? -1.0 : 1.0);
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
