/* adops.h: the differentiable ops: compute, then record on the active tapes.
 *
 * The Lua bindings call these, and so do the backward rules (grad_*.c), so
 * that an outer tape records an inner backward pass.  Functions named
 * _into write into an out that already has the result's shape (the binding
 * made it, possibly small); the others allocate out.  Every result gets a
 * fresh id when it is recorded, id 0 otherwise.  Dims are 0-based.
 */
#ifndef GD_ADOPS_H
#define GD_ADOPS_H

#include "ad.h"
#include "kernels.h"

/* out = a op b (broadcast) for the differentiable binary ops; comparisons
 * are computed but not recorded (their gradient is zero). */
int gd_ad_binary(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
int gd_ad_binary_into(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
/* gd_ad_binary_into for the flat case (see gd_binary_flat). */
int gd_ad_binary_flat(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
/* out = op(x). */
int gd_ad_unary(gd_tensor *out, gd_unop op, const gd_tensor *x);
int gd_ad_unary_into(gd_tensor *out, gd_unop op, const gd_tensor *x);
/* out = c ? a : b (gradient flows to a and b). */
int gd_ad_where(gd_tensor *out, const gd_tensor *c, const gd_tensor *a, const gd_tensor *b);
/* out = min(max(x, lo), hi) (lo or hi may be NULL) as numpy.clip; the gradient
 * passes to x wherever lo ≤ x ≤ hi, ends included (torch.clamp), else to the
 * bound that was taken. */
int gd_ad_clip(gd_tensor *out, const gd_tensor *x, const gd_tensor *lo, const gd_tensor *hi);
/* Reductions (argmax/argmin are not recorded); idx as in gd_reduce. */
int gd_ad_reduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                 int dim, int keepdim, double ddof);
int gd_ad_reduce_into(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                      int dim, int keepdim, double ddof);
/* out = x summed down to shape (the reverse of broadcasting). */
int gd_ad_sum_to(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape);

/* Shape ops (views where the core makes views). */
int gd_ad_reshape(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape);
int gd_ad_permute(gd_tensor *out, const gd_tensor *x, const int *perm);
int gd_ad_expand(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape);
int gd_ad_slice(gd_tensor *out, const gd_tensor *x, int dim, int64_t start, int64_t count,
                int64_t step);
int gd_ad_select(gd_tensor *out, const gd_tensor *x, int dim, int64_t i);
int gd_ad_index(gd_tensor *out, const gd_tensor *x, int dim, const int64_t *ids, int64_t n);
int gd_ad_mask(gd_tensor *out, const gd_tensor *x, const gd_tensor *mask);
int gd_ad_cat(gd_tensor *out, const gd_tensor *const *xs, int n, int dim);
int gd_ad_stack(gd_tensor *out, const gd_tensor *const *xs, int n, int dim);
/* out = zeros(shape) with the slice (dim, start, count, step) — or, with
 * count < 0, the select at index start (dim removed from g) — set to g. */
int gd_ad_embed(gd_tensor *out, const gd_tensor *g, int nd, const int64_t *shape, int dim,
                int64_t start, int64_t count, int64_t step);
/* out = zeros(shape) with g's slices added at ids along dim (index's adjoint). */
int gd_ad_index_add(gd_tensor *out, const gd_tensor *g, int nd, const int64_t *shape, int dim,
                    const gd_tensor *ids);
/* out = zeros(mask-broadcast shape) with the masked positions taken from g in order. */
int gd_ad_mask_scatter(gd_tensor *out, const gd_tensor *g, const gd_tensor *mask, int nd,
                       const int64_t *shape);

/* Linear algebra. */
int gd_ad_matmul(gd_tensor *out, const gd_tensor *a, const gd_tensor *b);
int gd_ad_outer(gd_tensor *out, const gd_tensor *a, const gd_tensor *b);
int gd_ad_inv(gd_tensor *out, const gd_tensor *a);
int gd_ad_solve(gd_tensor *out, const gd_tensor *a, const gd_tensor *b);
int gd_ad_det(gd_tensor *out, const gd_tensor *a);
int gd_ad_slogdet(gd_tensor *sign, gd_tensor *logabs, const gd_tensor *a);
int gd_ad_cholesky(gd_tensor *out, const gd_tensor *a);
int gd_ad_lstsq(gd_tensor *out, const gd_tensor *a, const gd_tensor *b, double rcond);
int gd_ad_pinv(gd_tensor *out, const gd_tensor *a, double rcond);
/* Decompositions as linalg.h, each recorded as one node with all its results. */
int gd_ad_eigh(gd_tensor *w, gd_tensor *V, const gd_tensor *a);
int gd_ad_svd(gd_tensor *U, gd_tensor *S, gd_tensor *Vt, const gd_tensor *a);
int gd_ad_qr(gd_tensor *Q, gd_tensor *R, const gd_tensor *a);

/* Helpers for rules: out = x transposed in its last two dims (a view). */
int gd_ad_mT(gd_tensor *out, const gd_tensor *x);
/* out = a filled tensor of shape (not recorded: a constant). */
int gd_ad_full(gd_tensor *out, int nd, const int64_t *shape, double v);
/* out = the gradient g of a broadcast result reduced to x's shape. */
int gd_ad_unbroadcast(gd_tensor *out, const gd_tensor *g, const gd_tensor *x);

#endif
