/* vmath.h: vectorizable elementary functions over arrays.
 *
 * Plain-C polynomial kernels with no branches in the loop body, so the
 * compiler maps them to SIMD lanes; accurate to within 1 ulp of the
 * correctly rounded result (checked against libm in tests/vmath_spec.lua).
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

/* y[i] = exp(x[i]) for i < n (y may equal x). */
void gd_vexp(double *y, const double *x, int64_t n);
/* y[i] = log(x[i]) for i < n (y may equal x). */
void gd_vlog(double *y, const double *x, int64_t n);
/* y[i] = log1p(x[i]) for i < n (y may equal x). */
void gd_vlog1p(double *y, const double *x, int64_t n);
/* y[i] = 1/(1 + exp(−x[i])) for i < n, without overflow (y may equal x). */
void gd_vsigmoid(double *y, const double *x, int64_t n);

#endif
