/* ljson.c: the Lua binding of json.c and sha256.c.
 *
 * gd.json = {encode, decode, array, null} and gd.sha256, gd.hmac_sha256,
 * gd.digest_equal.  Mapping: JSON null is gd.json.null (a light userdata),
 * objects are tables with string keys, arrays are sequences carrying the
 * metatable gd.json.array gives them (decode marks its arrays, so [] comes
 * back as []), integers that fit int64 are Lua integers and every other
 * number a float.  A float is written so that it reads back as a float
 * (2.0, not 2).  The decoder builds tables straight from the reader's
 * callbacks (no DOM); the encoder walks Lua values into a gd_json_writer
 * held by a userdata, so an error anywhere frees it.
 */
#include "lgd.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sha256.h"

static const char null_sentinel = 0;   /* its address is gd.json.null */
static const char array_key = 'A';     /* registry key of the array metatable */
#define GDL_JSON_WRITER "gd.json.writer"

/* Push the array-marking metatable. */
static void push_array_mt(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &array_key); }

/* ---- decode ---------------------------------------------------------- */

typedef struct decoder {
  lua_State *L;
  int depth;                                   /* open containers */
  char kind[GD_JSON_MAX_DEPTH];                /* '[' or '{' per open container */
  lua_Integer count[GD_JSON_MAX_DEPTH];        /* elements so far per open array */
} decoder;

/* Store the value on top into the open container (the top-level value stays). */
static int add(decoder *d) {
  if (d->depth == 0) return 0;
  if (d->kind[d->depth - 1] == '[') lua_rawseti(d->L, -2, ++d->count[d->depth - 1]);
  else lua_rawset(d->L, -3);                   /* key at -2, value at -1 */
  return 0;
}

static void push_json_string(lua_State *L, const char *raw, size_t rawlen, size_t outlen) {
  if (outlen == rawlen) { lua_pushlstring(L, raw, rawlen); return; }
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, outlen);
  gd_json_unescape(raw, rawlen, p);
  luaL_pushresultsize(&b, outlen);
}

static int on_null(void *ud) {
  decoder *d = ud;
  lua_pushlightuserdata(d->L, (void *)&null_sentinel);
  return add(d);
}
static int on_bool(void *ud, int v) { decoder *d = ud; lua_pushboolean(d->L, v); return add(d); }
static int on_int(void *ud, int64_t v) { decoder *d = ud; lua_pushinteger(d->L, (lua_Integer)v); return add(d); }
static int on_number(void *ud, double v) { decoder *d = ud; lua_pushnumber(d->L, v); return add(d); }
static int on_string(void *ud, const char *raw, size_t rawlen, size_t outlen) {
  decoder *d = ud;
  push_json_string(d->L, raw, rawlen, outlen);
  return add(d);
}
static int on_key(void *ud, const char *raw, size_t rawlen, size_t outlen) {
  decoder *d = ud;
  push_json_string(d->L, raw, rawlen, outlen);  /* stays below its value */
  return 0;
}
/* A new container: a table (an array is marked), one more level open. */
static int begin(decoder *d, char kind) {
  luaL_checkstack(d->L, 4, "gd.json.decode: nesting");
  lua_newtable(d->L);
  if (kind == '[') {
    push_array_mt(d->L);
    lua_setmetatable(d->L, -2);
  }
  d->kind[d->depth] = kind;
  d->count[d->depth] = 0;
  d->depth++;
  return 0;
}
static int on_begin_array(void *ud) { return begin(ud, '['); }
static int on_begin_object(void *ud) { return begin(ud, '{'); }
static int on_end(void *ud) {
  decoder *d = ud;
  d->depth--;
  return add(d);
}

static const gd_json_handler decode_handler = {
  on_null, on_bool, on_int, on_number, on_string,
  on_begin_array, on_end, on_begin_object, on_key, on_end,
};

/* The string argument at arg (not a number: no silent conversion). */
static const char *checkstring(lua_State *L, int arg, size_t *n, const char *fname) {
  if (lua_type(L, arg) != LUA_TSTRING)
    luaL_error(L, "%s: argument %d: string expected, got %s", fname, arg, gdl_typename(L, arg));
  return lua_tolstring(L, arg, n);
}

static int json_decode(lua_State *L) {
  size_t n;
  const char *s = checkstring(L, 1, &n, "gd.json.decode");
  lua_settop(L, 1);
  decoder d;
  d.L = L;
  d.depth = 0;
  gd_json_error err;
  if (gd_json_parse(s, n, &decode_handler, &d, &err))
    return luaL_error(L, "gd.json.decode: %s at byte %I", err.msg, (lua_Integer)err.pos + 1);
  return 1;
}

/* ---- encode ---------------------------------------------------------- */

/* Where a value sits: a chain up to the top-level value (up == NULL). */
typedef struct path {
  const struct path *up;
  int key;                  /* stack index of a string key, or 0 */
  lua_Integer index;        /* array index when key == 0 */
} path;

typedef struct encoder {
  lua_State *L;
  gd_json_writer *w;
  int sort;                 /* sort_keys */
  int seen;                 /* stack index of the set of tables being written (cycles) */
} encoder;

/* 1 if s is a Lua identifier (the path shows it as .s). */
static int is_name(const char *s, size_t n) {
  if (n == 0 || !(s[0] == '_' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'))) return 0;
  for (size_t i = 1; i < n; i++)
    if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z'))) return 0;
  return 1;
}

/* Raise "gd.json.encode: value at .a[3] <what>" ("value <what>" at the top). */
static int fail_at(lua_State *L, const path *p, const char *what) {
  const path *chain[GD_JSON_MAX_DEPTH + 16];
  int n = 0;
  for (; p && p->up && n < (int)(sizeof chain / sizeof *chain); p = p->up) chain[n++] = p;
  luaL_checkstack(L, n + 4, "gd.json.encode: error path");
  lua_pushstring(L, n ? "gd.json.encode: value at " : "gd.json.encode: value");
  for (int i = n - 1; i >= 0; i--) {
    if (chain[i]->key) {
      size_t len;
      const char *k = lua_tolstring(L, chain[i]->key, &len);
      if (is_name(k, len)) lua_pushfstring(L, ".%s", k);
      else lua_pushfstring(L, "[\"%s\"]", k);
    } else {
      lua_pushfstring(L, "[%I]", chain[i]->index);
    }
  }
  lua_pushfstring(L, " %s", what);
  lua_concat(L, n + 2);
  return lua_error(L);
}

/* A writer call's result: an allocation failure is a Lua error. */
static void check_write(lua_State *L, int rc) {
  if (rc) gdl_fail(L, "gd.json.encode");
}

/* A string value or key: valid UTF-8 or an error naming where. */
static void check_utf8(lua_State *L, const path *p, const char *s, size_t n, const char *what) {
  size_t bad;
  if (!gd_json_utf8_valid(s, n, &bad)) {
    lua_pushfstring(L, "%s is not valid UTF-8 (byte %I)", what, (lua_Integer)bad + 1);
    fail_at(L, p, lua_tostring(L, -1));
  }
}

static void encode_value(encoder *e, int idx, const path *p, int depth);

/* Dims d.. of a tensor from data (strides in doubles). */
static void encode_tensor_dims(encoder *e, const gd_tensor *t, const double *data, int d) {
  if (d == t->ndim) { check_write(e->L, gd_json_write_double(e->w, *data)); return; }
  check_write(e->L, gd_json_write_begin(e->w, '['));
  for (int64_t i = 0; i < t->shape[d]; i++) encode_tensor_dims(e, t, data + i * t->stride[d], d + 1);
  check_write(e->L, gd_json_write_end(e->w, ']'));
}

/* Sort entry for sort_keys: a key's bytes (anchored by the table). */
typedef struct key_entry { const char *s; size_t n; } key_entry;

static int key_cmp(const void *a, const void *b) {
  const key_entry *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->s, y->s, n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* One object member: the key at index k (a string), the value on top. */
static void encode_member(encoder *e, int k, const path *p, int depth) {
  path child = { p, k, 0 };
  size_t n;
  const char *s = lua_tolstring(e->L, k, &n);
  check_utf8(e->L, p, s, n, "has a key that");
  check_write(e->L, gd_json_write_key(e->w, s, n));
  encode_value(e, lua_gettop(e->L), &child, depth + 1);
}

static void encode_table(encoder *e, int idx, const path *p, int depth) {
  lua_State *L = e->L;
  luaL_checkstack(L, 8, "gd.json.encode: nesting");
  if (lua_rawgetp(L, e->seen, lua_topointer(L, idx)) != LUA_TNIL) fail_at(L, p, "is a table that contains itself (a cycle)");
  lua_pop(L, 1);
  if (depth >= GD_JSON_MAX_DEPTH) fail_at(L, p, "is nested deeper than 512 levels");
  lua_pushboolean(L, 1);
  lua_rawsetp(L, e->seen, lua_topointer(L, idx));
  int marked = 0;
  if (lua_getmetatable(L, idx)) {
    push_array_mt(L);
    marked = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  /* classify the keys: all strings (an object) or exactly 1..n (an array) */
  lua_Integer n = 0, nstr = 0, nint = 0, lo = 0, hi = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    n++;
    if (lua_type(L, -1) == LUA_TSTRING) nstr++;
    else if (lua_isinteger(L, -1)) {
      lua_Integer k = lua_tointeger(L, -1);
      if (nint++ == 0 || k < lo) lo = k;
      if (nint == 1 || k > hi) hi = k;
    } else {
      lua_pushfstring(L, "has a key that is a %s (JSON keys are strings)", gdl_typename(L, -1));
      fail_at(L, p, lua_tostring(L, -1));
    }
  }
  if (nstr && (nint || marked))
    fail_at(L, p, marked ? "is marked as an array but has string keys" : "has both integer and string keys");
  if (nint && (lo != 1 || hi != n))
    fail_at(L, p, "is a sequence with holes (integer keys must be 1..n)");
  if (nint || marked) {
    check_write(L, gd_json_write_begin(e->w, '['));
    for (lua_Integer i = 1; i <= n; i++) {
      path child = { p, 0, i };
      lua_rawgeti(L, idx, i);
      encode_value(e, lua_gettop(L), &child, depth + 1);
      lua_pop(L, 1);
    }
    check_write(L, gd_json_write_end(e->w, ']'));
  } else if (e->sort && n > 1) {
    key_entry *keys = lua_newuserdatauv(L, (size_t)n * sizeof *keys, 0);
    int top = lua_gettop(L);
    lua_Integer i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      keys[i].s = lua_tolstring(L, -1, &keys[i].n);   /* the table anchors the string */
      i++;
    }
    qsort(keys, (size_t)n, sizeof *keys, key_cmp);
    check_write(L, gd_json_write_begin(e->w, '{'));
    for (i = 0; i < n; i++) {
      lua_pushlstring(L, keys[i].s, keys[i].n);
      lua_pushvalue(L, -1);
      lua_rawget(L, idx);
      encode_member(e, top + 1, p, depth);
      lua_settop(L, top);
    }
    check_write(L, gd_json_write_end(e->w, '}'));
    lua_pop(L, 1);
  } else {
    check_write(L, gd_json_write_begin(e->w, '{'));
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      encode_member(e, lua_gettop(L) - 1, p, depth);
      lua_pop(L, 1);
    }
    check_write(L, gd_json_write_end(e->w, '}'));
  }
  lua_pushnil(L);
  lua_rawsetp(L, e->seen, lua_topointer(L, idx));
}

static void encode_value(encoder *e, int idx, const path *p, int depth) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: check_write(L, gd_json_write_null(e->w)); return;
    case LUA_TBOOLEAN: check_write(L, gd_json_write_bool(e->w, lua_toboolean(L, idx))); return;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) check_write(L, gd_json_write_int(e->w, (int64_t)lua_tointeger(L, idx)));
      else check_write(L, gd_json_write_double(e->w, (double)lua_tonumber(L, idx)));
      return;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      check_utf8(L, p, s, n, "is a string that");
      check_write(L, gd_json_write_string(e->w, s, n));
      return;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) != (void *)&null_sentinel) fail_at(L, p, "is a light userdata");
      check_write(L, gd_json_write_null(e->w));
      return;
    case LUA_TUSERDATA: {
      gd_tensor *t = gdl_test(L, idx);
      if (!t) {
        lua_pushfstring(L, "is a %s", gdl_typename(L, idx));
        fail_at(L, p, lua_tostring(L, -1));
      }
      if (!t->st) fail_at(L, p, "is an empty (closed) tensor");
      if (depth + t->ndim > GD_JSON_MAX_DEPTH) fail_at(L, p, "is nested deeper than 512 levels");
      encode_tensor_dims(e, t, gd_data(t), 0);
      return;
    }
    case LUA_TTABLE: encode_table(e, lua_absindex(L, idx), p, depth); return;
    default: {
      lua_pushfstring(L, "is a %s", luaL_typename(L, idx));
      fail_at(L, p, lua_tostring(L, -1));
    }
  }
}

/* gd.json.encode's options {indent = n, sort_keys = bool} at arg 2. */
static void encode_options(lua_State *L, int *indent, int *sort) {
  *indent = -1;
  *sort = 0;
  if (lua_isnoneornil(L, 2)) return;
  if (!lua_istable(L, 2))
    luaL_error(L, "gd.json.encode: argument 2 (options): table expected, got %s", gdl_typename(L, 2));
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (k && strcmp(k, "indent") == 0) {
      int isint;
      lua_Integer v = lua_tointegerx(L, -1, &isint);
      if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < 0 || v > 64)
        luaL_error(L, "gd.json.encode: option indent must be an integer in 0..64, got %s",
                   luaL_tolstring(L, -1, NULL));
      *indent = (int)v;
    } else if (k && strcmp(k, "sort_keys") == 0) {
      if (!lua_isboolean(L, -1))
        luaL_error(L, "gd.json.encode: option sort_keys must be a boolean, got %s", luaL_typename(L, -1));
      *sort = lua_toboolean(L, -1);
    } else {
      luaL_error(L, "gd.json.encode: unknown option '%s' (indent, sort_keys)", luaL_tolstring(L, -2, NULL));
    }
    lua_pop(L, 1);
  }
}

static int writer_gc(lua_State *L) {
  gd_json_writer *w = luaL_checkudata(L, 1, GDL_JSON_WRITER);
  gd_json_writer_free(w);
  return 0;
}

static int json_encode(lua_State *L) {
  int indent, sort;
  lua_settop(L, 2);
  encode_options(L, &indent, &sort);
  gd_json_writer *w = lua_newuserdatauv(L, sizeof *w, 0);   /* 3: freed by __gc on any error */
  gd_json_writer_init(w, indent);
  luaL_setmetatable(L, GDL_JSON_WRITER);
  lua_newtable(L);                                          /* 4: tables being written */
  encoder e = { L, w, sort, 4 };
  path root = { NULL, 0, 0 };
  encode_value(&e, 1, &root, 0);
  lua_pushlstring(L, w->buf ? w->buf : "", w->len);
  gd_json_writer_free(w);
  return 1;
}

static int json_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else if (!lua_istable(L, 1)) {
    return luaL_error(L, "gd.json.array: argument 1: table expected, got %s", gdl_typename(L, 1));
  }
  lua_settop(L, 1);
  if (lua_getmetatable(L, 1)) {
    push_array_mt(L);
    if (!lua_rawequal(L, -1, -2))
      return luaL_error(L, "gd.json.array: argument 1 already has a metatable");
    lua_settop(L, 1);
    return 1;
  }
  push_array_mt(L);
  lua_setmetatable(L, 1);
  return 1;
}

/* ---- hashes ---------------------------------------------------------- */

static void push_hex(lua_State *L, const unsigned char d[GD_SHA256_BYTES]) {
  char hex[2 * GD_SHA256_BYTES + 1];
  gd_hex(d, GD_SHA256_BYTES, hex);
  lua_pushlstring(L, hex, 2 * GD_SHA256_BYTES);
}

static int l_sha256(lua_State *L) {
  size_t n;
  const char *s = checkstring(L, 1, &n, "gd.sha256");
  unsigned char d[GD_SHA256_BYTES];
  gd_sha256(s, n, d);
  push_hex(L, d);
  return 1;
}

/* The parts go to gd_hmac_sha256 as arrays (the kernel's C signing path). */
static int l_hmac_sha256(lua_State *L) {
  size_t kn;
  const char *key = checkstring(L, 1, &kn, "gd.hmac_sha256");
  int top = lua_gettop(L);
  size_t nparts = (size_t)(top - 1);
  for (int i = 2; i <= top; i++) checkstring(L, i, &kn, "gd.hmac_sha256");
  key = lua_tolstring(L, 1, &kn);
  /* one block, collected by Lua: nparts pointers, then nparts lengths */
  void *mem = lua_newuserdatauv(L, (nparts ? nparts : 1) * (sizeof(const void *) + sizeof(size_t)), 0);
  const void **ptrs = mem;
  size_t *lens = (size_t *)(void *)(ptrs + nparts);
  for (size_t i = 0; i < nparts; i++) ptrs[i] = lua_tolstring(L, (int)i + 2, &lens[i]);
  unsigned char d[GD_SHA256_BYTES];
  gd_hmac_sha256(key, kn, ptrs, lens, nparts, d);
  push_hex(L, d);
  return 1;
}

static int l_digest_equal(lua_State *L) {
  size_t na, nb;
  const char *a = checkstring(L, 1, &na, "gd.digest_equal");
  const char *b = checkstring(L, 2, &nb, "gd.digest_equal");
  lua_pushboolean(L, na == nb && gd_digest_equal(a, b, na));
  return 1;
}

static const gdl_reg json_funcs[] = {
  { "encode", json_encode,
    "gd.json.encode(v[, {indent = n, sort_keys = false}]): JSON text of v (tables, strings, numbers, booleans, "
    "gd.json.null, tensors); floats keep a fraction (2.0), NaN/Infinity as Python writes them" },
  { "decode", json_decode,
    "gd.json.decode(s): the value of the JSON text s (null is gd.json.null, arrays are marked with gd.json.array); "
    "errors say what and at which byte" },
  { "array", json_array,
    "gd.json.array([t]): mark t (or a new table) as a JSON array, so that an empty one encodes as [] (returns t)" },
  { NULL, NULL, NULL },
};

static const gdl_reg hash_funcs[] = {
  { "sha256", l_sha256, "gd.sha256(s): SHA-256 of the string s as 64 lowercase hex digits (FIPS 180-4)" },
  { "hmac_sha256", l_hmac_sha256,
    "gd.hmac_sha256(key, ...): HMAC-SHA256 (RFC 2104) with key over the concatenation of the string arguments, "
    "as 64 lowercase hex digits" },
  { "digest_equal", l_digest_equal,
    "gd.digest_equal(a, b): true if the strings a and b are equal, compared in time independent of where they "
    "differ (for checking signatures)" },
  { NULL, NULL, NULL },
};

void gdl_open_json(lua_State *L) {
  luaL_newmetatable(L, GDL_JSON_WRITER);
  lua_pushcfunction(L, writer_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_newtable(L);                             /* the array metatable */
  lua_pushliteral(L, "gd.json.array");
  lua_setfield(L, -2, "__name");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &array_key);
  lua_newtable(L);                             /* gd.json */
  gdl_register(L, json_funcs, lua_gettop(L), 0, 3);
  lua_pushlightuserdata(L, (void *)&null_sentinel);
  lua_setfield(L, -2, "null");
  lua_setfield(L, 1, "json");
  gdl_register(L, hash_funcs, 1, 0, 3);
}
