/* optim.c: optimizer state and the fused update kernels (see optim.h).
 *
 * Each kernel is one flat loop over restrict pointers: w, g and the state
 * buffers are each streamed once per step, which is the memory floor of an
 * elementwise update.  Loop-invariant scalars (bias corrections, 1 − β) are
 * computed once per step.  A gradient that is strided, or shares storage with
 * w, is first copied to a contiguous buffer (the rare path).
 * This file is not the bindings (loptim.c) and knows nothing of Lua.
 */
#include "optim.h"

#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "threads.h"
#include "vmath.h"

static const char *const names[GD_OPTIM_COUNT] = {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW"};

const char *gd_optim_name(gd_optim_kind kind) {
  return (unsigned)kind < GD_OPTIM_COUNT ? names[kind] : "?";
}

void gd_optim_defaults(gd_optim_hp *hp, gd_optim_kind kind) {
  hp->kind = kind;
  hp->lr = kind == GD_OPTIM_SGD ? 0.01 : 0.001;
  hp->momentum = 0.0;
  hp->rho = 0.9;
  hp->beta1 = 0.9;
  hp->beta2 = 0.999;
  hp->eps = 1e-7;
  hp->initial_accumulator = 0.0;
  hp->weight_decay = kind == GD_OPTIM_ADAMW ? 0.004 : 0.0;
  hp->nesterov = hp->centered = hp->amsgrad = 0;
}

/* x in [lo, hi) (or [lo, hi] when closed); NaN fails. */
static int in_range(double x, double lo, double hi, int closed) {
  return x >= lo && (closed ? x <= hi : x < hi);
}

int gd_optim_check(const gd_optim_hp *hp) {
  if ((unsigned)hp->kind >= GD_OPTIM_COUNT) return gd_seterr(GD_EARG, "unknown optimizer kind");
  if (!(hp->lr > 0) || isinf(hp->lr))
    return gd_seterr(GD_EARG, "lr must be a positive number, got %g", hp->lr);
  if (!(hp->eps >= 0) || isinf(hp->eps))
    return gd_seterr(GD_EARG, "eps must be >= 0, got %g", hp->eps);
  switch (hp->kind) {
    case GD_OPTIM_SGD:
      if (!in_range(hp->momentum, 0, 1, 1))
        return gd_seterr(GD_EARG, "momentum must be in [0, 1], got %g", hp->momentum);
      break;
    case GD_OPTIM_ADAGRAD:
      if (!(hp->initial_accumulator >= 0) || isinf(hp->initial_accumulator))
        return gd_seterr(GD_EARG, "initial_accumulator must be >= 0, got %g", hp->initial_accumulator);
      break;
    case GD_OPTIM_RMSPROP:
      if (!in_range(hp->rho, 0, 1, 0))
        return gd_seterr(GD_EARG, "rho must be in [0, 1), got %g", hp->rho);
      if (!in_range(hp->momentum, 0, 1, 1))
        return gd_seterr(GD_EARG, "momentum must be in [0, 1], got %g", hp->momentum);
      break;
    case GD_OPTIM_ADAM:
    case GD_OPTIM_ADAMW:
      if (!in_range(hp->beta1, 0, 1, 0))
        return gd_seterr(GD_EARG, "beta1 must be in [0, 1), got %g", hp->beta1);
      if (!in_range(hp->beta2, 0, 1, 0))
        return gd_seterr(GD_EARG, "beta2 must be in [0, 1), got %g", hp->beta2);
      if (!(hp->weight_decay >= 0) || isinf(hp->weight_decay))
        return gd_seterr(GD_EARG, "weight_decay must be >= 0, got %g", hp->weight_decay);
      break;
    default:
      break;
  }
  return GD_OK;
}

int gd_optim_nbuf(const gd_optim_hp *hp) {
  switch (hp->kind) {
    case GD_OPTIM_SGD: return hp->momentum > 0;                          /* v */
    case GD_OPTIM_ADAGRAD: return 1;                                     /* h */
    case GD_OPTIM_RMSPROP: return 1 + (hp->centered != 0) + (hp->momentum > 0);   /* h, m, b */
    case GD_OPTIM_ADAM:
    case GD_OPTIM_ADAMW: return 2 + (hp->amsgrad != 0);                  /* m, v, v̄ */
    default: return 0;
  }
}

size_t gd_optim_state_bytes(const gd_optim_hp *hp, size_t n) {
  return (size_t)gd_optim_nbuf(hp) * n * sizeof(double);
}

void gd_optim_state_init(gd_optim_state *s) {
  s->n = 0;
  s->nbuf = 0;
  s->block = NULL;
  for (int k = 0; k < GD_OPTIM_MAXBUF; k++) s->buf[k] = NULL;
}

void gd_optim_state_free(gd_optim_state *s) {
  free(s->block);
  gd_optim_state_init(s);
}

int gd_optim_state_alloc(gd_optim_state *s, const gd_optim_hp *hp, size_t n) {
  gd_optim_state_free(s);
  int nbuf = gd_optim_nbuf(hp);
  if (nbuf == 0 || n == 0) {
    s->n = n;
    s->nbuf = nbuf;
    return GD_OK;
  }
  if (n > SIZE_MAX / sizeof(double) / (size_t)nbuf)
    return gd_seterr(GD_ENOMEM, "optimizer state of %zu elements does not fit in memory", n);
  double *block = calloc(n * (size_t)nbuf, sizeof(double));  /* zeros: lazily mapped pages */
  if (!block) return gd_seterr(GD_ENOMEM, "out of memory for the optimizer state (%zu doubles)",
                               n * (size_t)nbuf);
  gd_alloc_add_debt(n * (size_t)nbuf * sizeof(double));
  s->block = block;
  s->n = n;
  s->nbuf = nbuf;
  for (int k = 0; k < nbuf; k++) s->buf[k] = block + (size_t)k * n;
  if (hp->kind == GD_OPTIM_ADAGRAD && hp->initial_accumulator != 0)
    for (size_t i = 0; i < n; i++) block[i] = hp->initial_accumulator;
  return GD_OK;
}

/* ---- kernels: (n) each; a / d with d == 0 is 0 (eps = 0 and g = 0) ------
 *
 * The kernels with a square root and a division are compute-bound with
 * SSE2's two lanes (1.8× the memory floor for Adam at 1e7); on x86-64 an AVX2
 * copy of each (four lanes) is chosen at run time.  Both copies give the same
 * bits: sqrt and division are correctly rounded, and -std=c11 turns off FMA
 * contraction.  KERNEL(name, params, args) defines name() over name_body(). */

#if defined(__GNUC__) && defined(__x86_64__)
#define INLINE static inline __attribute__((always_inline))
GD_CPU_HAS(have_avx2, "avx2")
#define KERNEL(name, params, args)                                             \
  static void name##_base params { name##_body args; }                        \
  __attribute__((target("avx2"))) static void name##_avx2 params { name##_body args; } \
  static void name params {                                                    \
    if (have_avx2()) name##_avx2 args;                                         \
    else name##_base args;                                                     \
  }
#else
#define INLINE static inline
#define KERNEL(name, params, args) static void name params { name##_body args; }
#endif

INLINE double safe_div(double a, double d) { return d > 0 ? a / d : 0.0; }

/* w ← w − lr·g */
static void sgd_plain(size_t n, double *restrict w, const double *restrict g, double lr) {
  for (size_t i = 0; i < n; i++) w[i] -= lr * g[i];
}

/* v ← μv − lr·g;  w ← w + v */
static void sgd_momentum(size_t n, double *restrict w, const double *restrict g,
                         double *restrict v, double lr, double mu) {
  for (size_t i = 0; i < n; i++) {
    double vi = mu * v[i] - lr * g[i];
    v[i] = vi;
    w[i] += vi;
  }
}

/* v ← μv − lr·g;  w ← w + μv − lr·g */
static void sgd_nesterov(size_t n, double *restrict w, const double *restrict g,
                         double *restrict v, double lr, double mu) {
  for (size_t i = 0; i < n; i++) {
    double step = lr * g[i];
    double vi = mu * v[i] - step;
    v[i] = vi;
    w[i] += mu * vi - step;
  }
}

/* h ← h + g²;  w ← w − lr·g/(√h + ε) */
INLINE void adagrad_body(size_t n, double *restrict w, const double *restrict g,
                         double *restrict h, double lr, double eps) {
  for (size_t i = 0; i < n; i++) {
    double gi = g[i], hi = h[i] + gi * gi;
    h[i] = hi;
    w[i] -= lr * safe_div(gi, sqrt(hi) + eps);
  }
}
KERNEL(adagrad, (size_t n, double *restrict w, const double *restrict g, double *restrict h,
                 double lr, double eps), (n, w, g, h, lr, eps))

/* h ← ρh + (1−ρ)g²; centered: m ← ρm + (1−ρ)g, d = √max(h − m², 0) + ε,
 * else d = √h + ε;  u = lr·g/d;  momentum: b ← μb + u, w ← w − b; else w ← w − u. */
INLINE void rmsprop_loop(size_t n, double *restrict w, const double *restrict g,
                         double *restrict h, double *restrict m, double *restrict b, double lr,
                         double rho, double eps, double mu, const int centered, const int mom) {
  const double c = 1.0 - rho;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i], hi = rho * h[i] + c * gi * gi;
    h[i] = hi;
    if (centered) {
      double mi = rho * m[i] + c * gi;
      m[i] = mi;
      hi -= mi * mi;
      hi = hi > 0 ? hi : 0.0;                 /* rounding can make h − m² slightly negative */
    }
    double u = lr * safe_div(gi, sqrt(hi) + eps);
    if (mom) {
      u += mu * b[i];
      b[i] = u;
    }
    w[i] -= u;
  }
}
/* m and b are NULL when unused: one loop per combination. */
INLINE void rmsprop_body(size_t n, double *restrict w, const double *restrict g,
                         double *restrict h, double *restrict m, double *restrict b, double lr,
                         double rho, double eps, double mu) {
  if (m && b) rmsprop_loop(n, w, g, h, m, b, lr, rho, eps, mu, 1, 1);
  else if (m) rmsprop_loop(n, w, g, h, m, b, lr, rho, eps, mu, 1, 0);
  else if (b) rmsprop_loop(n, w, g, h, m, b, lr, rho, eps, mu, 0, 1);
  else rmsprop_loop(n, w, g, h, m, b, lr, rho, eps, mu, 0, 0);
}
KERNEL(rmsprop, (size_t n, double *restrict w, const double *restrict g, double *restrict h,
                 double *restrict m, double *restrict b, double lr, double rho, double eps,
                 double mu), (n, w, g, h, m, b, lr, rho, eps, mu))

/* m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  (amsgrad: v̄ ← max(v̄, v), read for v)
 * w ← w·keep − lr·m̂/(√v̂ + ε), m̂ = m·ib1, v̂ = v·ib2 (ib = 1/(1−βᵗ); keep = 1 − lr·λ:
 * AdamW's decoupled decay comes first, then the Adam step, as PyTorch and Keras). */
INLINE void adam_loop(size_t n, double *restrict w, const double *restrict g, double *restrict m,
                      double *restrict v, double *restrict vmax, double lr, double b1, double b2,
                      double eps, double ib1, double ib2, double keep, const int ams) {
  const double c1 = 1.0 - b1, c2 = 1.0 - b2;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i];
    double mi = b1 * m[i] + c1 * gi;
    double vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (ams) {
      vi = vi > vmax[i] ? vi : vmax[i];
      vmax[i] = vi;
    }
    double d = sqrt(vi * ib2) + eps;
    w[i] = w[i] * keep - lr * safe_div(mi * ib1, d);
  }
}
/* vmax is NULL without amsgrad. */
INLINE void adam_body(size_t n, double *restrict w, const double *restrict g, double *restrict m,
                      double *restrict v, double *restrict vmax, double lr, double b1, double b2,
                      double eps, double ib1, double ib2, double keep) {
  if (vmax) adam_loop(n, w, g, m, v, vmax, lr, b1, b2, eps, ib1, ib2, keep, 1);
  else adam_loop(n, w, g, m, v, vmax, lr, b1, b2, eps, ib1, ib2, keep, 0);
}
KERNEL(adam, (size_t n, double *restrict w, const double *restrict g, double *restrict m,
              double *restrict v, double *restrict vmax, double lr, double b1, double b2,
              double eps, double ib1, double ib2, double keep),
       (n, w, g, m, v, vmax, lr, b1, b2, eps, ib1, ib2, keep))

/* One update over elements [lo, hi): each element's update reads only its
 * own w, g and state, so a split across threads gives the same bits. */
typedef struct stepjob {
  const gd_optim_hp *hp;
  gd_optim_state *s;
  double *w;
  const double *g;
  size_t n;
  double lr, ib1, ib2, keep;   /* Adam: 1/(1−β₁ᵗ), 1/(1−β₂ᵗ), AdamW's 1 − lr·λ */
} stepjob;

static void step_part(void *arg, int k, int nparts) {
  const stepjob *j = arg;
  const gd_optim_hp *hp = j->hp;
  int64_t lo, hi;
  gd_par_range((int64_t)j->n, k, nparts, GD_PAR_ALIGN, &lo, &hi);
  if (lo >= hi) return;
  size_t n = (size_t)(hi - lo);
  double *w = j->w + lo, *b[GD_OPTIM_MAXBUF] = {NULL};
  const double *g = j->g + lo;
  for (int i = 0; i < j->s->nbuf && i < GD_OPTIM_MAXBUF; i++) b[i] = j->s->buf[i] + lo;
  switch (hp->kind) {
    case GD_OPTIM_SGD:
      if (hp->momentum == 0) sgd_plain(n, w, g, j->lr);
      else if (hp->nesterov) sgd_nesterov(n, w, g, b[0], j->lr, hp->momentum);
      else sgd_momentum(n, w, g, b[0], j->lr, hp->momentum);
      break;
    case GD_OPTIM_ADAGRAD:
      adagrad(n, w, g, b[0], j->lr, hp->eps);
      break;
    case GD_OPTIM_RMSPROP: {
      int m = 1;
      double *c = hp->centered ? b[m++] : NULL;
      double *mb = hp->momentum > 0 ? b[m++] : NULL;
      rmsprop(n, w, g, b[0], c, mb, j->lr, hp->rho, hp->eps, hp->momentum);
      break;
    }
    case GD_OPTIM_ADAM:
    case GD_OPTIM_ADAMW:
      adam(n, w, g, b[0], b[1], hp->amsgrad ? b[2] : NULL, j->lr, hp->beta1, hp->beta2, hp->eps,
           j->ib1, j->ib2, j->keep);
      break;
    default: break;
  }
}

int gd_optim_step(const gd_optim_hp *hp, gd_optim_state *s, gd_tensor *w,
                  const gd_tensor *g, double lr, int64_t t) {
  char a[128], b[128];
  if (!w->st || !g->st) return gd_seterr(GD_EARG, "empty tensor");
  if (!gd_shape_eq(w->ndim, w->shape, g->ndim, g->shape))
    return gd_seterr(GD_ESHAPE, "gradient of shape %s does not match the variable's shape %s",
                     gd_shape_str(a, sizeof a, g->ndim, g->shape),
                     gd_shape_str(b, sizeof b, w->ndim, w->shape));
  if (!gd_is_contig(w)) return gd_seterr(GD_EARG, "the variable is not contiguous");
  if (!(lr >= 0) || isinf(lr)) return gd_seterr(GD_EARG, "lr must be >= 0, got %g", lr);
  if (t < 1) return gd_seterr(GD_EARG, "step number must be >= 1, got %lld", (long long)t);
  size_t n = w->numel;
  if (s->n != n || s->nbuf != gd_optim_nbuf(hp) || (s->nbuf > 0 && n > 0 && !s->block)) {
    int rc = gd_optim_state_alloc(s, hp, n);
    if (rc) return rc;
  }
  if (n == 0) return GD_OK;
  gd_tensor tmp;                         /* contiguous copy of a strided or aliasing g */
  gd_tensor_init(&tmp);
  const double *gp;
  if (gd_is_contig(g) && g->st != w->st) {
    gp = gd_data(g);
  } else {
    int rc = gd_contiguous(&tmp, g);
    if (rc) return rc;
    gp = gd_data(&tmp);
  }
  if (hp->kind != GD_OPTIM_SGD && hp->kind != GD_OPTIM_ADAGRAD && hp->kind != GD_OPTIM_RMSPROP &&
      hp->kind != GD_OPTIM_ADAM && hp->kind != GD_OPTIM_ADAMW) {
    gd_tensor_release(&tmp);
    return gd_seterr(GD_EARG, "unknown optimizer kind");
  }
  stepjob j = {hp, s, gd_data(w), gp, n, lr, 0, 0, 0};
  if (hp->kind == GD_OPTIM_ADAM || hp->kind == GD_OPTIM_ADAMW) {
    j.ib1 = 1.0 / (1.0 - pow(hp->beta1, (double)t));
    j.ib2 = 1.0 / (1.0 - pow(hp->beta2, (double)t));
    j.keep = hp->kind == GD_OPTIM_ADAMW ? 1.0 - lr * hp->weight_decay : 1.0;
  }
#if defined(__GNUC__) && defined(__x86_64__)
  (void)have_avx2();                     /* resolved here once, not raced by the workers */
#endif
  gd_par_run(gd_par_parts((int64_t)n, GD_PAR_GRAIN_COSTLY), step_part, &j);
  gd_tensor_release(&tmp);
  gd_touch(w);
  return GD_OK;
}
