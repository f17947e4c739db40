/* Kerberos' part of a credential (credentials.h): the service keys an acceptor decrypts tickets
 * with (read once from the keytab into memory, swapped whole by a reload), and the ccache an
 * initiator takes tickets from (the logon session's, or a MEMORY ccache holding a TGT got for an
 * explicit identity). The operations are the credential half of the Kerberos mechanism
 * (mechanism.h). */
#ifndef NEGRING_CORE_KRB5_CREDENTIALS_H
#define NEGRING_CORE_KRB5_CREDENTIALS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "credentials.h"
#include "keystore.h"

struct ng_krb5_credentials {
    /* INBOUND: the keystores a reload replaced stay on `retired_keys` until the credentials go,
     * so an accept that loaded the old pointer can finish with it without any lock. */
    _Atomic(struct ng_keystore *) keys;
    _Atomic(struct ng_keystore *) retired_keys;
    char *keytab_name; /* the keytab the keys came from, or NULL for the default */
    char *ccache_name; /* OUTBOUND: "TYPE:residual" */
    bool owns_ccache;  /* a MEMORY ccache made from an explicit identity: destroyed */
};

/* Kerberos' part of `creds`, or NULL. */
struct ng_krb5_credentials *ng_krb5_credentials_of(const struct ng_credentials *creds);
/* The acceptor's current keys, or NULL when the credentials hold none. */
const struct ng_keystore *ng_krb5_acceptor_keys(const struct ng_credentials *creds);

ng_status ng_krb5_acquire_inbound(struct ng_credentials *creds,
                                  const NEGRING_ACCEPTOR_AUTH_DATA *settings);
/* With an identity: "user@domain" (or "user" when it names its realm) gets a TGT into a
 * MEMORY ccache (NG_ERR_LOGON_DENIED when the KDC refuses the password); without one, the
 * default ccache must hold a principal. */
ng_status ng_krb5_acquire_outbound(struct ng_credentials *creds, const struct ng_identity *id,
                                   char **name, int64_t *expiry);
bool ng_krb5_can_accept(const struct ng_credentials *creds);
bool ng_krb5_can_initiate(const struct ng_credentials *creds);
/* Re-reads the keytab; accepts in flight finish with the old keys. NG_ERR_NO_CREDENTIALS (old
 * keys kept) when the keytab is gone. */
ng_status ng_krb5_reload(struct ng_credentials *creds);
/* The per-thread krb5_context (krb5_thread.h) is made on a thread's first Kerberos call, reading
 * krb5.conf; this makes it now, with what the cached accept reads from it. */
ng_status ng_krb5_prepare_thread(const struct ng_credentials *creds);

#endif
