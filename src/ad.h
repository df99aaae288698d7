/* ad.h: reverse-mode automatic differentiation: the op registry, tapes,
 * recording and the backward pass.
 *
 * A tape is a list of nodes in execution order; a node is one op with its
 * saved inputs (and output, where its rule needs it).  Tensors are known to
 * a tape by id (gd_tensor.id): watched tensors, trainable Variables and the
 * outputs of recorded ops.  An op is recorded on every active tape that
 * knows one of its inputs.  Backward rules are written with the recording
 * ops of adops.h, so an outer tape records an inner tape's backward pass:
 * that is how higher-order gradients work.  No Lua here.
 */
#ifndef GD_AD_H
#define GD_AD_H

#include "tensor.h"

/* The differentiable ops.  gd_opinfo(op) gives each a name and a rule. */
typedef enum gd_opcode {
  /* elementwise binary (broadcast) */
  GD_OP_ADD, GD_OP_SUB, GD_OP_MUL, GD_OP_DIV, GD_OP_POW, GD_OP_MOD,
  GD_OP_MAXIMUM, GD_OP_MINIMUM, GD_OP_WHERE,
  /* elementwise unary */
  GD_OP_NEG, GD_OP_EXP, GD_OP_LOG, GD_OP_LOG1P, GD_OP_EXPM1, GD_OP_SQRT, GD_OP_ABS,
  GD_OP_SIN, GD_OP_COS, GD_OP_TAN, GD_OP_TANH, GD_OP_SIGMOID, GD_OP_RELU,
  GD_OP_SOFTPLUS, GD_OP_SIGN, GD_OP_FLOOR, GD_OP_CEIL, GD_OP_ROUND, GD_OP_SQUARE,
  GD_OP_COPY,
  GD_OP_ERF, GD_OP_ERFC, GD_OP_LGAMMA, GD_OP_DIGAMMA, GD_OP_TRIGAMMA,
  GD_OP_LOG10, GD_OP_LOG2,   /* in gd_unop's order: GD_OP_NEG + op */
  /* reductions */
  GD_OP_SUM, GD_OP_MEAN, GD_OP_VAR, GD_OP_STD, GD_OP_MAX, GD_OP_MIN, GD_OP_PROD,
  GD_OP_LOGSUMEXP, GD_OP_NORM, GD_OP_SUM_TO,
  /* shape and indexing */
  GD_OP_RESHAPE, GD_OP_PERMUTE, GD_OP_EXPAND, GD_OP_SLICE, GD_OP_SELECT,
  GD_OP_INDEX, GD_OP_MASK, GD_OP_CAT, GD_OP_STACK, GD_OP_EMBED, GD_OP_INDEX_ADD,
  GD_OP_MASK_SCATTER,
  /* linear algebra */
  GD_OP_MATMUL, GD_OP_OUTER, GD_OP_INV, GD_OP_SOLVE, GD_OP_DET, GD_OP_SLOGDET,
  GD_OP_CHOLESKY, GD_OP_LSTSQ, GD_OP_PINV,
  /* decompositions: several results, one node (out and co[]) */
  GD_OP_EIGH, GD_OP_SVD, GD_OP_QR,
  /* array functions (adops_arrays.c) */
  GD_OP_CUMSUM, GD_OP_CUMPROD,
  GD_OP_COUNT
} gd_opcode;

#define GD_NODE_MAXIN 4
#define GD_NODE_MAXCO 2    /* outputs beyond the first */
#define GD_NODE_MAXBW 64   /* inputs a node may have (cat/stack record groups of this) */

/* One recorded op.  in[] are the saved inputs (ids kept), out the saved
 * output (only its id and shape when the rule does not need its value). */
typedef struct gd_node {
  gd_opcode op;
  int nin;
  gd_tensor in[GD_NODE_MAXIN];
  unsigned inver[GD_NODE_MAXIN];  /* storage versions when saved */
  gd_tensor out;
  unsigned outver;
  int64_t ip[4];                  /* integer parameters (dims, flags, sizes) */
  double dp[2];                   /* real parameters (ddof) */
  int xn;                         /* extra inputs beyond GD_NODE_MAXIN (cat/stack) */
  gd_tensor *xin;                 /* their saved copies (malloc'd) */
  int nco;                        /* further outputs of a multi-result op (eigh, svd, qr) */
  gd_tensor co[GD_NODE_MAXCO];    /* saved with their ids and values */
  unsigned cover[GD_NODE_MAXCO];
  const gd_tensor *cog[GD_NODE_MAXCO];  /* in backward: ∂target/∂co[i], NULL when none */
} gd_node;

/* Backward rule: gin[i] = ∂target/∂in[i] given g = ∂target/∂out, for the
 * inputs with need[i]; others are left empty.  Built from recording ops.
 * For a multi-result op g may be empty (no st) and n->cog[i] has the
 * gradients of the other results. */
typedef int (*gd_backward_fn)(const gd_node *n, const gd_tensor *g, const int *need,
                              gd_tensor *gin);

typedef struct gd_opinfo {
  const char *name;          /* "add", "matmul", ... (what gradcheck lists) */
  int save_out;              /* the rule reads the output's value */
  int shape_only;            /* the rule reads only the inputs' shapes */
  gd_backward_fn backward;
} gd_opinfo;

/* Saved input i of a node (0-based; also past GD_NODE_MAXIN). */
const gd_tensor *gd_node_input(const gd_node *n, int i);
/* The registry entry of op (NULL if out of range). */
const gd_opinfo *gd_op_info(gd_opcode op);

typedef struct gd_tape gd_tape;

/* A new tape (persistent: several gradient calls); NULL when out of memory. */
gd_tape *gd_tape_new(int persistent);
/* Free a tape and everything it saved (stops it first). */
void gd_tape_free(gd_tape *t);
/* Start recording: push t on the active stack. */
int gd_tape_start(gd_tape *t);
/* Stop recording: remove t from the active stack (idempotent). */
void gd_tape_stop(gd_tape *t);
/* Watch x: give it an id if it has none and track that id. */
int gd_tape_watch(gd_tape *t, gd_tensor *x);
/* 1 if t knows x (watched, trainable, or produced by a recorded op). */
int gd_tape_knows(const gd_tape *t, const gd_tensor *x);
/* Gradients of sum(target) with respect to the n sources into grads[]
 * (left empty where a source is not connected).  A non-persistent tape
 * can do this once. */
int gd_tape_gradient(gd_tape *t, const gd_tensor *target, int n,
                     const gd_tensor *const *sources, gd_tensor *grads);

/* 1 when some active tape could record an op on these inputs. */
int gd_ad_tracking(int n, const gd_tensor *const *in);
/* Record op (inputs in[0..n), output out, parameters) on every active tape
 * that knows an input; gives out a fresh id when recorded, else id 0. */
int gd_ad_record(gd_opcode op, gd_tensor *out, int n, const gd_tensor *const *in,
                 const int64_t *ip, const double *dp);
/* gd_ad_record for an op with nout ≤ 1 + GD_NODE_MAXCO results outs[]: one
 * node whose rule sees every result's gradient (n->out, n->co[]). */
int gd_ad_record_multi(gd_opcode op, gd_tensor *const *outs, int nout, int n,
                       const gd_tensor *const *in, const int64_t *ip, const double *dp);
/* A fresh nonzero id. */
uint64_t gd_ad_newid(void);
/* Pause / resume recording everywhere (no_grad); nests. */
void gd_ad_pause(void);
void gd_ad_resume(void);
/* Number of active, recording tapes. */
int gd_ad_active(void);
/* Number of tapes on the active stack (paused or not). */
int gd_ad_depth(void);

#endif
