/* json.h: a strict RFC 8259 JSON reader (SAX-style callbacks) and a
 * writer, for the Jupyter kernel's messages and gd.json.  No Lua here.
 *
 * Reader: the whole grammar, strictly: no trailing commas, no leading
 * zeros, no raw control characters in strings, valid UTF-8 only, \u escapes
 * with surrogate pairs (a lone or reversed surrogate is an error), nesting at
 * most GD_JSON_MAX_DEPTH.  Extension, as Python's json module: the tokens
 * NaN, Infinity and -Infinity are numbers.  The reader allocates nothing
 * that outlives a callback (a callback may longjmp out), and is iterative,
 * so hostile input cannot exhaust the C stack.
 *
 * Writer: a growable buffer with comma, colon and indent bookkeeping;
 * numbers with the digits of the first of %.15g/%.16g/%.17g that reads back
 * exactly (the fewest digits for subnormals), laid out as Python's repr
 * (scientific below 1e-4 and from 1e16 on), non-finite ones as NaN,
 * Infinity, -Infinity.  It refuses to be a DOM: callers walk their own
 * values.
 */
#ifndef GD_JSON_H
#define GD_JSON_H

#include <stddef.h>
#include <stdint.h>

#define GD_JSON_MAX_DEPTH 512        /* deepest nesting of arrays and objects */

/* Reader callbacks; each returns 0 to go on, nonzero to stop the parse with
 * that code.  A string (or key) arrives as its raw bytes between the quotes,
 * escapes included, with its decoded length outlen: outlen == rawlen means
 * it has no escapes and raw is the value; else gd_json_unescape decodes it. */
typedef struct gd_json_handler {
  int (*null)(void *ud);
  int (*boolean)(void *ud, int value);
  int (*integer)(void *ud, int64_t value);     /* no fraction or exponent, fits int64 */
  int (*number)(void *ud, double value);       /* every other number, as strtod reads it */
  int (*string)(void *ud, const char *raw, size_t rawlen, size_t outlen);
  int (*begin_array)(void *ud);
  int (*end_array)(void *ud);
  int (*begin_object)(void *ud);
  int (*key)(void *ud, const char *raw, size_t rawlen, size_t outlen);
  int (*end_object)(void *ud);
} gd_json_handler;

/* Where and why a parse failed. */
typedef struct gd_json_error {
  size_t pos;                       /* 0-based offset of the offending byte (len at end of input) */
  char msg[96];                     /* what was wrong, e.g. "leading zero in a number" */
} gd_json_error;

#define GD_JSON_ESYNTAX (-1)        /* gd_json_parse: the input is not JSON (err says why) */

/* Parse s[0..len) as one JSON value, calling h's functions (all set) with
 * ud.  Returns 0, GD_JSON_ESYNTAX (err filled), a callback's nonzero code,
 * or GD_EARG (gd_errmsg) for a NULL argument or handler function. */
int gd_json_parse(const char *s, size_t len, const gd_json_handler *h, void *ud, gd_json_error *err);

/* Decode the escapes of a string the reader accepted: writes exactly the
 * outlen bytes the reader announced into out. */
void gd_json_unescape(const char *raw, size_t rawlen, char *out);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF); else 0 with *bad the offset of the first invalid sequence. */
int gd_json_utf8_valid(const char *s, size_t n, size_t *bad);

/* Write x as a JSON number into buf (at least 32 bytes, NUL-terminated):
 * the shortest round-trip form as above, with ".0" added when it would
 * read back as an integer; NaN, Infinity, -Infinity.  Returns the length. */
int gd_json_format_double(double x, char *buf);

/* The writer: bytes go to buf; the structure calls place separators. */
typedef struct gd_json_writer {
  char *buf;                        /* malloc'ed output, len bytes used of cap */
  size_t len, cap;
  int indent;                       /* spaces per level; < 0: compact, no newlines */
  int depth;                        /* open containers */
  int need_comma;                   /* a value was written in the current container */
  int after_key;                    /* a key was just written: the value follows ": " */
} gd_json_writer;

/* An empty writer (no buffer yet); indent < 0 for compact output. */
void gd_json_writer_init(gd_json_writer *w, int indent);
/* Free the buffer; w is empty again.  Idempotent. */
void gd_json_writer_free(gd_json_writer *w);
/* Open an array ('[') or object ('{'); 0 or GD_ENOMEM. */
int gd_json_write_begin(gd_json_writer *w, char open);
/* Close the innermost container with ']' or '}' (empty ones stay "[]", "{}"). */
int gd_json_write_end(gd_json_writer *w, char close);
/* An object key (UTF-8, not checked here); the next value is its value. */
int gd_json_write_key(gd_json_writer *w, const char *s, size_t n);
/* Scalars: null, true/false, an integer, a double (gd_json_format_double), a string. */
int gd_json_write_null(gd_json_writer *w);
int gd_json_write_bool(gd_json_writer *w, int b);
int gd_json_write_int(gd_json_writer *w, int64_t v);
int gd_json_write_double(gd_json_writer *w, double x);
/* A string, quoted and escaped (", \, control characters); UTF-8 kept as is. */
int gd_json_write_string(gd_json_writer *w, const char *s, size_t n);

#endif
