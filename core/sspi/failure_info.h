/* SECBUFFER_NEGRING_FAILURE: the reason an AcceptSecurityContext leg failed, handed to the
 * server in its own buffer (include/negring/sspi.h). The status itself stays the one
 * ng_status; this is the second thing the edge makes of it, beside the SECURITY_STATUS. */
#ifndef NEGRING_CORE_FAILURE_INFO_H
#define NEGRING_CORE_FAILURE_INFO_H

#include <negring/sspi.h>

#include "status.h"

struct ng_context;

/* The caller's NEGRING_FAILURE_INFO in `out`, cleared; NULL when there is none. */
NEGRING_FAILURE_INFO *ng_failure_info_begin(SecBufferDesc *out);
/* Fills `info` (may be NULL) for a leg that ended with `status`; `ctx` (may be NULL: no
 * context was made) gives the mechanism and what it noted. Nothing for NG_OK / NG_CONTINUE. */
void ng_failure_info_fill(NEGRING_FAILURE_INFO *info, const struct ng_context *ctx,
                          ng_status status);

#endif
