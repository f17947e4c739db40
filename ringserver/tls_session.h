/* One connection's TLS record layer, in memory: OpenSSL reads the ciphertext the worker received
 * (from its provided buffer, through a BIO that never touches a socket) and writes ciphertext
 * into a buffer the connection sends with its io_uring. No socket call here, so nothing blocks a
 * ring thread; the kernel's TLS (kTLS) is not used (tls_context.h probes for it).
 *
 * Used by one worker thread. Owns its SSL (which holds a reference to its SSL_CTX). */
#ifndef RINGSERVER_TLS_SESSION_H
#define RINGSERVER_TLS_SESSION_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tls_context.h"

struct rs_tls_session;

enum rs_tls_read {
    RS_TLS_AGAIN,     /* everything offered was taken: wait for more ciphertext */
    RS_TLS_PLAINTEXT, /* *n bytes of plaintext */
    RS_TLS_CLOSED,    /* the peer's close_notify */
    RS_TLS_FAILED,    /* a fatal error (an alert may wait in the output): close */
};

/* NULL when out of memory. */
struct rs_tls_session *rs_tls_session_new(SSL_CTX *ctx);
void rs_tls_session_free(struct rs_tls_session *s);
/* A record's plaintext at most (RFC 8446 §5.1 TLSPlaintext.length: 2^14). */
#define RS_TLS_RECORD_MAX 16384
/* The largest record length TLS 1.2 allows on the wire (RFC 5246 §6.2.3: 2^14 + 2048). */
#define RS_TLS_RECORD_LIMIT (16384 + 2048)

/* Offers received ciphertext to the next rs_tls_read calls, which must read it out (until
 * RS_TLS_AGAIN) before `data` goes away; the part of a record not yet whole is kept here.
 * false: no memory to keep it (the session has failed). */
bool rs_tls_offer(struct rs_tls_session *s, const uint8_t *data, size_t len);
/* Runs the handshake as far as the offered bytes go, then decrypts into buf. */
enum rs_tls_read rs_tls_read(struct rs_tls_session *s, uint8_t *buf, size_t cap, size_t *n);
/* Encrypts an answer (then close_notify, with `last`). false: out of memory. */
bool rs_tls_seal(struct rs_tls_session *s, const uint8_t *p, size_t n, bool last);
/* Moves the ciphertext OpenSSL has written since the last call into `wire` (emptied first);
 * false when there is none (or memory ran out: a failed session). */
bool rs_tls_take_output(struct rs_tls_session *s, struct rs_out *wire);
bool rs_tls_established(const struct rs_tls_session *s);
bool rs_tls_resumed(const struct rs_tls_session *s);
/* The channel bindings of the certificate this session presented. */
const struct ne_channel_bindings *rs_tls_session_bindings(const struct rs_tls_session *s);
/* A client certificate signed by the listener's client-ca was verified. */
bool rs_tls_peer_verified(const struct rs_tls_session *s);
/* Why the session failed, for the log ("" if it did not). */
const char *rs_tls_failure(const struct rs_tls_session *s);

#endif
