/* json.c: the strict JSON reader and the writer declared in json.h.
 *
 * The reader is a loop over an explicit stack of open containers (one byte
 * each: '[' or '{'), so nesting costs no C stack.  Strings are validated in
 * one pass (escapes, surrogate pairs, UTF-8, control characters) that also
 * counts their decoded length; decoding is a second pass the caller asks
 * for, into memory it owns.  Numbers follow the RFC grammar exactly, then
 * strtod (or an exact int64 accumulation) reads them.
 */
#include "json.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

/* ---- reader ---------------------------------------------------------- */

typedef struct reader {
  const char *s;
  size_t len, pos;
  gd_json_error *err;
} reader;

/* Record a syntax error at byte pos; returns GD_JSON_ESYNTAX. */
static int fail(reader *r, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(reader *r, size_t pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
  va_end(ap);
  r->err->pos = pos;
  return GD_JSON_ESYNTAX;
}

/* The byte at pos as it reads in a message: 'x', or a hex code. */
static const char *show_byte(unsigned char c, char buf[16]) {
  if (c >= 0x21 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
  else snprintf(buf, 16, "byte 0x%02X", c);
  return buf;
}

/* "unexpected end of input" or "unexpected <byte>, <wanted>". */
static int unexpected(reader *r, const char *wanted) {
  if (r->pos >= r->len) return fail(r, r->pos, "unexpected end of input (%s)", wanted);
  char b[16];
  return fail(r, r->pos, "unexpected %s (%s)", show_byte((unsigned char)r->s[r->pos], b), wanted);
}

static void skip_ws(reader *r) {
  while (r->pos < r->len) {
    char c = r->s[r->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    r->pos++;
  }
}

/* Length of the valid UTF-8 sequence at s[0..n) (n > 0, s[0] >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;   /* range of the second byte (RFC 3629's table) */
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c == 0xE0) { need = 2; lo = 0xA0; }
  else if (c >= 0xE1 && c <= 0xEC) need = 2;
  else if (c == 0xED) { need = 2; hi = 0x9F; }       /* no UTF-16 surrogates */
  else if (c >= 0xEE && c <= 0xEF) need = 2;
  else if (c == 0xF0) { need = 3; lo = 0x90; }
  else if (c >= 0xF1 && c <= 0xF3) need = 3;
  else if (c == 0xF4) { need = 3; hi = 0x8F; }       /* nothing past U+10FFFF */
  else return 0;
  if (n < need + 1 || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i <= need; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return need + 1;
}

int gd_json_utf8_valid(const char *s, size_t n, size_t *bad) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    if (u[i] < 0x80) { i++; continue; }
    size_t k = utf8_seq(u + i, n - i);
    if (!k) { if (bad) *bad = i; return 0; }
    i += k;
  }
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The 4 hex digits at s[0..4) as a code unit, or -1. */
static long hex4(const char *s) {
  long v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hexval(s[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Bytes of code point cp in UTF-8. */
static size_t utf8_len(long cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

/* Scan the string whose opening quote is at r->pos: leaves r->pos past the
 * closing quote, *raw and *rawlen the bytes between, *outlen the decoded size. */
static int scan_string(reader *r, const char **raw, size_t *rawlen, size_t *outlen) {
  const char *s = r->s;
  size_t start = ++r->pos, out = 0;
  while (1) {
    if (r->pos >= r->len) return fail(r, start - 1, "unterminated string");
    unsigned char c = (unsigned char)s[r->pos];
    if (c == '"') break;
    if (c < 0x20) return fail(r, r->pos, "control character U+%04X in a string (escape it)", c);
    if (c >= 0x80) {
      size_t k = utf8_seq((const unsigned char *)s + r->pos, r->len - r->pos);
      if (!k) return fail(r, r->pos, "invalid UTF-8 in a string");
      r->pos += k;
      out += k;
      continue;
    }
    if (c != '\\') { r->pos++; out++; continue; }
    size_t esc = r->pos;
    if (esc + 1 >= r->len) return fail(r, start - 1, "unterminated string");
    char e = s[esc + 1];
    if (e != 'u') {
      if (!strchr("\"\\/bfnrt", e) || e == '\0') {
        char b[16];
        return fail(r, esc, "invalid escape \\%s in a string", show_byte((unsigned char)e, b));
      }
      r->pos += 2;
      out++;
      continue;
    }
    long u = esc + 6 <= r->len ? hex4(s + esc + 2) : -1;
    if (u < 0) return fail(r, esc, "\\u needs 4 hex digits");
    r->pos += 6;
    if (u >= 0xDC00 && u <= 0xDFFF)
      return fail(r, esc, "lone low surrogate \\u%04lX (no high surrogate before it)", u);
    if (u >= 0xD800 && u <= 0xDBFF) {   /* a high surrogate: its low half must follow */
      long lo = r->pos + 6 <= r->len && s[r->pos] == '\\' && s[r->pos + 1] == 'u' ? hex4(s + r->pos + 2) : -1;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(r, esc, "lone high surrogate \\u%04lX (no \\uDC00-\\uDFFF after it)", u);
      r->pos += 6;
      out += 4;
      continue;
    }
    out += utf8_len(u);
  }
  *raw = s + start;
  *rawlen = r->pos - start;
  *outlen = out;
  r->pos++;                              /* the closing quote */
  return 0;
}

/* Write code point cp as UTF-8 at out; returns the bytes written. */
static size_t put_utf8(char *out, long cp) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | cp >> 6);
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | cp >> 12);
    o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | cp >> 18);
  o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

void gd_json_unescape(const char *raw, size_t rawlen, char *out) {
  for (size_t i = 0; i < rawlen;) {
    if (raw[i] != '\\') { *out++ = raw[i++]; continue; }
    char e = raw[i + 1];
    i += 2;
    switch (e) {
      case 'b': *out++ = '\b'; break;
      case 'f': *out++ = '\f'; break;
      case 'n': *out++ = '\n'; break;
      case 'r': *out++ = '\r'; break;
      case 't': *out++ = '\t'; break;
      case 'u': {
        long cp = hex4(raw + i);
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {   /* the scan checked the pair */
          long lo = hex4(raw + i + 2);
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        out += put_utf8(out, cp);
        break;
      }
      default: *out++ = e; break;           /* " \ / */
    }
  }
}

/* The locale's decimal point ('.' unless a program set LC_NUMERIC). */
static char decimal_point(void) {
  const char *d = localeconv()->decimal_point;
  return d && d[0] ? d[0] : '.';
}

/* strtod of the number token s[0..n) (grammar already checked), whatever
 * the locale; *ok = 0 when memory for a very long token ran out. */
static double read_double(const char *s, size_t n, int *ok) {
  char small[128], *buf = n < sizeof small ? small : malloc(n + 1);
  *ok = buf != NULL;
  if (!buf) return 0;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char dp = decimal_point();
  if (dp != '.') {
    char *p = strchr(buf, '.');
    if (p) *p = dp;
  }
  double v = strtod(buf, NULL);
  if (buf != small) free(buf);
  return v;
}

/* Match the literal word at r->pos; 1 if it is there. */
static int match(reader *r, const char *word) {
  size_t n = strlen(word);
  if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0) return 0;
  r->pos += n;
  return 1;
}

/* A number at r->pos (RFC 8259 section 6, plus -Infinity); calls h. */
static int scan_number(reader *r, const gd_json_handler *h, void *ud) {
  const char *s = r->s;
  size_t start = r->pos, p = r->pos;
  int neg = 0;
  if (s[p] == '-') {
    neg = 1;
    p++;
    r->pos = p;
    if (match(r, "Infinity")) return h->number(ud, -HUGE_VAL);
  }
  if (p >= r->len || s[p] < '0' || s[p] > '9') { r->pos = p; return unexpected(r, "a digit after '-'"); }
  uint64_t mag = 0;
  int overflow = 0;
  if (s[p] == '0') {
    p++;
    if (p < r->len && s[p] >= '0' && s[p] <= '9') return fail(r, start, "leading zero in a number");
  } else {
    for (; p < r->len && s[p] >= '0' && s[p] <= '9'; p++) {
      unsigned d = (unsigned)(s[p] - '0');
      if (mag > (UINT64_MAX - d) / 10) overflow = 1;
      else mag = mag * 10 + d;
    }
  }
  int is_int = 1;
  if (p < r->len && s[p] == '.') {
    is_int = 0;
    p++;
    if (p >= r->len || s[p] < '0' || s[p] > '9') { r->pos = p; return unexpected(r, "a digit after '.'"); }
    while (p < r->len && s[p] >= '0' && s[p] <= '9') p++;
  }
  if (p < r->len && (s[p] == 'e' || s[p] == 'E')) {
    is_int = 0;
    p++;
    if (p < r->len && (s[p] == '+' || s[p] == '-')) p++;
    if (p >= r->len || s[p] < '0' || s[p] > '9') { r->pos = p; return unexpected(r, "a digit in the exponent"); }
    while (p < r->len && s[p] >= '0' && s[p] <= '9') p++;
  }
  r->pos = p;
  if (is_int && !overflow && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
    int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    return h->integer(ud, v);
  }
  int ok;
  double v = read_double(s + start, p - start, &ok);
  if (!ok) return fail(r, start, "out of memory reading a number");
  return h->number(ud, v);
}

/* One scalar or the opening of a container at r->pos.  *opened is set to
 * '[' or '{' when a container begins (the caller pushes it). */
static int scan_value(reader *r, const gd_json_handler *h, void *ud, int depth, char *opened) {
  *opened = 0;
  if (r->pos < r->len && (r->s[r->pos] == '[' || r->s[r->pos] == '{') && depth == GD_JSON_MAX_DEPTH)
    return fail(r, r->pos, "nesting deeper than %d", GD_JSON_MAX_DEPTH);
  if (r->pos >= r->len) return unexpected(r, "a value");
  const char *raw;
  size_t rawlen, outlen;
  int rc;
  switch (r->s[r->pos]) {
    case '[': r->pos++; *opened = '['; return h->begin_array(ud);
    case '{': r->pos++; *opened = '{'; return h->begin_object(ud);
    case '"':
      if ((rc = scan_string(r, &raw, &rawlen, &outlen))) return rc;
      return h->string(ud, raw, rawlen, outlen);
    case 't': if (match(r, "true")) return h->boolean(ud, 1); break;
    case 'f': if (match(r, "false")) return h->boolean(ud, 0); break;
    case 'n': if (match(r, "null")) return h->null(ud); break;
    case 'N': if (match(r, "NaN")) return h->number(ud, NAN); break;
    case 'I': if (match(r, "Infinity")) return h->number(ud, HUGE_VAL); break;
    case ']': case '}': return unexpected(r, "a value");
    default:
      if (r->s[r->pos] == '-' || (r->s[r->pos] >= '0' && r->s[r->pos] <= '9')) return scan_number(r, h, ud);
      return unexpected(r, "a value");
  }
  return fail(r, r->pos, "invalid literal (true, false, null, NaN or Infinity expected)");
}

/* An object key and its colon, at r->pos (after whitespace). */
static int scan_key(reader *r, const gd_json_handler *h, void *ud) {
  if (r->pos >= r->len || r->s[r->pos] != '"') return unexpected(r, "a string key");
  const char *raw;
  size_t rawlen, outlen;
  int rc = scan_string(r, &raw, &rawlen, &outlen);
  if (rc || (rc = h->key(ud, raw, rawlen, outlen))) return rc;
  skip_ws(r);
  if (r->pos >= r->len || r->s[r->pos] != ':') return unexpected(r, "':' after a key");
  r->pos++;
  return 0;
}

int gd_json_parse(const char *s, size_t len, const gd_json_handler *h, void *ud, gd_json_error *err) {
  if (!h || !err || (!s && len) || !h->null || !h->boolean || !h->integer || !h->number || !h->string ||
      !h->begin_array || !h->end_array || !h->begin_object || !h->key || !h->end_object)
    return gd_seterr(GD_EARG, "gd_json_parse: NULL text, error record or handler function");
  reader r = { s, len, 0, err };
  char stack[GD_JSON_MAX_DEPTH];   /* the open containers, '[' or '{' */
  int depth = 0, rc;
  err->pos = 0;
  err->msg[0] = '\0';
  if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) return fail(&r, 0, "byte order mark (JSON text has none)");
  skip_ws(&r);
  for (;;) {
    char opened;                   /* a value is expected here */
    if ((rc = scan_value(&r, h, ud, depth, &opened))) return rc;
    if (opened) {
      stack[depth++] = opened;
      skip_ws(&r);
      char close = opened == '[' ? ']' : '}';
      if (r.pos < len && s[r.pos] == close) {    /* empty: closed at once */
        r.pos++;
        depth--;
        if ((rc = close == ']' ? h->end_array(ud) : h->end_object(ud))) return rc;
      } else {
        if (opened == '{' && (rc = scan_key(&r, h, ud))) return rc;
        skip_ws(&r);
        continue;
      }
    }
    /* a value is complete: a comma, a close, or the end */
    for (;;) {
      skip_ws(&r);
      if (depth == 0) {
        if (r.pos < len) return unexpected(&r, "end of input after the value");
        return 0;
      }
      char top = stack[depth - 1], close = top == '[' ? ']' : '}';
      if (r.pos < len && s[r.pos] == ',') {
        size_t comma = r.pos++;
        skip_ws(&r);
        if (r.pos < len && s[r.pos] == close) return fail(&r, comma, "trailing comma");
        if (top == '{' && (rc = scan_key(&r, h, ud))) return rc;
        skip_ws(&r);
        break;                     /* the next value */
      }
      if (r.pos < len && s[r.pos] == close) {
        r.pos++;
        depth--;
        if ((rc = close == ']' ? h->end_array(ud) : h->end_object(ud))) return rc;
        continue;
      }
      return unexpected(&r, top == '[' ? "',' or ']' in an array" : "',' or '}' in an object");
    }
  }
}

/* ---- writer ---------------------------------------------------------- */

void gd_json_writer_init(gd_json_writer *w, int indent) {
  memset(w, 0, sizeof *w);
  w->indent = indent;
}

void gd_json_writer_free(gd_json_writer *w) {
  free(w->buf);
  w->buf = NULL;
  w->len = w->cap = 0;
}

/* Room for n more bytes. */
static int reserve(gd_json_writer *w, size_t n) {
  if (w->cap - w->len >= n) return 0;
  if (n > SIZE_MAX / 2 - w->len) return gd_seterr(GD_ENOMEM, "JSON text too large");
  size_t cap = w->cap ? w->cap : 256;
  while (cap - w->len < n) cap *= 2;
  char *b = realloc(w->buf, cap);
  if (!b) return gd_seterr(GD_ENOMEM, "out of memory (%zu bytes of JSON text)", cap);
  w->buf = b;
  w->cap = cap;
  return 0;
}

static int put(gd_json_writer *w, const char *s, size_t n) {
  if (reserve(w, n)) return GD_ENOMEM;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  return 0;
}

/* A newline and the indent of the current depth. */
static int newline(gd_json_writer *w) {
  size_t n = (size_t)w->indent * (size_t)w->depth;
  if (reserve(w, n + 1)) return GD_ENOMEM;
  w->buf[w->len++] = '\n';
  memset(w->buf + w->len, ' ', n);
  w->len += n;
  return 0;
}

/* Separators before a value (or key): ", " / newline + indent as due. */
static int before_value(gd_json_writer *w) {
  if (w->after_key) { w->after_key = 0; return 0; }
  if (w->need_comma && put(w, ",", 1)) return GD_ENOMEM;
  if (w->depth > 0 && w->indent >= 0 && newline(w)) return GD_ENOMEM;
  return 0;
}

int gd_json_write_begin(gd_json_writer *w, char open) {
  if (before_value(w) || put(w, &open, 1)) return GD_ENOMEM;
  w->depth++;
  w->need_comma = 0;
  return 0;
}

int gd_json_write_end(gd_json_writer *w, char close) {
  int empty = !w->need_comma;
  w->depth--;
  if (!empty && w->indent >= 0 && newline(w)) return GD_ENOMEM;
  if (put(w, &close, 1)) return GD_ENOMEM;
  w->need_comma = 1;
  return 0;
}

/* A quoted, escaped string (shared by keys and values). */
static int put_string(gd_json_writer *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (reserve(w, n + 2)) return GD_ENOMEM;
  w->buf[w->len++] = '"';
  size_t run = 0;                  /* bytes copied as they are, pending */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') { run++; continue; }
    if (put(w, s + i - run, run)) return GD_ENOMEM;
    run = 0;
    char e[6] = { '\\', 0 };
    size_t k = 2;
    switch (c) {
      case '"': e[1] = '"'; break;
      case '\\': e[1] = '\\'; break;
      case '\n': e[1] = 'n'; break;
      case '\r': e[1] = 'r'; break;
      case '\t': e[1] = 't'; break;
      case '\b': e[1] = 'b'; break;
      case '\f': e[1] = 'f'; break;
      default: e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15]; k = 6;
    }
    if (put(w, e, k)) return GD_ENOMEM;
  }
  if (put(w, s + n - run, run)) return GD_ENOMEM;
  return put(w, "\"", 1);
}

int gd_json_write_key(gd_json_writer *w, const char *s, size_t n) {
  if (before_value(w) || put_string(w, s, n)) return GD_ENOMEM;
  if (put(w, w->indent >= 0 ? ": " : ":", w->indent >= 0 ? 2 : 1)) return GD_ENOMEM;
  w->after_key = 1;
  return 0;
}

/* A scalar's text, with its separators. */
static int scalar(gd_json_writer *w, const char *s, size_t n) {
  if (before_value(w) || put(w, s, n)) return GD_ENOMEM;
  w->need_comma = 1;
  return 0;
}

int gd_json_write_null(gd_json_writer *w) { return scalar(w, "null", 4); }

int gd_json_write_bool(gd_json_writer *w, int b) { return b ? scalar(w, "true", 4) : scalar(w, "false", 5); }

int gd_json_write_int(gd_json_writer *w, int64_t v) {
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
  return scalar(w, buf, (size_t)n);
}

int gd_json_write_double(gd_json_writer *w, double x) {
  char buf[32];
  int n = gd_json_format_double(x, buf);
  return scalar(w, buf, (size_t)n);
}

int gd_json_write_string(gd_json_writer *w, const char *s, size_t n) {
  if (before_value(w) || put_string(w, s, n)) return GD_ENOMEM;
  w->need_comma = 1;
  return 0;
}

/* The first n (1..17) significant digits of |x|, correctly rounded (by
 * %.{n-1}e), into dig, and the decimal exponent of the first one. */
static void digits_of(double x, int n, char *dig, int *exp10) {
  char b[48];
  snprintf(b, sizeof b, "%.*e", n - 1, fabs(x));
  int k = 0;
  const char *p = b;
  for (; *p && *p != 'e' && k < n; p++)
    if (*p >= '0' && *p <= '9') dig[k++] = *p;   /* skips the decimal point, whatever the locale */
  while (*p && *p != 'e') p++;
  *exp10 = *p ? (int)strtol(p + 1, NULL, 10) : 0;
}

/* Round the 17 digits to the first n (15 or 16) into out, *exp10 updated by
 * a carry.  Returns 0 when the dropped digits are exactly half a unit
 * ("5", "50"): only the binary value, not its 17 digits, decides that. */
static int round_digits(const char *d17, int n, char *out, int *exp10) {
  int tie = d17[n] == '5';
  for (int i = n + 1; i < 17; i++) tie = tie && d17[i] == '0';
  if (tie) return 0;
  memcpy(out, d17, (size_t)n);
  if (d17[n] < '5') return 1;
  int i = n - 1;
  while (i >= 0 && out[i] == '9') out[i--] = '0';
  if (i >= 0) out[i]++;
  else { out[0] = '1'; (*exp10)++; }            /* 9.99... → 10.0... */
  return 1;
}

/* Write sign, n digits and exponent exp10 as Python's repr lays a float
 * out: trailing zeros dropped, scientific when exp10 < -4 or exp10 >= 16
 * (%g would switch at exp10 >= n, writing 1e15 as "1e+15"). */
static void format_digits(char *buf, int neg, const char *dig, int n, int exp10) {
  while (n > 1 && dig[n - 1] == '0') n--;
  char *o = buf;
  if (neg) *o++ = '-';
  if (exp10 < -4 || exp10 >= 16) {
    *o++ = dig[0];
    if (n > 1) { *o++ = '.'; memcpy(o, dig + 1, (size_t)n - 1); o += n - 1; }
    int a = exp10 < 0 ? -exp10 : exp10;          /* at most 324: two or three digits */
    *o++ = 'e';
    *o++ = exp10 < 0 ? '-' : '+';
    if (a >= 100) *o++ = (char)('0' + a / 100);
    *o++ = (char)('0' + a / 10 % 10);
    *o++ = (char)('0' + a % 10);
    *o = '\0';
    return;
  }
  if (exp10 < 0) {
    *o++ = '0'; *o++ = '.';
    for (int i = 0; i < -exp10 - 1; i++) *o++ = '0';
    memcpy(o, dig, (size_t)n); o += n;
  } else {
    for (int i = 0; i <= exp10; i++) *o++ = i < n ? dig[i] : '0';
    if (n > exp10 + 1) { *o++ = '.'; memcpy(o, dig + exp10 + 1, (size_t)(n - exp10 - 1)); o += n - exp10 - 1; }
  }
  *o = '\0';
}

int gd_json_format_double(double x, char *buf) {
  if (isnan(x)) return (int)strlen(strcpy(buf, "NaN"));
  if (isinf(x)) return (int)strlen(strcpy(buf, x > 0 ? "Infinity" : "-Infinity"));
  int ok, neg = signbit(x) != 0, e;
  char d[17];
  if (x != 0 && fabs(x) < 2.2250738585072014e-308) {
    /* subnormal: fewer than 15 digits are significant; find the fewest */
    for (int n = 1; n <= 17; n++) {
      digits_of(x, n, d, &e);
      format_digits(buf, neg, d, n, e);
      if (n == 17 || read_double(buf, strlen(buf), &ok) == x) break;
    }
  } else {
    /* the digits of %.15g, else %.16g, else %.17g (which always reads
     * back), all from one conversion to 17 digits: rounding those again
     * gives the same digits except at an exact tie, converted anew */
    char d17[17];
    int e17;
    digits_of(x, 17, d17, &e17);
    int n;
    for (n = 15; n < 17; n++) {
      e = e17;
      if (!round_digits(d17, n, d, &e)) digits_of(x, n, d, &e);
      format_digits(buf, neg, d, n, e);
      if (read_double(buf, strlen(buf), &ok) == x) break;
    }
    if (n == 17) format_digits(buf, neg, d17, 17, e17);
  }
  if (!strpbrk(buf, ".e")) strcat(buf, ".0");   /* 2.0 stays a float: "2.0" */
  return (int)strlen(buf);
}
