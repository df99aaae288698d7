/* shape.h: views (reshape, permute, expand, narrow, select, slice) and
 * copies that gather (cat, stack, index_select, masked_select).
 * Dims and indices are 0-based here; out must be an empty tensor or one
 * that may be overwritten (its old storage reference is released).
 */
#ifndef GD_SHAPE_H
#define GD_SHAPE_H

#include "tensor.h"

/* out = x with a new shape (one -1 inferred); a view when x is contiguous. */
int gd_reshape(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape);
/* out = view of x with dims reordered: out dim i is x dim perm[i]. */
int gd_permute(gd_tensor *out, const gd_tensor *x, const int *perm);
/* out = view of x with dims a and b swapped. */
int gd_transpose(gd_tensor *out, const gd_tensor *x, int a, int b);
/* out = view of x broadcast to shape (stride 0 on new / size-1 dims; -1 keeps). */
int gd_expand(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape);
/* out = view of x without size-1 dims (dim < 0: all of them; else that one). */
int gd_squeeze(gd_tensor *out, const gd_tensor *x, int dim);
/* out = view of x with a size-1 dim inserted at position dim (0..ndim). */
int gd_unsqueeze(gd_tensor *out, const gd_tensor *x, int dim);
/* out = view of x[start : start+len] along dim. */
int gd_narrow(gd_tensor *out, const gd_tensor *x, int dim, int64_t start, int64_t len);
/* out = view of x at index i of dim (that dim removed). */
int gd_select(gd_tensor *out, const gd_tensor *x, int dim, int64_t i);
/* out = view of x along dim: start, start+step, ... (count elements, step > 0). */
int gd_slice(gd_tensor *out, const gd_tensor *x, int dim, int64_t start, int64_t count, int64_t step);
/* out = the n tensors joined along existing dim. */
int gd_cat(gd_tensor *out, const gd_tensor *const *xs, int n, int dim);
/* out = the n equal-shaped tensors stacked along a new dim. */
int gd_stack(gd_tensor *out, const gd_tensor *const *xs, int n, int dim);
/* out = x gathered along dim at the nidx positions ids (0-based, checked). */
int gd_index_select(gd_tensor *out, const gd_tensor *x, int dim, const int64_t *ids, int64_t nidx);
/* out = 1-D copy of the elements of x where mask (broadcast to x) is nonzero. */
int gd_masked_select(gd_tensor *out, const gd_tensor *x, const gd_tensor *mask);

#endif
