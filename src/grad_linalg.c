/* grad_linalg.c: backward rules of the linear algebra ops.  Each rule is
 * written with the recording ops of adops.h (matmul, mT, solve, inv, pinv,
 * elementwise ops, reshape, sum_to), so an outer tape records it and
 * higher-order gradients work.
 * Notation: g = ∂L/∂out; A, B the saved inputs; X (Y, L, P) the saved output.
 * Matrices are the last two dims; leading dims are a batch, and where the
 * forward op broadcast them, the gradient is summed back (sum_to).
 */
#include "grad.h"

#include "blas.h"
#include "compile.h"
#include "linalg.h"

#include <float.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

#define NT 10                           /* temporaries per rule */

static void tinit(gd_tensor *t) {
  for (int i = 0; i < NT; i++) gd_tensor_init(&t[i]);
}

static void trel(gd_tensor *t) {
  for (int i = 0; i < NT; i++) gd_tensor_release(&t[i]);
}

static int mm(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  return gd_ad_matmul(out, a, b);
}

static int bin(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  return gd_ad_binary(out, op, a, b);
}

static int reshape(gd_tensor *out, const gd_tensor *x, int nd, const int64_t *shape) {
  return gd_ad_reshape(out, x, nd, shape);
}

/* out = t summed down to (nd, shape) when the shapes differ, else t itself. */
static int reduce_to(gd_tensor *out, const gd_tensor *t, int nd, const int64_t *shape) {
  if (gd_shape_eq(t->ndim, t->shape, nd, shape)) {
    gd_tensor_share(out, t);
    return GD_OK;
  }
  return gd_ad_sum_to(out, t, nd, shape);
}

/* out = x with a size-1 dim appended (a column of the vector's batch). */
static int as_column(gd_tensor *out, const gd_tensor *x) {
  int64_t s[GD_MAXDIM];
  if (x->ndim >= GD_MAXDIM) return gd_seterr(GD_EARG, "too many dims");
  memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim);
  s[x->ndim] = 1;
  return reshape(out, x, x->ndim + 1, s);
}

/* out = x (shape batch) reshaped to batch + (1, 1), to scale matrices. */
static int as_scale(gd_tensor *out, const gd_tensor *x) {
  int64_t s[GD_MAXDIM];
  if (x->ndim + 2 > GD_MAXDIM) return gd_seterr(GD_EARG, "too many dims");
  memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim);
  s[x->ndim] = 1;
  s[x->ndim + 1] = 1;
  return reshape(out, x, x->ndim + 2, s);
}

/* ---- products -------------------------------------------------------------- */

/* out = a @ b as np.matmul.  A 1-D a is a row (1, k), a 1-D b a column
 * (k, 1); then dA = G·Bᵀ, dB = Aᵀ·G, summed over broadcast batch dims and
 * reshaped back. */
/* dA = G·Bᵀ, dB = Aᵀ·G for 2-d A, B, G by gd_mm on transposed strides: the
 * same products as the recorded path, for when no tape records them. */
/* x's transpose as a header (no reference taken: for a trace's geometry only). */
static gd_tensor transposed(const gd_tensor *x) {
  gd_tensor t = *x;
  t.shape[0] = x->shape[1], t.shape[1] = x->shape[0];
  t.stride[0] = x->stride[1], t.stride[1] = x->stride[0];
  return t;
}

static int mm_grads_2d(const gd_tensor *g, const gd_tensor *a, const gd_tensor *b, const int *need,
                       gd_tensor *gin) {
  int64_t m = a->shape[0], k = a->shape[1], nn = b->shape[1];
  int rc = GD_OK;
  if (need[0] && !(rc = gd_tensor_alloc(&gin[0], 2, a->shape))) {
    rc = gd_mm(m, k, nn, gd_data(g), g->stride[0], g->stride[1], gd_data(b), b->stride[1],
               b->stride[0], gd_data(&gin[0]), k);
    if (!rc && gd_cp_tracing) {          /* the same product, as gd.compile replays it */
      gd_tensor bt = transposed(b);
      gd_cp_matmul(&gin[0], g, &bt);
    }
  }
  if (!rc && need[1] && !(rc = gd_tensor_alloc(&gin[1], 2, b->shape))) {
    rc = gd_mm(k, nn, m, gd_data(a), a->stride[1], a->stride[0], gd_data(g), g->stride[0],
               g->stride[1], gd_data(&gin[1]), nn);
    if (!rc && gd_cp_tracing) {
      gd_tensor at = transposed(a);
      gd_cp_matmul(&gin[1], &at, g);
    }
  }
  return rc;
}

static int bw_matmul(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *a = &n->in[0], *b = &n->in[1];
  int na = a->ndim, nb = b->ndim;
  const gd_tensor *in3[3] = {g, a, b};
  if (na == 2 && nb == 2 && g->ndim == 2 && !gd_ad_tracking(3, in3))
    return mm_grads_2d(g, a, b, need, gin);
  int64_t k = a->shape[na - 1];
  int64_t m = na >= 2 ? a->shape[na - 2] : 1, nn = nb >= 2 ? b->shape[nb - 1] : 1;
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *a1 = &t[0], *b1 = &t[1], *g1 = &t[2], *tr = &t[3], *p = &t[4], *r = &t[5];
  int rc = GD_OK;
  int64_t s[GD_MAXDIM];
  if (na == 1) {
    s[0] = 1, s[1] = k;
    rc = reshape(a1, a, 2, s);
  } else {
    gd_tensor_share(a1, a);
  }
  if (!rc && nb == 1) {
    s[0] = k, s[1] = 1;
    rc = reshape(b1, b, 2, s);
  } else if (!rc) {
    gd_tensor_share(b1, b);
  }
  if (!rc && (na == 1 || nb == 1)) {     /* g as batch + (m, n) */
    int nbat = g->ndim - (na >= 2) - (nb >= 2);
    memcpy(s, g->shape, sizeof(int64_t) * (size_t)nbat);
    s[nbat] = m, s[nbat + 1] = nn;
    rc = reshape(g1, g, nbat + 2, s);
  } else if (!rc) {
    gd_tensor_share(g1, g);
  }
  if (!rc && need[0]) {                  /* dA = G·Bᵀ */
    rc = gd_ad_mT(tr, b1);
    if (!rc) rc = mm(p, g1, tr);
    if (!rc) rc = reduce_to(r, p, a1->ndim, a1->shape);
    if (!rc && na == 1) rc = reshape(&gin[0], r, 1, a->shape);
    else if (!rc) gd_tensor_share(&gin[0], r);
    gd_tensor_release(tr);
    gd_tensor_release(p);
    gd_tensor_release(r);
  }
  if (!rc && need[1]) {                  /* dB = Aᵀ·G */
    rc = gd_ad_mT(tr, a1);
    if (!rc) rc = mm(p, tr, g1);
    if (!rc) rc = reduce_to(r, p, b1->ndim, b1->shape);
    if (!rc && nb == 1) rc = reshape(&gin[1], r, 1, b->shape);
    else if (!rc) gd_tensor_share(&gin[1], r);
  }
  trel(t);
  return rc;
}

/* out (p, q) = a_i b_j over a and b flattened: da = G·b, db = Gᵀ·a. */
static int bw_outer(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  gd_tensor t[NT];
  tinit(t);
  int rc = GD_OK;
  for (int i = 0; i < 2 && !rc; i++) {
    if (!need[i]) continue;
    const gd_tensor *me = &n->in[i], *other = &n->in[1 - i];
    int64_t len = (int64_t)other->numel;
    rc = reshape(&t[0], other, 1, &len);
    if (!rc) {
      if (i == 0) gd_tensor_share(&t[1], g);
      else rc = gd_ad_mT(&t[1], g);
    }
    if (!rc) rc = mm(&t[2], &t[1], &t[0]);
    if (!rc) rc = reshape(&gin[i], &t[2], me->ndim, me->shape);
    trel(t);
  }
  return rc;
}

/* ---- inverses and solves ----------------------------------------------------- */

/* Y = A⁻¹: dA = −Yᵀ·G·Yᵀ. */
static int bw_inv(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  gd_tensor t[NT];
  tinit(t);
  int rc = gd_ad_mT(&t[0], &n->out);
  if (!rc) rc = mm(&t[1], &t[0], g);
  if (!rc) rc = mm(&t[2], &t[1], &t[0]);
  if (!rc) rc = gd_ad_unary(&gin[0], GD_UN_NEG, &t[2]);
  trel(t);
  return rc;
}

/* X = A⁻¹B: dB = solve(Aᵀ, G), dA = −dB·Xᵀ.  A 1-D b is a column. */
static int bw_solve(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *A = &n->in[0], *b = &n->in[1], *x = &n->out;
  int vec = b->ndim == 1;
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *g1 = &t[0], *x1 = &t[1], *at = &t[2], *db = &t[3], *xt = &t[4], *p = &t[5],
            *q = &t[6], *r = &t[7];
  int rc = GD_OK;
  if (vec) {
    rc = as_column(g1, g);
    if (!rc) rc = as_column(x1, x);
  } else {
    gd_tensor_share(g1, g);
    gd_tensor_share(x1, x);
  }
  if (!rc) rc = gd_ad_mT(at, A);
  if (!rc) rc = gd_ad_solve(db, at, g1);             /* batch + (n, k) */
  if (!rc && need[1]) {
    if (vec) {
      rc = reshape(r, db, g->ndim, g->shape);
      if (!rc) rc = reduce_to(&gin[1], r, b->ndim, b->shape);
    } else {
      rc = reduce_to(&gin[1], db, b->ndim, b->shape);
    }
  }
  if (!rc && need[0]) {
    rc = gd_ad_mT(xt, x1);
    if (!rc) rc = mm(p, db, xt);
    if (!rc) rc = gd_ad_unary(q, GD_UN_NEG, p);
    if (!rc) rc = reduce_to(&gin[0], q, A->ndim, A->shape);
  }
  trel(t);
  return rc;
}

/* ---- cholesky --------------------------------------------------------------- */

/* A = L·Lᵀ (Murray 2016; PyTorch's rule): S = sym(Φ(Lᵀ·G)) with Φ the
 * lower triangle, diagonal halved; dA = L⁻ᵀ·S·L⁻¹ (symmetric).  The upper
 * part of G does not matter: tril(Lᵀ·triu(G, 1)) = 0. */
static int bw_cholesky(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *L = &n->out;
  int64_t dim = L->shape[L->ndim - 1], ws[2] = {dim, dim};
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *w = &t[0], *lt = &t[1], *p = &t[2], *phi = &t[3], *pt = &t[4], *s = &t[5],
            *li = &t[6], *lit = &t[7], *u = &t[8];
  int rc = gd_ad_full(w, 2, ws, 0.0);    /* the constant weights of Φ */
  if (!rc) {
    double *d = gd_data(w);
    for (int64_t i = 0; i < dim; i++)
      for (int64_t j = 0; j <= i; j++) d[i * dim + j] = i == j ? 0.25 : 0.5;
  }
  if (!rc) rc = gd_ad_mT(lt, L);
  if (!rc) rc = mm(p, lt, g);
  if (!rc) rc = bin(phi, GD_BIN_MUL, p, w);           /* Φ/2 */
  if (!rc) rc = gd_ad_mT(pt, phi);
  if (!rc) rc = bin(s, GD_BIN_ADD, phi, pt);          /* (Φ + Φᵀ)/2 */
  if (!rc) rc = gd_ad_inv(li, L);
  if (!rc) rc = gd_ad_mT(lit, li);
  gd_tensor_release(p);
  if (!rc) rc = mm(p, lit, s);
  if (!rc) rc = mm(u, p, li);
  if (!rc) rc = reduce_to(&gin[0], u, n->in[0].ndim, n->in[0].shape);
  trel(t);
  return rc;
}

/* ---- pseudo-inverse and least squares ---------------------------------------- */

/* gA for P = A⁺ given gP (constant rank; Golub & Pereyra):
 * −Pᵀ·gP·Pᵀ + (I − A·P)·gPᵀ·P·Pᵀ + Pᵀ·P·gPᵀ·(I − P·A). */
static int pinv_grad(gd_tensor *out, const gd_tensor *A, const gd_tensor *P, const gd_tensor *gp) {
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *pt = &t[0], *gpt = &t[1], *x = &t[2], *y = &t[3], *term = &t[4], *acc = &t[5],
            *tt = &t[6], *z = &t[7], *v = &t[8];
  int rc = gd_ad_mT(pt, P);
  if (!rc) rc = gd_ad_mT(gpt, gp);
  /* −Pᵀ·gP·Pᵀ */
  if (!rc) rc = mm(x, pt, gp);
  if (!rc) rc = mm(y, x, pt);
  if (!rc) rc = gd_ad_unary(acc, GD_UN_NEG, y);
  gd_tensor_release(x);
  gd_tensor_release(y);
  /* T − A·(P·T) with T = gPᵀ·(P·Pᵀ) */
  if (!rc) rc = mm(x, P, pt);
  if (!rc) rc = mm(tt, gpt, x);
  gd_tensor_release(x);
  if (!rc) rc = mm(x, P, tt);
  if (!rc) rc = mm(y, A, x);
  if (!rc) rc = bin(term, GD_BIN_SUB, tt, y);
  if (!rc) rc = bin(z, GD_BIN_ADD, acc, term);
  gd_tensor_release(x);
  gd_tensor_release(y);
  gd_tensor_release(tt);
  gd_tensor_release(term);
  gd_tensor_release(acc);
  /* U − (U·P)·A with U = (Pᵀ·P)·gPᵀ */
  if (!rc) rc = mm(x, pt, P);
  if (!rc) rc = mm(tt, x, gpt);
  gd_tensor_release(x);
  if (!rc) rc = mm(x, tt, P);
  if (!rc) rc = mm(y, x, A);
  if (!rc) rc = bin(term, GD_BIN_SUB, tt, y);
  if (!rc) rc = bin(v, GD_BIN_ADD, z, term);
  if (!rc) rc = reduce_to(out, v, A->ndim, A->shape);
  trel(t);
  return rc;
}

static int bw_pinv(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  return pinv_grad(&gin[0], &n->in[0], &n->out, g);
}

/* x = A⁺·b: db = A⁺ᵀ·g; dA from gP = g·bᵀ through pinv's rule. */
static int bw_lstsq(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  const gd_tensor *A = &n->in[0], *b = &n->in[1];
  int64_t m = A->shape[0], nc = A->shape[1];
  double rcond = n->dp[0];
  if (rcond < 0) rcond = DBL_EPSILON * (double)(m > nc ? m : nc);
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *p = &t[0], *pt = &t[1], *g1 = &t[2], *b1 = &t[3], *gp = &t[4];
  int rc = gd_ad_pinv(p, A, rcond);
  if (!rc && need[1]) {
    rc = gd_ad_mT(pt, p);
    if (!rc) rc = mm(&gin[1], pt, g);
  }
  if (!rc && need[0]) {
    if (b->ndim == 1) {
      int64_t s[2] = {nc, 1};
      rc = reshape(g1, g, 2, s);
      s[0] = 1, s[1] = m;
      if (!rc) rc = reshape(b1, b, 2, s);
    } else {
      gd_tensor_share(g1, g);
      rc = gd_ad_mT(b1, b);
    }
    if (!rc) rc = mm(gp, g1, b1);                     /* (n, m) */
    if (!rc) rc = pinv_grad(&gin[0], A, p, gp);
  }
  trel(t);
  return rc;
}

/* ---- decompositions ------------------------------------------------------------
 * One node holds all results (n->out and n->co[]); g and n->cog[] are their
 * gradients, any of them absent (no st / NULL), and a term whose gradient is
 * absent is skipped (as torch, so that equal eigenvalues do not spoil a
 * gradient that reads only the values). */

/* out = (k, k) constant: 1 where lo ≤ j − i ≤ hi (row i, column j), else 0. */
static int band(gd_tensor *out, int64_t k, int64_t lo, int64_t hi) {
  int64_t s[2] = {k, k};
  int rc = gd_ad_full(out, 2, s, 0.0);
  double *d = rc ? NULL : gd_data(out);
  for (int64_t i = 0; d && i < k; i++)
    for (int64_t j = 0; j < k; j++) d[i * k + j] = (j - i >= lo && j - i <= hi) ? 1.0 : 0.0;
  return rc;
}

/* eye = I and off = 1 − I, (k, k) constants. */
static int eye_and_off(gd_tensor *eye, gd_tensor *off, int64_t k) {
  int rc = band(eye, k, 0, 0);
  if (!rc) rc = band(off, k, -k, k);
  for (int64_t i = 0; !rc && i < k; i++) gd_data(off)[i * k + i] = 0.0;
  return rc;
}

/* out = x (batch + (k)) as a row batch + (1, k) (col = 0) or a column (k, 1). */
static int as_rowcol(gd_tensor *out, const gd_tensor *x, int col) {
  int64_t s[GD_MAXDIM];
  if (x->ndim + 1 > GD_MAXDIM) return gd_seterr(GD_EARG, "too many dims");
  memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim);
  s[x->ndim] = s[x->ndim - 1];
  s[x->ndim - 1 + col] = 1;
  return reshape(out, x, x->ndim + 1, s);
}

/* acc += t (acc empty: acc = t); releases t. */
static int accumulate(gd_tensor *acc, gd_tensor *t) {
  int rc = GD_OK;
  if (!acc->st) {
    gd_tensor_share(acc, t);
  } else {
    gd_tensor sum;
    gd_tensor_init(&sum);
    rc = bin(&sum, GD_BIN_ADD, acc, t);
    gd_tensor_release(acc);
    *acc = sum;
  }
  gd_tensor_release(t);
  return rc;
}

/* out = 1/E off the diagonal, 0 on it, for E_ij = x_j − x_i (x: batch + (k)). */
static int gap_inverse(gd_tensor *out, const gd_tensor *x) {
  int64_t k = x->shape[x->ndim - 1];
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *r = &t[0], *c = &t[1], *e = &t[2], *eye = &t[3], *off = &t[4], *e1 = &t[5];
  int rc = as_rowcol(r, x, 0);
  if (!rc) rc = as_rowcol(c, x, 1);
  if (!rc) rc = bin(e, GD_BIN_SUB, r, c);
  if (!rc) rc = eye_and_off(eye, off, k);
  if (!rc) rc = bin(e1, GD_BIN_ADD, e, eye);            /* diagonal 1: no 0/0 */
  if (!rc) rc = bin(out, GD_BIN_DIV, off, e1);
  trel(t);
  return rc;
}

/* A = V·diag(w)·Vᵀ (symmetric): dA = V·(diag(gw) + F∘(Vᵀ·gV))·Vᵀ with
 * F_ij = 1/(w_j − w_i) off the diagonal (distinct eigenvalues). */
static int bw_eigh(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *w = &n->out, *V = &n->co[0], *gV = n->cog[0];
  int64_t k = w->shape[w->ndim - 1];
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *inner = &t[0], *a = &t[1], *b = &t[2], *c = &t[3], *vt = &t[4];
  int rc = gd_ad_mT(vt, V);
  if (!rc && g->st) {                                   /* diag(gw) */
    rc = as_rowcol(a, g, 0);
    if (!rc) rc = band(b, k, 0, 0);
    if (!rc) rc = bin(c, GD_BIN_MUL, a, b);
    if (!rc) rc = accumulate(inner, c);
    gd_tensor_release(a);
    gd_tensor_release(b);
  }
  if (!rc && gV) {                                      /* F∘(Vᵀ·gV) */
    rc = mm(a, vt, gV);
    if (!rc) rc = gap_inverse(b, w);
    if (!rc) rc = bin(c, GD_BIN_MUL, a, b);
    if (!rc) rc = accumulate(inner, c);
    gd_tensor_release(a);
  }
  if (!rc) rc = mm(a, V, inner);
  if (!rc) rc = mm(&t[5], a, vt);
  if (!rc) rc = reduce_to(&gin[0], &t[5], n->in[0].ndim, n->in[0].shape);
  trel(t);
  return rc;
}

/* acc += (X − Xᵀ)∘F scaled by S on the right (right = 1) or the left. */
static int svd_skew_term(gd_tensor *acc, const gd_tensor *x, const gd_tensor *f,
                         const gd_tensor *s, int right) {
  gd_tensor t[NT];
  tinit(t);
  int rc = gd_ad_mT(&t[0], x);
  if (!rc) rc = bin(&t[1], GD_BIN_SUB, x, &t[0]);
  if (!rc) rc = bin(&t[2], GD_BIN_MUL, &t[1], f);
  if (!rc) rc = as_rowcol(&t[3], s, !right);
  if (!rc) rc = bin(&t[4], GD_BIN_MUL, &t[2], &t[3]);
  if (!rc) rc = accumulate(acc, &t[4]);
  trel(t);
  return rc;
}

/* A = U·diag(S)·Vt, reduced, distinct nonzero S (Townsend 2016; torch):
 * dA = U·[(sk(Uᵀ·gU)∘F)·S + S·(sk(Vt·gVtᵀ)∘F) + diag(gS)]·Vt
 *      + (gU − U·Uᵀ·gU)·S⁻¹·Vt  (m > k)  + U·S⁻¹·(gVt − gVt·Vtᵀ·Vt)  (n > k),
 * sk(X) = X − Xᵀ, F_ij = 1/(S_j² − S_i²) off the diagonal. */
static int bw_svd(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *U = &n->out, *S = &n->co[0], *Vt = &n->co[1];
  const gd_tensor *gS = n->cog[0], *gVt = n->cog[1];
  int64_t m = U->shape[U->ndim - 2], k = S->shape[S->ndim - 1], nc = Vt->shape[Vt->ndim - 1];
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *inner = &t[0], *f = &t[1], *s2 = &t[2], *a = &t[3], *b = &t[4], *c = &t[5],
            *extra = &t[6], *srow = &t[7], *ut = &t[8];
  int rc = as_rowcol(srow, S, 0);
  if (!rc) rc = gd_ad_mT(ut, U);
  if (!rc && (g->st || gVt)) {
    rc = bin(s2, GD_BIN_MUL, S, S);
    if (!rc) rc = gap_inverse(f, s2);
  }
  if (!rc && g->st) {
    rc = mm(a, ut, g);                                  /* Uᵀ·gU */
    if (!rc) rc = svd_skew_term(inner, a, f, S, 1);
    if (!rc && m > k) {                                 /* (gU − U·(Uᵀ·gU))/S·Vt */
      rc = mm(b, U, a);
      if (!rc) rc = bin(c, GD_BIN_SUB, g, b);
      gd_tensor_release(b);
      if (!rc) rc = bin(b, GD_BIN_DIV, c, srow);
      if (!rc) rc = mm(&t[9], b, Vt);
      if (!rc) rc = accumulate(extra, &t[9]);
      gd_tensor_release(b);
      gd_tensor_release(c);
    }
    gd_tensor_release(a);
  }
  if (!rc && gVt) {
    rc = gd_ad_mT(b, gVt);
    if (!rc) rc = mm(a, Vt, b);                         /* Vt·gVtᵀ = Vᵀ·gV */
    if (!rc) rc = svd_skew_term(inner, a, f, S, 0);
    gd_tensor_release(a);
    gd_tensor_release(b);
    if (!rc && nc > k) {                                /* U/S·(gVt − (gVt·Vtᵀ)·Vt) */
      rc = gd_ad_mT(c, Vt);
      if (!rc) rc = mm(a, gVt, c);
      gd_tensor_release(c);
      if (!rc) rc = mm(b, a, Vt);
      gd_tensor_release(a);
      if (!rc) rc = bin(c, GD_BIN_SUB, gVt, b);
      gd_tensor_release(b);
      if (!rc) rc = bin(a, GD_BIN_DIV, U, srow);
      if (!rc) rc = mm(&t[9], a, c);
      if (!rc) rc = accumulate(extra, &t[9]);
      gd_tensor_release(a);
      gd_tensor_release(c);
    }
  }
  if (!rc && gS) {                                      /* diag(gS) */
    rc = as_rowcol(a, gS, 0);
    if (!rc) rc = band(b, k, 0, 0);
    if (!rc) rc = bin(c, GD_BIN_MUL, a, b);
    if (!rc) rc = accumulate(inner, c);
    gd_tensor_release(a);
    gd_tensor_release(b);
  }
  if (!rc && inner->st) {
    rc = mm(a, U, inner);
    if (!rc) rc = mm(b, a, Vt);
    if (!rc) rc = accumulate(extra, b);
  }
  if (!rc) rc = reduce_to(&gin[0], extra, n->in[0].ndim, n->in[0].shape);
  trel(t);
  return rc;
}

/* The QR rule where R is square (k×k, A = Q·R with Q m×k): with
 * M = gR·Rᵀ − Qᵀ·gQ and N its upper triangle mirrored below,
 * dA = (gQ + Q·N)·R⁻ᵀ (Walter & Lehmann; torch), R⁻ᵀ by a solve.  gQ or gR
 * may be absent (NULL or empty). */
static int qr_square_grad(const gd_tensor *Q, const gd_tensor *R, const gd_tensor *gQ,
                          const gd_tensor *gR, gd_tensor *out) {
  int64_t k = Q->shape[Q->ndim - 1];
  int hasQ = gQ && gQ->st;
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *M = &t[0], *a = &t[1], *b = &t[2], *up = &t[3], *sup = &t[4], *N = &t[5],
            *y = &t[6];
  int rc = GD_OK;
  if (gR && gR->st) {                                   /* gR·Rᵀ */
    rc = gd_ad_mT(a, R);
    if (!rc) rc = mm(b, gR, a);
    if (!rc) rc = accumulate(M, b);
    gd_tensor_release(a);
  }
  if (!rc && hasQ) {                                    /* − Qᵀ·gQ */
    rc = gd_ad_mT(a, Q);
    if (!rc) rc = mm(b, a, gQ);
    if (!rc) rc = gd_ad_unary(&t[7], GD_UN_NEG, b);
    if (!rc) rc = accumulate(M, &t[7]);
    gd_tensor_release(a);
    gd_tensor_release(b);
  }
  if (!rc) rc = band(up, k, 0, k);
  if (!rc) rc = band(sup, k, 1, k);
  if (!rc) rc = bin(N, GD_BIN_MUL, M, up);
  if (!rc) rc = bin(a, GD_BIN_MUL, M, sup);
  if (!rc) rc = gd_ad_mT(b, a);
  if (!rc) rc = accumulate(N, b);                       /* triu(M) + triu(M, 1)ᵀ */
  gd_tensor_release(a);
  if (!rc) rc = mm(a, Q, N);
  if (!rc && hasQ) rc = bin(y, GD_BIN_ADD, gQ, a);
  else if (!rc) gd_tensor_share(y, a);
  gd_tensor_release(a);
  gd_tensor_release(b);
  if (!rc) rc = gd_ad_mT(a, y);                         /* (R⁻¹·Yᵀ)ᵀ = Y·R⁻ᵀ */
  if (!rc) rc = gd_ad_solve(b, R, a);
  if (!rc) rc = gd_ad_mT(out, b);
  trel(t);
  return rc;
}

/* A = Q·R.  m ≥ n: R is square, qr_square_grad.  m < n (wide): A = [X | Y]
 * with X m×m, R = [U | V], X = Q·U and Y = Q·V; then gY = Q·gV, and X gets
 * the square rule with gQ + Y·gVᵀ for gQ (torch's linalg_qr_backward). */
static int bw_qr(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *Q = &n->out, *R = &n->co[0], *gR = n->cog[0];
  const gd_tensor *A = &n->in[0];
  int last = A->ndim - 1;
  int64_t m = Q->shape[Q->ndim - 2], cols = A->shape[last];
  gd_tensor t[NT];
  tinit(t);
  int rc = GD_OK;
  if (cols <= m) {
    rc = qr_square_grad(Q, R, g, gR, &t[0]);
  } else {
    gd_tensor *U = &t[1], *gU = &t[2], *gV = &t[3], *Y = &t[4], *gQ = &t[5], *a = &t[6],
              *gX = &t[7], *gY = &t[8];
    int hasR = gR && gR->st;
    rc = gd_ad_slice(U, R, last, 0, m, 1);
    if (!rc && hasR) rc = gd_ad_slice(gU, gR, last, 0, m, 1);
    if (!rc && hasR) rc = gd_ad_slice(gV, gR, last, m, cols - m, 1);
    if (!rc && hasR) {                                  /* gQ + Y·gVᵀ */
      rc = gd_ad_slice(Y, A, last, m, cols - m, 1);
      if (!rc) rc = gd_ad_mT(a, gV);
      if (!rc) rc = mm(gQ, Y, a);
      gd_tensor_release(a);
      if (!rc && g->st) {
        rc = bin(a, GD_BIN_ADD, gQ, g);
        gd_tensor_release(gQ);
        if (!rc) gd_tensor_share(gQ, a);
        gd_tensor_release(a);
      }
    } else if (!rc) {
      gd_tensor_share(gQ, g);
    }
    if (!rc) rc = qr_square_grad(Q, U, gQ, hasR ? gU : NULL, gX);
    if (!rc && hasR) rc = mm(gY, Q, gV);                /* gY = Q·gV */
    else if (!rc) {
      int64_t shape[GD_MAXDIM];
      for (int i = 0; i < A->ndim; i++) shape[i] = A->shape[i];
      shape[last] = cols - m;
      rc = gd_ad_full(gY, A->ndim, shape, 0.0);
    }
    if (!rc) {
      const gd_tensor *parts[2] = {gX, gY};
      rc = gd_ad_cat(&t[0], parts, 2, last);
    }
  }
  if (!rc) rc = reduce_to(&gin[0], &t[0], A->ndim, A->shape);
  trel(t);
  return rc;
}

/* ---- determinants -------------------------------------------------------- */

/* 1 when some matrix of the batch A has |det| ≤ 1e-10 of Hadamard's bound
 * Π‖row‖ (so det·A⁻ᵀ would lose the digits of the adjugate): not recorded. */
static int near_singular(const gd_tensor *A, const gd_tensor *det, int *out) {
  gd_tensor t[NT];
  tinit(t);
  int rc = gd_reduce(&t[0], NULL, GD_RED_NORM, A, A->ndim - 1, 0, 0);
  if (!rc) rc = gd_reduce(&t[1], NULL, GD_RED_PROD, &t[0], t[0].ndim - 1, 0, 0);
  if (!rc) rc = gd_contiguous(&t[2], det);
  if (!rc && gd_cp_tracing) gd_cp_read(A, "the gradient of det (its rule tests A for singularity)");
  *out = 0;
  for (size_t i = 0; !rc && i < t[1].numel; i++) {
    double d = gd_data(&t[2])[i], h = gd_data(&t[1])[i];
    if (!(d > 1e-10 * h || d < -1e-10 * h)) *out = 1;
  }
  trel(t);
  return rc;
}

/* The cofactor matrix adj(A)ᵀ = ∂det/∂A without an inverse, for any A: with
 * A = U·diag(S)·Vt, adj(A)ᵀ = det(U)·det(Vt)·U·diag(π)·Vt, π_i = Π_{j≠i} S_j
 * (a product of the others, never a quotient; torch's singular case). */
static int cofactors(gd_tensor *out, const gd_tensor *A) {
  int64_t k = A->shape[A->ndim - 1];
  gd_tensor t[NT];
  tinit(t);
  gd_tensor *U = &t[0], *S = &t[1], *Vt = &t[2], *r = &t[3], *eye = &t[4], *off = &t[5],
            *p = &t[6], *sg = &t[7];
  int rc = gd_ad_svd(U, S, Vt, A);
  if (!rc) rc = eye_and_off(eye, off, k);
  if (!rc) rc = as_rowcol(r, S, 0);                     /* row i: S with S_i replaced by 1 */
  if (!rc) rc = bin(p, GD_BIN_MUL, r, off);
  gd_tensor_release(r);
  if (!rc) rc = bin(r, GD_BIN_ADD, p, eye);
  gd_tensor_release(p);
  if (!rc) rc = gd_ad_reduce(p, NULL, GD_RED_PROD, r, r->ndim - 1, 0, 0);   /* π */
  gd_tensor_release(r);
  if (!rc) rc = gd_det(r, U);                           /* ±1: constants */
  if (!rc) rc = gd_det(off, Vt);
  if (!rc) rc = gd_binary(sg, GD_BIN_MUL, r, off);
  gd_tensor_release(r);
  gd_tensor_release(off);
  if (!rc) rc = as_rowcol(r, p, 0);
  if (!rc) rc = bin(off, GD_BIN_MUL, U, r);             /* U·diag(π) */
  gd_tensor_release(r);
  if (!rc) rc = mm(r, off, Vt);
  gd_tensor_release(off);
  if (!rc) rc = as_scale(off, sg);
  if (!rc) rc = bin(out, GD_BIN_MUL, r, off);
  trel(t);
  return rc;
}

/* det: dA = g·adj(A)ᵀ, which is g·det·A⁻ᵀ when A is well away from singular
 * and the SVD cofactors (cofactors above) when not; slogdet (log|det|):
 * dA = g·A⁻ᵀ. */
static int bw_det(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  if (!need[0]) return GD_OK;
  const gd_tensor *A = &n->in[0];
  gd_tensor t[NT];
  tinit(t);
  int rc = GD_OK, singular = 0;
  if (n->op == GD_OP_DET) rc = near_singular(A, &n->out, &singular);
  if (!rc && singular) {
    rc = as_scale(&t[1], g);
    if (!rc) rc = cofactors(&t[3], A);
  } else if (!rc) {
    if (n->op == GD_OP_DET) rc = bin(&t[0], GD_BIN_MUL, g, &n->out);
    else gd_tensor_share(&t[0], g);
    if (!rc) rc = as_scale(&t[1], &t[0]);
    if (!rc) rc = gd_ad_inv(&t[2], A);
    if (!rc) rc = gd_ad_mT(&t[3], &t[2]);
  }
  if (!rc) rc = bin(&t[4], GD_BIN_MUL, &t[1], &t[3]);
  if (!rc) rc = reduce_to(&gin[0], &t[4], A->ndim, A->shape);
  trel(t);
  return rc;
}

const gd_backward_fn gd_bw_linalg[GD_OP_COUNT + 1] = {
  [GD_OP_MATMUL] = bw_matmul, [GD_OP_OUTER] = bw_outer, [GD_OP_INV] = bw_inv,
  [GD_OP_SOLVE] = bw_solve, [GD_OP_DET] = bw_det, [GD_OP_SLOGDET] = bw_det,
  [GD_OP_CHOLESKY] = bw_cholesky, [GD_OP_LSTSQ] = bw_lstsq, [GD_OP_PINV] = bw_pinv,
  [GD_OP_EIGH] = bw_eigh, [GD_OP_SVD] = bw_svd, [GD_OP_QR] = bw_qr,
  [GD_OP_COUNT] = NULL,
};
