/* The accepting side of Negotiate: SPNEGO (RFC 4178, MS-SPNG) around the mechanisms, or a raw
 * mechanism token as Windows' Negotiate also accepts. One call per AcceptSecurityContext leg. */
#ifndef NEGRING_CORE_NEGOTIATE_ACCEPTOR_H
#define NEGRING_CORE_NEGOTIATE_ACCEPTOR_H

#include "security_context.h"
#include "writer.h"

/* NG_OK: established. NG_CONTINUE: `out` holds a token for the client and another leg is
 * due. Errors leave ctx->state NG_CTX_FAILED; with ASC_REQ_EXTENDED_ERROR a SPNEGO reject
 * token is written to `out` for a SPNEGO peer. */
ng_status ng_negotiate_accept(struct ng_context *ctx, struct ng_slice input,
                              struct ng_slice bindings, struct ng_writer *out);

#endif
