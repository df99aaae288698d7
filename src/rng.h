/* rng.h: a seedable generator and the distributions drawn from it.
 *
 * The generator is xoshiro256** seeded through splitmix64; every draw is
 * computed with IEEE-754 + - * / and sqrt only (logarithm and exponential
 * are our own, not libm's), so the same seed gives the same numbers on every
 * machine and in every release.  The tests hold golden values to that.
 * This layer knows nothing of Lua: errors are GD_E* codes with gd_seterr.
 * Tensor results are allocated here, contiguous, of the given shape.
 */
#ifndef GD_RNG_H
#define GD_RNG_H

#include <stdint.h>

#include "tensor.h"

typedef struct gd_rng {
  uint64_t s[4];     /* xoshiro256** state, never all zero */
  double spare;      /* the polar method's second normal, if has_spare */
  int has_spare;
} gd_rng;

/* State from a 64-bit seed: s[i] = splitmix64 outputs 1..4 from x = seed. */
void gd_rng_seed(gd_rng *g, uint64_t seed);

/* ---- scalar draws ------------------------------------------------------ */

/* Next 64 raw bits (xoshiro256**). */
uint64_t gd_rng_next(gd_rng *g);
/* Uniform in [0, 1): the top 53 bits · 2⁻⁵³. */
double gd_rng_unif(gd_rng *g);
/* Standard normal N(0, 1) by Marsaglia's polar method (pairs; one is kept). */
double gd_rng_gauss(gd_rng *g);
/* Uniform integer in [0, m], both ends included; unbiased (masked rejection). */
uint64_t gd_rng_int(gd_rng *g, uint64_t m);
/* Binomial(n, p), exact: inversion when n·min(p, 1−p) < 10, else BTRD
 * (Hörmann 1993).  Needs 0 <= n <= 2⁵³ integral and 0 <= p <= 1. */
double gd_rng_binom(gd_rng *g, double n, double p);

/* Deterministic log(x) (x > 0 finite) and exp(x), within about 1 ulp. */
double gd_rng_log(double x);
double gd_rng_exp(double x);

/* ---- tensors (out allocated with the given shape) ---------------------- */

/* out ~ U[lo, hi); lo <= hi, both finite. */
int gd_rng_uniform(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                   double lo, double hi);
/* out ~ N(mean, std²); std >= 0. */
int gd_rng_normal(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                  double mean, double std);
/* out ~ uniform integers in [lo, hi], both ends included; |lo|, |hi| <= 2⁵³. */
int gd_rng_randint(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                   int64_t lo, int64_t hi);
/* out ~ Binomial(n, p) with p broadcast to shape; every p in [0, 1]. */
int gd_rng_binomial(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                    int64_t n, const gd_tensor *p);
/* out = 1 with probability p else 0 (u < p), p broadcast to shape. */
int gd_rng_bernoulli(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                     const gd_tensor *p);
/* out = a random permutation of 1..n (Fisher–Yates), shape {n}. */
int gd_rng_randperm(gd_rng *g, gd_tensor *out, int64_t n);
/* What gd_rng_fill draws: U[a, b), N(a, b²), a permutation of 1..numel. */
typedef enum gd_rng_kind { GD_RNG_UNIFORM, GD_RNG_NORMAL, GD_RNG_RANDPERM } gd_rng_kind;
/* Fill contiguous out with draws of kind (parameters a, b already checked):
 * the loops of gd_rng_uniform / normal / randperm, which gd.compile replays. */
int gd_rng_fill(gd_rng *g, gd_rng_kind kind, gd_tensor *out, double a, double b);
/* out = parameter p broadcast to shape, every value checked to lie in
 * [lo, hi] ((lo, hi] with lo_open); errors name the parameter. */
int gd_rng_param(gd_tensor *out, int ndim, const int64_t *shape, const gd_tensor *p,
                 const char *name, double lo, double hi, int lo_open);

/* ---- rng_gamma.c ---------------------------------------------------------- */

/* Gamma(a, 1), a > 0: Marsaglia–Tsang (2000); a < 1 by Gamma(a + 1)·U^(1/a). */
double gd_rng_gamma1(gd_rng *g, double a);
/* Poisson(lam), exact: inversion for lam < 10, else Ahrens–Dieter's
 * reduction through Gamma and Binomial draws. */
double gd_rng_poisson1(gd_rng *g, double lam);
/* out ~ Gamma(a, 1) with a broadcast to shape; every a > 0. */
int gd_rng_gamma(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape, const gd_tensor *a);
/* out ~ Poisson(lam) with lam broadcast to shape; every lam in [0, 2^52]. */
int gd_rng_poisson(gd_rng *g, gd_tensor *out, int ndim, const int64_t *shape,
                   const gd_tensor *lam);

#endif
