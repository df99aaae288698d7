/* lgd.h: shared helpers of the Lua bindings (l*.c files only).
 *
 * A tensor userdata holds a gd_tensor; it is created empty (no storage)
 * before anything is allocated, so an error at any point cannot leak.
 * Errors name the Lua-visible function: "gd.matmul: shapes ...".
 */
#ifndef GD_LGD_H
#define GD_LGD_H

#include <lua.h>
#include <lauxlib.h>

#include "tensor.h"

#define GDL_TENSOR "gd.Tensor"

/* A registered function: Lua name, C function, one-line doc for help(). */
typedef struct gdl_reg {
  const char *name;
  lua_CFunction fn;
  const char *doc;
} gdl_reg;

/* Push a new empty tensor userdata (metatable set) and return it. */
gd_tensor *gdl_new(lua_State *L);

/* Results of at most GDL_SMALL_MAX elements are "small": one userdata with
 * the data inline and no finalizer (a third cheaper to create and collect,
 * and paced by the collector as the bytes they are: a finalized userdata
 * takes two cycles to free, which let loops of 17-64 element results pile
 * up ~100 MiB when the limit was 16).  The userdata (~760 bytes at 64
 * elements) fits gdlua_alloc's free lists (up to 1 KiB).
 * Inline ("borrowed") storage is not refcounted: it lives as long as its
 * userdata.  So the tape copies it, and a view of it (gdl_new_view) anchors
 * the owning userdata in a user value and needs no finalizer either. */
#define GDL_SMALL_MAX 64
/* Push a new contiguous tensor of the given shape (small when it fits). */
gd_tensor *gdl_new_shaped(lua_State *L, int nd, const int64_t *shape, const char *fname);
/* 1 if t's data lives inline in its userdata. */
int gdl_is_small(const gd_tensor *t);
/* Push the userdata for a view of x, the tensor at i: as gdl_new for pooled
 * storage; for inline data, one without a finalizer that anchors the data's
 * owner.  After the op fills it, call gdl_view_done. */
gd_tensor *gdl_new_view(lua_State *L, int i, const gd_tensor *x);
/* Finish the view at i: if the op made a copy (pooled storage) instead of a
 * view of inline data, give it the finalizing metatable.  Never raises. */
void gdl_view_done(lua_State *L, int i);
/* The tensor at index i, or NULL if it is not one. */
gd_tensor *gdl_test(lua_State *L, int i);
/* Type name for messages: the metatable's __name ("gd.Tensor", "FILE*") or the Lua type. */
const char *gdl_typename(lua_State *L, int i);
/* The tensor at index i, or an error naming fname and the argument. */
gd_tensor *gdl_check(lua_State *L, int i, const char *fname);
/* Room for a number operand seen as a 0-d tensor (lives on the C stack). */
typedef struct gdl_scalar { gd_tensor t; gd_storage st; double v; } gdl_scalar;
/* Any operand as a tensor: a tensor as is; a number as a 0-d scalar held in
 * *sc; a (nested) table converted into a new tensor pushed on the stack. */
gd_tensor *gdl_operand(lua_State *L, int i, gdl_scalar *sc, const char *fname);
/* Raise "fname: <core error message>". */
int gdl_fail(lua_State *L, const char *fname);
/* Push a result tensor to be filled by gdl_set_result once computed (so no
 * allocation can fail between computing a C tensor and handing it over). */
gd_tensor *gdl_new_result(lua_State *L);
/* Hand t (taken over, left empty) to the result at i: up to 16 elements
 * (the room gdl_new_result keeps) are copied inline and need no finalizer;
 * bigger ones move in.
 * Keeps t's id and flags; never raises. */
void gdl_set_result(lua_State *L, int i, gd_tensor *t);
/* x:t() / x.T: pushes the tensor at 1 with its dims reversed (a view). */
int gdl_t(lua_State *L);
/* luaL_testudata with a fast first test: *mt caches the address of tname's
 * metatable (a static per type; a miss falls back to the full test). */
void *gdl_testudata(lua_State *L, int i, const char *tname, const void **mt);
/* The same, raising a type error when the value at i is not a tname. */
void *gdl_checkudata(lua_State *L, int i, const char *tname, const void **mt);
/* Pace Lua's collector by the storage bytes allocated since the last call. */
void gdl_gcstep(lua_State *L);
/* A dim argument (1-based, negative from the end) → 0-based in [0, ndim). */
int gdl_checkdim(lua_State *L, int arg, int ndim, const char *fname);
/* An optional dim: nil → -1 (all), else as gdl_checkdim. */
int gdl_optdim(lua_State *L, int arg, int ndim, const char *fname);
/* A shape given as integers from arg on, or as one table at arg. */
int gdl_checkshape(lua_State *L, int arg, int64_t *shape, const char *fname);
/* Integer argument with a message naming fname. */
int64_t gdl_checkint(lua_State *L, int arg, const char *fname, const char *what);
/* Number argument (not a string) with a message naming fname and what it is. */
double gdl_checknumber(lua_State *L, int arg, const char *fname, const char *what);
/* Optional number argument: nil or absent → def. */
double gdl_optnumber(lua_State *L, int arg, double def, const char *fname, const char *what);
/* Push a shape as a new Lua table. */
void gdl_pushshape(lua_State *L, int ndim, const int64_t *shape);
/* Register functions into the table at index t (gd) and, if m != 0, into
 * the method table at index m; docs go into the doc table at index d. */
void gdl_register(lua_State *L, const gdl_reg *r, int t, int m, int d);
/* Build a tensor from a number, nested table or tensor at i; pushes it. */
gd_tensor *gdl_from_value(lua_State *L, int i, const char *fname);

/* Install the tensor metatable (methods table at m) under registry key. */
void gdl_tensor_metatable(lua_State *L, int m, const void *key);
/* __index for integer and table keys: x[i], x[{...}]. */
int gdl_getitem(lua_State *L);
/* __newindex: x[i] = v, x[{...}] = v. */
int gdl_setitem(lua_State *L);

/* Start recording on t (gd_tape_start), first collecting garbage when many
 * tapes are open: a tape left open by an error stays on the active stack
 * until its finalizer runs, and must not block new ones.  Raises on error. */
struct gd_tape;
void gdl_tape_start(lua_State *L, struct gd_tape *t, const char *fname);

/* Push the numpy-style text of the tensor at i as "prefix(...)". */
int gdl_tostring(lua_State *L, int i, const char *prefix);

/* Push the tensor metatable. */
void gdl_push_tensor_mt(lua_State *L);
/* Let the metatable at index i pass gdl_test's fast check (Variable). */
void gdl_set_subtype(lua_State *L, int i);

/* One step of the gd.Optimizer at opt on the Variables listed at vars, with
 * grads[i] the gradient of vars[i] (all present, shapes checked by the
 * caller).  Returns 0, doing nothing, if opt is not a gd.Optimizer. */
int gdl_optim_apply(lua_State *L, int opt, int vars, gd_tensor *const *grads, const char *fname);

/* gd.compile: the borrowed tensor t at i, met while tracing, is anchored by
 * the trace (lcompile.c) so that its inline data outlives the call. */
void gdl_cp_seen(lua_State *L, int i, const gd_tensor *t);
/* gd.compile: anchor the value at i for as long as the traced program lives. */
void gdl_cp_anchor(lua_State *L, int i);

/* Module parts: each registers its functions (gd table at 1, methods at 2,
 * docs at 3 on the stack). */
void gdl_open_tensor(lua_State *L);
void gdl_open_shape(lua_State *L);
void gdl_open_linalg(lua_State *L);
void gdl_open_random(lua_State *L);
void gdl_open_print(lua_State *L);
void gdl_open_plot(lua_State *L);
void gdl_open_tape(lua_State *L);
void gdl_open_optim(lua_State *L);
/* gd._optim._lbfgs_direction(g, S, Y, rho, gamma): −H·g by L-BFGS's two-loop recursion (loptim2.c). */
int gdl_lbfgs_direction(lua_State *L);
void gdl_open_nn(lua_State *L);
void gdl_open_arrays(lua_State *L);
/* gd.json and the hashes gd.sha256, gd.hmac_sha256, gd.digest_equal (ljson.c). */
void gdl_open_json(lua_State *L);
/* gd.set_num_threads, gd.get_num_threads (lthreads.c). */
void gdl_open_threads(lua_State *L);
/* gd.compile's C side: programs, tracing and replay (lcompile.c). */
void gdl_open_compile(lua_State *L);
/* Register gd._nn's file functions (weights, CSV: lnnio.c) into the table at t. */
void gdl_register_nnio(lua_State *L, int t);
/* Build the Variable metatable (after the tensor metatable is complete). */
void gdl_open_variable(lua_State *L);
/* gd._kernel: the Jupyter kernel's sockets (lkernel.c). */
void gdl_open_kernel(lua_State *L);

#endif
