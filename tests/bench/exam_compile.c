/* exam_compile: the hand-written C floor of exam 2(3): 50,000 steps of
 * β ← β − 0.0015·∇(rᵀr/10), r = y − Xβ, on the fixed 10×2 data, computing
 * the gradient in the tape's order (∂/∂r = r/10 + r/10, ∂/∂β = Xᵀ·(−∂/∂r)). */
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const double X[10][2] = {{1, 20.1}, {1, 22.2}, {1, 22.7}, {1, 23.3}, {1, 24.4},
                                {1, 25.1}, {1, 26.2}, {1, 27.3}, {1, 28.4}, {1, 30.4}};
static const double Y[10] = {55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                             63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286};

static void run(double b[2], int steps) {
  for (int s = 0; s < steps; s++) {
    double r[10], g0 = 0, g1 = 0;
    for (int i = 0; i < 10; i++) r[i] = Y[i] - (X[i][0] * b[0] + X[i][1] * b[1]);
    for (int i = 0; i < 10; i++) {
      double dr = -(r[i] * 0.1 + r[i] * 0.1);    /* (10×1) */
      g0 += X[i][0] * dr;
      g1 += X[i][1] * dr;
    }
    b[0] -= g0 * 0.0015;
    b[1] -= g1 * 0.0015;
  }
}

int main(void) {
  double b[2];
  for (int rep = 0; rep < 5; rep++) {
    b[0] = 5.0, b[1] = 10.0;
    double t0 = now();
    run(b, 50000);
    printf("time %.9f\n", now() - t0);
  }
  printf("value %.17g\n", b[0]);
  return 0;
}
