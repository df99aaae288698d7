/* arrays.h: numpy-style array functions of the core: stable sorting,
 * unique values, histograms and cumulative sums/products along a dim.
 * Plain kernels on gd_tensor (no tape, no Lua); adops_arrays.c records them.
 * Dims are 0-based.
 */
#ifndef GD_ARRAYS_H
#define GD_ARRAYS_H

#include "tensor.h"

/* c = x's values contiguous: x itself (shared) or a copy. */
int gd_contig_of(gd_tensor *c, const gd_tensor *x);
/* Layout of x (contiguous) seen as lanes along dim: outer × n × inner. */
void gd_lanes(const gd_tensor *x, int dim, int64_t *outer, int64_t *n, int64_t *inner);

/* vals = x sorted along dim (stable, NaN last, descending if asked);
 * idx[...] = position in x along dim of each value, counted from base. */
int gd_sort(gd_tensor *vals, gd_tensor *idx, const gd_tensor *x, int dim, int descending,
            int base);
/* vals = the distinct values of x in ascending order (NaNs as one, last),
 * counts = how often each occurs; both 1-D. */
int gd_unique(gd_tensor *vals, gd_tensor *counts, const gd_tensor *x);
/* counts (bins) and edges (bins + 1) of x over [lo, hi] as numpy.histogram:
 * equal-width bins, the last closed on the right, values outside ignored.
 * auto_range: lo, hi = min, max of x (± 0.5 when equal). */
int gd_histogram(gd_tensor *counts, gd_tensor *edges, const gd_tensor *x, int64_t bins,
                 double lo, double hi, int auto_range);
/* out = cumulative sum (prod = 0) or product (prod = 1) of x along dim,
 * from the end when reverse (out[k] = Σ_{j ≥ k} x[j]). */
int gd_cumulative(gd_tensor *out, const gd_tensor *x, int dim, int prod, int reverse);

#endif
