/* compile.c: gd.compile's programs: the trace hooks, buffer planning and
 * the replay interpreter (see compile.h).
 *
 * A trace maps each storage it meets to a value; an instruction is one
 * kernel call whose operands are headers over values.  Planning gives each
 * temporary a buffer in one arena, sharing buffers between temporaries
 * whose lifetimes (first write .. last read) do not overlap.  Replay runs
 * the same kernels in the same order on the same geometry, so it computes
 * the same bits as the eager call; it allocates nothing.  This file refuses
 * to guess: a storage it cannot account for fails the trace.
 */
#include "compile.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

gd_prog *gd_cp_tracing;
void (*gd_cp_where_fn)(char *buf, size_t len);

typedef enum cp_vkind { CP_ARG, CP_EXT, CP_CONST, CP_TMP } cp_vkind;

typedef struct cp_value {
  cp_vkind kind;
  int arg;                 /* CP_ARG: the argument's index */
  gd_tensor argh;          /* CP_ARG: the traced argument's header */
  gd_storage *tst;         /* the trace-time storage (NULL once released) */
  int held;                /* a reference on tst is held (pooled storage) */
  unsigned ver;            /* tst->version after the last recorded write */
  int mutable_ok;          /* CP_EXT: a Variable the step may write */
  int written;             /* some instruction writes it */
  int dead;                /* a copy of another value, replaced by it (no buffer) */
  size_t extent;           /* doubles used by every header over it */
  double *cdata;           /* CP_CONST: the snapshot (extent doubles) */
  size_t csize;
  int first, last;         /* instruction range it lives in (CP_TMP) */
  int buf;                 /* planned buffer (CP_TMP), -1 none */
  gd_storage rst;          /* replay storage: arena slice, argument or snapshot */
} cp_value;

typedef enum cp_ikind {
  CP_I_BINARY, CP_I_UNARY, CP_I_WHERE, CP_I_REDUCE, CP_I_MATMUL, CP_I_COPY,
  CP_I_OPTIM, CP_I_RANDOM, CP_I_INDEX
} cp_ikind;

typedef struct cp_opnd { int v; gd_tensor h; } cp_opnd;

typedef struct cp_instr {
  cp_ikind kind;
  int sub, nin, hasidx;
  int flat;                /* planned: the kernel's own flat case applies (binary, copy) */
  int fuse;                /* planned: first of fuse consecutive elementwise instructions run blockwise */
  cp_opnd in[3], out, idx;
  int64_t ip[2];
  double dp[2];
  const gd_optim_hp *hp;   /* CP_I_OPTIM */
  const double *lr;
  gd_optim_state *st;
  long long *iter;
  const long long *epoch;  /* the optimizer's, and its value when traced */
  long long epoch0;
  gd_rng *rng;             /* CP_I_RANDOM */
  int64_t *ids;            /* CP_I_INDEX: room for the indices */
} cp_instr;

/* storage pointer → value index (open addressing; the newest mapping wins) */
typedef struct cp_map { const void **k; int *v; size_t cap, n; } cp_map;

struct gd_prog {
  cp_value *vals;
  int nvals, capvals;
  cp_instr *ins;
  int nins, capins;
  cp_map map, born;
  int nargs;
  int nres;
  cp_opnd *res;            /* results: headers over values */
  gd_tensor *resh;         /* their replay headers */
  double *arena;
  size_t arena_n;
  int nbuf;
  int nfused;              /* instructions that run in fused (blockwise) runs */
  int *reload, nreload;    /* written constants, copied in at each run; */
  int *bump, nbump;        /* outside tensors written (their versions bumped after a run) */
  char err[512];
  int failed, planned;
};

static int live_programs;
int gd_prog_live(void) { return live_programs; }

/* ---- small helpers -------------------------------------------------------- */

static size_t hash_ptr(const void *p, size_t cap) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x & (cap - 1);
}

static int map_grow(cp_map *m) {
  size_t ncap = m->cap ? m->cap * 2 : 64;
  const void **nk = calloc(ncap, sizeof *nk);
  int *nv = malloc(ncap * sizeof *nv);
  if (!nk || !nv) { free(nk); free(nv); return GD_ENOMEM; }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->k[i]) continue;
    size_t j = hash_ptr(m->k[i], ncap);
    while (nk[j]) j = (j + 1) & (ncap - 1);
    nk[j] = m->k[i];
    nv[j] = m->v[i];
  }
  free(m->k);
  free(m->v);
  m->k = nk;
  m->v = nv;
  m->cap = ncap;
  return GD_OK;
}

static int map_get(const cp_map *m, const void *p) {
  if (!m->cap || !p) return -1;
  for (size_t i = hash_ptr(p, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->k[i] == p) return m->v[i];
    if (!m->k[i]) return -1;
  }
}

static int map_put(cp_map *m, const void *p, int v) {
  if ((m->n + 1) * 2 > m->cap && map_grow(m)) return GD_ENOMEM;
  size_t i = hash_ptr(p, m->cap);
  while (m->k[i] && m->k[i] != p) i = (i + 1) & (m->cap - 1);
  if (!m->k[i]) m->n++;
  m->k[i] = p;
  m->v[i] = v;
  return GD_OK;
}

static void map_free(cp_map *m) {
  free(m->k);
  free(m->v);
  memset(m, 0, sizeof *m);
}

/* Fail the trace (the first message is kept). */
static void fail(gd_prog *p, const char *fmt, ...) {
  if (p->failed) return;
  p->failed = 1;
  char where[200] = "";
  if (gd_cp_where_fn) gd_cp_where_fn(where, sizeof where);
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(p->err, sizeof p->err, fmt, ap);
  va_end(ap);
  if (k > 0 && (size_t)k < sizeof p->err && where[0])
    snprintf(p->err + k, sizeof p->err - (size_t)k, " (at %s)", where);
}

/* Doubles a header reaches from its storage's start. */
static size_t extent_of(const gd_tensor *h) {
  if (!h->numel) return h->off;
  size_t e = h->off + 1;
  for (int i = 0; i < h->ndim; i++) e += (size_t)(h->shape[i] - 1) * (size_t)h->stride[i];
  return e;
}

static int new_value(gd_prog *p, cp_vkind kind, gd_storage *st) {
  if (p->nvals == p->capvals) {
    int ncap = p->capvals ? p->capvals * 2 : 64;
    cp_value *nv = realloc(p->vals, sizeof *nv * (size_t)ncap);
    if (!nv) { fail(p, "gd.compile: out of memory"); return -1; }
    p->vals = nv;
    p->capvals = ncap;
  }
  cp_value *v = &p->vals[p->nvals];
  memset(v, 0, sizeof *v);
  v->kind = kind;
  v->tst = st;
  v->ver = st ? st->version : 0;
  v->first = p->nins;
  v->last = p->nins;
  v->buf = -1;
  if (st && !st->borrowed) {            /* keep it alive: its address stays unique */
    st->refs++;
    v->held = 1;
  }
  if (st && map_put(&p->map, st, p->nvals)) { fail(p, "gd.compile: out of memory"); return -1; }
  return p->nvals++;
}

static void release_value(cp_value *v) {
  if (v->held && v->tst) {
    gd_tensor t;
    gd_tensor_init(&t);
    t.st = v->tst;
    gd_tensor_release(&t);
  }
  v->held = 0;
  v->tst = NULL;
  free(v->cdata);
  v->cdata = NULL;
}

/* The value an instruction reads through header x, or -1 (trace failed).
 * outst: the storage the instruction writes (an in-place kernel has bumped
 * its version already), or NULL. */
static int use(gd_prog *p, const gd_tensor *x, const char *op, const gd_storage *outst) {
  if (!x->st) { fail(p, "gd.compile: %s: an empty tensor", op); return -1; }
  int k = map_get(&p->map, x->st);
  if (k < 0) {
    if (x->st->borrowed || map_get(&p->born, x->st) >= 0) {
      fail(p, "gd.compile: an input of %s was computed by an operation that has no compiled "
              "form; move that code out of the compiled function", op);
      return -1;
    }
    k = new_value(p, CP_EXT, x->st);     /* a pre-existing tensor, held by reference */
    if (k < 0) return -1;
  }
  cp_value *v = &p->vals[k];
  if (v->tst && v->tst->version != v->ver && v->tst != outst) {
    fail(p, "gd.compile: an input of %s was modified in place by an operation that has no "
            "compiled form", op);
    return -1;
  }
  size_t e = extent_of(x);
  if (v->kind == CP_CONST && e > v->csize) {
    fail(p, "gd.compile: %s reads past a constant", op);
    return -1;
  }
  if (e > v->extent) v->extent = e;
  v->last = p->nins;
  return k;
}

/* The value an instruction writes through header x, or -1. */
static int def(gd_prog *p, const gd_tensor *x, const char *op) {
  if (!x->st) { fail(p, "gd.compile: %s: an empty result", op); return -1; }
  int k = map_get(&p->map, x->st);
  if (k >= 0 && p->vals[k].tst != x->st) k = -1;
  if (k < 0) {
    if (map_get(&p->born, x->st) < 0) {
      fail(p, "gd.compile: %s writes into a tensor made outside the compiled function", op);
      return -1;
    }
    k = new_value(p, CP_TMP, x->st);
    if (k < 0) return -1;
  }
  cp_value *v = &p->vals[k];
  if (v->kind == CP_ARG) {
    fail(p, "gd.compile: %s writes into argument %d; a compiled step must not mutate its "
            "arguments (copy it, or move the code out)", op, v->arg + 1);
    return -1;
  }
  if (v->kind == CP_EXT && !v->mutable_ok) {
    fail(p, "gd.compile: %s mutates a tensor created outside the compiled function; make it a "
            "gd.Variable and use assign*, or move the code out", op);
    return -1;
  }
  v->written = 1;
  size_t e = extent_of(x);
  if (v->kind == CP_CONST && e > v->csize) {
    fail(p, "gd.compile: %s writes past a constant", op);
    return -1;
  }
  if (e > v->extent) v->extent = e;
  v->last = p->nins;
  return k;
}

/* After the kernel wrote through x: remember the storage's version. */
static void defined(gd_prog *p, int k) {
  if (k >= 0 && p->vals[k].tst) p->vals[k].ver = p->vals[k].tst->version;
}

static cp_instr *new_instr(gd_prog *p, cp_ikind kind) {
  if (p->failed) return NULL;
  if (p->nins == p->capins) {
    int ncap = p->capins ? p->capins * 2 : 64;
    cp_instr *ni = realloc(p->ins, sizeof *ni * (size_t)ncap);
    if (!ni) { fail(p, "gd.compile: out of memory"); return NULL; }
    p->ins = ni;
    p->capins = ncap;
  }
  cp_instr *in = &p->ins[p->nins];
  memset(in, 0, sizeof *in);
  in->kind = kind;
  return in;
}

static int opnd_in(gd_prog *p, cp_opnd *o, const gd_tensor *x, const gd_tensor *out,
                   const char *op) {
  o->v = use(p, x, op, out->st);
  o->h = *x;
  o->h.st = NULL;
  return o->v;
}

static int opnd_out(gd_prog *p, cp_opnd *o, const gd_tensor *x, const char *op) {
  o->v = def(p, x, op);
  o->h = *x;
  o->h.st = NULL;
  return o->v;
}

/* Inputs first, then the output; the instruction counts when all are known. */
static void commit(gd_prog *p, cp_instr *in) {
  if (p->failed) return;
  p->nins++;
  defined(p, in->out.v);
  if (in->hasidx) defined(p, in->idx.v);
}

/* ---- programs ---------------------------------------------------------------- */

gd_prog *gd_prog_new(void) {
  gd_prog *p = calloc(1, sizeof *p);
  if (p) live_programs++;
  return p;
}

static void release_trace(gd_prog *p) {
  for (int i = 0; i < p->nvals; i++) {
    cp_value *v = &p->vals[i];
    if (v->kind == CP_TMP || v->kind == CP_ARG) release_value(v);
  }
  map_free(&p->map);
  map_free(&p->born);
}

void gd_prog_free(gd_prog *p) {
  if (!p) return;
  if (gd_cp_tracing == p) gd_cp_tracing = NULL;
  for (int i = 0; i < p->nvals; i++) release_value(&p->vals[i]);
  map_free(&p->map);
  map_free(&p->born);
  free(p->vals);
  for (int i = 0; i < p->nins; i++) free(p->ins[i].ids);
  free(p->ins);
  free(p->res);
  free(p->resh);
  free(p->arena);
  free(p->reload);
  free(p->bump);
  free(p);
  live_programs--;
}

int gd_prog_begin(gd_prog *p) {
  if (gd_cp_tracing) return gd_seterr(GD_EARG, "gd.compile: a trace is already running "
                                               "(compiled functions do not nest)");
  gd_cp_tracing = p;
  return GD_OK;
}

int gd_prog_arg(gd_prog *p, int k, const gd_tensor *x) {
  int i = map_get(&p->map, x->st);
  if (i >= 0) {
    fail(p, "gd.compile: argument %d shares its storage with an earlier argument", k + 1);
    return GD_EARG;
  }
  i = new_value(p, CP_ARG, x->st);
  if (i < 0) return GD_ENOMEM;
  p->vals[i].arg = k;
  p->vals[i].argh = *x;
  p->vals[i].extent = extent_of(x);
  if (k + 1 > p->nargs) p->nargs = k + 1;
  return GD_OK;
}

const char *gd_prog_error(const gd_prog *p) { return p->failed ? p->err : NULL; }

void gd_prog_abort(gd_prog *p) {
  if (gd_cp_tracing == p) gd_cp_tracing = NULL;
  if (!p->failed) fail(p, "gd.compile: the traced call raised an error");
  release_trace(p);
}

void gd_prog_stats(const gd_prog *p, int *ninstr, int *nbuf, size_t *doubles, int *nfused) {
  *nfused = p->nfused;
  *ninstr = p->nins;
  *nbuf = p->nbuf;
  *doubles = p->arena_n;
}

/* Does instruction j write value k? */
static int writes(const cp_instr *in, int k) {
  return in->out.v == k || (in->hasidx && in->idx.v == k);
}

/* Copy propagation: a temporary D that is only ever a contiguous copy of S
 * (the tape's saved copies of small tensors, results moved into userdata),
 * with S unchanged while D is read, is replaced by S in its readers.  The
 * readers then load the same numbers from S, so results do not change. */
static void drop_copies(gd_prog *p) {
  int keep = 0;
  for (int i = 0; i < p->nins; i++) {
    cp_instr *in = &p->ins[i];
    int d = in->out.v, s = in->nin ? in->in[0].v : -1, ok = in->kind == CP_I_COPY && s >= 0;
    const gd_tensor *dh = &in->out.h, *sh = ok ? &in->in[0].h : NULL;
    if (ok) ok = d != s && p->vals[d].kind == CP_TMP && p->vals[d].last != INT_MAX &&
                 dh->off == 0 && gd_is_contig(dh) && gd_is_contig(sh) &&
                 gd_shape_eq(dh->ndim, dh->shape, sh->ndim, sh->shape) &&
                 extent_of(dh) == p->vals[d].extent;
    for (int j = 0; ok && j < p->nins; j++)        /* D written elsewhere, S while D lives */
      if (j != i && (writes(&p->ins[j], d) || (j > i && j <= p->vals[d].last && writes(&p->ins[j], s))))
        ok = 0;
    for (int j = 0; ok && j < i; j++)              /* D read before its copy: keep it */
      for (int k = 0; k < p->ins[j].nin; k++) ok = ok && p->ins[j].in[k].v != d;
    if (!ok) {
      p->ins[keep++] = *in;
      continue;
    }
    for (int j = i + 1; j < p->nins; j++) {
      cp_instr *r = &p->ins[j];
      for (int k = 0; k < r->nin; k++)
        if (r->in[k].v == d) {
          r->in[k].v = s;
          r->in[k].h.off += sh->off;
        }
    }
    if (p->vals[d].last > p->vals[s].last) p->vals[s].last = p->vals[d].last;
    if (p->vals[s].extent < sh->off + extent_of(dh)) p->vals[s].extent = sh->off + extent_of(dh);
    p->vals[d].dead = 1;
    free(in->ids);
  }
  /* liveness is by instruction index: renumber the survivors' ranges */
  if (keep == p->nins) return;
  p->nins = keep;
  for (int k = 0; k < p->nvals; k++) {
    cp_value *v = &p->vals[k];
    if (v->kind != CP_TMP || v->dead) continue;
    int first = INT_MAX, last = v->last == INT_MAX ? INT_MAX : -1;
    for (int j = 0; j < p->nins; j++) {
      const cp_instr *r = &p->ins[j];
      int touches = writes(r, k);
      for (int q = 0; q < r->nin; q++) touches |= r->in[q].v == k;
      if (!touches) continue;
      if (j < first) first = j;
      if (last != INT_MAX && j > last) last = j;
    }
    v->first = first == INT_MAX ? 0 : first;
    if (last != INT_MAX) v->last = last < v->first ? v->first : last;
  }
}

/* Give each temporary a buffer: greedy in order of first write, reusing a
 * buffer once its last reader has run (and never one a result needs). */
static int plan(gd_prog *p) {
  int n = p->nvals;
  int *bufof = malloc(sizeof(int) * (size_t)(n ? n : 1));      /* buffer → the value last in it */
  size_t *bsize = malloc(sizeof(size_t) * (size_t)(n ? n : 1));
  int *order = malloc(sizeof(int) * (size_t)(n ? n : 1));
  if (!bufof || !bsize || !order) {
    free(bufof); free(bsize); free(order);
    return gd_seterr(GD_ENOMEM, "gd.compile: out of memory planning buffers");
  }
  int no = 0;
  for (int i = 0; i < n; i++)
    if (p->vals[i].kind == CP_TMP && !p->vals[i].dead) order[no++] = i;     /* values are made in first-write order */
  int nb = 0;
  for (int oi = 0; oi < no; oi++) {
    cp_value *v = &p->vals[order[oi]];
    int pick = -1;
    for (int b = 0; b < nb && pick < 0; b++)
      if (p->vals[bufof[b]].last < v->first) pick = b;
    if (pick < 0) {
      pick = nb++;
      bsize[pick] = 0;
    }
    bufof[pick] = order[oi];
    if (v->extent > bsize[pick]) bsize[pick] = v->extent;
    v->buf = pick;
  }
  size_t total = 0, *boff = malloc(sizeof(size_t) * (size_t)(nb ? nb : 1));
  if (!boff) {
    free(bufof); free(bsize); free(order);
    return gd_seterr(GD_ENOMEM, "gd.compile: out of memory planning buffers");
  }
  for (int b = 0; b < nb; b++) {
    boff[b] = total;
    total += (bsize[b] + 7) & ~(size_t)7;                 /* 64-byte aligned slices */
  }
  for (int i = 0; i < n; i++) {
    cp_value *v = &p->vals[i];
    if (v->kind == CP_CONST && v->written) total += (v->csize + 7) & ~(size_t)7;
  }
  p->arena = total ? aligned_alloc(64, sizeof(double) * total) : NULL;
  if (total && !p->arena) {
    free(bufof); free(bsize); free(order); free(boff);
    return gd_seterr(GD_ENOMEM, "gd.compile: out of memory for %zu doubles of buffers", total);
  }
  if (total) memset(p->arena, 0, sizeof(double) * total);
  p->arena_n = total;
  p->nbuf = nb;
  size_t cpos = nb ? boff[nb - 1] + ((bsize[nb - 1] + 7) & ~(size_t)7) : 0;
  for (int i = 0; i < n; i++) {
    cp_value *v = &p->vals[i];
    gd_storage *s = &v->rst;
    memset(s, 0, sizeof *s);
    s->refs = 1;
    s->borrowed = 1;                      /* never released through a header */
    if (v->kind == CP_TMP && !v->dead) {
      s->data = p->arena + boff[v->buf];
      s->cap = bsize[v->buf];
    } else if (v->kind == CP_CONST) {
      if (v->written) {                   /* reloaded from the snapshot at each run */
        s->data = p->arena + cpos;
        cpos += (v->csize + 7) & ~(size_t)7;
      } else {
        s->data = v->cdata;
      }
      s->cap = v->csize;
    }
  }
  free(bufof); free(bsize); free(order); free(boff);
  return GD_OK;
}

/* The storage a replay header over value k uses. */
static gd_storage *rstore(gd_prog *p, int k) {
  cp_value *v = &p->vals[k];
  return v->kind == CP_EXT ? v->tst : &v->rst;
}

/* 1 if in is a binary op or copy that its kernel runs as one flat loop
 * (gd_binary_into's own test, decided once: replay geometry is fixed). */
static int flat_case(const cp_instr *in) {
  const gd_tensor *o = &in->out.h;
  if (!gd_is_contig(o)) return 0;
  for (int j = 0; j < in->nin; j++) {
    const gd_tensor *x = &in->in[j].h;
    int fits = gd_is_contig(x) && gd_shape_eq(x->ndim, x->shape, o->ndim, o->shape);
    if (in->kind == CP_I_BINARY && !(fits || x->ndim == 0)) return 0;
    if (in->kind == CP_I_COPY && !(fits && x->st != o->st)) return 0;
  }
  return in->kind == CP_I_BINARY || in->kind == CP_I_COPY;
}

/* Elements of an elementwise instruction over flat data (a binary op in its
 * flat case, a unary op from contiguous to contiguous of one shape), else 0. */
static size_t flat_numel(const cp_instr *in) {
  const gd_tensor *o = &in->out.h, *x = &in->in[0].h;
  if (in->kind == CP_I_BINARY) return in->flat ? o->numel : 0;
  if (in->kind == CP_I_UNARY && gd_is_contig(o) && gd_is_contig(x) &&
      gd_shape_eq(o->ndim, o->shape, x->ndim, x->shape))
    return o->numel;
  return 0;
}

/* Fusion: a run of consecutive elementwise instructions over the same n
 * elements runs block by block (FUSE_BLOCK elements through every op of the
 * run, then the next block), so each block's temporaries stay in L1 instead
 * of streaming n elements through memory once per op.  Every element still
 * goes through the same kernels in the same order (they are elementwise,
 * and no operand of the run is written by it at another position: see
 * clobbers_scalar), so the results are the same bits. */
#define FUSE_BLOCK 8192
#define FUSE_MIN (2 * FUSE_BLOCK)

/* The planned buffer of operand o when it is a temporary, else -1. */
static int buf_of(const gd_prog *p, const cp_opnd *o) {
  return o->v >= 0 && p->vals[o->v].kind == CP_TMP ? p->vals[o->v].buf : -1;
}

/* Does instruction j write a buffer that a 0-d operand of ins[i..j) reads?
 * (A 0-d operand is read whole by every block: a later op of the run must
 * not reuse its buffer, as the planner may once its last reader ran.) */
static int clobbers_scalar(const gd_prog *p, int i, int j) {
  int ob = buf_of(p, &p->ins[j].out);
  if (ob < 0) return 0;
  for (int k = i; k < j; k++)
    for (int q = 0; q < p->ins[k].nin; q++)
      if (p->ins[k].in[q].h.ndim == 0 && buf_of(p, &p->ins[k].in[q]) == ob) return 1;
  return 0;
}

static void plan_fusion(gd_prog *p) {
  for (int i = 0; i < p->nins; i++) {
    size_t n = flat_numel(&p->ins[i]);
    if (n < FUSE_MIN) continue;
    int j = i + 1;
    while (j < p->nins && flat_numel(&p->ins[j]) == n && !clobbers_scalar(p, i, j)) j++;
    if (j - i >= 2) {
      p->ins[i].fuse = j - i;
      p->nfused += j - i;
    }
    i = j - 1;
  }
}

/* The block [b, b + len) of a flat operand (a 0-d one as it is). */
static gd_tensor block_of(const gd_tensor *h, size_t b, size_t len) {
  gd_tensor t = *h;
  if (h->ndim == 0) return t;
  t.off += b;
  t.ndim = 1;
  t.shape[0] = (int64_t)len;
  t.stride[0] = 1;
  t.numel = len;
  return t;
}

static int run_fused(cp_instr *ins, int count) {
  size_t n = ins[0].out.h.numel;
  for (size_t b = 0; b < n; b += FUSE_BLOCK) {
    size_t len = n - b < FUSE_BLOCK ? n - b : FUSE_BLOCK;
    for (int k = 0; k < count; k++) {
      cp_instr *in = &ins[k];
      gd_tensor o = block_of(&in->out.h, b, len), x = block_of(&in->in[0].h, b, len);
      if (in->kind == CP_I_BINARY) {
        gd_tensor y = block_of(&in->in[1].h, b, len);
        gd_binary_flat(&o, (gd_binop)in->sub, &x, &y);
      } else {
        int rc = gd_unary_into(&o, (gd_unop)in->sub, &x);
        if (rc) return rc;
      }
    }
  }
  return GD_OK;
}

/* Point o at its replay storage; headers over an argument become relative to it. */
static void bind_opnd(gd_prog *p, cp_opnd *o) {
  if (o->v < 0) return;
  o->h.st = rstore(p, o->v);
  if (p->vals[o->v].kind == CP_ARG) o->h.off -= p->vals[o->v].argh.off;
}

int gd_prog_end(gd_prog *p, int n, const gd_tensor *const *res) {
  if (gd_cp_tracing == p) gd_cp_tracing = NULL;
  p->res = calloc((size_t)(n ? n : 1), sizeof *p->res);
  p->resh = calloc((size_t)(n ? n : 1), sizeof *p->resh);
  if (!p->res || !p->resh) fail(p, "gd.compile: out of memory");
  p->nres = n;
  for (int i = 0; i < n && !p->failed; i++) {
    p->res[i].v = -1;
    if (!res[i]) continue;
    int k = use(p, res[i], "a result", NULL);
    if (k < 0) break;
    p->res[i].v = k;
    p->res[i].h = *res[i];
    p->vals[k].last = INT_MAX;
  }
  for (int i = 0; i < p->nvals && !p->failed; i++) {   /* outside tensors written unseen */
    cp_value *v = &p->vals[i];
    if ((v->kind == CP_EXT || v->kind == CP_ARG) && v->tst && v->tst->version != v->ver)
      fail(p, "gd.compile: a tensor made outside the compiled function was modified in place "
              "by an operation that has no compiled form");
  }
  if (!p->failed) drop_copies(p);
  int rc = p->failed ? GD_EARG : plan(p);
  release_trace(p);
  if (rc) {
    if (!p->failed) fail(p, "%s", gd_errmsg());
    return gd_seterr(GD_EARG, "%s", p->err);
  }
  for (int i = 0; i < p->nins; i++) {
    cp_instr *in = &p->ins[i];
    for (int j = 0; j < in->nin; j++) bind_opnd(p, &in->in[j]);
    bind_opnd(p, &in->out);
    if (in->hasidx) bind_opnd(p, &in->idx);
    in->flat = flat_case(in);
  }
  plan_fusion(p);
  for (int i = 0; i < n; i++) {
    if (p->res[i].v < 0) continue;
    bind_opnd(p, &p->res[i]);
    p->resh[i] = p->res[i].h;
    p->resh[i].id = 0;
    p->resh[i].flags = 0;
  }
  p->reload = malloc(sizeof(int) * (size_t)(p->nvals ? p->nvals : 1));
  p->bump = malloc(sizeof(int) * (size_t)(p->nvals ? p->nvals : 1));
  if (!p->reload || !p->bump) return gd_seterr(GD_ENOMEM, "gd.compile: out of memory");
  for (int i = 0; i < p->nvals; i++) {
    cp_value *v = &p->vals[i];
    if (v->kind == CP_CONST && v->written) p->reload[p->nreload++] = i;
    if (v->kind == CP_EXT && v->written) p->bump[p->nbump++] = i;
  }
  p->planned = 1;
  return GD_OK;
}

int gd_prog_bind(gd_prog *p, int k, const gd_tensor *x) {
  for (int i = 0; i < p->nvals; i++) {
    cp_value *v = &p->vals[i];
    if (v->kind != CP_ARG || v->arg != k) continue;
    const gd_tensor *h = &v->argh;
    int same = x->st && gd_shape_eq(x->ndim, x->shape, h->ndim, h->shape);
    for (int d = 0; same && d < x->ndim; d++) same = x->stride[d] == h->stride[d];
    if (!same) {
      char a[128], b[128];
      return gd_seterr(GD_EARG, "gd.compile: argument %d has shape %s, the program was traced "
                       "for %s (same strides)", k + 1, gd_shape_str(a, sizeof a, x->ndim, x->shape),
                       gd_shape_str(b, sizeof b, h->ndim, h->shape));
    }
    v->rst.data = x->st->data + x->off;   /* headers over it are relative to its first element */
    v->rst.cap = extent_of(x) - x->off;
  }
  return GD_OK;
}

const gd_tensor *gd_prog_result(const gd_prog *p, int k) {
  if (k < 0 || k >= p->nres || p->res[k].v < 0) return NULL;
  return &p->resh[k];
}

const char *gd_prog_instr(const gd_prog *p, int i, size_t *numel) {
  if (i < 0 || i >= p->nins) return NULL;
  const cp_instr *in = &p->ins[i];
  *numel = in->out.h.numel;
  switch (in->kind) {
    case CP_I_BINARY: return gd_binop_name((gd_binop)in->sub);
    case CP_I_UNARY: return gd_unop_name((gd_unop)in->sub);
    case CP_I_WHERE: return "where";
    case CP_I_REDUCE: return gd_redop_name((gd_redop)in->sub);
    case CP_I_MATMUL: return "matmul";
    case CP_I_COPY: return "copy";
    case CP_I_OPTIM: return gd_optim_name(in->hp->kind);
    case CP_I_RANDOM: return "random";
    case CP_I_INDEX: return "index";
  }
  return "?";
}

/* ---- replay ------------------------------------------------------------------- */

static int run_matmul(const cp_instr *in) {
  const gd_tensor *a = &in->in[0].h, *b = &in->in[1].h;
  int na = a->ndim, nb = b->ndim;
  int64_t m = na >= 2 ? a->shape[na - 2] : 1, k = a->shape[na - 1];
  int64_t n = nb >= 2 ? b->shape[nb - 1] : 1;
  int64_t rsa = na >= 2 ? a->stride[na - 2] : 0, csa = a->stride[na - 1];
  int64_t rsb = nb >= 2 ? b->stride[nb - 2] : b->stride[0], csb = nb >= 2 ? b->stride[nb - 1] : 0;
  return gd_mm(m, n, k, gd_data(a), rsa, csa, gd_data(b), rsb, csb, gd_data(&in->out.h), n);
}

/* out = c != 0 ? a : b over the traced broadcast (a selection: no arithmetic). */
static void where_fn(void *ctx, int64_t n, double **p, const int64_t *s) {
  (void)ctx;
  for (int64_t i = 0; i < n; i++)
    p[0][i * s[0]] = p[1][i * s[1]] != 0 ? p[2][i * s[2]] : p[3][i * s[3]];
}

static int run_where(const cp_instr *in) {
  const gd_tensor *o = &in->out.h;
  int64_t sc[GD_MAXDIM], sa[GD_MAXDIM], sb[GD_MAXDIM];
  gd_broadcast_strides(&in->in[0].h, o->ndim, o->shape, sc);
  gd_broadcast_strides(&in->in[1].h, o->ndim, o->shape, sa);
  gd_broadcast_strides(&in->in[2].h, o->ndim, o->shape, sb);
  const int64_t *st[4] = {o->stride, sc, sa, sb};
  gd_iter it;
  gd_iter_init(&it, 4, o->ndim, o->shape, st);
  double *base[4] = {gd_data(o), gd_data(&in->in[0].h), gd_data(&in->in[1].h),
                     gd_data(&in->in[2].h)};
  gd_iter_run(&it, base, where_fn, NULL);
  return GD_OK;
}

/* out[.., k, ..] = x[.., ids[k], ..] along dim, the ids read from in[1]. */
static int run_index(cp_instr *in) {
  const gd_tensor *x = &in->in[0].h, *idx = &in->in[1].h;
  int dim = (int)in->ip[0];
  int64_t n = idx->ndim ? idx->shape[0] : 1, s = idx->ndim ? idx->stride[0] : 0;
  int64_t size = x->shape[dim];
  const double *d = gd_data(idx);
  for (int64_t k = 0; k < n; k++) {
    double v = d[k * s];
    int64_t i = (int64_t)v < 0 ? (int64_t)v + size : (int64_t)v - 1;
    if (v != (double)(int64_t)v || v == 0 || i < 0 || i >= size)
      return gd_seterr(GD_EARG, "index: index %g out of range for dim %d of size %lld", v,
                       dim + 1, (long long)size);
    in->ids[k] = i;
  }
  for (int64_t k = 0; k < n; k++) {
    gd_tensor dst = in->out.h, src = *x;  /* views by header: no references taken */
    dst.off += (size_t)(k * dst.stride[dim]);
    src.off += (size_t)(in->ids[k] * src.stride[dim]);
    for (int j = dim; j + 1 < dst.ndim; j++) {
      dst.shape[j] = dst.shape[j + 1], dst.stride[j] = dst.stride[j + 1];
      src.shape[j] = src.shape[j + 1], src.stride[j] = src.stride[j + 1];
    }
    dst.ndim--, src.ndim--;
    dst.numel = src.numel = dst.numel / (size_t)(n ? n : 1);
    int rc = gd_copy_into(&dst, &src);
    if (rc) return rc;
  }
  return GD_OK;
}

static int run_one(cp_instr *in) {
  switch (in->kind) {
    case CP_I_BINARY:
      if (in->flat) {
        gd_binary_flat(&in->out.h, (gd_binop)in->sub, &in->in[0].h, &in->in[1].h);
        return GD_OK;
      }
      return gd_binary_into(&in->out.h, (gd_binop)in->sub, &in->in[0].h, &in->in[1].h);
    case CP_I_UNARY:
      return gd_unary_into(&in->out.h, (gd_unop)in->sub, &in->in[0].h);
    case CP_I_WHERE:
      return run_where(in);
    case CP_I_REDUCE:
      return gd_reduce_into(&in->out.h, in->hasidx ? &in->idx.h : NULL, (gd_redop)in->sub,
                            &in->in[0].h, (int)in->ip[0], (int)in->ip[1], in->dp[0]);
    case CP_I_MATMUL:
      return run_matmul(in);
    case CP_I_COPY:
      if (in->flat) {                     /* an exact copy either way */
        memcpy(gd_data(&in->out.h), gd_data(&in->in[0].h), sizeof(double) * in->out.h.numel);
        return GD_OK;
      }
      return gd_copy_into(&in->out.h, &in->in[0].h);
    case CP_I_OPTIM: {
      if (*in->epoch != in->epoch0)
        return gd_seterr(GD_EARG, "gd.compile: the %s optimizer was reset (or given an lr schedule) "
                         "after the step was traced; call step:clear() to trace it again",
                         gd_optim_name(in->hp->kind));
      int rc = gd_optim_step(in->hp, in->st, &in->out.h, &in->in[0].h, *in->lr, *in->iter + 1);
      if (!rc && in->sub) (*in->iter)++;
      return rc;
    }
    case CP_I_INDEX:
      return run_index(in);
    case CP_I_RANDOM:
      return gd_rng_fill(in->rng, (gd_rng_kind)in->sub, &in->out.h, in->dp[0], in->dp[1]);
  }
  return gd_seterr(GD_EARG, "gd.compile: unknown instruction");
}

int gd_prog_run(gd_prog *p, int64_t n) {
  if (!p->planned) return gd_seterr(GD_EARG, "gd.compile: the program is not planned");
  for (int64_t r = 0; r < n; r++) {
    for (int i = 0; i < p->nreload; i++) {
      cp_value *v = &p->vals[p->reload[i]];
      memcpy(v->rst.data, v->cdata, sizeof(double) * v->csize);
    }
    for (int i = 0; i < p->nins; i++) {
      int fuse = p->ins[i].fuse;
      int rc = fuse ? run_fused(&p->ins[i], fuse) : run_one(&p->ins[i]);
      if (rc) return rc;
      if (fuse) i += fuse - 1;
    }
  }
  for (int i = 0; i < p->nbump; i++)     /* a Variable written by replay: tapes see a new version */
    p->vals[p->bump[i]].tst->version++;
  return GD_OK;
}

/* ---- hooks --------------------------------------------------------------------- */

void gd_cp_binary(const gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_BINARY) : NULL;
  if (!in) return;
  const char *name = gd_binop_name(op);
  in->sub = op;
  in->nin = 2;
  opnd_in(p, &in->in[0], a, out, name);
  opnd_in(p, &in->in[1], b, out, name);
  opnd_out(p, &in->out, out, name);
  commit(p, in);
}

void gd_cp_unary(const gd_tensor *out, gd_unop op, const gd_tensor *x) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_UNARY) : NULL;
  if (!in) return;
  const char *name = gd_unop_name(op);
  in->sub = op;
  in->nin = 1;
  opnd_in(p, &in->in[0], x, out, name);
  opnd_out(p, &in->out, out, name);
  commit(p, in);
}

void gd_cp_where(const gd_tensor *out, const gd_tensor *c, const gd_tensor *a, const gd_tensor *b) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_WHERE) : NULL;
  if (!in) return;
  in->nin = 3;
  opnd_in(p, &in->in[0], c, out, "where");
  opnd_in(p, &in->in[1], a, out, "where");
  opnd_in(p, &in->in[2], b, out, "where");
  opnd_out(p, &in->out, out, "where");
  commit(p, in);
}

void gd_cp_reduce(const gd_tensor *out, const gd_tensor *idx, gd_redop op, const gd_tensor *x,
                  int dim, int keepdim, double ddof) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_REDUCE) : NULL;
  if (!in) return;
  const char *name = gd_redop_name(op);
  in->sub = op;
  in->nin = 1;
  in->ip[0] = dim;
  in->ip[1] = keepdim;
  in->dp[0] = ddof;
  opnd_in(p, &in->in[0], x, out, name);
  opnd_out(p, &in->out, out, name);
  if (idx) {
    in->hasidx = 1;
    opnd_out(p, &in->idx, idx, name);
  }
  commit(p, in);
}

void gd_cp_matmul(const gd_tensor *out, const gd_tensor *a, const gd_tensor *b) {
  gd_prog *p = gd_cp_tracing;
  if (!p) return;
  if (a->ndim > 2 || b->ndim > 2 || !gd_is_contig(out)) {
    fail(p, "gd.compile: batched matmul has no compiled form yet");
    return;
  }
  cp_instr *in = new_instr(p, CP_I_MATMUL);
  if (!in) return;
  in->nin = 2;
  opnd_in(p, &in->in[0], a, out, "matmul");
  opnd_in(p, &in->in[1], b, out, "matmul");
  opnd_out(p, &in->out, out, "matmul");
  commit(p, in);
}

void gd_cp_copy(const gd_tensor *dst, const gd_tensor *src) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_COPY) : NULL;
  if (!in) return;
  in->nin = 1;
  opnd_in(p, &in->in[0], src, dst, "copy");
  opnd_out(p, &in->out, dst, "copy");
  commit(p, in);
}

/* A constant value over st, its snapshot taken from header t (or the storage). */
static void make_const(gd_prog *p, gd_storage *st, const gd_tensor *t) {
  int k = map_get(&p->map, st);
  if (k >= 0 && p->vals[k].kind != CP_CONST && p->vals[k].kind != CP_TMP) {
    fail(p, "gd.compile: a constant overwrites a tensor made outside the compiled function");
    return;
  }
  size_t n = t ? extent_of(t) : st->cap;
  double *copy = malloc(sizeof(double) * (n ? n : 1));
  if (!copy) { fail(p, "gd.compile: out of memory"); return; }
  memcpy(copy, st->data, sizeof(double) * n);
  if (k >= 0 && p->vals[k].kind == CP_TMP && p->vals[k].tst == st) {
    /* a temporary refilled with constants: copy the snapshot in at this point */
    k = new_value(p, CP_CONST, NULL);
    if (k < 0) { free(copy); return; }
    p->vals[k].cdata = copy;
    p->vals[k].csize = n;
    p->vals[k].extent = n;
    cp_instr *in = new_instr(p, CP_I_COPY);
    if (!in) return;
    in->nin = 1;
    in->in[0].v = k;
    in->in[0].h = *t;
    in->in[0].h.st = NULL;
    opnd_out(p, &in->out, t, "constant");
    commit(p, in);
    return;
  }
  k = new_value(p, CP_CONST, NULL);      /* NULL: not held, remapped below */
  if (k < 0) { free(copy); return; }
  cp_value *v = &p->vals[k];
  v->cdata = copy;
  v->csize = n;
  v->extent = n;
  v->tst = st;
  v->ver = st->version;
  if (!st->borrowed) {
    st->refs++;
    v->held = 1;
  }
  if (map_put(&p->map, st, k)) fail(p, "gd.compile: out of memory");
}

void gd_cp_const(const gd_tensor *t) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed || !t->st) return;
  make_const(p, t->st, t);
}

void gd_cp_scalar(gd_storage *st) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed) return;
  gd_tensor t;
  gd_tensor_init(&t);
  t.st = st;
  t.numel = 1;
  make_const(p, st, &t);
}

void gd_cp_optim(const gd_optim_hp *hp, const double *lr, gd_optim_state *s, const gd_tensor *w,
                 const gd_tensor *g, long long *iter, const long long *epoch, int bump_iter) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_OPTIM) : NULL;
  if (!in) return;
  in->nin = 1;
  in->hp = hp;
  in->lr = lr;
  in->st = s;
  in->iter = iter;
  in->epoch = epoch;
  in->epoch0 = *epoch;
  in->sub = bump_iter;
  opnd_in(p, &in->in[0], g, w, gd_optim_name(hp->kind));
  opnd_out(p, &in->out, w, gd_optim_name(hp->kind));
  commit(p, in);
}

void gd_cp_random(gd_rng *g, int kind, const gd_tensor *out, double a, double b) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_RANDOM) : NULL;
  if (!in) return;
  in->rng = g;
  in->sub = kind;
  in->dp[0] = a;
  in->dp[1] = b;
  opnd_out(p, &in->out, out, "a random draw");
  commit(p, in);
}

void gd_cp_index(const gd_tensor *out, const gd_tensor *x, int dim, const gd_tensor *idx) {
  gd_prog *p = gd_cp_tracing;
  cp_instr *in = p ? new_instr(p, CP_I_INDEX) : NULL;
  if (!in) return;
  int64_t n = idx->ndim ? idx->shape[0] : 1;
  in->ids = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (!in->ids) { fail(p, "gd.compile: out of memory"); return; }
  in->nin = 2;
  in->ip[0] = dim;
  opnd_in(p, &in->in[0], x, out, "index");
  opnd_in(p, &in->in[1], idx, out, "index");
  opnd_out(p, &in->out, out, "index");
  if (p->failed) { free(in->ids); in->ids = NULL; return; }
  commit(p, in);
}

void gd_cp_mutable(const gd_tensor *x) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed || !x->st) return;
  int k = map_get(&p->map, x->st);
  if (k < 0) {
    if (map_get(&p->born, x->st) >= 0) return;   /* made inside: a temporary */
    k = new_value(p, CP_EXT, x->st);
    if (k < 0) return;
  }
  if (p->vals[k].kind == CP_EXT) p->vals[k].mutable_ok = 1;
}

void gd_cp_seen(const gd_tensor *x) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed || !x->st) return;
  if (map_get(&p->map, x->st) >= 0 || map_get(&p->born, x->st) >= 0) return;
  new_value(p, CP_EXT, x->st);
}

int gd_cp_outside(const gd_tensor *x) {
  gd_prog *p = gd_cp_tracing;
  if (!p || !x->st) return 0;
  int k = map_get(&p->map, x->st);
  return k >= 0 && p->vals[k].kind == CP_EXT;
}

void gd_cp_read(const gd_tensor *x, const char *what) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed || !x->st) return;
  int k = map_get(&p->map, x->st);
  int traced = (k >= 0 && (p->vals[k].kind == CP_TMP || p->vals[k].kind == CP_ARG ||
                           p->vals[k].written)) || map_get(&p->born, x->st) >= 0;
  if (traced)
    fail(p, "gd.compile: %s reads a traced tensor's value into Lua, which a replay cannot "
            "repeat; use gd.where for value-dependent choices, or move the code out of the "
            "compiled function", what);
}

void gd_cp_write(const gd_tensor *x, const char *what) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed || !x->st) return;
  int k = map_get(&p->map, x->st);
  int outside = k >= 0 ? p->vals[k].kind == CP_EXT || p->vals[k].kind == CP_ARG
                       : map_get(&p->born, x->st) < 0;
  if (outside)
    fail(p, "gd.compile: %s mutates a tensor created outside the compiled function; make it a "
            "gd.Variable and use assign*, or move the code out", what);
  else
    gd_cp_unsupported(what);
}

void gd_cp_unsupported(const char *what) {
  gd_prog *p = gd_cp_tracing;
  if (!p) return;
  fail(p, "gd.compile: %s has no compiled form; move it out of the compiled function "
          "(or use opts.fallback = true)", what);
}

void gd_cp_born(const gd_storage *st) {
  gd_prog *p = gd_cp_tracing;
  if (!p || p->failed) return;
  if (map_put(&p->born, st, 1)) fail(p, "gd.compile: out of memory");
}

/* ---- kernels reported to a trace ------------------------------------------------ */

int gd_cp_kbinary(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b) {
  int rc = gd_binary(out, op, a, b);
  if (!rc && gd_cp_tracing) gd_cp_binary(out, op, a, b);
  return rc;
}

int gd_cp_kunary(gd_tensor *out, gd_unop op, const gd_tensor *x) {
  int rc = gd_unary(out, op, x);
  if (!rc && gd_cp_tracing) gd_cp_unary(out, op, x);
  return rc;
}

int gd_cp_kreduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x, int dim,
                  int keepdim, double ddof) {
  int rc = gd_reduce(out, idx, op, x, dim, keepdim, ddof);
  if (!rc && gd_cp_tracing) gd_cp_reduce(out, idx, op, x, dim, keepdim, ddof);
  return rc;
}

int gd_cp_kcontiguous(gd_tensor *out, const gd_tensor *x) {
  int rc = gd_contiguous(out, x);
  if (!rc && gd_cp_tracing) gd_cp_copy(out, x);
  return rc;
}
