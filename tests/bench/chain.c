/* chain: the plain fused C loop s += exp(-0.5*(x*w)^2) over the same 1e7 points. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double chain(const double *x, long n, double w) {
  double s = 0;
  for (long i = 0; i < n; i++) {
    double u = x[i] * w;
    s += exp(-0.5 * u * u);
  }
  return s;
}

int main(void) {
  const long N = 10000000;
  const int REPS = 5;
  const double w = 0.7;
  double *x = malloc(N * sizeof *x);
  if (!x) return 1;
  double step = 6.0 / (N - 1);
  for (long i = 0; i < N; i++) x[i] = -3.0 + i * step;
  x[N - 1] = 3.0;
  volatile double s = chain(x, N, w);
  for (int r = 0; r < REPS; r++) {
    double t0 = now();
    s = chain(x, N, w);
    printf("time %.9f\n", now() - t0);
  }
  printf("value %.17g\n", s);
  free(x);
  return 0;
}
