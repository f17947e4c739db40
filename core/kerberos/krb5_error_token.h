/* ASC_REQ_EXTENDED_ERROR for Kerberos: when an accept fails, the client is told why with a
 * KRB-ERROR (RFC 4120 §5.9.1) framed as an RFC 4121 §4.1 error token (TOK_ID 03 00), which the
 * SPNEGO layer sends inside its reject (RFC 4178 §4.2.2 responseToken), or alone to a raw
 * Kerberos peer (as MIT's gss_accept_sec_context answers one). */
#ifndef NEGRING_CORE_KRB5_ERROR_TOKEN_H
#define NEGRING_CORE_KRB5_ERROR_TOKEN_H

#include "security_context.h"
#include "writer.h"

/* Writes the error token for `failure` of the accept of `token` (the failed leg's Kerberos
 * token): the error code RFC 4120 §7.5.9 has for it, the server's time (so a client with a
 * skewed clock can correct it) and the ticket's service as sname. Writes nothing (NG_OK) when
 * the AP-REQ cannot be found: the reject then goes without a token. */
ng_status ng_krb5_error_token(const struct ng_context *ctx, struct ng_slice token,
                              ng_status failure, struct ng_writer *out);

#endif
