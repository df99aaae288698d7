/* adops_linalg.c: the differentiable linear algebra ops: compute with the
 * core (blas.c, linalg.c), then gd_ad_record (see adops.h).  The rules are
 * in grad_linalg.c.  When no tape is open, gd_ad_record returns at once, so
 * these cost what the core costs.
 */
#include "adops.h"

#include "blas.h"
#include "linalg.h"

/* Record a one- or two-input op's result (rc: the core's status). */
static int rec(int rc, gd_opcode op, gd_tensor *out, const gd_tensor *a, const gd_tensor *b,
               const double *dp) {
  if (rc) return rc;
  const gd_tensor *in[2] = {a, b};
  return gd_ad_record(op, out, b ? 2 : 1, in, NULL, dp);
}

int gd_ad_matmul(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  return rec(gd_matmul(out, a, b), GD_OP_MATMUL, out, a, b, NULL);
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
