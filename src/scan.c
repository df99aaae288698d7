/* scan.c: cumulative sums and products along a dim (numpy.cumsum/cumprod,
 * with a reverse direction for cumsum's adjoint), and the lane layout that
 * the array kernels share.  Plain loops on contiguous data; no tape here.
 */
#include "arrays.h"

#include "kernels.h"

void gd_lanes(const gd_tensor *x, int dim, int64_t *outer, int64_t *n, int64_t *inner) {
  int64_t o = 1, in = 1;
  for (int i = 0; i < dim; i++) o *= x->shape[i];
  for (int i = dim + 1; i < x->ndim; i++) in *= x->shape[i];
  *outer = o;
  *n = x->ndim ? x->shape[dim] : 1;
  *inner = in;
}

int gd_contig_of(gd_tensor *c, const gd_tensor *x) {
  if (gd_is_contig(x)) {
    gd_tensor_share(c, x);
    return GD_OK;
  }
  return gd_contiguous(c, x);
}

int gd_cumulative(gd_tensor *out, const gd_tensor *x, int dim, int prod, int reverse) {
  if (x->ndim && (dim < 0 || dim >= x->ndim))
    return gd_seterr(GD_EARG, "dim %d out of range for a %d-d tensor", dim + 1, x->ndim);
  gd_tensor c;
  gd_tensor_init(&c);
  int rc = gd_contig_of(&c, x);
  if (!rc) rc = gd_tensor_alloc(out, x->ndim, x->shape);
  if (rc) {
    gd_tensor_release(&c);
    return rc;
  }
  int64_t outer, n, inner;
  gd_lanes(x, dim, &outer, &n, &inner);
  const double *src = gd_data(&c);
  double *dst = gd_data(out);
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * n * inner + i, s = inner;
      if (reverse) {
        base += (n - 1) * inner;
        s = -inner;
      }
      double acc = prod ? 1.0 : 0.0;
      for (int64_t k = 0; k < n; k++) {
        double v = src[base + k * s];
        acc = prod ? acc * v : acc + v;
        dst[base + k * s] = acc;
      }
    }
  }
  gd_tensor_release(&c);
  return GD_OK;
}
