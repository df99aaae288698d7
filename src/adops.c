/* adops.c: differentiable elementwise ops, reductions and basic views:
 * compute with the core, then gd_ad_record (see adops.h).
 * Indexing ops live in adops_shape.c, linear algebra in adops_linalg.c.
 */
#include "adops.h"

#include <math.h>
#include <string.h>

#include "compile.h"
#include "shape.h"

static const gd_opcode binop_code[GD_BIN_COUNT] = {
  [GD_BIN_ADD] = GD_OP_ADD, [GD_BIN_SUB] = GD_OP_SUB, [GD_BIN_MUL] = GD_OP_MUL,
  [GD_BIN_DIV] = GD_OP_DIV, [GD_BIN_POW] = GD_OP_POW, [GD_BIN_MOD] = GD_OP_MOD,
  [GD_BIN_MAX] = GD_OP_MAXIMUM, [GD_BIN_MIN] = GD_OP_MINIMUM,
  [GD_BIN_LT] = GD_OP_COUNT, [GD_BIN_LE] = GD_OP_COUNT, [GD_BIN_GT] = GD_OP_COUNT,
  [GD_BIN_GE] = GD_OP_COUNT, [GD_BIN_EQ] = GD_OP_COUNT, [GD_BIN_NE] = GD_OP_COUNT,
};

/* Record a binary op's result (comparisons: constants, never recorded). */
static int record2(gd_opcode op, gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  if (op == GD_OP_COUNT) {
    out->id = 0;
    out->flags = 0;
    return GD_OK;
  }
  const gd_tensor *in[2] = {a, b};
  return gd_ad_record(op, out, 2, in, NULL, NULL);
}

int gd_ad_binary_flat(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  gd_binary_flat(out, op, a, b);
  if (gd_cp_tracing) gd_cp_binary(out, op, a, b);
  return record2(binop_code[op], out, a, b);
}

int gd_ad_binary_into(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  int rc = gd_binary_into(out, op, a, b);
  if (!rc && gd_cp_tracing) gd_cp_binary(out, op, a, b);
  return rc ? rc : record2(binop_code[op], out, a, b);
}

int gd_ad_binary(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  int rc = gd_cp_kbinary(out, op, a, b);
  return rc ? rc : record2(binop_code[op], out, a, b);
}

int gd_ad_unary_into(gd_tensor *out, gd_unop op, const gd_tensor *x) {
  int rc = gd_unary_into(out, op, x);
  if (rc) return rc;
  if (gd_cp_tracing) gd_cp_unary(out, op, x);
  const gd_tensor *in[1] = {x};
  return gd_ad_record((gd_opcode)(GD_OP_NEG + (int)op), out, 1, in, NULL, NULL);
}

int gd_ad_unary(gd_tensor *out, gd_unop op, const gd_tensor *x) {
  int rc = gd_tensor_alloc(out, x->ndim, x->shape);
  return rc ? rc : gd_ad_unary_into(out, op, x);
}

int gd_ad_where(gd_tensor *out, const gd_tensor *c, const gd_tensor *a, const gd_tensor *b) {
  int rc = gd_where(out, c, a, b);
  if (rc) return rc;
  if (gd_cp_tracing) gd_cp_where(out, c, a, b);
  const gd_tensor *in[3] = {c, a, b};
  return gd_ad_record(GD_OP_WHERE, out, 3, in, NULL, NULL);
}

int gd_ad_clip(gd_tensor *out, const gd_tensor *x, const gd_tensor *lo, const gd_tensor *hi) {
  gd_tensor c, m;
  gd_tensor_init(&c);
  gd_tensor_init(&m);
  int rc = GD_OK;
  if (!lo && !hi) return gd_ad_unary(out, GD_UN_COPY, x);
  /* no tape or trace to record the selects (their gradients): one pass */
  if (!gd_ad_active() && !gd_cp_tracing && (!lo || (lo->numel == 1 && lo->ndim <= x->ndim)) &&
      (!hi || (hi->numel == 1 && hi->ndim <= x->ndim)))
    return gd_clip_scalar(out, x, lo ? gd_data(lo)[0] : -INFINITY, hi ? gd_data(hi)[0] : INFINITY);
  if (lo) {                               /* m = x < lo ? lo : x */
    rc = gd_ad_binary(&c, GD_BIN_LT, x, lo);     /* a comparison: recorded by no tape */
    if (!rc) rc = gd_ad_where(hi ? &m : out, &c, lo, x);
    gd_tensor_release(&c);
  }
  if (!rc && hi) {                        /* out = m > hi ? hi : m */
    const gd_tensor *v = lo ? &m : x;
    rc = gd_ad_binary(&c, GD_BIN_GT, v, hi);
    if (!rc) rc = gd_ad_where(out, &c, hi, v);
    gd_tensor_release(&c);
  }
  gd_tensor_release(&m);
  return rc;
}

static int record_reduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                         int dim, int keepdim, double ddof) {
  if (idx) {
    idx->id = 0;
    idx->flags = 0;
  }
  if (op == GD_RED_ARGMAX || op == GD_RED_ARGMIN) {
    out->id = 0;
    out->flags = 0;
    return GD_OK;
  }
  const gd_tensor *in[1] = {x};
  int64_t ip[4] = {dim, keepdim, 0, 0};
  double dp[2] = {ddof, 0};
  return gd_ad_record((gd_opcode)(GD_OP_SUM + (int)op), out, 1, in, ip, dp);
}

int gd_ad_reduce_into(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                      int dim, int keepdim, double ddof) {
  int rc = gd_reduce_into(out, idx, op, x, dim, keepdim, ddof);
  if (!rc && gd_cp_tracing) gd_cp_reduce(out, idx, op, x, dim, keepdim, ddof);
  return rc ? rc : record_reduce(out, idx, op, x, dim, keepdim, ddof);
}

int gd_ad_reduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                 int dim, int keepdim, double ddof) {
  int rc = gd_cp_kreduce(out, idx, op, x, dim, keepdim, ddof);
  return rc ? rc : record_reduce(out, idx, op, x, dim, keepdim, ddof);
}

int gd_ad_sum_to(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape) {
  int64_t bshape[GD_MAXDIM];
  int bnd;
  int rc = gd_broadcast_shape(nd, shape, x->ndim, x->shape, &bnd, bshape);
  if (rc || !gd_shape_eq(bnd, bshape, x->ndim, x->shape)) {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "cannot sum shape %s down to %s",
                     gd_shape_str(a, sizeof a, x->ndim, x->shape),
                     gd_shape_str(b, sizeof b, nd, shape));
  }
  /* sum (pairwise, keepdim) over every dim that broadcasting added or stretched */
  gd_tensor cur;
  gd_tensor_init(&cur);
  gd_tensor_share(&cur, x);
  int lead = x->ndim - nd;
  size_t tn = 1;
  for (int i = 0; i < nd; i++) tn *= (size_t)shape[i];
  if (tn == 1) {
    rc = gd_cp_kreduce(out, NULL, GD_RED_SUM, x, -1, 0, 0);
  } else {
    for (int i = 0; i < x->ndim && !rc; i++) {
      int stretched = i < lead || (shape[i - lead] == 1 && x->shape[i] != 1);
      if (!stretched) continue;
      gd_tensor next;
      gd_tensor_init(&next);
      rc = gd_cp_kreduce(&next, NULL, GD_RED_SUM, &cur, i, 1, 0);
      gd_tensor_release(&cur);
      cur = next;
    }
    if (!rc) rc = gd_reshape(out, &cur, nd, shape);
  }
  gd_tensor_release(&cur);
  if (rc) return rc;
  if (!gd_is_contig(out) || out->st == x->st) {   /* never alias the input */
    gd_tensor c;
    gd_tensor_init(&c);
    if ((rc = gd_cp_kcontiguous(&c, out))) return rc;
    gd_tensor_release(out);
    *out = c;
  }
  if (out->ndim != nd) {                         /* tn == 1: a 0-d sum, reshape it */
    gd_tensor r;
    gd_tensor_init(&r);
    if ((rc = gd_reshape(&r, out, nd, shape))) return rc;
    gd_tensor_release(out);
    *out = r;
  }
  const gd_tensor *in[1] = {x};
  return gd_ad_record(GD_OP_SUM_TO, out, 1, in, NULL, NULL);
}

int gd_ad_unbroadcast(gd_tensor *out, const gd_tensor *g, const gd_tensor *x) {
  if (gd_shape_eq(g->ndim, g->shape, x->ndim, x->shape)) {
    gd_tensor_share(out, g);
    return GD_OK;
  }
  return gd_ad_sum_to(out, g, x->ndim, x->shape);
}

int gd_ad_reshape(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape) {
  int rc = gd_reshape(out, x, nd, shape);
  if (rc) return rc;
  const gd_tensor *in[1] = {x};
  return gd_ad_record(GD_OP_RESHAPE, out, 1, in, NULL, NULL);
}

int gd_ad_permute(gd_tensor *out, const gd_tensor *x, const int *perm) {
  int rc = gd_permute(out, x, perm);
  if (rc) return rc;
  int64_t packed = 0;                    /* 8 dims, 4 bits each */
  for (int i = 0; i < x->ndim; i++) packed |= (int64_t)perm[i] << (4 * i);
  int64_t ip[4] = {packed, 0, 0, 0};
  const gd_tensor *in[1] = {x};
  return gd_ad_record(GD_OP_PERMUTE, out, 1, in, ip, NULL);
}

int gd_ad_expand(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape) {
  int rc = gd_expand(out, x, nd, shape);
  if (rc) return rc;
  const gd_tensor *in[1] = {x};
  return gd_ad_record(GD_OP_EXPAND, out, 1, in, NULL, NULL);
}

int gd_ad_mT(gd_tensor *out, const gd_tensor *x) {
  int perm[GD_MAXDIM];
  for (int i = 0; i < x->ndim; i++) perm[i] = i;
  if (x->ndim >= 2) {
    perm[x->ndim - 1] = x->ndim - 2;
    perm[x->ndim - 2] = x->ndim - 1;
  }
  return gd_ad_permute(out, x, perm);
}

int gd_ad_full(gd_tensor *out, int nd, const int64_t *shape, double v) {
  int rc = gd_tensor_alloc(out, nd, shape);
  if (rc) return rc;
  gd_fill(out, v);
  if (gd_cp_tracing) gd_cp_const(out);
  out->id = 0;
  out->flags = 0;
  return GD_OK;
}
