/* kernels.h: elementwise maps, broadcasting binary ops and reductions.
 *
 * Every kernel has a contiguous fast path (vectorizable flat loop) and a
 * strided path; broadcasting follows numpy.  Large ones split across the
 * worker threads of threads.c, with results independent of the split.
 * Outputs passed as `out` are allocated here unless the name ends in _into
 * (then out must already have the result's shape; it may be one of the
 * inputs for in-place updates).
 */
#ifndef GD_KERNELS_H
#define GD_KERNELS_H

#include "tensor.h"

typedef enum gd_binop {
  GD_BIN_ADD, GD_BIN_SUB, GD_BIN_MUL, GD_BIN_DIV, GD_BIN_POW, GD_BIN_MOD,
  GD_BIN_MAX, GD_BIN_MIN, GD_BIN_LT, GD_BIN_LE, GD_BIN_GT, GD_BIN_GE,
  GD_BIN_EQ, GD_BIN_NE, GD_BIN_COUNT
} gd_binop;

typedef enum gd_unop {
  GD_UN_NEG, GD_UN_EXP, GD_UN_LOG, GD_UN_LOG1P, GD_UN_EXPM1, GD_UN_SQRT,
  GD_UN_ABS, GD_UN_SIN, GD_UN_COS, GD_UN_TAN, GD_UN_TANH, GD_UN_SIGMOID,
  GD_UN_RELU, GD_UN_SOFTPLUS, GD_UN_SIGN, GD_UN_FLOOR, GD_UN_CEIL,
  GD_UN_ROUND, GD_UN_SQUARE, GD_UN_COPY,
  GD_UN_ERF, GD_UN_ERFC, GD_UN_LGAMMA, GD_UN_DIGAMMA, GD_UN_TRIGAMMA,
  GD_UN_LOG10, GD_UN_LOG2,
  GD_UN_COUNT
} gd_unop;

typedef enum gd_redop {
  GD_RED_SUM, GD_RED_MEAN, GD_RED_VAR, GD_RED_STD, GD_RED_MAX, GD_RED_MIN,
  GD_RED_PROD, GD_RED_LOGSUMEXP, GD_RED_NORM, GD_RED_ARGMAX, GD_RED_ARGMIN,
  GD_RED_COUNT
} gd_redop;

/* Name of a binary / unary / reduction op ("add", "exp", "sum"). */
const char *gd_binop_name(gd_binop op);
const char *gd_unop_name(gd_unop op);
const char *gd_redop_name(gd_redop op);

/* Scalar versions: z = a op b, y = op(x). */
double gd_binop_scalar(gd_binop op, double a, double b);
double gd_unop_scalar(gd_unop op, double x);

/* out = a op b with numpy broadcasting (out allocated). */
int gd_binary(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
/* out = a op b where out already has the broadcast shape. */
int gd_binary_into(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
/* The flat case of gd_binary_into: out, a, b contiguous; a and b each of
 * out's shape or 0-d (the caller has checked; op valid). */
void gd_binary_flat(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
/* The loop gd_binary_flat (gd_unary_into on contiguous operands of one
 * shape) runs for op over n elements when n is below every thread count's
 * split size, else NULL: callers that replay one op many times (gd.compile)
 * call it directly, fn(NULL, n, {out, a, b}, {1, sa, sb}) with sa, sb = 1,
 * or 0 for a 0-d operand, then gd_touch(out). */
gd_iter_fn gd_binary_loop(gd_binop op, int64_t n);
gd_iter_fn gd_unary_loop(gd_unop op, int64_t n);
/* out = op(x) (out allocated, same shape). */
int gd_unary(gd_tensor *out, gd_unop op, const gd_tensor *x);
/* out = op(x) where out already has x's shape. */
int gd_unary_into(gd_tensor *out, gd_unop op, const gd_tensor *x);
/* out = c != 0 ? a : b, all three broadcast. */
int gd_where(gd_tensor *out, const gd_tensor *c, const gd_tensor *a, const gd_tensor *b);
/* out = x < lo ? lo : x, then > hi ? hi (gd.clip's value, scalar bounds; ±inf for none). */
int gd_clip_scalar(gd_tensor *out, const gd_tensor *x, double lo, double hi);
/* dst[...] = src broadcast to dst's shape (dst may be a strided view). */
int gd_copy_into(gd_tensor *dst, const gd_tensor *src);
/* out = contiguous copy of x. */
int gd_contiguous(gd_tensor *out, const gd_tensor *x);
/* Every element of t = v. */
void gd_fill(gd_tensor *t, double v);

/* ---- reductions (reduce.c) ---------------------------------------------- */

/* Reduce x over dim (0-based; -1 = all elements) with op; ddof for var/std.
 * keepdim keeps the reduced dim with size 1.  For max/min, idx (if not
 * NULL) receives the 0-based positions as doubles. */
int gd_reduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
              int dim, int keepdim, double ddof);

/* Shape of the reduction of x over dim (-1: all) into (*nd, shape). */
int gd_reduce_shape(const gd_tensor *x, int dim, int keepdim, int *nd, int64_t *shape);
/* gd_reduce into preallocated out (and idx) of the reduction's shape. */
int gd_reduce_into(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x,
                   int dim, int keepdim, double ddof);
/* *count = the number of elements of x that are not 0 (NaN counts), one pass. */
int gd_count_nonzero(const gd_tensor *x, int64_t *count);

/* Pairwise sum of n doubles at stride s (error O(log n · ε)). */
double gd_sum_line(const double *x, int64_t n, int64_t s);

#endif
