/* adops_linalg.c: the differentiable linear algebra ops: compute with the
 * core (blas.c, linalg.c), then gd_ad_record (see adops.h).  The rules are
 * in grad_linalg.c.  When no tape is open, gd_ad_record returns at once, so
 * these cost what the core costs.
 */
#include "adops.h"

#include "blas.h"
#include "compile.h"
#include "linalg.h"

/* Record a one- or two-input op's result (rc: the core's status). */
static int rec(int rc, gd_opcode op, gd_tensor *out, const gd_tensor *a, const gd_tensor *b,
               const double *dp) {
  if (rc) return rc;
  const gd_tensor *in[2] = {a, b};
  return gd_ad_record(op, out, b ? 2 : 1, in, NULL, dp);
}

int gd_ad_matmul(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  int rc = gd_matmul(out, a, b);
  if (!rc && gd_cp_tracing) gd_cp_matmul(out, a, b);
  return rec(rc, GD_OP_MATMUL, out, a, b, NULL);
}

int gd_ad_outer(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  return rec(gd_outer(out, a, b), GD_OP_OUTER, out, a, b, NULL);
}

int gd_ad_inv(gd_tensor *out, const gd_tensor *a) {
  return rec(gd_inv(out, a), GD_OP_INV, out, a, NULL, NULL);
}

int gd_ad_solve(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  return rec(gd_solve(out, a, b), GD_OP_SOLVE, out, a, b, NULL);
}

int gd_ad_det(gd_tensor *out, const gd_tensor *a) {
  return rec(gd_det(out, a), GD_OP_DET, out, a, NULL, NULL);
}

/* Only log|det| is differentiable; the sign is a constant (id 0). */
int gd_ad_slogdet(gd_tensor *sign, gd_tensor *logabs, const gd_tensor *a) {
  int rc = gd_slogdet(sign, logabs, a);
  if (rc) return rc;
  sign->id = 0;
  sign->flags = 0;
  return rec(GD_OK, GD_OP_SLOGDET, logabs, a, NULL, NULL);
}

int gd_ad_cholesky(gd_tensor *out, const gd_tensor *a) {
  return rec(gd_cholesky(out, a), GD_OP_CHOLESKY, out, a, NULL, NULL);
}

int gd_ad_lstsq(gd_tensor *out, const gd_tensor *a, const gd_tensor *b, double rcond) {
  double dp[2] = {rcond, 0};
  return rec(gd_lstsq(out, a, b, rcond), GD_OP_LSTSQ, out, a, b, dp);
}

int gd_ad_pinv(gd_tensor *out, const gd_tensor *a, double rcond) {
  double dp[2] = {rcond, 0};
  return rec(gd_pinv(out, a, rcond), GD_OP_PINV, out, a, NULL, dp);
}

/* Record a decomposition's results outs[0..nout) of a. */
static int rec_multi(int rc, gd_opcode op, gd_tensor *const *outs, int nout, const gd_tensor *a) {
  if (rc) return rc;
  const gd_tensor *in[1] = {a};
  return gd_ad_record_multi(op, outs, nout, 1, in, NULL, NULL);
}

int gd_ad_eigh(gd_tensor *w, gd_tensor *V, const gd_tensor *a) {
  gd_tensor *outs[2] = {w, V};
  return rec_multi(gd_eigh(w, V, a), GD_OP_EIGH, outs, 2, a);
}

int gd_ad_svd(gd_tensor *U, gd_tensor *S, gd_tensor *Vt, const gd_tensor *a) {
  gd_tensor *outs[3] = {U, S, Vt};
  return rec_multi(gd_svd(U, S, Vt, a), GD_OP_SVD, outs, 3, a);
}

int gd_ad_qr(gd_tensor *Q, gd_tensor *R, const gd_tensor *a) {
  gd_tensor *outs[2] = {Q, R};
  return rec_multi(gd_qr(Q, R, a), GD_OP_QR, outs, 2, a);
}
