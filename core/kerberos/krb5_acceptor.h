/* The Kerberos mechanism, accepting side (RFC 4121 §4.1): an InitialContextToken carrying an
 * AP-REQ in, an AP-REP out when the client asked for mutual authentication. The ticket and
 * authenticator are decrypted and checked by libkrb5 with a key from the in-memory keystore;
 * the GSS checksum, channel bindings and replay detection are ours. */
#ifndef NEGRING_CORE_KRB5_ACCEPTOR_H
#define NEGRING_CORE_KRB5_ACCEPTOR_H

#include "security_context.h"
#include "writer.h"

/* `token` is the whole GSS-framed krb5 token. On NG_OK the context is complete (krb, names,
 * ret_flags filled) and the framed AP-REP, if any, was written to `out`. */
ng_status ng_krb5_accept(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                         struct ng_writer *out);

#endif
