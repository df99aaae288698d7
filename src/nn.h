/* nn.h: the numerical core of gd.nn: activations, Dense's forward pass,
 * Keras's losses, row gathering for mini-batches, the weights file format.
 *
 * Every forward function is built from the recording ops of adops.h, so it
 * works on gradient tapes.  Results are allocated into out (empty on entry);
 * on failure nothing is left allocated.  No Lua here: lnn.c holds the layer
 * userdata, Sequential's fit loop and the bindings.
 * Legend: N batch rows, I input features, U units, K classes.
 */
#ifndef GD_NN_H
#define GD_NN_H

#include <stdio.h>

#include "tensor.h"

typedef enum gd_nn_act {
  GD_NN_LINEAR, GD_NN_RELU, GD_NN_SIGMOID, GD_NN_TANH, GD_NN_SOFTMAX, GD_NN_SOFTPLUS,
  GD_NN_ACT_COUNT
} gd_nn_act;

typedef enum gd_nn_loss {
  GD_NN_MSE, GD_NN_BCE, GD_NN_CCE, GD_NN_LOSS_COUNT
} gd_nn_loss;

/* Keras's clipping of probabilities: [ε, 1 − ε]. */
#define GD_NN_EPS 1e-7

/* Name of an activation ("relu"); index by name (-1 if unknown). */
const char *gd_nn_act_name(gd_nn_act a);
int gd_nn_act_find(const char *name);
/* Name of a built-in loss; index by name (-1 if unknown). */
const char *gd_nn_loss_name(gd_nn_loss l);
int gd_nn_loss_find(const char *name);

/* out = act(x); softmax over the last dim: exp(x − logsumexp(x)). */
int gd_nn_activate(gd_tensor *out, gd_nn_act act, const gd_tensor *x);
/* out = act(x·W + b): x (N, I), W (I, U), b (U) or NULL. */
int gd_nn_dense(gd_tensor *out, const gd_tensor *x, const gd_tensor *w, const gd_tensor *b,
                gd_nn_act act);
/* out = a 0-d loss, the mean over the batch (Keras):
 *   mse  mean((y − p)²)
 *   bce  −mean(y log p̃ + (1 − y) log(1 − p̃)), p̃ = clip(p, ε, 1 − ε);
 *        from_logits: mean(relu(p) − p·y + log1p(exp(−|p|)))
 *   cce  −mean_rows Σ_k y log p̃, p̃ = clip(p / Σ_k p, ε, 1 − ε);
 *        from_logits: −mean_rows Σ_k y (p − logsumexp_k p)
 * rows: instead one loss per sample (the mean over the last dim; cce's
 * Σ_k), shaped as y without its last dim: Keras's reduction = "none". */
int gd_nn_loss_eval(gd_tensor *out, gd_nn_loss loss, const gd_tensor *y, const gd_tensor *p,
                    int from_logits, int rows);
/* out = rows idx[0..n) of x along dim 0 (a contiguous copy, not recorded). */
int gd_nn_take_rows(gd_tensor *out, const gd_tensor *x, const int64_t *idx, int64_t n);

/* Weights file (little-endian host order is checked by the magic):
 *   "GDLUAW1\n"  8 bytes magic
 *   uint32 count; per weight: uint32 ndim, int64 shape[ndim]
 *   then every weight's float64 data in order, row-major; nothing after. */
#define GD_NN_MAGIC "GDLUAW1\n"
/* What gd_nn_save writes: n tensors w[0..n). */
typedef struct gd_nn_weights {
  int n;
  const gd_tensor *const *w;
} gd_nn_weights;
/* A gd_file_writer of the gd_nn_weights weights: the whole file. */
int gd_nn_save(FILE *f, void *weights);
/* Read a file written by gd_nn_save into vals[0..n) (allocated here), checking
 * that it holds exactly n tensors of the shapes of w[]; all or nothing. */
int gd_nn_load(FILE *f, int n, const gd_tensor *const *w, gd_tensor *vals);

#endif
