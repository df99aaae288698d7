/* ad.c: tapes, recording and the backward pass (see ad.h).
 *
 * The backward pass is micrograd's: walk the nodes in reverse, push each
 * output's gradient to the inputs that lead back to a source, add up.  A
 * forward mark pass first finds the nodes that depend on a source, so the
 * rest are skipped (kann's trick).  Gradients are accumulated with recording
 * ops, so an outer tape sees the whole backward pass.
 */
#include "ad.h"

#include <stdlib.h>
#include <string.h>

#include "adops.h"
#include "compile.h"
#include "kernels.h"

/* ---- id sets and maps (open addressing, id 0 = empty slot) ---------------- */

#define INL 16   /* slots kept inline: small tapes allocate nothing */

typedef struct idset {
  uint64_t *k;      /* inl, or a malloc'd table once it outgrows it */
  size_t cap, n;
  uint64_t inl[INL];
} idset;

static void idset_init(idset *s) {
  memset(s->inl, 0, sizeof s->inl);
  s->k = s->inl;
  s->cap = INL;
  s->n = 0;
}

static size_t slot_of(uint64_t id, size_t cap) {
  id ^= id >> 33;
  id *= 0xff51afd7ed558ccdULL;
  id ^= id >> 33;
  return (size_t)id & (cap - 1);
}

static int idset_has(const idset *s, uint64_t id) {
  if (!s->cap || !id) return 0;
  for (size_t i = slot_of(id, s->cap);; i = (i + 1) & (s->cap - 1)) {
    if (s->k[i] == id) return 1;
    if (s->k[i] == 0) return 0;
  }
}

static int idset_add(idset *s, uint64_t id) {
  if (!id || idset_has(s, id)) return GD_OK;
  if ((s->n + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    uint64_t *nk = calloc(ncap, sizeof *nk);
    if (!nk) return gd_seterr(GD_ENOMEM, "out of memory (tape)");
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->k[i]) continue;
      size_t j = slot_of(s->k[i], ncap);
      while (nk[j]) j = (j + 1) & (ncap - 1);
      nk[j] = s->k[i];
    }
    if (s->k != s->inl) free(s->k);
    s->k = nk;
    s->cap = ncap;
  }
  size_t i = slot_of(id, s->cap);
  while (s->k[i]) i = (i + 1) & (s->cap - 1);
  s->k[i] = id;
  s->n++;
  return GD_OK;
}

static void idset_free(idset *s) {
  if (s->k != s->inl) free(s->k);
  idset_init(s);
}

/* id → accumulated gradient: open addressing over (key, value) slots. */
#define GINL 32

typedef struct gradmap {
  uint64_t *keys;
  gd_tensor *vals;
  size_t cap, n;
  uint64_t ikeys[GINL];
  gd_tensor ivals[GINL];
} gradmap;

static void gradmap_init(gradmap *m) {
  memset(m->ikeys, 0, sizeof m->ikeys);
  m->keys = m->ikeys;
  m->vals = m->ivals;
  m->cap = GINL;
  m->n = 0;
}

static gd_tensor *gradmap_get(gradmap *m, uint64_t id) {
  if (!m->cap || !id) return NULL;
  for (size_t i = slot_of(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->keys[i] == id) return &m->vals[i];
    if (m->keys[i] == 0) return NULL;
  }
}

static int gradmap_grow(gradmap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 64;
  uint64_t *nk = calloc(ncap, sizeof *nk);
  gd_tensor *nv = malloc(ncap * sizeof *nv);
  if (!nk || !nv) {
    free(nk);
    free(nv);
    return gd_seterr(GD_ENOMEM, "out of memory (gradients)");
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = slot_of(m->keys[i], ncap);
    while (nk[j]) j = (j + 1) & (ncap - 1);
    nk[j] = m->keys[i];
    nv[j] = m->vals[i];
  }
  if (m->keys != m->ikeys) {
    free(m->keys);
    free(m->vals);
  }
  m->keys = nk;
  m->vals = nv;
  m->cap = ncap;
  return GD_OK;
}

/* Add g (taken over) to the gradient of id. */
/* May cur += g be done in cur's own storage?  When the map alone holds it
 * (no view, no tape saved it), nothing records the sum (no higher-order
 * tape tracks either operand), no trace is running, and the shapes agree:
 * then the sum is the same numbers without a new buffer. */
static int accumulate_in_place(const gd_tensor *cur, const gd_tensor *g) {
  const gd_tensor *both[2] = {cur, g};
  return cur->st && g->st && cur->st != g->st && cur->st->refs == 1 && !cur->st->borrowed &&
         !gd_cp_tracing && gd_is_contig(cur) && gd_is_contig(g) &&
         gd_shape_eq(cur->ndim, cur->shape, g->ndim, g->shape) && !gd_ad_tracking(2, both);
}

static int gradmap_add(gradmap *m, uint64_t id, gd_tensor *g) {
  gd_tensor *cur = gradmap_get(m, id);
  if (cur && accumulate_in_place(cur, g)) {
    gd_binary_flat(cur, GD_BIN_ADD, cur, g);
    gd_tensor_release(g);
    return GD_OK;
  }
  if (cur) {
    gd_tensor sum;
    gd_tensor_init(&sum);
    int rc = gd_ad_binary(&sum, GD_BIN_ADD, cur, g);
    gd_tensor_release(g);
    if (rc) return rc;
    gd_tensor_release(cur);
    *cur = sum;
    return GD_OK;
  }
  if ((m->n + 1) * 2 > m->cap && gradmap_grow(m)) {
    gd_tensor_release(g);
    return gd_seterr(GD_ENOMEM, "out of memory (gradients)");
  }
  size_t i = slot_of(id, m->cap);
  while (m->keys[i]) i = (i + 1) & (m->cap - 1);
  m->keys[i] = id;
  m->vals[i] = *g;
  m->n++;
  gd_tensor_init(g);
  return GD_OK;
}

static void gradmap_free(gradmap *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) gd_tensor_release(&m->vals[i]);
  if (m->keys != m->ikeys) {
    free(m->keys);
    free(m->vals);
  }
  gradmap_init(m);
}

/* ---- tapes ------------------------------------------------------------------ */

/* Nodes live in fixed chunks (never moved); freed chunks are kept for the
 * next tape, so a loop that makes a tape per step allocates nothing. */
#define CHUNK 32
#define SPARE_MAX 64

struct gd_tape {
  gd_node **chunks;                 /* ichunks, or malloc'd when longer */
  gd_node *ichunks[4];
  size_t n, nchunks, chunkcap;
  idset known;
  int persistent, used, busy, started;
};

static gd_node *spare[SPARE_MAX];
static int nspare;

static gd_node *node_at(const gd_tape *t, size_t k) { return &t->chunks[k / CHUNK][k % CHUNK]; }

#define MAXACTIVE 64
static gd_tape *active[MAXACTIVE];
static int nactive, paused;
static uint64_t next_id = 1;

uint64_t gd_ad_newid(void) { return next_id++; }
void gd_ad_pause(void) { paused++; }
void gd_ad_resume(void) { if (paused > 0) paused--; }
int gd_ad_active(void) { return paused ? 0 : nactive; }
int gd_ad_depth(void) { return nactive; }

static gd_tape *spare_tapes[8];           /* freed tapes, for the next gd_tape_new */
static int nspare_tapes;

gd_tape *gd_tape_new(int persistent) {
  gd_tape *t = nspare_tapes ? spare_tapes[--nspare_tapes] : malloc(sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->persistent = persistent;
  idset_init(&t->known);
  t->chunks = t->ichunks;
  t->chunkcap = sizeof t->ichunks / sizeof t->ichunks[0];
  return t;
}

static void node_release(gd_node *n) {
  for (int i = 0; i < n->nin && i < GD_NODE_MAXIN; i++) gd_tensor_release(&n->in[i]);
  for (int i = 0; i < n->xn; i++) gd_tensor_release(&n->xin[i]);
  free(n->xin);
  gd_tensor_release(&n->out);
  for (int i = 0; i < n->nco; i++) gd_tensor_release(&n->co[i]);
}

static void tape_clear(gd_tape *t) {
  for (size_t i = 0; i < t->n; i++) node_release(node_at(t, i));
  for (size_t c = 0; c < t->nchunks; c++) {
    if (nspare < SPARE_MAX) spare[nspare++] = t->chunks[c];
    else free(t->chunks[c]);
  }
  if (t->chunks != t->ichunks) free(t->chunks);
  t->chunks = t->ichunks;
  t->chunkcap = sizeof t->ichunks / sizeof t->ichunks[0];
  t->n = t->nchunks = 0;
}

void gd_tape_free(gd_tape *t) {
  if (!t) return;
  gd_tape_stop(t);
  tape_clear(t);
  idset_free(&t->known);
  if (nspare_tapes < 8) spare_tapes[nspare_tapes++] = t;
  else free(t);
}

int gd_tape_start(gd_tape *t) {
  if (t->started) return GD_OK;
  if (nactive == MAXACTIVE) return gd_seterr(GD_EARG, "more than %d nested tapes", MAXACTIVE);
  active[nactive++] = t;
  t->started = 1;
  return GD_OK;
}

void gd_tape_stop(gd_tape *t) {
  for (int i = 0; i < nactive; i++) {
    if (active[i] != t) continue;
    memmove(active + i, active + i + 1, sizeof active[0] * (size_t)(nactive - i - 1));
    nactive--;
    break;
  }
}

int gd_tape_knows(const gd_tape *t, const gd_tensor *x) {
  return x->id && ((x->flags & GD_T_TRAINABLE) || idset_has(&t->known, x->id));
}

int gd_tape_watch(gd_tape *t, gd_tensor *x) {
  if (!x->id) x->id = gd_ad_newid();
  return idset_add(&t->known, x->id);
}

/* ---- recording ---------------------------------------------------------- */

const gd_tensor *gd_node_input(const gd_node *n, int i) {
  return i < GD_NODE_MAXIN ? &n->in[i] : &n->xin[i - GD_NODE_MAXIN];
}

int gd_ad_tracking(int n, const gd_tensor *const *in) {
  if (paused || !nactive) return 0;
  for (int k = 0; k < nactive; k++) {
    if (active[k]->busy) continue;
    for (int i = 0; i < n; i++)
      if (gd_tape_knows(active[k], in[i])) return 1;
  }
  return 0;
}

static int tape_append(gd_tape *t, gd_opcode op, gd_tensor *const *outs, int nout, int n,
                       const gd_tensor *const *in, const int64_t *ip, const double *dp) {
  gd_tensor *out = outs[0];
  if (t->n == t->nchunks * CHUNK) {
    if (t->nchunks == t->chunkcap) {
      size_t ncap = t->chunkcap * 2;
      gd_node **nc = malloc(ncap * sizeof *nc);
      if (!nc) return gd_seterr(GD_ENOMEM, "out of memory (tape)");
      memcpy(nc, t->chunks, t->nchunks * sizeof *nc);
      if (t->chunks != t->ichunks) free(t->chunks);
      t->chunks = nc;
      t->chunkcap = ncap;
    }
    gd_node *c = nspare ? spare[--nspare] : NULL;
    if (!c) {
      c = malloc(CHUNK * sizeof *c);
      if (!c) return gd_seterr(GD_ENOMEM, "out of memory (tape)");
      gd_alloc_add_debt(CHUNK * sizeof *c);   /* lets the collector free dead tapes */
    }
    t->chunks[t->nchunks++] = c;
  }
  gd_node *nd = node_at(t, t->n);
  nd->op = op;
  nd->nin = 0;
  nd->xn = 0;
  nd->xin = NULL;
  nd->nco = 0;
  for (int i = 0; i < GD_NODE_MAXIN; i++) gd_tensor_init(&nd->in[i]);
  gd_tensor_init(&nd->out);
  memset(nd->ip, 0, sizeof nd->ip);
  memset(nd->dp, 0, sizeof nd->dp);
  if (n > GD_NODE_MAXIN) {
    nd->xin = malloc(sizeof(gd_tensor) * (size_t)(n - GD_NODE_MAXIN));
    if (!nd->xin) return gd_seterr(GD_ENOMEM, "out of memory (tape)");
    nd->xn = n - GD_NODE_MAXIN;
    for (int i = 0; i < nd->xn; i++) gd_tensor_init(&nd->xin[i]);
  }
  nd->nin = n;
  t->n++;                               /* from here on released by tape_clear */
  int rc = GD_OK;
  const gd_opinfo *info = gd_op_info(op);
  for (int i = 0; i < n && !rc; i++) {
    gd_tensor *dst = i < GD_NODE_MAXIN ? &nd->in[i] : &nd->xin[i - GD_NODE_MAXIN];
    if (info->shape_only) {             /* the rule reads shapes and ids: keep no data */
      *dst = *in[i];
      dst->st = NULL;
      if (i < GD_NODE_MAXIN) nd->inver[i] = 0;
      continue;
    }
    rc = gd_tensor_retain(dst, in[i]);
    if (!rc && gd_cp_tracing && dst->st != in[i]->st) gd_cp_copy(dst, in[i]);  /* a saved copy */
    if (!rc && i < GD_NODE_MAXIN) nd->inver[i] = dst->st->version;
  }
  if (!rc && info->save_out) {
    rc = gd_tensor_retain(&nd->out, out);
    if (!rc && gd_cp_tracing && nd->out.st != out->st) gd_cp_copy(&nd->out, out);
    if (!rc) nd->outver = nd->out.st->version;
  } else if (!rc) {                     /* shape and id only */
    nd->out = *out;
    nd->out.st = NULL;
  }
  nd->out.id = out->id;
  for (int i = 1; i < nout && !rc; i++) {   /* the other results: their rules read them */
    gd_tensor_init(&nd->co[i - 1]);
    nd->nco = i;
    rc = gd_tensor_retain(&nd->co[i - 1], outs[i]);
    if (!rc && gd_cp_tracing && nd->co[i - 1].st != outs[i]->st) gd_cp_copy(&nd->co[i - 1], outs[i]);
    if (!rc) nd->cover[i - 1] = nd->co[i - 1].st->version;
    if (!rc) rc = idset_add(&t->known, outs[i]->id);
  }
  if (ip) memcpy(nd->ip, ip, sizeof nd->ip);
  if (dp) memcpy(nd->dp, dp, sizeof nd->dp);
  if (rc) return rc;
  return idset_add(&t->known, out->id);
}

/* Append the node to every active tape that knows an input (ids given on
 * the first); inline so that gd_ad_record's one result costs no loop. */
static inline int record_on_tapes(gd_opcode op, gd_tensor *const *outs, int nout, int n,
                                  const gd_tensor *const *in, const int64_t *ip,
                                  const double *dp) {
  for (int k = 0; k < nactive; k++) {
    gd_tape *t = active[k];
    if (t->busy) continue;
    int knows = 0;
    for (int i = 0; i < n && !knows; i++) knows = gd_tape_knows(t, in[i]);
    if (!knows) continue;
    for (int j = 0; j < nout; j++)
      if (!outs[j]->id) outs[j]->id = gd_ad_newid();
    int rc = tape_append(t, op, outs, nout, n, in, ip, dp);
    if (rc) return rc;
  }
  return GD_OK;
}

/* Ops whose kernels a gd.compile trace records (adops.c reports them), and
 * the view ops, which need no instruction; any other op fails a trace. */
static void check_compiled(gd_opcode op) {
  switch (op) {
    case GD_OP_ADD: case GD_OP_SUB: case GD_OP_MUL: case GD_OP_DIV: case GD_OP_POW:
    case GD_OP_MOD: case GD_OP_MAXIMUM: case GD_OP_MINIMUM: case GD_OP_WHERE:
    case GD_OP_SUM: case GD_OP_MEAN: case GD_OP_VAR: case GD_OP_STD: case GD_OP_MAX:
    case GD_OP_MIN: case GD_OP_PROD: case GD_OP_LOGSUMEXP: case GD_OP_NORM: case GD_OP_SUM_TO:
    case GD_OP_RESHAPE: case GD_OP_PERMUTE: case GD_OP_EXPAND: case GD_OP_SLICE:
    case GD_OP_SELECT: case GD_OP_MATMUL: case GD_OP_INDEX:
    case GD_OP_EMBED:
      return;
    default:
      if (op >= GD_OP_NEG && op <= GD_OP_LOG2) return;
      gd_cp_unsupported(gd_op_info(op) ? gd_op_info(op)->name : "an op");
  }
}

int gd_ad_record_multi(gd_opcode op, gd_tensor *const *outs, int nout, int n,
                       const gd_tensor *const *in, const int64_t *ip, const double *dp) {
  if (nout < 1 || nout > 1 + GD_NODE_MAXCO) return gd_seterr(GD_EARG, "too many results to record");
  if (gd_cp_tracing) check_compiled(op);
  for (int j = 0; j < nout; j++) {
    outs[j]->id = 0;
    outs[j]->flags = 0;
  }
  if (paused || !nactive) return GD_OK;
  return record_on_tapes(op, outs, nout, n, in, ip, dp);
}

int gd_ad_record(gd_opcode op, gd_tensor *out, int n, const gd_tensor *const *in,
                 const int64_t *ip, const double *dp) {
  out->id = 0;
  out->flags = 0;
  if (gd_cp_tracing) check_compiled(op);
  if (paused || !nactive) return GD_OK;
  return record_on_tapes(op, &out, 1, n, in, ip, dp);
}

/* ---- the backward pass -------------------------------------------------- */

/* Point nd->cog[] at copies in cog[] of the gradients of nd's other results
 * (NULL where none); 1 if any has one. */
static int co_grads(gd_node *nd, gradmap *gm, gd_tensor *cog) {
  int any = 0;
  for (int j = 0; j < nd->nco; j++) {
    gd_tensor *cg = gradmap_get(gm, nd->co[j].id);
    gd_tensor_init(&cog[j]);
    if (cg) gd_tensor_share(&cog[j], cg);
    nd->cog[j] = cg ? &cog[j] : NULL;
    any |= cg != NULL;
  }
  return any;
}

static int stale(const gd_tensor *saved, unsigned ver) {
  return saved->st && !saved->st->borrowed && saved->st->version != ver;
}

int gd_tape_gradient(gd_tape *t, const gd_tensor *target, int n,
                     const gd_tensor *const *sources, gd_tensor *grads) {
  if (t->used && !t->persistent)
    return gd_seterr(GD_EARG, "a non-persistent tape computes gradients once; "
                              "use gd.GradientTape{persistent = true}");
  if (t->busy) return gd_seterr(GD_EARG, "gradient called during this tape's own backward pass");
  t->used = 1;
  for (int i = 0; i < n; i++) gd_tensor_init(&grads[i]);
  if (!gd_tape_knows(t, target)) goto done;

  int rc = GD_OK;
  idset dep;                              /* ids that depend on a source */
  idset_init(&dep);
  for (int i = 0; i < n && !rc; i++) rc = idset_add(&dep, sources[i]->id);
  char live_small[256];
  char *live = t->n <= sizeof live_small ? live_small : calloc(t->n, 1);
  if (!live) rc = gd_seterr(GD_ENOMEM, "out of memory (gradient)");
  else if (live == live_small) memset(live_small, 0, t->n);
  for (size_t k = 0; k < t->n && !rc; k++) {
    const gd_node *nd = node_at(t, k);
    for (int i = 0; i < nd->nin; i++) {
      if (idset_has(&dep, gd_node_input(nd, i)->id)) { live[k] = 1; break; }
    }
    if (!live[k]) continue;
    rc = idset_add(&dep, nd->out.id);
    for (int j = 0; j < nd->nco && !rc; j++) rc = idset_add(&dep, nd->co[j].id);
  }

  gradmap gm;
  gradmap_init(&gm);
  if (!rc && idset_has(&dep, target->id)) {
    gd_tensor seed;
    gd_tensor_init(&seed);
    rc = gd_tensor_alloc(&seed, target->ndim, target->shape);
    if (!rc) {
      gd_fill(&seed, 1.0);
      if (gd_cp_tracing) gd_cp_const(&seed);
      rc = gradmap_add(&gm, target->id, &seed);
    }
  }
  t->busy = 1;                            /* this tape does not record its own pass */
  for (size_t k = t->n; k-- > 0 && !rc;) {
    const gd_node *nd = node_at(t, k);
    if (!live[k]) continue;
    gd_tensor *g = gradmap_get(&gm, nd->out.id);
    gd_tensor cog[GD_NODE_MAXCO];           /* the other results' gradients (copies: the map may grow) */
    int nco = nd->nco, have = g != NULL;
    if (nco) have |= co_grads(node_at(t, k), &gm, cog);
    if (!have) continue;
    const gd_opinfo *info = gd_op_info(nd->op);
    int need[GD_NODE_MAXBW];
    int nin = nd->nin < GD_NODE_MAXBW ? nd->nin : GD_NODE_MAXBW;
    for (int i = 0; i < nin; i++) {
      const gd_tensor *x = gd_node_input(nd, i);
      need[i] = idset_has(&dep, x->id);
      if (!info->shape_only && i < GD_NODE_MAXIN && stale(x, nd->inver[i]))
        rc = gd_seterr(GD_EARG, "an input of %s was modified in place after it was recorded",
                       info->name);
    }
    if (!rc && info->save_out && stale(&nd->out, nd->outver))
      rc = gd_seterr(GD_EARG, "the output of %s was modified in place after it was recorded",
                     info->name);
    for (int j = 0; j < nco && !rc; j++)
      if (stale(&nd->co[j], nd->cover[j]))
        rc = gd_seterr(GD_EARG, "a result of %s was modified in place after it was recorded",
                       info->name);
    if (rc) {
      for (int j = 0; j < nco; j++) gd_tensor_release(&cog[j]);
      break;
    }
    gd_tensor gin[GD_NODE_MAXBW];
    for (int i = 0; i < nin; i++) gd_tensor_init(&gin[i]);
    gd_tensor gcopy;                      /* g may move when the map grows */
    gd_tensor_init(&gcopy);
    if (g) gd_tensor_share(&gcopy, g);      /* else only the other results have one */
    rc = info->backward(nd, &gcopy, need, gin);
    gd_tensor_release(&gcopy);
    for (int j = 0; j < nco; j++) {
      gd_tensor_release(&cog[j]);
      node_at(t, k)->cog[j] = NULL;
    }
    for (int i = 0; i < nin; i++) {
      if (!rc && need[i] && gin[i].st) rc = gradmap_add(&gm, gd_node_input(nd, i)->id, &gin[i]);
      gd_tensor_release(&gin[i]);
    }
  }
  t->busy = 0;
  for (int i = 0; i < n && !rc; i++) {
    gd_tensor *g = gradmap_get(&gm, sources[i]->id);
    if (g) gd_tensor_share(&grads[i], g);
  }
  gradmap_free(&gm);
  idset_free(&dep);
  if (live != live_small) free(live);
  if (rc) {
    for (int i = 0; i < n; i++) gd_tensor_release(&grads[i]);
    return rc;
  }
done:
  if (!t->persistent) tape_clear(t);
  return GD_OK;
}
