/* AcquireCredentialsHandle's choice of mechanisms: each mechanism the package brings (its own,
 * or for Negotiate those the package list allows) makes its part of the credential. Negotiate
 * goes on without a mechanism that cannot serve (no keytab, no account file, no KDC for the
 * identity's realm: Windows' Negotiate falls back to NTLM then too) as long as another is
 * ready; a failure that says the credentials themselves are wrong (a refused password, a
 * broken account file, no memory) is always the answer. */
#ifndef NEGRING_CORE_CREDENTIALS_ACQUIRE_H
#define NEGRING_CORE_CREDENTIALS_ACQUIRE_H

#include "credentials.h"

struct ng_acquire_input {
    const NEGRING_ACCEPTOR_AUTH_DATA *settings; /* INBOUND: NULL for the environment's */
    const struct ng_identity *identity;         /* OUTBOUND: NULL for the logon session's */
};

/* Fills the mechanism parts of `creds` (package, use, mechs, principal and skew already set);
 * OUTBOUND credentials take the name and expiry of the best mechanism ready. */
ng_status ng_credentials_acquire(struct ng_credentials *creds, const struct ng_acquire_input *in);

#endif
