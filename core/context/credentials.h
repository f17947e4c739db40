/* Credentials behind a CredHandle: acceptor settings (INBOUND), an initiator identity
 * (OUTBOUND), or both. What every mechanism shares is here; each mechanism keeps its own part
 * (keys, accounts, tickets, an NT hash) in `parts`, made and freed by that mechanism.
 *
 * Reference-counted: the handle table holds one reference and every context made from the
 * credentials holds one, so FreeCredentialsHandle never pulls keys from under a handshake in
 * flight. The fields are written while the credentials are acquired, before any other thread
 * can see them, and only read afterwards (a part may swap its own contents atomically, as a key
 * reload does). */
#ifndef NEGRING_CORE_CREDENTIALS_H
#define NEGRING_CORE_CREDENTIALS_H

#include <negring/sspi.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "packages.h"
#include "status.h"

/* An explicit identity (SEC_WINNT_AUTH_IDENTITY), as every mechanism reads it: UTF-8, owned;
 * the password is wiped when freed. */
struct ng_identity {
    char *user;
    char *domain;
    char *password;
};

void ng_identity_free(struct ng_identity *id);

/* One mechanism's part: its own state and how to free it. */
struct ng_credential_part {
    void *state;
    void (*free_state)(void *state);
};

struct ng_credentials {
    atomic_uint refs;
    enum ng_package_id package;
    ULONG use;                /* SECPKG_CRED_INBOUND / OUTBOUND / BOTH */
    unsigned mechs;           /* Negotiate's package list: NG_MECHSET_* (package_list.h) */
    char *acceptor_principal; /* INBOUND: only this service is accepted, or NULL for any */
    char *principal_name;     /* OUTBOUND: who we are ("user@REALM", "DOMAIN\user") */
    int64_t clock_skew;       /* seconds of clock difference tolerated (default 300) */
    /* INBOUND: a client must send channel bindings (SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS);
     * set while contexts on other threads read it, so atomic. */
    atomic_bool require_bindings;
    int64_t expiry; /* seconds since the Unix epoch; INT64_MAX when unbounded */
    struct ng_credential_part parts[NG_PKG_COUNT]; /* by the mechanism's package */
};

enum { NG_DEFAULT_CLOCK_SKEW = 300 }; /* seconds: MIT's libdefaults clockskew default too */

/* New credentials with one reference, no parts. */
ng_status ng_credentials_new(enum ng_package_id package, ULONG use, struct ng_credentials **out);
void ng_credentials_ref(struct ng_credentials *creds);
void ng_credentials_unref(struct ng_credentials *creds);

/* The part a mechanism of `package` keeps (NULL: none), and setting it (once per mechanism,
 * before the credentials are published; `free` is called when the credentials go). */
void *ng_credentials_part(const struct ng_credentials *creds, enum ng_package_id package);
void ng_credentials_set_part(struct ng_credentials *creds, enum ng_package_id package, void *state,
                             void (*free_state)(void *state));

/* Publishes the credentials into the handle table (which takes over the reference) and fills
 * the caller's handle. On failure the reference is dropped. */
ng_status ng_credentials_publish(struct ng_credentials *creds, CredHandle *out);
/* Looks up a CredHandle and takes a reference (release with ng_credentials_unref). */
ng_status ng_credentials_from_handle(const CredHandle *handle, struct ng_credentials **out);
/* FreeCredentialsHandle: the table's reference goes. */
ng_status ng_credentials_delete(const CredHandle *handle);

#endif
