/* optim2.c: the L-BFGS two-loop recursion (see optim2.h).
 *
 * The recursion is 4m dot/axpy passes in its textbook form; each axpy here
 * also computes the dot that the next step needs from the vector it has just
 * written, so q is read and written once per pair and per loop (2m + 1 passes
 * over q, each streaming one or two of the stored vectors).  Dots keep eight
 * partial sums, so the loops vectorize and are not bound by the latency of
 * one sum.
 */
#include "optim2.h"
#include "vmath.h"

#include <stddef.h>

#define LANES 8

/* The eight partial sums combined pairwise. */
static double combine(const double *acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* q ← g; returns wᵀg.  (n) */
GD_CLONES
static double copy_dot(double *restrict q, const double *restrict g, const double *restrict w,
                       int64_t n) {
  double acc[LANES] = {0};
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES)
    for (int j = 0; j < LANES; j++) {
      q[k + j] = g[k + j];
      acc[j] += w[k + j] * g[k + j];
    }
  for (int j = 0; k < n; k++, j++) {
    q[k] = g[k];
    acc[j] += w[k] * g[k];
  }
  return combine(acc);
}

/* q ← (q + a·v)·c; returns wᵀq of the new q (0 when w is NULL).  (n) */
GD_CLONES
static double axpy_dot(double *restrict q, double a, const double *restrict v, double c,
                       const double *restrict w, int64_t n) {
  double acc[LANES] = {0};
  int64_t k = 0;
  if (!w) {
    for (; k < n; k++) q[k] = (q[k] + a * v[k]) * c;
    return 0.0;
  }
  for (; k + LANES <= n; k += LANES)
    for (int j = 0; j < LANES; j++) {
      double t = (q[k + j] + a * v[k + j]) * c;
      q[k + j] = t;
      acc[j] += w[k + j] * t;
    }
  for (int j = 0; k < n; k++, j++) {
    double t = (q[k] + a * v[k]) * c;
    q[k] = t;
    acc[j] += w[k] * t;
  }
  return combine(acc);
}

/* q ← −H·g: αᵢ = ρᵢsᵢᵀq, q ← q − αᵢyᵢ (newest first); r = γq; then
 * β = ρᵢyᵢᵀr, r ← r + (αᵢ − β)sᵢ (oldest first); q ← −r.  m ≥ 1. */
void gd_optim_lbfgs_two_loop(double *q, const double *g, int64_t n, int m,
                             const double *const *s, const double *const *y, const double *rho,
                             double gamma, double *alpha) {
  double d = copy_dot(q, g, s[m - 1], n);                  /* s_{m−1}ᵀg */
  for (int i = m - 1; i >= 0; i--) {
    alpha[i] = rho[i] * d;
    /* after the last pair of the first loop: r = γq, and the dot y₀ᵀr */
    d = i > 0 ? axpy_dot(q, -alpha[i], y[i], 1.0, s[i - 1], n)
              : axpy_dot(q, -alpha[i], y[i], gamma, y[0], n);
  }
  for (int i = 0; i < m; i++) {
    double c = alpha[i] - rho[i] * d;                      /* d = yᵢᵀr */
    d = i + 1 < m ? axpy_dot(q, c, s[i], 1.0, y[i + 1], n)
                  : axpy_dot(q, c, s[i], -1.0, NULL, n);    /* the last pass negates */
  }
}
