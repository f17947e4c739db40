/* The initiating side of Negotiate (SPNEGO around Kerberos) and of the raw Kerberos package:
 * what tests, the bench and embedders use to talk to any Negotiate acceptor. */
#ifndef NEGRING_CORE_NEGOTIATE_INITIATOR_H
#define NEGRING_CORE_NEGOTIATE_INITIATOR_H

#include "security_context.h"
#include "writer.h"

ng_status ng_negotiate_initiate(struct ng_context *ctx, struct ng_slice input,
                                struct ng_slice bindings, struct ng_writer *out);

#endif
