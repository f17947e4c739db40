#include "negotiate_initiator.h"

#include "alloc.h"
#include "mechanisms.h"
#include "package_list.h"
#include "spnego.h"

/* A mechanism Negotiate may initiate with: the package list allows it and the credentials hold
 * what it needs (tickets, an identity). */
static bool can_initiate_with(const struct ng_context *ctx, const struct ng_mech_ops *ops)
{
    return (ctx->creds->mechs & ng_mechset_of(ops->package)) && ops->can_initiate(ctx->creds);
}

/* ... and it can do without a service name when the caller gave none: Windows' Negotiate with
 * pszTargetName NULL skips Kerberos (no SPN to ask a ticket for) and uses NTLM. */
static bool can_start_with(const struct ng_context *ctx, const struct ng_mech_ops *ops)
{
    return can_initiate_with(ctx, ops) && (ctx->target_name[0] != '\0' || !ops->needs_target);
}

/* The first usable mechanism from position `from` on, best first; NULL when none is. */
static const struct ng_mech_ops *usable_from(const struct ng_context *ctx, size_t from, size_t *at)
{
    for (size_t i = from; i < ng_mechanism_count(); i++) {
        if (can_start_with(ctx, ng_mechanism_at(i))) {
            *at = i;
            return ng_mechanism_at(i);
        }
    }
    return NULL;
}

/* One step of the chosen mechanism. Without SPNEGO its completion is the context's. */
static ng_status initiate_mech_token(struct ng_context *ctx, struct ng_slice token,
                                     struct ng_slice bindings, struct ng_writer *out)
{
    ng_status status = ctx->ops->initiate(ctx, token, bindings, out);
    if (status == NG_OK && !ctx->spnego.wrapped)
        ctx->state = NG_CTX_COMPLETE;
    return status;
}

/* A first token that failed for want of a ticket (no such SPN, or the KDC is gone): Windows'
 * Negotiate then falls back to the next mechanism it holds credentials for; so do we. */
static bool gives_way(ng_status status)
{
    return status == NG_ERR_TARGET_UNKNOWN || status == NG_ERR_NO_AUTHORITY;
}

static ng_status first_mech_token(struct ng_context *ctx, size_t at, struct ng_slice bindings,
                                  struct ng_writer *token)
{
    ng_status status = initiate_mech_token(ctx, NG_SLICE_EMPTY, bindings, token);
    const struct ng_mech_ops *next;
    while (gives_way(status) && (next = usable_from(ctx, at + 1, &at)) != NULL) {
        token->len = 0;
        token->error = NG_OK;
        ng_context_set_mech(ctx, next->oid, next);
        status = initiate_mech_token(ctx, NG_SLICE_EMPTY, bindings, token);
    }
    return status;
}

/* NegTokenInit (RFC 4178 §4.2.1) naming the one mechanism used, with its first token; the
 * mechTypes are kept for the mechListMIC. */
static ng_status write_init(struct ng_context *ctx, struct ng_slice mech_token,
                            struct ng_writer *out)
{
    struct ng_writer w = ng_writer_growable();
    ng_status status = ng_spnego_write_mech_list(&w, &ctx->mech, 1);
    if (status == NG_OK)
        status = ng_spnego_keep_mech_types(&ctx->spnego, ng_writer_slice(&w));
    ng_writer_free(&w);
    NG_GUARD(status);
    return ng_spnego_write_init(out, &ctx->mech, 1, mech_token, NG_SLICE_EMPTY);
}

static ng_status initiate_first(struct ng_context *ctx, struct ng_slice bindings,
                                struct ng_writer *out)
{
    size_t at = 0;
    const struct ng_mech_ops *ops = ctx->package == NG_PKG_NEGOTIATE
                                        ? usable_from(ctx, 0, &at)
                                        : ng_mechanism_for_package(ctx->package);
    if (ops == NULL)
        return ctx->target_name[0] == '\0' ? NG_ERR_TARGET_UNKNOWN : NG_ERR_NO_CREDENTIALS;
    ng_context_set_mech(ctx, ops->oid, ops);
    if (ctx->package != NG_PKG_NEGOTIATE)
        return initiate_mech_token(ctx, NG_SLICE_EMPTY, bindings, out);
    ctx->spnego.wrapped = true;
    struct ng_writer mech_token = ng_writer_growable();
    ng_status status = first_mech_token(ctx, at, bindings, &mech_token);
    if (status == NG_OK || status == NG_CONTINUE)
        status = write_init(ctx, ng_writer_slice(&mech_token), out);
    ng_writer_free(&mech_token);
    /* With SPNEGO the acceptor always answers (RFC 4178 §4.2.2), even without mutual auth. */
    return status == NG_OK ? NG_CONTINUE : status;
}

static ng_status check_supported_mech(const struct ng_context *ctx,
                                      const struct ng_spnego_resp *resp)
{
    if (resp->supported_mech == NG_MECH_NONE ||
        ng_mechanism_for_oid(resp->supported_mech) == ctx->ops)
        return NG_OK;
    return NG_ERR_UNSUPPORTED_MECH;
}

/* The acceptor's token for the mechanism, when the mechanism still waits for one (an AP-REP,
 * an NTLM CHALLENGE); its answer goes to `mech_out`. */
static ng_status initiate_step(struct ng_context *ctx, const struct ng_spnego_resp *resp,
                               struct ng_slice bindings, struct ng_writer *mech_out)
{
    if (ctx->ops->established(ctx))
        return NG_OK;
    if (!resp->has_response_token)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(initiate_mech_token(ctx, resp->response_token, bindings, mech_out));
    if (ctx->ops->obliges_mic(ctx))
        ctx->spnego.mic_required = true; /* MS-SPNG §3.3.5.1: the NTLM MIC makes it due */
    return NG_OK;
}

/* RFC 4178 §5: the acceptor's MIC verifies if sent, and must be sent once both owe one. */
static ng_status check_acceptor_mic(struct ng_context *ctx, const struct ng_spnego_resp *resp)
{
    if (!resp->has_mech_list_mic)
        return ctx->spnego.mic_required && ctx->spnego.our_mic_sent ? NG_ERR_INVALID_TOKEN : NG_OK;
    ng_status status =
        ctx->ops->verify_mic(ctx, ng_spnego_mech_types(&ctx->spnego), resp->mech_list_mic);
    NG_GUARD(status == NG_ERR_MESSAGE_ALTERED ? NG_ERR_DOWNGRADE : status);
    ctx->spnego.peer_mic_verified = true;
    return NG_OK;
}

/* Our NegTokenResp: the mechanism's token and our MIC, each if there is one. */
static ng_status write_reply(struct ng_context *ctx, struct ng_slice mech_token, bool with_mic,
                             struct ng_writer *out)
{
    struct ng_writer mic = ng_writer_growable();
    ng_status status =
        with_mic ? ctx->ops->get_mic(ctx, ng_spnego_mech_types(&ctx->spnego), &mic) : NG_OK;
    if (status == NG_OK)
        status = ng_spnego_write_resp(out, NG_NEG_STATE_ABSENT, NG_MECH_NONE, mech_token,
                                      ng_writer_slice(&mic));
    ng_writer_free(&mic);
    ctx->spnego.our_mic_sent = ctx->spnego.our_mic_sent || (with_mic && status == NG_OK);
    return status;
}

/* A NegTokenResp from the acceptor: the mechanism's step, then the MICs. Complete when the
 * acceptor has nothing left to say: it is answered with our MIC if it waits for one; after a
 * mechanism token of ours (an NTLM AUTHENTICATE) its verdict is still to come. */
static ng_status answer_resp(struct ng_context *ctx, const struct ng_spnego_resp *resp,
                             struct ng_slice bindings, struct ng_writer *out)
{
    struct ng_writer mech_out = ng_writer_growable();
    ng_status status = initiate_step(ctx, resp, bindings, &mech_out);
    bool established = status == NG_OK;
    if (established)
        status = check_acceptor_mic(ctx, resp);
    bool acceptor_waits = resp->neg_state == NG_NEG_STATE_ACCEPT_INCOMPLETE ||
                          resp->neg_state == NG_NEG_STATE_REQUEST_MIC;
    bool with_mic =
        established && !ctx->spnego.our_mic_sent && (ctx->spnego.mic_required || acceptor_waits);
    bool sends = mech_out.len > 0 || with_mic;
    if ((status == NG_OK || status == NG_CONTINUE) && sends)
        status = write_reply(ctx, ng_writer_slice(&mech_out), with_mic, out);
    else if (status == NG_OK && acceptor_waits)
        status = NG_ERR_INVALID_TOKEN; /* it waits for something we have already sent */
    bool more = status == NG_CONTINUE || (status == NG_OK && mech_out.len > 0);
    ng_writer_free(&mech_out);
    NG_GUARD(status == NG_CONTINUE ? NG_OK : status);
    if (more)
        return NG_CONTINUE;
    ctx->state = NG_CTX_COMPLETE;
    return NG_OK;
}

static ng_status initiate_spnego_reply(struct ng_context *ctx, struct ng_slice input,
                                       struct ng_slice bindings, struct ng_writer *out)
{
    struct ng_spnego_token tok;
    NG_GUARD(ng_spnego_parse(input, &tok));
    if (tok.kind != NG_SPNEGO_RESP)
        return NG_ERR_INVALID_TOKEN;
    if (tok.resp.neg_state == NG_NEG_STATE_REJECT)
        return NG_ERR_LOGON_DENIED;
    NG_GUARD(check_supported_mech(ctx, &tok.resp));
    return answer_resp(ctx, &tok.resp, bindings, out);
}

static ng_status initiate_leg(struct ng_context *ctx, struct ng_slice input,
                              struct ng_slice bindings, struct ng_writer *out)
{
    if (ctx->ops == NULL)
        return initiate_first(ctx, bindings, out);
    /* A call on a finished context is refused before its input is looked at, so it cannot turn
     * an established context into a failed one. */
    if (ctx->state != NG_CTX_IN_PROGRESS)
        return NG_ERR_NO_CONTEXT;
    if (input.len == 0)
        return NG_ERR_INVALID_TOKEN;
    if (!ctx->spnego.wrapped)
        return initiate_mech_token(ctx, input, bindings, out);
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
