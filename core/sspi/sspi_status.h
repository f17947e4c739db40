/* The SSPI edge of the one internal status type: every ng_status becomes the SECURITY_STATUS a
 * Windows caller expects (winerror.h values). Thread-safe, pure. */
#ifndef NEGRING_CORE_SSPI_STATUS_H
#define NEGRING_CORE_SSPI_STATUS_H

#include <negring/sspi.h>

#include "status.h"

SECURITY_STATUS ng_sec_status(ng_status s);

/* The NEGRING_REASON_* of a failed leg (SECBUFFER_NEGRING_FAILURE); NEGRING_REASON_NONE for
 * NG_OK and NG_CONTINUE. */
ULONG ng_failure_reason(ng_status s);

#endif
