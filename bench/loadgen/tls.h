/* negring-load over TLS (https:// URLs): an OpenSSL client context, each connection's SSL on
 * its non-blocking socket, resumed sessions (--tls-resume), and the server certificate's RFC
 * 5929 tls-server-end-point channel bindings (--channel-bindings), learnt once before the run
 * from a probe connection and given to every token (the server's certificate does not change
 * during a run). The bindings are computed here, by the client, independently of the server. */
#ifndef NEGRING_LOADGEN_TLS_H
#define NEGRING_LOADGEN_TLS_H

#include <negring/sspi.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "options.h"
#include "tls_end_point.h"

struct lg_tls {
    SSL_CTX *ctx;
    struct ne_channel_bindings bindings; /* len 0: none */
};

/* The client context: TLS 1.2 or 1.3, ALPN http/1.1, the server verified against --cacert
 * (and its name) when given. false with a message. */
bool lg_tls_init(struct lg_tls *t, const struct lg_options *o);
/* One blocking connection to learn the certificate's channel bindings. false with a message. */
bool lg_tls_probe_bindings(struct lg_tls *t, const struct lg_options *o,
                           const struct sockaddr *addr, socklen_t addr_len);
void lg_tls_free(struct lg_tls *t);

/* A connection's SSL on fd, resuming `session` when not NULL. NULL when out of memory. */
SSL *lg_tls_new(const struct lg_tls *t, const struct lg_options *o, int fd, SSL_SESSION *session);
/* Handshake progress: 1 done, 0 waiting for the socket, -1 failed. */
int lg_tls_handshake(SSL *ssl);
/* The session to resume next time (a reference, or NULL), then the SSL freed without a
 * close_notify (marked shut down, so the session stays resumable). */
SSL_SESSION *lg_tls_close(SSL *ssl, bool keep_session);

enum { LG_IO_EOF = 0, LG_IO_ERROR = -1, LG_IO_AGAIN = -2 };
/* send/recv on a plain socket (ssl NULL) or through TLS: bytes moved, or LG_IO_*. */
ssize_t lg_io_send(int fd, SSL *ssl, const void *buf, size_t n);
ssize_t lg_io_recv(int fd, SSL *ssl, void *buf, size_t n);

#endif
