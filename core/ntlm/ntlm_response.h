/* NTLMv2 responses (MS-NLMP §3.3.2, §2.2.2.7-8): the NTProofStr, the client challenge blob it
 * covers, and the keys that follow from it (SessionBaseKey, ExportedSessionKey with
 * NTLMSSP_NEGOTIATE_KEY_EXCH). Both sides use these; nothing here decides policy. */
#ifndef NEGRING_CORE_NTLM_RESPONSE_H
#define NEGRING_CORE_NTLM_RESPONSE_H

#include "ntlm_av_pairs.h"
#include "ntlm_crypto.h"

/* NTLMv2_CLIENT_CHALLENGE (§2.2.2.7) inside an NtChallengeResponse, as slices into it. */
struct ng_ntlmv2_response {
    struct ng_slice proof; /* NTProofStr, 16 bytes */
    struct ng_slice blob;  /* the "temp" the proof covers: everything after the proof */
    uint64_t timestamp;    /* the client's FILETIME */
    uint8_t client_challenge[8];
    struct ng_av_pairs av;   /* the client's AV pairs */
    struct ng_slice av_list; /* their bytes */
};

/* An NtChallengeResponse shorter than the v2 minimum (an NTLMv1 answer is 24 bytes) or with a
 * malformed blob is NG_ERR_INVALID_TOKEN; the caller tells v1 from garbage by length. */
ng_status ng_ntlmv2_parse(struct ng_slice nt_response, struct ng_ntlmv2_response *out);

/* NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp). */
void ng_ntlmv2_proof(const uint8_t response_key[16], const uint8_t server_challenge[8],
                     struct ng_slice blob, uint8_t proof[16]);

/* SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); for NTLMv2 it is also the
 * KeyExchangeKey (§3.4.5.1). */
void ng_ntlmv2_session_base_key(const uint8_t response_key[16], const uint8_t proof[16],
                                uint8_t out[16]);

/* The same two with ResponseKeyNT given as a keyed HMAC state (ng_ntowfv2_keyed), which is
 * only copied: the acceptor keeps one per account (user_database.h). */
void ng_ntlmv2_proof_keyed(const struct ng_hmac_md5 *response_key,
                           const uint8_t server_challenge[8], struct ng_slice blob,
                           uint8_t proof[16]);
void ng_ntlmv2_session_base_key_keyed(const struct ng_hmac_md5 *response_key,
                                      const uint8_t proof[16], uint8_t out[16]);

/* LMv2 response (§3.3.2): HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) ||
 * ClientChallenge; 24 bytes. */
void ng_lmv2_response(const uint8_t response_key[16], const uint8_t server_challenge[8],
                      const uint8_t client_challenge[8], uint8_t out[24]);

/* Writes temp (§3.3.2): 0x01 0x01 Z(6) Time ClientChallenge Z(4) AvPairs Z(4). `av_list` must
 * end with MsvAvEOL. */
void ng_ntlmv2_write_blob(struct ng_writer *w, uint64_t timestamp,
                          const uint8_t client_challenge[8], struct ng_slice av_list);

/* ExportedSessionKey (§3.1.5.1.2 / §3.2.5.1.2): with KEY_EXCH, RC4(KeyExchangeKey,
 * EncryptedRandomSessionKey); otherwise the KeyExchangeKey itself. RC4 is its own inverse,
 * so the client makes the encrypted key with the same call. */
void ng_ntlm_rc4_key(const uint8_t key_exchange_key[16], const uint8_t in[16], uint8_t out[16]);

/* MIC (§3.1.5.1.2) = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE)
 * where the AUTHENTICATE's MIC field is taken as zeros. `authenticate` must hold the field. */
void ng_ntlm_mic(const uint8_t exported_key[16], struct ng_slice negotiate,
                 struct ng_slice challenge, struct ng_slice authenticate, uint8_t mic[16]);

/* Now as a FILETIME (100 ns since 1601), the unit of MsvAvTimestamp. */
uint64_t ng_ntlm_filetime_now(void);

#endif
