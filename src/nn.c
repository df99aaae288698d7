/* nn.c: activations, Dense, Keras losses, row gathering, weights files.
 * Built from the recording ops (adops.h), so all of it works on tapes. */
#include "nn.h"

#include <math.h>
#include <string.h>

#include "adops.h"
#include "kernels.h"

static const char *const act_names[GD_NN_ACT_COUNT] = {
  "linear", "relu", "sigmoid", "tanh", "softmax", "softplus"};
static const char *const loss_names[GD_NN_LOSS_COUNT] = {
  "mse", "binary_crossentropy", "categorical_crossentropy"};

const char *gd_nn_act_name(gd_nn_act a) { return act_names[a]; }
const char *gd_nn_loss_name(gd_nn_loss l) { return loss_names[l]; }

int gd_nn_act_find(const char *name) {
  for (int i = 0; i < GD_NN_ACT_COUNT; i++)
    if (strcmp(name, act_names[i]) == 0) return i;
  return -1;
}

int gd_nn_loss_find(const char *name) {
  for (int i = 0; i < GD_NN_LOSS_COUNT; i++)
    if (strcmp(name, loss_names[i]) == 0) return i;
  if (strcmp(name, "mean_squared_error") == 0) return GD_NN_MSE;
  return -1;
}

/* Release up to four temporaries and pass rc through. */
static int drop(int rc, gd_tensor *a, gd_tensor *b, gd_tensor *c, gd_tensor *d) {
  if (a) gd_tensor_release(a);
  if (b) gd_tensor_release(b);
  if (c) gd_tensor_release(c);
  if (d) gd_tensor_release(d);
  return rc;
}

int gd_nn_activate(gd_tensor *out, gd_nn_act act, const gd_tensor *x) {
  static const gd_unop un[GD_NN_ACT_COUNT] = {
    [GD_NN_RELU] = GD_UN_RELU, [GD_NN_SIGMOID] = GD_UN_SIGMOID,
    [GD_NN_TANH] = GD_UN_TANH, [GD_NN_SOFTPLUS] = GD_UN_SOFTPLUS};
  if (act == GD_NN_LINEAR) {
    gd_tensor_share(out, x);
    return GD_OK;
  }
  if (act != GD_NN_SOFTMAX) return gd_ad_unary(out, un[act], x);
  if (x->ndim < 1) return gd_seterr(GD_ESHAPE, "softmax needs at least 1 dim");
  gd_tensor m, z;
  gd_tensor_init(&m);
  gd_tensor_init(&z);
  int rc = gd_ad_reduce(&m, NULL, GD_RED_LOGSUMEXP, x, x->ndim - 1, 1, 0);
  if (!rc) rc = gd_ad_binary(&z, GD_BIN_SUB, x, &m);
  if (!rc) rc = gd_ad_unary(out, GD_UN_EXP, &z);
  return drop(rc, &m, &z, NULL, NULL);
}

int gd_nn_dense(gd_tensor *out, const gd_tensor *x, const gd_tensor *w, const gd_tensor *b,
                gd_nn_act act) {
  gd_tensor h, hb;   /* (N, U) */
  gd_tensor_init(&h);
  gd_tensor_init(&hb);
  int rc = gd_ad_matmul(&h, x, w);
  if (!rc && b) rc = gd_ad_binary(&hb, GD_BIN_ADD, &h, b);
  if (!rc) rc = gd_nn_activate(out, act, b ? &hb : &h);
  return drop(rc, &h, &hb, NULL, NULL);
}

/* out = v as a 0-d constant. */
static int konst(gd_tensor *out, double v) { return gd_ad_full(out, 0, NULL, v); }

/* out = the mean of the elementwise losses l: over everything, or (rows) over
 * the last dim, one loss per sample as Keras's reduction = "none". */
static int mean_loss(gd_tensor *out, const gd_tensor *l, int rows) {
  return gd_ad_reduce(out, NULL, GD_RED_MEAN, l, rows ? l->ndim - 1 : -1, 0, 0);
}

static int loss_mse(gd_tensor *out, const gd_tensor *y, const gd_tensor *p, int rows) {
  gd_tensor d, s;
  gd_tensor_init(&d);
  gd_tensor_init(&s);
  int rc = gd_ad_binary(&d, GD_BIN_SUB, y, p);
  if (!rc) rc = gd_ad_unary(&s, GD_UN_SQUARE, &d);
  if (!rc) rc = mean_loss(out, &s, rows);
  return drop(rc, &d, &s, NULL, NULL);
}

/* out = clip(p, ε, 1 − ε) with zero gradient outside (as tf.clip_by_value). */
static int clip_prob(gd_tensor *out, const gd_tensor *p) {
  gd_tensor lo, hi, t;
  gd_tensor_init(&lo);
  gd_tensor_init(&hi);
  gd_tensor_init(&t);
  int rc = konst(&lo, GD_NN_EPS);
  if (!rc) rc = konst(&hi, 1 - GD_NN_EPS);
  if (!rc) rc = gd_ad_clip(out, p, &lo, &hi);
  return drop(rc, &lo, &hi, &t, NULL);
}

static int loss_bce(gd_tensor *out, const gd_tensor *y, const gd_tensor *p, int logits, int rows) {
  gd_tensor a, b, c, e, one;
  gd_tensor_init(&a); gd_tensor_init(&b); gd_tensor_init(&c);
  gd_tensor_init(&e); gd_tensor_init(&one);
  int rc;
  if (logits) {       /* softplus(z) − z·y: softplus is stable and its rule σ(z) gives σ(z) − y */
    rc = gd_ad_unary(&a, GD_UN_SOFTPLUS, p);
    if (!rc) rc = gd_ad_binary(&b, GD_BIN_MUL, p, y);
    if (!rc) rc = gd_ad_binary(&c, GD_BIN_SUB, &a, &b);
    if (!rc) rc = mean_loss(out, &c, rows);
    return drop(rc, &a, &b, &c, NULL);
  }
  /* −(y log p̃ + (1 − y) log(1 − p̃)) = −(log(1 − p̃) + y (log p̃ − log(1 − p̃))) */
  rc = clip_prob(&c, p);
  if (!rc) rc = konst(&one, 1);
  if (!rc) rc = gd_ad_binary(&a, GD_BIN_SUB, &one, &c);
  if (!rc) rc = gd_ad_unary(&b, GD_UN_LOG, &a);            /* log(1 − p̃) */
  if (!rc) { gd_tensor_release(&a); rc = gd_ad_unary(&a, GD_UN_LOG, &c); }   /* log p̃ */
  if (!rc) { gd_tensor_release(&c); rc = gd_ad_binary(&c, GD_BIN_SUB, &a, &b); }
  if (!rc) { gd_tensor_release(&a); rc = gd_ad_binary(&a, GD_BIN_MUL, y, &c); }
  if (!rc) { gd_tensor_release(&c); rc = gd_ad_binary(&c, GD_BIN_ADD, &a, &b); }
  if (!rc) rc = mean_loss(&e, &c, rows);
  if (!rc) rc = gd_ad_unary(out, GD_UN_NEG, &e);
  gd_tensor_release(&one);
  return drop(rc, &a, &b, &c, &e);
}

static int loss_cce(gd_tensor *out, const gd_tensor *y, const gd_tensor *p, int logits, int rows) {
  if (p->ndim < 1) return gd_seterr(GD_ESHAPE, "categorical_crossentropy needs at least 1 dim");
  int k = p->ndim - 1;
  gd_tensor a, b, c, e;
  gd_tensor_init(&a); gd_tensor_init(&b); gd_tensor_init(&c); gd_tensor_init(&e);
  int rc;
  if (logits) {        /* log p̃ = p − logsumexp(p) */
    rc = gd_ad_reduce(&a, NULL, GD_RED_LOGSUMEXP, p, k, 1, 0);
    if (!rc) rc = gd_ad_binary(&b, GD_BIN_SUB, p, &a);
  } else {
    rc = gd_ad_reduce(&a, NULL, GD_RED_SUM, p, k, 1, 0);
    if (!rc) rc = gd_ad_binary(&c, GD_BIN_DIV, p, &a);
    if (!rc) { gd_tensor_release(&a); rc = clip_prob(&a, &c); }
    if (!rc) rc = gd_ad_unary(&b, GD_UN_LOG, &a);
  }
  if (!rc) { gd_tensor_release(&c); rc = gd_ad_binary(&c, GD_BIN_MUL, y, &b); }
  if (!rc) { gd_tensor_release(&a); rc = gd_ad_reduce(&a, NULL, GD_RED_SUM, &c, k, 0, 0); }
  if (!rc) rc = rows ? (gd_tensor_share(&e, &a), GD_OK) : gd_ad_reduce(&e, NULL, GD_RED_MEAN, &a, -1, 0, 0);
  if (!rc) rc = gd_ad_unary(out, GD_UN_NEG, &e);
  return drop(rc, &a, &b, &c, &e);
}

int gd_nn_loss_eval(gd_tensor *out, gd_nn_loss loss, const gd_tensor *y, const gd_tensor *p,
                    int from_logits, int rows) {
  int nd;
  int64_t shape[GD_MAXDIM];
  if (gd_broadcast_shape(y->ndim, y->shape, p->ndim, p->shape, &nd, shape) ||
      !gd_shape_eq(y->ndim, y->shape, p->ndim, p->shape)) {
    char a[128], b[128];
    return gd_seterr(GD_ESHAPE, "targets of shape %s and predictions of shape %s differ",
                     gd_shape_str(a, sizeof a, y->ndim, y->shape),
                     gd_shape_str(b, sizeof b, p->ndim, p->shape));
  }
  if (rows && p->ndim < 1) return gd_seterr(GD_ESHAPE, "per-sample losses need at least 1 dim");
  switch (loss) {
    case GD_NN_MSE: return loss_mse(out, y, p, rows);
    case GD_NN_BCE: return loss_bce(out, y, p, from_logits, rows);
    case GD_NN_CCE: return loss_cce(out, y, p, from_logits, rows);
    default: return gd_seterr(GD_EARG, "unknown loss");
  }
}

int gd_nn_take_rows(gd_tensor *out, const gd_tensor *x, const int64_t *idx, int64_t n) {
  if (x->ndim < 1) return gd_seterr(GD_ESHAPE, "cannot take rows of a 0-d tensor");
  int64_t shape[GD_MAXDIM];
  memcpy(shape, x->shape, sizeof shape);
  shape[0] = n;
  gd_tensor src;
  gd_tensor_init(&src);
  int rc = gd_is_contig(x) ? (gd_tensor_view(&src, x), GD_OK) : gd_contiguous(&src, x);
  if (!rc) rc = gd_tensor_alloc(out, x->ndim, shape);
  if (rc) return drop(rc, &src, NULL, NULL, NULL);
  size_t row = x->shape[0] ? x->numel / (size_t)x->shape[0] : 0;
  const double *s = gd_data(&src);
  double *d = gd_data(out);
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] < 0 || idx[i] >= x->shape[0]) {
      gd_tensor_release(out);
      return drop(gd_seterr(GD_EARG, "row %lld out of range", (long long)idx[i] + 1), &src, NULL, NULL, NULL);
    }
    memcpy(d + (size_t)i * row, s + (size_t)idx[i] * row, row * sizeof(double));
  }
  return drop(GD_OK, &src, NULL, NULL, NULL);
}

/* ---- weights files ------------------------------------------------------ */

int gd_nn_save(FILE *f, void *weights) {
  const gd_nn_weights *ws = weights;
  int n = ws->n;
  const gd_tensor *const *w = ws->w;
  uint32_t cnt = (uint32_t)n;
  int ok = fwrite(GD_NN_MAGIC, 1, 8, f) == 8 && fwrite(&cnt, 4, 1, f) == 1;
  for (int i = 0; ok && i < n; i++) {
    uint32_t nd = (uint32_t)w[i]->ndim;
    ok = fwrite(&nd, 4, 1, f) == 1 && fwrite(w[i]->shape, 8, nd, f) == nd;
  }
  for (int i = 0; ok && i < n; i++) {
    gd_tensor c;
    gd_tensor_init(&c);
    if (gd_contiguous(&c, w[i])) return GD_ENOMEM;
    ok = fwrite(gd_data(&c), 8, c.numel, f) == c.numel;
    gd_tensor_release(&c);
  }
  return ok ? GD_OK : gd_seterr(GD_EARG, "write failed");
}

int gd_nn_load(FILE *f, int n, const gd_tensor *const *w, gd_tensor *vals) {
  char magic[8];
  uint32_t cnt;
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, GD_NN_MAGIC, 8) != 0)
    return gd_seterr(GD_EARG, "not a gdlua weights file (bad magic)");
  if (fread(&cnt, 4, 1, f) != 1) return gd_seterr(GD_EARG, "truncated header");
  if (cnt != (uint32_t)n)
    return gd_seterr(GD_ESHAPE, "file holds %u weights, the model has %d", (unsigned)cnt, n);
  for (int i = 0; i < n; i++) {
    uint32_t nd;
    int64_t shape[GD_MAXDIM];
    if (fread(&nd, 4, 1, f) != 1) return gd_seterr(GD_EARG, "truncated header");
    if (nd > GD_MAXDIM) return gd_seterr(GD_EARG, "weight %d: bad ndim %u", i + 1, (unsigned)nd);
    if (fread(shape, 8, nd, f) != nd) return gd_seterr(GD_EARG, "truncated header");
    if (!gd_shape_eq((int)nd, shape, w[i]->ndim, w[i]->shape)) {
      char a[128], b[128];
      return gd_seterr(GD_ESHAPE, "weight %d: file shape %s, model shape %s", i + 1,
                       gd_shape_str(a, sizeof a, (int)nd, shape),
                       gd_shape_str(b, sizeof b, w[i]->ndim, w[i]->shape));
    }
  }
  for (int i = 0; i < n; i++) {
    int rc = gd_tensor_alloc(&vals[i], w[i]->ndim, w[i]->shape);
    if (!rc && fread(gd_data(&vals[i]), 8, vals[i].numel, f) != vals[i].numel)
      rc = gd_seterr(GD_EARG, "truncated data in weight %d", i + 1);
    if (rc) {
      for (int j = 0; j <= i; j++) gd_tensor_release(&vals[j]);
      return rc;
    }
  }
  if (fgetc(f) != EOF) {
    for (int j = 0; j < n; j++) gd_tensor_release(&vals[j]);
    return gd_seterr(GD_EARG, "trailing bytes after the last weight");
  }
  return GD_OK;
}
