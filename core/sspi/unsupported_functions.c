/* ApplyControlToken: control tokens are Schannel's (alerts, shutdown); Kerberos and Negotiate
 * have none, and Windows' Negotiate answers SEC_E_UNSUPPORTED_FUNCTION. The handle is checked
 * first (a bad handle is SEC_E_INVALID_HANDLE), as every context function does. Thread-safe. */
#include "security_context.h"

/* SEC_E_INVALID_HANDLE for a bad handle, else SEC_E_UNSUPPORTED_FUNCTION. */
static SECURITY_STATUS unsupported_for(PCtxtHandle handle)
{
    struct ng_context *ctx;

    if (handle == NULL || ng_context_acquire(handle, &ctx) != NG_OK)
        return SEC_E_INVALID_HANDLE;
    ng_context_release(handle);
    return SEC_E_UNSUPPORTED_FUNCTION;
}

SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput)
{
    return unsupported_for(phContext);
}
