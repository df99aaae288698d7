/* compile_opt.c: gd.compile's simplifications of a traced program, before
 * its buffers are planned (compile_run.c): copy propagation, common
 * subexpressions, dead instructions.  Each removes work whose result is
 * already at hand or never used, so a replay computes the same bits with
 * fewer passes: the forward sigmoid a prediction needs and the one the
 * backward rule of softplus recomputes become one; a prediction nobody
 * returns is not computed.  No Lua here.
 */
#include "compile_prog.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Does instruction in write value k? */
static int writes(const cp_instr *in, int k) {
  return in->out.v == k || (in->hasidx && in->idx.v == k);
}

/* Does instruction in read value k? */
static int reads(const cp_instr *in, int k) {
  for (int q = 0; q < in->nin; q++)
    if (in->in[q].v == k) return 1;
  return 0;
}

/* Is value k written by an instruction of [lo, hi) other than skip? */
static int written_in(const gd_prog *p, int k, int lo, int hi, int skip) {
  for (int j = lo; j < hi; j++)
    if (j != skip && writes(&p->ins[j], k)) return 1;
  return 0;
}

static int same_header(const gd_tensor *a, const gd_tensor *b) {
  if (a->off != b->off || a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d] || a->stride[d] != b->stride[d]) return 0;
  return 1;
}

/* A temporary that nothing but instruction i writes and no result holds. */
static int private_tmp(const gd_prog *p, int k, int i) {
  const cp_value *v = &p->vals[k];
  return k >= 0 && v->kind == CP_TMP && !v->dead && v->last != INT_MAX && !written_in(p, k, 0, p->nins, i);
}

/* Readers after instruction i of value d read value s instead, at offset
 * off more (s then lives as long as d did, and reaches as far). */
static void redirect(gd_prog *p, int i, int d, int s, int64_t off) {
  for (int j = i + 1; j < p->nins; j++) {
    cp_instr *r = &p->ins[j];
    for (int q = 0; q < r->nin; q++)
      if (r->in[q].v == d) {
        r->in[q].v = s;
        r->in[q].h.off += off;
      }
  }
  cp_value *vs = &p->vals[s], *vd = &p->vals[d];
  if (vd->last > vs->last) vs->last = vd->last;
  if (vs->extent < (size_t)off + vd->extent) vs->extent = (size_t)off + vd->extent;
  vd->dead = 1;
}

/* Copy propagation: a temporary D that is only ever a contiguous copy of S
 * (the tape's saved copies of small tensors, results moved into userdata),
 * with S unchanged while D is read, is replaced by S in its readers.  The
 * readers then load the same numbers from S, so results do not change. */
static void drop_copies(gd_prog *p, char *del) {
  for (int i = 0; i < p->nins; i++) {
    cp_instr *in = &p->ins[i];
    int d = in->out.v, s = in->nin ? in->in[0].v : -1, ok = in->kind == CP_I_COPY && s >= 0;
    const gd_tensor *dh = &in->out.h, *sh = ok ? &in->in[0].h : NULL;
    if (ok) ok = d != s && p->vals[d].kind == CP_TMP && p->vals[d].last != INT_MAX &&
                 dh->off == 0 && gd_is_contig(dh) && gd_is_contig(sh) &&
                 gd_shape_eq(dh->ndim, dh->shape, sh->ndim, sh->shape) &&
                 gd_cp_extent(dh) == p->vals[d].extent;
    if (ok) ok = !written_in(p, d, 0, p->nins, i) &&                 /* D written elsewhere, */
                 !written_in(p, s, i + 1, p->vals[d].last + 1, -1);  /* S while D lives */
    for (int j = 0; ok && j < i; j++) ok = !reads(&p->ins[j], d);    /* D read before its copy */
    if (!ok) continue;
    redirect(p, i, d, s, sh->off);
    del[i] = 1;
  }
}

/* Instructions whose outputs are the same numbers: the same kernel with the
 * same parameters on the same operands (same values, same headers). */
static int same_work(const cp_instr *a, const cp_instr *b) {
  if (a->kind != b->kind || a->sub != b->sub || a->nin != b->nin || a->hasidx || b->hasidx) return 0;
  if (a->kind != CP_I_UNARY && a->kind != CP_I_BINARY && a->kind != CP_I_WHERE && a->kind != CP_I_REDUCE &&
      a->kind != CP_I_MATMUL)
    return 0;
  if (memcmp(a->ip, b->ip, sizeof a->ip) != 0 || memcmp(a->dp, b->dp, sizeof a->dp) != 0) return 0;
  for (int q = 0; q < a->nin; q++)
    if (a->in[q].v != b->in[q].v || !same_header(&a->in[q].h, &b->in[q].h)) return 0;
  return same_header(&a->out.h, &b->out.h);
}

/* Common subexpressions: instruction j that repeats the work of an earlier
 * i, with no operand written between them, and both outputs temporaries
 * only they write: j's readers read i's output, and j goes. */
static void merge_repeats(gd_prog *p, char *del) {
  for (int j = 0; j < p->nins; j++) {
    cp_instr *b = &p->ins[j];
    if (del[j] || !private_tmp(p, b->out.v, j)) continue;
    for (int i = j - 1; i >= 0; i--) {
      const cp_instr *a = &p->ins[i];
      if (del[i] || !same_work(a, b)) continue;
      int ok = private_tmp(p, a->out.v, i) && p->vals[a->out.v].extent >= p->vals[b->out.v].extent;
      for (int q = 0; ok && q < b->nin; q++)
        ok = b->in[q].v != a->out.v && !written_in(p, b->in[q].v, i + 1, j, -1);
      if (ok) {
        redirect(p, j, b->out.v, a->out.v, 0);
        del[j] = 1;
      }
      break;                      /* only the nearest repeat is a candidate */
    }
  }
}

/* Dead instructions: a kernel whose outputs are temporaries that no later
 * kept instruction reads and no result holds.  Optimizer updates and random
 * draws always run (they write Variables, or advance the generator). */
static void drop_dead(gd_prog *p, char *del) {
  char *needed = calloc((size_t)(p->nvals ? p->nvals : 1), 1);
  if (!needed) return;                                  /* out of memory: keep everything */
  for (int k = 0; k < p->nvals; k++)
    needed[k] = p->vals[k].kind != CP_TMP || p->vals[k].last == INT_MAX;
  for (int j = p->nins - 1; j >= 0; j--) {
    cp_instr *in = &p->ins[j];
    if (del[j]) continue;
    int keep = in->kind == CP_I_OPTIM || in->kind == CP_I_RANDOM || needed[in->out.v] ||
               (in->hasidx && needed[in->idx.v]);
    if (!keep) {
      del[j] = 1;
      continue;
    }
    needed[in->out.v] = 1;                              /* a kept draw's output gets a buffer */
    if (in->hasidx) needed[in->idx.v] = 1;
    for (int q = 0; q < in->nin; q++)
      if (in->in[q].v >= 0) needed[in->in[q].v] = 1;
  }
  for (int k = 0; k < p->nvals; k++)
    if (!needed[k]) p->vals[k].dead = 1;
  free(needed);
}

/* Remove the instructions marked in del, then recompute each temporary's
 * live range (liveness is by instruction index). */
static void compact(gd_prog *p, const char *del) {
  int keep = 0;
  for (int i = 0; i < p->nins; i++) {
    if (del[i]) free(p->ins[i].ids);
    else p->ins[keep++] = p->ins[i];
  }
  if (keep == p->nins) return;
  p->nins = keep;
  for (int k = 0; k < p->nvals; k++) {
    cp_value *v = &p->vals[k];
    if (v->kind != CP_TMP || v->dead) continue;
    int first = INT_MAX, last = v->last == INT_MAX ? INT_MAX : -1;
    for (int j = 0; j < p->nins; j++) {
      const cp_instr *r = &p->ins[j];
      if (!writes(r, k) && !reads(r, k)) continue;
      if (j < first) first = j;
      if (last != INT_MAX && j > last) last = j;
    }
    v->first = first == INT_MAX ? 0 : first;
    if (last != INT_MAX) v->last = last < v->first ? v->first : last;
  }
}

void gd_cp_simplify(gd_prog *p) {
  char *del = calloc((size_t)(p->nins ? p->nins : 1), 1);
  if (!del) return;                                     /* out of memory: replay as traced */
  drop_copies(p, del);
  merge_repeats(p, del);
  drop_dead(p, del);
  compact(p, del);
  free(del);
}
