/* compile_prog.h: the inside of a gd.compile program, shared by compile.c
 * (tracing: values and instructions) and compile_run.c (planning and
 * replay).  Private to those two files.  No Lua here.
 */
#ifndef GD_COMPILE_PROG_H
#define GD_COMPILE_PROG_H

#include "compile.h"

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
  gd_iter_fn loop;         /* planned: a small flat elementwise op's loop, called directly */
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

/* Doubles a header reaches from its storage's start. */
size_t gd_cp_extent(const gd_tensor *h);
/* After the trace: drop propagated copies, repeated and dead instructions
 * (compile_opt.c). */
void gd_cp_simplify(gd_prog *p);
/* After the trace: simplify, then give temporaries buffers. */
int gd_cp_plan(gd_prog *p);
/* After planning: point every operand at its replay storage, decide the
 * flat cases and fused runs, list the constants to reload. */
int gd_cp_bind_all(gd_prog *p);

#endif
