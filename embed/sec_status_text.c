/* The SECURITY_STATUS table of the embeddings (see sec_status_text.h). */
#include "sec_status_text.h"

#include <stddef.h>

struct status_row {
    SECURITY_STATUS status;
    const char *reason;
    enum ne_failure failure;
};

static const struct status_row rows[] = {
    {SEC_E_INVALID_TOKEN, "malformed token", NE_MALFORMED},
    {SEC_E_LOGON_DENIED, "logon denied", NE_REFUSED},
    {SEC_E_NO_AUTHENTICATING_AUTHORITY, "no key for the ticket's realm", NE_REFUSED},
    {SEC_E_WRONG_PRINCIPAL, "ticket for another service", NE_REFUSED},
    {SEC_E_TIME_SKEW, "clock skew too great", NE_REFUSED},
    {SEC_E_CONTEXT_EXPIRED, "ticket expired", NE_REFUSED},
    {SEC_E_BAD_BINDINGS, "channel bindings differ", NE_REFUSED},
    {SEC_E_MESSAGE_ALTERED, "mechListMIC did not verify", NE_REFUSED},
    {SEC_E_INVALID_HANDLE, "stale context", NE_REFUSED},
    {SEC_E_UNKNOWN_CREDENTIALS, "unknown credentials", NE_REFUSED},
    {SEC_E_INSUFFICIENT_MEMORY, "out of memory or table full", NE_OVERLOADED},
    {SEC_E_SECPKG_NOT_FOUND, "package not available", NE_SERVER_ERROR},
    {SEC_E_INTERNAL_ERROR, "internal error", NE_SERVER_ERROR},
    {SEC_E_BUFFER_TOO_SMALL, "answer larger than the token limit", NE_SERVER_ERROR},
    {SEC_E_NO_CREDENTIALS, "no usable keys", NE_SERVER_ERROR},
    {SEC_E_INVALID_PARAMETER, "invalid parameter", NE_SERVER_ERROR},
};

/* Any other status refuses the client's credentials. */
static const struct status_row other = {0, "refused", NE_REFUSED};

static const struct status_row *row_of(SECURITY_STATUS s)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].status == s)
            return &rows[i];
    return &other;
}

const char *ne_status_reason(SECURITY_STATUS s)
{
    return row_of(s)->reason;
}

enum ne_failure ne_status_failure(SECURITY_STATUS s)
{
    return row_of(s)->failure;
}
