/* compile.h: gd.compile's program: capture the kernels one call of a step
 * runs, then replay them in C into buffers planned once.
 *
 * While a program is tracing (gd_cp_tracing != NULL) the op layer reports
 * each kernel it runs (gd_cp_* hooks below): elementwise, reductions,
 * matmul, copies, constants, optimizer updates and random draws, including
 * the ones the tape's backward rules run.  Values are known by their
 * storage: an argument (bound again at each call), an external tensor held
 * by reference (Variables, constants captured by the function), a snapshot
 * constant, or a temporary that gets a planned buffer.  Views need no
 * instruction: an operand is a header (offset, shape, strides) over a value.
 * What cannot be replayed (a value read into Lua, an op with no compiled
 * form, an external tensor written inside) makes the trace fail with a
 * message naming the op; the eager call itself completes.  No Lua here.
 */
#ifndef GD_COMPILE_H
#define GD_COMPILE_H

#include "kernels.h"
#include "optim.h"
#include "rng.h"
#include "tensor.h"

typedef struct gd_prog gd_prog;

/* The program being traced, NULL when none (the hooks test it first). */
extern gd_prog *gd_cp_tracing;
/* Where the trace is in user code ("file:line"), filled by the binding. */
extern void (*gd_cp_where_fn)(char *buf, size_t len);

/* A new, empty program; NULL when out of memory. */
gd_prog *gd_prog_new(void);
/* Free p and release what it holds.  Idempotent on NULL. */
void gd_prog_free(gd_prog *p);
/* Start tracing into p (one trace at a time: GD_EARG if another runs). */
int gd_prog_begin(gd_prog *p);
/* Register tensor argument k (0-based) before the traced call. */
int gd_prog_arg(gd_prog *p, int k, const gd_tensor *x);
/* Stop tracing and plan: results res[0..n) (NULL: not a tensor).  Returns
 * GD_EARG with gd_prog_error's message when the trace failed. */
int gd_prog_end(gd_prog *p, int n, const gd_tensor *const *res);
/* Stop tracing without planning (an error unwound the traced call). */
void gd_prog_abort(gd_prog *p);
/* The first trace error, or NULL. */
const char *gd_prog_error(const gd_prog *p);
/* Number of instructions, of planned buffers, the doubles they hold, and
 * the instructions fused into blockwise runs. */
void gd_prog_stats(const gd_prog *p, int *ninstr, int *nbuf, size_t *doubles, int *nfused);
/* Instruction i's name ("sub", "matmul", "copy", ...) and its output's
 * element count; NULL past the end. */
const char *gd_prog_instr(const gd_prog *p, int i, size_t *numel);
/* Number of programs alive (for the memory tests). */
int gd_prog_live(void);

/* Replay: bind argument k to x (shape and strides as traced, checked). */
int gd_prog_bind(gd_prog *p, int k, const gd_tensor *x);
/* Run the program n ≥ 1 times. */
int gd_prog_run(gd_prog *p, int64_t n);
/* Result k of the last run: a header over the program's buffer (copy it out). */
const gd_tensor *gd_prog_result(const gd_prog *p, int k);

/* ---- hooks called by the op layer while tracing ------------------------- */

/* out = a op b (gd_binary_into) was computed. */
void gd_cp_binary(const gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
/* out = op(x) (gd_unary_into). */
void gd_cp_unary(const gd_tensor *out, gd_unop op, const gd_tensor *x);
/* out = c ? a : b (gd_where). */
void gd_cp_where(const gd_tensor *out, const gd_tensor *c, const gd_tensor *a, const gd_tensor *b);
/* out (and idx) = reduce(x) (gd_reduce_into). */
void gd_cp_reduce(const gd_tensor *out, const gd_tensor *idx, gd_redop op, const gd_tensor *x,
                  int dim, int keepdim, double ddof);
/* out = a·b (gd_matmul's shapes). */
void gd_cp_matmul(const gd_tensor *out, const gd_tensor *a, const gd_tensor *b);
/* dst = src broadcast (gd_copy_into; also gd_contiguous and saved copies). */
void gd_cp_copy(const gd_tensor *dst, const gd_tensor *src);
/* t's values are a constant from here on (a fill, a literal): snapshot. */
void gd_cp_const(const gd_tensor *t);
/* A number seen as a 0-d tensor at st (on the C stack): snapshot. */
void gd_cp_scalar(gd_storage *st);
/* w ← optimizer step (hp and *lr read at replay, *iter + 1 the step
 * number; bump_iter: this update is a call's last, so replay adds 1).
 * *epoch changes when the optimizer is reset: a replay then fails. */
void gd_cp_optim(const gd_optim_hp *hp, const double *lr, gd_optim_state *s, const gd_tensor *w,
                 const gd_tensor *g, long long *iter, const long long *epoch, int bump_iter);
/* out = a draw from g: kind 0 uniform(a, b), 1 normal(a, b), 2 randperm. */
void gd_cp_random(gd_rng *g, int kind, const gd_tensor *out, double a, double b);
/* out = x gathered along dim at the 1-based (negative: from the end)
 * indices in idx (1-D), as x:index(dim, idx); replay reads idx anew. */
void gd_cp_index(const gd_tensor *out, const gd_tensor *x, int dim, const gd_tensor *idx);
/* x (a pre-existing Variable) may be written by the step. */
void gd_cp_mutable(const gd_tensor *x);
/* x's storage is an argument or external tensor seen by the binding (door). */
void gd_cp_seen(const gd_tensor *x);
/* 1 if x's storage is an external tensor of the running trace. */
int gd_cp_outside(const gd_tensor *x);
/* x's value is read into Lua by what (item, totable, tostring, ...). */
void gd_cp_read(const gd_tensor *x, const char *what);
/* x is written in place by what, an op with no compiled form. */
void gd_cp_write(const gd_tensor *x, const char *what);
/* An op with no compiled form ran. */
void gd_cp_unsupported(const char *what);
/* The allocating kernels, reported to a running trace (for code that calls
 * kernels directly: backward rules' constant masks, sum_to's reductions). */
int gd_cp_kbinary(gd_tensor *out, gd_binop op, const gd_tensor *a, const gd_tensor *b);
int gd_cp_kunary(gd_tensor *out, gd_unop op, const gd_tensor *x);
int gd_cp_kreduce(gd_tensor *out, gd_tensor *idx, gd_redop op, const gd_tensor *x, int dim,
                  int keepdim, double ddof);
int gd_cp_kcontiguous(gd_tensor *out, const gd_tensor *x);

/* A storage was allocated (tensor.c's hook: born during the trace). */
void gd_cp_born(const gd_storage *st);

#endif
