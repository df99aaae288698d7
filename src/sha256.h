/* sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for signing
 * Jupyter messages.  Plain C, no allocation, no Lua.  Not a general crypto
 * library: one hash, its HMAC, a hex helper and a constant-time compare.
 */
#ifndef GD_SHA256_H
#define GD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GD_SHA256_BYTES 32     /* digest size */
#define GD_SHA256_BLOCK 64     /* block size */

/* Running state of one SHA-256 computation. */
typedef struct gd_sha256_ctx {
  uint32_t h[8];               /* chaining value */
  uint64_t nbytes;             /* message bytes so far */
  unsigned char buf[GD_SHA256_BLOCK];
  size_t nbuf;                 /* bytes waiting in buf (< 64) */
} gd_sha256_ctx;

/* Start a hash: the FIPS 180-4 initial value H(0). */
void gd_sha256_init(gd_sha256_ctx *c);
/* Hash n more bytes of the message. */
void gd_sha256_update(gd_sha256_ctx *c, const void *data, size_t n);
/* Pad, finish and write the 32-byte digest (c is spent). */
void gd_sha256_final(gd_sha256_ctx *c, unsigned char out[GD_SHA256_BYTES]);
/* out = SHA-256(data[0..n)). */
void gd_sha256(const void *data, size_t n, unsigned char out[GD_SHA256_BYTES]);

/* Running state of one HMAC-SHA256 computation. */
typedef struct gd_hmac_sha256_ctx {
  gd_sha256_ctx inner;
  unsigned char okey[GD_SHA256_BLOCK];  /* key ^ opad */
} gd_hmac_sha256_ctx;

/* Start an HMAC with the key (any length: longer than 64 bytes is hashed first). */
void gd_hmac_sha256_init(gd_hmac_sha256_ctx *c, const void *key, size_t keylen);
/* Add n bytes of the message. */
void gd_hmac_sha256_update(gd_hmac_sha256_ctx *c, const void *data, size_t n);
/* out = H((K ^ opad) || H((K ^ ipad) || message)); c is spent and wiped. */
void gd_hmac_sha256_final(gd_hmac_sha256_ctx *c, unsigned char out[GD_SHA256_BYTES]);
/* HMAC-SHA256 of the concatenation of parts[0..nparts) (lens[i] bytes each). */
void gd_hmac_sha256(const void *key, size_t keylen, const void *const *parts, const size_t *lens,
                    size_t nparts, unsigned char out[GD_SHA256_BYTES]);

/* Write n bytes as 2n lowercase hex digits and a NUL into hex (2n+1 bytes). */
void gd_hex(const unsigned char *bytes, size_t n, char *hex);
/* 1 if a[0..n) == b[0..n), in time that depends on n only (signature checks). */
int gd_digest_equal(const void *a, const void *b, size_t n);

#endif
