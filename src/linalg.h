/* linalg.h: decompositions and solvers on LAPACKE.
 *
 * Matrices are the last two dims of a tensor; leading dims are a batch
 * (numpy's stacked matrices), except for gd_lstsq, which takes one matrix.
 * Inputs may be any strided view; each matrix is copied into a row-major
 * work buffer for LAPACK.  Results are fresh contiguous tensors (empty on
 * failure).  NaN or Inf entries are refused with GD_EARG: LAPACK's answer
 * on them is undefined (an error, garbage or a hang, depending on routine).
 */
#ifndef GD_LINALG_H
#define GD_LINALG_H

#include "tensor.h"

/* out = A⁻¹ for A (..., n, n), by LU; GD_ESINGULAR if a pivot is exactly 0. */
int gd_inv(gd_tensor *out, const gd_tensor *A);

/* x = A⁻¹ b for A (..., n, n) and b (n) or (..., n, k); batch dims broadcast.
 * GD_ESINGULAR if A is singular. */
int gd_solve(gd_tensor *x, const gd_tensor *A, const gd_tensor *b);

/* x minimizing ‖A x − b‖₂ (least norm when A is rank deficient), by SVD
 * (gelsd): A (m, n), b (m) or (m, k); x (n) or (n, k).  Singular values
 * below rcond·σmax count as zero; rcond < 0 means eps·max(m, n) (numpy). */
int gd_lstsq(gd_tensor *x, const gd_tensor *A, const gd_tensor *b, double rcond);

/* out (..., n, m) = A⁺, the Moore-Penrose pseudo-inverse of A (..., m, n):
 * V diag(1/σ) Uᵀ over the singular values σ > rcond·σmax (numpy: 1e-15). */
int gd_pinv(gd_tensor *out, const gd_tensor *A, double rcond);

/* out = det A, batch-shaped (0-d for one matrix); 0 when A is singular. */
int gd_det(gd_tensor *out, const gd_tensor *A);

/* det A = sign · exp(logabs), batch-shaped; singular: sign 0, logabs −∞. */
int gd_slogdet(gd_tensor *sign, gd_tensor *logabs, const gd_tensor *A);

/* L lower triangular with A = L Lᵀ; only A's lower triangle is read (numpy).
 * GD_ESINGULAR if A is not positive definite. */
int gd_cholesky(gd_tensor *L, const gd_tensor *A);

/* A = V diag(w) Vᵀ for symmetric A (lower triangle read): w (..., n)
 * ascending, V (..., n, n) with the eigenvectors as columns (np.linalg.eigh). */
int gd_eigh(gd_tensor *w, gd_tensor *V, const gd_tensor *A);

/* A = U diag(S) Vt, reduced: U (..., m, r), S (..., r) descending,
 * Vt (..., r, n), r = min(m, n) (np.linalg.svd(A, full_matrices=False)). */
int gd_svd(gd_tensor *U, gd_tensor *S, gd_tensor *Vt, const gd_tensor *A);

/* A = Q R, reduced: Q (..., m, r) with orthonormal columns, R (..., r, n)
 * upper triangular, r = min(m, n) (np.linalg.qr, mode "reduced"). */
int gd_qr(gd_tensor *Q, gd_tensor *R, const gd_tensor *A);

#endif
