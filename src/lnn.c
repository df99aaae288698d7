/* lnn.c: Lua bindings of gd.nn: the layer userdata (Dense, Activation),
 * the forward pass over a list of layers, Sequential's training loop (in C:
 * shuffle, gather the batch, record forward + loss on a tape, gradients,
 * opt:apply_gradients) and built-in losses (weights files and CSV: lnnio.c).
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
#define GDL_NNTAPE "gd.nn.tape"
#define GDL_TENSORS "gd.nn.tensors"

/* metatable addresses for gdl_testudata's fast test */
static const void *layer_mt, *nntape_mt, *tensors_mt;

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

/* Push layer(x) for the layer at li and the tensor at xi. */
static void forward(lua_State *L, int li, int xi, const char *fname) {
  layer *l = lua_touserdata(L, li);
  gd_tensor *x = gdl_check(L, xi, fname);
  if (l->kind == LAYER_ACTIVATION) {
    if (l->act == GD_NN_LINEAR) {        /* the identity: x itself (as Keras) */
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
  if (gd_nn_dense(r, x, w, b, l->act)) gdl_fail(L, fname);
  lua_replace(L, -3);
  lua_pop(L, 1);
}

static int layer_call(lua_State *L) {
  checklayer(L, 1, "gd.nn.Layer");
  gdl_scalar sc;
  gdl_operand(L, 2, &sc, "gd.nn.Layer");   /* converts a table */
  if (!gdl_test(L, 2)) lua_replace(L, 2);
  forward(L, 1, 2, "gd.nn.Layer");
  return 1;
}

/* Push the result of running layers (a list at li) on the tensor at xi;
 * non-C entries are called as functions. */
static void forward_all(lua_State *L, int li, int xi, const char *fname) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, li);
  lua_pushvalue(L, xi);
  for (lua_Integer k = 1; k <= n; k++) {
    lua_rawgeti(L, li, k);
    if (gdl_testudata(L, -1, GDL_LAYER, &layer_mt)) {
      forward(L, lua_gettop(L), lua_gettop(L) - 1, fname);
      lua_replace(L, -3);
      lua_pop(L, 1);
    } else {
      lua_insert(L, -2);
      lua_call(L, 1, 1);
    }
  }
}

static int l_forward(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  gdl_scalar sc;
  gdl_operand(L, 2, &sc, "gd.nn.Sequential");
  if (!gdl_test(L, 2)) lua_replace(L, 2);
  forward_all(L, 1, 2, "gd.nn.Sequential");
  return 1;
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

typedef struct nntape { gd_tape *t; } nntape;

static int nntape_gc(lua_State *L) {
  nntape *t = gdl_checkudata(L, 1, GDL_NNTAPE, &nntape_mt);
  if (t->t) gd_tape_free(t->t);
  t->t = NULL;
  return 0;
}

static double field_num(lua_State *L, int t, const char *k, double def) {
  lua_getfield(L, t, k);
  double v = lua_isnil(L, -1) ? def : lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Push loss(y, p) for the spec's loss (a built-in index or a function);
 * wi > 0: the batch's sample weights, passed as loss(y, p, w) (a function then). */
static void eval_loss(lua_State *L, int spec, int yi, int pi, int wi, const char *fname) {
  lua_getfield(L, spec, "loss");
  if (lua_isinteger(L, -1)) {
    int kind = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    gd_tensor *y = gdl_check(L, yi, fname), *p = gdl_check(L, pi, fname);
    gd_tensor *r = gdl_new(L);
    if (gd_nn_loss_eval(r, (gd_nn_loss)kind, y, p, (int)field_num(L, spec, "from_logits", 0), 0))
      gdl_fail(L, fname);
    return;
  }
  lua_pushvalue(L, yi);
  lua_pushvalue(L, pi);
  if (wi > 0) lua_pushvalue(L, wi);
  lua_call(L, wi > 0 ? 3 : 2, 1);
  gdl_check(L, -1, fname);
}

static double scalar_of(lua_State *L, int i, const char *fname) {
  gd_tensor *t = gdl_check(L, i, fname);
  if (t->numel == 0) luaL_error(L, "%s: empty loss", fname);
  gd_tensor c;
  gd_tensor_init(&c);
  if (gd_reduce(&c, NULL, GD_RED_MEAN, t, -1, 0, 0)) gdl_fail(L, fname);
  double v = gd_data(&c)[0];
  gd_tensor_release(&c);
  return v;
}

/* ---- the fused path: C layers, a built-in loss, hand-written backward ---- */

/* A userdata owning n tensors (released by __gc, so an error leaks none). */
typedef struct tensors { int n; gd_tensor t[]; } tensors;

static int tensors_gc(lua_State *L) {
  tensors *a = gdl_checkudata(L, 1, GDL_TENSORS, &tensors_mt);
  for (int i = 0; i < a->n; i++) gd_tensor_release(&a->t[i]);
  return 0;
}

static tensors *push_tensors(lua_State *L, int n) {
  tensors *a = lua_newuserdatauv(L, sizeof *a + sizeof(gd_tensor) * (size_t)n, 0);
  a->n = 0;
  luaL_setmetatable(L, GDL_TENSORS);
  for (int i = 0; i < n; i++) gd_tensor_init(&a->t[i]);
  a->n = n;
  return a;
}

/* The stages of the layers at li into st when every layer is a built C layer
 * and the spec's loss is built in: their count, else 0.  The layers table
 * anchors the layers, and they their weights. */
static int stages_of(lua_State *L, int spec, int li, gd_nn_stage *st) {
  lua_getfield(L, spec, "loss");
  int builtin = lua_isinteger(L, -1);
  lua_pop(L, 1);
  int n = (int)lua_rawlen(L, li);
  if (!builtin || n < 1 || n > GD_NN_MAXSTAGE) return 0;
  for (int k = 0; k < n; k++) {
    lua_rawgeti(L, li, k + 1);
    layer *l = gdl_testudata(L, -1, GDL_LAYER, &layer_mt);
    if (!l || (l->kind == LAYER_DENSE && !l->in)) { lua_pop(L, 1); return 0; }
    st[k].act = l->act;
    st[k].w = st[k].b = NULL;
    if (l->kind == LAYER_DENSE) {
      lua_getiuservalue(L, -1, 1);
      lua_getiuservalue(L, -2, 2);
      st[k].w = check_weight(L, -2, "kernel", "gd.nn.Sequential");
      st[k].b = l->use_bias ? check_weight(L, -1, "bias", "gd.nn.Sequential") : NULL;
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
  return n;
}

/* Forward + loss (+ gradients into g when non-NULL) by gd_nn_step on the
 * tensors at xi, yi; pushes the predictions; returns the loss. */
static double fused_step(lua_State *L, int spec, const gd_nn_stage *st, int ns, int xi, int yi,
                         tensors *g, int want_pred, const char *fname) {
  lua_getfield(L, spec, "loss");
  gd_nn_loss kind = (gd_nn_loss)lua_tointeger(L, -1);
  lua_pop(L, 1);
  double lv = 0;
  gd_tensor *pred = gdl_new(L);
  if (gd_nn_step(st, ns, kind, (int)field_num(L, spec, "from_logits", 0), gdl_check(L, xi, fname),
                 gdl_check(L, yi, fname), &lv, g ? g->t : NULL, want_pred ? pred : NULL))
    gdl_fail(L, fname);
  if (pred->st && pred->st->borrowed) {  /* x itself (linear layers only) may be inline: copy */
    gd_tensor c;
    gd_tensor_init(&c);
    int rc = gd_contiguous(&c, pred);
    gd_tensor_release(pred);
    *pred = c;
    if (rc) gdl_fail(L, fname);
  }
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

/* Evaluate loss and metrics of the whole (x, y) without a tape into the
 * table at ht under prefix ("" or "val_"), appended at epoch e. */
static void evaluate_into(lua_State *L, int spec, int layers, int xi, int yi, int ht,
                          const char *prefix, lua_Integer e, const char *fname) {
  int top = lua_gettop(L);
  gd_nn_stage st[GD_NN_MAXSTAGE];
  int ns = gdl_check(L, xi, fname)->ndim == 2 ? stages_of(L, spec, layers, st) : 0;
  double fused_loss = 0;
  if (ns) fused_loss = fused_step(L, spec, st, ns, xi, yi, NULL, 1, fname);
  else forward_all(L, layers, xi, fname);
  int pi = lua_gettop(L);
  if (ns) lua_pushnumber(L, fused_loss);
  else eval_loss(L, spec, yi, pi, 0, fname);
  char key[96];
  snprintf(key, sizeof key, "%sloss", prefix);
  append(L, ht, key, e, ns ? fused_loss : scalar_of(L, pi + 1, fname));
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

/* Apply the gradients g[0..nv) (empty: unconnected) to the variables at vars
 * with the optimizer at opt: straight to its C step when opt is a
 * gd.Optimizer and every gradient is there, else by opt:apply_gradients. */
static void apply_grads(lua_State *L, int opt, int vars, int nv, gd_tensor **g, const char *fname) {
  int all = 1;
  for (int j = 0; j < nv; j++) all &= g[j]->st != NULL;
  if (nv == 0 || (all && gdl_optim_apply(L, opt, vars, g, fname))) return;
  lua_getfield(L, opt, "apply_gradients");
  lua_pushvalue(L, opt);
  lua_createtable(L, nv, 0);
  for (int j = 0; j < nv; j++) {
    if (!g[j]->st) continue;
    gd_tensor_share(gdl_new(L), g[j]);
    lua_rawseti(L, -2, j + 1);
  }
  lua_pushvalue(L, vars);
  lua_call(L, 3, 0);
}

/* The general path: forward and loss of the batch at xi, yi (sample weights
 * at wi when wi > 0) recorded on a tape, the gradients of src[0..nv) into g.
 * Pushes the predictions; returns the loss. */
static double tape_step(lua_State *L, int spec, int layers, int xi, int yi, int wi, int nv,
                        const gd_tensor **src, gd_tensor *g, const char *fname) {
  nntape *tp = lua_newuserdatauv(L, sizeof *tp, 0);
  tp->t = NULL;
  luaL_setmetatable(L, GDL_NNTAPE);
  tp->t = gd_tape_new(0);
  if (!tp->t) luaL_error(L, "%s: out of memory", fname);
  for (int i = 0; i < nv; i++)
    if (gd_tape_watch(tp->t, (gd_tensor *)src[i])) gdl_fail(L, fname);
  gdl_tape_start(L, tp->t, fname);
  forward_all(L, layers, xi, fname);                  /* predictions */
  int pi = lua_gettop(L);
  eval_loss(L, spec, yi, pi, wi, fname);
  gd_tape_stop(tp->t);
  double lv = scalar_of(L, pi + 1, fname);
  if (nv > 0 && gd_tape_gradient(tp->t, gdl_check(L, pi + 1, fname), nv, src, g)) gdl_fail(L, fname);
  gd_tape_free(tp->t);
  tp->t = NULL;
  lua_pop(L, 1);
  return lv;
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

/* _nn.fit(spec) with spec = {layers, vars, opt, loss (index or function),
 * from_logits, metrics = {{name, fn}, ...}, x, y, sw, epochs, batch_size,
 * shuffle, verbose, epoch_begin, epoch_end} → history {loss = {...}, <metric> = {...}}.
 * An epoch's loss is Σ_b n_b·loss_b / N (Keras's batch-weighted mean); its
 * metrics are computed on the epoch's concatenated batch targets and
 * predictions (Keras's stateful metrics).  sw (N sample weights) is gathered
 * with the batch and passed as loss(y, p, w).  epoch_begin(e) runs before an
 * epoch, epoch_end(e, history) after it (validation and callbacks live
 * there: it may add entries); a true result from it stops training.
 * Stacks of C layers with a built-in loss take the fused path (gd_nn_step:
 * hand-written backward passes, no tape); anything else is recorded on a tape. */
static int l_fit(lua_State *L) {
  const char *fname = "gd.nn.Sequential:fit";
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "layers");   /* 2 */
  lua_getfield(L, 1, "vars");     /* 3 */
  lua_getfield(L, 1, "opt");      /* 4 */
  lua_getfield(L, 1, "x");        /* 5 */
  lua_getfield(L, 1, "y");        /* 6 */
  lua_getfield(L, 1, "sw");       /* 7 */
  lua_newtable(L);                /* 8: the epoch's batch targets */
  lua_newtable(L);                /* 9: history */
  gd_tensor *x = gdl_check(L, 5, fname), *y = gdl_check(L, 6, fname);
  if (x->ndim < 1 || y->ndim < 1 || x->shape[0] != y->shape[0])
    luaL_error(L, "%s: x and y must have the same number of rows", fname);
  int64_t n = x->shape[0];
  if (n < 1) luaL_error(L, "%s: no data", fname);
  gd_tensor *sw = lua_isnil(L, 7) ? NULL : gdl_check(L, 7, fname);
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
  lua_getfield(L, 1, "metrics");  /* 10 */
  if (lua_istable(L, -1)) nmet = (int)lua_rawlen(L, -1);
  int64_t *perm = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)n, 0);                     /* 11 */
  for (int64_t i = 0; i < n; i++) perm[i] = i;
  int nv = (int)lua_rawlen(L, 3);
  const gd_tensor **src = lua_newuserdatauv(L, sizeof(gd_tensor *) * (size_t)(nv + 1), 0);   /* 12 */
  for (int i = 0; i < nv; i++) {
    lua_rawgeti(L, 3, i + 1);
    src[i] = gdl_check(L, -1, fname);
    lua_pop(L, 1);                /* the vars table anchors it */
  }
  double *msum = lua_newuserdatauv(L, sizeof(double) * (size_t)(nmet + 1), 0);               /* 13 */
  /* fused when every layer is a C layer and every variable one of their weights */
  gd_nn_stage st[GD_NN_MAXSTAGE];
  int ns = x->ndim == 2 && !sw ? stages_of(L, 1, 2, st) : 0;
  int *map = lua_newuserdatauv(L, sizeof(int) * (size_t)(nv + 1), 0);                        /* 14 */
  for (int j = 0; j < nv && ns; j++) {
    map[j] = -1;
    for (int i = 0; i < ns; i++) {
      if (st[i].w == src[j]) map[j] = 2 * i;
      if (st[i].b && st[i].b == src[j]) map[j] = 2 * i + 1;
    }
    if (map[j] < 0) ns = 0;
  }
  tensors *g = push_tensors(L, ns ? 2 * ns : nv);   /* 15: the step's gradients */
  gd_tensor **gp = lua_newuserdatauv(L, sizeof(gd_tensor *) * (size_t)(nv + 1), 0);          /* 16 */
  for (int j = 0; j < nv; j++) gp[j] = &g->t[ns ? map[j] : j];
  lua_newtable(L);                /* 17: the epoch's batch predictions */
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
        lua_pushvalue(L, 5);
        lua_pushvalue(L, 6);
        lua_pushvalue(L, 7);
      } else {
        if (gd_nn_take_rows(gdl_new(L), x, perm + lo, cnt)) gdl_fail(L, fname);
        if (gd_nn_take_rows(gdl_new(L), y, perm + lo, cnt)) gdl_fail(L, fname);
        if (!sw) lua_pushnil(L);
        else if (gd_nn_take_rows(gdl_new(L), sw, perm + lo, cnt)) gdl_fail(L, fname);
      }
      int xbi = base + 1, ybi = base + 2, wbi = sw ? base + 3 : 0;
      double lv = ns ? fused_step(L, 1, st, ns, xbi, ybi, g, nmet > 0, fname)
                     : tape_step(L, 1, 2, xbi, ybi, wbi, nv, src, g->t, fname);
      int predi = lua_gettop(L);
      apply_grads(L, 4, 3, nv, gp, fname);
      for (int i = 0; i < g->n; i++) gd_tensor_release(&g->t[i]);
      gdl_gcstep(L);
      lsum += lv * (double)cnt;
      if (nmet) {                 /* kept for the epoch's metrics */
        lua_pushvalue(L, ybi);
        lua_rawseti(L, 8, b + 1);
        lua_pushvalue(L, predi);
        lua_rawseti(L, base, b + 1);
      }
      if (bar) {                  /* the bar shows the batch-weighted running means */
        int w = 30, done = (int)((b + 1) * w / nb);
        progress_add(out, "\rEpoch %lld/%lld [%.*s%.*s", (long long)e, (long long)epochs, done,
                     "==============================", w - done, "..............................");
        progress_add(out, "] %lld/%lld - loss: %.6g", (long long)(b + 1), (long long)nb, lsum / (double)(lo + cnt));
        for (int k = 0; k < nmet; k++) {
          msum[k] += metric_value(L, 10, k, ybi, predi, fname) * (double)cnt;
          lua_rawgeti(L, 10, k + 1);
          lua_rawgeti(L, -1, 1);
          progress_add(out, " - %s: %.6g", lua_tostring(L, -1), msum[k] / (double)(lo + cnt));
          lua_pop(L, 2);
        }
        progress_write(L, out);
      }
      lua_settop(L, base);
    }
    append(L, 9, "loss", e, lsum / (double)n);
    if (nmet) {
      cat_rows(L, 8);
      cat_rows(L, base);
      int yi = lua_gettop(L) - 1;
      for (int k = 0; k < nmet; k++) {
        double v = metric_value(L, 10, k, yi, yi + 1, fname);
        lua_rawgeti(L, 10, k + 1);
        lua_rawgeti(L, -1, 1);
        append(L, 9, lua_tostring(L, -1), e, v);
        lua_pop(L, 2);
      }
      lua_settop(L, base);
    }
    stop = call_hook(L, 1, "epoch_end", e, 9);
    if (verbose == 2 || verbose == 1) {
      if (bar)
        progress_add(out, "\rEpoch %lld/%lld [==============================] %lld/%lld", (long long)e,
                     (long long)epochs, (long long)nb, (long long)nb);
      else
        progress_add(out, "Epoch %lld/%lld", (long long)e, (long long)epochs);
      print_logs(L, out, 9, 10, nmet, e);
      progress_add(out, "\n");
      progress_write(L, out);
    }
    lua_settop(L, base);
  }
  lua_pushvalue(L, 9);
  return 1;
}

/* _nn.evaluate(spec) with spec = {layers, loss, from_logits, metrics, x, y} → {loss = {v}, ...} */
static int l_evaluate(lua_State *L) {
  const char *fname = "gd.nn.Sequential:evaluate";
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "layers");   /* 2 */
  lua_getfield(L, 1, "x");        /* 3 */
  lua_getfield(L, 1, "y");        /* 4 */
  lua_newtable(L);                /* 5 */
  gdl_check(L, 3, fname);
  gdl_check(L, 4, fname);
  evaluate_into(L, 1, 2, 3, 4, 5, "", 1, fname);
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
  luaL_newmetatable(L, GDL_NNTAPE);
  lua_pushcfunction(L, nntape_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, GDL_TENSORS);
  lua_pushcfunction(L, tensors_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_newtable(L);
  int t = lua_gettop(L);
  gdl_register(L, nnfuncs, t, 0, 0);
  gdl_register_nnio(L, t);
  lua_setfield(L, 1, "_nn");
}
