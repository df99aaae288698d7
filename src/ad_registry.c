/* ad_registry.c: the table of differentiable ops: name, whether the rule
 * reads the output, and the rule (from grad_elem.c, grad_shape.c,
 * grad_linalg.c, grad_arrays.c).  gradcheck's spec walks this list. */
#include "grad.h"

static const struct { const char *name; int save_out; } ops[GD_OP_COUNT] = {
  [GD_OP_ADD] = {"add", 0}, [GD_OP_SUB] = {"sub", 0}, [GD_OP_MUL] = {"mul", 0},
  [GD_OP_DIV] = {"div", 0}, [GD_OP_POW] = {"pow", 1}, [GD_OP_MOD] = {"mod", 0},
  [GD_OP_MAXIMUM] = {"maximum", 0}, [GD_OP_MINIMUM] = {"minimum", 0},
  [GD_OP_WHERE] = {"where", 0},
  [GD_OP_NEG] = {"neg", 0}, [GD_OP_EXP] = {"exp", 1}, [GD_OP_LOG] = {"log", 0},
  [GD_OP_LOG1P] = {"log1p", 0}, [GD_OP_EXPM1] = {"expm1", 1}, [GD_OP_SQRT] = {"sqrt", 1},
  [GD_OP_ABS] = {"abs", 0}, [GD_OP_SIN] = {"sin", 0}, [GD_OP_COS] = {"cos", 0},
  [GD_OP_TAN] = {"tan", 1}, [GD_OP_TANH] = {"tanh", 1}, [GD_OP_SIGMOID] = {"sigmoid", 1},
  [GD_OP_RELU] = {"relu", 0}, [GD_OP_SOFTPLUS] = {"softplus", 0}, [GD_OP_SIGN] = {"sign", 0},
  [GD_OP_FLOOR] = {"floor", 0}, [GD_OP_CEIL] = {"ceil", 0}, [GD_OP_ROUND] = {"round", 0},
  [GD_OP_SQUARE] = {"square", 0}, [GD_OP_COPY] = {"copy", 0},
  [GD_OP_ERF] = {"erf", 0}, [GD_OP_ERFC] = {"erfc", 0}, [GD_OP_LGAMMA] = {"lgamma", 0},
  [GD_OP_DIGAMMA] = {"digamma", 0}, [GD_OP_TRIGAMMA] = {"trigamma", 0},
  [GD_OP_LOG10] = {"log10", 0}, [GD_OP_LOG2] = {"log2", 0},
  [GD_OP_SUM] = {"sum", 0}, [GD_OP_MEAN] = {"mean", 0}, [GD_OP_VAR] = {"var", 0},
  [GD_OP_STD] = {"std", 1}, [GD_OP_MAX] = {"max", 1}, [GD_OP_MIN] = {"min", 1},
  [GD_OP_PROD] = {"prod", 0}, [GD_OP_LOGSUMEXP] = {"logsumexp", 1}, [GD_OP_NORM] = {"norm", 1},
  [GD_OP_SUM_TO] = {"sum_to", 0},
  [GD_OP_RESHAPE] = {"reshape", 0}, [GD_OP_PERMUTE] = {"permute", 0},
  [GD_OP_EXPAND] = {"expand", 0}, [GD_OP_SLICE] = {"slice", 0}, [GD_OP_SELECT] = {"select", 0},
  [GD_OP_INDEX] = {"index", 0}, [GD_OP_MASK] = {"mask", 0}, [GD_OP_CAT] = {"cat", 0},
  [GD_OP_STACK] = {"stack", 0}, [GD_OP_EMBED] = {"embed", 0},
  [GD_OP_INDEX_ADD] = {"index_add", 0}, [GD_OP_MASK_SCATTER] = {"mask_scatter", 0},
  [GD_OP_MATMUL] = {"matmul", 0}, [GD_OP_OUTER] = {"outer", 0}, [GD_OP_INV] = {"inv", 1},
  [GD_OP_SOLVE] = {"solve", 1}, [GD_OP_DET] = {"det", 1}, [GD_OP_SLOGDET] = {"slogdet", 1},
  [GD_OP_CHOLESKY] = {"cholesky", 1}, [GD_OP_LSTSQ] = {"lstsq", 1}, [GD_OP_PINV] = {"pinv", 1},
  [GD_OP_EIGH] = {"eigh", 1}, [GD_OP_SVD] = {"svd", 1}, [GD_OP_QR] = {"qr", 1},
  [GD_OP_CUMSUM] = {"cumsum", 0}, [GD_OP_CUMPROD] = {"cumprod", 1},
};

/* A rule for ops whose rule is not written yet: a clear error. */
static int missing(const gd_node *n, const gd_tensor *g, const int *need, gd_tensor *gin) {
  (void)g;
  (void)need;
  (void)gin;
  return gd_seterr(GD_EARG, "no gradient rule for %s", ops[n->op].name);
}

const gd_opinfo *gd_op_info(gd_opcode op) {
  static gd_opinfo table[GD_OP_COUNT];
  static int ready;
  if ((unsigned)op >= GD_OP_COUNT) return NULL;
  if (!ready) {
    for (int i = 0; i < GD_OP_COUNT; i++) {
      gd_backward_fn f = gd_bw_elem[i] ? gd_bw_elem[i]
                       : gd_bw_shape[i] ? gd_bw_shape[i]
                       : gd_bw_arrays[i] ? gd_bw_arrays[i] : gd_bw_linalg[i];
      table[i].name = ops[i].name;
      table[i].save_out = ops[i].save_out;
      table[i].shape_only = i == GD_OP_ADD || i == GD_OP_SUB || i == GD_OP_NEG ||
                            i == GD_OP_COPY || i == GD_OP_SUM || i == GD_OP_MEAN ||
                            i == GD_OP_SUM_TO || i == GD_OP_RESHAPE || i == GD_OP_PERMUTE ||
                            i == GD_OP_EXPAND || i == GD_OP_SLICE || i == GD_OP_SELECT ||
                            i == GD_OP_CAT || i == GD_OP_STACK || i == GD_OP_EMBED ||
                            i == GD_OP_SIGN || i == GD_OP_FLOOR || i == GD_OP_CEIL ||
                            i == GD_OP_ROUND || i == GD_OP_CUMSUM;
      table[i].backward = f ? f : missing;
    }
    ready = 1;
  }
  return &table[op];
}
