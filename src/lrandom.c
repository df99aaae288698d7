/* lrandom.c: Lua bindings of the random generator (rng.h).
 *
 * gd.rand, gd.randn, ... draw from a default generator kept in the registry
 * (private state, as lmathlib keeps its own), seeded with 0 when the module
 * opens so that every run is reproducible until gd.seed says otherwise.
 * gd.Generator(seed) makes an independent generator: a "gd.Generator"
 * userdata with the same functions as methods (g:rand(3), g:seed(7)).
 * Each function is written once as an `*_impl(L, g, a, fname)` taking the
 * generator and the stack index of its first argument.
 */
#include "lgd.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "compile.h"
#include "rng.h"

#define GDL_GENERATOR "gd.Generator"

typedef struct gdl_gen {
  gd_rng rng;
  lua_Integer seed;   /* the last seed, for tostring */
} gdl_gen;

static const char default_key = 'R';   /* registry key of the default generator */

/* ---- generators ---------------------------------------------------------- */

static gd_rng *default_rng(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &default_key);
  gdl_gen *g = lua_touserdata(L, -1);   /* anchored by the registry */
  lua_pop(L, 1);
  return &g->rng;
}

static gdl_gen *check_gen(lua_State *L, const char *fname) {
  gdl_gen *g = luaL_testudata(L, 1, GDL_GENERATOR);
  if (!g) luaL_error(L, "%s: argument 1: gd.Generator expected, got %s (call it as g:%s)",
                     fname, luaL_typename(L, 1), strchr(fname, ':') + 1);
  return g;
}

/* The seed at arg: an integer, or none/nil for one taken from the clock. */
static lua_Integer seed_arg(lua_State *L, int arg, const char *fname) {
  if (!lua_isnoneornil(L, arg)) return (lua_Integer)gdl_checkint(L, arg, fname, "seed");
  uint64_t s = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^ (uint64_t)(uintptr_t)L ^
               (uint64_t)(uintptr_t)&arg;
  return (lua_Integer)(s & (((uint64_t)1 << 62) - 1));   /* positive, prints plainly */
}

static void reseed(gdl_gen *g, lua_Integer seed) {
  gd_rng_seed(&g->rng, (uint64_t)seed);
  g->seed = seed;
}

/* Push a new generator seeded with seed. */
static gdl_gen *new_gen(lua_State *L, lua_Integer seed) {
  gdl_gen *g = lua_newuserdatauv(L, sizeof(gdl_gen), 0);
  reseed(g, seed);
  luaL_setmetatable(L, GDL_GENERATOR);
  return g;
}

static int f_Generator(lua_State *L) {
  new_gen(L, seed_arg(L, 1, "gd.Generator"));
  return 1;
}

static int g_tostring(lua_State *L) {
  gdl_gen *g = luaL_checkudata(L, 1, GDL_GENERATOR);
  lua_pushfstring(L, "gd.Generator(seed = %I)", g->seed);
  return 1;
}

/* ---- argument helpers ---------------------------------------------------- */

/* The optional shape from arg on; returns -1 when none is given. */
static int opt_shape(lua_State *L, int arg, int64_t *shape, const char *fname) {
  int top = lua_gettop(L);
  if (top < arg || (top == arg && lua_isnil(L, arg))) return -1;
  return gdl_checkshape(L, arg, shape, fname);
}

/* ---- the functions, each once for any generator ---------------------------- */

/* gd.compile: report a draw into r (and keep a gd.Generator at 1 alive). */
static void traced_draw(lua_State *L, gd_rng *g, gd_rng_kind kind, const gd_tensor *r,
                        double p1, double p2) {
  if (luaL_testudata(L, 1, GDL_GENERATOR)) gdl_cp_anchor(L, 1);
  gd_cp_random(g, (int)kind, r, p1, p2);
}

typedef int (*draw_fn)(gd_rng *, gd_tensor *, int, const int64_t *, double, double);

/* A tensor of draws from f(p1, p2), its optional shape from argument sa on. */
static int draw(lua_State *L, gd_rng *g, int sa, draw_fn f, double p1, double p2, const char *fname) {
  int64_t shape[GD_MAXDIM];
  int nd = opt_shape(L, sa, shape, fname);
  gd_tensor *r = gdl_new(L);
  if (f(g, r, nd < 0 ? 0 : nd, shape, p1, p2)) gdl_fail(L, fname);
  if (gd_cp_tracing) traced_draw(L, g, f == gd_rng_uniform ? GD_RNG_UNIFORM : GD_RNG_NORMAL,
                                 r, p1, p2);
  return 1;
}

static int rand_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  return draw(L, g, a, gd_rng_uniform, 0, 1, fname);
}

static int randn_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  return draw(L, g, a, gd_rng_normal, 0, 1, fname);
}

static int uniform_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  double lo = gdl_checknumber(L, a, fname, "lo"), hi = gdl_checknumber(L, a + 1, fname, "hi");
  return draw(L, g, a + 2, gd_rng_uniform, lo, hi, fname);
}

static int normal_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  double mean = gdl_checknumber(L, a, fname, "mean"), std = gdl_checknumber(L, a + 1, fname, "std");
  return draw(L, g, a + 2, gd_rng_normal, mean, std, fname);
}

static int randint_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  int64_t lo = gdl_checkint(L, a, fname, "lo"), hi = gdl_checkint(L, a + 1, fname, "hi");
  int64_t shape[GD_MAXDIM];
  int nd = opt_shape(L, a + 2, shape, fname);
  gd_tensor *r = gdl_new(L);
  if (gd_rng_randint(g, r, nd < 0 ? 0 : nd, shape, lo, hi)) gdl_fail(L, fname);
  if (gd_cp_tracing) gd_cp_unsupported(fname);
  return 1;
}

/* p at index pi (number, table or tensor), optional shape from pi + 1 on;
 * no shape: p's shape.  The shape is read before p may push a tensor. */
static gd_tensor *prob_args(lua_State *L, int pi, int64_t *shape, int *nd, gdl_scalar *sp,
                            const char *fname) {
  *nd = opt_shape(L, pi + 1, shape, fname);
  lua_settop(L, pi);
  gd_tensor *p = gdl_operand(L, pi, sp, fname);
  if (*nd < 0) {
    *nd = p->ndim;
    memcpy(shape, p->shape, sizeof(int64_t) * (size_t)p->ndim);
  }
  return p;
}

static int binomial_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  int64_t n = gdl_checkint(L, a, fname, "n"), shape[GD_MAXDIM];
  int nd;
  gdl_scalar sp;
  gd_tensor *p = prob_args(L, a + 1, shape, &nd, &sp, fname);
  gd_tensor *r = gdl_new(L);
  if (gd_rng_binomial(g, r, nd, shape, n, p)) gdl_fail(L, fname);
  if (gd_cp_tracing) gd_cp_unsupported(fname);
  return 1;
}

typedef int (*param_fn)(gd_rng *, gd_tensor *, int, const int64_t *, const gd_tensor *);

/* Draws of f with one parameter tensor at index a (optional shape after it). */
static int param_draw(lua_State *L, gd_rng *g, int a, param_fn f, const char *fname) {
  int64_t shape[GD_MAXDIM];
  int nd;
  gdl_scalar sp;
  gd_tensor *p = prob_args(L, a, shape, &nd, &sp, fname);
  gd_tensor *r = gdl_new(L);
  if (f(g, r, nd, shape, p)) gdl_fail(L, fname);
  if (gd_cp_tracing) gd_cp_unsupported(fname);
  return 1;
}

static int bernoulli_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  return param_draw(L, g, a, gd_rng_bernoulli, fname);
}

static int gamma_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  return param_draw(L, g, a, gd_rng_gamma, fname);
}

static int poisson_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  return param_draw(L, g, a, gd_rng_poisson, fname);
}

static int randperm_impl(lua_State *L, gd_rng *g, int a, const char *fname) {
  int64_t n = gdl_checkint(L, a, fname, "n");
  gd_tensor *r = gdl_new(L);
  if (gd_rng_randperm(g, r, n)) gdl_fail(L, fname);
  if (gd_cp_tracing) traced_draw(L, g, GD_RNG_RANDPERM, r, 0, 0);
  return 1;
}

/* Seeding through the default generator goes through its gdl_gen. */
static int seed_impl(lua_State *L, gdl_gen *g, int a, const char *fname) {
  if (gd_cp_tracing) gd_cp_unsupported(fname);   /* reseeding is a side effect on the generator */
  lua_Integer s = seed_arg(L, a, fname);
  reseed(g, s);
  lua_pushinteger(L, s);
  return 1;
}

static int f_seed(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &default_key);
  gdl_gen *g = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return seed_impl(L, g, 1, "gd.seed");
}

static int g_seed(lua_State *L) {
  return seed_impl(L, check_gen(L, "gd.Generator:seed"), 2, "gd.Generator:seed");
}

/* gd.name draws from the default generator; g:name from g. */
#define BOTH(name)                                                        \
  static int f_##name(lua_State *L) {                                     \
    return name##_impl(L, default_rng(L), 1, "gd." #name);                \
  }                                                                       \
  static int g_##name(lua_State *L) {                                     \
    const char *fname = "gd.Generator:" #name;                            \
    return name##_impl(L, &check_gen(L, fname)->rng, 2, fname);           \
  }
BOTH(rand) BOTH(randn) BOTH(uniform) BOTH(normal) BOTH(randint)
BOTH(binomial) BOTH(bernoulli) BOTH(randperm) BOTH(gamma) BOTH(poisson)
#undef BOTH

static const gdl_reg funcs[] = {
  {"seed", f_seed, "gd.seed([n]): reseed the default generator (no n: from the clock); returns the seed"},
  {"rand", f_rand, "gd.rand(...): uniform [0, 1) tensor; shape as 3, 4 or {3, 4}; none: 0-d"},
  {"randn", f_randn, "gd.randn(...): standard normal tensor; shape as 3, 4 or {3, 4}; none: 0-d"},
  {"uniform", f_uniform, "gd.uniform(lo, hi[, shape]): uniform [lo, hi) tensor"},
  {"normal", f_normal, "gd.normal(mean, std[, shape]): normal N(mean, std²) tensor"},
  {"binomial", f_binomial, "gd.binomial(n, p[, shape]): binomial counts; p a number or a tensor (then p's shape)"},
  {"bernoulli", f_bernoulli, "gd.bernoulli(p[, shape]): 1 with probability p else 0; p a number or a tensor"},
  {"randint", f_randint, "gd.randint(lo, hi[, shape]): uniform integers in [lo, hi], both ends included"},
  {"randperm", f_randperm, "gd.randperm(n): random permutation of 1..n as a float tensor"},
  {"gamma", f_gamma, "gd.gamma(alpha[, shape]): Gamma(alpha, 1) draws (Marsaglia-Tsang); alpha > 0, a number or a tensor"},
  {"poisson", f_poisson, "gd.poisson(lam[, shape]): Poisson(lam) counts; lam >= 0, a number or a tensor"},
  {"Generator", f_Generator, "gd.Generator([seed]): an independent generator g with g:rand(...), g:randn(...), ..."},
  {NULL, NULL, NULL}
};

static const gdl_reg gen_methods[] = {
  {"seed", g_seed, "g:seed([n]): reseed generator g (no n: from the clock); returns the seed"},
  {"rand", g_rand, "g:rand(...): uniform [0, 1) tensor from g; shape as 3, 4 or {3, 4}"},
  {"randn", g_randn, "g:randn(...): standard normal tensor from g"},
  {"uniform", g_uniform, "g:uniform(lo, hi[, shape]): uniform [lo, hi) tensor from g"},
  {"normal", g_normal, "g:normal(mean, std[, shape]): normal N(mean, std²) tensor from g"},
  {"binomial", g_binomial, "g:binomial(n, p[, shape]): binomial counts from g; p a number or a tensor"},
  {"bernoulli", g_bernoulli, "g:bernoulli(p[, shape]): 0/1 tensor from g, 1 with probability p"},
  {"randint", g_randint, "g:randint(lo, hi[, shape]): uniform integers in [lo, hi] from g"},
  {"randperm", g_randperm, "g:randperm(n): random permutation of 1..n from g"},
  {"gamma", g_gamma, "g:gamma(alpha[, shape]): Gamma(alpha, 1) draws from g"},
  {"poisson", g_poisson, "g:poisson(lam[, shape]): Poisson(lam) counts from g"},
  {NULL, NULL, NULL}
};

void gdl_open_random(lua_State *L) {
  gdl_register(L, funcs, 1, 0, 3);
  luaL_newmetatable(L, GDL_GENERATOR);     /* sets __name */
  lua_newtable(L);
  gdl_register(L, gen_methods, 0, lua_gettop(L), 3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, g_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  new_gen(L, 0);                           /* the default generator, seed 0 */
  lua_rawsetp(L, LUA_REGISTRYINDEX, &default_key);
}
