/* tensor.c: storage pool, tensor headers, shapes, broadcasting, iteration.
 *
 * Storage blocks are one allocation: a gd_storage header followed by the
 * data.  Freed blocks go to a size-class pool (4 classes per power of two)
 * so that large temporaries reuse memory instead of page-faulting on fresh
 * mmap'd pages.  The pool is bounded; past the bound blocks are freed.
 * Blocks of 4 MiB and more are mapped directly, 2 MiB aligned, with
 * MADV_HUGEPAGE: a first touch then faults once per 2 MiB, not per 4 KiB
 * (on virtual machines a 4 KiB fault costs microseconds).
 */
#define _DEFAULT_SOURCE 1   /* MADV_HUGEPAGE */
#include "tensor.h"

#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static char errbuf[512];
static int errcode;

const char *gd_errmsg(void) { return errcode ? errbuf : "no error"; }

int gd_seterr(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  va_end(ap);
  errcode = code;
  return code;
}

/* ---- the pool ---------------------------------------------------------- */

/* Header bytes before the data: a cache line, so that data starts on one
 * (blocks are 64-byte aligned) and vector loads and the non-temporal stores
 * of transposes do not straddle lines. */
#define HDR 64
#define BLOCK_ALIGN 64
_Static_assert(sizeof(gd_storage) <= HDR, "storage header fits");
#define NCLASS 256
#define POOL_MAX ((size_t)768 << 20)  /* bytes kept at most */

typedef struct block { struct block *next; } block;

static block *pool[NCLASS];
static size_t pooled_bytes, debt_bytes;

/* Size class of a request of n doubles, and that class's capacity. */
static int size_class(size_t n, size_t *cap) {
  if (n <= 32) {                      /* 8-double steps up to 32 doubles */
    size_t c = (n + 7) / 8;
    *cap = c * 8;
    return (int)c;                    /* classes 0..4 */
  }
  int e = 0;                          /* 2^e <= n-1 < 2^(e+1) */
  size_t m = n - 1;
  while (m >> (e + 1)) e++;
  size_t q = (size_t)1 << (e - 2);    /* quarter of the power of two */
  size_t k = ((n - 1) >> (e - 2)) + 1; /* 5..8 quarters */
  *cap = k * q;
  return 5 + (e - 5) * 4 + (int)(k - 5);
}

static size_t block_bytes(size_t cap) { return HDR + cap * sizeof(double); }

#define HUGE_MIN ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

static size_t map_bytes(size_t bytes) { return (bytes + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1); }

/* A fresh block: a 64-byte aligned malloc, or a 2 MiB aligned huge-page mapping when large. */
static void *block_alloc(size_t bytes) {
  if (bytes < HUGE_MIN) return aligned_alloc(BLOCK_ALIGN, (bytes + BLOCK_ALIGN - 1) & ~(BLOCK_ALIGN - 1));
  size_t len = map_bytes(bytes);
  char *p = mmap(NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  uintptr_t a = ((uintptr_t)p + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1);
  size_t head = a - (uintptr_t)p, tail = HUGE_ALIGN - head;
  if (head) munmap(p, head);
  if (tail) munmap((char *)a + len, tail);
#ifdef MADV_HUGEPAGE
  madvise((void *)a, len, MADV_HUGEPAGE);
#endif
  return (void *)a;
}

static void block_free(void *b, size_t bytes) {
  if (bytes < HUGE_MIN) free(b);
  else munmap(b, map_bytes(bytes));
}

static gd_storage *storage_new(size_t n) {
  size_t cap;
  int c = size_class(n, &cap);
  if (cap > (SIZE_MAX - HDR) / sizeof(double)) return NULL;
  size_t bytes = block_bytes(cap);
  block *b = NULL;
  if (c < NCLASS && pool[c]) {
    b = pool[c];
    pool[c] = b->next;
    pooled_bytes -= bytes;
  } else {
    b = block_alloc(bytes);
    if (!b) {                         /* give the pool back and retry once */
      gd_pool_trim();
      b = block_alloc(bytes);
      if (!b) return NULL;
    }
  }
  /* Every block counts toward the collector's pacing: the userdata that
   * owns a block is a 168-byte header with a finalizer, and finalized
   * objects take two cycles to go, so an uncounted 200-500 byte block let
   * a loop of small results pile up ~100 MiB before the collector ran. */
  debt_bytes += bytes;
  gd_storage *s = (gd_storage *)b;
  s->data = (double *)((char *)b + HDR);
  s->cap = cap;
  s->refs = 1;
  s->version = 0;
  s->borrowed = 0;
  return s;
}

static void storage_free(gd_storage *s) {
  size_t cap;
  int c = size_class(s->cap, &cap);
  size_t bytes = block_bytes(cap);
  if (c < NCLASS && pooled_bytes + bytes <= POOL_MAX) {
    block *b = (block *)s;
    b->next = pool[c];
    pool[c] = b;
    pooled_bytes += bytes;
  } else {
    block_free(s, bytes);
  }
}

size_t gd_pool_trim(void) {
  size_t released = pooled_bytes;
  for (int c = 0; c < NCLASS; c++) {
    while (pool[c]) {
      block *b = pool[c];
      pool[c] = b->next;
      block_free(b, block_bytes(((gd_storage *)b)->cap));
    }
  }
  pooled_bytes = 0;
  return released;
}

void gd_alloc_add_debt(size_t bytes) { debt_bytes += bytes; }

size_t gd_alloc_take_debt(void) {
  size_t d = debt_bytes;
  debt_bytes = 0;
  return d;
}

/* ---- headers ----------------------------------------------------------- */

void gd_tensor_init(gd_tensor *t) {
  t->st = NULL;     /* shape/stride entries past ndim are never read */
  t->off = 0;
  t->numel = 1;
  t->ndim = 0;
  t->flags = 0;
  t->id = 0;
}

size_t gd_contig_strides(int ndim, const int64_t *shape, int64_t *stride) {
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i] > 0 ? shape[i] : 1;
  }
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
  return n;
}

/* The error of a shape whose element count passes the limit (out of line:
 * gd_shape_check runs on every op). */
static int shape_too_large(int ndim, const int64_t *shape) {
  char s[200];
  return gd_seterr(GD_ENOMEM, "shape %s too large (more than 2^43 elements)",
                   gd_shape_str(s, sizeof s, ndim, shape));
}

int gd_shape_check(int ndim, const int64_t *shape, size_t *numel) {
  if (ndim < 0 || ndim > GD_MAXDIM)
    return gd_seterr(GD_EARG, "%d dimensions (at most %d)", ndim, GD_MAXDIM);
  /* The product of the nonzero sizes is bounded too (a dim of 0 does not
   * make {2^40, 2^40, 0} harmless: its strides would overflow). */
  const size_t limit = ((size_t)1 << 46) / sizeof(double);
  size_t nz = 1;
  int zero = 0;
  for (int i = 0; i < ndim; i++) {
    size_t d = (size_t)shape[i];
    if (d - 1 >= limit) {             /* 0, negative or too large: the rare cases */
      if (shape[i] < 0)
        return gd_seterr(GD_EARG, "negative size %lld in dim %d", (long long)shape[i], i + 1);
      if (d == 0) {
        zero = 1;
        continue;
      }
      return shape_too_large(ndim, shape);
    }
    if (__builtin_mul_overflow(nz, d, &nz) || nz > limit) return shape_too_large(ndim, shape);
  }
  *numel = zero ? 0 : nz;
  return GD_OK;
}

int gd_tensor_alloc(gd_tensor *t, int ndim, const int64_t *shape) {
  size_t n;
  int rc = gd_shape_check(ndim, shape, &n);
  if (rc) return rc;
  gd_storage *s = storage_new(n);
  if (!s) return gd_seterr(GD_ENOMEM, "not enough memory for %zu elements", n);
  if (gd_cp_tracing) gd_cp_born(s);          /* gd.compile: made during a trace */
  gd_tensor_release(t);
  t->st = s;
  t->off = 0;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
  t->numel = gd_contig_strides(ndim, shape, t->stride);
  return GD_OK;
}

void gd_tensor_release(gd_tensor *t) {
  if (t->st && !t->st->borrowed && --t->st->refs == 0) storage_free(t->st);
  t->st = NULL;
}

void gd_tensor_share(gd_tensor *t, const gd_tensor *x) {
  if (t == x) return;
  if (x->st && !x->st->borrowed) x->st->refs++;   /* borrowed: its owner keeps it */
  gd_tensor_release(t);
  *t = *x;
}

void gd_tensor_view(gd_tensor *t, const gd_tensor *x) {
  if (t == x) return;
  gd_tensor_share(t, x);
  t->id = 0;        /* a new tensor as far as the tapes know */
  t->flags = 0;
}

int gd_tensor_retain(gd_tensor *t, const gd_tensor *x) {
  if (!x->st->borrowed) {
    gd_tensor_share(t, x);
    return GD_OK;
  }
  gd_tensor c;
  gd_tensor_init(&c);
  int rc = gd_tensor_alloc(&c, x->ndim, x->shape);
  if (rc) return rc;
  double *o = gd_data(&c);
  if (gd_is_contig(x)) {
    memcpy(o, gd_data(x), sizeof(double) * x->numel);
  } else {
    int64_t idx[GD_MAXDIM] = {0};
    for (size_t k = 0; k < x->numel; k++) {     /* borrowed data is small */
      o[k] = gd_get(x, idx);
      for (int i = x->ndim - 1; i >= 0 && ++idx[i] == x->shape[i]; i--) idx[i] = 0;
    }
  }
  c.id = x->id;
  c.flags = x->flags;
  gd_tensor_release(t);
  *t = c;
  return GD_OK;
}

int gd_is_contig(const gd_tensor *t) {
  int64_t s = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->shape[i] != 1 && t->stride[i] != s) return 0;
    s *= t->shape[i];
  }
  return 1;
}

const char *gd_shape_str(char *buf, size_t len, int ndim, const int64_t *shape) {
  size_t k = 0;
  k += (size_t)snprintf(buf + k, len - k, "{");
  for (int i = 0; i < ndim && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, i ? ",%lld" : "%lld", (long long)shape[i]);
  if (k < len) snprintf(buf + k, len - k, "}");
  return buf;
}

int gd_shape_eq(int na, const int64_t *a, int nb, const int64_t *b) {
  if (na != nb) return 0;
  for (int i = 0; i < na; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

int gd_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b,
                       int *nout, int64_t *out) {
  int n = na > nb ? na : nb;
  for (int i = 0; i < n; i++) {
    int ia = na - n + i, ib = nb - n + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      char sa[128], sb[128];
      return gd_seterr(GD_ESHAPE, "shapes %s and %s do not broadcast (dim %d: %lld vs %lld)",
                       gd_shape_str(sa, sizeof sa, na, a), gd_shape_str(sb, sizeof sb, nb, b),
                       i + 1, (long long)da, (long long)db);
    }
    out[i] = da == 1 ? db : da;
  }
  *nout = n;
  size_t numel;
  return gd_shape_check(n, out, &numel);
}

void gd_broadcast_strides(const gd_tensor *x, int ndim, const int64_t *shape,
                          int64_t *stride) {
  for (int i = 0; i < ndim; i++) {
    int ix = x->ndim - ndim + i;
    stride[i] = (ix >= 0 && x->shape[ix] == shape[i] && shape[i] != 1) ? x->stride[ix] : 0;
  }
}

double gd_get(const gd_tensor *x, const int64_t *idx) {
  const double *p = gd_data(x);
  for (int i = 0; i < x->ndim; i++) p += idx[i] * x->stride[i];
  return *p;
}

/* ---- iteration --------------------------------------------------------- */

void gd_iter_init(gd_iter *it, int nops, int ndim, const int64_t *shape,
                  const int64_t *const *strides) {
  it->nops = nops;
  int d = 0;
  for (int i = 0; i < ndim; i++) {        /* drop size-1 dims */
    if (shape[i] == 1) continue;
    it->shape[d] = shape[i];
    for (int k = 0; k < nops; k++) it->stride[k][d] = strides[k][i];
    d++;
  }
  for (int i = 0; i < ndim; i++)
    if (shape[i] == 0) { d = 1; it->shape[0] = 0; break; }
  if (d == 0) {                           /* a scalar: one element */
    it->shape[0] = 1;
    for (int k = 0; k < nops; k++) it->stride[k][0] = 0;
    d = 1;
  }
  /* merge dim i into i+1 when stride[i] == shape[i+1]*stride[i+1] for all */
  int m = 0;
  for (int i = 1; i < d; i++) {
    int ok = 1;
    for (int k = 0; k < nops; k++)
      if (it->stride[k][m] != it->shape[i] * it->stride[k][i]) { ok = 0; break; }
    if (ok) {
      it->shape[m] *= it->shape[i];
      for (int k = 0; k < nops; k++) it->stride[k][m] = it->stride[k][i];
    } else {
      m++;
      it->shape[m] = it->shape[i];
      for (int k = 0; k < nops; k++) it->stride[k][m] = it->stride[k][i];
    }
  }
  it->ndim = m + 1;
}

void gd_iter_run(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx) {
  int d = it->ndim, nops = it->nops;
  int64_t n = it->shape[d - 1];
  if (n == 0) return;
  int64_t s[GD_ITER_MAXOPS], cnt[GD_MAXDIM] = {0};
  double *p[GD_ITER_MAXOPS];
  for (int k = 0; k < nops; k++) { s[k] = it->stride[k][d - 1]; p[k] = base[k]; }
  for (;;) {
    fn(ctx, n, p, s);
    if (!gd_iter_step(it, d - 1, cnt, p)) return;   /* the outer dims */
  }
}
