/* grad_linalg.c: backward rules of the linear algebra ops (to come). */
#include "grad.h"

const gd_backward_fn gd_bw_linalg[GD_OP_COUNT + 1] = {[GD_OP_COUNT] = NULL};
