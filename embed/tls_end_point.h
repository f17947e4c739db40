/* RFC 5929 §4.1 tls-server-end-point channel bindings of a server certificate, in the form
 * SSPI takes them (SECBUFFER_CHANNEL_BINDINGS): SEC_CHANNEL_BINDINGS followed by
 * "tls-server-end-point:" and the hash of the certificate, with its signature's hash algorithm,
 * SHA-256 for MD5, SHA-1 and signatures without a hash, as HTTP.sys hands IIS. What ringserver's
 * TLS listeners bind logins to, and what negring-load's https:// client binds its tokens to.
 *
 * Thread-safe; allocates nothing. */
#ifndef NEGRING_EMBED_TLS_END_POINT_H
#define NEGRING_EMBED_TLS_END_POINT_H

#include <negring/sspi.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ne_channel_bindings {
    size_t len; /* 0: none */
    uint8_t buf[sizeof(SEC_CHANNEL_BINDINGS) + 21 + EVP_MAX_MD_SIZE];
};

/* False when the certificate's hash cannot be taken (an unknown digest, no memory). */
bool ne_tls_end_point_bindings(X509 *cert, struct ne_channel_bindings *out);

#endif
