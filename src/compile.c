/* compile.c: gd.compile's programs, the tracing half (see compile.h): the
 * hooks the op layer calls, values and instructions, and the program's
 * life (new, begin, end, free).  Planning and replay are compile_run.c.
 *
 * A trace maps each storage it meets to a value; an instruction is one
 * kernel call whose operands are headers over values.  This file refuses
 * to guess: a storage it cannot account for fails the trace.
 */
#include "compile_prog.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gd_prog *gd_cp_tracing;
void (*gd_cp_where_fn)(char *buf, size_t len);

static int live_programs;
int gd_prog_live(void) { return live_programs; }

/* Doubles a header reaches from its storage's start. */
size_t gd_cp_extent(const gd_tensor *h) {
  if (!h->numel) return h->off;
  size_t e = h->off + 1;
  for (int i = 0; i < h->ndim; i++) e += (size_t)(h->shape[i] - 1) * (size_t)h->stride[i];
  return e;
}

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
  size_t e = gd_cp_extent(x);
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
  size_t e = gd_cp_extent(x);
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
  p->vals[i].extent = gd_cp_extent(x);
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
  int rc = p->failed ? GD_EARG : gd_cp_plan(p);
  release_trace(p);
  if (rc) {
    if (!p->failed) fail(p, "%s", gd_errmsg());
    return gd_seterr(GD_EARG, "%s", p->err);
  }
  return gd_cp_bind_all(p);
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
  size_t n = t ? gd_cp_extent(t) : st->cap;
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
