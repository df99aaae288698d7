/* rng_gamma.c: Gamma and Poisson draws from gd's generator (rng.h).
 *
 * Like rng.c, every draw uses + - * / sqrt and the deterministic
 * gd_rng_log/gd_rng_exp only, so a seed gives the same numbers everywhere.
 * Beta (two Gammas), Dirichlet and the like are built from these in Lua.
 */
#include "rng.h"

#include <math.h>

#include "tensor.h"

double gd_rng_gamma1(gd_rng *g, double a) {
  if (a < 1) {                       /* X·U^(1/a) with X ~ Gamma(a + 1) */
    double u = 1 - gd_rng_unif(g);   /* (0, 1] */
    return gd_rng_gamma1(g, a + 1) * gd_rng_exp(gd_rng_log(u) / a);
  }
  /* Marsaglia & Tsang: d = a − 1/3, c = 1/√(9d); x normal, v = (1 + cx)³;
   * accept d·v when log u < x²/2 + d(1 − v + log v) (squeeze first). */
  double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
  for (;;) {
    double x = gd_rng_gauss(g), v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = gd_rng_unif(g), x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (u > 0 && gd_rng_log(u) < 0.5 * x2 + d * (1 - v + gd_rng_log(v))) return d * v;
  }
}

/* Poisson(lam) for small lam by sequential inversion of the cdf. */
static double poisson_small(gd_rng *g, double lam) {
  double u = gd_rng_unif(g), p = gd_rng_exp(-lam), cdf = p, k = 0;
  while (u >= cdf && p > 0) {        /* p = 0: the cdf has stopped growing */
    k += 1;
    p *= lam / k;
    cdf += p;
  }
  return k;
}

double gd_rng_poisson1(gd_rng *g, double lam) {
  /* Ahrens & Dieter (Knuth 3.4.1F): the m-th arrival of a unit-rate process
   * is X ~ Gamma(m).  X < lam: m arrivals happened, Poisson(lam − X) more;
   * else the count is Binomial(m − 1, lam/X). */
  double k = 0;
  while (lam >= 10) {
    double m = floor(0.875 * lam);
    double x = gd_rng_gamma1(g, m);
    if (x >= lam) return k + gd_rng_binom(g, m - 1, lam / x);
    k += m;
    lam -= x;
  }
  return k + poisson_small(g, lam);
}

int gd_rng_gamma(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape, const gd_tensor *a) {
  int rc = gd_rng_param(out, ndim, shape, a, "alpha", 0, HUGE_VAL, 1);
  if (rc) return rc;
  double *d = gd_data(out);
  for (size_t i = 0; i < out->numel; i++) d[i] = gd_rng_gamma1(g, d[i]);
  return GD_OK;
}

int gd_rng_poisson(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                   const gd_tensor *lam) {
  int rc = gd_rng_param(out, ndim, shape, lam, "lam", 0, 4503599627370496.0, 0);
  if (rc) return rc;
  double *d = gd_data(out);
  for (size_t i = 0; i < out->numel; i++) d[i] = gd_rng_poisson1(g, d[i]);
  return GD_OK;
}
