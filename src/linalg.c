/* linalg.c: inv, solve, lstsq, pinv, det, slogdet, cholesky, eigh, svd, qr
 * on LAPACKE.
 *
 * Every function has the same shape: check the shapes, allocate the
 * results (batch dims + matrix dims), then for each matrix of the batch
 * copy it into a buffer (a result's own slot when the routine works in
 * place, else scratch), checking it is finite on the way, call LAPACK and
 * unpack.  Scratch and LAPACK's work arrays live in gd tensors so that the
 * pool serves them (no fresh pages per call) and every path releases them.
 *
 * The hot routines use LAPACKE's column-major *_work entry points, which
 * neither transpose nor check for NaN, on a row-major buffer read as its
 * transpose: inv and det factor Aᵀ ((Aᵀ)⁻¹ read row-major is A⁻¹), solve
 * factors Aᵀ and finishes with two triangular solves on row-major b,
 * cholesky loads Aᵀ and factors its column-major lower triangle (A's
 * lower one), then transposes the factor.
 * eigh and svd load Aᵀ so that LAPACK factors A itself, as numpy does (the
 * same eigen- and singular vector signs), and transpose their outputs.
 * LAPACKE's own NaN check is off (LAPACKE_set_nancheck(0)): load checks once.
 * Legend: A is m×n (n×n when square), r = min(m, n), k = columns of b;
 * i counts matrices of the batch.  This file does not differentiate; the
 * tape's backward rules are built from these functions and matmul.
 */
#include "linalg.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "blas.h"
#include "kernels.h"

/* ---- batches and buffers ------------------------------------------------ */

/* The leading (batch) dims shared by one or two operands. */
typedef struct batch {
  int nd;                       /* batch dims */
  int64_t shape[GD_MAXDIM];
  size_t count;                 /* matrices in the batch */
} batch;

static void batch_count(batch *bt) {
  bt->count = 1;
  for (int d = 0; d < bt->nd; d++) bt->count *= (size_t)bt->shape[d];
}

/* bt = the batch dims of x: all but its last mdims. */
static void batch_of(batch *bt, const gd_tensor *x, int mdims) {
  bt->nd = x->ndim - mdims;
  memcpy(bt->shape, x->shape, sizeof(int64_t) * (size_t)bt->nd);
  batch_count(bt);
}

/* bt = numpy broadcast of the batch dims of x (all but mx) and y (all but my). */
static int batch_of2(batch *bt, const gd_tensor *x, int mx, const gd_tensor *y, int my) {
  if (gd_broadcast_shape(x->ndim - mx, x->shape, y->ndim - my, y->shape, &bt->nd, bt->shape)) {
    char sx[128], sy[128];
    return gd_seterr(GD_ESHAPE, "shapes %s and %s: batch dims do not broadcast",
                     gd_shape_str(sx, sizeof sx, x->ndim, x->shape),
                     gd_shape_str(sy, sizeof sy, y->ndim, y->shape));
  }
  batch_count(bt);
  return GD_OK;
}

/* First element of matrix i (row-major order over bt) of x, whose batch
 * dims (all but the last mdims) broadcast to bt. */
static const double *mat_at(const gd_tensor *x, int mdims, const batch *bt, size_t i) {
  const double *p = gd_data(x);
  int xb = x->ndim - mdims;
  for (int d = bt->nd - 1; d >= 0; d--) {
    int64_t j = (int64_t)(i % (size_t)bt->shape[d]);
    i /= (size_t)bt->shape[d];
    int xd = d - (bt->nd - xb);
    if (xd >= 0 && x->shape[xd] != 1) p += j * x->stride[xd];
  }
  return p;
}

/* t = a fresh tensor of shape bt + (r, c) (nm = 0, 1 or 2 of them). */
static int alloc_batch(gd_tensor *t, const batch *bt, int nm, int64_t r, int64_t c) {
  int64_t shape[GD_MAXDIM + 2];
  memcpy(shape, bt->shape, sizeof(int64_t) * (size_t)bt->nd);
  if (nm >= 1) shape[bt->nd] = r;
  if (nm >= 2) shape[bt->nd + 1] = c;
  return gd_tensor_alloc(t, bt->nd + nm, shape);
}

/* n doubles of scratch held by t (NULL with the error set on failure). */
static double *scratch(gd_tensor *t, size_t n) {
  int64_t shape[1] = {(int64_t)(n > 0 ? n : 1)};
  return gd_tensor_alloc(t, 1, shape) ? NULL : gd_data(t);
}

/* n lapack_ints of scratch held by t (pool blocks are aligned for doubles). */
static lapack_int *iscratch(gd_tensor *t, size_t n) {
  return (lapack_int *)scratch(t, (n * sizeof(lapack_int) + sizeof(double) - 1) / sizeof(double));
}

/* Bit 63 of the result is set if x is NaN or ±Inf: an all-ones exponent
 * plus one carries out of it.  Or'ed over a row it stays an integer
 * reduction, which the compiler vectorizes (a sum of x·0 would be a chain
 * of dependent adds, 4 cycles an element). */
static inline uint64_t nonfinite_bit(double x) {
  const uint64_t expo = 0x7ff0000000000000u;
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return (u & expo) + 0x0010000000000000u;
}

/* d[i·ds + j] = p[i + j·ps] for i < rows, j < cols: a transposed copy, in
 * 32-row bands of 2×2 blocks, so that every read takes two doubles of a
 * line (one double a line, the old tiled loop, took 2.5× as long at
 * n = 100 to 500).  Returns the entries' nonfinite bits, or'ed. */
static uint64_t copy_t(double *d, int64_t ds, const double *p, int64_t ps, int64_t rows,
                       int64_t cols) {
  enum { BAND = 32 };
  uint64_t bad = 0;
  int64_t r2 = rows & ~(int64_t)1, c2 = cols & ~(int64_t)1;
  for (int64_t i0 = 0; i0 < r2; i0 += BAND) {
    int64_t i1 = i0 + BAND < r2 ? i0 + BAND : r2;
    for (int64_t j = 0; j < c2; j += 2)
      for (int64_t i = i0; i < i1; i += 2) {
        const double *q = p + i + j * ps;
        double *o = d + i * ds + j;
        double a00 = q[0], a10 = q[1], a01 = q[ps], a11 = q[ps + 1];
        o[0] = a00, o[1] = a01, o[ds] = a10, o[ds + 1] = a11;
        bad |= nonfinite_bit(a00) | nonfinite_bit(a01) | nonfinite_bit(a10) | nonfinite_bit(a11);
      }
  }
  for (int64_t i = 0; i < rows; i++)          /* the odd last column and row */
    for (int64_t j = i < r2 ? c2 : 0; j < cols; j++) {
      d[i * ds + j] = p[i + j * ps];
      bad |= nonfinite_bit(d[i * ds + j]);
    }
  return bad;
}

/* dst (rows×cols, row-major) = the matrix at p with strides (rs, cs);
 * with (rs, cs) = (1, rows) that is the transpose of a row-major cols×rows
 * matrix (or a column-major one read row-major), copied by copy_t; other
 * strided sources go in 32×32 tiles.
 * GD_EARG if an entry is NaN or Inf. */
static int load(double *dst, const double *p, int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  enum { TILE = 32 };
  uint64_t bad = 0;
  if (cs == 1) {
    for (int64_t i = 0; i < rows; i++) {
      const double *row = p + i * rs;
      double *d = dst + i * cols;
      for (int64_t j = 0; j < cols; j++) { d[j] = row[j]; bad |= nonfinite_bit(row[j]); }
    }
  } else if (rs == 1) {
    bad = copy_t(dst, cols, p, cs, rows, cols);
  } else {
    for (int64_t i0 = 0; i0 < rows; i0 += TILE) {
      int64_t i1 = i0 + TILE < rows ? i0 + TILE : rows;
      for (int64_t j0 = 0; j0 < cols; j0 += TILE) {
        int64_t j1 = j0 + TILE < cols ? j0 + TILE : cols;
        for (int64_t i = i0; i < i1; i++) {
          const double *row = p + i * rs;
          double *d = dst + i * cols;
          for (int64_t j = j0; j < j1; j++) { d[j] = row[j * cs]; bad |= nonfinite_bit(d[j]); }
        }
      }
    }
  }
  if (bad >> 63) return gd_seterr(GD_EARG, "matrix has NaN or Inf entries");
  return GD_OK;
}

/* a (n×n, row-major) = its strictly upper triangle moved to the strictly
 * lower one, transposed, and zeros above the diagonal: a column-major
 * lower factor read row-major.  By 32×32 tiles: off the diagonal copy_t
 * moves a tile whole. */
static void lower_from_upper(double *a, int64_t n) {
  enum { T = 32 };
  for (int64_t i0 = 0; i0 < n; i0 += T) {     /* tile rows of the lower triangle */
    int64_t ti = n - i0 < T ? n - i0 : T;
    for (int64_t j0 = 0; j0 < i0; j0 += T) {  /* (i0, j0) below the diagonal, from (j0, i0) */
      copy_t(a + i0 * n + j0, n, a + j0 * n + i0, n, ti, T);
      for (int64_t r = j0; r < j0 + T; r++) memset(a + r * n + i0, 0, sizeof(double) * (size_t)ti);
    }
    for (int64_t i = i0; i < i0 + ti; i++)    /* the diagonal tile */
      for (int64_t j = i + 1; j < i0 + ti; j++) {
        a[j * n + i] = a[i * n + j];
        a[i * n + j] = 0;
      }
  }
}

/* Once per process: LAPACKE's NaN check off (load has checked every input). */
static void lapack_setup(void) {
  static int done;
  if (!done) {
    LAPACKE_set_nancheck(0);
    done = 1;
  }
}

/* ---- work arrays --------------------------------------------------------- */

/* The work sizes LAPACK asked for, by routine and shape: a workspace query
 * is a call of its own, so each shape is asked once and the last few kept
 * (the answer depends only on the routine, the options and the shape).
 * Not thread-safe, as the pool is not. */
enum { LWORK_CACHE = 8 };
typedef struct lwork_entry {
  char routine;                 /* 0: empty; 'i' getri, 'e' syevd, 's' gesdd */
  lapack_int m, n, lwork, liwork;
} lwork_entry;
static lwork_entry lwork_cache[LWORK_CACHE];
static unsigned lwork_next;

static const lwork_entry *lwork_find(char routine, lapack_int m, lapack_int n) {
  for (int i = 0; i < LWORK_CACHE; i++) {
    const lwork_entry *e = &lwork_cache[i];
    if (e->routine == routine && e->m == m && e->n == n) return e;
  }
  return NULL;
}

static const lwork_entry *lwork_put(char routine, lapack_int m, lapack_int n, double lwork,
                                    lapack_int liwork) {
  lwork_entry *e = &lwork_cache[lwork_next++ % LWORK_CACHE];
  e->routine = routine;
  e->m = m;
  e->n = n;
  e->lwork = lwork >= 1 && lwork < 2147483647.0 ? (lapack_int)lwork : 1;
  e->liwork = liwork >= 1 ? liwork : 1;
  return e;
}

/* ---- checks and errors --------------------------------------------------- */

static int need_matrix(const gd_tensor *A) {
  char s[128];
  if (A->ndim < 2)
    return gd_seterr(GD_ESHAPE, "expected a matrix (2-D, or a batch of them), got shape %s",
                     gd_shape_str(s, sizeof s, A->ndim, A->shape));
  int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1];
  if ((int64_t)(lapack_int)m != m || (int64_t)(lapack_int)n != n)
    return gd_seterr(GD_EARG, "matrix of shape %s is too large for LAPACK",
                     gd_shape_str(s, sizeof s, A->ndim, A->shape));
  return GD_OK;
}

static int need_square(const gd_tensor *A) {
  int rc = need_matrix(A);
  if (rc) return rc;
  if (A->shape[A->ndim - 2] != A->shape[A->ndim - 1]) {
    char s[128];
    return gd_seterr(GD_ESHAPE, "expected a square matrix, got shape %s",
                     gd_shape_str(s, sizeof s, A->ndim, A->shape));
  }
  return GD_OK;
}

/* "what", naming the matrix when there is a batch (1-based, row-major). */
static int bad_matrix(int code, const batch *bt, size_t i, const char *what) {
  if (bt->count > 1) return gd_seterr(code, "%s (batch item %zu)", what, i + 1);
  return gd_seterr(code, "%s", what);
}

/* A negative info from LAPACKE: out of memory, or an argument we got wrong. */
static int lapack_fail(const char *routine, lapack_int info) {
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
    return gd_seterr(GD_ENOMEM, "not enough memory for LAPACK %s", routine);
  return gd_seterr(GD_EARG, "LAPACK %s failed (info %d)", routine, (int)info);
}

#define ROWS(A) ((A)->shape[(A)->ndim - 2])
#define COLS(A) ((A)->shape[(A)->ndim - 1])
#define RS(A) ((A)->stride[(A)->ndim - 2])
#define CS(A) ((A)->stride[(A)->ndim - 1])

/* ---- inverse and linear systems ---------------------------------------- */

int gd_inv(gd_tensor *out, const gd_tensor *A) {
  int rc = need_square(A);
  if (rc) return rc;
  lapack_int n = (lapack_int)COLS(A);
  batch bt;
  batch_of(&bt, A, 2);
  gd_tensor tp;
  gd_tensor_init(&tp);
  if ((rc = alloc_batch(out, &bt, 2, n, n))) return rc;
  gd_tensor tw;
  gd_tensor_init(&tw);
  lapack_int *ipiv = iscratch(&tp, (size_t)n);
  if (!ipiv) { rc = GD_ENOMEM; goto fail; }
  const lwork_entry *lw = n > 0 ? lwork_find('i', n, n) : NULL;
  if (n > 0 && !lw) {
    double q = 0;
    lapack_int info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, n, NULL, n, ipiv, &q, -1);
    if (info < 0) { rc = lapack_fail("dgetri", info); goto fail; }
    lw = lwork_put('i', n, n, q, 1);
  }
  double *work = n > 0 ? scratch(&tw, (size_t)lw->lwork) : NULL;
  if (n > 0 && !work) { rc = GD_ENOMEM; goto fail; }
  for (size_t i = 0; i < bt.count && n > 0; i++) {
    double *a = gd_data(out) + i * (size_t)n * (size_t)n;      /* (n, n): Aᵀ column-major */
    if ((rc = load(a, mat_at(A, 2, &bt, i), n, n, RS(A), CS(A)))) goto fail;
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, a, n, ipiv);
    if (info == 0) info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, n, a, n, ipiv, work, lw->lwork);
    if (info > 0) { rc = bad_matrix(GD_ESINGULAR, &bt, i, "matrix is singular"); goto fail; }
    if (info < 0) { rc = lapack_fail("dgetri", info); goto fail; }
  }
  gd_tensor_release(&tp);
  gd_tensor_release(&tw);
  return GD_OK;
fail:
  gd_tensor_release(&tp);
  gd_tensor_release(&tw);
  gd_tensor_release(out);
  return rc;
}

int gd_solve(gd_tensor *x, const gd_tensor *A, const gd_tensor *b) {
  int rc = need_square(A);
  if (rc) return rc;
  char sa[128], sb[128];
  int vec = b->ndim == 1;                       /* b (n) or b (..., n, k) */
  if (b->ndim == 0)
    return gd_seterr(GD_ESHAPE, "shapes %s and %s: b must be a vector (n) or matrices (..., n, k)",
                     gd_shape_str(sa, sizeof sa, A->ndim, A->shape),
                     gd_shape_str(sb, sizeof sb, b->ndim, b->shape));
  int mb = vec ? 1 : 2;
  lapack_int n = (lapack_int)COLS(A);
  int64_t nb = vec ? b->shape[0] : ROWS(b), k = vec ? 1 : COLS(b);
  int64_t rsb = vec ? b->stride[0] : RS(b), csb = vec ? 1 : CS(b);
  if (nb != n)
    return gd_seterr(GD_ESHAPE, "shapes %s and %s do not align (%lld ≠ %lld)",
                     gd_shape_str(sa, sizeof sa, A->ndim, A->shape),
                     gd_shape_str(sb, sizeof sb, b->ndim, b->shape), (long long)n, (long long)nb);
  if ((int64_t)(lapack_int)k != k) return gd_seterr(GD_EARG, "too many right-hand sides for LAPACK");
  batch bt;
  if ((rc = batch_of2(&bt, A, 2, b, mb))) return rc;
  gd_tensor ta, tp;
  gd_tensor_init(&ta);
  gd_tensor_init(&tp);
  if ((rc = alloc_batch(x, &bt, mb, n, k))) return rc;
  double *a = scratch(&ta, (size_t)n * (size_t)n);             /* (n, n) */
  lapack_int *ipiv = iscratch(&tp, (size_t)n);
  if (!a || !ipiv) { rc = GD_ENOMEM; goto fail; }
  for (size_t i = 0; i < bt.count && n > 0 && k > 0; i++) {
    double *xi = gd_data(x) + i * (size_t)n * (size_t)k;      /* (n, k): b, then x */
    if ((rc = load(a, mat_at(A, 2, &bt, i), n, n, RS(A), CS(A))) ||
        (rc = load(xi, mat_at(b, mb, &bt, i), n, k, rsb, csb)))
      goto fail;
    /* a read column-major is Aᵀ; getrf gives P Aᵀ = L U, so A = Uᵀ Lᵀ P,
     * and a read row-major holds Uᵀ (lower, with the diagonal) and Lᵀ
     * (strictly upper, unit diagonal): x = Pᵀ Lᵀ⁻¹ Uᵀ⁻¹ b */
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, a, n, ipiv);
    if (info > 0) { rc = bad_matrix(GD_ESINGULAR, &bt, i, "matrix is singular"); goto fail; }
    if (info < 0) { rc = lapack_fail("dgetrf", info); goto fail; }
    if (k == 1) {              /* trsv: OpenBLAS's trsm packs, ~8 µs more at n = 100 */
      cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, a, n, xi, 1);
      cblas_dtrsv(CblasRowMajor, CblasUpper, CblasNoTrans, CblasUnit, n, a, n, xi, 1);
    } else {
      cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n,
                  (blasint)k, 1.0, a, n, xi, (blasint)k);
      cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasUnit, n,
                  (blasint)k, 1.0, a, n, xi, (blasint)k);
    }
    for (lapack_int r = n - 1; r >= 0; r--) {                  /* Pᵀ: the swaps, last first */
      lapack_int q = ipiv[r] - 1;
      if (q == r) continue;
      double *u = xi + (size_t)r * (size_t)k, *v = xi + (size_t)q * (size_t)k;
      for (int64_t c = 0; c < k; c++) { double t = u[c]; u[c] = v[c]; v[c] = t; }
    }
  }
  gd_tensor_release(&ta);
  gd_tensor_release(&tp);
  return GD_OK;
fail:
  gd_tensor_release(&ta);
  gd_tensor_release(&tp);
  gd_tensor_release(x);
  return rc;
}

int gd_lstsq(gd_tensor *x, const gd_tensor *A, const gd_tensor *b, double rcond) {
  char sa[128], sb[128];
  if (A->ndim != 2 || b->ndim < 1 || b->ndim > 2)
    return gd_seterr(GD_ESHAPE, "shapes %s and %s: expected A (m, n) and b (m) or (m, k)",
                     gd_shape_str(sa, sizeof sa, A->ndim, A->shape),
                     gd_shape_str(sb, sizeof sb, b->ndim, b->shape));
  int rc = need_matrix(A);
  if (rc) return rc;
  int vec = b->ndim == 1;
  lapack_int m = (lapack_int)A->shape[0], n = (lapack_int)A->shape[1];
  int64_t k = vec ? 1 : b->shape[1];
  if (b->shape[0] != m)
    return gd_seterr(GD_ESHAPE, "shapes %s and %s do not align (%lld ≠ %lld)",
                     gd_shape_str(sa, sizeof sa, A->ndim, A->shape),
                     gd_shape_str(sb, sizeof sb, b->ndim, b->shape), (long long)m,
                     (long long)b->shape[0]);
  if ((int64_t)(lapack_int)k != k) return gd_seterr(GD_EARG, "too many right-hand sides for LAPACK");
  int64_t xshape[2] = {n, k};
  if ((rc = gd_tensor_alloc(x, vec ? 1 : 2, xshape))) return rc;
  if (x->numel == 0) return GD_OK;
  if (m == 0) { gd_fill(x, 0.0); return GD_OK; }               /* no equations: x = 0 */
  lapack_int r = m < n ? m : n, mx = m > n ? m : n;
  if (rcond < 0) rcond = DBL_EPSILON * mx;
  lapack_setup();
  gd_tensor ta, tb, ts;
  gd_tensor_init(&ta);
  gd_tensor_init(&tb);
  gd_tensor_init(&ts);
  double *a = scratch(&ta, (size_t)m * (size_t)n);                /* (m, n) */
  double *bb = scratch(&tb, (size_t)mx * (size_t)k);              /* (max(m, n), k) */
  double *s = scratch(&ts, (size_t)r);                            /* (r) */
  if (!a || !bb || !s) { rc = GD_ENOMEM; goto done; }
  if ((rc = load(a, gd_data(A), m, n, A->stride[0], A->stride[1])) ||
      (rc = load(bb, gd_data(b), m, k, b->stride[0], vec ? 1 : b->stride[1])))
    goto done;
  /* rows m..max(m, n) are output space: defined values, whatever reads them */
  if (mx > m) memset(bb + (size_t)m * (size_t)k, 0, sizeof(double) * (size_t)(mx - m) * (size_t)k);
  lapack_int rank, info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, m, n, (lapack_int)k, a, n, bb,
                                         (lapack_int)k, s, rcond, &rank);
  if (info > 0) { rc = gd_seterr(GD_EARG, "SVD did not converge"); goto done; }
  if (info < 0) { rc = lapack_fail("dgelsd", info); goto done; }
  memcpy(gd_data(x), bb, sizeof(double) * (size_t)n * (size_t)k);  /* first n rows */
done:
  gd_tensor_release(&ta);
  gd_tensor_release(&tb);
  gd_tensor_release(&ts);
  if (rc) gd_tensor_release(x);
  return rc;
}

/* ---- determinants -------------------------------------------------------- */

/* LU of the n×n matrix in a (overwritten): det = Π u_ii · (−1)^swaps, and
 * the same as sign · exp(logabs).  A zero pivot gives 0, 0, −∞. */
static int lu_det(double *a, lapack_int n, lapack_int *ipiv, double *det, double *sign,
                  double *logabs) {
  /* a read column-major is Aᵀ: the same determinant, and the same diagonal */
  lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, a, n, ipiv);
  if (info < 0) return lapack_fail("dgetrf", info);
  if (info > 0) { *det = 0; *sign = 0; *logabs = -INFINITY; return GD_OK; }
  double d = 1, sg = 1, la = 0;
  for (lapack_int i = 0; i < n; i++) {
    double u = a[(size_t)i * (size_t)n + (size_t)i];
    d *= u;
    la += log(fabs(u));
    if (u < 0) sg = -sg;
    if (ipiv[i] != i + 1) { d = -d; sg = -sg; }
  }
  *det = d, *sign = sg, *logabs = la;
  return GD_OK;
}

/* det into *det_out and/or sign, logabs into the others (any may be NULL). */
static int dets(gd_tensor *det_out, gd_tensor *sign_out, gd_tensor *log_out, const gd_tensor *A) {
  int rc = need_square(A);
  if (rc) return rc;
  lapack_int n = (lapack_int)COLS(A);
  batch bt;
  batch_of(&bt, A, 2);
  gd_tensor ta, tp;
  gd_tensor_init(&ta);
  gd_tensor_init(&tp);
  if ((det_out && (rc = alloc_batch(det_out, &bt, 0, 0, 0))) ||
      (sign_out && (rc = alloc_batch(sign_out, &bt, 0, 0, 0))) ||
      (log_out && (rc = alloc_batch(log_out, &bt, 0, 0, 0))))
    goto fail;
  double *a = scratch(&ta, (size_t)n * (size_t)n);             /* (n, n) */
  lapack_int *ipiv = iscratch(&tp, (size_t)n);
  if (!a || !ipiv) { rc = GD_ENOMEM; goto fail; }
  for (size_t i = 0; i < bt.count; i++) {
    double d = 1, sg = 1, la = 0;                              /* det of 0×0 is 1 */
    if (n > 0) {
      if ((rc = load(a, mat_at(A, 2, &bt, i), n, n, RS(A), CS(A))) ||
          (rc = lu_det(a, n, ipiv, &d, &sg, &la)))
        goto fail;
    }
    if (det_out) gd_data(det_out)[i] = d;
    if (sign_out) gd_data(sign_out)[i] = sg;
    if (log_out) gd_data(log_out)[i] = la;
  }
  gd_tensor_release(&ta);
  gd_tensor_release(&tp);
  return GD_OK;
fail:
  gd_tensor_release(&ta);
  gd_tensor_release(&tp);
  if (det_out) gd_tensor_release(det_out);
  if (sign_out) gd_tensor_release(sign_out);
  if (log_out) gd_tensor_release(log_out);
  return rc;
}

int gd_det(gd_tensor *out, const gd_tensor *A) { return dets(out, NULL, NULL, A); }

int gd_slogdet(gd_tensor *sign, gd_tensor *logabs, const gd_tensor *A) {
  return dets(NULL, sign, logabs, A);
}

/* ---- factorizations ------------------------------------------------------ */

int gd_cholesky(gd_tensor *L, const gd_tensor *A) {
  int rc = need_square(A);
  if (rc) return rc;
  lapack_int n = (lapack_int)COLS(A);
  batch bt;
  batch_of(&bt, A, 2);
  if ((rc = alloc_batch(L, &bt, 2, n, n))) return rc;
  for (size_t i = 0; i < bt.count && n > 0; i++) {
    double *a = gd_data(L) + i * (size_t)n * (size_t)n;        /* (n, n), in place */
    /* a holds Aᵀ row-major, that is A column-major, whose lower triangle
     * is A's own.  OpenBLAS factors 'L' ~25% faster than 'U' (n = 100 to
     * 500): that pays for transposing the factor, which 'U' would not need. */
    if ((rc = load(a, mat_at(A, 2, &bt, i), n, n, CS(A), RS(A)))) goto fail;
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, a, n);
    if (info > 0) {
      rc = bad_matrix(GD_ESINGULAR, &bt, i, "matrix is not positive definite");
      goto fail;
    }
    if (info < 0) { rc = lapack_fail("dpotrf", info); goto fail; }
    lower_from_upper(a, n);
  }
  return GD_OK;
fail:
  gd_tensor_release(L);
  return rc;
}

int gd_eigh(gd_tensor *w, gd_tensor *V, const gd_tensor *A) {
  int rc = need_square(A);
  if (rc) return rc;
  lapack_int n = (lapack_int)COLS(A);
  batch bt;
  batch_of(&bt, A, 2);
  gd_tensor ta, tw, ti;
  gd_tensor_init(&ta);
  gd_tensor_init(&tw);
  gd_tensor_init(&ti);
  if ((rc = alloc_batch(w, &bt, 1, n, 0)) || (rc = alloc_batch(V, &bt, 2, n, n))) goto fail;
  if (n == 0) return GD_OK;
  const lwork_entry *lw = lwork_find('e', n, n);
  if (!lw) {
    double q = 0;
    lapack_int iq = 0;
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', n, NULL, n, NULL, &q, -1,
                                          &iq, -1);
    if (info < 0) { rc = lapack_fail("dsyevd", info); goto fail; }
    lw = lwork_put('e', n, n, q, iq);
  }
  double *a = scratch(&ta, (size_t)n * (size_t)n);             /* (n, n): A, then V, column-major */
  double *work = scratch(&tw, (size_t)lw->lwork);
  lapack_int *iwork = iscratch(&ti, (size_t)lw->liwork);
  if (!a || !work || !iwork) { rc = GD_ENOMEM; goto fail; }
  for (size_t i = 0; i < bt.count; i++) {
    if ((rc = load(a, mat_at(A, 2, &bt, i), n, n, CS(A), RS(A)))) goto fail;   /* Aᵀ */
    lapack_int info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', n, a, n,
                                          gd_data(w) + i * (size_t)n, work, lw->lwork,
                                          iwork, lw->liwork);
    if (info > 0) {
      rc = bad_matrix(GD_EARG, &bt, i, "eigenvalue computation did not converge");
      goto fail;
    }
    if (info < 0) { rc = lapack_fail("dsyevd", info); goto fail; }
    load(gd_data(V) + i * (size_t)n * (size_t)n, a, n, n, 1, n);
  }
  gd_tensor_release(&ta);
  gd_tensor_release(&tw);
  gd_tensor_release(&ti);
  return GD_OK;
fail:
  gd_tensor_release(&ta);
  gd_tensor_release(&tw);
  gd_tensor_release(&ti);
  gd_tensor_release(w);
  gd_tensor_release(V);
  return rc;
}

/* Work space of svd_one for m×n matrices (every buffer column-major). */
typedef struct svd_ws {
  lapack_int m, n, r;
  gd_tensor t[6];               /* the holders of the buffers below */
  double *a;                    /* (m, n): A */
  double *u, *vt;               /* (m, r), (r, n) */
  double *work;                 /* (lwork) */
  lapack_int *iwork;            /* (8 r) */
  double *superb;               /* (r), for the gesvd fallback */
  lapack_int lwork;
} svd_ws;

static void svd_ws_release(svd_ws *ws) {
  for (int i = 0; i < 6; i++) gd_tensor_release(&ws->t[i]);
}

/* Allocate ws for m×n, r = min(m, n) > 0 (released by svd_ws_release, also on failure). */
static int svd_ws_init(svd_ws *ws, lapack_int m, lapack_int n) {
  lapack_int r = m < n ? m : n;
  ws->m = m, ws->n = n, ws->r = r;
  for (int i = 0; i < 6; i++) gd_tensor_init(&ws->t[i]);
  const lwork_entry *lw = lwork_find('s', m, n);
  if (!lw) {
    double q = 0;
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', m, n, NULL, m, NULL, NULL, m,
                                          NULL, r, &q, -1, NULL);
    if (info < 0) return lapack_fail("dgesdd", info);
    lw = lwork_put('s', m, n, q, 8 * r);
  }
  ws->lwork = lw->lwork;
  ws->a = scratch(&ws->t[0], (size_t)m * (size_t)n);
  ws->u = scratch(&ws->t[1], (size_t)m * (size_t)r);
  ws->vt = scratch(&ws->t[2], (size_t)r * (size_t)n);
  ws->work = scratch(&ws->t[3], (size_t)lw->lwork);
  ws->iwork = iscratch(&ws->t[4], (size_t)lw->liwork);
  ws->superb = scratch(&ws->t[5], (size_t)r);
  if (!ws->a || !ws->u || !ws->vt || !ws->work || !ws->iwork || !ws->superb) return GD_ENOMEM;
  return GD_OK;
}

/* Reduced SVD of the m×n matrix at p (strides rs, cs): s (r), u (m, r)
 * and vt (r, n) row-major.  gesdd (divide and conquer, as numpy) on A
 * itself, falling back to gesvd when it does not converge. */
static int svd_one(svd_ws *ws, const double *p, int64_t rs, int64_t cs, double *s, double *u,
                   double *vt) {
  lapack_int m = ws->m, n = ws->n, r = ws->r;
  int rc = load(ws->a, p, n, m, cs, rs);                       /* Aᵀ row-major: A column-major */
  if (rc) return rc;
  lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', m, n, ws->a, m, s, ws->u, m,
                                        ws->vt, r, ws->work, ws->lwork, ws->iwork);
  if (info > 0) {
    lapack_setup();
    load(ws->a, p, n, m, cs, rs);
    info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', m, n, ws->a, m, s, ws->u, m, ws->vt, r,
                          ws->superb);
  }
  if (info > 0) return gd_seterr(GD_EARG, "SVD did not converge");
  if (info < 0) return lapack_fail("dgesdd", info);
  load(u, ws->u, m, r, 1, m);                                  /* column-major → row-major */
  load(vt, ws->vt, r, n, 1, r);
  return GD_OK;
}

int gd_svd(gd_tensor *U, gd_tensor *S, gd_tensor *Vt, const gd_tensor *A) {
  int rc = need_matrix(A);
  if (rc) return rc;
  lapack_int m = (lapack_int)ROWS(A), n = (lapack_int)COLS(A), r = m < n ? m : n;
  batch bt;
  batch_of(&bt, A, 2);
  svd_ws ws;
  if ((rc = alloc_batch(U, &bt, 2, m, r)) || (rc = alloc_batch(S, &bt, 1, r, 0)) ||
      (rc = alloc_batch(Vt, &bt, 2, r, n)))
    goto fail0;
  if (r == 0) return GD_OK;
  if ((rc = svd_ws_init(&ws, m, n))) goto fail;
  for (size_t i = 0; i < bt.count; i++) {
    rc = svd_one(&ws, mat_at(A, 2, &bt, i), RS(A), CS(A), gd_data(S) + i * (size_t)r,
                 gd_data(U) + i * (size_t)m * (size_t)r, gd_data(Vt) + i * (size_t)r * (size_t)n);
    if (rc) goto fail;
  }
  svd_ws_release(&ws);
  return GD_OK;
fail:
  svd_ws_release(&ws);
fail0:
  gd_tensor_release(U);
  gd_tensor_release(S);
  gd_tensor_release(Vt);
  return rc;
}

int gd_pinv(gd_tensor *out, const gd_tensor *A, double rcond) {
  int rc = need_matrix(A);
  if (rc) return rc;
  lapack_int m = (lapack_int)ROWS(A), n = (lapack_int)COLS(A), r = m < n ? m : n;
  batch bt;
  batch_of(&bt, A, 2);
  if ((rc = alloc_batch(out, &bt, 2, n, m))) return rc;
  if (out->numel == 0) return GD_OK;
  svd_ws ws;
  gd_tensor tu, ts, tv;
  gd_tensor_init(&tu);
  gd_tensor_init(&ts);
  gd_tensor_init(&tv);
  if ((rc = svd_ws_init(&ws, m, n))) goto done;
  double *u = scratch(&tu, (size_t)m * (size_t)r);             /* (m, r) */
  double *s = scratch(&ts, (size_t)r);                         /* (r) */
  double *vt = scratch(&tv, (size_t)r * (size_t)n);            /* (r, n) */
  if (!u || !s || !vt) { rc = GD_ENOMEM; goto done; }
  for (size_t i = 0; i < bt.count; i++) {
    if ((rc = svd_one(&ws, mat_at(A, 2, &bt, i), RS(A), CS(A), s, u, vt))) goto done;
    double cut = rcond * s[0];                                 /* s descending */
    for (lapack_int p = 0; p < r; p++) {                       /* u ← U diag(1/σ) */
      double inv = s[p] > cut ? 1.0 / s[p] : 0.0;
      for (lapack_int q = 0; q < m; q++) u[(size_t)q * (size_t)r + (size_t)p] *= inv;
    }
    /* A⁺ (n, m) = Vtᵀ (n, r) · uᵀ (r, m) */
    if ((rc = gd_mm(n, m, r, vt, 1, n, u, 1, r, gd_data(out) + i * (size_t)n * (size_t)m, m)))
      goto done;
  }
done:
  svd_ws_release(&ws);
  gd_tensor_release(&tu);
  gd_tensor_release(&ts);
  gd_tensor_release(&tv);
  if (rc) gd_tensor_release(out);
  return rc;
}

int gd_qr(gd_tensor *Q, gd_tensor *R, const gd_tensor *A) {
  int rc = need_matrix(A);
  if (rc) return rc;
  lapack_int m = (lapack_int)ROWS(A), n = (lapack_int)COLS(A), r = m < n ? m : n;
  batch bt;
  batch_of(&bt, A, 2);
  gd_tensor ta, tt;
  gd_tensor_init(&ta);
  gd_tensor_init(&tt);
  if ((rc = alloc_batch(Q, &bt, 2, m, r)) || (rc = alloc_batch(R, &bt, 2, r, n))) goto fail;
  if (r == 0) return GD_OK;
  double *a = scratch(&ta, (size_t)m * (size_t)n);             /* (m, n) */
  double *tau = scratch(&tt, (size_t)r);                       /* (r) */
  if (!a || !tau) { rc = GD_ENOMEM; goto fail; }
  for (size_t i = 0; i < bt.count; i++) {
    if ((rc = load(a, mat_at(A, 2, &bt, i), m, n, RS(A), CS(A)))) goto fail;
    lapack_setup();
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, a, n, tau);
    if (info < 0) { rc = lapack_fail("dgeqrf", info); goto fail; }
    double *ri = gd_data(R) + i * (size_t)r * (size_t)n;       /* R: upper triangle of a */
    for (lapack_int p = 0; p < r; p++)
      for (lapack_int q = 0; q < n; q++)
        ri[(size_t)p * (size_t)n + (size_t)q] = q >= p ? a[(size_t)p * (size_t)n + (size_t)q] : 0;
    info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, r, r, a, n, tau);   /* Q in a's first r columns */
    if (info < 0) { rc = lapack_fail("dorgqr", info); goto fail; }
    double *qi = gd_data(Q) + i * (size_t)m * (size_t)r;
    for (lapack_int p = 0; p < m; p++)
      memcpy(qi + (size_t)p * (size_t)r, a + (size_t)p * (size_t)n, sizeof(double) * (size_t)r);
  }
  gd_tensor_release(&ta);
  gd_tensor_release(&tt);
  return GD_OK;
fail:
  gd_tensor_release(&ta);
  gd_tensor_release(&tt);
  gd_tensor_release(Q);
  gd_tensor_release(R);
  return rc;
}
