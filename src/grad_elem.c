/* grad_elem.c: backward rules of the elementwise ops, reductions and basic
 * views.  Each rule is written with the recording ops of adops.h, so its
 * own computation is differentiable (higher-order gradients).
 * Notation: g = ∂L/∂out, x (a, b) the saved inputs, y the saved output.
 */
#include "grad.h"
#include "compile.h"

#include "adops_arrays.h"
#include "specfun.h"

#include <math.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

void gd_const_init(gd_const *c, double v) {
  c->v = v;
  memset(&c->st, 0, sizeof c->st);
  c->st.data = &c->v;
  c->st.cap = 1;
  c->st.refs = 1;
  c->st.borrowed = 1;
  gd_tensor_init(&c->t);
  c->t.st = &c->st;
  if (gd_cp_tracing) gd_cp_scalar(&c->st);   /* a number on the C stack: gd.compile snapshots it */
}

/* out = a op b, releasing nothing. */
static int bin(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  return gd_ad_binary(out, op, a, b);
}

/* out = a op v for a number v. */
static int binv(gd_tensor *out, gd_binop op, const gd_tensor *a, double v) {
  gd_const c;
  gd_const_init(&c, v);
  return gd_ad_binary(out, op, a, &c.t);
}

/* out = v op a for a number v. */
static int vbin(gd_tensor *out, gd_binop op, double v, const gd_tensor *a) {
  gd_const c;
  gd_const_init(&c, v);
  return gd_ad_binary(out, op, &c.t, a);
}

/* gin = unbroadcast(t, x); releases t. */
static int settle(gd_tensor *gin, gd_tensor *t, const gd_tensor *x) {
  int rc = gd_ad_unbroadcast(gin, t, x);
  gd_tensor_release(t);
  return rc;
}

/* A constant mask (not recorded): out = a op b computed without the tape. */
static int mask(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  int rc = gd_cp_kbinary(out, op, a, b);
  out->id = 0;
  out->flags = 0;
  return rc;
}

#define LOCALS(...) gd_tensor __VA_ARGS__
#define INIT(x) gd_tensor_init(&x)

/* ---- binary ------------------------------------------------------------- */

static int bw_add(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  int rc = GD_OK;
  if (need[0]) rc = gd_ad_unbroadcast(&gin[0], g, &n->in[0]);
  if (!rc && need[1]) rc = gd_ad_unbroadcast(&gin[1], g, &n->in[1]);
  return rc;
}

static int bw_sub(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  int rc = GD_OK;
  if (need[0]) rc = gd_ad_unbroadcast(&gin[0], g, &n->in[0]);
  if (!rc && need[1]) {                   /* −unbroadcast(g): sum first, negate the (smaller) sum */
    LOCALS(t); INIT(t);
    rc = gd_ad_unbroadcast(&t, g, &n->in[1]);
    if (!rc) rc = gd_ad_unary(&gin[1], GD_UN_NEG, &t);
    gd_tensor_release(&t);
  }
  return rc;
}

static int bw_mul(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  int rc = GD_OK;
  for (int i = 0; i < 2 && !rc; i++) {
    if (!need[i]) continue;
    LOCALS(t); INIT(t);
    rc = bin(&t, GD_BIN_MUL, g, &n->in[1 - i]);
    if (!rc) rc = settle(&gin[i], &t, &n->in[i]);
    else gd_tensor_release(&t);
  }
  return rc;
}

static int bw_div(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *a = &n->in[0], *b = &n->in[1];
  int rc = GD_OK;
  if (need[0]) {
    LOCALS(t); INIT(t);
    rc = bin(&t, GD_BIN_DIV, g, b);
    if (!rc) rc = settle(&gin[0], &t, a);
    else gd_tensor_release(&t);
  }
  if (!rc && need[1]) {                   /* −unbroadcast(g·a)/b/b: b is constant along the summed dims */
    LOCALS(t1, t2, t3); INIT(t1); INIT(t2); INIT(t3);
    rc = bin(&t1, GD_BIN_MUL, g, a);
    if (!rc) rc = gd_ad_unbroadcast(&t2, &t1, b);
    gd_tensor_release(&t1);
    if (!rc) rc = bin(&t1, GD_BIN_DIV, &t2, b);
    gd_tensor_release(&t2);
    if (!rc) rc = bin(&t3, GD_BIN_DIV, &t1, b);
    gd_tensor_release(&t1);
    if (!rc) rc = gd_ad_unary(&gin[1], GD_UN_NEG, &t3);
    gd_tensor_release(&t3);
  }
  return rc;
}

static int bw_pow(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *a = &n->in[0], *b = &n->in[1], *y = &n->out;
  int rc = GD_OK;
  if (need[0] && b->ndim == 0 && b->numel == 1 && gd_data(b)[0] != 0) {
    LOCALS(bm1, p, t); INIT(bm1); INIT(p); INIT(t);   /* a number exponent: no mask */
    double e = gd_data(b)[0];
    if (e == 2) rc = binv(&t, GD_BIN_MUL, a, 2);      /* a^1 is a: skip that pass */
    else rc = binv(&p, GD_BIN_POW, a, e - 1);
    if (!rc && e != 2) rc = binv(&t, GD_BIN_MUL, &p, e);
    if (!rc) rc = bin(&bm1, GD_BIN_MUL, g, &t);
    gd_tensor_release(&p);
    gd_tensor_release(&t);
    if (!rc) rc = settle(&gin[0], &bm1, a);
    else gd_tensor_release(&bm1);
  } else if (need[0]) {                   /* g·b·a^(b−1), 0 where b = 0 */
    LOCALS(bm1, p, t, u, z, m); INIT(bm1); INIT(p); INIT(t); INIT(u); INIT(z); INIT(m);
    rc = binv(&bm1, GD_BIN_SUB, b, 1.0);
    if (!rc) rc = bin(&p, GD_BIN_POW, a, &bm1);
    if (!rc) rc = bin(&t, GD_BIN_MUL, &p, b);
    if (!rc) rc = bin(&u, GD_BIN_MUL, g, &t);
    gd_const zero;
    gd_const_init(&zero, 0.0);
    if (!rc) rc = mask(&m, GD_BIN_EQ, b, &zero.t);
    if (!rc) rc = gd_ad_where(&z, &m, &zero.t, &u);
    gd_tensor_release(&bm1); gd_tensor_release(&p); gd_tensor_release(&t);
    gd_tensor_release(&u); gd_tensor_release(&m);
    if (!rc) rc = settle(&gin[0], &z, a);
    else gd_tensor_release(&z);
  }
  if (!rc && need[1]) {                   /* g·y·log a, 0 where a = 0 and b ≥ 0 */
    LOCALS(la, t, u, z, m1, m2, m); INIT(la); INIT(t); INIT(u); INIT(z); INIT(m1); INIT(m2); INIT(m);
    gd_const zero;
    gd_const_init(&zero, 0.0);
    rc = gd_ad_unary(&la, GD_UN_LOG, a);
    if (!rc) rc = bin(&t, GD_BIN_MUL, y, &la);
    if (!rc) rc = bin(&u, GD_BIN_MUL, g, &t);
    if (!rc) rc = mask(&m1, GD_BIN_EQ, a, &zero.t);
    if (!rc) rc = mask(&m2, GD_BIN_GE, b, &zero.t);
    if (!rc) rc = mask(&m, GD_BIN_MUL, &m1, &m2);
    if (!rc) rc = gd_ad_where(&z, &m, &zero.t, &u);
    gd_tensor_release(&la); gd_tensor_release(&t); gd_tensor_release(&u);
    gd_tensor_release(&m1); gd_tensor_release(&m2); gd_tensor_release(&m);
    if (!rc) rc = settle(&gin[1], &z, b);
    else gd_tensor_release(&z);
  }
  return rc;
}

static int bw_mod(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *a = &n->in[0], *b = &n->in[1];
  int rc = GD_OK;
  if (need[0]) rc = gd_ad_unbroadcast(&gin[0], g, a);
  if (!rc && need[1]) {                   /* a % b = a − floor(a/b)·b */
    LOCALS(q, f, t, u); INIT(q); INIT(f); INIT(t); INIT(u);
    rc = mask(&q, GD_BIN_DIV, a, b);
    if (!rc) rc = gd_cp_kunary(&f, GD_UN_FLOOR, &q);
    if (!rc) rc = bin(&t, GD_BIN_MUL, g, &f);
    if (!rc) rc = gd_ad_unary(&u, GD_UN_NEG, &t);
    gd_tensor_release(&q); gd_tensor_release(&f); gd_tensor_release(&t);
    if (!rc) rc = settle(&gin[1], &u, b);
    else gd_tensor_release(&u);
  }
  return rc;
}

/* maximum/minimum: the gradient goes to the larger (smaller) input; ties split evenly. */
static int bw_minmax(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin,
                     gd_binop wins) {
  int rc = GD_OK;
  for (int i = 0; i < 2 && !rc; i++) {
    if (!need[i]) continue;
    const gd_tensor *me = &n->in[i], *other = &n->in[1 - i];
    LOCALS(w, e, h, m, t); INIT(w); INIT(e); INIT(h); INIT(m); INIT(t);
    rc = mask(&w, wins, me, other);
    if (!rc) rc = mask(&e, GD_BIN_EQ, me, other);
    gd_const half;
    gd_const_init(&half, 0.5);
    if (!rc) rc = mask(&h, GD_BIN_MUL, &e, &half.t);
    if (!rc) rc = mask(&m, GD_BIN_ADD, &w, &h);
    if (!rc) rc = bin(&t, GD_BIN_MUL, g, &m);
    gd_tensor_release(&w); gd_tensor_release(&e); gd_tensor_release(&h); gd_tensor_release(&m);
    if (!rc) rc = settle(&gin[i], &t, me);
    else gd_tensor_release(&t);
  }
  return rc;
}

static int bw_maximum(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  return bw_minmax(n, g, need, gin, GD_BIN_GT);
}

static int bw_minimum(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  return bw_minmax(n, g, need, gin, GD_BIN_LT);
}

static int bw_where(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *c = &n->in[0];
  gd_const zero;
  gd_const_init(&zero, 0.0);
  int rc = GD_OK;
  for (int i = 1; i < 3 && !rc; i++) {
    if (!need[i]) continue;
    LOCALS(t); INIT(t);
    rc = i == 1 ? gd_ad_where(&t, c, g, &zero.t) : gd_ad_where(&t, c, &zero.t, g);
    if (!rc) rc = settle(&gin[i], &t, &n->in[i]);
    else gd_tensor_release(&t);
  }
  return rc;
}

/* ---- unary: gin = g · f'(x) ----------------------------------------------- */

/* out = f'(x) (or with y) as a recorded expression. */
static int deriv(gd_opcode op, const gd_tensor *x, const gd_tensor *y, gd_tensor *d) {
  LOCALS(t, u); INIT(t); INIT(u);
  int rc;
  gd_const zero;
  gd_const_init(&zero, 0.0);
  switch (op) {
    case GD_OP_EXP: gd_tensor_share(d, y); return GD_OK;
    case GD_OP_LOG: return vbin(d, GD_BIN_DIV, 1.0, x);
    case GD_OP_LOG10: return vbin(d, GD_BIN_DIV, 1.0 / log(10.0), x);   /* 1/(x ln 10) */
    case GD_OP_LOG2: return vbin(d, GD_BIN_DIV, 1.0 / log(2.0), x);
    case GD_OP_LOG1P:
      rc = binv(&t, GD_BIN_ADD, x, 1.0);
      if (!rc) rc = vbin(d, GD_BIN_DIV, 1.0, &t);
      break;
    case GD_OP_EXPM1: return binv(d, GD_BIN_ADD, y, 1.0);
    case GD_OP_SQRT:
      rc = binv(&t, GD_BIN_MUL, y, 2.0);
      if (!rc) rc = vbin(d, GD_BIN_DIV, 1.0, &t);
      break;
    case GD_OP_ABS:                       /* sign(x), a constant */
      rc = gd_cp_kunary(d, GD_UN_SIGN, x);
      d->id = 0;
      break;
    case GD_OP_SIN: return gd_ad_unary(d, GD_UN_COS, x);
    case GD_OP_COS:
      rc = gd_ad_unary(&t, GD_UN_SIN, x);
      if (!rc) rc = gd_ad_unary(d, GD_UN_NEG, &t);
      break;
    case GD_OP_TAN:                       /* 1 + y² */
      rc = bin(&t, GD_BIN_MUL, y, y);
      if (!rc) rc = binv(d, GD_BIN_ADD, &t, 1.0);
      break;
    case GD_OP_TANH:                      /* 1 − y² */
      rc = bin(&t, GD_BIN_MUL, y, y);
      if (!rc) rc = vbin(d, GD_BIN_SUB, 1.0, &t);
      break;
    case GD_OP_SIGMOID:                   /* y (1 − y) */
      rc = vbin(&t, GD_BIN_SUB, 1.0, y);
      if (!rc) rc = bin(d, GD_BIN_MUL, y, &t);
      break;
    case GD_OP_RELU:
      rc = mask(d, GD_BIN_GT, x, &zero.t);
      break;
    case GD_OP_SOFTPLUS: return gd_ad_unary(d, GD_UN_SIGMOID, x);
    case GD_OP_SQUARE: return binv(d, GD_BIN_MUL, x, 2.0);
    case GD_OP_SIGN: case GD_OP_FLOOR: case GD_OP_CEIL: case GD_OP_ROUND:
      return gd_ad_full(d, x->ndim, x->shape, 0.0);
    default: return gd_seterr(GD_EARG, "no derivative rule");
  }
  gd_tensor_release(&t);
  gd_tensor_release(&u);
  return rc;
}

static int bw_unary(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  if (n->op == GD_OP_COPY) {
    gd_tensor_share(&gin[0], g);
    return GD_OK;
  }
  if (n->op == GD_OP_NEG) return gd_ad_unary(&gin[0], GD_UN_NEG, g);
  LOCALS(d); INIT(d);
  int rc = deriv(n->op, &n->in[0], &n->out, &d);
  if (!rc) rc = bin(&gin[0], GD_BIN_MUL, g, &d);
  gd_tensor_release(&d);
  return rc;
}

/* ---- reductions ------------------------------------------------------------ */

/* out = t (shaped like the reduction's result) broadcast back to x's shape. */
static int expand_back(gd_tensor *out, const gd_tensor *t, const gd_node *n) {
  const gd_tensor *x = &n->in[0];
  int dim = (int)n->ip[0], keepdim = (int)n->ip[1];
  int64_t kshape[GD_MAXDIM];
  for (int i = 0; i < x->ndim; i++) kshape[i] = (dim < 0 || i == dim) ? 1 : x->shape[i];
  LOCALS(r); INIT(r);
  int rc = GD_OK;
  if (keepdim) gd_tensor_share(&r, t);
  else rc = gd_ad_reshape(&r, t, x->ndim, kshape);
  if (!rc) rc = gd_ad_expand(out, &r, x->ndim, x->shape);
  gd_tensor_release(&r);
  return rc;
}

/* Number of elements reduced into each output element. */
static double reduced_count(const gd_node *n) {
  const gd_tensor *x = &n->in[0];
  int dim = (int)n->ip[0];
  return dim < 0 ? (double)x->numel : (double)x->shape[dim];
}

/* var: ge·2(x − m)/(N − ddof); std: ge·(x − m)/((N − ddof)·y), 0 where y = 0
 * (torch's convention for a constant slice).  With N − ddof ≤ 0 the value is
 * inf or NaN (numpy) and so is the gradient, as torch: var's is ge·inf (NaN
 * where x = m), std's NaN. */
static int var_std_grad(gd_tensor *out, const gd_tensor *ge, const gd_node *n) {
  const gd_tensor *x = &n->in[0], *y = &n->out;
  int dim = (int)n->ip[0];
  double den = reduced_count(n) - n->dp[0];
  gd_const zero;
  gd_const_init(&zero, 0.0);
  LOCALS(m, d, v, w, c); INIT(m); INIT(d); INIT(v); INIT(w); INIT(c);
  int rc = gd_ad_reduce(&m, NULL, GD_RED_MEAN, x, dim, 1, 0);
  if (!rc) rc = bin(&d, GD_BIN_SUB, x, &m);                  /* x − m (broadcast) */
  if (!rc && den <= 0) {
    gd_const inf, nan;
    gd_const_init(&inf, n->op == GD_OP_VAR ? INFINITY : NAN);
    gd_const_init(&nan, NAN);
    rc = mask(&c, GD_BIN_EQ, &d, &zero.t);
    if (!rc) rc = gd_ad_where(&v, &c, &nan.t, &inf.t);
  } else if (!rc && n->op == GD_OP_VAR) {
    rc = binv(&v, GD_BIN_MUL, &d, 2.0 / den);
  } else if (!rc) {
    rc = expand_back(&w, y, n);
    if (!rc) rc = binv(&c, GD_BIN_MUL, &w, den);
    gd_tensor_release(&w);
    if (!rc) rc = bin(&w, GD_BIN_DIV, &d, &c);                /* NaN where y = 0 ... */
    gd_tensor_release(&c);
    if (!rc) rc = mask(&c, GD_BIN_EQ, y, &zero.t);
    gd_tensor_release(&m);
    if (!rc) rc = expand_back(&m, &c, n);
    if (!rc) rc = gd_ad_where(&v, &m, &zero.t, &w);          /* ... made 0 */
  }
  if (!rc) rc = bin(out, GD_BIN_MUL, ge, &v);
  gd_tensor_release(&m); gd_tensor_release(&d); gd_tensor_release(&v);
  gd_tensor_release(&w); gd_tensor_release(&c);
  return rc;
}

/* prod at an x with zeros: the product of a slice is the last element of
 * its cumprod, so the gradient is cumprod's for g placed at the last
 * position (embed(select(g))), whose rule keeps the derivatives in the zero
 * factors that second-order gradients need (∂²y/∂x_i∂x_z = Π_{j≠i,z} x_j
 * when x_z = 0).  A full reduction works on x flattened. */
static int prod_grad_zeros(gd_tensor *out, const gd_tensor *ge, const gd_node *n) {
  const gd_tensor *x = &n->in[0];
  int dim = (int)n->ip[0];
  LOCALS(xf, gf, gs, gl, y, r); INIT(xf); INIT(gf); INIT(gs); INIT(gl); INIT(y); INIT(r);
  int rc = GD_OK;
  if (dim < 0) {
    int64_t len = (int64_t)x->numel;
    rc = gd_ad_reshape(&xf, x, 1, &len);
    if (!rc) rc = gd_ad_reshape(&gf, ge, 1, &len);
    dim = 0;
  } else {
    gd_tensor_share(&xf, x);
    gd_tensor_share(&gf, ge);
  }
  int64_t last = xf.shape[dim] - 1;
  if (!rc) rc = gd_ad_select(&gs, &gf, dim, last);
  if (!rc) rc = gd_ad_embed(&gl, &gs, xf.ndim, xf.shape, dim, last, -1, 1);
  if (!rc) rc = gd_ad_cumprod(&y, &xf, dim);
  if (!rc) rc = gd_grad_cumprod(&xf, &y, &gl, dim, &r);
  if (!rc) {
    if (n->ip[0] < 0) rc = gd_ad_reshape(out, &r, x->ndim, x->shape);
    else gd_tensor_share(out, &r);
  }
  gd_tensor_release(&xf); gd_tensor_release(&gf); gd_tensor_release(&gs);
  gd_tensor_release(&gl); gd_tensor_release(&y); gd_tensor_release(&r);
  return rc;
}

/* prod: ∂y/∂x_i = Π_{j≠i} x_j: y/x_i where x has no zero (y recomputed by
 * a recording op, so the rule differentiates again), else prod_grad_zeros. */
static int prod_grad(gd_tensor *out, const gd_tensor *ge, const gd_node *n) {
  const gd_tensor *x = &n->in[0];
  gd_const zero;
  gd_const_init(&zero, 0.0);
  LOCALS(z, p, pe, q); INIT(z); INIT(p); INIT(pe); INIT(q);
  int rc = mask(&z, GD_BIN_EQ, x, &zero.t);
  int any = 0;
  if (!rc && gd_cp_tracing) gd_cp_read(x, "the gradient of prod (its rule tests x for zeros)");
  if (!rc) {
    const double *d = gd_data(&z);     /* a fresh contiguous mask */
    for (size_t i = 0; i < z.numel && !any; i++) any = d[i] != 0;
  }
  gd_tensor_release(&z);
  if (!rc && any) return prod_grad_zeros(out, ge, n);
  if (!rc) rc = gd_ad_reduce(&p, NULL, GD_RED_PROD, x, (int)n->ip[0], (int)n->ip[1], 0);
  if (!rc) rc = expand_back(&pe, &p, n);
  if (!rc) rc = bin(&q, GD_BIN_DIV, &pe, x);
  if (!rc) rc = bin(out, GD_BIN_MUL, ge, &q);
  gd_tensor_release(&p); gd_tensor_release(&pe); gd_tensor_release(&q);
  return rc;
}

static int bw_reduce(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *x = &n->in[0], *y = &n->out;
  int dim = (int)n->ip[0];
  double cnt = reduced_count(n);
  LOCALS(ge, t, u, v, w); INIT(ge); INIT(t); INIT(u); INIT(v); INIT(w);
  int rc = expand_back(&ge, g, n);
  switch (n->op) {
    case GD_OP_SUM:
      if (!rc) gd_tensor_share(&gin[0], &ge);
      break;
    case GD_OP_MEAN:
      if (!rc) rc = binv(&gin[0], GD_BIN_DIV, &ge, cnt);
      break;
    case GD_OP_VAR: case GD_OP_STD:
      if (!rc) rc = var_std_grad(&gin[0], &ge, n);
      break;
    case GD_OP_MAX: case GD_OP_MIN: {    /* ties share the gradient evenly */
      if (!rc) rc = expand_back(&t, y, n);
      if (!rc) rc = mask(&u, GD_BIN_EQ, x, &t);
      if (!rc) rc = gd_cp_kreduce(&v, NULL, GD_RED_SUM, &u, dim, 1, 0);
      if (!rc) rc = mask(&w, GD_BIN_DIV, &u, &v);
      if (!rc) rc = bin(&gin[0], GD_BIN_MUL, &ge, &w);
      break;
    }
    case GD_OP_PROD:
      if (!rc) rc = prod_grad(&gin[0], &ge, n);
      break;
    case GD_OP_LOGSUMEXP:                /* g·exp(x − y) */
      if (!rc) rc = expand_back(&t, y, n);
      if (!rc) rc = bin(&u, GD_BIN_SUB, x, &t);
      if (!rc) rc = gd_ad_unary(&v, GD_UN_EXP, &u);
      if (!rc) rc = bin(&gin[0], GD_BIN_MUL, &ge, &v);
      break;
    case GD_OP_NORM: {                   /* g·x/y, 0 where y = 0 */
      gd_const zero;
      gd_const_init(&zero, 0.0);
      if (!rc) rc = expand_back(&t, y, n);
      if (!rc) rc = bin(&u, GD_BIN_DIV, x, &t);
      if (!rc) rc = mask(&w, GD_BIN_EQ, &t, &zero.t);
      if (!rc) rc = gd_ad_where(&v, &w, &zero.t, &u);
      if (!rc) rc = bin(&gin[0], GD_BIN_MUL, &ge, &v);
      break;
    }
    default:
      rc = gd_seterr(GD_EARG, "no reduction rule");
  }
  gd_tensor_release(&ge); gd_tensor_release(&t); gd_tensor_release(&u);
  gd_tensor_release(&v); gd_tensor_release(&w);
  return rc;
}

/* ---- views ------------------------------------------------------------------- */

static int bw_sum_to(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return gd_ad_expand(&gin[0], g, n->in[0].ndim, n->in[0].shape);
}

static int bw_reshape(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return gd_ad_reshape(&gin[0], g, n->in[0].ndim, n->in[0].shape);
}

static int bw_permute(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  int inv[GD_MAXDIM];
  for (int i = 0; i < n->in[0].ndim; i++) inv[(n->ip[0] >> (4 * i)) & 15] = i;
  return gd_ad_permute(&gin[0], g, inv);
}

static int bw_expand(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return gd_ad_sum_to(&gin[0], g, n->in[0].ndim, n->in[0].shape);
}

/* ---- special functions: erf, erfc, lgamma, digamma, trigamma -------------- */

/* out = c · exp(−x²), recorded (d erf = 2/√π e^{−x²}, d erfc = −2/√π e^{−x²}). */
static int gauss_deriv(gd_tensor *out, const gd_tensor *x, double c) {
  LOCALS(t, u); INIT(t); INIT(u);
  int rc = gd_ad_unary(&t, GD_UN_SQUARE, x);
  if (!rc) rc = binv(&u, GD_BIN_MUL, &t, -1.0);
  gd_tensor_release(&t);
  if (!rc) rc = gd_ad_unary(&t, GD_UN_EXP, &u);
  if (!rc) rc = binv(out, GD_BIN_MUL, &t, c);
  gd_tensor_release(&t);
  gd_tensor_release(&u);
  return rc;
}

/* out = ψ₂(x) as a constant: trigamma's derivative is the last polygamma
 * the tape knows, so derivatives of lgamma past the third treat it as fixed. */
static int tetragamma_const(gd_tensor *out, const gd_tensor *x) {
  int rc = gd_unary(out, GD_UN_COPY, x);   /* no compiled form: a trace fails at its use */
  if (rc) return rc;
  double *p = gd_data(out);
  for (size_t i = 0; i < out->numel; i++) p[i] = gd_tetragamma(p[i]);
  out->id = 0;
  out->flags = 0;
  return GD_OK;
}

static int bw_special(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const double two_over_sqrtpi = 1.12837916709551257390;
  const gd_tensor *x = &n->in[0];
  LOCALS(d); INIT(d);
  int rc;
  switch (n->op) {
    case GD_OP_ERF: rc = gauss_deriv(&d, x, two_over_sqrtpi); break;
    case GD_OP_ERFC: rc = gauss_deriv(&d, x, -two_over_sqrtpi); break;
    case GD_OP_LGAMMA: rc = gd_ad_unary(&d, GD_UN_DIGAMMA, x); break;
    case GD_OP_DIGAMMA: rc = gd_ad_unary(&d, GD_UN_TRIGAMMA, x); break;
    case GD_OP_TRIGAMMA: rc = tetragamma_const(&d, x); break;
    default: return gd_seterr(GD_EARG, "no derivative rule");
  }
  if (!rc) rc = bin(&gin[0], GD_BIN_MUL, g, &d);
  gd_tensor_release(&d);
  return rc;
}

const gd_backward_fn gd_bw_elem[GD_OP_COUNT + 1] = {
  [GD_OP_ADD] = bw_add, [GD_OP_SUB] = bw_sub, [GD_OP_MUL] = bw_mul, [GD_OP_DIV] = bw_div,
  [GD_OP_POW] = bw_pow, [GD_OP_MOD] = bw_mod, [GD_OP_MAXIMUM] = bw_maximum,
  [GD_OP_MINIMUM] = bw_minimum, [GD_OP_WHERE] = bw_where,
  [GD_OP_NEG] = bw_unary, [GD_OP_EXP] = bw_unary, [GD_OP_LOG] = bw_unary,
  [GD_OP_LOG10] = bw_unary, [GD_OP_LOG2] = bw_unary,
  [GD_OP_LOG1P] = bw_unary, [GD_OP_EXPM1] = bw_unary, [GD_OP_SQRT] = bw_unary,
  [GD_OP_ABS] = bw_unary, [GD_OP_SIN] = bw_unary, [GD_OP_COS] = bw_unary,
  [GD_OP_TAN] = bw_unary, [GD_OP_TANH] = bw_unary, [GD_OP_SIGMOID] = bw_unary,
  [GD_OP_RELU] = bw_unary, [GD_OP_SOFTPLUS] = bw_unary, [GD_OP_SIGN] = bw_unary,
  [GD_OP_FLOOR] = bw_unary, [GD_OP_CEIL] = bw_unary, [GD_OP_ROUND] = bw_unary,
  [GD_OP_SQUARE] = bw_unary, [GD_OP_COPY] = bw_unary,
  [GD_OP_ERF] = bw_special, [GD_OP_ERFC] = bw_special, [GD_OP_LGAMMA] = bw_special,
  [GD_OP_DIGAMMA] = bw_special, [GD_OP_TRIGAMMA] = bw_special,
  [GD_OP_SUM] = bw_reduce, [GD_OP_MEAN] = bw_reduce, [GD_OP_VAR] = bw_reduce,
  [GD_OP_STD] = bw_reduce, [GD_OP_MAX] = bw_reduce, [GD_OP_MIN] = bw_reduce,
  [GD_OP_PROD] = bw_reduce, [GD_OP_LOGSUMEXP] = bw_reduce, [GD_OP_NORM] = bw_reduce,
  [GD_OP_SUM_TO] = bw_sum_to, [GD_OP_RESHAPE] = bw_reshape, [GD_OP_PERMUTE] = bw_permute,
  [GD_OP_EXPAND] = bw_expand,
  [GD_OP_COUNT] = NULL,
};
