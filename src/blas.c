/* blas.c: matrix products on OpenBLAS (cblas): matmul, dot, outer.
 *
 * Legend: A is m×k, B is k×n, C = A·B is m×n; rs / cs are row / column
 * strides in doubles; ld is cblas's leading dimension.
 *
 * A strided matrix goes to cblas as it lies when one of its two strides is
 * 1: row-major (CblasNoTrans, ld = rs) or the transpose of a row-major
 * matrix (CblasTrans, ld = cs), so x.T costs nothing.  Only expanded or
 * doubly strided matrices are copied.  Tiny products (m·n·k <= MM_SMALL)
 * and products over k <= 2 (outer products, a 2-feature input layer) run a
 * plain loop instead: there cblas's call overhead and packing are most of
 * the time (a 10×2 design matrix multiplied 50,000 times).  A product of more
 * than 4·MM_SLAB multiply-adds runs in slabs of rows, checking Ctrl-C
 * (interrupt.h) between them.  This file does not
 * do batching of LAPACK work or autodiff; see linalg.c and tape.c.
 */
#include "blas.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "interrupt.h"
#include "kernels.h"
#include "vmath.h"   /* GD_CLONES */

#define MM_SMALL 512   /* m·n·k at or below which the plain loop is used */
#define MM_SLAB 1073741824.0   /* multiply-adds per interruptible slab of a long product (2^30) */

/* C = A·B by definition: C_ij = Σ_p A_ip B_pj, summed in order from 0.
 * The tiny shapes of a small-tensor loop (a column B, or k ≤ 2) have loops
 * of their own: the same sums, without the general loop's overhead.  Cloned
 * for AVX2 and AVX-512 (no contraction under -std=c11: the same bits). */
GD_CLONES static void mm_loop(int64_t m, int64_t n, int64_t k,
                    const double *A, int64_t rsa, int64_t csa,
                    const double *B, int64_t rsb, int64_t csb,
                    double *C, int64_t ldc) {
  if (k == 1 && n == 1) {                 /* a column times a number */
    const double b0 = B[0];
    for (int64_t i = 0; i < m; i++) C[i * ldc] = 0.0 + A[i * rsa] * b0;
    return;
  }
  if (k == 2 && n == 1) {
    const double b0 = B[0], b1 = B[rsb];
    for (int64_t i = 0; i < m; i++) C[i * ldc] = (0.0 + A[i * rsa] * b0) + A[i * rsa + csa] * b1;
    return;
  }
  if (k == 1) {                           /* outer product */
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) C[i * ldc + j] = 0.0 + A[i * rsa] * B[j * csb];
    return;
  }
  if (k == 2) {
    for (int64_t i = 0; i < m; i++) {
      const double a0 = A[i * rsa], a1 = A[i * rsa + csa];
      for (int64_t j = 0; j < n; j++) C[i * ldc + j] = (0.0 + a0 * B[j * csb]) + a1 * B[j * csb + rsb];
    }
    return;
  }
  if (n == 1) {                           /* matrix · column */
    for (int64_t i = 0; i < m; i++) {
      const double *a = A + i * rsa;
      double s = 0;
      for (int64_t p = 0; p < k; p++) s += a[p * csa] * B[p * rsb];
      C[i * ldc] = s;
    }
    return;
  }
  for (int64_t i = 0; i < m; i++) {
    const double *a = A + i * rsa;
    double *c = C + i * ldc;
    for (int64_t j = 0; j < n; j++) {
      const double *b = B + j * csb;
      double s = 0;
      for (int64_t p = 0; p < k; p++) s += a[p * csa] * b[p * rsb];
      c[j] = s;
    }
  }
}

/* How cblas can read a rows×cols matrix with strides (rs, cs): row-major
 * (NoTrans, ld = rs) or as the transpose of a row-major cols×rows matrix
 * (Trans, ld = cs).  The stride of a size-1 dim does not matter.  0 if
 * neither fits (expanded, doubly strided, or ld beyond blasint). */
static int blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                       CBLAS_TRANSPOSE *t, blasint *ld) {
  int64_t r1 = rows > 1 ? rows : 1, c1 = cols > 1 ? cols : 1, l;
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= c1)) {
    *t = CblasNoTrans;
    l = rows <= 1 ? c1 : rs;
  } else if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= r1)) {
    *t = CblasTrans;
    l = cols <= 1 ? r1 : cs;
  } else {
    return 0;
  }
  if (l > INT_MAX) return 0;
  *ld = (blasint)l;
  return 1;
}

/* t = a contiguous rows×cols copy of the strided matrix at p. */
static int copy_mat(gd_tensor *t, int64_t rows, int64_t cols, const double *p,
                    int64_t rs, int64_t cs) {
  int64_t shape[2] = {rows, cols};
  int rc = gd_tensor_alloc(t, 2, shape);
  if (rc) return rc;
  double *d = gd_data(t);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) d[i * cols + j] = p[i * rs + j * cs];
  return GD_OK;
}

int gd_mm(int64_t m, int64_t n, int64_t k,
          const double *A, int64_t rsa, int64_t csa,
          const double *B, int64_t rsb, int64_t csb,
          double *C, int64_t ldc) {
  if (m <= 0 || n <= 0) return GD_OK;
  if (k <= 0) {                                   /* empty sum */
    for (int64_t i = 0; i < m; i++) memset(C + i * ldc, 0, sizeof(double) * (size_t)n);
    return GD_OK;
  }
  if (k <= 2 || (m <= MM_SMALL && n <= MM_SMALL && k <= MM_SMALL && m * n * k <= MM_SMALL)) {
    mm_loop(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc);
    return GD_OK;
  }
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || (m > 1 && ldc > INT_MAX))
    return gd_seterr(GD_EARG, "matrix product %lld×%lld·%lld×%lld too large for BLAS",
                     (long long)m, (long long)k, (long long)k, (long long)n);
  gd_tensor ca, cb;                               /* copies, when needed */
  gd_tensor_init(&ca);
  gd_tensor_init(&cb);
  CBLAS_TRANSPOSE ta, tb;
  blasint lda, ldb;
  int rc = GD_OK;
  if (!blas_layout(m, k, rsa, csa, &ta, &lda)) {
    if ((rc = copy_mat(&ca, m, k, A, rsa, csa))) goto done;
    A = gd_data(&ca), rsa = k, csa = 1;
    blas_layout(m, k, rsa, csa, &ta, &lda);
  }
  if (!blas_layout(k, n, rsb, csb, &tb, &ldb)) {
    if ((rc = copy_mat(&cb, k, n, B, rsb, csb))) goto done;
    B = gd_data(&cb), rsb = n, csb = 1;
    blas_layout(k, n, rsb, csb, &tb, &ldb);
  }
  if (m == 1 && n == 1 && csa <= INT_MAX && rsb <= INT_MAX) {   /* a dot product: ddot, not gemv */
    C[0] = cblas_ddot((blasint)k, A, (blasint)csa, B, (blasint)rsb);
  } else if (n == 1) {      /* column c = A·b; b's elements rsb apart */
    blasint incb = k > 1 ? (blasint)rsb : 1, incc = m > 1 ? (blasint)ldc : 1;
    if (ta == CblasNoTrans)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, (blasint)m, (blasint)k, 1.0, A, lda, B, incb,
                  0.0, C, incc);
    else
      cblas_dgemv(CblasRowMajor, CblasTrans, (blasint)k, (blasint)m, 1.0, A, lda, B, incb,
                  0.0, C, incc);
  } else if (m == 1) {      /* row c = aᵀ·B, i.e. Bᵀ·a; a's elements csa apart */
    blasint inca = k > 1 ? (blasint)csa : 1;
    if (tb == CblasNoTrans)
      cblas_dgemv(CblasRowMajor, CblasTrans, (blasint)k, (blasint)n, 1.0, B, ldb, A, inca,
                  0.0, C, 1);
    else
      cblas_dgemv(CblasRowMajor, CblasNoTrans, (blasint)n, (blasint)k, 1.0, B, ldb, A, inca,
                  0.0, C, 1);
  } else {
    /* A long product runs in slabs of rows, so that Ctrl-C (interrupt.h)
     * stops it between two: each slab about MM_SLAB multiply-adds. */
    int64_t rows = m;
    double per_row = (double)n * (double)k;
    if ((double)m * per_row > 4.0 * MM_SLAB) {
      rows = (int64_t)(MM_SLAB / per_row);
      if (rows < 64) rows = 64;
    }
    for (int64_t i = 0; i < m; i += rows) {
      if (i > 0 && gd_interrupt_take()) {
        rc = gd_seterr(GD_EARG, "interrupted!");
        goto done;
      }
      int64_t r = m - i < rows ? m - i : rows;
      const double *Ai = ta == CblasNoTrans ? A + i * (int64_t)lda : A + i;   /* row i of op(A) */
      cblas_dgemm(CblasRowMajor, ta, tb, (blasint)r, (blasint)n, (blasint)k, 1.0, Ai, lda, B,
                  ldb, 0.0, C + i * ldc, (blasint)ldc);
    }
  }
done:
  gd_tensor_release(&ca);
  gd_tensor_release(&cb);
  return rc;
}

int gd_matmul(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  char sa[128], sb[128];
  int na = a->ndim, nb = b->ndim;
  if (na == 0 || nb == 0)
    return gd_seterr(GD_ESHAPE, "shapes %s and %s: a 0-d operand has no dims to multiply "
                     "(use * to scale)", gd_shape_str(sa, sizeof sa, na, a->shape),
                     gd_shape_str(sb, sizeof sb, nb, b->shape));
  /* a as (..., m, k), b as (..., k, n); a 1-D a is one row, a 1-D b one column */
  int64_t m = na >= 2 ? a->shape[na - 2] : 1, k = a->shape[na - 1];
  int64_t kb = nb >= 2 ? b->shape[nb - 2] : b->shape[0], n = nb >= 2 ? b->shape[nb - 1] : 1;
  if (k != kb)
    return gd_seterr(GD_ESHAPE, "shapes %s and %s do not align (%lld ≠ %lld)",
                     gd_shape_str(sa, sizeof sa, na, a->shape),
                     gd_shape_str(sb, sizeof sb, nb, b->shape), (long long)k, (long long)kb);
  int64_t rsa = na >= 2 ? a->stride[na - 2] : 0, csa = a->stride[na - 1];
  int64_t rsb = nb >= 2 ? b->stride[nb - 2] : b->stride[0], csb = nb >= 2 ? b->stride[nb - 1] : 0;

  /* batch dims: numpy broadcasting of everything before the matrix dims */
  int ba = na > 2 ? na - 2 : 0, bb = nb > 2 ? nb - 2 : 0, nbat = ba > bb ? ba : bb;
  int64_t bshape[GD_MAXDIM], stra[GD_MAXDIM], strb[GD_MAXDIM];
  for (int i = 0; i < nbat; i++) {
    int ia = i - (nbat - ba), ib = i - (nbat - bb);
    int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return gd_seterr(GD_ESHAPE, "shapes %s and %s: batch dims do not broadcast "
                       "(%lld vs %lld)", gd_shape_str(sa, sizeof sa, na, a->shape),
                       gd_shape_str(sb, sizeof sb, nb, b->shape), (long long)da, (long long)db);
    bshape[i] = da == 1 ? db : da;
    stra[i] = da == 1 ? 0 : a->stride[ia];
    strb[i] = db == 1 ? 0 : b->stride[ib];
  }
  int64_t oshape[GD_MAXDIM];
  int no = nbat;
  memcpy(oshape, bshape, sizeof(int64_t) * (size_t)nbat);
  if (na >= 2) oshape[no++] = m;
  if (nb >= 2) oshape[no++] = n;
  int rc = gd_tensor_alloc(out, no, oshape);
  if (rc) return rc;
  if (out->numel == 0) return GD_OK;

  const double *pa = gd_data(a), *pb = gd_data(b);
  double *pc = gd_data(out);
  size_t count = out->numel / (size_t)(m * n);

  /* b one matrix and a's rows evenly spaced across the batch: one product.
   * A single row has no row stride of its own; take the batch's. */
  if (bb == 0 && ba > 0) {
    if (m == 1)
      for (int i = nbat - 1; i >= 0; i--)
        if (bshape[i] != 1) { rsa = stra[i]; break; }
    int64_t step = m * rsa;
    int even = 1;
    for (int i = nbat - 1; i >= 0 && even; i--) {
      if (bshape[i] == 1) continue;
      even = stra[i] == step;
      step *= bshape[i];
    }
    if (even) {
      rc = gd_mm((int64_t)count * m, n, k, pa, rsa, csa, pb, rsb, csb, pc, n);
      if (rc) gd_tensor_release(out);
      return rc;
    }
  }

  int64_t idx[GD_MAXDIM] = {0};
  for (size_t c = 0; c < count; c++, pc += m * n) {
    rc = gd_mm(m, n, k, pa, rsa, csa, pb, rsb, csb, pc, n);
    if (rc) { gd_tensor_release(out); return rc; }
    for (int d = nbat - 1; d >= 0; d--) {       /* odometer over the batch */
      pa += stra[d], pb += strb[d];
      if (++idx[d] < bshape[d]) break;
      pa -= stra[d] * bshape[d], pb -= strb[d] * bshape[d];
      idx[d] = 0;
    }
  }
  return GD_OK;
}

int gd_dot(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  if (a->ndim < 1 || a->ndim > 2 || b->ndim < 1 || b->ndim > 2) {
    char sa[128], sb[128];
    return gd_seterr(GD_ESHAPE, "expected 1-D or 2-D tensors, got shapes %s and %s",
                     gd_shape_str(sa, sizeof sa, a->ndim, a->shape),
                     gd_shape_str(sb, sizeof sb, b->ndim, b->shape));
  }
  return gd_matmul(out, a, b);
}

/* t = x itself when contiguous (a view), else a contiguous copy. */
static int contig_view(gd_tensor *t, const gd_tensor *x) {
  if (gd_is_contig(x)) {
    gd_tensor_view(t, x);
    return GD_OK;
  }
  return gd_contiguous(t, x);
}

int gd_outer(gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  gd_tensor ca, cb;
  gd_tensor_init(&ca);
  gd_tensor_init(&cb);
  int64_t shape[2] = {(int64_t)a->numel, (int64_t)b->numel};
  int rc;
  if ((rc = contig_view(&ca, a)) || (rc = contig_view(&cb, b)) ||
      (rc = gd_tensor_alloc(out, 2, shape)))
    goto done;
  const double *x = gd_data(&ca), *y = gd_data(&cb);
  double *o = gd_data(out);
  for (int64_t i = 0; i < shape[0]; i++)
    for (int64_t j = 0; j < shape[1]; j++) o[i * shape[1] + j] = x[i] * y[j];
done:
  gd_tensor_release(&ca);
  gd_tensor_release(&cb);
  return rc;
}
