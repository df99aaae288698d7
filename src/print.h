/* print.h: the text of a tensor, as numpy's repr prints an array.
 *
 * Follows np.array2string with floatmode 'maxprec', sign '-', separator
 * ", ": every element gets the fraction digits it needs (at most
 * `precision`), columns share one width, scientific notation when the
 * magnitudes call for it, `...` past `threshold` elements, lines wrapped
 * at `linewidth`.  The prefix names the type: "tensor" gives
 * `tensor([1., 2.])`.  No Lua here; allocation failure returns GD_ENOMEM.
 */
#ifndef GD_PRINT_H
#define GD_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef struct gd_printopts {
  int precision;       /* at most this many fraction digits (8) */
  int64_t threshold;   /* summarize when numel > threshold (1000) */
  int edgeitems;       /* items kept at each end of a summarized dim (3), >= 1 */
  int linewidth;       /* wrap lines longer than this (80), >= 1 */
} gd_printopts;

/* A growable, NUL-terminated text buffer; starts in caller memory (or none)
 * and moves to the heap when it outgrows it. */
typedef struct gd_buf {
  char *s;       /* the text, NUL-terminated (NULL until the first write when cap = 0) */
  size_t len;    /* characters written */
  size_t cap;    /* bytes at s */
  int heap;      /* 1 if s was malloc'd here */
} gd_buf;

/* The defaults: precision 8, threshold 1000, edgeitems 3, linewidth 80. */
void gd_printopts_default(gd_printopts *o);
/* Start an empty buffer in mem[cap] (mem may be NULL with cap 0). */
void gd_buf_init(gd_buf *b, char *mem, size_t cap);
/* Free heap memory of b; b becomes empty (in no memory).  Idempotent. */
void gd_buf_free(gd_buf *b);
/* Append n bytes of s; GD_ENOMEM if the buffer cannot grow. */
int gd_buf_add(gd_buf *b, const char *s, size_t n);
/* Append `prefix(...)`, the numpy-style text of x, to b (o NULL: defaults). */
int gd_tensor_format(gd_buf *b, const gd_tensor *x, const char *prefix,
                     const gd_printopts *o);

#endif
