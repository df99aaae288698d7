/* adops_arrays.c: array functions that the tapes see (see adops_arrays.h):
 * compute with arrays.h, then gd_ad_record.
 */
#include "adops_arrays.h"

#include "adops_shape.h"
#include "arrays.h"

int gd_ad_cumsum(gd_tensor *out, const gd_tensor *x, int dim, int reverse) {
  int rc = gd_cumulative(out, x, dim, 0, reverse);
  if (rc) return rc;
  const gd_tensor *in[1] = {x};
  int64_t ip[4] = {dim, reverse, 0, 0};
  return gd_ad_record(GD_OP_CUMSUM, out, 1, in, ip, NULL);
}

int gd_ad_cumprod(gd_tensor *out, const gd_tensor *x, int dim) {
  int rc = gd_cumulative(out, x, dim, 1, 0);
  if (rc) return rc;
  const gd_tensor *in[1] = {x};
  int64_t ip[4] = {dim, 0, 0, 0};
  return gd_ad_record(GD_OP_CUMPROD, out, 1, in, ip, NULL);
}

/* vals = x gathered at the flat positions that idx (counted from base) names
 * along dim: reshape(index(reshape(x, numel), flat ids), x.shape). */
static int gather_sorted(gd_tensor *vals, const gd_tensor *x, const gd_tensor *idx, int dim,
                         int base) {
  int64_t outer, n, inner, nflat[1] = {(int64_t)x->numel};
  gd_lanes(x, dim, &outer, &n, &inner);
  gd_tensor ids, flat, picked;
  gd_tensor_init(&ids);
  gd_tensor_init(&flat);
  gd_tensor_init(&picked);
  int rc = gd_tensor_alloc(&ids, 1, nflat);
  if (!rc) {
    const double *p = gd_data(idx);          /* idx is contiguous (gd_sort made it) */
    double *f = gd_data(&ids);
    for (int64_t o = 0; o < outer; o++)
      for (int64_t k = 0; k < n; k++)
        for (int64_t i = 0; i < inner; i++) {
          int64_t at = (o * n + k) * inner + i;
          f[at] = (double)((o * n + (int64_t)p[at] - base) * inner + i);
        }
    rc = gd_ad_reshape(&flat, x, 1, nflat);
  }
  if (!rc) rc = gd_ad_index_t(&picked, &flat, 0, &ids);
  if (!rc) rc = gd_ad_reshape(vals, &picked, x->ndim, x->shape);
  gd_tensor_release(&ids);
  gd_tensor_release(&flat);
  gd_tensor_release(&picked);
  return rc;
}

int gd_ad_sort(gd_tensor *vals, gd_tensor *idx, const gd_tensor *x, int dim, int descending,
               int base) {
  const gd_tensor *in[1] = {x};
  if (!x->id || !gd_ad_tracking(1, in)) {
    int rc = gd_sort(vals, idx, x, dim, descending, base);
    if (!rc) vals->id = 0, vals->flags = 0, idx->id = 0, idx->flags = 0;
    return rc;
  }
  int rc = gd_sort(NULL, idx, x, dim, descending, base);
  idx->id = 0;
  idx->flags = 0;
  return rc ? rc : gather_sorted(vals, x, idx, dim, base);
}
