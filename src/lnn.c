/* lnn.c: Lua bindings of gd.nn: the layer userdata (Dense, Activation),
 * the forward pass over a list of layers, Sequential's training loop (in C:
 * shuffle, gather the batch, call the train step nn.lua made, progress and
 * history) and built-in losses (weights files and CSV: lnnio.c).
 * The C constructors go into gd._nn; lua/gd/nn.lua builds the user API.
 */
#include "lgd.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad.h"
#include "interrupt.h"
#include "kernels.h"
#include "nn.h"

#define GDL_LAYER "gd.nn.Layer"

/* metatable addresses for gdl_testudata's fast test */
static const void *layer_mt;

static const char core_key = 'C';   /* registry: gd.core's function table */

enum { LAYER_DENSE, LAYER_ACTIVATION };

/* uservalues: 1 kernel Variable, 2 bias Variable, 3 Lua side table
 * (name, init = function(in) → kernel, bias). */
typedef struct layer {
  int kind;
  gd_nn_act act;
  int64_t units, in;   /* in = 0 until built */
  int use_bias, trainable;
} layer;

static layer *checklayer(lua_State *L, int i, const char *fname) {
  layer *l = gdl_testudata(L, i, GDL_LAYER, &layer_mt);
  if (!l) luaL_error(L, "%s: argument %d: gd.nn layer expected, got %s", fname, i, gdl_typename(L, i));
  return l;
}

static gd_nn_act checkact(lua_State *L, int i, const char *fname) {
  if (lua_isnoneornil(L, i)) return GD_NN_LINEAR;
  const char *s = luaL_checkstring(L, i);
  int a = gd_nn_act_find(s);
  if (a < 0)
    luaL_error(L, "%s: unknown activation '%s' (linear, relu, sigmoid, tanh, softmax, softplus)", fname, s);
  return (gd_nn_act)a;
}

/* Push a new layer userdata with value v; its Lua side table (at side) is user value 3. */
static int push_layer(lua_State *L, layer v, int side) {
  layer *l = lua_newuserdatauv(L, sizeof *l, 3);
  *l = v;
  luaL_setmetatable(L, GDL_LAYER);
  lua_pushvalue(L, side);
  lua_setiuservalue(L, -2, 3);
  return 1;
}

/* _nn.dense(units, activation, use_bias, side) */
static int l_dense(lua_State *L) {
  const char *fname = "gd.nn.Dense";
  int64_t units = gdl_checkint(L, 1, fname, "units");
  if (units < 1) luaL_error(L, "%s: units must be positive, got %d", fname, (int)units);
  gd_nn_act act = checkact(L, 2, fname);
  luaL_checktype(L, 4, LUA_TTABLE);
  return push_layer(L, (layer){LAYER_DENSE, act, units, 0, lua_toboolean(L, 3), 1}, 4);
}

/* _nn.activation(name, side) */
static int l_activation(lua_State *L) {
  gd_nn_act act = checkact(L, 1, "gd.nn.Activation");
  luaL_checktype(L, 2, LUA_TTABLE);
  return push_layer(L, (layer){LAYER_ACTIVATION, act, 0, 0, 0, 1}, 2);
}

/* Build the Dense layer at i for in inputs: side.init(in) → kernel, bias. */
static void build(lua_State *L, int i, layer *l, int64_t in) {
  const char *fname = "gd.nn.Dense";
  if (in < 1) luaL_error(L, "%s: input dim must be positive, got %d", fname, (int)in);
  i = lua_absindex(L, i);
  lua_getiuservalue(L, i, 3);
  lua_getfield(L, -1, "init");
  lua_pushinteger(L, (lua_Integer)in);
  lua_call(L, 1, 2);
  gd_tensor *k = gdl_check(L, -2, fname);
  if (k->ndim != 2 || k->shape[0] != in || k->shape[1] != l->units)
    luaL_error(L, "%s: the kernel initializer gave a wrong shape", fname);
  if (l->use_bias) {
    gd_tensor *b = gdl_check(L, -1, fname);
    if (b->ndim != 1 || b->shape[0] != l->units)
      luaL_error(L, "%s: the bias initializer gave a wrong shape", fname);
  }
  lua_setiuservalue(L, i, 2);
  lua_setiuservalue(L, i, 1);
  lua_pop(L, 1);
  l->in = in;
}

static int l_build(lua_State *L) {
  layer *l = checklayer(L, 1, "gd.nn.Dense:build");
  if (l->kind == LAYER_DENSE) {
    int64_t in = gdl_checkint(L, 2, "gd.nn.Dense:build", "input dim");
    if (l->in && l->in != in) luaL_error(L, "gd.nn.Dense:build: already built for %d inputs", (int)l->in);
    if (!l->in) build(L, 1, l, in);
  }
  lua_settop(L, 1);
  return 1;
}

/* The layer's weight at i (its kernel or bias): an open tensor. */
static gd_tensor *check_weight(lua_State *L, int i, const char *what, const char *fname) {
  gd_tensor *t = gdl_test(L, i);
  if (!t) luaL_error(L, "%s: the layer's %s is %s, not a tensor", fname, what, gdl_typename(L, i));
  if (!t->st) luaL_error(L, "%s: the layer's %s is closed", fname, what);
  return t;
}

/* Push layer(x) for the layer at li and the tensor at xi; logits: without
 * the layer's activation (z, for Dense; x itself for Activation). */
static void forward(lua_State *L, int li, int xi, int logits, const char *fname) {
  layer *l = lua_touserdata(L, li);
  gd_tensor *x = gdl_check(L, xi, fname);
  if (l->kind == LAYER_ACTIVATION) {
    if (l->act == GD_NN_LINEAR || logits) {        /* the identity: x itself (as Keras) */
      lua_pushvalue(L, xi);
      return;
    }
    gd_tensor *r = gdl_new(L);
    if (gd_nn_activate(r, l->act, x)) gdl_fail(L, fname);
    return;
  }
  if (x->ndim < 1) luaL_error(L, "%s: input must have at least 1 dim", fname);
  int64_t in = x->shape[x->ndim - 1];
  if (!l->in) build(L, li, l, in);
  if (in != l->in) {
    char s[128];
    luaL_error(L, "%s: input of shape %s has %d features, the layer expects %d", fname,
               gd_shape_str(s, sizeof s, x->ndim, x->shape), (int)in, (int)l->in);
  }
  lua_getiuservalue(L, li, 1);
  lua_getiuservalue(L, li, 2);
  gd_tensor *w = check_weight(L, -2, "kernel", fname);
  gd_tensor *b = l->use_bias ? check_weight(L, -1, "bias", fname) : NULL;
  gd_tensor *r = gdl_new(L);
  if (gd_nn_dense(r, x, w, b, logits ? GD_NN_LINEAR : l->act)) gdl_fail(L, fname);
  lua_replace(L, -3);
  lua_pop(L, 1);
}

static int layer_call(lua_State *L) {
  checklayer(L, 1, "gd.nn.Layer");
  gdl_scalar sc;
  gdl_operand(L, 2, &sc, "gd.nn.Layer");   /* converts a table */
  if (!gdl_test(L, 2)) lua_replace(L, 2);
  forward(L, 1, 2, 0, "gd.nn.Layer");
  return 1;
}

/* Push the result of running layers (a list at li) on the tensor at xi;
 * non-C entries are called as functions.  With split (an activation other
 * than linear), when the last layer is a C layer ending in that activation,
 * also push its input, the logits z (the output is act(z), computed as the
 * forward pass computes it); returns whether it did. */
static int forward_all(lua_State *L, int li, int xi, gd_nn_act split, const char *fname) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, li);
  lua_pushvalue(L, xi);
  for (lua_Integer k = 1; k <= n; k++) {
    lua_rawgeti(L, li, k);
    layer *l = gdl_testudata(L, -1, GDL_LAYER, &layer_mt);
    if (l && k == n && split != GD_NN_LINEAR && l->act == split) {
      forward(L, lua_gettop(L), lua_gettop(L) - 1, 1, fname);   /* ..., x, layer, z */
      gd_tensor *p = gdl_new(L);
      if (gd_nn_activate(p, split, gdl_check(L, -2, fname))) gdl_fail(L, fname);
      lua_insert(L, -2);                                        /* ..., x, layer, p, z */
      lua_remove(L, -3);
      lua_remove(L, -3);
      return 1;
    }
    if (l) {
      forward(L, lua_gettop(L), lua_gettop(L) - 1, 0, fname);
      lua_replace(L, -3);
      lua_pop(L, 1);
    } else {
      lua_insert(L, -2);
      lua_call(L, 1, 1);
    }
  }
  return 0;
}

/* _nn.forward(layers, x[, split]) → layers(x)[, z]: z the logits of a last
 * C layer whose activation is split ("sigmoid", "softmax"), when it is. */
static int l_forward(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  gd_nn_act split = checkact(L, 3, "gd.nn.Sequential");
  lua_settop(L, 3);
  gdl_scalar sc;
  gdl_operand(L, 2, &sc, "gd.nn.Sequential");
  if (!gdl_test(L, 2)) lua_replace(L, 2);
  return forward_all(L, 1, 2, split, "gd.nn.Sequential") ? 2 : 1;
}

static int layer_index(lua_State *L) {
  layer *l = checklayer(L, 1, "gd.nn.Layer");
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "kernel") == 0) { lua_getiuservalue(L, 1, 1); return 1; }
  if (strcmp(k, "bias") == 0) { lua_getiuservalue(L, 1, 2); return 1; }
  if (strcmp(k, "weights") == 0) {
    lua_newtable(L);
    if (l->kind == LAYER_DENSE && l->in) {
      lua_getiuservalue(L, 1, 1);
      lua_rawseti(L, -2, 1);
      if (l->use_bias) { lua_getiuservalue(L, 1, 2); lua_rawseti(L, -2, 2); }
    }
    return 1;
  }
  if (strcmp(k, "trainable") == 0) { lua_pushboolean(L, l->trainable); return 1; }
  if (strcmp(k, "units") == 0) {
    if (l->kind == LAYER_DENSE) lua_pushinteger(L, (lua_Integer)l->units); else lua_pushnil(L);
    return 1;
  }
  if (strcmp(k, "input_dim") == 0) {
    if (l->in) lua_pushinteger(L, (lua_Integer)l->in); else lua_pushnil(L);
    return 1;
  }
  if (strcmp(k, "built") == 0) { lua_pushboolean(L, l->kind != LAYER_DENSE || l->in); return 1; }
  if (strcmp(k, "activation") == 0) { lua_pushstring(L, gd_nn_act_name(l->act)); return 1; }
  if (strcmp(k, "kind") == 0) { lua_pushstring(L, l->kind == LAYER_DENSE ? "Dense" : "Activation"); return 1; }
  if (strcmp(k, "use_bias") == 0) { lua_pushboolean(L, l->use_bias); return 1; }
  if (strcmp(k, "build") == 0) { lua_pushcfunction(L, l_build); return 1; }
  lua_getiuservalue(L, 1, 3);           /* name, count_params, ... from the side table */
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  return 1;
}

static int layer_newindex(lua_State *L) {
  layer *l = checklayer(L, 1, "gd.nn.Layer");
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "trainable") == 0) { l->trainable = lua_toboolean(L, 3); return 0; }
  if (strcmp(k, "name") == 0) {
    lua_getiuservalue(L, 1, 3);
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "name");
    return 0;
  }
  return luaL_error(L, "gd.nn.Layer: cannot set field '%s'", k);
}

static int layer_tostring(lua_State *L) {
  layer *l = checklayer(L, 1, "gd.nn.Layer");
  if (l->kind == LAYER_DENSE)
    lua_pushfstring(L, "Dense(%d, activation = \"%s\")", (int)l->units, gd_nn_act_name(l->act));
  else
    lua_pushfstring(L, "Activation(\"%s\")", gd_nn_act_name(l->act));
  return 1;
}

/* ---- losses -------------------------------------------------------------- */

/* _nn.loss(name, y, p, from_logits, per_sample) → 0-d tensor, or the per-sample losses (recorded) */
static int l_loss(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  char fname[64];
  snprintf(fname, sizeof fname, "gd.losses.%s", name);
  int kind = gd_nn_loss_find(name);
  if (kind < 0) luaL_error(L, "gd.losses: unknown loss '%s'", name);
  int from_logits = lua_toboolean(L, 4), rows = lua_toboolean(L, 5);   /* before operands push */
  gdl_scalar s1, s2;
  gd_tensor *y = gdl_operand(L, 2, &s1, fname);
  gd_tensor *p = gdl_operand(L, 3, &s2, fname);
  gd_tensor *r = gdl_new(L);
  if (gd_nn_loss_eval(r, (gd_nn_loss)kind, y, p, from_logits, rows)) gdl_fail(L, fname);
  return 1;
}

/* ---- the training loop ----------------------------------------------------- */

static double field_num(lua_State *L, int t, const char *k, double def) {
  lua_getfield(L, t, k);
  double v = lua_isnil(L, -1) ? def : lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* The mean of the loss tensor at i (a 0-d tensor read directly). */
static double scalar_of(lua_State *L, int i, const char *fname) {
  gd_tensor *t = gdl_check(L, i, fname);
  if (t->numel == 0) luaL_error(L, "%s: empty loss", fname);
  if (t->ndim == 0) return gd_data(t)[0];
  gd_tensor c;
  gd_tensor_init(&c);
  if (gd_reduce(&c, NULL, GD_RED_MEAN, t, -1, 0, 0)) gdl_fail(L, fname);
  double v = gd_data(&c)[0];
  gd_tensor_release(&c);
  return v;
}

/* spec[name](x, y, w) on the batch at xi, yi (wi: its sample weights, 0
 * none) → loss, predictions: pushes the predictions (nil when the function
 * gives none) and returns the loss's mean. */
static double run_batch(lua_State *L, int spec, const char *name, int xi, int yi, int wi,
                        const char *fname) {
  lua_getfield(L, spec, name);
  lua_pushvalue(L, xi);
  lua_pushvalue(L, yi);
  if (wi > 0) lua_pushvalue(L, wi); else lua_pushnil(L);
  lua_call(L, 3, 2);
  double lv = scalar_of(L, -2, fname);
  lua_remove(L, -2);
  return lv;
}

/* Append v to the list ht[key] (created if missing) at index e. */
static void append(lua_State *L, int ht, const char *key, lua_Integer e, double v) {
  if (lua_getfield(L, ht, key) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, ht, key);
  }
  lua_pushnumber(L, v);
  lua_rawseti(L, -2, e);
  lua_pop(L, 1);
}

/* The value of metric k (spec.metrics at mt) on the tensors at yi, pi,
 * computed without recording. */
static double metric_value(lua_State *L, int mt, int k, int yi, int pi, const char *fname) {
  gd_ad_pause();
  lua_rawgeti(L, mt, k + 1);
  lua_rawgeti(L, -1, 2);
  lua_pushvalue(L, yi);
  lua_pushvalue(L, pi);
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) { gd_ad_resume(); lua_error(L); }
  gd_ad_resume();
  double v = lua_isnumber(L, -1) && !gdl_test(L, -1) ? lua_tonumber(L, -1) : scalar_of(L, -1, fname);
  lua_pop(L, 2);
  return v;
}

/* Evaluate spec.objective(x, y) → loss, predictions and the metrics on the
 * whole (x, y) into the table at ht under prefix ("" or "val_"), appended
 * at epoch e. */
static void evaluate_into(lua_State *L, int spec, int xi, int yi, int ht, const char *prefix,
                          lua_Integer e, const char *fname) {
  int top = lua_gettop(L);
  double lv = run_batch(L, spec, "objective", xi, yi, 0, fname);
  int pi = lua_gettop(L);
  char key[96];
  snprintf(key, sizeof key, "%sloss", prefix);
  append(L, ht, key, e, lv);
  lua_getfield(L, spec, "metrics");      /* {{name, fn}, ...} */
  if (lua_istable(L, -1)) {
    int mt = lua_gettop(L);
    for (lua_Integer k = 1; lua_rawgeti(L, mt, k) == LUA_TTABLE; k++) {
      lua_rawgeti(L, -1, 1);
      snprintf(key, sizeof key, "%s%s", prefix, lua_tostring(L, -1));
      lua_pop(L, 2);
      append(L, ht, key, e, metric_value(L, mt, (int)k - 1, yi, pi, fname));
    }
  }
  lua_settop(L, top);
}

/* Push list[1] when it holds one tensor, else gd.cat(list, 1). */
static void cat_rows(lua_State *L, int list) {
  if (lua_rawlen(L, list) == 1) { lua_rawgeti(L, list, 1); return; }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &core_key);
  lua_getfield(L, -1, "cat");
  lua_remove(L, -2);
  lua_pushvalue(L, list);
  lua_pushinteger(L, 1);
  lua_call(L, 2, 1);
}

/* fit's progress line, built whole and then written at once: to C's
 * stdout, or through io.stdout:write when Lua code has put something else
 * than a file there (a notebook cell's stream, which the notebook redraws
 * at "\r" as a terminal does). */
typedef struct progress {
  char text[1024];
  size_t len;
  int to_lua;
} progress;

static void progress_add(progress *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(p->text + p->len, sizeof p->text - p->len, fmt, ap);
  va_end(ap);
  if (n > 0) p->len = p->len + (size_t)n < sizeof p->text ? p->len + (size_t)n : sizeof p->text - 1;
}

/* 1 if io.stdout is not a C file (a notebook's stream). */
static int stdout_replaced(lua_State *L) {
  int replaced = 0;
  if (lua_getglobal(L, "io") == LUA_TTABLE) {
    lua_getfield(L, -1, "stdout");
    replaced = !lua_isnil(L, -1) && !luaL_testudata(L, -1, LUA_FILEHANDLE);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return replaced;
}

static void progress_write(lua_State *L, progress *p) {
  if (p->to_lua) {
    lua_getglobal(L, "io");
    lua_getfield(L, -1, "stdout");
    lua_getfield(L, -1, "write");
    lua_insert(L, -2);
    lua_pushlstring(L, p->text, p->len);
    lua_call(L, 2, 0);
    lua_pop(L, 1);
  } else {
    fwrite(p->text, 1, p->len, stdout);
    fflush(stdout);
  }
  p->len = 0;
}

/* Add " - key: v" for key = prefix .. name of the history ht at epoch e, if there. */
static void print_entry(lua_State *L, progress *p, int ht, const char *prefix, const char *name, lua_Integer e) {
  char key[96];
  snprintf(key, sizeof key, "%s%s", prefix, name);
  if (lua_getfield(L, ht, key) == LUA_TTABLE && lua_rawgeti(L, -1, e) == LUA_TNUMBER) {
    progress_add(p, " - %s: %.6g", key, lua_tonumber(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* The epoch's entries of the history at ht in Keras's order: loss, the
 * metrics (names in spec.metrics at mt), then their val_ versions. */
static void print_logs(lua_State *L, progress *p, int ht, int mt, int nmet, lua_Integer e) {
  for (int v = 0; v < 2; v++) {
    const char *prefix = v ? "val_" : "";
    print_entry(L, p, ht, prefix, "loss", e);
    for (int k = 0; k < nmet; k++) {
      lua_rawgeti(L, mt, k + 1);
      lua_rawgeti(L, -1, 1);
      print_entry(L, p, ht, prefix, lua_tostring(L, -1), e);
      lua_pop(L, 2);
    }
  }
}

/* Call the spec's hook name (if any) with e (and the history at ht when
 * ht > 0); returns whether it returned true (stop training). */
static int call_hook(lua_State *L, int spec, const char *name, lua_Integer e, int ht) {
  if (lua_getfield(L, spec, name) == LUA_TNIL) { lua_pop(L, 1); return 0; }
  lua_pushinteger(L, e);
  if (ht > 0) lua_pushvalue(L, ht);
  lua_call(L, ht > 0 ? 2 : 1, 1);
  int stop = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return stop;
}

/* _nn.fit(spec) with spec = {step, metrics = {{name, fn}, ...}, x, y, sw,
 * epochs, batch_size, shuffle, verbose, epoch_begin, epoch_end} → history
 * {loss = {...}, <metric> = {...}}.  step(x, y, w) trains on one batch (w
 * its sample weights or nil) and returns the batch's loss and, when
 * metrics are asked for, its predictions: nn.lua makes it, a gd.compile'd
 * tape step.  An epoch's loss is Σ_b n_b·loss_b / N (Keras's
 * batch-weighted mean); its metrics are computed on the epoch's
 * concatenated batch targets and predictions (Keras's stateful metrics).
 * epoch_begin(e) runs before an epoch, epoch_end(e, history) after it
 * (validation and callbacks live there: it may add entries); a true result
 * from it stops training. */
static int l_fit(lua_State *L) {
  const char *fname = "gd.nn.Sequential:fit";
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  enum { X = 2, Y, SW, TARGETS, HIST, METRICS, PERM, MSUM, PREDS };   /* stack slots */
  lua_getfield(L, 1, "x");
  lua_getfield(L, 1, "y");
  lua_getfield(L, 1, "sw");
  lua_newtable(L);                /* TARGETS: the epoch's batch targets */
  lua_newtable(L);                /* HIST: history */
  gd_tensor *x = gdl_check(L, X, fname), *y = gdl_check(L, Y, fname);
  if (x->ndim < 1 || y->ndim < 1 || x->shape[0] != y->shape[0])
    luaL_error(L, "%s: x and y must have the same number of rows", fname);
  int64_t n = x->shape[0];
  if (n < 1) luaL_error(L, "%s: no data", fname);
  gd_tensor *sw = lua_isnil(L, SW) ? NULL : gdl_check(L, SW, fname);
  if (sw && (sw->ndim != 1 || sw->shape[0] != n))
    luaL_error(L, "%s: sample weights must be a vector of %d values", fname, (int)n);
  double ep = field_num(L, 1, "epochs", 1);
  if (!(ep >= 0 && ep <= 1e15)) luaL_error(L, "%s: epochs must be a count >= 0, got %f", fname, ep);
  lua_Integer epochs = (lua_Integer)ep;
  int64_t bs = (int64_t)field_num(L, 1, "batch_size", 32);
  if (bs < 1) luaL_error(L, "%s: batch_size must be positive", fname);
  if (bs > n) bs = n;
  lua_getfield(L, 1, "shuffle");
  int shuffle = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
  lua_pop(L, 1);
  int verbose = (int)field_num(L, 1, "verbose", 1);
  progress bar_text = { .len = 0, .to_lua = stdout_replaced(L) };   /* on the C stack: an error leaks nothing */
  progress *out = &bar_text;
  int tty = isatty(1) || out->to_lua;
  int nmet = 0;
  lua_getfield(L, 1, "metrics");
  if (lua_istable(L, -1)) nmet = (int)lua_rawlen(L, -1);
  int64_t *perm = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)n, 0);
  for (int64_t i = 0; i < n; i++) perm[i] = i;
  double *msum = lua_newuserdatauv(L, sizeof(double) * (size_t)(nmet + 1), 0);
  lua_newtable(L);                /* PREDS: the epoch's batch predictions */
  int base = lua_gettop(L);
  int64_t nb = (n + bs - 1) / bs;
  int full = nb == 1;             /* one batch: its order changes nothing, so no shuffle */
  int bar = verbose == 1 && tty;
  int stop = 0;
  for (lua_Integer e = 1; e <= epochs && !stop; e++) {
    call_hook(L, 1, "epoch_begin", e, 0);
    if (shuffle && !full) {
      lua_rawgetp(L, LUA_REGISTRYINDEX, &core_key);
      lua_getfield(L, -1, "randperm");
      lua_pushinteger(L, (lua_Integer)n);
      lua_call(L, 1, 1);
      const double *pd = gd_data(gdl_check(L, -1, fname));
      for (int64_t i = 0; i < n; i++) perm[i] = (int64_t)pd[i] - 1;
      lua_settop(L, base);
    }
    double lsum = 0;
    for (int k = 0; k < nmet; k++) msum[k] = 0;
    for (int64_t b = 0; b < nb; b++) {
      if (gd_interrupt_take()) luaL_error(L, "interrupted!");   /* Ctrl-C: no hook reaches this C loop */
      int64_t lo = b * bs, cnt = lo + bs > n ? n - lo : bs;
      if (full) {
        lua_pushvalue(L, X);
        lua_pushvalue(L, Y);
        lua_pushvalue(L, SW);
      } else {
        if (gd_nn_take_rows(gdl_new(L), x, perm + lo, cnt)) gdl_fail(L, fname);
        if (gd_nn_take_rows(gdl_new(L), y, perm + lo, cnt)) gdl_fail(L, fname);
        if (!sw) lua_pushnil(L);
        else if (gd_nn_take_rows(gdl_new(L), sw, perm + lo, cnt)) gdl_fail(L, fname);
      }
      int xbi = base + 1, ybi = base + 2, wbi = sw ? base + 3 : 0;
      double lv = run_batch(L, 1, "step", xbi, ybi, wbi, fname);
      int predi = lua_gettop(L);
      gdl_gcstep(L);
      lsum += lv * (double)cnt;
      if (nmet) {                 /* kept for the epoch's metrics */
        lua_pushvalue(L, ybi);
        lua_rawseti(L, TARGETS, b + 1);
        lua_pushvalue(L, predi);
        lua_rawseti(L, PREDS, b + 1);
      }
      if (bar) {                  /* the bar shows the batch-weighted running means */
        int w = 30, done = (int)((b + 1) * w / nb);
        progress_add(out, "\rEpoch %lld/%lld [%.*s%.*s", (long long)e, (long long)epochs, done,
                     "==============================", w - done, "..............................");
        progress_add(out, "] %lld/%lld - loss: %.6g", (long long)(b + 1), (long long)nb, lsum / (double)(lo + cnt));
        for (int k = 0; k < nmet; k++) {
          msum[k] += metric_value(L, METRICS, k, ybi, predi, fname) * (double)cnt;
          lua_rawgeti(L, METRICS, k + 1);
          lua_rawgeti(L, -1, 1);
          progress_add(out, " - %s: %.6g", lua_tostring(L, -1), msum[k] / (double)(lo + cnt));
          lua_pop(L, 2);
        }
        progress_write(L, out);
      }
      lua_settop(L, base);
    }
    append(L, HIST, "loss", e, lsum / (double)n);
    if (nmet) {
      cat_rows(L, TARGETS);
      cat_rows(L, PREDS);
      int yi = lua_gettop(L) - 1;
      for (int k = 0; k < nmet; k++) {
        double v = metric_value(L, METRICS, k, yi, yi + 1, fname);
        lua_rawgeti(L, METRICS, k + 1);
        lua_rawgeti(L, -1, 1);
        append(L, HIST, lua_tostring(L, -1), e, v);
        lua_pop(L, 2);
      }
      lua_settop(L, base);
    }
    stop = call_hook(L, 1, "epoch_end", e, HIST);
    if (verbose == 2 || verbose == 1) {
      if (bar)
        progress_add(out, "\rEpoch %lld/%lld [==============================] %lld/%lld", (long long)e,
                     (long long)epochs, (long long)nb, (long long)nb);
      else
        progress_add(out, "Epoch %lld/%lld", (long long)e, (long long)epochs);
      print_logs(L, out, HIST, METRICS, nmet, e);
      progress_add(out, "\n");
      progress_write(L, out);
    }
    lua_settop(L, base);
  }
  lua_pushvalue(L, HIST);
  return 1;
}

/* _nn.evaluate(spec) with spec = {objective, metrics, x, y} → {loss = {v}, ...}:
 * objective(x, y) → loss, predictions (nn.lua's, run without a tape). */
static int l_evaluate(lua_State *L) {
  const char *fname = "gd.nn.Sequential:evaluate";
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "x");        /* 2 */
  lua_getfield(L, 1, "y");        /* 3 */
  lua_newtable(L);                /* 4 */
  gdl_check(L, 2, fname);
  gdl_check(L, 3, fname);
  evaluate_into(L, 1, 2, 3, 4, "", 1, fname);
  return 1;
}

/* _nn.is_layer(v) → true if v is a gd.nn layer userdata */
static int l_is_layer(lua_State *L) {
  lua_pushboolean(L, gdl_testudata(L, 1, GDL_LAYER, &layer_mt) != NULL);
  return 1;
}

/* _nn.loss_index(name) → integer or nil */
static int l_loss_index(lua_State *L) {
  int k = gd_nn_loss_find(luaL_checkstring(L, 1));
  if (k < 0) lua_pushnil(L); else lua_pushinteger(L, k);
  return 1;
}

static const gdl_reg nnfuncs[] = {
  {"dense", l_dense, NULL}, {"activation", l_activation, NULL}, {"forward", l_forward, NULL},
  {"loss", l_loss, NULL}, {"loss_index", l_loss_index, NULL}, {"fit", l_fit, NULL},
  {"evaluate", l_evaluate, NULL}, {"build", l_build, NULL}, {"is_layer", l_is_layer, NULL},
  {NULL, NULL, NULL}
};

void gdl_open_nn(lua_State *L) {
  lua_pushvalue(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &core_key);
  luaL_newmetatable(L, GDL_LAYER);
  lua_pushcfunction(L, layer_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, layer_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, layer_call);
  lua_setfield(L, -2, "__call");
  lua_pushcfunction(L, layer_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_newtable(L);
  int t = lua_gettop(L);
  gdl_register(L, nnfuncs, t, 0, 0);
  gdl_register_nnio(L, t);
  lua_setfield(L, 1, "_nn");
}
