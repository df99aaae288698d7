/* tensor.h: n-d float64 tensors over refcounted, pooled storage.
 *
 * A tensor is a header (shape, strides, offset) over a storage block.
 * Views share the storage and bump its refcount.  This layer knows nothing
 * of Lua: errors are returned as GD_E* codes with a message in gd_errmsg().
 * Legend: n = numel, d = ndim (0..GD_MAXDIM), dims are 0-based here; the
 * bindings translate Lua's 1-based, negative-from-the-end numbers.
 */
#ifndef GD_TENSOR_H
#define GD_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define GD_MAXDIM 8

/* gd_tensor.flags */
#define GD_T_TRAINABLE 1u      /* a trainable Variable: every tape watches it */

enum gd_status {
  GD_OK = 0,
  GD_ENOMEM,   /* allocation failed */
  GD_ESHAPE,   /* shapes do not fit */
  GD_EARG,     /* bad argument value */
  GD_ESINGULAR /* matrix is singular / not positive definite */
};

typedef struct gd_storage {
  double *data;      /* cap doubles */
  size_t cap;        /* capacity in doubles */
  int refs;          /* holders: tensors and views */
  unsigned version;  /* bumped by in-place writes (for the tape) */
  unsigned borrowed; /* 1: not pooled (inline in a userdata, or on the C stack):
                        whoever keeps it past a call must copy it */
} gd_storage;

typedef struct gd_tensor {
  gd_storage *st;              /* NULL: empty (safe, unallocated) */
  size_t off;                  /* offset into st->data, in doubles */
  size_t numel;                /* product of shape */
  int ndim;
  unsigned flags;              /* GD_T_* */
  uint64_t id;                 /* identity on gradient tapes; 0: none */
  int64_t shape[GD_MAXDIM];
  int64_t stride[GD_MAXDIM];   /* in doubles; 0 for expanded dims */
} gd_tensor;

/* Last error message, set by any failing gd_* call. */
const char *gd_errmsg(void);
/* Set the error message (printf-style) and return code. */
int gd_seterr(int code, const char *fmt, ...);

/* Bytes allocated for storage since the last call (for the GC's pacing). */
size_t gd_alloc_take_debt(void);
/* Count bytes allocated elsewhere (tapes) toward the collector's pacing. */
void gd_alloc_add_debt(size_t bytes);
/* Empty the pool of freed buffers (returns bytes released). */
size_t gd_pool_trim(void);

/* First element's address: x->st->data + x->off. */
static inline double *gd_data(const gd_tensor *x) { return x->st->data + x->off; }

/* Make t an empty (unallocated) tensor. */
void gd_tensor_init(gd_tensor *t);
/* Allocate fresh contiguous storage of the given shape (values undefined). */
int gd_tensor_alloc(gd_tensor *t, int ndim, const int64_t *shape);
/* Release t's storage reference; t becomes empty.  Idempotent. */
void gd_tensor_release(gd_tensor *t);
/* t becomes a view sharing x's storage (same shape/strides), a new
 * tensor for the tapes (id 0, no flags). */
void gd_tensor_view(gd_tensor *t, const gd_tensor *x);
/* t becomes another reference to x itself (the same id and flags). */
void gd_tensor_share(gd_tensor *t, const gd_tensor *x);
/* Set row-major contiguous strides for t's shape; returns numel. */
size_t gd_contig_strides(int ndim, const int64_t *shape, int64_t *stride);
/* 1 if t is row-major contiguous. */
int gd_is_contig(const gd_tensor *t);
/* Validate a shape: each dim >= 0, numel fits memory; sets numel. */
int gd_shape_check(int ndim, const int64_t *shape, size_t *numel);
/* Format a shape as {a,b,c} into buf. */
const char *gd_shape_str(char *buf, size_t len, int ndim, const int64_t *shape);
/* 1 if two shapes are equal. */
int gd_shape_eq(int na, const int64_t *a, int nb, const int64_t *b);
/* numpy broadcast of a and b into out (ndim *nout); GD_ESHAPE if impossible. */
int gd_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b,
                       int *nout, int64_t *out);
/* Strides that read x as if it had shape (ndim, shape) by broadcasting. */
void gd_broadcast_strides(const gd_tensor *x, int ndim, const int64_t *shape,
                          int64_t *stride);
/* t = a reference to x's value that may outlive the caller's: a view of
 * pooled storage, or a private copy of borrowed storage.  Keeps x's id. */
int gd_tensor_retain(gd_tensor *t, const gd_tensor *x);
/* Mark x's storage as written (bumps the version). */
static inline void gd_touch(gd_tensor *x) { if (x->st) x->st->version++; }

/* Element of x at multi-index idx (0-based). */
double gd_get(const gd_tensor *x, const int64_t *idx);

/* Strided iteration: up to GD_ITER_MAXOPS operands over a common shape.
 * Adjacent dims are merged where every operand allows it, so contiguous
 * data becomes a single flat loop. */
#define GD_ITER_MAXOPS 4
typedef struct gd_iter {
  int nops, ndim;
  int64_t shape[GD_MAXDIM];
  int64_t stride[GD_ITER_MAXOPS][GD_MAXDIM];
} gd_iter;

/* Prepare an iteration of nops operands with the given strides over shape. */
void gd_iter_init(gd_iter *it, int nops, int ndim, const int64_t *shape,
                  const int64_t *const *strides);
/* Inner-loop callback: n elements, base pointers and strides per operand. */
typedef void (*gd_iter_fn)(void *ctx, int64_t n, double **p, const int64_t *s);
/* Run fn over the iteration; base[k] is operand k's first element. */
void gd_iter_run(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx);

/* The odometer over dims [0, outer): step the pointers p to the next
 * position (cnt holds the counters, zero at the start); 0 when all are done. */
static inline int gd_iter_step(const gd_iter *it, int outer, int64_t *cnt, double **p) {
  for (int i = outer - 1; i >= 0; i--) {
    for (int k = 0; k < it->nops; k++) p[k] += it->stride[k][i];
    if (++cnt[i] < it->shape[i]) return 1;
    for (int k = 0; k < it->nops; k++) p[k] -= it->stride[k][i] * it->shape[i];
    cnt[i] = 0;
  }
  return 0;
}

#endif
