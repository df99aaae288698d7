/* vmath_trig.c: vectorizable sin, cos and tan.
 *
 * Reduction (Cody–Waite, exact): x = k·π/2 + r, k = round(x·2/π), with π/2
 * split into three 33-bit parts P1 + P2 + P3 and a 53-bit tail P3t, so
 * k·P1, k·P2, k·P3 are exact for |k| < 2^20 and r comes out as rh + rl
 * (double-double) even when x is within 2⁻⁶⁰ of a multiple of π/2.  On
 * |r| ≤ π/4: sin r = r + r³·S(r²), cos r = 1 − r²/2 + r⁴·C(r²) with fdlibm's
 * minimax coefficients (k_sin.c, k_cos.c), both kept as hi + lo so that
 * tan = sin/cos (or −cos/sin) is one dd division.  k mod 4 picks the
 * quadrant from the low bits of the rounding shifter.
 *
 * |x| > TRIG_BOUND (k ≥ 2^20), ±inf and NaN take a slow path after the
 * vector loop: the C library's sin/cos/tan (Payne–Hanek reduction) for just
 * those elements, so the common loop stays branch-free.
 */
#include "vmath.h"
#include "vmath_dd.h"

#define TRIG_CHUNK 256
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
  double rs = (S2 + z * S3) + z2 * (S4 + z * S5) + z2 * z2 * S6;
  double st = (z * rh) * (S1 + z * rs) + rl * (1.0 - 0.5 * z);
  *sh = vm_fast_two_sum(rh, st, sl);
  /* cos: w = 1 − z/2 with its rounding error kept, then z²·C(z) − r·rl */
  double rc = z * ((C1 + z * C2) + z2 * (C3 + z * C4) + z2 * z2 * (C5 + z * C6));
  double hz = 0.5 * z, w = 1.0 - hz;
  double ct = (((1.0 - w) - hz) - 0.5 * zl) + (z * rc - rh * rl);
  *ch = vm_fast_two_sum(w, ct, cl);
}

/* One chunk of the vector loop; returns nonzero when some element needs the slow path. */
static inline int trig_loop(double *y, const double *x, int64_t m, trig_kind kind) {
  const double two_over_pi = 0x1.45f306dc9c883p-1;
  const double P1 = 0x1.921fb54400000p+0, P2 = 0x1.0b4611a600000p-34,
               P3 = 0x1.3198a2e000000p-69, P3t = 0x1.b839a252049c1p-104;
  const double shift = 0x1.8p52;
  int slow = 0;
  for (int64_t i = 0; i < m; i++) {
    double v = x[i];
    int far = !(fabs(v) <= TRIG_BOUND);     /* also ±inf and NaN */
    slow |= far;
    double xc = far ? 0.0 : v;
    double kd = xc * two_over_pi + shift;
    uint64_t q = vm_bits(kd);               /* low bits: k mod 4 */
    kd -= shift;
    double a = xc - kd * P1;                /* exact (Sterbenz) */
    double e1, e2, rl;
    double s = vm_two_sum(a, -(kd * P2), &e1);
    double s2 = vm_two_sum(s, -(kd * P3), &e2);
    double rh = vm_fast_two_sum(s2, (e1 + e2) - kd * P3t, &rl);
    double sh, sl, ch, cl, res;
    sincos_dd(rh, rl, &sh, &sl, &ch, &cl);
    if (kind == TRIG_TAN) {                 /* k even: sin/cos; odd: −cos/sin */
      int odd = (int)(q & 1);
      double nh = odd ? -ch : sh, nl = odd ? -cl : sl;
      double dh = odd ? sh : ch, dl = odd ? sl : cl;
      res = vm_dd_div(nh, nl, dh, dl);
    } else {
      uint64_t qq = q + (kind == TRIG_COS);  /* cos x = sin(x + π/2) */
      double h = (qq & 1) ? ch : sh, l = (qq & 1) ? cl : sl;
      res = (h + l) * ((qq & 2) ? -1.0 : 1.0);
    }
    res = (v == 0 && kind != TRIG_COS) ? v : res;   /* sin and tan keep the sign of 0 */
    y[i] = res;
  }
  return slow;
}

GD_CLONES static int sin_chunk(double *y, const double *x, int64_t m) { return trig_loop(y, x, m, TRIG_SIN); }
GD_CLONES static int cos_chunk(double *y, const double *x, int64_t m) { return trig_loop(y, x, m, TRIG_COS); }
GD_CLONES static int tan_chunk(double *y, const double *x, int64_t m) { return trig_loop(y, x, m, TRIG_TAN); }

/* Runs the vector loop chunk by chunk, then the slow path where flagged
 * (x is copied per chunk first, since y may equal x). */
static void trig(double *y, const double *x, int64_t n, trig_kind kind) {
  for (int64_t i0 = 0; i0 < n; i0 += TRIG_CHUNK) {
    double xs[TRIG_CHUNK];
    int64_t m = n - i0 < TRIG_CHUNK ? n - i0 : TRIG_CHUNK;
    memcpy(xs, x + i0, sizeof(double) * (size_t)m);
    int slow = kind == TRIG_SIN ? sin_chunk(y + i0, xs, m)
             : kind == TRIG_COS ? cos_chunk(y + i0, xs, m) : tan_chunk(y + i0, xs, m);
    if (!slow) continue;
    for (int64_t i = 0; i < m; i++) {
      double v = xs[i];
      if (fabs(v) <= TRIG_BOUND) continue;
      y[i0 + i] = kind == TRIG_SIN ? sin(v) : kind == TRIG_COS ? cos(v) : tan(v);
    }
  }
}

void gd_vsin(double *y, const double *x, int64_t n) { trig(y, x, n, TRIG_SIN); }
void gd_vcos(double *y, const double *x, int64_t n) { trig(y, x, n, TRIG_COS); }
void gd_vtan(double *y, const double *x, int64_t n) { trig(y, x, n, TRIG_TAN); }
