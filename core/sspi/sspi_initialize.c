/* InitializeSecurityContextA/W: the SSPI edge of the initiating side. */
#include <negring/sspi.h>

#include "alloc.h"
#include "mechanisms.h"
#include "negotiate_initiator.h"
#include "security_context.h"
#include "sspi_buffers.h"
#include "sspi_status.h"
#include "timestamp.h"
#include "utf16.h"

static ng_status new_initiator_context(const CredHandle *cred, const char *target, ULONG req,
                                       struct ng_context **out)
{
    struct ng_credentials *creds = NULL;
    if (cred == NULL)
        return NG_ERR_NO_CREDENTIALS;
    NG_GUARD(ng_credentials_from_handle(cred, &creds));
    ng_status status = NG_OK;
    if (!(creds->use & SECPKG_CRED_OUTBOUND))
        status = NG_ERR_WRONG_CRED_HANDLE;
    /* A mechanism's own package may need a service name (mechanism.h); Negotiate picks a
     * mechanism that does without one (negotiate_initiator.c). */
    const struct ng_mech_ops *own = ng_mechanism_for_package(creds->package);
    bool no_target = target == NULL || target[0] == '\0';
    if (status == NG_OK && no_target && own != NULL && own->needs_target)
        status = NG_ERR_TARGET_UNKNOWN;
    if (status != NG_OK) {
        ng_credentials_unref(creds);
        return status;
    }
    NG_GUARD(ng_context_new(NG_ROLE_INITIATOR, creds->package, creds, out)); /* takes `creds` */
    (*out)->req_flags = req;
    (*out)->target_name = ng_strdup(target ? target : "");
    return (*out)->target_name ? NG_OK : NG_ERR_NOMEM;
}

static void report_initialize(const struct ng_context *ctx, ng_status status, bool allocated,
                              PULONG attrs, PTimeStamp expiry)
{
    ULONG flags = status == NG_OK ? ctx->ret_flags : 0;
    if (allocated)
        flags |= ISC_RET_ALLOCATED_MEMORY;
    if (attrs != NULL)
        *attrs = flags;
    if (status == NG_OK && expiry != NULL)
        *expiry = ng_timestamp_from_unix(ctx->end_time);
}

static SECURITY_STATUS initialize_first(PCredHandle cred, const char *target, ULONG req,
                                        PSecBufferDesc in, PCtxtHandle new_ctx, PSecBufferDesc out,
                                        PULONG attrs, PTimeStamp expiry)
{
    struct ng_context *ctx = NULL;
    bool allocated = false;
    if (new_ctx == NULL)
        return SEC_E_INVALID_PARAMETER;
    ng_status status = new_initiator_context(cred, target, req, &ctx);
    if (status == NG_OK)
        status = ng_run_leg(ctx, ng_negotiate_initiate, in, out,
                            (ctx->req_flags & ISC_REQ_ALLOCATE_MEMORY) != 0, &allocated);
    if (ctx == NULL)
        return ng_sec_status(status);
    report_initialize(ctx, status, allocated, attrs, expiry);
    return ng_sec_status(ng_context_finish_first(ctx, status, new_ctx));
}

static SECURITY_STATUS initialize_next(PCtxtHandle handle, ULONG req, PSecBufferDesc in,
                                       PCtxtHandle new_ctx, PSecBufferDesc out, PULONG attrs,
                                       PTimeStamp expiry)
{
    struct ng_context *ctx = NULL;
    bool allocated = false;
    ng_status status = ng_context_begin_leg(handle, NG_ROLE_INITIATOR, &ctx);
    if (status != NG_OK)
        return ng_sec_status(status);
    /* Whether this call's output is allocated is this call's choice: the flag goes with the
     * buffer descriptor passed alongside it (as AcceptSecurityContext does). */
    ctx->req_flags =
        (ctx->req_flags & ~(ULONG)ISC_REQ_ALLOCATE_MEMORY) | (req & ISC_REQ_ALLOCATE_MEMORY);
    status = ng_run_leg(ctx, ng_negotiate_initiate, in, out,
                        (ctx->req_flags & ISC_REQ_ALLOCATE_MEMORY) != 0, &allocated);
    report_initialize(ctx, status, allocated, attrs, expiry);
    ng_context_end_leg(handle, ctx, new_ctx);
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY InitializeSecurityContextA(
    PCredHandle phCredential, PCtxtHandle phContext, SEC_CHAR *pszTargetName, ULONG fContextReq,
    ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, PULONG pfContextAttr, PTimeStamp ptsExpiry)
{
    if (TargetDataRep != SECURITY_NATIVE_DREP && TargetDataRep != SECURITY_NETWORK_DREP)
        return SEC_E_INVALID_PARAMETER;
    if (pfContextAttr != NULL)
        *pfContextAttr = 0;
    if (phContext == NULL)
        return initialize_first(phCredential, pszTargetName, fContextReq, pInput, phNewContext,
                                pOutput, pfContextAttr, ptsExpiry);
    return initialize_next(phContext, fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
                           ptsExpiry);
}

SECURITY_STATUS SEC_ENTRY InitializeSecurityContextW(
    PCredHandle phCredential, PCtxtHandle phContext, SEC_WCHAR *pszTargetName, ULONG fContextReq,
    ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, PULONG pfContextAttr, PTimeStamp ptsExpiry)
{
    char *target = NULL;
    size_t ignored;
    if (pszTargetName != NULL) {
        ng_status status = ng_utf16z_to_utf8(pszTargetName, &target, &ignored);
        if (status != NG_OK)
            return ng_sec_status(status);
    }
    SECURITY_STATUS result = InitializeSecurityContextA(
        phCredential, phContext, target, fContextReq, Reserved1, TargetDataRep, pInput, Reserved2,
        phNewContext, pOutput, pfContextAttr, ptsExpiry);
    ng_free(target);
    return result;
}
