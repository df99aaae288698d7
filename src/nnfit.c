/* nnfit.c: one training step of a stack of Dense / activation stages with
 * a built-in loss, by hand-written backward passes (no tape): the fast path
 * of Sequential's fit and evaluate.
 *
 * As Keras does inside fit, a sigmoid (softmax) last activation followed by
 * binary (categorical) cross-entropy is computed from the logits:
 *   bce  mean(max(z, 0) − z·y + log1p(exp(−|z|))),   ∂/∂z = (σ(z) − y)/numel
 *   cce  mean_rows Σ_k y_k (lse(z) − z_k),           ∂/∂z_k = (p_k Σ_j y_j − y_k)/N
 * so a saturated output still learns.  Otherwise the loss reads the output p
 * as gd_nn_loss_eval does (probabilities clipped to [ε, 1 − ε], no gradient
 * where clipped).  Legend: N rows, I inputs, U units of a stage.
 */
#include "nn.h"

#include <math.h>
#include <string.h>

#include "blas.h"
#include "kernels.h"
#include "vmath.h"

/* H (N×I) · W (I×U) [+ b] into Z (allocated). */
GD_CLONES
static int dense_fwd(gd_tensor *z, const gd_tensor *h, const gd_nn_stage *s) {
  int64_t n = h->shape[0], in = h->shape[1], u = s->w->shape[1];
  int64_t shape[2] = {n, u};
  int rc = gd_tensor_alloc(z, 2, shape);
  if (rc) return rc;
  double *zd = gd_data(z);
  rc = gd_mm(n, u, in, gd_data(h), h->stride[0], h->stride[1], gd_data(s->w), s->w->stride[0],
             s->w->stride[1], zd, u);
  if (rc || !s->b) return rc;
  const double *b = gd_data(s->b);
  int64_t bs = s->b->stride[0];
  if (u == 1) {
    const double b0 = b[0];
    for (int64_t i = 0; i < n; i++) zd[i] += b0;
  } else {
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < u; j++) zd[i * u + j] += b[j * bs];
  }
  return GD_OK;
}

/* A = act(Z) (A allocated; linear shares Z). */
static int act_fwd(gd_tensor *a, gd_nn_act act, const gd_tensor *z) {
  if (act == GD_NN_LINEAR) {
    gd_tensor_share(a, z);
    return GD_OK;
  }
  int rc = gd_tensor_alloc(a, z->ndim, z->shape);
  if (rc) return rc;
  const double *x = gd_data(z);
  double *y = gd_data(a);
  int64_t n = (int64_t)z->numel;
  switch (act) {
    case GD_NN_RELU:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0.0);
      break;
    case GD_NN_SIGMOID: gd_vsigmoid(y, x, n); break;
    case GD_NN_SOFTMAX: {
      int64_t rows = z->shape[0], u = z->shape[1];
      for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * u;
        double *yr = y + r * u, m = -INFINITY;
        for (int64_t j = 0; j < u; j++) m = xr[j] > m ? xr[j] : m;
        for (int64_t j = 0; j < u; j++) yr[j] = xr[j] - m;
        gd_vexp(yr, yr, u);
        double s = gd_sum_line(yr, u, 1);
        for (int64_t j = 0; j < u; j++) yr[j] /= s;
      }
      break;
    }
    default: {   /* tanh, softplus: the elementwise kernels */
      gd_unop op = act == GD_NN_TANH ? GD_UN_TANH : GD_UN_SOFTPLUS;
      return gd_unary_into(a, op, z);
    }
  }
  return GD_OK;
}

/* dZ = dA ⊙ act′ in place on d (Z the input, A the output). */
GD_CLONES
static void act_bwd(double *d, gd_nn_act act, const gd_tensor *z, const gd_tensor *a) {
  int64_t n = (int64_t)z->numel;
  const double *x = gd_data(z), *y = gd_data(a);
  switch (act) {
    case GD_NN_LINEAR: break;
    case GD_NN_RELU: for (int64_t i = 0; i < n; i++) d[i] = x[i] > 0 ? d[i] : 0.0; break;
    case GD_NN_SIGMOID: for (int64_t i = 0; i < n; i++) d[i] *= y[i] * (1.0 - y[i]); break;
    case GD_NN_TANH: for (int64_t i = 0; i < n; i++) d[i] *= 1.0 - y[i] * y[i]; break;
    case GD_NN_SOFTPLUS: {
      double t[256];
      for (int64_t i0 = 0; i0 < n; i0 += 256) {
        int64_t m = n - i0 < 256 ? n - i0 : 256;
        gd_vsigmoid(t, x + i0, m);
        for (int64_t i = 0; i < m; i++) d[i0 + i] *= t[i];
      }
      break;
    }
    case GD_NN_SOFTMAX: {
      int64_t rows = z->shape[0], u = z->shape[1];
      for (int64_t r = 0; r < rows; r++) {
        double *dr = d + r * u, s = 0;
        const double *yr = y + r * u;
        for (int64_t j = 0; j < u; j++) s += dr[j] * yr[j];
        for (int64_t j = 0; j < u; j++) dr[j] = yr[j] * (dr[j] - s);
      }
      break;
    }
    default: break;
  }
}

/* Loss of logits z against y (bce or cce, see the header); d = ∂/∂z when non-NULL. */
GD_CLONES
static double logits_loss(gd_nn_loss loss, const gd_tensor *z, const gd_tensor *y, double *d) {
  int64_t n = (int64_t)z->numel, rows = z->shape[0], u = z->shape[1];
  const double *x = gd_data(z), *t = gd_data(y);
  double total = 0, buf[256], e[256];
  if (loss == GD_NN_BCE) {
    for (int64_t i0 = 0; i0 < n; i0 += 256) {
      int64_t m = n - i0 < 256 ? n - i0 : 256;
      const double *xi = x + i0, *ti = t + i0;
      for (int64_t i = 0; i < m; i++) e[i] = -fabs(xi[i]);
      gd_vexp(e, e, m);                            /* e = exp(−|z|) serves both */
      gd_vlog1p(buf, e, m);
      for (int64_t i = 0; i < m; i++) buf[i] += (xi[i] > 0 ? xi[i] : 0.0) - xi[i] * ti[i];
      total += gd_sum_line(buf, m, 1);
      if (d)                                       /* σ(z) = 1/(1 + e) for z ≥ 0, e/(1 + e) below */
        for (int64_t i = 0; i < m; i++)
          d[i0 + i] = ((xi[i] >= 0 ? 1.0 : e[i]) / (1.0 + e[i]) - ti[i]) / (double)n;
    }
    return total / (double)n;
  }
  for (int64_t r = 0; r < rows; r++) {           /* cce over rows of u classes */
    const double *xr = x + r * u, *tr = t + r * u;
    double mx = -INFINITY;
    for (int64_t j = 0; j < u; j++) mx = xr[j] > mx ? xr[j] : mx;
    double *ex = d ? d + r * u : buf;
    double row = 0, ysum = 0;
    for (int64_t j0 = 0; j0 < u; j0 += 256) {     /* e = exp(z − max), in chunks when d is NULL */
      int64_t m = u - j0 < 256 ? u - j0 : 256;
      double *ej = d ? ex + j0 : buf;
      for (int64_t j = 0; j < m; j++) ej[j] = xr[j0 + j] - mx;
      gd_vexp(ej, ej, m);
      row += gd_sum_line(ej, m, 1);
    }
    double lse = mx + log(row), acc = 0;
    for (int64_t j = 0; j < u; j++) {
      acc += tr[j] * (lse - xr[j]);
      ysum += tr[j];
    }
    total += acc;
    if (d)
      for (int64_t j = 0; j < u; j++) ex[j] = (ex[j] / row * ysum - tr[j]) / (double)rows;
  }
  return total / (double)rows;
}

/* Loss of outputs p against y (mse, or bce read from probabilities); d = ∂/∂p. */
GD_CLONES
static double output_loss(gd_nn_loss loss, const gd_tensor *p, const gd_tensor *y, double *d) {
  int64_t n = (int64_t)p->numel;
  const double *x = gd_data(p), *t = gd_data(y);
  double total = 0, buf[256];
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    int64_t m = n - i0 < 256 ? n - i0 : 256;
    const double *xi = x + i0, *ti = t + i0;
    if (loss == GD_NN_MSE) {
      for (int64_t i = 0; i < m; i++) {
        double r = ti[i] - xi[i];
        buf[i] = r * r;
        if (d) d[i0 + i] = -2.0 * r / (double)n;
      }
    } else {                    /* −(y log p̃ + (1 − y) log(1 − p̃)) */
      double lp[256], lq[256];
      for (int64_t i = 0; i < m; i++) {
        double c = xi[i] < GD_NN_EPS ? GD_NN_EPS : xi[i] > 1 - GD_NN_EPS ? 1 - GD_NN_EPS : xi[i];
        lp[i] = c;
        lq[i] = 1.0 - c;
      }
      if (d)
        for (int64_t i = 0; i < m; i++) {
          int inside = xi[i] > GD_NN_EPS && xi[i] < 1 - GD_NN_EPS;
          d[i0 + i] = inside ? (lp[i] - ti[i]) / (lp[i] * lq[i]) / (double)n : 0.0;
        }
      gd_vlog(lp, lp, m);
      gd_vlog(lq, lq, m);
      for (int64_t i = 0; i < m; i++) buf[i] = -(lq[i] + ti[i] * (lp[i] - lq[i]));
    }
    total += gd_sum_line(buf, m, 1);
  }
  return total / (double)n;
}

/* Release n tensors of an array. */
static void release_all(gd_tensor *t, int n) {
  for (int i = 0; i < n; i++) gd_tensor_release(&t[i]);
}

int gd_nn_step(const gd_nn_stage *st, int ns, gd_nn_loss loss, int from_logits,
               const gd_tensor *x, const gd_tensor *y, double *loss_out, gd_tensor *grads,
               gd_tensor *pred) {
  if (ns < 1 || ns > GD_NN_MAXSTAGE) return gd_seterr(GD_EARG, "1 to %d stages expected", GD_NN_MAXSTAGE);
  if (x->ndim != 2) return gd_seterr(GD_ESHAPE, "the input must be 2-d (rows × features)");
  gd_tensor z[GD_NN_MAXSTAGE], a[GD_NN_MAXSTAGE], d, dh, xc, yc;
  for (int i = 0; i < ns; i++) { gd_tensor_init(&z[i]); gd_tensor_init(&a[i]); }
  gd_tensor_init(&d);
  gd_tensor_init(&dh);
  gd_tensor_init(&xc);
  gd_tensor_init(&yc);
  int rc = GD_OK;
  if (!gd_is_contig(x)) {                           /* the kernels read flat arrays */
    if ((rc = gd_contiguous(&xc, x))) return rc;
    x = &xc;
  }
  if (!gd_is_contig(y)) {
    if ((rc = gd_contiguous(&yc, y))) { gd_tensor_release(&xc); return rc; }
    y = &yc;
  }
  gd_nn_act last = st[ns - 1].act;
  if (loss == GD_NN_MSE) from_logits = 0;
  int logits = from_logits || (loss == GD_NN_BCE && last == GD_NN_SIGMOID) ||
               (loss == GD_NN_CCE && last == GD_NN_SOFTMAX);
  int skip_last = logits && !from_logits && !pred;  /* the loss reads z: no need for σ(z) */
  for (int i = 0; i < ns && !rc; i++) {            /* forward */
    const gd_tensor *h = i ? &a[i - 1] : x;
    if (st[i].w) {
      if (h->shape[1] != st[i].w->shape[0])
        rc = gd_seterr(GD_ESHAPE, "layer %d expects %d features, its input has %d", i + 1,
                       (int)st[i].w->shape[0], (int)h->shape[1]);
      else rc = dense_fwd(&z[i], h, &st[i]);
    } else {
      gd_tensor_share(&z[i], h);
    }
    if (!rc && !(skip_last && i == ns - 1)) rc = act_fwd(&a[i], st[i].act, &z[i]);
  }
  const gd_tensor *out = skip_last ? &z[ns - 1] : &a[ns - 1];   /* same shape either way */
  const gd_tensor *lin = from_logits ? out : &z[ns - 1];   /* what the logits loss reads */
  if (!rc && !gd_shape_eq(y->ndim, y->shape, out->ndim, out->shape)) {
    char s1[64], s2[64];
    rc = gd_seterr(GD_ESHAPE, "targets of shape %s for outputs of shape %s",
                   gd_shape_str(s1, sizeof s1, y->ndim, y->shape),
                   gd_shape_str(s2, sizeof s2, out->ndim, out->shape));
  }
  if (!rc && loss == GD_NN_CCE && !logits)
    rc = gd_seterr(GD_EARG, "categorical_crossentropy needs a softmax output or from_logits");
  if (!rc && grads) rc = gd_tensor_alloc(&d, out->ndim, out->shape);
  if (!rc) {
    double *dd = grads ? gd_data(&d) : NULL;
    if (logits) {
      *loss_out = logits_loss(loss, lin, y, dd);
    } else {
      *loss_out = output_loss(loss, out, y, dd);
      if (dd) act_bwd(dd, last, &z[ns - 1], out);
    }
  }
  if (!rc && from_logits && grads && logits) act_bwd(gd_data(&d), last, &z[ns - 1], out);
  for (int i = ns - 1; i >= 0 && !rc && grads; i--) {   /* backward: d holds ∂L/∂z[i] */
    if (i < ns - 1) act_bwd(gd_data(&d), st[i].act, &z[i], &a[i]);
    if (!st[i].w) continue;
    const gd_tensor *h = i ? &a[i - 1] : x;
    int64_t n = h->shape[0], in = h->shape[1], u = st[i].w->shape[1];
    int64_t ws[2] = {in, u}, bs[1] = {u};
    rc = gd_tensor_alloc(&grads[2 * i], 2, ws);
    if (!rc)   /* ∂W = Hᵀ dZ */
      rc = gd_mm(in, u, n, gd_data(h), h->stride[1], h->stride[0], gd_data(&d), u, 1,
                 gd_data(&grads[2 * i]), u);
    if (!rc && st[i].b) {                               /* ∂b = Σ_rows dZ */
      rc = gd_tensor_alloc(&grads[2 * i + 1], 1, bs);
      if (!rc)   /* rows of dZ accumulated in memory order (reduce.c) */
        rc = gd_reduce_into(&grads[2 * i + 1], NULL, GD_RED_SUM, &d, 0, 0, 0);
    }
    int more = 0;                                       /* does a stage below need ∂H? */
    for (int k = 0; k < i; k++) more |= st[k].w != NULL;
    if (!rc && more) {                                  /* ∂H = dZ Wᵀ */
      int64_t hs[2] = {n, in};
      rc = gd_tensor_alloc(&dh, 2, hs);
      if (!rc)
        rc = gd_mm(n, in, u, gd_data(&d), u, 1, gd_data(st[i].w), st[i].w->stride[1],
                   st[i].w->stride[0], gd_data(&dh), in);
      gd_tensor_release(&d);
      d = dh;
      gd_tensor_init(&dh);
    } else if (!more) {
      break;
    }
  }
  if (!rc && pred) gd_tensor_share(pred, out);
  if (rc && grads)
    for (int i = 0; i < ns; i++) { gd_tensor_release(&grads[2 * i]); gd_tensor_release(&grads[2 * i + 1]); }
  release_all(z, ns);
  release_all(a, ns);
  gd_tensor_release(&d);
  gd_tensor_release(&dh);
  gd_tensor_release(&xc);
  gd_tensor_release(&yc);
  return rc;
}
