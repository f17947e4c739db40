#include "http_status.h"

int rs_http_failure_status(SECURITY_STATUS s, enum rs_mode mode)
{
    switch (s) {
    case SEC_E_INVALID_TOKEN:
        return mode == RS_MODE_HTTP ? 400 : 401;
    case SEC_E_INSUFFICIENT_MEMORY:
        return 503;
    case SEC_E_INTERNAL_ERROR:
    case SEC_E_SECPKG_NOT_FOUND:
    case SEC_E_BUFFER_TOO_SMALL:
        return 500;
    default:
        return 401;
    }
}

enum rs_result_label rs_result_of(SECURITY_STATUS s)
{
    if (s == SEC_E_OK)
        return RS_RESULT_OK;
    if (s == SEC_E_INVALID_TOKEN)
        return RS_RESULT_INVALID;
    return rs_http_failure_status(s, RS_MODE_HTTP) >= 500 ? RS_RESULT_ERROR : RS_RESULT_DENIED;
}
