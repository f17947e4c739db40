/* AcceptSecurityContext, DeleteSecurityContext, CompleteAuthToken: the SSPI edge of the
 * accepting side. Maps internal status to SECURITY_STATUS and enforces the calling rules of
 * the AcceptSecurityContext (Negotiate) reference page. */
#include <negring/sspi.h>

#include "failure_info.h"
#include "negotiate_acceptor.h"
#include "security_context.h"
#include "sspi_buffers.h"
#include "sspi_status.h"
#include "timestamp.h"

/* Flags that say nothing about security and may be looked at before the final return. */
#define NON_SECURITY_RET_FLAGS (ASC_RET_ALLOCATED_MEMORY)

static ng_status check_data_rep(ULONG rep)
{
    return rep == SECURITY_NATIVE_DREP || rep == SECURITY_NETWORK_DREP ? NG_OK
                                                                       : NG_ERR_INVALID_PARAM;
}

static ng_status new_acceptor_context(const CredHandle *cred, ULONG req, struct ng_context **out)
{
    struct ng_credentials *creds = NULL;
    if (cred == NULL)
        return NG_ERR_INVALID_HANDLE;
    NG_GUARD(ng_credentials_from_handle(cred, &creds));
    if (!(creds->use & SECPKG_CRED_INBOUND)) {
        ng_credentials_unref(creds);
        return NG_ERR_WRONG_CRED_HANDLE;
    }
    NG_GUARD(ng_context_new(NG_ROLE_ACCEPTOR, creds->package, creds, out)); /* takes `creds` */
    (*out)->req_flags = req;
    return NG_OK;
}

static void report_accept(const struct ng_context *ctx, ng_status status, bool allocated,
                          PULONG attrs, PTimeStamp expiry)
{
    ULONG flags = status == NG_OK ? ctx->ret_flags : 0;
    if (allocated)
        flags |= ASC_RET_ALLOCATED_MEMORY;
    if (status != NG_OK)
        flags &= NON_SECURITY_RET_FLAGS;
    *attrs = flags;
    /* The page: the expiry is only meaningful, and only written, on the last call. */
    if (status == NG_OK && expiry != NULL)
        *expiry = ng_timestamp_from_unix(ctx->end_time);
}

static SECURITY_STATUS accept_new_context(PCredHandle cred, PSecBufferDesc in, ULONG req,
                                          PCtxtHandle new_ctx, PSecBufferDesc out, PULONG attrs,
                                          PTimeStamp expiry)
{
    struct ng_context *ctx = NULL;
    bool allocated = false;
    if (new_ctx == NULL)
        return SEC_E_INVALID_PARAMETER;
    NEGRING_FAILURE_INFO *failure = ng_failure_info_begin(out);
    ng_status status = new_acceptor_context(cred, req, &ctx);
    if (status == NG_OK || status == NG_CONTINUE)
        status = ng_run_leg(ctx, ng_negotiate_accept, in, out, (req & ASC_REQ_ALLOCATE_MEMORY) != 0,
                            &allocated);
    ng_failure_info_fill(failure, ctx, status);
    if (ctx == NULL)
        return ng_sec_status(status);
    report_accept(ctx, status, allocated, attrs, expiry);
    status = ng_context_finish_first(ctx, status, new_ctx);
    ng_failure_info_fill(failure, NULL, status); /* publishing can fail too (no table room) */
    return ng_sec_status(status);
}

static SECURITY_STATUS accept_next_leg(PCtxtHandle handle, PSecBufferDesc in, ULONG req,
                                       PCtxtHandle new_ctx, PSecBufferDesc out, PULONG attrs,
                                       PTimeStamp expiry)
{
    struct ng_context *ctx = NULL;
    bool allocated = false;
    NEGRING_FAILURE_INFO *failure = ng_failure_info_begin(out);
    ng_status status = ng_context_begin_leg(handle, NG_ROLE_ACCEPTOR, &ctx);
    ng_failure_info_fill(failure, NULL, status);
    if (status != NG_OK)
        return ng_sec_status(status);
    ctx->req_flags =
        (ctx->req_flags & ~(ULONG)ASC_REQ_ALLOCATE_MEMORY) | (req & ASC_REQ_ALLOCATE_MEMORY);
    status = ng_run_leg(ctx, ng_negotiate_accept, in, out,
                        (ctx->req_flags & ASC_REQ_ALLOCATE_MEMORY) != 0, &allocated);
    report_accept(ctx, status, allocated, attrs, expiry);
    ng_failure_info_fill(failure, ctx, status);
    ng_context_end_leg(handle, ctx, new_ctx);
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                PSecBufferDesc pInput, ULONG fContextReq,
                                                ULONG TargetDataRep, PCtxtHandle phNewContext,
                                                PSecBufferDesc pOutput, PULONG pfContextAttr,
                                                PTimeStamp ptsTimeStamp)
{
    if (pfContextAttr == NULL || check_data_rep(TargetDataRep) != NG_OK)
        return SEC_E_INVALID_PARAMETER;
    *pfContextAttr = 0;
    if (phContext == NULL)
        return accept_new_context(phCredential, pInput, fContextReq, phNewContext, pOutput,
                                  pfContextAttr, ptsTimeStamp);
    return accept_next_leg(phContext, pInput, fContextReq, phNewContext, pOutput, pfContextAttr,
                           ptsTimeStamp);
}

SECURITY_STATUS SEC_ENTRY DeleteSecurityContext(PCtxtHandle phContext)
{
    return ng_sec_status(ng_context_delete(phContext));
}

/* Negotiate (Kerberos) never asks for CompleteAuthToken; on a valid context it is a no-op,
 * as on Windows. */
SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken)
{
    struct ng_context *ctx = NULL;
    ng_status status = ng_context_acquire(phContext, &ctx);
    if (status == NG_OK)
        ng_context_release(phContext);
    return ng_sec_status(status);
}
