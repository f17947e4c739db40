/* The AES enctypes' encryption and checksums (RFC 3961 simplified profile) on nettle's AES (with
 * AES-NI where the CPU has it) and HMAC, for the accept path's hot operations:
 *   - aes128/256-cts-hmac-sha1-96 (RFC 3962): keys derived with DK (n-fold, AES), ciphertext
 *     AES-CTS(Ke, conf | plain) | HMAC-SHA1(Ki, conf | plain)[12];
 *   - aes128-cts-hmac-sha256-128 and aes256-cts-hmac-sha384-192 (RFC 8009): keys derived with
 *     KDF-HMAC-SHA2, ciphertext C = AES-CTS(Ke, conf | plain), then HMAC(Ki, IV | C) truncated
 *     to 16 or 24 bytes.
 * CTS is CBC with ciphertext stealing and a zero IV, the last two blocks swapped (RFC 3962 §5).
 * Other enctypes stay on libk5crypto (ng_krb5_aes_supported). Tested against the RFC 3962
 * appendix B and RFC 8009 appendix A vectors and against libk5crypto (krb5_aes_test).
 *
 * A usage's keys are derived once and reused: one struct per (base key, usage); the functions
 * only read it, so one may serve several threads. Keys are secret: ng_krb5_aes_wipe. */
#ifndef NEGRING_CORE_KRB5_AES_H
#define NEGRING_CORE_KRB5_AES_H

#include <krb5/krb5.h>
#include <nettle/aes.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <stdbool.h>

#include "slice.h"
#include "status.h"

enum { NG_KRB5_AES_CONFOUNDER = 16, NG_KRB5_AES_MAX_MAC = 24 };

/* A keyed HMAC: the outer and inner hash states after the key's pads. */
union ng_krb5_hash_state {
    struct sha1_ctx sha1;
    struct sha256_ctx sha256;
    struct sha512_ctx sha512;
};

struct ng_krb5_hmac_key {
    const struct nettle_hash *hash;
    size_t mac_len; /* the truncated length the enctype uses */
    union ng_krb5_hash_state outer, inner;
};

/* The keys one usage of a base key derives for encryption (Ke, Ki). */
struct ng_krb5_aes_keys {
    krb5_enctype enctype;
    const struct nettle_cipher *aes;
    union {
        struct aes128_ctx aes128;
        struct aes256_ctx aes256;
    } encrypt, decrypt;
    struct ng_krb5_hmac_key integrity;
    bool mac_over_ciphertext; /* RFC 8009 (HMAC over IV | C) vs RFC 3962 (over the plaintext) */
};

bool ng_krb5_aes_supported(krb5_enctype enctype);
/* The enctype's MAC (and checksum) length; 0 for an enctype not ours. */
size_t ng_krb5_aes_mac_len(krb5_enctype enctype);

/* Ke and Ki of `usage` for `base` (the enctype's key length). NG_ERR_UNSUPPORTED for another
 * enctype, NG_ERR_INVALID_PARAM for a key of the wrong length. */
ng_status ng_krb5_aes_derive(krb5_enctype enctype, struct ng_slice base, uint32_t usage,
                             struct ng_krb5_aes_keys *out);
/* Kc of `usage`, for checksums (MIC tokens). */
ng_status ng_krb5_aes_derive_checksum(krb5_enctype enctype, struct ng_slice base, uint32_t usage,
                                      struct ng_krb5_hmac_key *out);
void ng_krb5_aes_wipe(void *keys, size_t size);

/* Bytes the encryption adds: the confounder and the MAC. */
size_t ng_krb5_aes_overhead(const struct ng_krb5_aes_keys *k);

/* out[0 .. plain.len + overhead) = the encryption of `plain` with `confounder`; `out` may not
 * overlap `plain`. */
void ng_krb5_aes_encrypt(const struct ng_krb5_aes_keys *k,
                         const uint8_t confounder[NG_KRB5_AES_CONFOUNDER], struct ng_slice plain,
                         uint8_t *out);
/* Checks the MAC (in constant time) and decrypts: out[0 .. cipher.len - overhead) is the
 * plaintext (the confounder dropped). NG_ERR_MESSAGE_ALTERED when the MAC does not match,
 * NG_ERR_INVALID_TOKEN when `cipher` is shorter than the overhead; `out` holds cipher.len
 * bytes of scratch and may not overlap `cipher`. */
ng_status ng_krb5_aes_decrypt(const struct ng_krb5_aes_keys *k, struct ng_slice cipher,
                              uint8_t *out);

/* The checksum of `message` with a Kc (mac_len bytes into out). */
void ng_krb5_aes_checksum(const struct ng_krb5_hmac_key *kc, struct ng_slice message,
                          uint8_t out[NG_KRB5_AES_MAX_MAC]);

/* A message in pieces, as RFC 3961's IOV interface (MIT's krb5_k_encrypt_iov) takes it: the
 * confounder, then the pieces in order, each encrypted in place unless sign-only; the MAC covers
 * them all in that order (RFC 3962: the plaintext; RFC 8009: the zero IV, then the ciphertext,
 * sign-only pieces as they are). CTS runs over the encrypted pieces as one message. */
enum { NG_KRB5_AES_MAX_IOV = 20 };
struct ng_krb5_iov {
    uint8_t *ptr;
    size_t len;
    bool sign_only;
};
/* `confounder`: random bytes in, their ciphertext out; `mac`: the MAC's mac_len bytes out. */
ng_status ng_krb5_aes_encrypt_iov(const struct ng_krb5_aes_keys *k,
                                  uint8_t confounder[NG_KRB5_AES_CONFOUNDER],
                                  const struct ng_krb5_iov *v, size_t n, uint8_t *mac);
/* NG_ERR_MESSAGE_ALTERED when the MAC differs (RFC 3962: the pieces are decrypted by then and
 * must not be used). */
ng_status ng_krb5_aes_decrypt_iov(const struct ng_krb5_aes_keys *k,
                                  uint8_t confounder[NG_KRB5_AES_CONFOUNDER],
                                  const struct ng_krb5_iov *v, size_t n, const uint8_t *mac);
/* The checksum of the pieces in order with a Kc. */
void ng_krb5_aes_checksum_parts(const struct ng_krb5_hmac_key *kc, const struct ng_slice *parts,
                                size_t n, uint8_t out[NG_KRB5_AES_MAX_MAC]);

/* RFC 3961 §5.1 n-fold of in[0..in_len) to out_len bytes (at most 32): exposed for the RFC 3961
 * appendix A.1 vectors. */
void ng_krb5_nfold(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

/* Sets the AES key schedules from Ke itself (derivation sets them from the derived Ke). */
ng_status ng_krb5_aes_set_cipher_key(struct ng_krb5_aes_keys *k, krb5_enctype enctype,
                                     struct ng_slice ke);
/* AES-CTS with a zero IV (RFC 3962 §5) on a whole message of at least one block: exposed for
 * the RFC 3962 appendix B vectors. `out` may equal `in`. */
void ng_krb5_aes_cts_encrypt(const struct ng_krb5_aes_keys *k, const uint8_t *in, size_t len,
                             uint8_t *out);
void ng_krb5_aes_cts_decrypt(const struct ng_krb5_aes_keys *k, const uint8_t *in, size_t len,
                             uint8_t *out);

#endif
