/* adops_shape.c: differentiable slicing, indexing, cat and stack (see
 * adops.h), and the scatter ops that are their adjoints (embed, index_add,
 * mask_scatter).  Each computes with the core (shape.c, kernels.c, or the
 * small helpers here), then records with gd_ad_record.
 *
 * Parameters saved in the node (ip[]):
 *   slice, embed   {dim, start, count, step}   (embed: count < 0 = select at start)
 *   select         {dim, i}
 *   index          {dim}, in[1] = the 0-based ids as a private 1-D tensor
 *   index_add      {dim}, in[1] = the ids (the output's shape is the node's out)
 *   mask           in[1] = the mask
 *   mask_scatter   in[1] = the mask (the output's shape is the node's out)
 *   cat, stack     {dim}, all the inputs
 * The ids tensor has id 0, so the tapes never differentiate it; the mask
 * gets a gradient only if it is itself watched, and then none is given.
 */
#include "adops_shape.h"

#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "shape.h"

/* The backward pass handles at most this many inputs per node (ad.c's
 * need[]/gin[] arrays): longer cat/stack lists are recorded in groups. */
#define GROUP GD_NODE_MAXBW

static void untracked(gd_tensor *out) {
  out->id = 0;
  out->flags = 0;
}

static int record1(gd_opcode op, gd_tensor *out, const gd_tensor *x, const int64_t *ip) {
  const gd_tensor *in[1] = {x};
  return gd_ad_record(op, out, 1, in, ip, NULL);
}

/* ---- views ------------------------------------------------------------------ */

int gd_ad_slice(gd_tensor *out, const gd_tensor *x, int dim, int64_t start, int64_t count,
                int64_t step) {
  int rc = gd_slice(out, x, dim, start, count, step);
  if (rc) return rc;
  int64_t ip[4] = {dim, start, count, step};
  return record1(GD_OP_SLICE, out, x, ip);
}

int gd_ad_select(gd_tensor *out, const gd_tensor *x, int dim, int64_t i) {
  int rc = gd_select(out, x, dim, i);
  if (rc) return rc;
  int64_t ip[4] = {dim, i, 0, 0};
  return record1(GD_OP_SELECT, out, x, ip);
}

int gd_ad_squeeze(gd_tensor *out, const gd_tensor *x, int dim) {
  int rc = gd_squeeze(out, x, dim);
  return rc ? rc : record1(GD_OP_RESHAPE, out, x, NULL);
}

int gd_ad_unsqueeze(gd_tensor *out, const gd_tensor *x, int dim) {
  int rc = gd_unsqueeze(out, x, dim);
  return rc ? rc : record1(GD_OP_RESHAPE, out, x, NULL);
}

int gd_ad_alias(gd_tensor *out, const gd_tensor *x) {
  gd_tensor_view(out, x);
  return record1(GD_OP_RESHAPE, out, x, NULL);
}

/* ---- embed: the adjoint of slice / select ----------------------------------- */

int gd_ad_embed(gd_tensor *out, const gd_tensor *g, int nd, const int64_t *shape, int dim,
                int64_t start, int64_t count, int64_t step) {
  gd_tensor r, v;
  gd_tensor_init(&r);
  gd_tensor_init(&v);
  int rc = gd_tensor_alloc(&r, nd, shape);
  if (!rc) {
    gd_fill(&r, 0.0);
    if (gd_cp_tracing) gd_cp_const(&r);
    rc = count < 0 ? gd_select(&v, &r, dim, start) : gd_slice(&v, &r, dim, start, count, step);
  }
  if (!rc && !gd_shape_eq(v.ndim, v.shape, g->ndim, g->shape)) {
    char a[128], b[128];
    rc = gd_seterr(GD_ESHAPE, "embed: a tensor of shape %s does not fit a part of shape %s",
                   gd_shape_str(a, sizeof a, g->ndim, g->shape),
                   gd_shape_str(b, sizeof b, v.ndim, v.shape));
  }
  if (!rc) rc = gd_copy_into(&v, g);
  if (!rc && gd_cp_tracing) gd_cp_copy(&v, g);
  gd_tensor_release(&v);
  if (rc) {
    gd_tensor_release(&r);
    return rc;
  }
  gd_tensor_release(out);
  *out = r;
  int64_t ip[4] = {dim, start, count, step};
  return record1(GD_OP_EMBED, out, g, ip);
}

/* ---- index and index_add ------------------------------------------------------ */

/* t = the ids as a 1-D tensor of doubles. */
static int ids_tensor(gd_tensor *t, const int64_t *ids, int64_t n) {
  int64_t shape[1] = {n};
  int rc = gd_tensor_alloc(t, 1, shape);
  if (rc) return rc;
  double *d = gd_data(t);
  for (int64_t k = 0; k < n; k++) d[k] = (double)ids[k];
  return GD_OK;
}

/* The ids of a 1-D tensor as a malloc'd array (at least one slot). */
static int64_t *ids_array(const gd_tensor *t, int64_t *n) {
  *n = t->ndim ? t->shape[0] : 1;
  int64_t *a = malloc(sizeof *a * (size_t)(*n ? *n : 1));
  if (!a) {
    gd_seterr(GD_ENOMEM, "out of memory (index)");
    return NULL;
  }
  const double *d = gd_data(t);
  int64_t s = t->ndim ? t->stride[0] : 0;
  for (int64_t k = 0; k < *n; k++) a[k] = (int64_t)d[k * s];
  return a;
}

/* out = x gathered at ids; idt (may be NULL) is ids as a tensor, to save. */
static int index_with(gd_tensor *out, const gd_tensor *x, int dim, const int64_t *ids, int64_t n,
                      const gd_tensor *idt) {
  int rc = gd_index_select(out, x, dim, ids, n);
  if (rc) return rc;
  const gd_tensor *in[2] = {x, NULL};
  if (!gd_ad_tracking(1, in)) {
    untracked(out);
    return GD_OK;
  }
  gd_tensor own;
  gd_tensor_init(&own);
  if (!idt) {
    if ((rc = ids_tensor(&own, ids, n))) return rc;
    idt = &own;
  }
  in[1] = idt;
  int64_t ip[4] = {dim, 0, 0, 0};
  rc = gd_ad_record(GD_OP_INDEX, out, 2, in, ip, NULL);
  gd_tensor_release(&own);
  return rc;
}

int gd_ad_index(gd_tensor *out, const gd_tensor *x, int dim, const int64_t *ids, int64_t n) {
  return index_with(out, x, dim, ids, n, NULL);
}

int gd_ad_index_add(gd_tensor *out, const gd_tensor *g, int nd, const int64_t *shape, int dim,
                    const gd_tensor *ids) {
  if (dim < 0 || dim >= nd)
    return gd_seterr(GD_EARG, "index_add: dim %d out of range for a %d-d tensor", dim + 1, nd);
  int64_t n = ids->ndim ? ids->shape[0] : 1;
  int ok = ids->ndim <= 1 && g->ndim == nd && g->shape[dim] == n;
  for (int i = 0; ok && i < nd; i++)
    if (i != dim && g->shape[i] != shape[i]) ok = 0;
  if (!ok) {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "index_add: %lld slices of shape %s do not fit %s along dim %d",
                     (long long)n, gd_shape_str(a, sizeof a, g->ndim, g->shape),
                     gd_shape_str(b, sizeof b, nd, shape), dim + 1);
  }
  const double *d = gd_data(ids);
  int64_t s = ids->ndim ? ids->stride[0] : 0;
  for (int64_t k = 0; k < n; k++) {
    double v = d[k * s];
    if (v < 0 || v >= (double)shape[dim] || v != (double)(int64_t)v)
      return gd_seterr(GD_EARG, "index_add: index %g out of range for dim %d of size %lld",
                       v + 1, dim + 1, (long long)shape[dim]);
  }
  gd_tensor r;
  gd_tensor_init(&r);
  int rc = gd_tensor_alloc(&r, nd, shape);
  if (!rc) gd_fill(&r, 0.0);
  for (int64_t k = 0; k < n && !rc; k++) {
    gd_tensor dst, src;
    gd_tensor_init(&dst);
    gd_tensor_init(&src);
    rc = gd_select(&dst, &r, dim, (int64_t)d[k * s]);
    if (!rc) rc = gd_select(&src, g, dim, k);
    if (!rc) rc = gd_binary_into(&dst, GD_BIN_ADD, &dst, &src);
    gd_tensor_release(&dst);
    gd_tensor_release(&src);
  }
  if (rc) {
    gd_tensor_release(&r);
    return rc;
  }
  gd_tensor_release(out);
  *out = r;
  const gd_tensor *in[2] = {g, ids};
  int64_t ip[4] = {dim, 0, 0, 0};
  return gd_ad_record(GD_OP_INDEX_ADD, out, 2, in, ip, NULL);
}

int gd_ad_index_t(gd_tensor *out, const gd_tensor *x, int dim, const gd_tensor *idt) {
  int64_t n;
  int64_t *ids = ids_array(idt, &n);
  if (!ids) return GD_ENOMEM;
  int rc = index_with(out, x, dim, ids, n, idt);
  free(ids);
  return rc;
}

/* ---- mask and mask_scatter ------------------------------------------------------ */

int gd_ad_mask(gd_tensor *out, const gd_tensor *x, const gd_tensor *mask) {
  int rc = gd_masked_select(out, x, mask);
  if (rc) return rc;
  const gd_tensor *in[2] = {x, mask};
  if (!gd_ad_tracking(1, in)) {
    untracked(out);
    return GD_OK;
  }
  return gd_ad_record(GD_OP_MASK, out, 2, in, NULL, NULL);
}

int gd_ad_mask_scatter(gd_tensor *out, const gd_tensor *g, const gd_tensor *mask, int nd,
                       const int64_t *shape) {
  gd_tensor m, r;
  gd_tensor_init(&m);
  gd_tensor_init(&r);
  int rc = gd_expand(&m, mask, nd, shape);
  if (rc) {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "mask of shape %s does not fit tensor of shape %s",
                     gd_shape_str(a, sizeof a, mask->ndim, mask->shape),
                     gd_shape_str(b, sizeof b, nd, shape));
  }
  int64_t idx[GD_MAXDIM] = {0};
  size_t cnt = 0;
  for (size_t k = 0; k < m.numel; k++) {
    if (gd_get(&m, idx) != 0) cnt++;
    for (int i = nd - 1; i >= 0 && ++idx[i] == shape[i]; i--) idx[i] = 0;
  }
  if (g->ndim != 1 || (size_t)g->shape[0] != cnt) {
    char a[128];
    gd_tensor_release(&m);
    return gd_seterr(GD_ESHAPE, "mask_scatter: %zu masked positions, values of shape %s",
                     cnt, gd_shape_str(a, sizeof a, g->ndim, g->shape));
  }
  rc = gd_tensor_alloc(&r, nd, shape);
  if (!rc) {
    double *o = gd_data(&r);
    const double *gv = gd_data(g);
    int64_t gs = g->stride[0];
    memset(idx, 0, sizeof idx);
    for (size_t k = 0, j = 0; k < r.numel; k++) {
      o[k] = gd_get(&m, idx) != 0 ? gv[(int64_t)(j++) * gs] : 0.0;
      for (int i = nd - 1; i >= 0 && ++idx[i] == shape[i]; i--) idx[i] = 0;
    }
  }
  gd_tensor_release(&m);
  if (rc) return rc;
  gd_tensor_release(out);
  *out = r;
  const gd_tensor *in[2] = {g, mask};
  return gd_ad_record(GD_OP_MASK_SCATTER, out, 2, in, NULL, NULL);
}

/* ---- cat and stack ---------------------------------------------------------------- */

/* The shape checks of gd_cat / gd_stack over the whole list (so that the
 * messages number the tensors of the list, not of a group). */
static int check_list(const gd_tensor *const *xs, int n, int dim, int stack) {
  if (n <= 0) return gd_seterr(GD_EARG, "needs at least one tensor");
  const gd_tensor *x0 = xs[0];
  int lim = stack ? x0->ndim + 1 : x0->ndim;
  if (dim < 0 || dim >= lim)
    return gd_seterr(GD_EARG, "%s: dim %d out of range for a %d-d tensor",
                     stack ? "stack" : "cat", dim + 1, lim);
  for (int k = 1; k < n; k++) {
    const gd_tensor *x = xs[k];
    int ok = x->ndim == x0->ndim;
    for (int i = 0; ok && i < x->ndim; i++)
      if ((stack || i != dim) && x->shape[i] != x0->shape[i]) ok = 0;
    if (!ok) {
      char a[128], b[128];
      return gd_seterr(GD_ESHAPE, "tensor %d has shape %s, incompatible with tensor 1 of shape %s",
                       k + 1, gd_shape_str(a, sizeof a, x->ndim, x->shape),
                       gd_shape_str(b, sizeof b, x0->ndim, x0->shape));
    }
  }
  return GD_OK;
}

/* out = the groups of at most GROUP inputs joined by op, then cat along dim. */
static int grouped(gd_tensor *out, const gd_tensor *const *xs, int n, int dim, int stack) {
  int rc = check_list(xs, n, dim, stack);
  if (rc) return rc;
  int ng = (n + GROUP - 1) / GROUP;
  gd_tensor *parts = malloc(sizeof *parts * (size_t)ng);
  const gd_tensor **pp = calloc((size_t)ng, sizeof *pp);
  if (!parts || !pp) {
    free(parts);
    free(pp);
    return gd_seterr(GD_ENOMEM, "out of memory (cat)");
  }
  for (int j = 0; j < ng; j++) {
    gd_tensor_init(&parts[j]);
    pp[j] = &parts[j];
  }
  for (int j = 0; j < ng && !rc; j++) {
    int len = n - j * GROUP < GROUP ? n - j * GROUP : GROUP;
    rc = stack ? gd_ad_stack(&parts[j], xs + j * GROUP, len, dim)
               : gd_ad_cat(&parts[j], xs + j * GROUP, len, dim);
  }
  if (!rc) rc = gd_ad_cat(out, pp, ng, dim);
  for (int j = 0; j < ng; j++) gd_tensor_release(&parts[j]);
  free(parts);
  free(pp);
  return rc;
}

int gd_ad_cat(gd_tensor *out, const gd_tensor *const *xs, int n, int dim) {
  if (n > GROUP && gd_ad_tracking(n, xs)) return grouped(out, xs, n, dim, 0);
  int rc = gd_cat(out, xs, n, dim);
  if (rc) return rc;
  int64_t ip[4] = {dim, 0, 0, 0};
  return gd_ad_record(GD_OP_CAT, out, n, xs, ip, NULL);
}

int gd_ad_stack(gd_tensor *out, const gd_tensor *const *xs, int n, int dim) {
  if (n > GROUP && gd_ad_tracking(n, xs)) return grouped(out, xs, n, dim, 1);
  int rc = gd_stack(out, xs, n, dim);
  if (rc) return rc;
  int64_t ip[4] = {dim, 0, 0, 0};
  return gd_ad_record(GD_OP_STACK, out, n, xs, ip, NULL);
}
