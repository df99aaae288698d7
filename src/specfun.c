/* specfun.c: log-gamma and polygamma functions (see specfun.h).
 *
 * Method, for each function: shift x up to X0 by the recurrence
 *   Γ(x+1) = xΓ(x),  ψ(x+1) = ψ(x) + 1/x,  ψ₁(x+1) = ψ₁(x) − 1/x²,
 *   ψ₂(x+1) = ψ₂(x) + 2/x³,
 * then sum the asymptotic (Stirling) series in 1/x, whose terms come from
 * the Bernoulli numbers B₂ₖ; at x ≥ 14 (lgamma: 7, with more terms) the
 * first omitted term is below 1e-17 relative.  Negative x uses the reflection formulas
 *   Γ(x)Γ(1−x) = π/sin(πx),  ψ(1−x) − ψ(x) = π cot(πx),
 *   ψ₁(1−x) + ψ₁(x) = π²/sin²(πx),  ψ₂(x) − ψ₂(1−x) = −2π³ cos(πx)/sin³(πx).
 */
#include "specfun.h"

#include <math.h>

#define X0 14.0
/* lgamma shifts less (the shift's log cancels against the series' value, so
 * a smaller one loses less) and sums more terms: at 7 the 11th is 1e-17. */
#define X0_LGAMMA 7.0
#define PI 3.14159265358979323846
#define HALF_LOG_2PI 0.91893853320467274178

/* sin(πx) with the argument reduced exactly first (exact zeros at integers). */
static double sinpi(double x) {
  double r = fmod(x, 2.0);           /* (−2, 2), exact */
  if (r > 1.0) r -= 2.0;
  else if (r < -1.0) r += 2.0;       /* [−1, 1] */
  if (r == 0.0 || r == 1.0 || r == -1.0) return 0.0;
  if (r > 0.5) r = 1.0 - r;
  else if (r < -0.5) r = -1.0 - r;
  return sin(PI * r);
}

/* cos(πx), likewise reduced. */
static double cospi(double x) {
  return sinpi(x + 0.5);
}

static int is_nonpos_int(double x) { return x <= 0 && x == floor(x); }

double gd_lgamma(double x) {
  if (x != x) return x;
  if (isinf(x)) return INFINITY;
  if (is_nonpos_int(x)) return INFINITY;
  if (x < 0.5) {                     /* log|π / sin(πx)| − log|Γ(1−x)| */
    return log(PI / fabs(sinpi(x))) - gd_lgamma(1.0 - x);
  }
  double prod = 1.0, shift = 0.0;
  while (x < X0_LGAMMA) {            /* Γ(x) = Γ(x+1)/x */
    prod *= x;
    x += 1.0;
  }
  if (prod != 1.0) shift = log(prod);
  double r = 1.0 / x, r2 = r * r;
  /* Σ B₂ₖ / (2k(2k−1) x^(2k−1)), k = 1..10 */
  double s = r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 +
             r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156 +
             r2 * (-3617.0 / 122400 + r2 * (43867.0 / 244188 + r2 * (-174611.0 / 125400))))))))));
  return (x - 0.5) * log(x) - x + HALF_LOG_2PI + s - shift;
}

double gd_digamma(double x) {
  if (x != x) return x;
  if (x == INFINITY) return x;
  if (x == 0.0) return -INFINITY;
  if (is_nonpos_int(x)) return NAN;
  if (x < 0.5) {                     /* ψ(x) = ψ(1−x) − π cos(πx)/sin(πx) */
    return gd_digamma(1.0 - x) - PI * cospi(x) / sinpi(x);
  }
  double acc = 0.0;
  while (x < X0) {
    acc -= 1.0 / x;
    x += 1.0;
  }
  double r2 = 1.0 / (x * x);
  /* log x − 1/(2x) − Σ B₂ₖ / (2k x^(2k)), k = 1..7 */
  double s = r2 * (1.0 / 12 + r2 * (-1.0 / 120 + r2 * (1.0 / 252 + r2 * (-1.0 / 240 +
             r2 * (1.0 / 132 + r2 * (-691.0 / 32760 + r2 * (1.0 / 12)))))));
  return acc + log(x) - 0.5 / x - s;
}

double gd_trigamma(double x) {
  if (x != x) return x;
  if (x == INFINITY) return 0.0;
  if (is_nonpos_int(x)) return INFINITY;
  if (x < 0.5) {                     /* ψ₁(x) = π²/sin²(πx) − ψ₁(1−x) */
    double s = sinpi(x);
    return PI * PI / (s * s) - gd_trigamma(1.0 - x);
  }
  double acc = 0.0;
  while (x < X0) {
    acc += 1.0 / (x * x);
    x += 1.0;
  }
  double r = 1.0 / x, r2 = r * r;
  /* 1/x + 1/(2x²) + Σ B₂ₖ / x^(2k+1), k = 1..7 */
  double s = r * r2 * (1.0 / 6 + r2 * (-1.0 / 30 + r2 * (1.0 / 42 + r2 * (-1.0 / 30 +
             r2 * (5.0 / 66 + r2 * (-691.0 / 2730 + r2 * (7.0 / 6)))))));
  return acc + r + 0.5 * r2 + s;
}

double gd_tetragamma(double x) {
  if (x != x) return x;
  if (x == INFINITY) return 0.0;
  if (is_nonpos_int(x)) return NAN;
  if (x < 0.5) {                     /* ψ₂(x) = ψ₂(1−x) − 2π³ cos(πx)/sin³(πx) */
    double s = sinpi(x);
    return gd_tetragamma(1.0 - x) - 2.0 * PI * PI * PI * cospi(x) / (s * s * s);
  }
  double acc = 0.0;
  while (x < X0) {
    acc -= 2.0 / (x * x * x);
    x += 1.0;
  }
  double r = 1.0 / x, r2 = r * r;
  /* −1/x² − 1/x³ − Σ (2k+1) B₂ₖ / x^(2k+2), k = 1..7 */
  double s = r2 * r2 * (1.0 / 2 + r2 * (-1.0 / 6 + r2 * (1.0 / 6 + r2 * (-3.0 / 10 +
             r2 * (5.0 / 6 + r2 * (-691.0 / 210 + r2 * (35.0 / 2)))))));
  return acc - r2 - r2 * r - s;
}
