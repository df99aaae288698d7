/* grad.h: what the backward rules share (grad_*.c, ad_registry.c). */
#ifndef GD_GRAD_H
#define GD_GRAD_H

#include "adops.h"

/* A number as a 0-d tensor on the C stack (borrowed storage). */
typedef struct gd_const {
  gd_tensor t;
  gd_storage st;
  double v;
} gd_const;

/* Make c hold v; use &c->t as the tensor. */
void gd_const_init(gd_const *c, double v);

/* Backward rules by op, NULL where another table has it. */
extern const gd_backward_fn gd_bw_elem[GD_OP_COUNT + 1];
extern const gd_backward_fn gd_bw_shape[GD_OP_COUNT + 1];
extern const gd_backward_fn gd_bw_linalg[GD_OP_COUNT + 1];
extern const gd_backward_fn gd_bw_arrays[GD_OP_COUNT + 1];

/* out = ∂/∂x Σ g·y for y = cumprod(x) along dim, recorded, exact to second
 * order through zeros of x (grad_arrays.c; prod's rule uses it at zeros). */
int gd_grad_cumprod(const gd_tensor *x, const gd_tensor *y, const gd_tensor *g, int dim,
                    gd_tensor *out);

#endif
