#include "negotiate_acceptor.h"

#include "alloc.h"
#include "extended_error.h"
#include "gss_framing.h"
#include "krb5_acceptor.h"
#include "krb5_mic.h"
#include "ntlm_acceptor.h"
#include "ntlm_message.h"
#include "ntlm_state.h"
#include "package_list.h"
#include "spnego.h"

static bool is_krb5(enum ng_mech mech)
{
    return mech == NG_MECH_KRB5 || mech == NG_MECH_KRB5_MS;
}

/* Kerberos when the credentials hold service keys; NTLM when they hold an account database
 * (docs/ntlm.md). Credentials with both offer both, Kerberos first, as Windows does. */
static bool mech_supported(const struct ng_context *ctx, enum ng_mech mech)
{
    if (is_krb5(mech))
        return ctx->package != NG_PKG_NTLM && atomic_load(&ctx->creds->keys) != NULL;
    if (mech == NG_MECH_NTLM)
        return ctx->package != NG_PKG_KERBEROS && atomic_load(&ctx->creds->users) != NULL;
    return false;
}

/* A mechanism the credentials' package list leaves out (package_list.h). Its tokens are a
 * logon the server's policy forbids, not malformed input: SEC_E_LOGON_DENIED, the status
 * Windows gives when its policy blocks NTLM (docs/api.md). */
static bool mech_excluded(const struct ng_context *ctx, enum ng_mech mech)
{
    unsigned bit = is_krb5(mech) ? NG_MECHSET_KERBEROS : mech == NG_MECH_NTLM ? NG_MECHSET_NTLM : 0;
    return ctx->package == NG_PKG_NEGOTIATE && (ctx->creds->mechs & bit) != bit;
}

/* The mechanism of a token sent without SPNEGO: NTLMSSP, or a Kerberos InitialContextToken. */
static enum ng_mech raw_mech(struct ng_slice input)
{
    struct ng_slice oid, inner;
    if (ng_ntlm_is_message(input))
        return NG_MECH_NTLM;
    if (ng_gss_frame_parse(input, &oid, &inner) != NG_OK || !is_krb5(ng_mech_from_oid(oid)))
        return NG_MECH_NONE;
    return ng_mech_from_oid(oid);
}

static size_t offered_mechs(const struct ng_context *ctx, enum ng_mech mechs[3])
{
    static const enum ng_mech all[] = {NG_MECH_KRB5_MS, NG_MECH_KRB5, NG_MECH_NTLM};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (mech_supported(ctx, all[i]))
            mechs[n++] = all[i];
    }
    return n;
}

/* Whether the chosen mechanism has finished (only the mechListMIC exchange may remain). */
static bool mech_finished(const struct ng_context *ctx)
{
    if (ctx->mech == NG_MECH_NTLM)
        return ctx->ntlm != NULL && ctx->ntlm->established;
    return ctx->krb.key_len != 0;
}

/* Runs the chosen mechanism on its token; its reply goes to `mech_out`. */
static ng_status run_mech(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                          struct ng_writer *mech_out)
{
    switch (ctx->mech) {
    case NG_MECH_KRB5:
    case NG_MECH_KRB5_MS: {
        ng_status status = ng_krb5_accept(ctx, token, bindings, mech_out);
        if (status == NG_OK && !(ctx->ret_flags & ASC_RET_MUTUAL_AUTH))
            ctx->krb.send_seq = ctx->krb.recv_seq; /* RFC 4121 §4.1: no AP-REP, one sequence */
        return status;
    }
    case NG_MECH_NTLM: {
        ng_status status = ng_ntlm_accept(ctx, token, bindings, mech_out);
        /* MS-SPNG §3.2.5.1: an NTLM AUTHENTICATE with a MIC obliges both mechListMICs. */
        if (status == NG_OK && ctx->ntlm->mic_sent && ctx->spnego.wrapped)
            ctx->spnego.mic_required = true;
        return status;
    }
    default:
        return NG_ERR_UNSUPPORTED_MECH;
    }
}

static struct ng_slice mech_types(const struct ng_context *ctx)
{
    return ng_slice_of(ctx->spnego.mech_types, ctx->spnego.mech_types_len);
}

/* After the mechanism completes: verify the client's mechListMIC if it sent one (it must when
 * the MIC is required), and say whether we send ours. RFC 4178 §5. */
static ng_status check_client_mic(struct ng_context *ctx, bool has_mic, struct ng_slice mic)
{
    if (!has_mic)
        return NG_OK;
    ng_status status = ctx->mech == NG_MECH_NTLM
                           ? ng_ntlm_verify_mic(ctx->ntlm, mech_types(ctx), mic)
                           : ng_krb5_verify_mic(&ctx->krb, false, mech_types(ctx), mic);
    if (status == NG_ERR_MESSAGE_ALTERED || status == NG_ERR_OUT_OF_SEQUENCE)
        return NG_ERR_DOWNGRADE;
    NG_GUARD(status);
    ctx->spnego.peer_mic_verified = true;
    ctx->spnego.mic_required = true; /* a MIC received is answered with ours */
    return NG_OK;
}

/* Writes the NegTokenResp that follows a completed mechanism step, with our MIC if due. */
static ng_status reply_after_mech(struct ng_context *ctx, struct ng_slice mech_reply,
                                  bool first_reply, struct ng_writer *out)
{
    enum ng_mech supported = first_reply ? ctx->mech : NG_MECH_NONE;
    bool complete = ctx->state == NG_CTX_COMPLETE;
    if (!complete || !ctx->spnego.mic_required) {
        enum ng_neg_state st =
            complete ? NG_NEG_STATE_ACCEPT_COMPLETED : NG_NEG_STATE_ACCEPT_INCOMPLETE;
        NG_GUARD(ng_spnego_write_resp(out, st, supported, mech_reply, NG_SLICE_EMPTY));
        return complete ? NG_OK : NG_CONTINUE;
    }
    struct ng_writer mic = ng_writer_growable();
    ng_status status = NG_OK;
    if (!ctx->spnego.our_mic_sent)
        status = ctx->mech == NG_MECH_NTLM
                     ? ng_ntlm_get_mic(ctx->ntlm, mech_types(ctx), &mic)
                     : ng_krb5_get_mic(&ctx->krb, true, mech_types(ctx), &mic);
    ctx->spnego.our_mic_sent = true;
    bool done = ctx->spnego.peer_mic_verified;
    if (status == NG_OK)
        status = ng_spnego_write_resp(
            out, done ? NG_NEG_STATE_ACCEPT_COMPLETED : NG_NEG_STATE_ACCEPT_INCOMPLETE, supported,
            mech_reply, ng_writer_slice(&mic));
    ng_writer_free(&mic);
    if (status != NG_OK)
        return status;
    if (!done)
        ctx->state = NG_CTX_IN_PROGRESS; /* the mechanism is done; the MIC exchange is not */
    return done ? NG_OK : NG_CONTINUE;
}

static ng_status mech_step(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                           bool has_mic, struct ng_slice mic, bool first_reply,
                           struct ng_writer *out)
{
    struct ng_writer mech_out = ng_writer_growable();
    ng_status status = run_mech(ctx, token, bindings, &mech_out);
    if (status == NG_OK)
        status = check_client_mic(ctx, has_mic, mic);
    /* NTLM's CHALLENGE (NG_CONTINUE) goes out in an accept-incomplete NegTokenResp. */
    if (status == NG_OK || status == NG_CONTINUE)
        status = reply_after_mech(ctx, ng_writer_slice(&mech_out), first_reply, out);
    ng_writer_free(&mech_out);
    return status;
}

static ng_status choose_mech(struct ng_context *ctx, const struct ng_spnego_init *init)
{
    for (size_t i = 0; i < init->nmechs; i++) {
        if (mech_supported(ctx, init->mechs[i])) {
            ctx->mech = init->mechs[i];
            ctx->spnego.mic_required = i != 0; /* RFC 4178 §5: not the preferred mech */
            return NG_OK;
        }
    }
    for (size_t i = 0; i < init->nmechs; i++) {
        if (mech_excluded(ctx, init->mechs[i]))
            return NG_ERR_LOGON_DENIED;
    }
    return NG_ERR_UNSUPPORTED_MECH;
}

static ng_status accept_init(struct ng_context *ctx, const struct ng_spnego_init *init,
                             struct ng_slice bindings, struct ng_writer *out)
{
    NG_GUARD(choose_mech(ctx, init));
    ctx->spnego.wrapped = true;
    ctx->spnego.mech_types = ng_memdup(init->mech_list.ptr, init->mech_list.len);
    if (ctx->spnego.mech_types == NULL)
        return NG_ERR_NOMEM;
    ctx->spnego.mech_types_len = init->mech_list.len;
    bool optimistic_usable = ctx->mech == init->mechs[0] && init->has_mech_token;
    if (optimistic_usable)
        return mech_step(ctx, init->mech_token, bindings, init->has_mech_list_mic,
                         init->mech_list_mic, true, out);
    /* The optimistic token (if any) belongs to a mechanism we did not choose: ignore it and
     * name ours; request-mic because the initiator's first choice lost (RFC 4178 §5). */
    enum ng_neg_state st =
        ctx->spnego.mic_required ? NG_NEG_STATE_REQUEST_MIC : NG_NEG_STATE_ACCEPT_INCOMPLETE;
    NG_GUARD(ng_spnego_write_resp(out, st, ctx->mech, NG_SLICE_EMPTY, NG_SLICE_EMPTY));
    return NG_CONTINUE;
}

static ng_status accept_resp(struct ng_context *ctx, const struct ng_spnego_resp *resp,
                             struct ng_slice bindings, struct ng_writer *out)
{
    if (resp->neg_state == NG_NEG_STATE_REJECT)
        return NG_ERR_LOGON_DENIED;
    if (!mech_finished(ctx)) {
        if (!resp->has_response_token)
            return NG_ERR_INVALID_TOKEN;
        return mech_step(ctx, resp->response_token, bindings, resp->has_mech_list_mic,
                         resp->mech_list_mic, false, out);
    }
    /* Only the initiator's mechListMIC is still owed. */
    if (!resp->has_mech_list_mic || resp->has_response_token)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(check_client_mic(ctx, true, resp->mech_list_mic));
    ctx->state = NG_CTX_COMPLETE;
    return NG_OK;
}

static bool is_raw_krb5(const struct ng_context *ctx, struct ng_slice input)
{
    struct ng_slice oid, inner;
    if (ng_gss_frame_parse(input, &oid, &inner) != NG_OK)
        return false;
    return mech_supported(ctx, ng_mech_from_oid(oid)) && ctx->package != NG_PKG_NTLM;
}

/* A raw NTLMSSP message (no SPNEGO), as Windows' Negotiate also accepts (MS-SPNG §3.2.5.1). */
static bool is_raw_ntlm(const struct ng_context *ctx, struct ng_slice input)
{
    return ng_ntlm_is_message(input) && mech_supported(ctx, NG_MECH_NTLM);
}

static ng_status accept_first(struct ng_context *ctx, struct ng_slice input,
                              struct ng_slice bindings, struct ng_writer *out)
{
    if (input.len == 0 && ctx->package == NG_PKG_NEGOTIATE) {
        /* No client token yet: offer our mechanisms as NegTokenInit2 (MS-SPNG §3.2.5.2). */
        enum ng_mech mechs[3];
        size_t n = offered_mechs(ctx, mechs);
        NG_GUARD(ng_spnego_write_init2_hints(out, mechs, n));
        return NG_CONTINUE;
    }
    if (is_raw_krb5(ctx, input)) {
        ctx->mech = NG_MECH_KRB5;
        return run_mech(ctx, input, bindings, out);
    }
    if (is_raw_ntlm(ctx, input)) {
        ctx->mech = NG_MECH_NTLM;
        return run_mech(ctx, input, bindings, out);
    }
    if (mech_excluded(ctx, raw_mech(input)))
        return NG_ERR_LOGON_DENIED;
    if (ctx->package != NG_PKG_NEGOTIATE)
        return NG_ERR_INVALID_TOKEN;
    struct ng_spnego_token tok;
    NG_GUARD(ng_spnego_parse(input, &tok));
    if (tok.kind != NG_SPNEGO_INIT)
        return NG_ERR_INVALID_TOKEN;
    return accept_init(ctx, &tok.init, bindings, out);
}

static ng_status accept_leg(struct ng_context *ctx, struct ng_slice input, struct ng_slice bindings,
                            struct ng_writer *out)
{
    if (ctx->state != NG_CTX_IN_PROGRESS)
        return NG_ERR_NO_CONTEXT;
    if (ctx->mech == NG_MECH_NONE)
        return accept_first(ctx, input, bindings, out);
    if (!ctx->spnego.wrapped && ctx->mech == NG_MECH_NTLM)
        return run_mech(ctx, input, bindings, out); /* raw NTLM: the AUTHENTICATE */
    if (!ctx->spnego.wrapped)
        return NG_ERR_NO_CONTEXT; /* raw Kerberos completes in one leg */
    struct ng_spnego_token tok;
    NG_GUARD(ng_spnego_parse(input, &tok));
    if (tok.kind != NG_SPNEGO_RESP)
        return NG_ERR_INVALID_TOKEN;
    return accept_resp(ctx, &tok.resp, bindings, out);
}

ng_status ng_negotiate_accept(struct ng_context *ctx, struct ng_slice input,
                              struct ng_slice bindings, struct ng_writer *out)
{
    ng_status status = accept_leg(ctx, input, bindings, out);
    if (status == NG_OK || status == NG_CONTINUE || status == NG_ERR_BUFFER_TOO_SMALL ||
        status == NG_ERR_NO_CONTEXT)
        return status;
    ctx->state = NG_CTX_FAILED;
    bool spnego_peer =
        ctx->spnego.wrapped || (ctx->mech == NG_MECH_NONE && raw_mech(input) == NG_MECH_NONE);
    if ((ctx->req_flags & ASC_REQ_EXTENDED_ERROR) && spnego_peer &&
        ctx->package == NG_PKG_NEGOTIATE) {
        out->len = 0;
        out->error = NG_OK;
        struct ng_writer why = ng_writer_growable(); /* KRB-ERROR for Kerberos failures */
        (void)ng_krb5_error_token(ctx, input, status, &why);
        (void)ng_spnego_write_resp(out, NG_NEG_STATE_REJECT, NG_MECH_NONE, ng_writer_slice(&why),
                                   NG_SLICE_EMPTY);
        ng_writer_free(&why);
    } else if ((ctx->req_flags & ASC_REQ_EXTENDED_ERROR) && !ctx->spnego.wrapped &&
               is_krb5(ctx->mech)) {
        out->len = 0; /* a raw Kerberos peer gets the bare KRB-ERROR token, as from MIT */
        out->error = NG_OK;
        (void)ng_krb5_error_token(ctx, input, status, out);
    }
    return status;
}
