/* optim2.c: the L-BFGS two-loop recursion (see optim2.h), on OpenBLAS's
 * ddot/daxpy: a plain dot loop is bound by the latency of its one sum. */
#include <cblas.h>

#include "optim2.h"

/* q ← H·q: αᵢ = ρᵢsᵢᵀq, q ← q − αᵢyᵢ (newest first); r = γq; then
 * β = ρᵢyᵢᵀr, r ← r + (αᵢ − β)sᵢ (oldest first).  Vectors of n ≤ INT_MAX. */
void gd_optim_lbfgs_two_loop(double *q, int64_t n, int m, const double *const *s,
                             const double *const *y, const double *rho, double gamma,
                             double *alpha) {
  blasint nn = (blasint)n;
  for (int i = m - 1; i >= 0; i--) {
    alpha[i] = rho[i] * cblas_ddot(nn, s[i], 1, q, 1);       /* (n) */
    cblas_daxpy(nn, -alpha[i], y[i], 1, q, 1);
  }
  cblas_dscal(nn, gamma, q, 1);
  for (int i = 0; i < m; i++) {
    double c = alpha[i] - rho[i] * cblas_ddot(nn, y[i], 1, q, 1);
    cblas_daxpy(nn, c, s[i], 1, q, 1);
  }
}
