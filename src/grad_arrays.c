/* grad_arrays.c: backward rules of cumsum and cumprod, written with
 * recording ops (higher order works).  Notation as grad_elem.c: g = ∂L/∂y.
 *   cumsum:  ∂L/∂x = reverse cumsum of g (a reverse cumsum's is forward).
 *   cumprod: ∂L/∂x_k = Σ_{j≥k} g_j·∏_{i≤j, i≠k} x_i, computed as torch does:
 *            before a lane's first zero it is revcumsum(g·y)_k / x_k; at the
 *            first zero z it is revcumsum(g·cumprod(x with x_z = 1))_z; after
 *            it, x_z times the same rule on x with x_z = 1 (0 in value, but
 *            its derivative in x_z is what second-order gradients need).
 */
#include "grad.h"

#include "adops_arrays.h"
#include "compile.h"
#include "arrays.h"

static int bw_cumsum(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return gd_ad_cumsum(&gin[0], g, (int)n->ip[0], !n->ip[1]);
}

/* Constant masks of a lane's zeros: before = no zero up to here, first = the first zero. */
static int zero_masks(const gd_tensor *x, int dim, gd_tensor *before, gd_tensor *first,
                      int *any) {
  gd_tensor z, cz;
  gd_tensor_init(&z);
  gd_tensor_init(&cz);
  gd_const zero, one;
  gd_const_init(&zero, 0.0);
  gd_const_init(&one, 1.0);
  int rc = gd_binary(&z, GD_BIN_EQ, x, &zero.t);
  if (!rc) rc = gd_cumulative(&cz, &z, dim, 0, 0);
  if (!rc) rc = gd_binary(before, GD_BIN_EQ, &cz, &zero.t);
  if (!rc) rc = gd_binary(first, GD_BIN_EQ, &cz, &one.t);
  if (!rc) rc = gd_binary_into(first, GD_BIN_MUL, first, &z);
  *any = 0;
  if (!rc && gd_cp_tracing) gd_cp_read(x, "the gradient of cumprod (its rule tests x for zeros)");
  if (!rc) {
    const double *d = gd_data(&z);
    for (size_t i = 0; i < z.numel && !*any; i++) *any = d[i] != 0;
  }
  before->id = first->id = 0;
  gd_tensor_release(&z);
  gd_tensor_release(&cz);
  return rc;
}

/* Levels of zeros a rule looks through: past the second zero of a lane the
 * gradient and its first derivative are 0 (two zero factors), so two levels
 * make second-order gradients exact. */
#define CUMPROD_LEVELS 2

/* out = ∂/∂x Σ g·y for y = cumprod(x) along dim (see the header comment);
 * positions after the first zero z get x_z·(the same rule on x with x_z = 1),
 * which keeps that product's derivative in x_z. */
static int cumprod_grad(const gd_tensor *x, const gd_tensor *y, const gd_tensor *g, int dim,
                        int level, gd_tensor *out) {
  int any = 0;
  gd_tensor before, first, gy, r, zm, xs, d, x1, y1, gy1, zr, xf, xz, sub, after, inner;
  gd_tensor *all[] = {&before, &first, &gy, &r, &zm, &xs, &d, &x1, &y1, &gy1, &zr, &xf, &xz,
                      &sub, &after, &inner};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) gd_tensor_init(all[i]);
  gd_const zero, one;
  gd_const_init(&zero, 0.0);
  gd_const_init(&one, 1.0);
  int rc = zero_masks(x, dim, &before, &first, &any);
  if (!rc) rc = gd_ad_binary(&gy, GD_BIN_MUL, g, y);
  if (!rc) rc = gd_ad_cumsum(&r, &gy, dim, 1);
  if (!rc && !any) rc = gd_ad_binary(out, GD_BIN_DIV, &r, x);
  if (!rc && any) {
    rc = gd_binary(&zm, GD_BIN_EQ, x, &zero.t);                /* a constant mask */
    zm.id = 0;
    if (!rc) rc = gd_ad_where(&xs, &zm, &one.t, x);            /* x with zeros → 1 */
    if (!rc) rc = gd_ad_binary(&d, GD_BIN_DIV, &r, &xs);       /* before z: revcumsum(g·y)/x */
    if (!rc) rc = gd_ad_where(&x1, &first, &one.t, x);         /* x_z = 1 */
    if (!rc) rc = gd_ad_cumprod(&y1, &x1, dim);
    if (!rc) rc = gd_ad_binary(&gy1, GD_BIN_MUL, g, &y1);
    if (!rc) rc = gd_ad_cumsum(&zr, &gy1, dim, 1);             /* at z */
    if (!rc && level + 1 < CUMPROD_LEVELS) {                   /* after z: x_z·rule(x1) */
      rc = gd_ad_binary(&xf, GD_BIN_MUL, x, &first);
      if (!rc) rc = gd_ad_reduce(&xz, NULL, GD_RED_SUM, &xf, dim, 1, 0);
      if (!rc) rc = cumprod_grad(&x1, &y1, g, dim, level + 1, &sub);
      if (!rc) rc = gd_ad_binary(&after, GD_BIN_MUL, &xz, &sub);
    } else if (!rc) {
      rc = gd_ad_full(&after, x->ndim, x->shape, 0.0);
    }
    if (!rc) rc = gd_ad_where(&inner, &first, &zr, &after);
    if (!rc) rc = gd_ad_where(out, &before, &d, &inner);
  }
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) gd_tensor_release(all[i]);
  return rc;
}

int gd_grad_cumprod(const gd_tensor *x, const gd_tensor *y, const gd_tensor *g, int dim,
                    gd_tensor *out) {
  return cumprod_grad(x, y, g, dim, 0, out);
}

static int bw_cumprod(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return gd_grad_cumprod(&n->in[0], &n->out, g, (int)n->ip[0], &gin[0]);
}

const gd_backward_fn gd_bw_arrays[GD_OP_COUNT + 1] = {
  [GD_OP_CUMSUM] = bw_cumsum, [GD_OP_CUMPROD] = bw_cumprod,
  [GD_OP_COUNT] = NULL,
};
