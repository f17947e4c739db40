/* A TLS listener's OpenSSL context (SSL_CTX): its certificate chain and key, TLS 1.2 and 1.3
 * only with the configured ciphers, ALPN http/1.1 on HTTP listeners, stateless session tickets
 * under the server's rotating keys (tls_tickets.h), client certificates when client-ca is set,
 * no renegotiation, and the listener's RFC 5929 tls-server-end-point channel bindings. Made on
 * the main thread at start and again on SIGHUP (server.h: the listener's pointer is swapped; a
 * connection keeps the context it started with, OpenSSL counting references). */
#ifndef RINGSERVER_TLS_CONTEXT_H
#define RINGSERVER_TLS_CONTEXT_H

#include <negring/sspi.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "tls_end_point.h"
#include "tls_tickets.h"

/* The context of listener `l`. NULL with a message naming the file and OpenSSL's reason. */
SSL_CTX *rs_tls_context_new(const struct rs_config *cfg, const struct rs_listener_config *l,
                            struct rs_ticket_keys *keys, char *err, size_t errlen);
struct rs_ticket_keys *rs_tls_ticket_keys(const SSL_CTX *ctx);
/* The listener's tls-server-end-point channel bindings (tls_end_point.h). */
const struct ne_channel_bindings *rs_tls_bindings(const SSL_CTX *ctx);
/* Whether the kernel has the tls ULP (kTLS); `why` says what was found. */
bool rs_tls_ktls_available(char *why, size_t len);

#endif
