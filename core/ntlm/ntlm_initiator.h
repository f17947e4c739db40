/* The NTLM mechanism, initiating side (MS-NLMP §3.1): NEGOTIATE out (NG_CONTINUE), then
 * CHALLENGE in and AUTHENTICATE out (NG_OK). NTLMv2 with extended session security, key
 * exchange, a MIC, MsvAvTargetName (the SPN asked for) and channel bindings. The identity comes
 * from the credentials (SEC_WINNT_AUTH_IDENTITY). Used by tests, the bench and embedders. */
#ifndef NEGRING_CORE_NTLM_INITIATOR_H
#define NEGRING_CORE_NTLM_INITIATOR_H

#include "security_context.h"
#include "writer.h"

ng_status ng_ntlm_initiate(struct ng_context *ctx, struct ng_slice input, struct ng_slice bindings,
                           struct ng_writer *out);

#endif
