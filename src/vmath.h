/* vmath.h: vectorizable elementary functions over arrays.
 *
 * Plain-C polynomial kernels with no branches in the loop body, so the
 * compiler maps them to SIMD lanes; each is within 2 ulp of glibc's libm
 * over the whole range (swept in tests/vmath_spec.lua).  Where a kernel's
 * loop covers only the common range (exp, log, log1p, pow, sin/cos/tan),
 * the few elements outside it are recomputed after the loop by a scalar
 * slow path (vm_run in vmath_dd.h).  Every function allows y == x (in place).
 */
#ifndef GD_VMATH_H
#define GD_VMATH_H

#include <stdint.h>

/* Marks a loop kernel to be compiled twice, for AVX2+FMA machines and for
 * the baseline, picked at load time (GCC on x86-64; not under ASan). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define GD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GD_CLONES
#endif

/* Defines static int fn(void): whether this CPU has the feature named (a
 * literal for __builtin_cpu_supports), asked once.  GCC on x86-64 only. */
#if defined(__x86_64__) && defined(__GNUC__)
#define GD_CPU_HAS(fn, feature)                                                \
  static int fn(void) {                                                        \
    static int has = -1;                                                       \
    if (has < 0) {                                                             \
      __builtin_cpu_init();                                                    \
      has = __builtin_cpu_supports(feature) != 0;                              \
    }                                                                          \
    return has;                                                                \
  }
#endif

/* y[i] = exp(x[i]) for i < n (y may equal x). */
void gd_vexp(double *y, const double *x, int64_t n);
/* y[i] = log(x[i]) for i < n (y may equal x). */
void gd_vlog(double *y, const double *x, int64_t n);
/* y[i] = log1p(x[i]) for i < n (y may equal x). */
void gd_vlog1p(double *y, const double *x, int64_t n);
/* y[i] = 1/(1 + exp(−x[i])) for i < n, without overflow (y may equal x). */
void gd_vsigmoid(double *y, const double *x, int64_t n);
/* y[i] = exp(x[i]) − 1, accurate near 0. */
void gd_vexpm1(double *y, const double *x, int64_t n);
/* y[i] = tanh(x[i]). */
void gd_vtanh(double *y, const double *x, int64_t n);
/* y[i] = log(1 + exp(x[i])), without overflow. */
void gd_vsoftplus(double *y, const double *x, int64_t n);
/* y[i] = √x[i] (vsqrtpd). */
void gd_vsqrt(double *y, const double *x, int64_t n);
/* y[i] = sin(x[i]) / cos(x[i]) / tan(x[i]); |x| > 1.6e6, inf, NaN by libm. */
void gd_vsin(double *y, const double *x, int64_t n);
void gd_vcos(double *y, const double *x, int64_t n);
void gd_vtan(double *y, const double *x, int64_t n);
/* y[i] = pow(x[i], p) for one scalar exponent p (C99 special values). */
void gd_vpow(double *y, const double *x, double p, int64_t n);
/* y[i] = erf(x[i]). */
void gd_verf(double *y, const double *x, int64_t n);

#endif
