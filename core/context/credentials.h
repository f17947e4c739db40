/* Credentials behind a CredHandle: acceptor keys (INBOUND), an initiator identity (OUTBOUND),
 * or both. Reference-counted: the handle table holds one reference and every context made
 * from the credentials holds one, so FreeCredentialsHandle never pulls keys from under a
 * handshake in flight. */
#ifndef NEGRING_CORE_CREDENTIALS_H
#define NEGRING_CORE_CREDENTIALS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "context_table.h"
#include "packages.h"
#include "status.h"

struct ng_keystore;
struct ng_user_db;

/* OUTBOUND NTLM (MS-NLMP §3.1.1): User, UserDom and the NT hash of Passwd; owned, wiped. */
struct ng_ntlm_identity {
    char *user;
    char *domain;
    uint8_t nt_hash[16];
};

struct ng_credentials {
    atomic_uint refs;
    enum ng_package_id package;
    ULONG use; /* SECPKG_CRED_INBOUND / OUTBOUND / BOTH */
    /* INBOUND: service keys in memory; owned. Swapped whole by a reload; the keystores a
     * reload replaced stay on `retired_keys` until the credentials go, so an accept that
     * loaded the old pointer can finish with it without any lock. */
    _Atomic(struct ng_keystore *) keys;
    _Atomic(struct ng_keystore *) retired_keys;
    char *keytab_name;        /* INBOUND: the keytab the keys came from, or NULL for the default */
    char *acceptor_principal; /* INBOUND: only tickets for this service, or NULL for any key */
    char *ccache_name;        /* OUTBOUND: the ccache holding the TGT ("TYPE:residual") */
    bool owns_ccache;         /* a MEMORY ccache made from an explicit identity: destroyed */
    char *principal_name;     /* OUTBOUND: the client principal, "user@REALM" */
    int64_t clock_skew;       /* seconds of clock difference tolerated (default 300) */
    unsigned mechs;           /* Negotiate's package list: NG_MECHSET_* (package_list.h) */
    int64_t expiry;           /* seconds since the Unix epoch; INT64_MAX when unbounded */
    /* NTLM acceptor (docs/ntlm.md): the account database, swapped whole by a reload like the
     * keys (replaced snapshots wait on `retired_users`); NULL when NTLM is not accepted. */
    _Atomic(struct ng_user_db *) users;
    _Atomic(struct ng_user_db *) retired_users;
    char *user_db_path;
    char *ntlm_domain;   /* NetBIOS domain named in CHALLENGE; NULL: the database's first */
    char *ntlm_computer; /* NetBIOS computer name */
    char *dns_domain;    /* may be NULL */
    char *dns_computer;
    ULONG ntlm_options;                     /* NEGRING_NTLM_* */
    struct ng_ntlm_identity *ntlm_identity; /* NTLM initiator; NULL when none */
};

void ng_credentials_ref(struct ng_credentials *creds);
void ng_credentials_unref(struct ng_credentials *creds);

/* Re-reads the keytab of INBOUND credentials and swaps the new keys in; accepts in flight
 * finish with the old keys. NG_ERR_NO_CREDENTIALS (old keys kept) when the keytab is gone. */
ng_status ng_credentials_reload_keys(struct ng_credentials *creds);

/* Looks up a CredHandle and takes a reference (release with ng_credentials_unref). */
ng_status ng_credentials_from_handle(const CredHandle *handle, struct ng_credentials **out);

#endif
