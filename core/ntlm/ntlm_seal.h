/* NTLM session security with extended session security (MS-NLMP §3.4): the signing and
 * sealing keys of each direction (§3.4.5.2-3), and the per-message primitives behind
 * MakeSignature / VerifySignature / EncryptMessage / DecryptMessage (§3.4.3-4), with the
 * connection-oriented RC4 streams and sequence numbers of each direction.
 *
 * Not thread-safe: a session's RC4 streams and counters advance with every call, so the
 * caller (the context's exclusive leg, or the message-protection dispatcher) serialises. */
#ifndef NEGRING_CORE_NTLM_SEAL_H
#define NEGRING_CORE_NTLM_SEAL_H

#include <stdbool.h>

#include "ntlm_crypto.h"
#include "reader.h"
#include "writer.h"

#define NG_NTLM_SIGNATURE_LEN 16 /* NTLMSSP_MESSAGE_SIGNATURE (§2.2.2.9.2) */

struct ng_ntlm_direction {
    uint8_t sign_key[16];
    uint8_t seal_key[16];
    /* The sealing handle, continuing across messages. Keyed on first use: most sessions (an
     * HTTP logon) never sign or seal, and the RC4 key schedule is most of a handshake's cost. */
    struct ng_rc4 rc4;
    bool rc4_ready;
    uint32_t seq;
};

struct ng_ntlm_session {
    uint32_t flags; /* the negotiated NegotiateFlags */
    uint8_t exported_key[16];
    bool initiator;
    bool keys_ready; /* send/recv keys derived (on first use, as for the RC4 handles) */
    struct ng_ntlm_direction send, recv;
};

/* A session over the ExportedSessionKey. `initiator`: we are the client (we send with the
 * client-to-server keys). Sequence numbers start at 0. The keys of both directions are derived
 * by the first message (or ng_ntlm_session_keys): a logon that never signs costs no MD5. */
void ng_ntlm_session_init(struct ng_ntlm_session *s, uint32_t flags, const uint8_t exported[16],
                          bool initiator);
/* Derives the signing and sealing keys now (idempotent). */
void ng_ntlm_session_keys(struct ng_ntlm_session *s);
void ng_ntlm_session_wipe(struct ng_ntlm_session *s);

/* True when the flags allow per-message protection here: extended session security (the
 * pre-ESS CRC32 scheme is not offered). */
bool ng_ntlm_session_usable(const struct ng_ntlm_session *s);

/* A message in pieces (an SSPI SecBufferDesc's DATA buffers, in order): all are covered by
 * the signature; those with `encrypt` are also sealed in place (the RC4 stream runs through
 * them in order). */
struct ng_ntlm_part {
    uint8_t *ptr;
    size_t len;
    bool encrypt;
};

/* MakeSignature: a signature with the next send sequence number (then advanced). */
void ng_ntlm_sign_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts, size_t n,
                        uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
/* VerifySignature: NG_ERR_MESSAGE_ALTERED when the checksum differs, NG_ERR_OUT_OF_SEQUENCE
 * when a genuine signature carries another sequence number than the next expected,
 * NG_ERR_INVALID_TOKEN for a bad Version field. The expected number and the RC4 stream advance
 * only on success. With key exchange a replayed signature was encrypted with an earlier part of
 * the stream, so it shows as NG_ERR_MESSAGE_ALTERED. */
ng_status ng_ntlm_verify_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts,
                               size_t n, const uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
/* EncryptMessage: encrypts the `encrypt` parts in place and signs the plaintext of all
 * (§3.4.3: the message goes through RC4 first, then the checksum continues the stream). */
void ng_ntlm_seal_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts, size_t n,
                        uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
/* DecryptMessage: decrypts the `encrypt` parts in place and checks the signature over all. On
 * failure the data is left decrypted but must not be used (the caller reports the error). */
ng_status ng_ntlm_unseal_parts(struct ng_ntlm_session *s, const struct ng_ntlm_part *parts,
                               size_t n, const uint8_t signature[NG_NTLM_SIGNATURE_LEN]);

/* One-buffer forms of the four above. */
void ng_ntlm_sign(struct ng_ntlm_session *s, struct ng_slice message,
                  uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
ng_status ng_ntlm_verify(struct ng_ntlm_session *s, struct ng_slice message,
                         const uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
void ng_ntlm_seal(struct ng_ntlm_session *s, uint8_t *data, size_t len,
                  uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
ng_status ng_ntlm_unseal(struct ng_ntlm_session *s, uint8_t *data, size_t len,
                         const uint8_t signature[NG_NTLM_SIGNATURE_LEN]);

/* MS-SPNG §3.3.5.1 / as Windows does: ng_ntlm_sign and ng_ntlm_verify for the SPNEGO
 * mechListMIC, after which the direction's RC4 stream restarts from its sealing key, so the
 * application's first message sees the same stream state as the MIC did (whether the MIC
 * verified or not). Sequence numbers carry on. */
void ng_ntlm_sign_restarting(struct ng_ntlm_session *s, struct ng_slice message,
                             uint8_t signature[NG_NTLM_SIGNATURE_LEN]);
ng_status ng_ntlm_verify_restarting(struct ng_ntlm_session *s, struct ng_slice message,
                                    const uint8_t signature[NG_NTLM_SIGNATURE_LEN]);

/* ExportSecurityContext (context_export.c): the session as a record another process can
 * continue exactly, all integers big-endian:
 *   u32 flags | u8 initiator | exported key (16) | send | recv
 * with each direction u32 seq | u8 rc4_ready | RC4 state: S (256) | i | j (zeros when not
 * ready). The RC4 state is nettle's documented arcfour_ctx fields: copying them continues the
 * stream at the very byte where it stood (re-keying and fast-forwarding would cost the whole
 * stream's length). Secret: the record holds the key and the keystream state. The signing and
 * sealing keys are derived again from the exported key on reading. */
#define NG_NTLM_SESSION_RECORD_LEN (4 + 1 + 16 + 2 * (4 + 1 + 256 + 2))
void ng_ntlm_session_write(const struct ng_ntlm_session *s, struct ng_writer *w);
/* NG_ERR_INVALID_TOKEN when the record is short, a boolean is neither 0 nor 1, or an RC4 state
 * is not a permutation of 0..255. `s` is wiped first and on failure. */
ng_status ng_ntlm_session_read(struct ng_reader *r, struct ng_ntlm_session *s);

#endif
