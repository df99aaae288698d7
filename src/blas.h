/* blas.h: matrix products on OpenBLAS (cblas): matmul, dot, outer.
 *
 * Legend: A is m×k, B is k×n, C = A·B is m×n; rs / cs are a matrix's row
 * and column strides in doubles.  Strided inputs (x.T, slices) are read in
 * place; results are fresh contiguous tensors.  Errors are GD_E* codes with
 * a message naming the shapes ("shapes {10,2} and {3,1} do not align").
 */
#ifndef GD_BLAS_H
#define GD_BLAS_H

#include "tensor.h"

/* C = A·B for strided A (m×k; rsa, csa) and B (k×n; rsb, csb) into C
 * (m×n, rows ldc apart, columns adjacent).  Tiny products use a plain loop;
 * others go to cblas as they lie (CblasTrans for transposed views), through
 * a copy only when neither layout fits.  GD_ENOMEM if that copy fails. */
int gd_mm(int64_t m, int64_t n, int64_t k,
          const double *A, int64_t rsa, int64_t csa,
          const double *B, int64_t rsb, int64_t csb,
          double *C, int64_t ldc);

/* out = a @ b as np.matmul: 1-D·1-D → 0-d; (m,k)@(k) → (m); (k)@(k,n) → (n);
 * (...,m,k)@(...,k,n) → (...,m,n) with numpy broadcasting of batch dims. */
int gd_matmul(gd_tensor *out, const gd_tensor *a, const gd_tensor *b);

/* out = Σ a_i b_i (0-d) for 1-D a and b; 2-D operands as gd_matmul (np.dot). */
int gd_dot(gd_tensor *out, const gd_tensor *a, const gd_tensor *b);

/* out (p×q) = a_i b_j over a and b flattened (np.outer). */
int gd_outer(gd_tensor *out, const gd_tensor *a, const gd_tensor *b);

#endif
