/* vmath.h: vectorizable elementary functions over arrays.
 *
 * Plain-C polynomial kernels with no branches in the loop body, so the
 * compiler maps them to SIMD lanes; accurate to within 1 ulp of the
 * correctly rounded result (checked against libm in tests/vmath_spec.lua).
 */
#ifndef GD_VMATH_H
#define GD_VMATH_H

#include <stdint.h>

/* y[i] = exp(x[i]) for i < n (y may equal x). */
void gd_vexp(double *y, const double *x, int64_t n);

#endif
