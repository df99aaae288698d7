/* grad_shape.c: backward rules of slicing, indexing, cat and stack (to come). */
#include "grad.h"

const gd_backward_fn gd_bw_shape[GD_OP_COUNT + 1] = {[GD_OP_COUNT] = NULL};
