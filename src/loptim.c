/* loptim.c: Lua bindings of the optimizers: the gd.Optimizer userdata and
 * its constructors gd._optim.SGD, Adagrad, RMSprop, Adam, AdamW (lua/gd/optim.lua
 * publishes them as gd.optim.* and adds minimize, trace, schedules, lr_find).
 *
 * An optimizer is a userdata holding the hyper-parameters and the step count,
 * with two user values: 1 = a weak-keyed table Variable → gd.OptimizerState
 * (the C buffers of that variable, freed by __gc), 2 = the lr schedule (a
 * callable of the step number) or nil.  The update itself is in optim.c.
 */
#include "lgd.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "compile.h"
#include "optim.h"

#define GDL_OPTIMIZER "gd.Optimizer"
#define GDL_OPTSTATE "gd.OptimizerState"
#define GDL_VARIABLE "gd.Variable"

/* metatable addresses for gdl_testudata's fast test */
static const void *variable_mt, *optimizer_mt, *optstate_mt;

typedef struct loptim {
  gd_optim_hp hp;
  lua_Integer iterations;      /* apply_gradients calls so far */
  long long epoch;             /* bumped by reset and by a new lr schedule: stale compiled steps see it */
} loptim;

typedef struct lstate { gd_optim_state s; } lstate;

static const char weakmt_key = 'W';   /* registry: {__mode = "k"} */

/* ---- hyper-parameter fields -------------------------------------------- */

#define K(k) (1u << (k))
#define K_ALL (K(GD_OPTIM_COUNT) - 1)
#define K_ADAM (K(GD_OPTIM_ADAM) | K(GD_OPTIM_ADAMW))

typedef struct field {
  const char *name;
  size_t off;        /* into gd_optim_hp */
  int isbool;        /* an int flag, else a double */
  unsigned kinds;    /* K(kind) bits of the optimizers that take it */
} field;

static const field fields[] = {
  {"lr", offsetof(gd_optim_hp, lr), 0, K_ALL},
  {"momentum", offsetof(gd_optim_hp, momentum), 0, K(GD_OPTIM_SGD) | K(GD_OPTIM_RMSPROP)},
  {"nesterov", offsetof(gd_optim_hp, nesterov), 1, K(GD_OPTIM_SGD)},
  {"initial_accumulator", offsetof(gd_optim_hp, initial_accumulator), 0, K(GD_OPTIM_ADAGRAD)},
  {"rho", offsetof(gd_optim_hp, rho), 0, K(GD_OPTIM_RMSPROP)},
  {"beta1", offsetof(gd_optim_hp, beta1), 0, K_ADAM},
  {"beta2", offsetof(gd_optim_hp, beta2), 0, K_ADAM},
  {"eps", offsetof(gd_optim_hp, eps), 0, K_ALL & ~K(GD_OPTIM_SGD)},
  {"centered", offsetof(gd_optim_hp, centered), 1, K(GD_OPTIM_RMSPROP)},
  {"amsgrad", offsetof(gd_optim_hp, amsgrad), 1, K_ADAM},
  {"weight_decay", offsetof(gd_optim_hp, weight_decay), 0, K(GD_OPTIM_ADAMW)},
  {NULL, 0, 0, 0}
};

static const field *find_field(gd_optim_kind kind, const char *name) {
  if (strcmp(name, "learning_rate") == 0) name = "lr";   /* Keras' spelling */
  for (const field *f = fields; f->name; f++)
    if ((f->kinds & K(kind)) && strcmp(f->name, name) == 0) return f;
  return NULL;
}

static double *dfield(gd_optim_hp *hp, const field *f) { return (double *)(void *)((char *)hp + f->off); }
static int *ifield(gd_optim_hp *hp, const field *f) { return (int *)(void *)((char *)hp + f->off); }

/* The names a kind takes, for "unknown option" messages. */
static void push_field_names(lua_State *L, gd_optim_kind kind) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (const field *f = fields; f->name; f++) {
    if (!(f->kinds & K(kind))) continue;
    if (f != fields) luaL_addstring(&b, ", ");
    luaL_addstring(&b, f->name);
  }
  luaL_pushresult(&b);
}

/* ---- helpers ------------------------------------------------------------ */

static loptim *checkopt(lua_State *L, int i, const char *fname) {
  loptim *o = gdl_testudata(L, i, GDL_OPTIMIZER, &optimizer_mt);
  if (!o) luaL_error(L, "%s: argument %d: gd.Optimizer expected, got %s", fname, i, gdl_typename(L, i));
  return o;
}

/* 1 if the value at i can be called: a function or something with __call. */
static int is_callable(lua_State *L, int i) {
  if (lua_isfunction(L, i)) return 1;
  if (luaL_getmetafield(L, i, "__call") == LUA_TNIL) return 0;
  lua_pop(L, 1);
  return 1;
}

/* The learning rate of the next step: the schedule's value at opt.iterations
 * (0-based; it may reach 0) or hp.lr. */
static double current_lr(lua_State *L, int opt, loptim *o, const char *fname) {
  if (lua_getiuservalue(L, opt, 2) == LUA_TNIL) {
    lua_pop(L, 1);
    return o->hp.lr;
  }
  lua_pushinteger(L, o->iterations);
  lua_call(L, 1, 1);
  int isnum;
  double lr = lua_tonumberx(L, -1, &isnum);
  if (!isnum || lua_type(L, -1) != LUA_TNUMBER || !(lr >= 0) || isinf(lr))
    luaL_error(L, "%s: the lr schedule gave %s at step %d (a number >= 0 expected)", fname,
               luaL_tolstring(L, -1, NULL), (int)o->iterations);
  lua_pop(L, 1);
  return lr;
}

/* Set lr from the value at i: a positive number or a schedule (callable). */
static void set_lr(lua_State *L, int opt, loptim *o, int i, const char *fname) {
  if (lua_type(L, i) == LUA_TNUMBER) {
    double lr = lua_tonumber(L, i);
    if (!(lr > 0) || isinf(lr)) luaL_error(L, "%s: lr must be a positive number, got %f", fname, lr);
    o->hp.lr = lr;
    lua_pushnil(L);
    lua_setiuservalue(L, opt, 2);
    return;
  }
  if (!is_callable(L, i))
    luaL_error(L, "%s: lr must be a positive number or a schedule (a function of the step), got %s",
               fname, gdl_typename(L, i));
  lua_pushvalue(L, i);
  lua_setiuservalue(L, opt, 2);
  o->epoch++;
  o->hp.lr = current_lr(L, opt, o, fname);   /* checks the schedule's first value */
}

static void new_state_table(lua_State *L, int opt) {
  lua_newtable(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &weakmt_key);
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, opt, 1);
}

/* ---- constructors ------------------------------------------------------- */

/* gd.optim.<Kind>([lr | {options}]) */
static int optim_new(lua_State *L, gd_optim_kind kind) {
  char fname[64];
  snprintf(fname, sizeof fname, "gd.optim.%s", gd_optim_name(kind));
  int top = lua_gettop(L);
  if (top > 1) luaL_error(L, "%s: expected one argument (lr or an options table), got %d", fname, top);
  int t = lua_type(L, 1);
  if (t != LUA_TNONE && t != LUA_TNIL && t != LUA_TNUMBER && t != LUA_TTABLE && !is_callable(L, 1))
    luaL_error(L, "%s: argument 1: lr or options table expected, got %s", fname, gdl_typename(L, 1));
  loptim *o = lua_newuserdatauv(L, sizeof *o, 2);
  gd_optim_defaults(&o->hp, kind);
  o->iterations = 0;
  o->epoch = 0;
  luaL_setmetatable(L, GDL_OPTIMIZER);
  int opt = lua_gettop(L);
  new_state_table(L, opt);
  lua_pushnil(L);                     /* opt + 1: the lr given, if any */
  int lr_at = opt + 1;
  if (t == LUA_TTABLE && !is_callable(L, 1)) {
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "%s: options must have string keys, got a %s key", fname, luaL_typename(L, -2));
      const char *k = lua_tostring(L, -2);
      const field *f = find_field(kind, k);
      if (!f) {
        push_field_names(L, kind);
        luaL_error(L, "%s: unknown option '%s' (it takes %s)", fname, k, lua_tostring(L, -1));
      }
      if (f->off == offsetof(gd_optim_hp, lr)) {
        lua_copy(L, -1, lr_at);
      } else if (f->isbool) {
        if (!lua_isboolean(L, -1))
          luaL_error(L, "%s: %s must be a boolean, got %s", fname, k, gdl_typename(L, -1));
        *ifield(&o->hp, f) = lua_toboolean(L, -1);
      } else {
        if (lua_type(L, -1) != LUA_TNUMBER)
          luaL_error(L, "%s: %s must be a number, got %s", fname, k, gdl_typename(L, -1));
        *dfield(&o->hp, f) = lua_tonumber(L, -1);
      }
      lua_pop(L, 1);
    }
  } else if (t > LUA_TNIL) {
    lua_copy(L, 1, lr_at);            /* a bare lr or schedule */
  }
  if (lua_type(L, lr_at) == LUA_TNUMBER) o->hp.lr = lua_tonumber(L, lr_at);
  if (gd_optim_check(&o->hp)) luaL_error(L, "%s: %s", fname, gd_errmsg());
  if (!lua_isnil(L, lr_at) && lua_type(L, lr_at) != LUA_TNUMBER) set_lr(L, opt, o, lr_at, fname);
  lua_settop(L, opt);
  return 1;
}

static int new_sgd(lua_State *L) { return optim_new(L, GD_OPTIM_SGD); }
static int new_adagrad(lua_State *L) { return optim_new(L, GD_OPTIM_ADAGRAD); }
static int new_rmsprop(lua_State *L) { return optim_new(L, GD_OPTIM_RMSPROP); }
static int new_adam(lua_State *L) { return optim_new(L, GD_OPTIM_ADAM); }
static int new_adamw(lua_State *L) { return optim_new(L, GD_OPTIM_ADAMW); }

/* ---- apply_gradients ---------------------------------------------------- */

/* gd.compile, before an update of the Variable at v (its state at v + 1):
 * the optimizer and the state live as long as the program; w may be
 * written; a schedule (a Lua function of the step) has no compiled form. */
static void traced_step(lua_State *L, int opt, const loptim *o, int v, const gd_tensor *g, int last) {
  (void)o;
  (void)g;
  if (last) {
    if (lua_getiuservalue(L, opt, 2) != LUA_TNIL) gd_cp_unsupported("an optimizer with an lr schedule");
    lua_pop(L, 1);
  }
  gdl_cp_anchor(L, opt);
  gd_cp_mutable(lua_touserdata(L, v));
  gdl_cp_anchor(L, v + 1);
}

/* Warn through the global `warn` (so a script or test can replace it). */
static void warn_msg(lua_State *L, const char *msg) {
  if (lua_getglobal(L, "warn") == LUA_TFUNCTION) {
    lua_pushstring(L, msg);
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
    lua_warning(L, msg, 0);
  }
}

/* The state userdata of the variable at v (created empty if new); pushed. */
static lstate *get_state(lua_State *L, int opt, int v) {
  lua_getiuservalue(L, opt, 1);
  lua_pushvalue(L, v);
  if (lua_rawget(L, -2) == LUA_TUSERDATA) {
    lua_remove(L, -2);
    return lua_touserdata(L, -1);
  }
  lua_pop(L, 1);
  lstate *ls = lua_newuserdatauv(L, sizeof *ls, 0);
  gd_optim_state_init(&ls->s);
  luaL_setmetatable(L, GDL_OPTSTATE);
  lua_pushvalue(L, v);
  lua_pushvalue(L, -2);
  lua_rawset(L, -4);
  lua_remove(L, -2);
  return ls;
}

/* The state of the Variable w at v, sized for it (pushed). */
static lstate *ready_state(lua_State *L, int opt, loptim *o, int v, const gd_tensor *w, const char *fname) {
  lstate *ls = get_state(L, opt, v);
  if (ls->s.n != w->numel || ls->s.nbuf != gd_optim_nbuf(&o->hp))
    if (gd_optim_state_alloc(&ls->s, &o->hp, w->numel)) gdl_fail(L, fname);
  return ls;
}

/* opt:apply_gradients{{g1, v1}, {g2, v2}, ...} or opt:apply_gradients(grads, vars)
 * (grads a list that may hold nils, vars a list; or one gradient and one Variable).
 * Checks every pair before changing anything; nil gradients are skipped with a warning. */
static int apply_gradients(lua_State *L) {
  const char *fname = "gd.Optimizer:apply_gradients";
  loptim *o = checkopt(L, 1, fname);
  int pairs_form = lua_gettop(L) <= 2 || lua_isnil(L, 3);
  lua_settop(L, 3);
  lua_Integer n;
  int single = 0;
  if (pairs_form) {
    if (!lua_istable(L, 2) || gdl_test(L, 2))
      luaL_error(L, "%s: argument 1: list of {gradient, variable} pairs expected, got %s", fname,
                 gdl_typename(L, 2));
    n = (lua_Integer)lua_rawlen(L, 2);
  } else if (gdl_testudata(L, 3, GDL_VARIABLE, &variable_mt)) {
    n = 1;
    single = 1;
  } else {
    if (!lua_istable(L, 3) || gdl_test(L, 3))
      luaL_error(L, "%s: argument 2: list of variables expected, got %s", fname, gdl_typename(L, 3));
    if (!lua_istable(L, 2) || gdl_test(L, 2))
      luaL_error(L, "%s: argument 1: list of gradients expected, got %s", fname, gdl_typename(L, 2));
    n = (lua_Integer)lua_rawlen(L, 3);
    if ((lua_Integer)lua_rawlen(L, 2) > n)
      luaL_error(L, "%s: %d gradients for %d variables", fname, (int)lua_rawlen(L, 2), (int)n);
  }
  if (n < 1) luaL_error(L, "%s: no variables given", fname);
  if (n > 1000000) luaL_error(L, "%s: too many variables (%d)", fname, (int)n);
  luaL_checkstack(L, (int)(3 * n) + 10, fname);
  int base = lua_gettop(L);               /* base + 3i-2, -1, 0: gradient, variable, state */
  for (lua_Integer i = 1; i <= n; i++) {
    if (pairs_form) {
      if (lua_rawgeti(L, 2, i) != LUA_TTABLE || gdl_test(L, -1))
        luaL_error(L, "%s: pair %d: {gradient, variable} expected, got %s", fname, (int)i,
                   gdl_typename(L, -1));
      lua_rawgeti(L, -1, 1);
      lua_rawgeti(L, -2, 2);
      lua_remove(L, -3);
    } else if (single) {
      lua_pushvalue(L, 2);
      lua_pushvalue(L, 3);
    } else {
      lua_rawgeti(L, 2, i);
      lua_rawgeti(L, 3, i);
    }
    int g = lua_gettop(L) - 1, v = g + 1;
    gd_tensor *w = gdl_testudata(L, v, GDL_VARIABLE, &variable_mt);
    if (!w) luaL_error(L, "%s: variable %d: gd.Variable expected, got %s", fname, (int)i, gdl_typename(L, v));
    if (!w->st) luaL_error(L, "%s: variable %d is closed", fname, (int)i);
    if (!lua_isnil(L, g)) {
      gd_tensor *gt = gdl_test(L, g);
      if (!gt) luaL_error(L, "%s: gradient %d: tensor or nil expected, got %s", fname, (int)i, gdl_typename(L, g));
      if (!gt->st) luaL_error(L, "%s: gradient %d is empty (closed)", fname, (int)i);
      if (!gd_shape_eq(gt->ndim, gt->shape, w->ndim, w->shape)) {
        char a[128], b[128];
        luaL_error(L, "%s: gradient %d has shape %s but its variable has shape %s", fname, (int)i,
                   gd_shape_str(a, sizeof a, gt->ndim, gt->shape), gd_shape_str(b, sizeof b, w->ndim, w->shape));
      }
    }
    lua_pushnil(L);                       /* the state slot, filled below */
  }
  int given = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    int g = base + 3 * (int)i - 2;
    if (!lua_isnil(L, g)) { given++; continue; }
    gd_tensor *w = lua_touserdata(L, g + 1);
    char s[128], msg[256];
    snprintf(msg, sizeof msg, "%s: no gradient for variable %d (shape %s); skipped", fname, (int)i,
             gd_shape_str(s, sizeof s, w->ndim, w->shape));
    warn_msg(L, msg);
  }
  if (given == 0) luaL_error(L, "%s: no gradient for any of the %d variable(s)", fname, (int)n);
  double lr = current_lr(L, 1, o, fname);
  lua_Integer last = 0;                   /* the last variable with a gradient */
  for (lua_Integer i = 1; i <= n; i++) if (!lua_isnil(L, base + 3 * (int)i - 2)) last = i;
  for (lua_Integer i = 1; i <= n; i++) {  /* allocate every state before the first update */
    int g = base + 3 * (int)i - 2;
    if (lua_isnil(L, g)) continue;
    ready_state(L, 1, o, g + 1, lua_touserdata(L, g + 1), fname);
    lua_replace(L, g + 2);
  }
  gdl_gcstep(L);
  for (lua_Integer i = 1; i <= n; i++) {
    int g = base + 3 * (int)i - 2;
    if (lua_isnil(L, g)) continue;
    gd_tensor *gt = gdl_test(L, g);
    gd_tensor *w = lua_touserdata(L, g + 1);
    lstate *ls = lua_touserdata(L, g + 2);
    if (gd_cp_tracing) traced_step(L, 1, o, g + 1, gt, i == last);
    if (gd_optim_step(&o->hp, &ls->s, w, gt, lr, (int64_t)o->iterations + 1)) gdl_fail(L, fname);
    if (gd_cp_tracing) gd_cp_optim(&o->hp, &o->hp.lr, &ls->s, w, gt, &o->iterations, &o->epoch, i == last);
  }
  o->iterations++;
  lua_settop(L, 1);
  return 1;
}


int gdl_optim_apply(lua_State *L, int opt, int vars, gd_tensor *const *grads, const char *fname) {
  opt = lua_absindex(L, opt);
  vars = lua_absindex(L, vars);
  loptim *o = gdl_testudata(L, opt, GDL_OPTIMIZER, &optimizer_mt);
  if (!o) return 0;
  int n = (int)lua_rawlen(L, vars);
  luaL_checkstack(L, 2 * n + 4, fname);
  int base = lua_gettop(L);                /* base + 2i+1, 2i+2: variable, state */
  for (int i = 0; i < n; i++) {            /* every state ready before the first update */
    lua_rawgeti(L, vars, i + 1);
    gd_tensor *w = gdl_testudata(L, -1, GDL_VARIABLE, &variable_mt);
    if (!w || !w->st) luaL_error(L, "%s: weight %d is not an open gd.Variable", fname, i + 1);
    ready_state(L, opt, o, lua_gettop(L), w, fname);
  }
  double lr = current_lr(L, opt, o, fname);
  for (int i = 0; i < n; i++) {
    gd_tensor *w = lua_touserdata(L, base + 2 * i + 1);
    lstate *ls = lua_touserdata(L, base + 2 * i + 2);
    if (gd_cp_tracing) traced_step(L, opt, o, base + 2 * i + 1, grads[i], i == n - 1);
    if (gd_optim_step(&o->hp, &ls->s, w, grads[i], lr, (int64_t)o->iterations + 1)) gdl_fail(L, fname);
    if (gd_cp_tracing)
      gd_cp_optim(&o->hp, &o->hp.lr, &ls->s, w, grads[i], &o->iterations, &o->epoch, i == n - 1);
  }
  lua_settop(L, base);
  o->iterations++;
  return 1;
}

/* opt:reset(): forget every variable's state and set iterations to 0. */
static int optim_reset(lua_State *L) {
  loptim *o = checkopt(L, 1, "gd.Optimizer:reset");
  o->iterations = 0;
  o->epoch++;
  new_state_table(L, 1);
  lua_settop(L, 1);
  return 1;
}

/* Names of a kind's state buffers, in optim.c's order. */
static int slot_names(const gd_optim_hp *hp, const char **names) {
  int k = 0;
  switch (hp->kind) {
    case GD_OPTIM_SGD: if (hp->momentum > 0) names[k++] = "velocity"; break;
    case GD_OPTIM_ADAGRAD: names[k++] = "accumulator"; break;
    case GD_OPTIM_RMSPROP:
      names[k++] = "h";
      if (hp->centered) names[k++] = "mean_grad";
      if (hp->momentum > 0) names[k++] = "momentum";
      break;
    case GD_OPTIM_ADAM: case GD_OPTIM_ADAMW:
      names[k++] = "m"; names[k++] = "v";
      if (hp->amsgrad) names[k++] = "vmax";
      break;
    default: break;
  }
  return k;
}

/* opt:slots(v): a table of copies of v's state buffers by name (empty before v's first step). */
static int optim_slots(lua_State *L) {
  const char *fname = "gd.Optimizer:slots";
  loptim *o = checkopt(L, 1, fname);
  gd_tensor *w = gdl_testudata(L, 2, GDL_VARIABLE, &variable_mt);
  if (!w) luaL_error(L, "%s: argument 1: gd.Variable expected, got %s", fname, gdl_typename(L, 2));
  lua_newtable(L);
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TUSERDATA) { lua_pop(L, 2); return 1; }
  lstate *ls = lua_touserdata(L, -1);
  const char *names[GD_OPTIM_MAXBUF];
  int k = slot_names(&o->hp, names);
  if (k != ls->s.nbuf || ls->s.n != w->numel) { lua_pop(L, 2); return 1; }
  for (int b = 0; b < k; b++) {
    gd_tensor *t = gdl_new_shaped(L, w->ndim, w->shape, fname);
    if (w->numel) memcpy(gd_data(t), ls->s.buf[b], w->numel * sizeof(double));
    lua_setfield(L, -4, names[b]);
  }
  lua_pop(L, 2);
  return 1;
}

/* ---- metamethods -------------------------------------------------------- */

static int optim_index(lua_State *L) {
  loptim *o = checkopt(L, 1, "gd.Optimizer");
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;   /* a method */
  lua_pop(L, 1);
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  const char *k = lua_tostring(L, 2);
  if (strcmp(k, "lr") == 0 || strcmp(k, "learning_rate") == 0) {
    lua_pushnumber(L, current_lr(L, 1, o, "gd.Optimizer.lr"));
    return 1;
  }
  if (strcmp(k, "schedule") == 0) { lua_getiuservalue(L, 1, 2); return 1; }
  if (strcmp(k, "iterations") == 0) { lua_pushinteger(L, o->iterations); return 1; }
  if (strcmp(k, "name") == 0) { lua_pushstring(L, gd_optim_name(o->hp.kind)); return 1; }
  const field *f = find_field(o->hp.kind, k);
  if (!f) return 0;
  if (f->isbool) lua_pushboolean(L, *ifield(&o->hp, f));
  else lua_pushnumber(L, *dfield(&o->hp, f));
  return 1;
}

static int optim_newindex(lua_State *L) {
  loptim *o = checkopt(L, 1, "gd.Optimizer");
  const char *k = lua_tostring(L, 2);
  if (lua_type(L, 2) == LUA_TSTRING && (strcmp(k, "lr") == 0 || strcmp(k, "learning_rate") == 0)) {
    set_lr(L, 1, o, 3, "gd.Optimizer.lr");
    return 0;
  }
  return luaL_error(L, "gd.Optimizer: cannot set '%s' (only lr is settable)",
                    lua_type(L, 2) == LUA_TSTRING ? k : luaL_typename(L, 2));
}

static int optim_tostring(lua_State *L) {
  loptim *o = checkopt(L, 1, "gd.Optimizer");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "%s{", gd_optim_name(o->hp.kind));
  luaL_addvalue(&b);
  int first = 1;
  for (const field *f = fields; f->name; f++) {
    if (!(f->kinds & K(o->hp.kind))) continue;
    if (!first) luaL_addstring(&b, ", ");
    first = 0;
    if (f->off == offsetof(gd_optim_hp, lr)) {
      lua_getiuservalue(L, 1, 2);
      int sched = !lua_isnil(L, -1);
      lua_pop(L, 1);
      if (sched) { luaL_addstring(&b, "lr = schedule"); continue; }
    }
    if (f->isbool) lua_pushfstring(L, "%s = %s", f->name, *ifield(&o->hp, f) ? "true" : "false");
    else {
      char num[32];
      snprintf(num, sizeof num, "%.6g", *dfield(&o->hp, f));
      lua_pushfstring(L, "%s = %s", f->name, num);
    }
    luaL_addvalue(&b);
  }
  lua_pushfstring(L, "} after %d steps", (int)o->iterations);
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  return 1;
}

static int state_gc(lua_State *L) {
  lstate *ls = gdl_checkudata(L, 1, GDL_OPTSTATE, &optstate_mt);
  gd_optim_state_free(&ls->s);
  return 0;
}

static const gdl_reg constructors[] = {
  {"SGD", new_sgd, "gd.optim.SGD([lr | {lr = 0.01, momentum = 0, nesterov = false}]): v ← μv − lr·g; w ← w + v (nesterov: w ← w + μv − lr·g)"},
  {"Adagrad", new_adagrad, "gd.optim.Adagrad([lr | {lr = 0.001, eps = 1e-7, initial_accumulator = 0}]): h ← h + g²; w ← w − lr·g/(√h + ε)"},
  {"RMSprop", new_rmsprop, "gd.optim.RMSprop([lr | {lr = 0.001, rho = 0.9, eps = 1e-7, momentum = 0, centered = false}]): h ← ρh + (1−ρ)g²; w ← w − lr·g/(√h + ε)"},
  {"Adam", new_adam, "gd.optim.Adam([lr | {lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, amsgrad = false}]): w ← w − lr·m̂/(√v̂ + ε) (Kingma & Ba, Algorithm 1)"},
  {"AdamW", new_adamw, "gd.optim.AdamW([lr | {lr = 0.001, beta1, beta2, eps, amsgrad, weight_decay = 0.004}]): w ← w − lr·λ·w first, then the Adam step (as PyTorch and Keras)"},
  {"_lbfgs_direction", gdl_lbfgs_direction, "gd._optim._lbfgs_direction(g, S, Y, rho, gamma): −H·g by the L-BFGS two-loop recursion (internal, for gd.optim.minimize)"},
  {NULL, NULL, NULL}
};

static const gdl_reg methods[] = {
  {"apply_gradients", apply_gradients, "opt:apply_gradients{{g1, v1}, {g2, v2}, ...} or opt:apply_gradients(grads, vars): one step on each Variable; nil gradients are skipped with a warning"},
  {"reset", optim_reset, "opt:reset(): forget every variable's state and set opt.iterations to 0"},
  {"slots", optim_slots, "opt:slots(v): copies of v's state buffers by name (m, v, velocity, ...)"},
  {NULL, NULL, NULL}
};

void gdl_open_optim(lua_State *L) {
  lua_newtable(L);                              /* {__mode = "k"}: states die with their variable */
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &weakmt_key);
  luaL_newmetatable(L, GDL_OPTSTATE);
  lua_pushcfunction(L, state_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_newtable(L);                              /* gd._optim */
  int t = lua_gettop(L);
  gdl_register(L, constructors, t, 0, 3);
  lua_newtable(L);                              /* the methods (optim.lua adds minimize) */
  int m = lua_gettop(L);
  gdl_register(L, methods, 0, m, 3);
  luaL_newmetatable(L, GDL_OPTIMIZER);
  lua_pushvalue(L, m);
  lua_pushcclosure(L, optim_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, optim_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, optim_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_setfield(L, t, "_metatable");
  lua_setfield(L, t, "_methods");
  lua_setfield(L, 1, "_optim");
}
