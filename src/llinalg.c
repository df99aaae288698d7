/* llinalg.c: Lua bindings of blas.c and linalg.c.
 *
 * Each function is also a method (a:matmul(b), A:inv()).  Operands may be
 * tensors, numbers or nested tables (gdl_operand).  Results are created
 * empty before the core runs, so an error cannot leak them.  Functions with
 * several results (slogdet, eigh, svd, qr) return several tensors; slogdet's
 * sign and log|det| are tensors (0-d for one matrix) so that the tape can
 * differentiate them.  The differentiable ones record on the active tapes
 * (adops_linalg.c), eigh, svd and qr included (one node for all results).
 */
#include "lgd.h"

#include "adops.h"
#include "linalg.h"

typedef int (*op1)(gd_tensor *, const gd_tensor *);
typedef int (*op2)(gd_tensor *, const gd_tensor *, const gd_tensor *);

/* r = f(x) for the operand at 1. */
static int unary(lua_State *L, op1 f, const char *fname) {
  gdl_scalar sx;
  gd_tensor *x = gdl_operand(L, 1, &sx, fname);
  gd_tensor *r = gdl_new(L);
  if (f(r, x)) gdl_fail(L, fname);
  return 1;
}

/* r = f(a, b) for the operands at 1 and 2. */
static int binary(lua_State *L, op2 f, const char *fname) {
  gdl_scalar sa, sb;
  gd_tensor *a = gdl_operand(L, 1, &sa, fname);
  gd_tensor *b = gdl_operand(L, 2, &sb, fname);
  gdl_new_result(L);
  gd_tensor r;
  gd_tensor_init(&r);
  if (f(&r, a, b)) {
    gd_tensor_release(&r);
    gdl_fail(L, fname);
  }
  gdl_set_result(L, -1, &r);
  return 1;
}

static int l_matmul(lua_State *L) { return binary(L, gd_ad_matmul, "gd.matmul"); }
/* gd.dot: 1-D·1-D (0-d) or 2-D operands, as matmul. */
static int ad_dot(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  if (a->ndim < 1 || a->ndim > 2 || b->ndim < 1 || b->ndim > 2) {
    char sa[128], sb[128];
    return gd_seterr(GD_ESHAPE, "expected 1-D or 2-D tensors, got shapes %s and %s",
                     gd_shape_str(sa, sizeof sa, a->ndim, a->shape),
                     gd_shape_str(sb, sizeof sb, b->ndim, b->shape));
  }
  return gd_ad_matmul(out, a, b);
}

static int l_dot(lua_State *L) { return binary(L, ad_dot, "gd.dot"); }
static int l_outer(lua_State *L) { return binary(L, gd_ad_outer, "gd.outer"); }
static int l_solve(lua_State *L) { return binary(L, gd_ad_solve, "gd.solve"); }
static int l_inv(lua_State *L) { return unary(L, gd_ad_inv, "gd.inv"); }
static int l_det(lua_State *L) { return unary(L, gd_ad_det, "gd.det"); }
static int l_cholesky(lua_State *L) { return unary(L, gd_ad_cholesky, "gd.cholesky"); }

static int l_lstsq(lua_State *L) {
  gdl_scalar sa, sb;
  double rcond = gdl_optnumber(L, 3, -1.0, "gd.lstsq", "rcond");
  gd_tensor *A = gdl_operand(L, 1, &sa, "gd.lstsq");
  gd_tensor *b = gdl_operand(L, 2, &sb, "gd.lstsq");
  gd_tensor *x = gdl_new(L);
  if (gd_ad_lstsq(x, A, b, rcond)) gdl_fail(L, "gd.lstsq");
  return 1;
}

static int l_pinv(lua_State *L) {
  gdl_scalar sa;
  double rcond = gdl_optnumber(L, 2, 1e-15, "gd.pinv", "rcond");
  gd_tensor *A = gdl_operand(L, 1, &sa, "gd.pinv");
  gd_tensor *r = gdl_new(L);
  if (gd_ad_pinv(r, A, rcond)) gdl_fail(L, "gd.pinv");
  return 1;
}

static int l_slogdet(lua_State *L) {
  gdl_scalar sa;
  gd_tensor *A = gdl_operand(L, 1, &sa, "gd.slogdet");
  gd_tensor *sign = gdl_new(L), *logabs = gdl_new(L);
  if (gd_ad_slogdet(sign, logabs, A)) gdl_fail(L, "gd.slogdet");
  return 2;
}

static int l_eigh(lua_State *L) {
  gdl_scalar sa;
  gd_tensor *A = gdl_operand(L, 1, &sa, "gd.eigh");
  gd_tensor *w = gdl_new(L), *V = gdl_new(L);
  if (gd_ad_eigh(w, V, A)) gdl_fail(L, "gd.eigh");
  return 2;
}

static int l_svd(lua_State *L) {
  gdl_scalar sa;
  gd_tensor *A = gdl_operand(L, 1, &sa, "gd.svd");
  gd_tensor *U = gdl_new(L), *S = gdl_new(L), *Vt = gdl_new(L);
  if (gd_ad_svd(U, S, Vt, A)) gdl_fail(L, "gd.svd");
  return 3;
}

static int l_qr(lua_State *L) {
  gdl_scalar sa;
  gd_tensor *A = gdl_operand(L, 1, &sa, "gd.qr");
  gd_tensor *Q = gdl_new(L), *R = gdl_new(L);
  if (gd_ad_qr(Q, R, A)) gdl_fail(L, "gd.qr");
  return 2;
}

static const gdl_reg regs[] = {
  {"matmul", l_matmul, "gd.matmul(a, b): matrix product as np.matmul: 1-D·1-D → 0-d, "
                       "(m,k)@(k,n), batched (...,m,k)@(...,k,n) with broadcasting"},
  {"dot", l_dot, "gd.dot(a, b): inner product of 1-D a and b (0-d); 2-D operands as matmul"},
  {"outer", l_outer, "gd.outer(a, b): outer product a_i·b_j of a and b flattened"},
  {"inv", l_inv, "gd.inv(A): inverse of a square matrix (or a batch); error if singular"},
  {"solve", l_solve, "gd.solve(A, b): x with A x = b; b (n) or (..., n, k); error if singular"},
  {"lstsq", l_lstsq, "gd.lstsq(A, b[, rcond]): least-squares x minimizing |A x - b| "
                     "(as np.linalg.lstsq(A, b)[0])"},
  {"pinv", l_pinv, "gd.pinv(A[, rcond = 1e-15]): Moore-Penrose pseudo-inverse via SVD"},
  {"det", l_det, "gd.det(A): determinant (0-d tensor; batch-shaped for a batch)"},
  {"slogdet", l_slogdet, "gd.slogdet(A): sign, log|det A| as tensors (0-d for one matrix); "
                         "singular: 0, -inf"},
  {"cholesky", l_cholesky, "gd.cholesky(A): lower L with A = L·Lᵀ (lower triangle of A read); "
                           "error if not positive definite"},
  {"eigh", l_eigh, "gd.eigh(A): w, V of symmetric A: eigenvalues ascending, eigenvectors "
                   "as the columns of V"},
  {"svd", l_svd, "gd.svd(A): U, S, Vt reduced, A = U·diag(S)·Vt, S descending"},
  {"qr", l_qr, "gd.qr(A): Q, R reduced, A = Q·R, Q with orthonormal columns, R upper"},
  {NULL, NULL, NULL}
};

void gdl_open_linalg(lua_State *L) { gdl_register(L, regs, 1, 2, 3); }
