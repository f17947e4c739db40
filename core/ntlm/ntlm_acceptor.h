/* The NTLM mechanism, accepting side (MS-NLMP §3.2): NEGOTIATE in, CHALLENGE out
 * (NG_CONTINUE), then AUTHENTICATE in (NG_OK). NTLMv2 only, verified against the credentials'
 * account database (user_database.h). Secure defaults: LM, NTLMv1 and anonymous are refused
 * (NG_ERR_LOGON_DENIED, counted), a MIC the client's AV pairs promise must be there and
 * verify, channel bindings must match when both sides have them, the client's time stamp must
 * be within the credentials' clock skew, and with an acceptor principal the client's
 * MsvAvTargetName must name it; without one, the challenge stays in the process's set of
 * outstanding challenges (ntlm_issued_challenges.h) until the AUTHENTICATE is processed or the
 * context is freed, so that our own initiator refuses to answer it (reflection). */
#ifndef NEGRING_CORE_NTLM_ACCEPTOR_H
#define NEGRING_CORE_NTLM_ACCEPTOR_H

#include "security_context.h"
#include "writer.h"

ng_status ng_ntlm_accept(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                         struct ng_writer *out);

/* Refusals since the process started (monotonic, for monitoring). Thread-safe. */
struct ng_ntlm_refusals {
    unsigned long lm;
    unsigned long ntlm_v1;
    unsigned long anonymous;
};
void ng_ntlm_refusal_counts(struct ng_ntlm_refusals *out);

#endif
