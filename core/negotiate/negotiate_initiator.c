#include "negotiate_initiator.h"

#include "alloc.h"
#include "krb5_initiator.h"
#include "krb5_mic.h"
#include "ntlm_initiator.h"
#include "ntlm_state.h"
#include "spnego.h"

static const enum ng_mech krb5_mechs[] = {NG_MECH_KRB5};
static const enum ng_mech ntlm_mechs[] = {NG_MECH_NTLM};

/* NTLM when the package is NTLM, or for Negotiate when the credentials hold no Kerberos
 * tickets but an NTLM identity (no KDC for that realm: Windows' Negotiate falls back too). */
static bool use_ntlm(const struct ng_context *ctx)
{
    return ctx->package == NG_PKG_NTLM ||
           (ctx->package == NG_PKG_NEGOTIATE && ctx->creds->ccache_name == NULL &&
            ctx->creds->ntlm_identity != NULL);
}

static const enum ng_mech *our_mechs(const struct ng_context *ctx)
{
    return ctx->mech == NG_MECH_NTLM ? ntlm_mechs : krb5_mechs;
}

static ng_status remember_mech_list(struct ng_context *ctx)
{
    struct ng_writer w = ng_writer_growable();
    ng_status status = ng_spnego_write_mech_list(&w, our_mechs(ctx), 1);
    if (status == NG_OK)
        ctx->spnego.mech_types = ng_writer_take(&w, &ctx->spnego.mech_types_len);
    ng_writer_free(&w);
    return status;
}

/* The optimistic token. Without a service ticket for the name (no such SPN, or the KDC is
 * gone), Windows' Negotiate falls back to NTLM when it holds an identity; so do we. */
static ng_status first_mech_token(struct ng_context *ctx, struct ng_slice bindings,
                                  struct ng_writer *token)
{
    if (ctx->mech == NG_MECH_NTLM)
        return ng_ntlm_initiate(ctx, NG_SLICE_EMPTY, bindings, token);
    ng_status status = ng_krb5_initiate(ctx, bindings, token);
    bool no_ticket = status == NG_ERR_TARGET_UNKNOWN || status == NG_ERR_NO_AUTHORITY;
    if (!no_ticket || ctx->creds->ntlm_identity == NULL)
        return status;
    token->len = 0;
    token->error = NG_OK;
    ctx->mech = NG_MECH_NTLM;
    return ng_ntlm_initiate(ctx, NG_SLICE_EMPTY, bindings, token);
}

static ng_status initiate_first(struct ng_context *ctx, struct ng_slice bindings,
                                struct ng_writer *out)
{
    ctx->mech = use_ntlm(ctx) ? NG_MECH_NTLM : NG_MECH_KRB5;
    if (ctx->package == NG_PKG_KERBEROS)
        return ng_krb5_initiate(ctx, bindings, out);
    if (ctx->package == NG_PKG_NTLM)
        return ng_ntlm_initiate(ctx, NG_SLICE_EMPTY, bindings, out);
    ctx->spnego.wrapped = true;
    struct ng_writer mech_token = ng_writer_growable();
    ng_status status = first_mech_token(ctx, bindings, &mech_token);
    if (status == NG_OK || status == NG_CONTINUE) {
        ng_status listed = remember_mech_list(ctx); /* of the mechanism finally used */
        if (listed != NG_OK)
            status = listed;
    }
    if (status == NG_OK || status == NG_CONTINUE) {
        ng_status written = ng_spnego_write_init(out, our_mechs(ctx), 1,
                                                 ng_writer_slice(&mech_token), NG_SLICE_EMPTY);
        if (written != NG_OK)
            status = written;
    }
    ng_writer_free(&mech_token);
    if (status != NG_OK && status != NG_CONTINUE)
        return status;
    /* With SPNEGO the acceptor always answers (RFC 4178 §4.2.2), even without mutual auth. */
    ctx->state = NG_CTX_IN_PROGRESS;
    return NG_CONTINUE;
}

static ng_status check_supported_mech(const struct ng_context *ctx,
                                      const struct ng_spnego_resp *resp)
{
    if (resp->supported_mech == NG_MECH_NONE)
        return NG_OK;
    if (ctx->mech == NG_MECH_NTLM)
        return resp->supported_mech == NG_MECH_NTLM ? NG_OK : NG_ERR_UNSUPPORTED_MECH;
    return resp->supported_mech == NG_MECH_KRB5 || resp->supported_mech == NG_MECH_KRB5_MS
               ? NG_OK
               : NG_ERR_UNSUPPORTED_MECH;
}

/* SPNEGO around NTLM: the CHALLENGE arrives in an accept-incomplete NegTokenResp and is answered
 * with the AUTHENTICATE plus our mechListMIC (MS-SPNG §3.3.5.1: the NTLM MIC makes it due);
 * then the acceptor's accept-completed carries its MIC, which must verify. */
static ng_status ntlm_spnego_reply(struct ng_context *ctx, const struct ng_spnego_resp *resp,
                                   struct ng_slice bindings, struct ng_writer *out)
{
    struct ng_slice types = ng_slice_of(ctx->spnego.mech_types, ctx->spnego.mech_types_len);
    if (ctx->ntlm->established) { /* the acceptor's final answer */
        if (resp->neg_state != NG_NEG_STATE_ACCEPT_COMPLETED || !resp->has_mech_list_mic)
            return NG_ERR_INVALID_TOKEN;
        ng_status status = ng_ntlm_verify_mic(ctx->ntlm, types, resp->mech_list_mic);
        NG_GUARD(status == NG_ERR_MESSAGE_ALTERED ? NG_ERR_DOWNGRADE : status);
        ctx->spnego.peer_mic_verified = true;
        ctx->state = NG_CTX_COMPLETE;
        return NG_OK;
    }
    if (!resp->has_response_token)
        return NG_ERR_INVALID_TOKEN;
    struct ng_writer auth = ng_writer_growable(), mic = ng_writer_growable();
    ng_status status = ng_ntlm_initiate(ctx, resp->response_token, bindings, &auth);
    if (status == NG_OK)
        status = ng_ntlm_get_mic(ctx->ntlm, types, &mic);
    if (status == NG_OK)
        status = ng_spnego_write_resp(out, NG_NEG_STATE_ABSENT, NG_MECH_NONE,
                                      ng_writer_slice(&auth), ng_writer_slice(&mic));
    ng_writer_free(&auth);
    ng_writer_free(&mic);
    ctx->spnego.our_mic_sent = status == NG_OK;
    ctx->state = NG_CTX_IN_PROGRESS; /* the acceptor's verdict and MIC are still to come */
    return status == NG_OK ? NG_CONTINUE : status;
}

/* RFC 4178 §5: verify the acceptor's MIC if sent; answer with ours when it asked for one. */
static ng_status finish_mic(struct ng_context *ctx, const struct ng_spnego_resp *resp,
                            struct ng_writer *out)
{
    struct ng_slice types = ng_slice_of(ctx->spnego.mech_types, ctx->spnego.mech_types_len);
    if (resp->has_mech_list_mic) {
        ng_status status = ng_krb5_verify_mic(&ctx->krb, true, types, resp->mech_list_mic);
        NG_GUARD(status == NG_ERR_MESSAGE_ALTERED ? NG_ERR_DOWNGRADE : status);
        ctx->spnego.peer_mic_verified = true;
    }
    bool acceptor_waits = resp->neg_state == NG_NEG_STATE_ACCEPT_INCOMPLETE ||
                          resp->neg_state == NG_NEG_STATE_REQUEST_MIC;
    if (!acceptor_waits)
        return NG_OK;
    struct ng_writer mic = ng_writer_growable();
    ng_status status = ng_krb5_get_mic(&ctx->krb, false, types, &mic);
    if (status == NG_OK)
        status = ng_spnego_write_resp(out, NG_NEG_STATE_ABSENT, NG_MECH_NONE, NG_SLICE_EMPTY,
                                      ng_writer_slice(&mic));
    ng_writer_free(&mic);
    ctx->spnego.our_mic_sent = status == NG_OK;
    return status;
}

static ng_status initiate_spnego_reply(struct ng_context *ctx, struct ng_slice input,
                                       struct ng_slice bindings, struct ng_writer *out)
{
    struct ng_spnego_token tok;
    NG_GUARD(ng_spnego_parse(input, &tok));
    if (tok.kind != NG_SPNEGO_RESP)
        return NG_ERR_INVALID_TOKEN;
    const struct ng_spnego_resp *resp = &tok.resp;
    if (resp->neg_state == NG_NEG_STATE_REJECT)
        return NG_ERR_LOGON_DENIED;
    NG_GUARD(check_supported_mech(ctx, resp));
    if (ctx->mech == NG_MECH_NTLM)
        return ntlm_spnego_reply(ctx, resp, bindings, out);
    bool ap_rep_due =
        (ctx->req_flags & ISC_REQ_MUTUAL_AUTH) && !(ctx->ret_flags & ISC_RET_MUTUAL_AUTH);
    if (ap_rep_due) {
        if (!resp->has_response_token)
            return NG_ERR_INVALID_TOKEN;
        NG_GUARD(ng_krb5_initiate_finish(ctx, resp->response_token));
    }
    NG_GUARD(finish_mic(ctx, resp, out));
    ctx->state = NG_CTX_COMPLETE;
    return NG_OK;
}

static ng_status initiate_leg(struct ng_context *ctx, struct ng_slice input,
                              struct ng_slice bindings, struct ng_writer *out)
{
    if (ctx->mech == NG_MECH_NONE)
        return initiate_first(ctx, bindings, out);
    /* A call on a finished context is refused before its input is looked at, so it cannot turn
     * an established context into a failed one. */
    if (ctx->state != NG_CTX_IN_PROGRESS)
        return NG_ERR_NO_CONTEXT;
    if (input.len == 0)
        return NG_ERR_INVALID_TOKEN;
    if (!ctx->spnego.wrapped && ctx->mech == NG_MECH_NTLM)
        return ng_ntlm_initiate(ctx, input, bindings, out);
    if (!ctx->spnego.wrapped)
        return ng_krb5_initiate_finish(ctx, input);
    return initiate_spnego_reply(ctx, input, bindings, out);
}

ng_status ng_negotiate_initiate(struct ng_context *ctx, struct ng_slice input,
                                struct ng_slice bindings, struct ng_writer *out)
{
    ng_status status = initiate_leg(ctx, input, bindings, out);
    if (status != NG_OK && status != NG_CONTINUE && status != NG_ERR_BUFFER_TOO_SMALL &&
        status != NG_ERR_NO_CONTEXT)
        ctx->state = NG_CTX_FAILED;
    return status;
}
