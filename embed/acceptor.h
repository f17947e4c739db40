/* libnegring as an embedding uses it: acceptor credentials for one configuration, and one
 * handshake leg at a time through AcceptSecurityContext, with the cross-process replay check
 * (replay_table.h) on every Kerberos login. The nginx module and the Squid helper are thin
 * layers over this file; it uses the public SSPI API only (include/negring/sspi.h).
 *
 * Thread safety: an acceptor's credentials may be used by any number of threads at once; a
 * struct ne_handshake, and the replay table, belong to one thread. */
#ifndef NEGRING_EMBED_ACCEPTOR_H
#define NEGRING_EMBED_ACCEPTOR_H

#include <negring/sspi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay_table.h"

enum ne_mechs {
    NE_MECHS_NEGOTIATE, /* SPNEGO with Kerberos, and NTLM when an account file is given */
    NE_MECHS_KERBEROS,  /* Negotiate limited to Kerberos (package list "Kerberos") */
    NE_MECHS_NTLM,      /* the NTLM scheme alone */
};

/* The HTTP authentication scheme (RFC 4559) a token came under. */
enum ne_scheme { NE_SCHEME_NEGOTIATE, NE_SCHEME_NTLM };

struct ne_acceptor_config {
    const char *keytab;      /* NULL: KRB5_KTNAME, else the default keytab */
    const char *principal;   /* NULL: any service key in the keytab */
    const char *user_db;     /* NTLM account file (negring-user); NULL: no NTLM */
    const char *ntlm_domain; /* NULL: the account file's first domain */
    unsigned clock_skew;     /* seconds; also how long the replay table keeps an entry (x2) */
    enum ne_mechs mechs;
};

struct ne_acceptor {
    CredHandle negotiate, ntlm;
    bool has_negotiate, has_ntlm;
    unsigned clock_skew;
};

/* Acquires the credentials `cfg` describes. 0, or -1 with a sentence in err. */
int ne_acceptor_acquire(struct ne_acceptor *a, const struct ne_acceptor_config *cfg, char *err,
                        size_t errlen);
void ne_acceptor_free(struct ne_acceptor *a);
/* Makes the calling thread's Kerberos state now (krb5.conf read), so its first accept does no
 * file I/O (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD). */
SECURITY_STATUS ne_acceptor_prepare_thread(struct ne_acceptor *a);
/* Whether tokens under `scheme` are accepted at all. */
bool ne_acceptor_takes(const struct ne_acceptor *a, enum ne_scheme scheme);

/* One client's handshake in progress (between the legs of NTLM or SPNEGO). */
struct ne_handshake {
    CtxtHandle ctx;
    bool active;            /* ctx waits for the client's next leg */
    bool had_input;         /* a non-empty client token was taken */
    bool has_authenticator; /* a Kerberos authenticator was seen: its SHA-256 below */
    enum ne_scheme scheme;
    unsigned legs;
    uint8_t authenticator[32];
};

struct ne_leg {
    uint8_t *out;   /* set by the caller: room for the token to send back ... */
    size_t out_cap; /* ... of this many bytes (the package's cbMaxToken) */

    SECURITY_STATUS status; /* SEC_E_OK, SEC_I_CONTINUE_NEEDED or a failure */
    size_t out_len;         /* the token to send back, in out[] */
    const char *reason;     /* on failure: why, in words */
    char user[256];         /* on SEC_E_OK: "alice@REALM" or "DOMAIN\user" */
    char package[16];       /* on SEC_E_OK: "Kerberos" or "NTLM" */
};

/* Runs one AcceptSecurityContext leg of `hs` on the client's token (starting a context when
 * none is pending, or over again when the token opens a new handshake or the scheme changed).
 * The answer token goes to leg->out. On SEC_E_OK a Kerberos login is also recorded in
 * `replay` at `now` (seconds; NULL: no cross-process check): one already there is refused as
 * SEC_E_LOGON_DENIED, a full table gives SEC_E_INSUFFICIENT_MEMORY. Except on
 * SEC_I_CONTINUE_NEEDED, the context is deleted before returning. */
void ne_handshake_leg(struct ne_handshake *hs, const struct ne_acceptor *a,
                      struct ne_replay_table *replay, enum ne_scheme scheme, const uint8_t *in,
                      size_t in_len, int64_t now, struct ne_leg *leg);
/* Deletes a pending context (connection closed, deadline, new handshake). */
void ne_handshake_reset(struct ne_handshake *hs);

/* The realm of a user name libnegring reported for `package`: for "NTLM" the domain before
 * the '\' of "DOMAIN\user", otherwise (Kerberos) what follows the last '@' (an enterprise
 * name "alice\@corp@REALM" has its own '@'). An empty string when there is none; points into
 * `user`, `*len` set. */
const char *ne_user_realm(const char *user, const char *package, size_t *len);

#endif
