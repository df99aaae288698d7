/* sha256.c: SHA-256 from FIPS 180-4 section 6.2 and HMAC from RFC 2104.
 *
 * Words are big-endian; the message is padded with 0x80, zeros and its bit
 * length as a 64-bit big-endian integer to a multiple of 64 bytes.  The
 * compression function is the plain 64-round loop with a 16-word rolling
 * message schedule.  No allocation, no Lua.
 */
#include "sha256.h"

#include <string.h>

/* K: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

/* One 64-byte block into the chaining value h (FIPS 180-4 6.2.2). */
static void compress(uint32_t h[8], const unsigned char *p) {
  uint32_t w[16];
  for (int t = 0; t < 16; t++)
    w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int t = 0; t < 64; t++) {
    uint32_t wt;
    if (t < 16) wt = w[t];
    else {   /* W_t = σ1(W_{t−2}) + W_{t−7} + σ0(W_{t−15}) + W_{t−16}, kept mod 16 */
      uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
      uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
      uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
      wt = w[t & 15] = s1 + w[(t - 7) & 15] + s0 + w[t & 15];
    }
    uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = k + S1 + ch + K[t] + wt;
    uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    k = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void gd_sha256_init(gd_sha256_ctx *c) {
  static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  memcpy(c->h, h0, sizeof h0);
  c->nbytes = 0;
  c->nbuf = 0;
}

void gd_sha256_update(gd_sha256_ctx *c, const void *data, size_t n) {
  const unsigned char *p = data;
  c->nbytes += n;
  if (c->nbuf) {                       /* top up the partial block first */
    size_t take = GD_SHA256_BLOCK - c->nbuf < n ? GD_SHA256_BLOCK - c->nbuf : n;
    memcpy(c->buf + c->nbuf, p, take);
    c->nbuf += take; p += take; n -= take;
    if (c->nbuf < GD_SHA256_BLOCK) return;
    compress(c->h, c->buf);
    c->nbuf = 0;
  }
  for (; n >= GD_SHA256_BLOCK; p += GD_SHA256_BLOCK, n -= GD_SHA256_BLOCK) compress(c->h, p);
  if (n) memcpy(c->buf, p, n);
  c->nbuf = n;
}

void gd_sha256_final(gd_sha256_ctx *c, unsigned char out[GD_SHA256_BYTES]) {
  uint64_t bits = c->nbytes * 8;
  c->buf[c->nbuf++] = 0x80;
  if (c->nbuf > GD_SHA256_BLOCK - 8) {   /* no room for the length: one more block */
    memset(c->buf + c->nbuf, 0, GD_SHA256_BLOCK - c->nbuf);
    compress(c->h, c->buf);
    c->nbuf = 0;
  }
  memset(c->buf + c->nbuf, 0, GD_SHA256_BLOCK - 8 - c->nbuf);
  for (int i = 0; i < 8; i++) c->buf[GD_SHA256_BLOCK - 1 - i] = (unsigned char)(bits >> (8 * i));
  compress(c->h, c->buf);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (unsigned char)(c->h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
    out[4 * i + 3] = (unsigned char)c->h[i];
  }
}

void gd_sha256(const void *data, size_t n, unsigned char out[GD_SHA256_BYTES]) {
  gd_sha256_ctx c;
  gd_sha256_init(&c);
  gd_sha256_update(&c, data, n);
  gd_sha256_final(&c, out);
}

/* Clear secret bytes in a way the compiler cannot drop as a dead store. */
static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

void gd_hmac_sha256_init(gd_hmac_sha256_ctx *c, const void *key, size_t keylen) {
  unsigned char k[GD_SHA256_BLOCK] = { 0 }, ikey[GD_SHA256_BLOCK];
  if (keylen > GD_SHA256_BLOCK) gd_sha256(key, keylen, k);   /* K = H(key), zero-padded */
  else if (keylen) memcpy(k, key, keylen);
  for (int i = 0; i < GD_SHA256_BLOCK; i++) {
    ikey[i] = k[i] ^ 0x36;
    c->okey[i] = k[i] ^ 0x5c;
  }
  gd_sha256_init(&c->inner);
  gd_sha256_update(&c->inner, ikey, sizeof ikey);
  wipe(k, sizeof k);
  wipe(ikey, sizeof ikey);
}

void gd_hmac_sha256_update(gd_hmac_sha256_ctx *c, const void *data, size_t n) {
  gd_sha256_update(&c->inner, data, n);
}

void gd_hmac_sha256_final(gd_hmac_sha256_ctx *c, unsigned char out[GD_SHA256_BYTES]) {
  unsigned char ih[GD_SHA256_BYTES];
  gd_sha256_final(&c->inner, ih);
  gd_sha256_ctx o;
  gd_sha256_init(&o);
  gd_sha256_update(&o, c->okey, sizeof c->okey);
  gd_sha256_update(&o, ih, sizeof ih);
  gd_sha256_final(&o, out);
  wipe(c, sizeof *c);
  wipe(&o, sizeof o);
}

void gd_hmac_sha256(const void *key, size_t keylen, const void *const *parts, const size_t *lens,
                    size_t nparts, unsigned char out[GD_SHA256_BYTES]) {
  gd_hmac_sha256_ctx c;
  gd_hmac_sha256_init(&c, key, keylen);
  for (size_t i = 0; i < nparts; i++) gd_hmac_sha256_update(&c, parts[i], lens[i]);
  gd_hmac_sha256_final(&c, out);
}

void gd_hex(const unsigned char *bytes, size_t n, char *hex) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[bytes[i] >> 4];
    hex[2 * i + 1] = digits[bytes[i] & 15];
  }
  hex[2 * n] = '\0';
}

int gd_digest_equal(const void *a, const void *b, size_t n) {
  const volatile unsigned char *x = a, *y = b;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++) diff |= x[i] ^ y[i];   /* no early exit */
  return diff == 0;
}
