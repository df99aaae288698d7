/* adops_shape.h: recording views that adops.h does not declare.
 *
 * squeeze, unsqueeze and other views that only drop or add size-1 dims
 * (or keep the shape) are recorded as GD_OP_RESHAPE: their gradient is g
 * reshaped back to the input's shape.
 */
#ifndef GD_ADOPS_SHAPE_H
#define GD_ADOPS_SHAPE_H

#include "adops.h"

/* out = x without size-1 dims (dim < 0: all of them; else that one), a view. */
int gd_ad_squeeze(gd_tensor *out, const gd_tensor *x, int dim);
/* out = x with a size-1 dim inserted at dim (0..ndim), a view. */
int gd_ad_unsqueeze(gd_tensor *out, const gd_tensor *x, int dim);
/* out = a view of x with the same shape, recorded (an identity for the tapes). */
int gd_ad_alias(gd_tensor *out, const gd_tensor *x);
/* out = x gathered along dim at the 0-based ids held in the 1-D tensor idt
 * (index_add's adjoint; idt is saved as is). */
int gd_ad_index_t(gd_tensor *out, const gd_tensor *x, int dim, const gd_tensor *idt);

#endif
