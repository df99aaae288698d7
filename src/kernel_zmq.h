/* kernel_zmq.h: the Jupyter kernel's sockets and wire format, over ZeroMQ.
 *
 * The five channels of a connection file (shell, control, stdin, iopub,
 * heartbeat) bound on its transport and ip, the heartbeat echoed by its own
 * thread, and messages in the wire format of the messaging protocol 5.3:
 *
 *   identities..., "<IDS|MSG>", signature, header, parent_header, metadata,
 *   content, buffers...
 *
 * signed with HMAC-SHA256 of the connection file's key over the four JSON
 * parts (an empty key: no signature, none checked).  The JSON itself is the
 * caller's business: this file moves and signs bytes.  No Lua here.
 */
#ifndef GD_KERNEL_ZMQ_H
#define GD_KERNEL_ZMQ_H

#include <stddef.h>

/* The channels, in the order of gd_kernel_config.ports. */
enum gd_kernel_channel {
  GD_KERNEL_SHELL,
  GD_KERNEL_CONTROL,
  GD_KERNEL_STDIN,
  GD_KERNEL_IOPUB,
  GD_KERNEL_HB,
  GD_KERNEL_NCHANNELS
};

/* Errors of gd_kernel_recv besides the core's (tensor.h): a message that
 * is not in the wire format, or whose signature is wrong. */
enum { GD_KERNEL_EWIRE = 100, GD_KERNEL_ESIGNATURE };

/* What the connection file says. */
typedef struct gd_kernel_config {
  const char *transport;              /* "tcp" or "ipc" */
  const char *ip;                     /* tcp: an address; ipc: the path's stem */
  int ports[GD_KERNEL_NCHANNELS];     /* 0: pick one (see gd_kernel_port) */
  const unsigned char *key;           /* the HMAC key, keylen bytes (may be 0) */
  size_t keylen;
} gd_kernel_config;

/* One frame: bytes and their length. */
typedef struct gd_kernel_frame {
  char *data;
  size_t len;
} gd_kernel_frame;

/* A received message: all its frames, and where the delimiter is
 * (frames[0..delim-1] are the identities, frames[delim + 2..delim + 5] the
 * header, parent_header, metadata and content, the rest its buffers). */
typedef struct gd_kernel_msg {
  gd_kernel_frame *frames;
  size_t nframes;
  size_t delim;
} gd_kernel_msg;

typedef struct gd_kernel gd_kernel;

/* Bind every channel and start the heartbeat; NULL and gd_errmsg() on failure. */
gd_kernel *gd_kernel_open(const gd_kernel_config *cfg);

/* Stop the heartbeat and close every socket (NULL: nothing). */
void gd_kernel_close(gd_kernel *k);

/* The port channel ch is bound to (the one picked when the config said 0). */
int gd_kernel_port(const gd_kernel *k, int ch);

/* Wait up to timeout_ms (-1: for ever) for a message on the channels in
 * mask (bit 1 << GD_KERNEL_SHELL, ...; only shell, control and stdin
 * receive); *ch is the channel (control first), or -1 on timeout or a
 * signal.  GD_OK or an error. */
int gd_kernel_poll(gd_kernel *k, long timeout_ms, unsigned mask, int *ch);

/* Receive the next message of channel ch into m (freed with
 * gd_kernel_msg_free, also on failure).  GD_KERNEL_EWIRE or
 * GD_KERNEL_ESIGNATURE if it is to be dropped; the message was read whole. */
int gd_kernel_recv(gd_kernel *k, int ch, gd_kernel_msg *m);

/* Free the frames of m and empty it. */
void gd_kernel_msg_free(gd_kernel_msg *m);

/* Send identities, delimiter, signature, parts[0..3] (header, parent,
 * metadata, content) and buffers on channel ch.  GD_OK or an error. */
int gd_kernel_send(gd_kernel *k, int ch, const gd_kernel_frame *ids, size_t nids,
                   const gd_kernel_frame parts[4], const gd_kernel_frame *bufs, size_t nbufs);

/* The signature of parts[0..3] in lowercase hex into out (65 bytes); "" for no key. */
void gd_kernel_sign(const gd_kernel *k, const gd_kernel_frame parts[4], char out[65]);

#endif
