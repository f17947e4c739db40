/* The hash and cipher primitives NTLM is built from (MS-NLMP §3.3, §3.4.5, §6), as thin
 * wrappers over nettle (MD4, the HMAC construction, the RC4 stream) and OpenSSL's libcrypto
 * (MD5, RC4's key schedule). Nothing here is hand-written crypto. All functions are thread-safe
 * (no shared state). */
#ifndef NEGRING_CORE_NTLM_CRYPTO_H
#define NEGRING_CORE_NTLM_CRYPTO_H

#include <nettle/arcfour.h>
#include <nettle/hmac.h>
/* RC4 is only in EVP's legacy provider, at the cost of a context per key; the low-level
 * functions, deprecated in OpenSSL 3 but kept, are the fast ones. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/rc4.h>

#include "slice.h"
#include "status.h"

#define NG_NTLM_HASH_LEN 16

/* HMAC-MD5 over several pieces, fed in order (the NTLM formulas concatenate): nettle's HMAC
 * over OpenSSL's MD5, whose assembly takes fewer cycles per block than nettle's, and a
 * handshake hashes 17 blocks (33 through Negotiate; bench/micro/bench_ntlm_floor.c). A state
 * just after ng_hmac_md5_init holds the key's inner and outer pad blocks already hashed, so it
 * may be kept and copied (plain assignment) for each use of the same key: two MD5 blocks saved
 * per HMAC. A kept state is as secret as the key. */
struct ng_hmac_md5 {
    MD5_CTX outer, inner, state;
};
void ng_hmac_md5_init(struct ng_hmac_md5 *h, const uint8_t key[NG_NTLM_HASH_LEN]);
void ng_hmac_md5_update(struct ng_hmac_md5 *h, struct ng_slice data);
void ng_hmac_md5_final(struct ng_hmac_md5 *h, uint8_t out[NG_NTLM_HASH_LEN]);
void ng_hmac_md5(const uint8_t key[NG_NTLM_HASH_LEN], struct ng_slice data,
                 uint8_t out[NG_NTLM_HASH_LEN]);

void ng_md5(struct ng_slice a, struct ng_slice b, uint8_t out[NG_NTLM_HASH_LEN]);

/* An RC4 stream (MS-NLMP §6 RC4Init/RC4): the state carries over between calls. The key
 * schedule is OpenSSL's (assembly, an int per entry: 0.9 µs where nettle's byte-wise one takes
 * 2, and a handshake runs up to three); the stream is nettle's, whose 258-byte state is what a
 * context carries and exports (OpenSSL's is 1,032 bytes) and runs as fast. */
struct ng_rc4 {
    struct arcfour_ctx ctx;
};
void ng_rc4_init(struct ng_rc4 *rc4, const uint8_t *key, size_t key_len);
void ng_rc4_crypt(struct ng_rc4 *rc4, uint8_t *dst, const uint8_t *src, size_t len);
/* RC4 over one short message under a key used for nothing else: libcrypto's schedule and
 * stream, with no copy into a kept state (the key exchange, a mechListMIC's checksum). */
void ng_rc4_once(const uint8_t *key, size_t key_len, uint8_t *dst, const uint8_t *src, size_t len);

/* NTOWFv1 (MS-NLMP §3.3.1): MD4 of the UTF-16LE password. `password` is UTF-8.
 * NG_ERR_INVALID_PARAM when it is not valid UTF-8. */
ng_status ng_nt_hash(const char *password, size_t len, uint8_t out[NG_NTLM_HASH_LEN]);

/* NTOWFv2 (MS-NLMP §3.3.2): HMAC-MD5(nt_hash, UNICODE(Uppercase(user) || domain)). `user` and
 * `domain` are UTF-8 exactly as the client wrote them (the user is uppercased here). */
ng_status ng_ntowfv2(const uint8_t nt_hash[NG_NTLM_HASH_LEN], const char *user, const char *domain,
                     uint8_t out[NG_NTLM_HASH_LEN]);
/* The same ResponseKeyNT as the HMAC-MD5 state keyed with it (the form the NTProofStr and the
 * SessionBaseKey use), the raw key wiped. */
ng_status ng_ntowfv2_keyed(const uint8_t nt_hash[NG_NTLM_HASH_LEN], const char *user,
                           const char *domain, struct ng_hmac_md5 *out);

#endif
