/* The SECURITY_STATUS table (see sec_status.h). */
#include "sec_status.h"

#include <stddef.h>

struct status_row {
    SECURITY_STATUS status;
    const char *reason;
    int http; /* 400 is for plain HTTP listeners only (rs_status_http) */
    enum rs_result_label result;
};

static const struct status_row rows[] = {
    {SEC_E_OK, "ok", 200, RS_RESULT_OK},
    {SEC_E_INVALID_TOKEN, "malformed token", 400, RS_RESULT_INVALID},
    {SEC_E_LOGON_DENIED, "logon denied", 401, RS_RESULT_DENIED},
    {SEC_E_NO_AUTHENTICATING_AUTHORITY, "no key for the ticket's realm", 401, RS_RESULT_DENIED},
    {SEC_E_WRONG_PRINCIPAL, "ticket for another service", 401, RS_RESULT_DENIED},
    {SEC_E_TIME_SKEW, "clock skew too great", 401, RS_RESULT_DENIED},
    {SEC_E_CONTEXT_EXPIRED, "ticket expired", 401, RS_RESULT_DENIED},
    {SEC_E_BAD_BINDINGS, "channel bindings differ", 401, RS_RESULT_DENIED},
    {SEC_E_MESSAGE_ALTERED, "mechListMIC did not verify", 401, RS_RESULT_DENIED},
    {SEC_E_INSUFFICIENT_MEMORY, "out of memory or table full", 503, RS_RESULT_ERROR},
    {SEC_E_INVALID_HANDLE, "stale context", 401, RS_RESULT_DENIED},
    {SEC_E_SECPKG_NOT_FOUND, "package not available", 500, RS_RESULT_ERROR},
    {SEC_E_INTERNAL_ERROR, "internal error", 500, RS_RESULT_ERROR},
    {SEC_E_BUFFER_TOO_SMALL, "answer larger than the token limit", 500, RS_RESULT_ERROR},
    {SEC_E_NO_CREDENTIALS, "no usable keys (keytab missing, empty or unreadable?)", 401,
     RS_RESULT_DENIED},
    {SEC_E_UNKNOWN_CREDENTIALS, "unknown credentials", 401, RS_RESULT_DENIED},
    {SEC_E_INVALID_PARAMETER, "invalid parameter (a malformed NTLM account file?)", 401,
     RS_RESULT_DENIED},
};

/* Any other status: a refusal of the client's credentials. */
static const struct status_row other = {0, "refused", 401, RS_RESULT_DENIED};

static const struct status_row *row_of(SECURITY_STATUS s)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].status == s)
            return &rows[i];
    return &other;
}

const char *rs_status_reason(SECURITY_STATUS s)
{
    return row_of(s)->reason;
}

int rs_status_http(SECURITY_STATUS s, enum rs_mode mode)
{
    int status = row_of(s)->http;
    return status == 400 && mode != RS_MODE_HTTP ? 401 : status;
}

enum rs_result_label rs_status_result(SECURITY_STATUS s)
{
    return row_of(s)->result;
}
