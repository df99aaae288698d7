/* threads.c: the kernels' worker threads (see threads.h).
 *
 * One job at a time, posted by the Lua thread: the job's fields and a
 * generation number are written under the lock and broadcast.  The poster
 * and the workers then take chunks from a shared ticket until none is left,
 * and the poster waits until every chunk is done.  Which thread runs a
 * chunk does not matter for the results, and a worker the system has not
 * scheduled yet simply finds nothing left to take.  Waits spin for SPIN
 * rounds on the atomics before sleeping on a condition variable.
 */
#include "threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* helgrind does not see C11 atomics: tell it that a chunk's writes happen
 * before the poster reads `done` (no-ops outside valgrind). */
#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#endif
#endif
#ifndef ANNOTATE_HAPPENS_BEFORE
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)0)
#define ANNOTATE_HAPPENS_AFTER(obj) ((void)0)
#endif

#define SPIN 2000          /* polls before sleeping: about 35 µs on this x86-64 VM */

#if defined(__x86_64__) || defined(__i386__)
#define RELAX() __builtin_ia32_pause()
#else
#define RELAX() ((void)0)
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER, done_cv = PTHREAD_COND_INITIALIZER;
static pthread_t workers[GD_THREADS_MAX];
static unsigned start_gen[GD_THREADS_MAX + 1];   /* generation when worker k was started */
static int nworkers;                  /* started and not yet joined */
static int nthreads;                  /* 0: not read from the environment yet */
static int stopping;
static atomic_uint generation;        /* bumped per job */
static atomic_uint_fast64_t ticket;   /* generation << 32 | the next chunk to take */
static atomic_int done;               /* chunks of the current job finished */
static gd_par_fn job_fn;
static void *job_ctx;
static int job_n;                     /* chunks of the current job */
static _Thread_local int in_worker;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static int default_threads(void) {
  const char *e = getenv("GD_NUM_THREADS");
  if (e && *e) {
    char *end;
    long v = strtol(e, &end, 10);
    if (*end == '\0' && v >= 1 && v <= GD_THREADS_MAX) return (int)v;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > GD_THREADS_MAX ? GD_THREADS_MAX : (int)n;
}

int gd_threads_get(void) {
  if (!nthreads) nthreads = default_threads();
  return nthreads;
}

/* Take and run chunks of job gen until none is left.  A chunk is taken by
 * advancing the ticket only while it still carries gen, so a late thread
 * never touches a finished job (whose ctx may be gone). */
static void take_chunks(unsigned gen, gd_par_fn fn, void *ctx, int n) {
  for (;;) {
    uint_fast64_t t = atomic_load(&ticket);
    if ((unsigned)(t >> 32) != gen || (int)(uint32_t)t >= n) return;
    if (!atomic_compare_exchange_weak(&ticket, &t, t + 1)) continue;
    fn(ctx, (int)(uint32_t)t, n);
    ANNOTATE_HAPPENS_BEFORE(&done);
    if (atomic_fetch_add(&done, 1) + 1 == n) {
      pthread_mutex_lock(&lock);
      pthread_cond_signal(&done_cv);
      pthread_mutex_unlock(&lock);
    }
  }
}

static void *worker_main(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned seen = start_gen[id];        /* jobs before its start are not its own */
  in_worker = 1;
  for (;;) {
    for (int s = 0; s < SPIN && atomic_load(&generation) == seen; s++) RELAX();
    pthread_mutex_lock(&lock);
    while (atomic_load(&generation) == seen && !stopping) pthread_cond_wait(&work_cv, &lock);
    if (stopping) {
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    seen = atomic_load(&generation);
    gd_par_fn fn = job_fn;
    void *ctx = job_ctx;
    int n = job_n;
    pthread_mutex_unlock(&lock);
    take_chunks(seen, fn, ctx, n);
  }
}

/* Join every worker (idle: no job is ever in flight outside gd_par_run). */
static void stop_workers(void) {
  if (!nworkers) return;
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_broadcast(&work_cv);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < nworkers; i++) pthread_join(workers[i], NULL);
  nworkers = 0;
  stopping = 0;
}

/* At exit and when gd/core.so is unloaded: no worker may outlive the code. */
__attribute__((destructor)) static void threads_fini(void) { stop_workers(); }

/* In a forked child only the forking thread exists: forget the workers. */
static void atfork_child(void) {
  nworkers = 0;
  stopping = 0;
  pthread_mutex_init(&lock, NULL);
  pthread_cond_init(&work_cv, NULL);
  pthread_cond_init(&done_cv, NULL);
}
static void install_atfork(void) { pthread_atfork(NULL, NULL, atfork_child); }

int gd_threads_set(int n) {
  if (n < 1 || n > GD_THREADS_MAX)
    return gd_seterr(GD_EARG, "number of threads must be 1..%d, got %d", GD_THREADS_MAX, n);
  if (n - 1 < nworkers) stop_workers();   /* restarted on demand */
  nthreads = n;
  return GD_OK;
}

/* Start workers until there are want of them; returns how many there are. */
static int ensure_workers(int want) {
  pthread_once(&atfork_once, install_atfork);
  while (nworkers < want) {
    start_gen[nworkers + 1] = atomic_load(&generation);
    if (pthread_create(&workers[nworkers], NULL, worker_main, (void *)(intptr_t)(nworkers + 1)))
      break;                              /* fewer threads: the rest run in turn */
    nworkers++;
  }
  return nworkers;
}

void gd_par_run(int nparts, gd_par_fn fn, void *ctx) {
  if (nparts > 1 && !in_worker && ensure_workers(gd_threads_get() - 1) > 0) {
    pthread_mutex_lock(&lock);
    job_fn = fn;
    job_ctx = ctx;
    job_n = nparts;
    atomic_store(&done, 0);
    unsigned gen = atomic_load(&generation) + 1;
    atomic_store(&ticket, (uint_fast64_t)gen << 32);
    atomic_store(&generation, gen);
    pthread_cond_broadcast(&work_cv);
    pthread_mutex_unlock(&lock);
    take_chunks(gen, fn, ctx, nparts);    /* this thread works too, then waits for the rest */
    for (int s = 0; s < SPIN && atomic_load(&done) < nparts; s++) RELAX();
    pthread_mutex_lock(&lock);
    while (atomic_load(&done) < nparts) pthread_cond_wait(&done_cv, &lock);
    pthread_mutex_unlock(&lock);
    ANNOTATE_HAPPENS_AFTER(&done);
    return;
  }
  for (int k = 0; k < nparts; k++) fn(ctx, k, nparts);
}

int gd_par_parts(int64_t n, int64_t grain) {
  int t = gd_threads_get();
  if (t <= 1 || n < 2 * grain) return 1;
  int64_t p = n / grain, cap = (int64_t)t * GD_PAR_CHUNKS;
  return p < cap ? (int)p : (int)cap;
}

void gd_par_range(int64_t n, int k, int nparts, int64_t align, int64_t *lo, int64_t *hi) {
  int64_t chunk = (n + nparts - 1) / nparts;
  chunk = (chunk + align - 1) / align * align;
  int64_t a = chunk * k, b = a + chunk;
  *lo = a < n ? a : n;
  *hi = b < n ? b : n;
}

typedef struct iterjob {
  const gd_iter *it;
  double *const *base;
  gd_iter_fn fn;
  void *ctx;
  gd_iter_runner run;
  int64_t align;
} iterjob;

static void iter_part(void *arg, int k, int nparts) {
  const iterjob *j = arg;
  int64_t lo, hi;
  gd_par_range(j->it->shape[0], k, nparts, j->align, &lo, &hi);
  if (lo >= hi) return;
  gd_iter sub = *j->it;
  sub.shape[0] = hi - lo;
  double *base[GD_ITER_MAXOPS];
  for (int m = 0; m < sub.nops; m++) base[m] = j->base[m] + lo * sub.stride[m][0];
  j->run(&sub, base, j->fn, j->ctx);
}

void gd_iter_run_par(const gd_iter *it, double *const *base, gd_iter_fn fn, void *ctx,
                     gd_iter_runner run, int nparts, int64_t align) {
  if (nparts > it->shape[0]) nparts = (int)it->shape[0];
  if (nparts <= 1) {
    run(it, base, fn, ctx);
    return;
  }
  iterjob j = {it, base, fn, ctx, run, align};
  gd_par_run(nparts, iter_part, &j);
}
