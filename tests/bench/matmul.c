/* matmul: the raw OpenBLAS cblas_dgemm on the same data (the floor for gdlua and torch). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void linspace(double *x, long n, double lo, double hi) {
  double step = (hi - lo) / (n - 1);
  for (long i = 0; i < n; i++) x[i] = lo + i * step;
  x[n - 1] = hi;
}

int main(void) {
  const int n = 1024, REPS = 5;
  long nn = (long)n * n;
  double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
  if (!a || !b || !c) return 1;
  linspace(a, nn, -1, 1);
  linspace(b, nn, 2, -2);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
  for (int r = 0; r < REPS; r++) {
    double t0 = now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
    printf("time %.9f\n", now() - t0);
  }
  double s = 0;
  for (long i = 0; i < nn; i++) s += c[i];
  printf("value %.17g\n", s);
  free(a); free(b); free(c);
  return 0;
}
