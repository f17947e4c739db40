/* Session ticket keys shared by every TLS listener (RFC 5077 tickets, TLS 1.2 and 1.3): a
 * current key seals new tickets, the previous one still opens tickets it sealed (the client
 * then gets a ticket of the current key), anything older makes a full handshake. The main
 * thread makes a new key every tls-ticket-rotation; workers read the pair under a sequence lock
 * from OpenSSL's ticket callback. Keys come from OpenSSL's RAND_bytes and never leave memory:
 * a restart makes every ticket a full handshake. */
#ifndef RINGSERVER_TLS_TICKETS_H
#define RINGSERVER_TLS_TICKETS_H

#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdint.h>

struct rs_ticket_key {
    uint8_t name[16];
    uint8_t aes[32];  /* AES-256-CBC */
    uint8_t hmac[32]; /* HMAC-SHA256 */
};

struct rs_ticket_keys {
    _Atomic unsigned seq;                                         /* odd while being written */
    _Atomic uint64_t words[2 * sizeof(struct rs_ticket_key) / 8]; /* current, previous */
};

/* A new current key (the old current becomes the previous). 0, or -1 when RAND_bytes fails (the
 * keys are left as they were). One writer at a time (the main thread). */
int rs_ticket_keys_rotate(struct rs_ticket_keys *k);
void rs_ticket_keys_wipe(struct rs_ticket_keys *k);
/* OpenSSL's SSL_CTX_set_tlsext_ticket_key_evp_cb callback, with the keys found through the
 * SSL_CTX (tls_context.c). */
int rs_ticket_key_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cipher,
                     EVP_MAC_CTX *mac, int enc);

#endif
