/* The Kerberos mechanism, initiating side (RFC 4121 §4.1): a service ticket from the
 * credentials' ccache, an AP-REQ with the 0x8003 checksum, and the AP-REP check when mutual
 * authentication was asked for. Used by tests, the bench and embedders. */
#ifndef NEGRING_CORE_KRB5_INITIATOR_H
#define NEGRING_CORE_KRB5_INITIATOR_H

#include "security_context.h"
#include "writer.h"

/* First leg (the context has no Kerberos state yet): writes the GSS-framed AP-REQ; NG_OK when
 * the exchange is complete already (no mutual authentication), NG_CONTINUE when an AP-REP is
 * awaited. Second leg: checks the GSS-framed AP-REP in `token` (NG_ERR_NO_CONTEXT when none is
 * awaited). */
ng_status ng_krb5_initiate(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                           struct ng_writer *out);

#endif
