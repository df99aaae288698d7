/* kernels_par: the machine's own 2-thread speed-up on 1e7-element sum and
 * a + b, for the *7_c2 rows: hand-written loops on the data of
 * kernels_par.lua, split in two halves over two pthreads (created per op,
 * as simple as it gets).  Prints `time` for a batch of 2 ops on 2 threads
 * and `base` for the same batch on 1 thread, interleaved, wall clock; an
 * `info` line gives the median speed-up.  No value line: the sum of x is
 * near 0, so another summation order differs by more than the runner's
 * relative tolerance.
 * usage: kernels_par_c sum|add */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 10000000L

static double *x, *y, *z;
static int add;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { long lo, hi; double s; } part;

/* One part: z = x + y over [lo, hi), or s = the sum of x there (4 accumulators). */
static void *work(void *arg) {
  part *p = arg;
  if (add) {
    for (long i = p->lo; i < p->hi; i++) z[i] = x[i] + y[i];
  } else {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long i = p->lo;
    for (; i + 4 <= p->hi; i += 4) { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; }
    for (; i < p->hi; i++) s0 += x[i];
    p->s = (s0 + s1) + (s2 + s3);
  }
  return NULL;
}

/* One op on `threads` (1 or 2) threads; returns the sum (0 for add). */
static double op(int threads) {
  part a = { 0, threads == 2 ? N / 2 : N, 0 }, b = { N / 2, N, 0 };
  if (threads == 1) { work(&a); return a.s; }
  pthread_t t;
  int spawned = pthread_create(&t, NULL, work, &b) == 0;
  if (!spawned) work(&b);
  work(&a);
  if (spawned) pthread_join(t, NULL);
  return a.s + b.s;
}

static int cmp(const void *p, const void *q) {
  double a = *(const double *)p, b = *(const double *)q;
  return (a > b) - (a < b);
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "sum") && strcmp(argv[1], "add"))) {
    fprintf(stderr, "usage: kernels_par_c sum|add\n");
    return 2;
  }
  add = !strcmp(argv[1], "add");
  x = malloc(N * sizeof *x), y = malloc(N * sizeof *y), z = malloc(N * sizeof *z);
  if (!x || !y || !z) return 1;
  const double phi = 0.6180339887498949, psi = 0.7548776662466927;
  for (long i = 0; i < N; i++) {   /* kernels_par.lua's x and y; z touched once */
    double u = (double)i * phi, v = (double)i * psi;
    x[i] = (u - (double)(long)u) - 0.5;
    y[i] = v - (double)(long)v;
    z[i] = 0;
  }
  double r = 0, t2[7], t1[7];
  for (int rep = 0; rep < 7; rep++) {
    double t0 = now();
    for (int k = 0; k < 2; k++) r = op(2);
    t2[rep] = now() - t0;
    t0 = now();
    for (int k = 0; k < 2; k++) r = op(1);
    t1[rep] = now() - t0;
    printf("time %.9f\nbase %.9f\n", t2[rep], t1[rep]);
  }
  qsort(t2, 7, sizeof *t2, cmp);
  qsort(t1, 7, sizeof *t1, cmp);
  printf("info hand-written C: %.2f× over 1 thread (median)\n", t1[3] / t2[3]);
  return r == r ? 0 : 1;
}
