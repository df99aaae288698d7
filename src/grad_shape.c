/* grad_shape.c: backward rules of slicing, indexing, cat and stack, and of
 * their adjoints (embed, index_add, mask_scatter).  Each rule is one
 * recording op, so its own computation is differentiable (higher order):
 *   slice/select → embed      embed → slice/select
 *   index → index_add         index_add → index
 *   mask → mask_scatter       mask_scatter → mask
 *   cat → slices of g         stack → selects of g
 * Parameters are in n->ip as adops_shape.c saves them.
 */
#include "grad.h"

#include "adops_shape.h"

/* A saved non-differentiated input (ids, mask) written in place since. */
static int check_saved(const gd_node *n, int i, const char *what) {
  const gd_tensor *x = &n->in[i];
  if (x->st && !x->st->borrowed && x->st->version != n->inver[i])
    return gd_seterr(GD_EARG, "the %s of %s was modified in place after it was recorded", what,
                     gd_op_info(n->op)->name);
  return GD_OK;
}

static int bw_slice(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *x = &n->in[0];
  return gd_ad_embed(&gin[0], g, x->ndim, x->shape, (int)n->ip[0], n->ip[1], n->ip[2], n->ip[3]);
}

static int bw_select(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *x = &n->in[0];
  return gd_ad_embed(&gin[0], g, x->ndim, x->shape, (int)n->ip[0], n->ip[1], -1, 1);
}

static int bw_embed(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  int dim = (int)n->ip[0];
  if (n->ip[2] < 0) return gd_ad_select(&gin[0], g, dim, n->ip[1]);
  return gd_ad_slice(&gin[0], g, dim, n->ip[1], n->ip[2], n->ip[3]);
}

static int bw_index(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *x = &n->in[0];
  return gd_ad_index_add(&gin[0], g, x->ndim, x->shape, (int)n->ip[0], &n->in[1]);
}

static int bw_index_add(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return gd_ad_index_t(&gin[0], g, (int)n->ip[0], &n->in[1]);
}

static int bw_mask(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *x = &n->in[0];
  int rc = check_saved(n, 1, "mask");
  return rc ? rc : gd_ad_mask_scatter(&gin[0], g, &n->in[1], x->ndim, x->shape);
}

static int bw_mask_scatter(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  int rc = check_saved(n, 1, "mask");
  return rc ? rc : gd_ad_mask(&gin[0], g, &n->in[1]);
}

static int bw_cat(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  int dim = (int)n->ip[0], rc = GD_OK;
  int64_t off = 0;
  for (int i = 0; i < n->nin && !rc; i++) {
    int64_t len = gd_node_input(n, i)->shape[dim];
    if (need[i]) rc = gd_ad_slice(&gin[i], g, dim, off, len, 1);
    off += len;
  }
  return rc;
}

static int bw_stack(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  int dim = (int)n->ip[0], rc = GD_OK;
  for (int i = 0; i < n->nin && !rc; i++)
    if (need[i]) rc = gd_ad_select(&gin[i], g, dim, i);
  return rc;
}

const gd_backward_fn gd_bw_shape[GD_OP_COUNT + 1] = {
  [GD_OP_SLICE] = bw_slice, [GD_OP_SELECT] = bw_select, [GD_OP_EMBED] = bw_embed,
  [GD_OP_INDEX] = bw_index, [GD_OP_INDEX_ADD] = bw_index_add, [GD_OP_MASK] = bw_mask,
  [GD_OP_MASK_SCATTER] = bw_mask_scatter, [GD_OP_CAT] = bw_cat, [GD_OP_STACK] = bw_stack,
  [GD_OP_COUNT] = NULL,
};
