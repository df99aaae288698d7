/* sort.c: stable sorting along a dim, unique values and histograms, with
 * numpy's semantics (NaN sorts last; histogram bins as numpy.histogram).
 *
 * A lane of n doubles is sorted through 64-bit keys whose unsigned order is
 * the numeric order (sign bit flipped for positives, all bits for negatives;
 * every NaN is the largest key, -0 is +0).  Long lanes go through an LSD
 * radix sort, 11 bits a pass, skipping the passes where every key has the
 * same digit; radix sorting is stable by construction.  Short lanes use an
 * insertion sort on the same keys.  Descending order complements the
 * non-NaN keys, so equal values still keep their order and NaN stays last.
 * No tape, no Lua here.
 */
#include "arrays.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "shape.h"

#define RADIX_BITS 8              /* 256 buckets: few pages written at once (TLB) */
#define RADIX (1u << RADIX_BITS)
#define PASSES 8                  /* 64 / 8 */
#define SHORT_LANE 48             /* insertion sort up to this length */

/* The order-preserving key of v (see the header comment). */
static inline uint64_t key_of(double v, int descending) {
  if (v != v) return UINT64_MAX;
  if (v == 0) v = 0.0;            /* -0 sorts as +0 */
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  uint64_t k = (u >> 63) ? ~u : u | (1ull << 63);
  return descending ? ~k : k;
}

/* The value of a non-NaN key (key_of's inverse, -0 aside). */
static inline double value_of(uint64_t k, int descending) {
  if (descending) k = ~k;
  uint64_t u = (k >> 63) ? k & ~(1ull << 63) : ~k;
  double v;
  memcpy(&v, &u, sizeof v);
  return v;
}

/* Work buffers for one lane length, reused across lanes: pooled tensor
 * storage (no page faults on repeated sorts) holding keys and positions. */
typedef struct sortbuf {
  gd_tensor mem;                  /* 3n doubles: k, k2 (n each), ix + ix2 (n) */
  uint64_t *k, *k2;
  uint32_t *ix, *ix2;
} sortbuf;

static int sortbuf_init(sortbuf *b, int64_t n) {
  int64_t m[1] = {3 * (n ? n : 1)};
  gd_tensor_init(&b->mem);
  if (gd_tensor_alloc(&b->mem, 1, m))
    return gd_seterr(GD_ENOMEM, "out of memory (sort of %lld values)", (long long)n);
  /* The storage is only ever accessed through these integer pointers. */
  void *base = gd_data(&b->mem);
  b->k = base;
  b->k2 = b->k + (n ? n : 1);
  b->ix = (uint32_t *)(b->k2 + (n ? n : 1));
  b->ix2 = b->ix + (n ? n : 1);
  return GD_OK;
}

static void sortbuf_free(sortbuf *b) { gd_tensor_release(&b->mem); }

/* Stable insertion sort of (k, ix) by k. */
static void insertion_sort(uint64_t *k, uint32_t *ix, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    uint64_t kv = k[i];
    uint32_t iv = ix[i];
    int64_t j = i;
    for (; j > 0 && k[j - 1] > kv; j--) {
      k[j] = k[j - 1];
      ix[j] = ix[j - 1];
    }
    k[j] = kv;
    ix[j] = iv;
  }
}

/* Stable LSD radix sort of (b->k, b->ix); the result ends in b->k, b->ix. */
static void radix_sort(sortbuf *b, int64_t n) {
  uint32_t hist[PASSES][RADIX];
  memset(hist, 0, sizeof hist);
  for (int64_t i = 0; i < n; i++) {
    uint64_t k = b->k[i];
    for (int p = 0; p < PASSES; p++) hist[p][(k >> (p * RADIX_BITS)) & (RADIX - 1)]++;
  }
  for (int p = 0; p < PASSES; p++) {
    uint32_t *h = hist[p];
    int sh = p * RADIX_BITS;
    if (h[(b->k[0] >> sh) & (RADIX - 1)] == (uint32_t)n) continue;   /* one digit everywhere */
    uint32_t sum = 0;
    for (unsigned d = 0; d < RADIX; d++) {
      uint32_t c = h[d];
      h[d] = sum;
      sum += c;
    }
    const uint64_t *ks = b->k;
    const uint32_t *is = b->ix;
    uint64_t *kd = b->k2;
    uint32_t *id = b->ix2;
    for (int64_t i = 0; i < n; i++) {
      uint64_t k = ks[i];
      uint32_t at = h[(k >> sh) & (RADIX - 1)]++;
      kd[at] = k;
      id[at] = is[i];
    }
    b->k2 = b->k; b->k = kd;
    b->ix2 = b->ix; b->ix = id;
  }
}

/* Sort the lane src[0], src[s], ... (n values) into b->k, b->ix (positions);
 * returns 1 when the keys give back every value exactly (no NaN, no -0). */
static int sort_lane(sortbuf *b, const double *src, int64_t s, int64_t n, int descending) {
  int exact = 1;
  for (int64_t i = 0; i < n; i++) {
    double v = src[i * s];
    if (v != v || (v == 0 && signbit(v))) exact = 0;
    b->k[i] = key_of(v, descending);
    b->ix[i] = (uint32_t)i;
  }
  if (n <= SHORT_LANE) insertion_sort(b->k, b->ix, n);
  else radix_sort(b, n);
  return exact;
}

int gd_sort(gd_tensor *vals, gd_tensor *idx, const gd_tensor *x, int dim, int descending,
            int base) {
  if (x->ndim && (dim < 0 || dim >= x->ndim))
    return gd_seterr(GD_EARG, "dim %d out of range for a %d-d tensor", dim + 1, x->ndim);
  int64_t outer, n, inner;
  gd_lanes(x, dim, &outer, &n, &inner);
  if ((uint64_t)n > UINT32_MAX)
    return gd_seterr(GD_EARG, "%lld values along one dim (at most %u)", (long long)n, UINT32_MAX);
  gd_tensor c;
  gd_tensor_init(&c);
  sortbuf b;
  gd_tensor_init(&b.mem);
  int rc = gd_contig_of(&c, x);
  if (!rc && vals) rc = gd_tensor_alloc(vals, x->ndim, x->shape);
  if (!rc && idx) rc = gd_tensor_alloc(idx, x->ndim, x->shape);
  if (!rc) rc = sortbuf_init(&b, n);
  if (rc) {
    gd_tensor_release(&c);
    return rc;
  }
  const double *src = gd_data(&c);
  double *vd = vals ? gd_data(vals) : NULL, *id = idx ? gd_data(idx) : NULL;
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      int64_t at = o * n * inner + i;
      int exact = sort_lane(&b, src + at, inner, n, descending);
      if (vd && exact)                    /* sequential: decode the sorted keys */
        for (int64_t k = 0; k < n; k++) vd[at + k * inner] = value_of(b.k[k], descending);
      else if (vd)                        /* NaN payloads and -0 kept: gather */
        for (int64_t k = 0; k < n; k++) vd[at + k * inner] = src[at + (int64_t)b.ix[k] * inner];
      if (id)
        for (int64_t k = 0; k < n; k++) id[at + k * inner] = (double)b.ix[k] + base;
    }
  }
  sortbuf_free(&b);
  gd_tensor_release(&c);
  return GD_OK;
}

/* Equal for unique: NaNs are one value (numpy's equal_nan). */
static int same_value(double a, double b) { return a == b || (a != a && b != b); }

int gd_unique(gd_tensor *vals, gd_tensor *counts, const gd_tensor *x) {
  gd_tensor flat, s;
  gd_tensor_init(&flat);
  gd_tensor_init(&s);
  int64_t nflat[1] = {(int64_t)x->numel};
  int rc = gd_reshape(&flat, x, 1, nflat);
  if (!rc) rc = gd_sort(&s, NULL, &flat, 0, 0, 0);
  gd_tensor_release(&flat);
  if (rc) return rc;
  const double *d = gd_data(&s);
  int64_t n = (int64_t)s.numel, m = 0;
  for (int64_t i = 0; i < n; i++)
    if (i == 0 || !same_value(d[i], d[i - 1])) m++;
  int64_t shape[1] = {m};
  rc = gd_tensor_alloc(vals, 1, shape);
  if (!rc) rc = gd_tensor_alloc(counts, 1, shape);
  if (!rc) {
    double *v = gd_data(vals), *c = gd_data(counts);
    int64_t j = -1;
    for (int64_t i = 0; i < n; i++) {
      if (i == 0 || !same_value(d[i], d[i - 1])) {
        v[++j] = d[i];
        c[j] = 0;
      }
      c[j] += 1;
    }
  }
  gd_tensor_release(&s);
  return rc;
}
