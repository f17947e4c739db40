/* The SSPI edge of the one internal status type: every ng_status becomes the SECURITY_STATUS a
 * Windows caller expects (winerror.h values). Thread-safe, pure. */
#ifndef NEGRING_CORE_SSPI_STATUS_H
#define NEGRING_CORE_SSPI_STATUS_H

#include <negring/sspi.h>

#include "status.h"

SECURITY_STATUS ng_sec_status(ng_status s);

#endif
