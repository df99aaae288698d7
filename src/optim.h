/* optim.h: optimizer hyper-parameters, per-variable state and the fused
 * update kernels (SGD with momentum / Nesterov, Adagrad, RMSprop, Adam, AdamW).
 *
 * One step is one pass over w, g and the state buffers: every element is
 * read once and written once, so a step on a large variable runs at memory
 * bandwidth.  The formulas are DESIGN.md section 4's (g the gradient, t the
 * step number from 1, q/0 read as 0 so that eps = 0 works):
 *   SGD      v ← μv − lr·g;  w ← w + v   (nesterov: w ← w + μv − lr·g; μ = 0: w ← w − lr·g)
 *   Adagrad  h ← h + g²;  w ← w − lr·g/(√h + ε)
 *   RMSprop  h ← ρh + (1−ρ)g²;  d = √h + ε  (centered: m ← ρm + (1−ρ)g, d = √(h − m²) + ε)
 *            u = lr·g/d;  w ← w − u  (momentum: b ← μb + u;  w ← w − b)
 *   Adam     m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²  (amsgrad: v̄ ← max(v̄, v), used for v)
 *            w ← w − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
 *   AdamW    w ← w − lr·λ·w, then Adam (PyTorch, Keras)
 * No Lua here; the bindings are in loptim.c.  Legend: n = numel of w.
 */
#ifndef GD_OPTIM_H
#define GD_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef enum gd_optim_kind {
  GD_OPTIM_SGD, GD_OPTIM_ADAGRAD, GD_OPTIM_RMSPROP, GD_OPTIM_ADAM, GD_OPTIM_ADAMW,
  GD_OPTIM_COUNT
} gd_optim_kind;

/* Hyper-parameters; a kind reads only its own fields. */
typedef struct gd_optim_hp {
  gd_optim_kind kind;
  double lr;                   /* > 0 (a schedule's value is passed to each step) */
  double momentum;             /* SGD, RMSprop: μ in [0, 1] */
  double rho;                  /* RMSprop: ρ in [0, 1) */
  double beta1, beta2;         /* Adam(W): in [0, 1) */
  double eps;                  /* ≥ 0 */
  double initial_accumulator;  /* Adagrad: h's start, ≥ 0 */
  double weight_decay;         /* AdamW: λ ≥ 0 */
  int nesterov, centered, amsgrad;
} gd_optim_hp;

/* One variable's state: nbuf buffers of n doubles in one block. */
#define GD_OPTIM_MAXBUF 3
typedef struct gd_optim_state {
  size_t n;
  int nbuf;
  double *block;                       /* NULL: empty */
  double *buf[GD_OPTIM_MAXBUF];        /* (n) each, into block */
} gd_optim_state;

/* Name of a kind ("SGD", "Adam", ...). */
const char *gd_optim_name(gd_optim_kind kind);
/* The kind's defaults (DESIGN section 4) into hp. */
void gd_optim_defaults(gd_optim_hp *hp, gd_optim_kind kind);
/* Check the hyper-parameters: GD_EARG with a message naming the bad one. */
int gd_optim_check(const gd_optim_hp *hp);
/* Number of state buffers the kind keeps per variable (0 for plain SGD). */
int gd_optim_nbuf(const gd_optim_hp *hp);

/* Make s empty (safe to free). */
void gd_optim_state_init(gd_optim_state *s);
/* Allocate s's buffers for n elements and set their start values. */
int gd_optim_state_alloc(gd_optim_state *s, const gd_optim_hp *hp, size_t n);
/* Free s's buffers; s becomes empty.  Idempotent. */
void gd_optim_state_free(gd_optim_state *s);
/* Bytes held by a state of n elements for hp. */
size_t gd_optim_state_bytes(const gd_optim_hp *hp, size_t n);

/* One update in place: w (contiguous) ← step(w, g) with rate lr ≥ 0 (a
 * schedule may reach 0), step number
 * t ≥ 1; g has w's shape (any strides).  Bumps w's storage version. */
int gd_optim_step(const gd_optim_hp *hp, gd_optim_state *s, gd_tensor *w,
                  const gd_tensor *g, double lr, int64_t t);

#endif
