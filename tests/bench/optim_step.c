/* optim_step: the memory floor of an Adam step on 1e7 elements: one plain
 * loop that reads g and reads and writes w, m and v once each (multiply-adds
 * only, no sqrt or division).  No value line: its numbers differ from Adam's. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pass(long n, double *restrict w, const double *restrict g, double *restrict m,
                 double *restrict v) {
  for (long i = 0; i < n; i++) {
    double gi = g[i];
    m[i] = 0.9 * m[i] + 0.1 * gi;
    v[i] = 0.999 * v[i] + 0.001 * gi;
    w[i] -= 1e-3 * gi;
  }
}

int main(void) {
  const long N = 10000000;
  double *w = malloc(N * sizeof *w), *g = malloc(N * sizeof *g);
  double *m = calloc(N, sizeof *m), *v = calloc(N, sizeof *v);
  if (!w || !g || !m || !v) return 1;
  for (long i = 0; i < N; i++) {
    w[i] = -1.0 + 2.0 * i / (N - 1);
    g[i] = 0.5 - 1.0 * i / (N - 1);
  }
  pass(N, w, g, m, v);
  for (int r = 0; r < 5; r++) {
    double t0 = now();
    pass(N, w, g, m, v);
    printf("time %.9f\n", now() - t0);
  }
  fprintf(stderr, "%g\n", w[0] + m[1] + v[2]);
  free(w); free(g); free(m); free(v);
  return 0;
}
