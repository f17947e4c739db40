/* The bytes that identify one Kerberos authenticator inside a Negotiate or Kerberos token, so
 * that processes which do not share libnegring's in-memory replay cache (nginx workers, Squid
 * helper children) can still refuse an authenticator another process already accepted.
 *
 * The key is the authenticator's ciphertext (RFC 4120 §5.5.1 AP-REQ, authenticator
 * EncryptedData, cipher), as MIT krb5's replay cache keys on it: only the holder of the session
 * key can make a new one, and every wrapping of the same AP-REQ (raw Kerberos or SPNEGO, either
 * Kerberos OID, NegTokenInit or NegTokenResp, any ap-options) carries the same bytes. */
#ifndef NEGRING_EMBED_AUTHENTICATOR_KEY_H
#define NEGRING_EMBED_AUTHENTICATOR_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finds the authenticator ciphertext in `token` (untrusted bytes, read through a bounded
 * cursor). On true, *key and *key_len point into `token` (valid as long as it is); false when
 * the token carries no AP-REQ (an NTLM message, an empty SPNEGO token, a mechListMIC leg) or is
 * malformed. Thread-safe, allocates nothing. */
bool ne_authenticator_key(const uint8_t *token, size_t len, const uint8_t **key, size_t *key_len);

#endif
