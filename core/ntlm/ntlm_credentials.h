/* NTLM's part of a credential (credentials.h): for an acceptor the account database (an
 * immutable snapshot swapped whole by a reload) and the names its CHALLENGE announces
 * (docs/ntlm.md); for an initiator the identity, its password kept only as the NT hash. The
 * operations are the credential half of the NTLM mechanism (mechanism.h). */
#ifndef NEGRING_CORE_NTLM_CREDENTIALS_H
#define NEGRING_CORE_NTLM_CREDENTIALS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "credentials.h"
#include "user_database.h"

/* OUTBOUND NTLM (MS-NLMP §3.1.1): User, UserDom and the NT hash of Passwd; owned, wiped. */
struct ng_ntlm_identity {
    char *user;
    char *domain;
    uint8_t nt_hash[16];
};

struct ng_ntlm_credentials {
    /* INBOUND: the snapshots a reload replaced wait on `retired_users` until the credentials go,
     * so a handshake that loaded the old pointer finishes with it without any lock. */
    _Atomic(struct ng_user_db *) users;
    _Atomic(struct ng_user_db *) retired_users;
    char *user_db_path;
    char *domain;       /* NetBIOS domain named in CHALLENGE; NULL: the database's first */
    char *computer;     /* NetBIOS computer name */
    char *dns_domain;   /* may be NULL */
    char *dns_computer; /* the host name */
    /* The CHALLENGE's AV pairs of the host's names (MsvAvNbComputerName, MsvAvDnsDomainName,
     * MsvAvDnsComputerName), formatted once at acquisition: per handshake only the domain,
     * which a reload of the accounts may change, and the time stamp are written. */
    uint8_t *host_av_pairs;
    size_t host_av_pairs_len;
    ULONG options;                     /* NEGRING_NTLM_* */
    struct ng_ntlm_identity *identity; /* OUTBOUND; NULL when none */
};

/* NTLM's part of `creds`, or NULL. */
struct ng_ntlm_credentials *ng_ntlm_credentials_of(const struct ng_credentials *creds);
/* The acceptor's current account snapshot, or NULL when NTLM is not accepted. */
const struct ng_user_db *ng_ntlm_accounts(const struct ng_credentials *creds);

/* Settings from a Version 2 or 3 NEGRING_ACCEPTOR_AUTH_DATA, else the NEGRING_USER_DB
 * environment variable; NG_ERR_NO_CREDENTIALS when no account file is named. */
ng_status ng_ntlm_acquire_inbound(struct ng_credentials *creds,
                                  const NEGRING_ACCEPTOR_AUTH_DATA *settings);
/* Needs an explicit identity (NG_ERR_NO_CREDENTIALS without: no logon session to take a
 * password from); the name is "DOMAIN\user", or "user" without a domain. */
ng_status ng_ntlm_acquire_outbound(struct ng_credentials *creds, const struct ng_identity *id,
                                   char **name, int64_t *expiry);
bool ng_ntlm_can_accept(const struct ng_credentials *creds);
bool ng_ntlm_can_initiate(const struct ng_credentials *creds);
/* Re-reads the account file; one that fails to parse leaves the current snapshot in place. */
ng_status ng_ntlm_reload(struct ng_credentials *creds);

#endif
