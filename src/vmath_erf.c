/* vmath_erf.c: vectorizable erf.
 *
 * |x| ≤ 1:  erf x = x·P(x²), P a degree-12 Chebyshev fit of erf(√z)/√z on
 *           [0, 1] (error 1.3e-19); its first two terms are carried in dd,
 *           so the result is rounded about once.
 * 1 < |x| < 6:  erf x = 1 − e^{−x²}·R(x), R ≈ erfc(x)·e^{x²} by five
 *           degree-17 Chebyshev fits on [1, 2], …, [5, 6] (relative error
 *           1.2e-19), picked by selects; e^{−x²} with x² in dd.
 * |x| ≥ 6:  x is clamped to 5.999, where 1 − erfc already rounds to ±1.
 * The coefficients were fitted with mpmath (mp.dps = 40, chebyfit) and are
 * printed here as hex floats.  Both branches are computed and one selected,
 * so the loop has no branches.
 */
#include "vmath.h"
#include "vmath_dd.h"

/* erf(x)/x = sum c[j] x^(2j), |x| <= 1: Chebyshev fit, max error 1.3e-19 */
static const double erf_small[13] = {
  0x1.20dd750429b6dp+0,
  -0x1.812746b0379e6p-2,
  0x1.ce2f21a042b30p-4,
  -0x1.b82ce31284e00p-6,
  0x1.565bcd0dbaa38p-8,
  -0x1.c02db3dac435fp-11,
  0x1.f9a321d5b8e1ep-14,
  -0x1.f4d1e3183f7aep-17,
  0x1.b9df224ca4b97p-20,
  -0x1.5f1ecb6f0764cp-23,
  0x1.f7b4bf3b13964p-27,
  -0x1.389d4f2641625p-30,
  0x1.05ffd737fb32ep-34};
/* the low parts of the first two coefficients: erf_small[j] + erf_lo[j] is the fit's */
static const double erf_lo[2] = {0x1.187bfcbbd6b70p-56, 0x1.20a86a0366547p-59};

/* erfc(x)·e^{x²} = Σ_k erfc_pieces[i][k]·(x − (1.5 + i))^k on [1 + i, 2 + i]: degree-17 Chebyshev fits, max relative error 1.2e-19 */
static const double erfc_pieces[5][18] = {
  {0x1.494daffa2ad68p-2, -0x1.4f1988444caf7p-3, 0x1.37ea271bc54bcp-4, -0x1.0dc51d2941e6cp-5, 0x1.b65944f34fbb6p-7, -0x1.513ed7600d3c7p-8,
   0x1.ee705e7311a51p-10, -0x1.5b0abfe6309ffp-11, 0x1.d4509d425f248p-13, -0x1.30c0ec8eebc29p-14, 0x1.7f99660093fdap-16, -0x1.d4155e4da48d2p-18,
   0x1.15709ea561233p-19, -0x1.40090078056f8p-21, 0x1.66d11225ee11dp-23, -0x1.89dc72c25d886p-25, 0x1.c8ee5d35f0fe6p-27, -0x1.ddfe13df3446dp-29},
  {0x1.afbb3f3b7343bp-3, -0x1.3086d7f01ac85p-4, 0x1.98958a7a8e4a3p-6, -0x1.0632076809dfcp-7, 0x1.435c04e207cd1p-9, -0x1.809ce8ab533f2p-11,
   0x1.ba8a67cfb709dp-13, -0x1.edd423990bb19p-15, 0x1.0bcba3251b0bap-16, -0x1.1ad10db083879p-18, 0x1.234feb1579b9ap-20, -0x1.2514a1511da02p-22,
   0x1.205eed5227c12p-24, -0x1.15cbc8ca96cb6p-26, 0x1.05e759218a9b9p-28, -0x1.e53297e19ce34p-31, 0x1.d2f097a4b0ae8p-33, -0x1.a0766f546afa8p-35},
  {0x1.3e0a99a0ee914p-3, -0x1.5285d2eb1ef74p-5, 0x1.5d581133378edp-7, -0x1.5e5d7e9899181p-9, 0x1.5632136d8cce6p-11, -0x1.460abd6b25b16p-13,
   0x1.2f839e543e657p-15, -0x1.146bc4068afa5p-17, 0x1.ed2a9675dfaf9p-20, -0x1.af5d64ff5605dp-22, 0x1.724f923c2518ep-24, -0x1.384521d8fd41ap-26,
   0x1.02de13aa55ee6p-28, -0x1.a6384d8d57d73p-31, 0x1.52b15caa28deap-33, -0x1.0bd3d4948d708p-35, 0x1.b33c3855e81adp-38, -0x1.4e13503be2edfp-40},
  {0x1.f5b2a049cf4c6p-4, -0x1.aa3eb6a946f7ep-6, 0x1.62c12cb5f7577p-8, -0x1.218ed930b23b1p-10, 0x1.d00785f2ed4fcp-13, -0x1.6d54b133d64fep-15,
   0x1.1ad6a32debb18p-17, -0x1.aef8ea4ac0539p-20, 0x1.4354fb1f3b2abp-22, -0x1.de0953c6ac0a3p-25, 0x1.5c64b2d4b2ea7p-27, -0x1.f4e8f5037346dp-30,
   0x1.635e7d6e1aa3fp-32, -0x1.f1d41008c2360p-35, 0x1.5843ceac122dap-37, -0x1.d6af7a6c276b5p-40, 0x1.4839ae4408aeep-42, -0x1.b64cae64aaa54p-45},
  {0x1.9d8a8f2284f2cp-4, -0x1.238ca71b93fc3p-6, 0x1.95252b932efe3p-9, -0x1.15976ddda3ca1p-11, 0x1.774f4826dc857p-14, -0x1.f4e46d179e3b8p-17,
   0x1.4a17e19bfd2b4p-19, -0x1.add7ac9ca56f0p-22, 0x1.149cd78269044p-24, -0x1.60001e7bd4300p-27, 0x1.bb09ba1c66057p-30, -0x1.13d9c8378f872p-32,
   0x1.53f6f03bbcf8dp-35, -0x1.9ec6113ff21abp-38, 0x1.f4f86c91e1b69p-41, -0x1.2bbcee0ae7971p-43, 0x1.6c174212a851bp-46, -0x1.ab8a1bd4483b2p-49},
};

/* Coefficient k of the piece jd (0…4 as a double): a chain of selects of
 * constants, not a table load, so the loop needs no gather (GCC 12 did not
 * vectorize the gathered version). */
VM_INLINE double piece(double jd, int k) {
  const double (*P)[18] = erfc_pieces;
  double c = P[0][k];
  c = jd > 0.5 ? P[1][k] : c;
  c = jd > 1.5 ? P[2][k] : c;
  c = jd > 2.5 ? P[3][k] : c;
  return jd > 3.5 ? P[4][k] : c;
}

GD_CLONES
void gd_verf(double *y, const double *x, int64_t n) {
  const double *c = erf_small;
  for (int64_t i = 0; i < n; i++) {
    double v = x[i], a = fabs(v), et;
    /* |x| ≤ 1: S = c0 + c1·z + z²·Q(z) with its first two terms in dd, then x·S */
    double as = a < 1.0 ? a : 1.0, zl, z = vm_two_prod(as, as, &zl);
    double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    double q = ((c[2] + z * c[3]) + z2 * (c[4] + z * c[5])) + z4 * ((c[6] + z * c[7]) + z2 * (c[8] + z * c[9]))
             + z8 * ((c[10] + z * c[11]) + z2 * c[12]);
    double p1l, e0, sl, tl;
    double p1 = vm_two_prod(c[1], z, &p1l);
    double s1 = vm_fast_two_sum(c[0], p1, &e0);
    double sh = vm_fast_two_sum(s1, e0 + erf_lo[0] + (p1l + erf_lo[1] * z + c[1] * zl) + z2 * q, &sl);
    double th = vm_two_prod(as, sh, &tl);
    double small = th + (tl + as * sl);
    /* 1 < |x| < 6 */
    double al = a > 1.0 ? (a < 5.999 ? a : 5.999) : 1.0;
    double jd = ((al - 1.5) + 0x1.8p52) - 0x1.8p52;   /* the piece, round(x − 1.5) */
    double t = al - (1.5 + jd), t2 = t * t, t4 = t2 * t2, t8 = t4 * t4, t16 = t8 * t8;
#define C(k) piece(jd, k)
    double r = (((C(0) + t * C(1)) + t2 * (C(2) + t * C(3))) + t4 * ((C(4) + t * C(5)) + t2 * (C(6) + t * C(7))))
             + t8 * (((C(8) + t * C(9)) + t2 * (C(10) + t * C(11))) + t4 * ((C(12) + t * C(13)) + t2 * (C(14) + t * C(15))))
             + t16 * (C(16) + t * C(17));
#undef C
    double wl, w = vm_two_prod(al, al, &wl), k;
    double er = vm_exp_reduce(-w, -wl, &k, &et);
    double erfc = (1.0 + (er + et)) * vm_pow2(k) * r;
    double res = a <= 1.0 ? small : 1.0 - erfc;   /* past 5.86, 1 − erfc rounds to 1 */
    y[i] = v != v ? v : copysign(res, v);
  }
}
