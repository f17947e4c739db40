/* RFC 4121 §4.2.6.1 MIC tokens over a Kerberos context key: used for the SPNEGO mechListMIC
 * (RFC 4178 §5) and for MakeSignature/VerifySignature. CFX enctypes only (AES, Camellia);
 * RC4 and DES contexts get NG_ERR_UNSUPPORTED. */
#ifndef NEGRING_CORE_KRB5_MIC_H
#define NEGRING_CORE_KRB5_MIC_H

#include <stdbool.h>

#include "security_context.h"
#include "writer.h"

/* Writes a MIC token for `message` with the next send sequence number (then advanced).
 * `by_acceptor`: we are the acceptor (sets SentByAcceptor, picks the acceptor-sign usage). */
ng_status ng_krb5_get_mic(struct ng_krb5_session *s, bool by_acceptor, struct ng_slice message,
                          struct ng_writer *out);

/* Verifies a MIC token the peer made (`from_acceptor`: the peer is the acceptor). The sequence
 * number must be the next one expected (then advanced). NG_ERR_MESSAGE_ALTERED when the
 * checksum does not match, NG_ERR_INVALID_TOKEN when malformed, NG_ERR_OUT_OF_SEQUENCE. */
ng_status ng_krb5_verify_mic(struct ng_krb5_session *s, bool from_acceptor, struct ng_slice message,
                             struct ng_slice token);

#endif
