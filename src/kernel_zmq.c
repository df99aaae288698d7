/* kernel_zmq.c: the Jupyter kernel's sockets and wire format (kernel_zmq.h).
 *
 * shell and control are ROUTER sockets (each request carries the identity
 * of its client, sent back with the reply), stdin a ROUTER too (the kernel
 * asks, the frontend answers), iopub a PUB, and the heartbeat a ROUTER that
 * zmq_proxy echoes onto itself in its own thread, so a client sees the
 * kernel alive while a long cell runs.  Signatures are HMAC-SHA256 in hex
 * (sha256.h); a received one is compared in constant time.
 */
#include "kernel_zmq.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "sha256.h"
#include "tensor.h"

static const char DELIM[] = "<IDS|MSG>";
#define DELIM_LEN (sizeof DELIM - 1)

struct gd_kernel {
  void *ctx;
  void *sock[GD_KERNEL_NCHANNELS];
  int port[GD_KERNEL_NCHANNELS];
  pthread_t hb_thread;
  int hb_running;
  unsigned char *key;
  size_t keylen;
};

static const int SOCKET_TYPE[GD_KERNEL_NCHANNELS] = { ZMQ_ROUTER, ZMQ_ROUTER, ZMQ_ROUTER, ZMQ_PUB, ZMQ_ROUTER };
static const char *const CHANNEL_NAME[GD_KERNEL_NCHANNELS] = { "shell", "control", "stdin", "iopub", "hb" };

/* The heartbeat: every ping comes straight back, until the context ends. */
static void *heartbeat(void *sock) {
  zmq_proxy(sock, sock, NULL);
  return NULL;
}

/* Bind k's socket ch to cfg's endpoint; a port of 0 lets the system pick one. */
static int bind_channel(gd_kernel *k, const gd_kernel_config *cfg, int ch) {
  char ep[512];
  int n;
  if (strcmp(cfg->transport, "ipc") == 0)
    n = snprintf(ep, sizeof ep, "ipc://%s-%d", cfg->ip, cfg->ports[ch]);
  else if (cfg->ports[ch] > 0)
    n = snprintf(ep, sizeof ep, "%s://%s:%d", cfg->transport, cfg->ip, cfg->ports[ch]);
  else
    n = snprintf(ep, sizeof ep, "%s://%s:*", cfg->transport, cfg->ip);
  if (n < 0 || (size_t)n >= sizeof ep)
    return gd_seterr(GD_EARG, "the %s endpoint is too long", CHANNEL_NAME[ch]);
  void *s = zmq_socket(k->ctx, SOCKET_TYPE[ch]);
  if (!s) return gd_seterr(GD_ENOMEM, "cannot make the %s socket: %s", CHANNEL_NAME[ch], zmq_strerror(errno));
  k->sock[ch] = s;
  int linger = 0;
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  if (SOCKET_TYPE[ch] == ZMQ_ROUTER) {       /* a reply to a client gone is dropped, not queued */
    int on = 1;
    zmq_setsockopt(s, ZMQ_ROUTER_HANDOVER, &on, sizeof on);
  }
  if (zmq_bind(s, ep) != 0)
    return gd_seterr(GD_EARG, "cannot bind the %s channel to %s: %s", CHANNEL_NAME[ch], ep, zmq_strerror(errno));
  k->port[ch] = cfg->ports[ch];
  if (k->port[ch] <= 0) {
    char last[512];
    size_t len = sizeof last;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, last, &len) == 0) {
      const char *colon = strrchr(last, ':');
      k->port[ch] = colon ? atoi(colon + 1) : 0;
    }
  }
  return GD_OK;
}

gd_kernel *gd_kernel_open(const gd_kernel_config *cfg) {
  if (!cfg || !cfg->transport || !cfg->ip || (cfg->keylen && !cfg->key)) {
    gd_seterr(GD_EARG, "incomplete connection settings");
    return NULL;
  }
  if (strcmp(cfg->transport, "tcp") != 0 && strcmp(cfg->transport, "ipc") != 0) {
    gd_seterr(GD_EARG, "transport must be tcp or ipc, got '%s'", cfg->transport);
    return NULL;
  }
  gd_kernel *k = calloc(1, sizeof *k);
  if (!k) {
    gd_seterr(GD_ENOMEM, "out of memory (kernel)");
    return NULL;
  }
  k->key = malloc(cfg->keylen ? cfg->keylen : 1);
  k->ctx = zmq_ctx_new();
  if (!k->key || !k->ctx) {
    gd_seterr(GD_ENOMEM, "out of memory (kernel sockets)");
    gd_kernel_close(k);
    return NULL;
  }
  if (cfg->keylen) memcpy(k->key, cfg->key, cfg->keylen);
  k->keylen = cfg->keylen;
  for (int ch = 0; ch < GD_KERNEL_NCHANNELS; ch++) {
    if (bind_channel(k, cfg, ch) != GD_OK) {
      gd_kernel_close(k);
      return NULL;
    }
  }
  if (pthread_create(&k->hb_thread, NULL, heartbeat, k->sock[GD_KERNEL_HB]) != 0) {
    gd_seterr(GD_ENOMEM, "cannot start the heartbeat thread");
    gd_kernel_close(k);
    return NULL;
  }
  k->hb_running = 1;
  return k;
}

void gd_kernel_close(gd_kernel *k) {
  if (!k) return;
  if (k->ctx) zmq_ctx_shutdown(k->ctx);       /* the heartbeat's proxy returns ETERM */
  if (k->hb_running) pthread_join(k->hb_thread, NULL);
  for (int ch = 0; ch < GD_KERNEL_NCHANNELS; ch++)
    if (k->sock[ch]) zmq_close(k->sock[ch]);
  if (k->ctx) zmq_ctx_term(k->ctx);
  free(k->key);
  free(k);
}

int gd_kernel_port(const gd_kernel *k, int ch) {
  return k && ch >= 0 && ch < GD_KERNEL_NCHANNELS ? k->port[ch] : 0;
}

int gd_kernel_poll(gd_kernel *k, long timeout_ms, unsigned mask, int *ch) {
  *ch = -1;
  static const int order[3] = { GD_KERNEL_CONTROL, GD_KERNEL_SHELL, GD_KERNEL_STDIN };
  zmq_pollitem_t items[3];
  int which[3], n = 0;
  for (int i = 0; i < 3; i++) {
    if (!(mask & (1u << order[i]))) continue;
    items[n] = (zmq_pollitem_t){ k->sock[order[i]], 0, ZMQ_POLLIN, 0 };
    which[n++] = order[i];
  }
  if (n == 0) return gd_seterr(GD_EARG, "no channel to poll");
  int r = zmq_poll(items, n, timeout_ms);
  if (r < 0) {
    if (errno == EINTR) return GD_OK;         /* a signal: the caller looks again */
    return gd_seterr(GD_EARG, "zmq_poll: %s", zmq_strerror(errno));
  }
  for (int i = 0; i < n; i++) {
    if (items[i].revents & ZMQ_POLLIN) {
      *ch = which[i];
      break;
    }
  }
  return GD_OK;
}

void gd_kernel_msg_free(gd_kernel_msg *m) {
  if (!m) return;
  for (size_t i = 0; i < m->nframes; i++) free(m->frames[i].data);
  free(m->frames);
  m->frames = NULL;
  m->nframes = m->delim = 0;
}

/* Append the frame zf to m (copied). */
static int add_frame(gd_kernel_msg *m, size_t *cap, zmq_msg_t *zf) {
  if (m->nframes == *cap) {
    size_t ncap = *cap ? 2 * *cap : 8;
    gd_kernel_frame *f = realloc(m->frames, ncap * sizeof *f);
    if (!f) return gd_seterr(GD_ENOMEM, "out of memory (message frames)");
    m->frames = f;
    *cap = ncap;
  }
  size_t len = zmq_msg_size(zf);
  char *data = malloc(len + 1);               /* NUL-terminated for the caller's ease */
  if (!data) return gd_seterr(GD_ENOMEM, "out of memory (a message of %zu bytes)", len);
  memcpy(data, zmq_msg_data(zf), len);
  data[len] = '\0';
  m->frames[m->nframes].data = data;
  m->frames[m->nframes].len = len;
  m->nframes++;
  return GD_OK;
}

void gd_kernel_sign(const gd_kernel *k, const gd_kernel_frame parts[4], char out[65]) {
  out[0] = '\0';
  if (!k->keylen) return;
  const void *p[4];
  size_t n[4];
  for (int i = 0; i < 4; i++) {
    p[i] = parts[i].data;
    n[i] = parts[i].len;
  }
  unsigned char mac[32];
  gd_hmac_sha256(k->key, k->keylen, p, n, 4, mac);
  gd_hex(mac, sizeof mac, out);
}

int gd_kernel_recv(gd_kernel *k, int ch, gd_kernel_msg *m) {
  memset(m, 0, sizeof *m);
  if (ch != GD_KERNEL_SHELL && ch != GD_KERNEL_CONTROL && ch != GD_KERNEL_STDIN)
    return gd_seterr(GD_EARG, "channel %d does not receive", ch);
  void *s = k->sock[ch];
  size_t cap = 0;
  int status = GD_OK, more = 1;
  while (more) {                              /* read the whole message, even one to drop */
    zmq_msg_t zf;
    zmq_msg_init(&zf);
    if (zmq_msg_recv(&zf, s, 0) < 0) {
      int e = errno;
      zmq_msg_close(&zf);
      if (e == EINTR && m->nframes > 0) continue;   /* the rest of a message is already here */
      if (status == GD_OK) status = gd_seterr(GD_EARG, "zmq_msg_recv: %s", zmq_strerror(e));
      break;
    }
    more = zmq_msg_more(&zf);
    if (status == GD_OK) status = add_frame(m, &cap, &zf);
    zmq_msg_close(&zf);
  }
  if (status != GD_OK) return status;
  size_t d = 0;
  while (d < m->nframes && !(m->frames[d].len == DELIM_LEN && memcmp(m->frames[d].data, DELIM, DELIM_LEN) == 0)) d++;
  if (d == m->nframes) return gd_seterr(GD_KERNEL_EWIRE, "a %s message without the <IDS|MSG> delimiter", CHANNEL_NAME[ch]);
  if (m->nframes < d + 6)
    return gd_seterr(GD_KERNEL_EWIRE, "a %s message of %zu parts after the delimiter (at least 5: signature, header, parent, metadata, content)",
                     CHANNEL_NAME[ch], m->nframes - d - 1);
  m->delim = d;
  if (k->keylen) {
    char want[65];
    gd_kernel_sign(k, m->frames + d + 2, want);
    const gd_kernel_frame *got = &m->frames[d + 1];
    if (got->len != 64 || !gd_digest_equal(got->data, want, 64))
      return gd_seterr(GD_KERNEL_ESIGNATURE, "a %s message with a wrong signature", CHANNEL_NAME[ch]);
  }
  return GD_OK;
}

/* Send one frame; more: another follows. */
static int send_frame(void *s, const void *data, size_t len, int more) {
  if (zmq_send(s, data, len, more ? ZMQ_SNDMORE : 0) >= 0) return GD_OK;
  return gd_seterr(GD_EARG, "zmq_send: %s", zmq_strerror(errno));
}

int gd_kernel_send(gd_kernel *k, int ch, const gd_kernel_frame *ids, size_t nids,
                   const gd_kernel_frame parts[4], const gd_kernel_frame *bufs, size_t nbufs) {
  if (ch < 0 || ch >= GD_KERNEL_NCHANNELS || ch == GD_KERNEL_HB)
    return gd_seterr(GD_EARG, "channel %d does not send", ch);
  void *s = k->sock[ch];
  char sig[65];
  gd_kernel_sign(k, parts, sig);
  int st = GD_OK;
  for (size_t i = 0; i < nids && st == GD_OK; i++) st = send_frame(s, ids[i].data, ids[i].len, 1);
  if (st == GD_OK) st = send_frame(s, DELIM, DELIM_LEN, 1);
  if (st == GD_OK) st = send_frame(s, sig, strlen(sig), 1);
  for (int i = 0; i < 4 && st == GD_OK; i++) st = send_frame(s, parts[i].data, parts[i].len, i < 3 || nbufs > 0);
  for (size_t i = 0; i < nbufs && st == GD_OK; i++) st = send_frame(s, bufs[i].data, bufs[i].len, i + 1 < nbufs);
  return st;
}
