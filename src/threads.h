/* threads.h: the kernels' worker threads (a small persistent pthread pool).
 *
 * A job is split into a fixed number of chunks decided by the caller from
 * the work size and the thread count, never by timing, so every split is
 * reproducible: elementwise kernels cut at multiples of GD_PAR_ALIGN
 * elements (bit-identical to one thread) and reductions cut between whole
 * lines or at the nodes of their pairwise trees.  Any thread, the caller
 * included, may run any chunk, so a worker that the system has not
 * scheduled costs no wait.  Idle workers spin briefly, then block on a
 * condition variable, so they do not compete with OpenBLAS's own threads.
 * Workers are joined at exit and when the library unloads; a forked child
 * starts with none.  Not here: what to split (kernels.c, reduce.c, optim.c).
 */
#ifndef GD_THREADS_H
#define GD_THREADS_H

#include <stdint.h>

#include "tensor.h"

#define GD_THREADS_MAX 64
/* Elementwise parts start at multiples of this many elements (so vector
 * loops see the same alignment and tails as in one pass). */
#define GD_PAR_ALIGN 64
/* Elements per part below which splitting does not pay: cheap ops
 * (a + b, copies) and expensive ones (exp, tanh, optimizer steps). */
#define GD_PAR_GRAIN_CHEAP 65536
#define GD_PAR_GRAIN_COSTLY 8192
/* Chunks per thread at most: a slow thread's share is taken by the others. */
#define GD_PAR_CHUNKS 4

/* Threads the kernels use (GD_NUM_THREADS at start, else the core count). */
int gd_threads_get(void);
/* Set the thread count, 1..GD_THREADS_MAX (GD_EARG otherwise). */
int gd_threads_set(int n);

/* Chunks to split n units into: 1 below 2·grain or with one thread, at
 * most GD_PAR_CHUNKS × the thread count, each of at least grain units. */
int gd_par_parts(int64_t n, int64_t grain);
/* Part k of nparts of [0, n) in whole multiples of align: [*lo, *hi). */
void gd_par_range(int64_t n, int k, int nparts, int64_t align, int64_t *lo, int64_t *hi);

/* A chunk of a job: fn(ctx, k, nparts) does chunk k of nparts. */
typedef void (*gd_par_fn)(void *ctx, int k, int nparts);
/* Run chunks 0..nparts-1 of fn on this thread and the workers, in any order;
 * returns when all are done.  Runs them in turn when no worker can be
 * started or when called from a worker. */
void gd_par_run(int nparts, gd_par_fn fn, void *ctx);

/* A runner of an iteration (gd_iter_run or a tiled variant). */
typedef void (*gd_iter_runner)(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx);
/* run(it, ...) with its outermost dim split into nparts (starts at
 * multiples of align when the iteration is 1-d or tiled). */
void gd_iter_run_par(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx,
                     gd_iter_runner run, int nparts, int64_t align);

#endif
