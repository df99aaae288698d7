/* adops_arrays.h: the recording forms of the array functions (arrays.h).
 *
 * Node parameters (ip[]): cumsum {dim, reverse}, cumprod {dim}.  Sorted
 * values are recorded as a gather of x (reshape → index → reshape), so
 * their gradient is index's: g scattered back through the indices.
 */
#ifndef GD_ADOPS_ARRAYS_H
#define GD_ADOPS_ARRAYS_H

#include "adops.h"

/* out = cumsum of x along dim (from the end when reverse), recorded. */
int gd_ad_cumsum(gd_tensor *out, const gd_tensor *x, int dim, int reverse);
/* out = cumprod of x along dim, recorded. */
int gd_ad_cumprod(gd_tensor *out, const gd_tensor *x, int dim);
/* vals, idx = gd_sort(x, dim, descending, base); vals recorded as a gather
 * of x when a tape tracks x (idx is a constant). */
int gd_ad_sort(gd_tensor *vals, gd_tensor *idx, const gd_tensor *x, int dim, int descending,
               int base);

#endif
