/* The keys one sender's RFC 4121 tokens use (§2: the SEAL usage for Wrap tokens, the SIGN usage
 * for MIC tokens; 22/23 for what the acceptor sends, 24/25 for the initiator), made once per
 * direction and kept with the context, and the operations RFC 4121 needs of them on a message in
 * pieces. For the AES enctypes the keys are nettle's (krb5_aes.h), derived once; for the other
 * RFC 4121 enctypes (Camellia) libkrb5's krb5_key, which keeps its own derivations. RC4
 * sessions (RFC 4757, krb5_rc4.h) need none: their keys are empty. */
#ifndef NEGRING_CORE_KRB5_CFX_KEYS_H
#define NEGRING_CORE_KRB5_CFX_KEYS_H

#include <krb5/krb5.h>
#include <stdbool.h>

#include "krb5_aes.h"
#include "krb5_session.h"
#include "message.h"

struct ng_cfx_aes; /* Ke/Ki and Kc of the seal usage, Kc of the sign usage */

struct ng_cfx_keys {
    bool made;
    krb5_enctype enctype;
    uint32_t seal_usage, sign_usage;
    struct ng_cfx_aes *aes; /* AES enctypes */
    krb5_key k5;            /* the other RFC 4121 enctypes */
};

/* The keys of the tokens `from_acceptor` (or not) sends under the session key. */
ng_status ng_cfx_keys_make(const struct ng_krb5_session *s, bool from_acceptor,
                           struct ng_cfx_keys *out);
void ng_cfx_keys_free(struct ng_cfx_keys *k);

/* What the enctype adds to a message (RFC 3961 profile): the confounder encrypted before the
 * data, the MAC of a sealed message, the checksum of a signed one. */
struct ng_cfx_sizes {
    size_t confounder, trailer, checksum;
};
ng_status ng_cfx_sizes(krb5_enctype enctype, struct ng_cfx_sizes *out);

/* A Wrap token's sealing (seal usage): `confounder` (sizes.confounder bytes) is filled and
 * encrypted, the pieces not sign-only are encrypted in place, `trailer` receives the MAC. */
ng_status ng_cfx_seal(const struct ng_cfx_keys *k, uint8_t *confounder, const struct ng_krb5_iov *v,
                      size_t n, uint8_t *trailer);
/* NG_ERR_MESSAGE_ALTERED when the MAC does not match. */
ng_status ng_cfx_unseal(const struct ng_cfx_keys *k, uint8_t *confounder,
                        const struct ng_krb5_iov *v, size_t n, const uint8_t *trailer);

/* RFC 4121 §4.2.4: a checksum covers the message's parts in order, then the token's 16-byte
 * header (a Wrap token's with EC and RRC zero). Fills `out` (room for n + 1); returns n + 1. */
#define NG_CFX_HEADER_LEN 16
size_t ng_cfx_checksum_input(struct ng_slice *out, const struct ng_msg_part *parts, size_t n,
                             const uint8_t *header);

/* The checksum of the pieces in order (sizes.checksum bytes): the sign usage for MIC tokens,
 * the seal usage for Wrap tokens without confidentiality. */
ng_status ng_cfx_checksum(const struct ng_cfx_keys *k, bool seal_usage,
                          const struct ng_slice *parts, size_t n, uint8_t *out);
/* NG_ERR_MESSAGE_ALTERED when `sum` (sizes.checksum bytes) does not match. */
ng_status ng_cfx_verify(const struct ng_cfx_keys *k, bool seal_usage, const struct ng_slice *parts,
                        size_t n, const uint8_t *sum);

#endif
