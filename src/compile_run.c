/* compile_run.c: gd.compile's planning and replay (see compile.h): after
 * compile_opt.c's simplifications, liveness-based buffers in one arena, the kernels' flat cases
 * decided once, blockwise fusion of elementwise runs, and the interpreter
 * that calls the same kernels as the traced call on the same geometry.
 * It allocates nothing per run.  No Lua here.
 */
#include "compile_prog.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

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

int gd_cp_plan(gd_prog *p) {
  gd_cp_simplify(p);
  return plan(p);
}

int gd_cp_bind_all(gd_prog *p) {
  int n = p->nres;
  for (int i = 0; i < p->nins; i++) {
    cp_instr *in = &p->ins[i];
    for (int j = 0; j < in->nin; j++) bind_opnd(p, &in->in[j]);
    bind_opnd(p, &in->out);
    if (in->hasidx) bind_opnd(p, &in->idx);
    in->flat = flat_case(in);
    in->loop = NULL;                      /* below the threads' split size: the loop itself */
    if (in->kind == CP_I_BINARY && in->flat) in->loop = gd_binary_loop((gd_binop)in->sub, (int64_t)in->out.h.numel);
    if (in->kind == CP_I_UNARY && flat_numel(in)) in->loop = gd_unary_loop((gd_unop)in->sub, (int64_t)in->out.h.numel);
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
    v->rst.cap = gd_cp_extent(x) - x->off;
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
  if (in->loop) {                         /* what gd_binary_flat / gd_unary_into would run */
    const gd_tensor *a = &in->in[0].h, *b = in->nin > 1 ? &in->in[1].h : a;
    double *q[3] = {gd_data(&in->out.h), gd_data(a), gd_data(b)};
    const int64_t s[3] = {1, a->ndim ? 1 : 0, b->ndim ? 1 : 0};
    in->loop(NULL, (int64_t)in->out.h.numel, q, s);
    gd_touch(&in->out.h);
    return GD_OK;
  }
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
