/* The context services that are not implemented yet: message protection (MakeSignature,
 * VerifySignature, EncryptMessage, DecryptMessage), export/import, impersonation, tokens and
 * control tokens. They arrive with the context-services issue. Until then each one checks its
 * context handle like the real function will (a bad handle is SEC_E_INVALID_HANDLE) and
 * otherwise answers SEC_E_UNSUPPORTED_FUNCTION. Thread-safe. */
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

SECURITY_STATUS SEC_ENTRY MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                        ULONG MessageSeqNo)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                          ULONG MessageSeqNo, PULONG pfQOP)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo, PULONG pfQOP)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags,
                                                PSecBuffer pPackedContext, void **pToken)
{
    return unsupported_for(phContext);
}

/* Import creates a context: there is no handle to check yet. */
SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(LPSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(LPWSTR pszPackage, PSecBuffer pPackedContext,
                                                 void *Token, PCtxtHandle phContext)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token)
{
    return unsupported_for(phContext);
}

SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput)
{
    return unsupported_for(phContext);
}
