/* optim2.h: kernels of the second-order optimizers (lua/gd/minimize.lua).
 * Only what Lua cannot do in a few passes: the L-BFGS two-loop recursion,
 * 4m sequential dot/axpy passes over n doubles, runs here in 2m + 1 fused
 * passes over one buffer instead of allocating 4m temporaries.  No Lua here; the binding is
 * in loptim2.c.  Legend: n = length of the vectors, m = pairs (s, y) kept.
 */
#ifndef GD_OPTIM2_H
#define GD_OPTIM2_H

#include <stdint.h>

/* q = −H·g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4): s[i],
 * y[i] the m ≥ 1 pairs oldest first (n doubles each), rho[i] = 1/(y[i]ᵀs[i]),
 * H0 = gamma·I; q (n) must not overlap g, s or y; alpha is m doubles of workspace. */
void gd_optim_lbfgs_two_loop(double *q, const double *g, int64_t n, int m,
                             const double *const *s, const double *const *y, const double *rho,
                             double gamma, double *alpha);

#endif
