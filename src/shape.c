/* shape.c: views over shared storage and the gathering copies.
 *
 * A view only rewrites shape/strides/offset and takes a storage reference;
 * nothing here reads element values except cat/stack/index/mask, which
 * copy through gd_copy_into so any input strides work.
 */
#include "shape.h"

#include <string.h>

#include "kernels.h"

static int dims_err(const char *what, int dim, int ndim) {
  return gd_seterr(GD_EARG, "%s: dim %d out of range for a %d-d tensor", what, dim + 1, ndim);
}

int gd_reshape(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape) {
  int64_t s[GD_MAXDIM] = {0};
  int infer = -1;
  size_t known = 1;
  if (nd > GD_MAXDIM) return gd_seterr(GD_EARG, "%d dims (at most %d)", nd, GD_MAXDIM);
  for (int i = 0; i < nd; i++) {
    s[i] = shape[i];
    if (s[i] == -1) {
      if (infer >= 0) return gd_seterr(GD_EARG, "only one -1 allowed in a shape");
      infer = i;
      s[i] = 1;                      /* for now: the product of the others */
    } else if (s[i] < 0) {
      return gd_seterr(GD_EARG, "negative size %lld", (long long)s[i]);
    }
  }
  int rc = gd_shape_check(nd, s, &known);   /* rejects products that overflow */
  if (rc) return rc;
  if (infer >= 0) {
    if (known == 0 || x->numel % known)
      goto bad;
    s[infer] = (int64_t)(x->numel / known);
    known *= (size_t)s[infer];
  }
  if (known != x->numel) goto bad;
  if (gd_is_contig(x)) {
    gd_tensor_view(out, x);
    out->ndim = nd;
    memcpy(out->shape, s, sizeof(int64_t) * (size_t)nd);
    gd_contig_strides(nd, s, out->stride);
    return GD_OK;
  }
  {
    rc = gd_contiguous(out, x);
    if (rc) return rc;
    out->ndim = nd;
    memcpy(out->shape, s, sizeof(int64_t) * (size_t)nd);
    gd_contig_strides(nd, s, out->stride);
    return GD_OK;
  }
bad: {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "cannot reshape %s (%zu elements) into %s",
                     gd_shape_str(a, sizeof a, x->ndim, x->shape), x->numel,
                     gd_shape_str(b, sizeof b, nd, shape));
  }
}

int gd_permute(gd_tensor *out, const gd_tensor *x, const int *perm) {
  int seen[GD_MAXDIM] = {0};
  for (int i = 0; i < x->ndim; i++) {
    if (perm[i] < 0 || perm[i] >= x->ndim || seen[perm[i]]++)
      return gd_seterr(GD_EARG, "not a permutation of %d dims", x->ndim);
  }
  gd_tensor t = *x;
  for (int i = 0; i < x->ndim; i++) {
    t.shape[i] = x->shape[perm[i]];
    t.stride[i] = x->stride[perm[i]];
  }
  gd_tensor_view(out, &t);
  return GD_OK;
}

int gd_transpose(gd_tensor *out, const gd_tensor *x, int a, int b) {
  if (a < 0 || a >= x->ndim) return dims_err("transpose", a, x->ndim);
  if (b < 0 || b >= x->ndim) return dims_err("transpose", b, x->ndim);
  int perm[GD_MAXDIM];
  for (int i = 0; i < x->ndim; i++) perm[i] = i;
  perm[a] = b;
  perm[b] = a;
  return gd_permute(out, x, perm);
}

int gd_expand(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape) {
  if (nd < x->ndim || nd > GD_MAXDIM) goto bad;
  gd_tensor t = *x;
  t.ndim = nd;
  t.numel = 1;
  for (int i = 0; i < nd; i++) {
    int ix = x->ndim - nd + i;
    int64_t want = shape[i];
    if (ix >= 0) {
      if (want == -1) want = x->shape[ix];
      if (want == x->shape[ix]) t.stride[i] = x->stride[ix];
      else if (x->shape[ix] == 1 && want >= 0) t.stride[i] = 0;
      else goto bad;
    } else {
      if (want < 0) goto bad;
      t.stride[i] = 0;
    }
    t.shape[i] = want;
  }
  int rc = gd_shape_check(nd, t.shape, &t.numel);   /* rejects products that overflow */
  if (rc) return rc;
  gd_tensor_view(out, &t);
  return GD_OK;
bad: {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "cannot expand %s to %s",
                     gd_shape_str(a, sizeof a, x->ndim, x->shape),
                     gd_shape_str(b, sizeof b, nd, shape));
  }
}

int gd_squeeze(gd_tensor *out, const gd_tensor *x, int dim) {
  if (dim >= x->ndim) return dims_err("squeeze", dim, x->ndim);
  gd_tensor t = *x;
  int d = 0;
  for (int i = 0; i < x->ndim; i++) {
    if (x->shape[i] == 1 && (dim < 0 || dim == i)) continue;
    t.shape[d] = x->shape[i];
    t.stride[d++] = x->stride[i];
  }
  t.ndim = d;
  gd_tensor_view(out, &t);
  return GD_OK;
}

int gd_unsqueeze(gd_tensor *out, const gd_tensor *x, int dim) {
  if (dim < 0 || dim > x->ndim) return dims_err("unsqueeze", dim, x->ndim + 1);
  if (x->ndim == GD_MAXDIM) return gd_seterr(GD_EARG, "unsqueeze: already %d dims", GD_MAXDIM);
  gd_tensor t = *x;
  for (int i = x->ndim; i > dim; i--) {
    t.shape[i] = x->shape[i - 1];
    t.stride[i] = x->stride[i - 1];
  }
  t.shape[dim] = 1;
  t.stride[dim] = dim < x->ndim ? x->stride[dim] * x->shape[dim] : 1;
  t.ndim = x->ndim + 1;
  gd_tensor_view(out, &t);
  return GD_OK;
}

int gd_slice(gd_tensor *out, const gd_tensor *x, int dim, int64_t start, int64_t count, int64_t step) {
  if (dim < 0 || dim >= x->ndim) return dims_err("slice", dim, x->ndim);
  if (step <= 0) return gd_seterr(GD_EARG, "slice step must be positive");
  if (count < 0 || start < 0 || (count > 0 && start + (count - 1) * step >= x->shape[dim]))
    return gd_seterr(GD_EARG, "range out of bounds for dim %d of size %lld", dim + 1,
                     (long long)x->shape[dim]);
  gd_tensor t = *x;
  t.off = x->off + (size_t)(start * x->stride[dim]);
  if (count == 0) t.off = x->off;
  t.shape[dim] = count;
  t.stride[dim] = x->stride[dim] * step;
  t.numel = x->shape[dim] ? x->numel / (size_t)x->shape[dim] * (size_t)count : 0;
  gd_tensor_view(out, &t);
  return GD_OK;
}

int gd_narrow(gd_tensor *out, const gd_tensor *x, int dim, int64_t start, int64_t len) {
  if (dim < 0 || dim >= x->ndim) return dims_err("narrow", dim, x->ndim);
  if (start < 0 || len < 0 || start + len > x->shape[dim])
    return gd_seterr(GD_EARG, "start %lld, length %lld out of range for dim %d of size %lld",
                     (long long)start + 1, (long long)len, dim + 1, (long long)x->shape[dim]);
  return gd_slice(out, x, dim, start, len, 1);
}

int gd_select(gd_tensor *out, const gd_tensor *x, int dim, int64_t i) {
  if (dim < 0 || dim >= x->ndim) return dims_err("select", dim, x->ndim);
  if (i < 0 || i >= x->shape[dim])
    return gd_seterr(GD_EARG, "index %lld out of range for dim %d of size %lld",
                     (long long)i + 1, dim + 1, (long long)x->shape[dim]);
  gd_tensor t = *x;
  t.off = x->off + (size_t)(i * x->stride[dim]);
  for (int k = dim; k < x->ndim - 1; k++) {
    t.shape[k] = x->shape[k + 1];
    t.stride[k] = x->stride[k + 1];
  }
  t.ndim = x->ndim - 1;
  t.numel = x->numel / (size_t)x->shape[dim];
  gd_tensor_view(out, &t);
  return GD_OK;
}

/* Copy src into the [pos, pos+len) slab of dst along dim. */
static int copy_slab(gd_tensor *dst, const gd_tensor *src, int dim, int64_t pos, int64_t len) {
  gd_tensor slab;
  gd_tensor_init(&slab);
  int rc = gd_slice(&slab, dst, dim, pos, len, 1);
  if (!rc) rc = gd_copy_into(&slab, src);
  gd_tensor_release(&slab);
  return rc;
}

int gd_cat(gd_tensor *out, const gd_tensor *const *xs, int n, int dim) {
  if (n <= 0) return gd_seterr(GD_EARG, "needs at least one tensor");
  const gd_tensor *x0 = xs[0];
  if (dim < 0 || dim >= x0->ndim) return dims_err("cat", dim, x0->ndim);
  int64_t shape[GD_MAXDIM];
  memcpy(shape, x0->shape, sizeof shape);
  shape[dim] = 0;
  for (int k = 0; k < n; k++) {
    const gd_tensor *x = xs[k];
    int ok = x->ndim == x0->ndim;
    for (int i = 0; ok && i < x->ndim; i++)
      if (i != dim && x->shape[i] != x0->shape[i]) ok = 0;
    if (!ok) {
      char a[128], b[128];
      return gd_seterr(GD_ESHAPE, "tensor %d has shape %s, incompatible with %s along dim %d",
                       k + 1, gd_shape_str(a, sizeof a, x->ndim, x->shape),
                       gd_shape_str(b, sizeof b, x0->ndim, x0->shape), dim + 1);
    }
    shape[dim] += x->shape[dim];
  }
  int rc = gd_tensor_alloc(out, x0->ndim, shape);
  int64_t pos = 0;
  for (int k = 0; !rc && k < n; k++) {
    rc = copy_slab(out, xs[k], dim, pos, xs[k]->shape[dim]);
    pos += xs[k]->shape[dim];
  }
  return rc;
}

int gd_stack(gd_tensor *out, const gd_tensor *const *xs, int n, int dim) {
  if (n <= 0) return gd_seterr(GD_EARG, "needs at least one tensor");
  const gd_tensor *x0 = xs[0];
  if (dim < 0 || dim > x0->ndim) return dims_err("stack", dim, x0->ndim + 1);
  if (x0->ndim == GD_MAXDIM) return gd_seterr(GD_EARG, "stack: already %d dims", GD_MAXDIM);
  for (int k = 1; k < n; k++) {
    if (!gd_shape_eq(xs[k]->ndim, xs[k]->shape, x0->ndim, x0->shape)) {
      char a[128], b[128];
      return gd_seterr(GD_ESHAPE, "tensor %d has shape %s, tensor 1 has %s", k + 1,
                       gd_shape_str(a, sizeof a, xs[k]->ndim, xs[k]->shape),
                       gd_shape_str(b, sizeof b, x0->ndim, x0->shape));
    }
  }
  int64_t shape[GD_MAXDIM];
  for (int i = 0, j = 0; i <= x0->ndim; i++) shape[i] = i == dim ? n : x0->shape[j++];
  int rc = gd_tensor_alloc(out, x0->ndim + 1, shape);
  for (int k = 0; !rc && k < n; k++) {
    gd_tensor row;
    gd_tensor_init(&row);
    rc = gd_select(&row, out, dim, k);
    if (!rc) rc = gd_copy_into(&row, xs[k]);
    gd_tensor_release(&row);
  }
  return rc;
}

int gd_index_select(gd_tensor *out, const gd_tensor *x, int dim, const int64_t *ids, int64_t nidx) {
  if (dim < 0 || dim >= x->ndim) return dims_err("index", dim, x->ndim);
  for (int64_t k = 0; k < nidx; k++)
    if (ids[k] < 0 || ids[k] >= x->shape[dim])
      return gd_seterr(GD_EARG, "index %lld out of range for dim %d of size %lld",
                       (long long)ids[k] + 1, dim + 1, (long long)x->shape[dim]);
  int64_t shape[GD_MAXDIM];
  memcpy(shape, x->shape, sizeof shape);
  shape[dim] = nidx;
  int rc = gd_tensor_alloc(out, x->ndim, shape);
  for (int64_t k = 0; !rc && k < nidx; k++) {
    gd_tensor src, dst;
    gd_tensor_init(&src);
    gd_tensor_init(&dst);
    rc = gd_select(&src, x, dim, ids[k]);
    if (!rc) rc = gd_select(&dst, out, dim, k);
    if (!rc) rc = gd_copy_into(&dst, &src);
    gd_tensor_release(&src);
    gd_tensor_release(&dst);
  }
  return rc;
}

/* out = the x[k] where m[k] ≠ 0, k < n (both contiguous).  Every x[k] before
 * the last selected one is stored and the cursor moves only when m[k] ≠ 0,
 * so the loop has no branch on the data and never writes past the end. */
static int masked_flat(gd_tensor *out, const double *x, const double *m, size_t n) {
  size_t cnt = 0, last = 0;
  for (size_t k = 0; k < n; k++) {
    int hit = m[k] != 0;
    cnt += (size_t)hit;
    last = hit ? k : last;
  }
  int64_t shape[1] = {(int64_t)cnt};
  int rc = gd_tensor_alloc(out, 1, shape);
  if (rc || cnt == 0) return rc;
  double *o = gd_data(out);
  size_t j = 0;
  for (size_t k = 0; k < last; k++) {
    o[j] = x[k];
    j += (size_t)(m[k] != 0);
  }
  o[cnt - 1] = x[last];
  return GD_OK;
}

int gd_masked_select(gd_tensor *out, const gd_tensor *x, const gd_tensor *mask) {
  gd_tensor m;
  gd_tensor_init(&m);
  int rc = gd_expand(&m, mask, x->ndim, x->shape);
  if (rc) {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "mask of shape %s does not fit tensor of shape %s",
                     gd_shape_str(a, sizeof a, mask->ndim, mask->shape),
                     gd_shape_str(b, sizeof b, x->ndim, x->shape));
  }
  if (gd_is_contig(x) && gd_is_contig(&m)) {   /* flat: count, then copy without branches */
    rc = masked_flat(out, gd_data(x), gd_data(&m), x->numel);
    gd_tensor_release(&m);
    return rc;
  }
  int64_t idx[GD_MAXDIM] = {0};
  size_t cnt = 0;
  for (size_t k = 0; k < x->numel; k++) {      /* count, then copy */
    if (gd_get(&m, idx) != 0) cnt++;
    for (int i = x->ndim - 1; i >= 0 && ++idx[i] == x->shape[i]; i--) idx[i] = 0;
  }
  int64_t shape[1] = {(int64_t)cnt};
  rc = gd_tensor_alloc(out, 1, shape);
  if (!rc) {
    double *o = gd_data(out);
    memset(idx, 0, sizeof idx);
    for (size_t k = 0, j = 0; k < x->numel; k++) {
      if (gd_get(&m, idx) != 0) o[j++] = gd_get(x, idx);
      for (int i = x->ndim - 1; i >= 0 && ++idx[i] == x->shape[i]; i--) idx[i] = 0;
    }
  }
  gd_tensor_release(&m);
  return rc;
}
