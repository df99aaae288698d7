/* specfun.h: special functions of one real variable: log-gamma and the
 * polygamma functions ψ (digamma), ψ₁ (trigamma), ψ₂ (tetragamma).
 * Scalar C with no tables; the elementwise ops of kernels.c map them. */
#ifndef GD_SPECFUN_H
#define GD_SPECFUN_H

/* log|Γ(x)|; +inf at the poles x = 0, −1, −2, ... */
double gd_lgamma(double x);
/* ψ(x) = d/dx log Γ(x); −inf at 0, nan at the negative integers. */
double gd_digamma(double x);
/* ψ₁(x) = dψ/dx; +inf at the poles. */
double gd_trigamma(double x);
/* ψ₂(x) = dψ₁/dx; nan at the poles. */
double gd_tetragamma(double x);

#endif
