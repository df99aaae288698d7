/* mle_compile: the one-pass C floor of mle_normal: 1000 steps of gradient
 * ascent on the normal log-likelihood of 10,000 points, each step one loop
 * giving logL, ∂/∂μ = Σ z/σ and ∂/∂σ = Σ (z² − 1)/σ, z = (x − μ)/σ.
 * Its points are its own (a fixed normal-shaped sample), so no value line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void) {
  enum { N = 10000, STEPS = 1000 };
  double *x = malloc(N * sizeof *x);
  if (!x) return 1;
  unsigned long long s = 43052;
  for (int i = 0; i < N; i += 2) {          /* Box–Muller on a 64-bit LCG: N(3, 2²) */
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u1 = ((s >> 11) + 1.0) / 9007199254740993.0;
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u2 = (s >> 11) / 9007199254740992.0;
    double r = sqrt(-2 * log(u1));
    x[i] = 3 + 2 * r * cos(6.283185307179586 * u2);
    if (i + 1 < N) x[i + 1] = 3 + 2 * r * sin(6.283185307179586 * u2);
  }
  volatile double sink = 0;
  for (int rep = 0; rep < 3; rep++) {
    double mu = 2, sigma = 3;
    double t0 = now();
    for (int k = 0; k < STEPS; k++) {
      double lsum = 0, dmu = 0, dsig = 0, inv = 1 / sigma;
      for (int i = 0; i < N; i++) {
        double z = (x[i] - mu) * inv;
        lsum += log(inv * exp(-0.5 * z * z));
        dmu += z * inv;
        dsig += (z * z - 1) * inv;
      }
      sink += lsum;
      mu += dmu * 0.1 / N;
      sigma += dsig * 0.1 / N;
    }
    printf("time %.9f\n", now() - t0);
  }
  free(x);
  return 0;
}
