/* RFC 4757 §7 per-message tokens for arcfour-hmac (RC4-HMAC, enctype 23) contexts: the RFC 1964
 * token formats with HMAC-MD5 checksums and RC4 encryption, inside the RFC 2743 §3.1 framing.
 * Active Directory issues RC4 tickets for any account whose msDS-SupportedEncryptionTypes does
 * not name AES, so these sessions are common there. Used by MakeSignature / VerifySignature,
 * EncryptMessage / DecryptMessage and the SPNEGO mechListMIC (krb5_mic.h, krb5_wrap.h call in
 * here for enctype 23). Cryptography from nettle (MD5, HMAC-MD5, ARCFOUR); RFC 4757 has no test
 * vectors, so tests/interop/mit_rc4_test.c checks every token both ways against MIT's gss_wrap,
 * gss_unwrap, gss_get_mic and gss_verify_mic.
 *
 * Where RFC 4757's pseudo-code and the implementations differ, negring follows the
 * implementations (MIT, Heimdal, Windows): a Wrap token's checksum uses key usage 13
 * (KRB5_KU_USAGE_SEAL as Windows translates it), not 15, which only the MIC uses; a Wrap token
 * carries one byte of RFC 1964 padding (0x01). Sequence numbers are 32 bits, big-endian, then
 * four bytes naming the sender (00: initiator, FF: acceptor). The exportable (40-bit) variant,
 * enctype 24, is not offered. */
#ifndef NEGRING_CORE_KRB5_RC4_H
#define NEGRING_CORE_KRB5_RC4_H

#include <stdbool.h>
#include <stdint.h>

#include "krb5_session.h"
#include "message.h"

bool ng_krb5_enctype_is_rc4(krb5_enctype enctype);

/* Bytes of a MIC token (37), and the least a Wrap token puts in the TOKEN buffer (its framing
 * for a short message and the 32-byte header: 45; the framing's length field grows with the
 * message, to 49 bytes in all: SecPkgContext_Sizes.cbSecurityTrailer). */
size_t ng_krb5_rc4_mic_len(void);
size_t ng_krb5_rc4_wrap_header_min(void);

/* A MIC token over the parts with sequence number `seq` into out[0..*out_len) (capacity in,
 * length out). */
ng_status ng_krb5_rc4_mic_make(const struct ng_krb5_session *s, bool by_acceptor, uint64_t seq,
                               const struct ng_msg_part *parts, size_t n_parts, uint8_t *out,
                               size_t *out_len);
/* Checks the peer's MIC token over the parts; its sequence number out. NG_ERR_MESSAGE_ALTERED
 * for a checksum that differs or a token from our own direction, NG_ERR_INVALID_TOKEN when
 * malformed. */
ng_status ng_krb5_rc4_mic_check(const struct ng_krb5_session *s, bool from_acceptor,
                                const struct ng_msg_part *parts, size_t n_parts,
                                struct ng_slice token, uint64_t *seq);

/* Wraps the message: the header into m->token, the NG_PART_PROTECT parts encrypted in place (when
 * m->conf), the pad byte into m->padding (NG_ERR_BUFFER_TOO_SMALL without room for it). Sign-only
 * parts have no place in an RFC 1964 Wrap token: NG_ERR_UNSUPPORTED. */
ng_status ng_krb5_rc4_wrap(const struct ng_krb5_session *s, bool by_acceptor, uint64_t seq,
                           struct ng_msg *m);
/* Unwraps the peer's token: a SECBUFFER_STREAM in place, or TOKEN + DATA + PADDING as
 * ng_krb5_rc4_wrap lays them out; sets m->conf and returns the sequence number. */
ng_status ng_krb5_rc4_unwrap(const struct ng_krb5_session *s, bool from_acceptor, struct ng_msg *m,
                             uint64_t *seq);

#endif
