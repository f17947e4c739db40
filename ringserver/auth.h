/* The daemon's use of libnegring: acceptor credentials, and one handshake leg through
 * AcceptSecurityContext. Only the public SSPI API (include/negring/sspi.h) is used.
 *
 * Thread safety: credentials are shared by all workers (SSPI credential handles are safe to use
 * from many threads at once); a struct rs_handshake belongs to one connection and is used by
 * that connection's worker only. */
#ifndef RINGSERVER_AUTH_H
#define RINGSERVER_AUTH_H

#include <negring/sspi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum rs_package { RS_PKG_NEGOTIATE, RS_PKG_NTLM };

/* The credentials a leg may use: Negotiate, NTLM, and Negotiate with the package list
 * "Kerberos" (mechs=kerberos); each once more with Extended Protection required
 * (bindings=require listeners: SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS). */
enum rs_cred_kind { RS_CRED_NEGOTIATE, RS_CRED_NTLM, RS_CRED_KERBEROS, RS_CRED_KINDS };

struct rs_creds {
    CredHandle h[2][RS_CRED_KINDS]; /* [bindings required][kind] */
    bool have[2][RS_CRED_KINDS];
    bool has_ntlm; /* libnegring has NTLM and an account file */
};

/* Acquires INBOUND credentials for Negotiate, for NTLM when libnegring has the package, and
 * Kerberos-only Negotiate credentials when a listener has mechs=kerberos (so their NegTokenInit2
 * lists no NTLM and NTLMSSP is refused by the library); again with bindings required when a
 * listener has bindings=require. Returns 0, or -1 with a message. */
int rs_creds_acquire(struct rs_creds *c, const struct rs_config *cfg, char *err, size_t errlen);
/* On a worker thread before its first accept: libnegring makes the thread's krb5 state now
 * (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD), so no ring thread ever reads krb5.conf later. */
SECURITY_STATUS rs_creds_prepare_thread(struct rs_creds *c);
/* Re-reads the keys (SetCredentialsAttributes(SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS)); handshakes
 * in flight finish with their old keys. Blocking file I/O: never call on a ring thread. */
SECURITY_STATUS rs_creds_reload(struct rs_creds *c);
void rs_creds_free(struct rs_creds *c);

/* One connection's handshake in progress. */
struct rs_handshake {
    CtxtHandle ctx;
    bool active;    /* ctx holds a context waiting for the next leg */
    bool had_input; /* a non-empty client token was consumed */
    enum rs_package pkg;
    unsigned legs;
    uint64_t start_us;
};

struct rs_leg {
    SECURITY_STATUS status; /* SEC_E_OK, SEC_I_CONTINUE_NEEDED or a failure */
    ULONG out_len;          /* token to send back, in the caller's scratch buffer */
    char user[256];         /* "alice@REALM" or "DOMAIN\user"; on a failure the name the
                             * mechanism had learned, or "" */
    char package[32];       /* "Kerberos", "NTLM", or "" when unknown; on a failure the
                             * mechanism it happened in */
    /* On a failure, why, as libnegring tells it (SECBUFFER_NEGRING_FAILURE): the reason and a
     * sentence in the mechanism's terms. */
    NEGRING_FAILURE_INFO failure;
    /* On SEC_E_OK when asked for (want_sids): the SIDs of the ticket's PAC, "" without one.
     * group_sids: "S-1-...,S-1-..." (malloc'd, NULL without any; the caller frees it). */
    char user_sid[96], primary_group_sid[96];
    char *group_sids;
};

/* True if `tok` opens a new handshake (a GSS InitialContextToken or an NTLM NEGOTIATE_MESSAGE),
 * so a pending context that already took a token must be dropped first (RFC 4559 §5: a client
 * may start over on the same connection). */
bool rs_token_starts_handshake(const uint8_t *tok, size_t len);

/* What a listener asks of a leg: the package, mechs=kerberos (Negotiate through the
 * Kerberos-only credentials), and Extended Protection: the channel's bindings (a
 * SEC_CHANNEL_BINDINGS buffer; empty: none passed) and whether a client must send them. */
struct rs_leg_policy {
    enum rs_package pkg;
    bool kerberos_only;
    bool want_sids; /* the PAC's SIDs into the leg (sid-headers) */
    bool require_bindings;
    const uint8_t *bindings;
    size_t bindings_len;
};

/* Runs one AcceptSecurityContext leg on hs (starting a context if none is pending). On
 * SEC_E_OK and on failure the context is deleted at once; on SEC_I_CONTINUE_NEEDED it stays in
 * hs. */
void rs_auth_leg(struct rs_handshake *hs, const struct rs_creds *creds,
                 const struct rs_leg_policy *policy, const uint8_t *in, size_t in_len,
                 uint8_t *scratch, size_t scratch_len, struct rs_leg *leg);
/* Deletes a pending context (connection closed, deadline, new handshake). */
void rs_handshake_reset(struct rs_handshake *hs);

#endif
