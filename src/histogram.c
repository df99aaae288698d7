/* histogram.c: numpy.histogram on equal-width bins.
 *
 * Edges are lo + (hi − lo)·i/bins (numpy's linspace); a value v in [lo, hi]
 * falls in bin ⌊(v − lo)·bins/(hi − lo)⌋, corrected by one where rounding
 * put it on the wrong side of an edge, and v = hi goes in the last bin
 * (closed on the right).  Values outside [lo, hi] and NaNs are not counted.
 * No tape, no Lua here.
 */
#include "arrays.h"

#include <math.h>

#include "shape.h"

/* The range of x for auto_range: min and max, widened by 0.5 when equal. */
static int auto_bounds(const gd_tensor *x, double *lo, double *hi) {
  const double *d = gd_data(x);
  double a = INFINITY, b = -INFINITY;
  for (size_t i = 0; i < x->numel; i++) {
    double v = d[i];
    if (v < a) a = v;
    if (v > b) b = v;
    if (v != v) { a = b = v; break; }
  }
  if (x->numel == 0) a = 0, b = 1;
  if (!isfinite(a) || !isfinite(b))
    return gd_seterr(GD_EARG, "autodetected range [%g, %g] is not finite", a, b);
  if (a == b) a -= 0.5, b += 0.5;
  *lo = a;
  *hi = b;
  return GD_OK;
}

int gd_histogram(gd_tensor *counts, gd_tensor *edges, const gd_tensor *x, int64_t bins,
                 double lo, double hi, int auto_range) {
  if (bins < 1 || bins > ((int64_t)1 << 48))
    return gd_seterr(GD_EARG, "bins must be in [1, 2^48], got %lld", (long long)bins);
  gd_tensor flat;
  gd_tensor_init(&flat);
  int64_t nflat[1] = {(int64_t)x->numel};
  int rc = gd_reshape(&flat, x, 1, nflat);   /* a view when contiguous */
  if (!rc && auto_range) rc = auto_bounds(&flat, &lo, &hi);
  if (!rc && !(lo < hi && isfinite(lo) && isfinite(hi)))
    rc = gd_seterr(GD_EARG, "range [%g, %g] must be finite with lo < hi", lo, hi);
  int64_t ne[1] = {bins + 1}, nc[1] = {bins};
  if (!rc) rc = gd_tensor_alloc(edges, 1, ne);
  if (!rc) rc = gd_tensor_alloc(counts, 1, nc);
  if (rc) {
    gd_tensor_release(&flat);
    return rc;
  }
  double *e = gd_data(edges), *c = gd_data(counts);
  double width = hi - lo, norm = (double)bins / width;
  for (int64_t i = 0; i <= bins; i++) e[i] = lo + width * (double)i / (double)bins;
  e[bins] = hi;
  for (int64_t i = 0; i < bins; i++) c[i] = 0;
  const double *d = gd_data(&flat);
  size_t n = flat.numel;
  for (size_t i = 0; i < n; i++) {
    double v = d[i];
    if (!(v >= lo && v <= hi)) continue;
    int64_t k = (int64_t)((v - lo) * norm);
    if (k >= bins) k = bins - 1;
    if (v < e[k]) k--;                       /* rounding put v one bin too far */
    else if (k + 1 < bins && v >= e[k + 1]) k++;
    c[k] += 1;
  }
  gd_tensor_release(&flat);
  return GD_OK;
}
