#include "negotiate_acceptor.h"

#include "alloc.h"
#include "mechanisms.h"
#include "package_list.h"
#include "spnego.h"

/* The leg being accepted: its input, and what was learnt of it on the way (for the error token
 * ASC_REQ_EXTENDED_ERROR sends when it fails). */
struct leg {
    struct ng_slice input;
    struct ng_slice bindings;
    const struct ng_mech_ops *raw; /* first leg: the mechanism whose raw token `input` is */
    struct ng_slice mech_token;    /* the token given to the mechanism, if one was */
};

/* A mechanism the context may accept with: the package asked for is Negotiate or the
 * mechanism's own, and the credentials hold what the mechanism accepts with (service keys, an
 * account database). Credentials with both offer both, Kerberos first, as Windows does. */
static bool can_accept_with(const struct ng_context *ctx, const struct ng_mech_ops *ops)
{
    return ops != NULL && (ctx->package == NG_PKG_NEGOTIATE || ctx->package == ops->package) &&
           ops->can_accept(ctx->creds);
}

/* A mechanism the credentials' package list leaves out (package_list.h). Its tokens are a
 * logon the server's policy forbids, not malformed input: SEC_E_LOGON_DENIED, the status
 * Windows gives when its policy blocks NTLM (docs/api.md). */
static bool mech_excluded(const struct ng_context *ctx, const struct ng_mech_ops *ops)
{
    return ops != NULL && ctx->package == NG_PKG_NEGOTIATE &&
           !(ctx->creds->mechs & ng_mechset_of(ops->package));
}

/* The mechanism of a token sent without SPNEGO (NTLMSSP, a Kerberos InitialContextToken). */
static const struct ng_mech_ops *raw_mechanism(struct ng_slice input)
{
    for (size_t i = 0; i < ng_mechanism_count(); i++) {
        if (ng_mechanism_at(i)->owns_raw_token(input))
            return ng_mechanism_at(i);
    }
    return NULL;
}

static size_t offered_mechs(const struct ng_context *ctx, enum ng_mech *mechs, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < ng_mechanism_oid_count() && n < max; i++) {
        enum ng_mech oid = ng_mechanism_oid_at(i);
        if (can_accept_with(ctx, ng_mechanism_for_oid(oid)))
            mechs[n++] = oid;
    }
    return n;
}

/* Runs the chosen mechanism on its token; its reply goes to `mech_out`. */
static ng_status accept_mech_token(struct ng_context *ctx, struct leg *leg, struct ng_slice token,
                                   struct ng_writer *mech_out)
{
    leg->mech_token = token;
    ng_status status = ctx->ops->accept(ctx, token, leg->bindings, mech_out);
    if (status != NG_OK)
        return status;
    ctx->state = NG_CTX_COMPLETE;
    if (ctx->spnego.wrapped && ctx->ops->obliges_mic(ctx))
        ctx->spnego.mic_required = true;
    return NG_OK;
}

/* After the mechanism completes: verify the client's mechListMIC if it sent one (it must when
 * the MIC is required), and say whether we send ours. RFC 4178 §5. */
static ng_status check_client_mic(struct ng_context *ctx, bool has_mic, struct ng_slice mic)
{
    if (!has_mic)
        return NG_OK;
    ng_status status = ctx->ops->verify_mic(ctx, ng_spnego_mech_types(&ctx->spnego), mic);
    if (status == NG_ERR_MESSAGE_ALTERED || status == NG_ERR_OUT_OF_SEQUENCE)
        return NG_ERR_DOWNGRADE;
    NG_GUARD(status);
    ctx->spnego.peer_mic_verified = true;
    ctx->spnego.mic_required = true; /* a MIC received is answered with ours */
    return NG_OK;
}

/* Room on the stack for what a mechanism step writes before SPNEGO frames it: an NTLM
 * CHALLENGE, a Kerberos AP-REP, a MIC; a larger one moves to the heap. */
enum { MECH_TOKEN_ROOM = 1024, MIC_ROOM = 64 };

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
    uint8_t mic_room[MIC_ROOM];
    struct ng_writer mic = ng_writer_spilling(mic_room, sizeof(mic_room));
    ng_status status = NG_OK;
    if (!ctx->spnego.our_mic_sent)
        status = ctx->ops->get_mic(ctx, ng_spnego_mech_types(&ctx->spnego), &mic);
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

static ng_status accept_step(struct ng_context *ctx, struct leg *leg, struct ng_slice token,
                             bool has_mic, struct ng_slice mic, bool first_reply,
                             struct ng_writer *out)
{
    uint8_t mech_room[MECH_TOKEN_ROOM];
    struct ng_writer mech_out = ng_writer_spilling(mech_room, sizeof(mech_room));
    ng_status status = accept_mech_token(ctx, leg, token, &mech_out);
    if (status == NG_OK)
        status = check_client_mic(ctx, has_mic, mic);
    /* NTLM's CHALLENGE (NG_CONTINUE) goes out in an accept-incomplete NegTokenResp. */
    if (status == NG_OK || status == NG_CONTINUE)
        status = reply_after_mech(ctx, ng_writer_slice(&mech_out), first_reply, out);
    ng_writer_free(&mech_out);
    return status;
}

/* A well-formed token of a mechanism the credentials' package list leaves out: a refusal by
 * policy (SEC_E_LOGON_DENIED, as Windows' NTLM-blocking policy answers). */
static ng_status refuse_excluded(struct ng_context *ctx, const struct ng_mech_ops *ops)
{
    ng_context_note_detail(ctx, "%s is left out by the credentials' package list",
                           ng_package_get(ops->package)->name);
    return NG_ERR_POLICY;
}

static ng_status choose_mech(struct ng_context *ctx, const struct ng_spnego_init *init)
{
    for (size_t i = 0; i < init->nmechs; i++) {
        const struct ng_mech_ops *ops = ng_mechanism_for_oid(init->mechs[i]);
        if (can_accept_with(ctx, ops)) {
            ng_context_set_mech(ctx, init->mechs[i], ops);
            ctx->spnego.mic_required = i != 0; /* RFC 4178 §5: not the preferred mech */
            return NG_OK;
        }
    }
    for (size_t i = 0; i < init->nmechs; i++) {
        const struct ng_mech_ops *ops = ng_mechanism_for_oid(init->mechs[i]);
        if (mech_excluded(ctx, ops))
            return refuse_excluded(ctx, ops);
    }
    return NG_ERR_UNSUPPORTED_MECH;
}

static ng_status accept_init(struct ng_context *ctx, struct leg *leg,
                             const struct ng_spnego_init *init, struct ng_writer *out)
{
    NG_GUARD(choose_mech(ctx, init));
    ctx->spnego.wrapped = true;
    NG_GUARD(ng_spnego_keep_mech_types(&ctx->spnego, init->mech_list));
    bool optimistic_usable = ctx->mech == init->mechs[0] && init->has_mech_token;
    if (optimistic_usable)
        return accept_step(ctx, leg, init->mech_token, init->has_mech_list_mic, init->mech_list_mic,
                           true, out);
    /* The optimistic token (if any) belongs to a mechanism we did not choose: ignore it and
     * name ours; request-mic because the initiator's first choice lost (RFC 4178 §5). */
    enum ng_neg_state st =
        ctx->spnego.mic_required ? NG_NEG_STATE_REQUEST_MIC : NG_NEG_STATE_ACCEPT_INCOMPLETE;
    NG_GUARD(ng_spnego_write_resp(out, st, ctx->mech, NG_SLICE_EMPTY, NG_SLICE_EMPTY));
    return NG_CONTINUE;
}

static ng_status accept_resp(struct ng_context *ctx, struct leg *leg,
                             const struct ng_spnego_resp *resp, struct ng_writer *out)
{
    if (resp->neg_state == NG_NEG_STATE_REJECT)
        return NG_ERR_LOGON_DENIED;
    if (!ctx->ops->established(ctx)) {
        if (!resp->has_response_token)
            return NG_ERR_INVALID_TOKEN;
        return accept_step(ctx, leg, resp->response_token, resp->has_mech_list_mic,
                           resp->mech_list_mic, false, out);
    }
    /* Only the initiator's mechListMIC is still owed. */
    if (!resp->has_mech_list_mic || resp->has_response_token)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(check_client_mic(ctx, true, resp->mech_list_mic));
    ctx->state = NG_CTX_COMPLETE;
    return NG_OK;
}

static ng_status accept_first_token(struct ng_context *ctx, struct leg *leg, struct ng_writer *out)
{
    if (leg->input.len == 0 && ctx->package == NG_PKG_NEGOTIATE) {
        /* No client token yet: offer our mechanisms as NegTokenInit2 (MS-SPNG §3.2.5.2). */
        enum ng_mech mechs[8];
        size_t n = offered_mechs(ctx, mechs, sizeof mechs / sizeof mechs[0]);
        NG_GUARD(ng_spnego_write_init2_hints(out, mechs, n));
        return NG_CONTINUE;
    }
    /* A raw mechanism token (no SPNEGO), as Windows' Negotiate also accepts (MS-SPNG
     * §3.2.5.1). */
    leg->raw = raw_mechanism(leg->input);
    if (can_accept_with(ctx, leg->raw)) {
        ng_context_set_mech(ctx, leg->raw->oid, leg->raw);
        return accept_mech_token(ctx, leg, leg->input, out);
    }
    if (mech_excluded(ctx, leg->raw))
        return refuse_excluded(ctx, leg->raw);
    if (ctx->package != NG_PKG_NEGOTIATE)
        return NG_ERR_INVALID_TOKEN;
    struct ng_spnego_token tok;
    NG_GUARD(ng_spnego_parse(leg->input, &tok));
    if (tok.kind != NG_SPNEGO_INIT)
        return NG_ERR_INVALID_TOKEN;
    return accept_init(ctx, leg, &tok.init, out);
}

static ng_status accept_leg(struct ng_context *ctx, struct leg *leg, struct ng_writer *out)
{
    if (ctx->state != NG_CTX_IN_PROGRESS)
        return NG_ERR_NO_CONTEXT;
    if (ctx->ops == NULL)
        return accept_first_token(ctx, leg, out);
    if (!ctx->spnego.wrapped)
        return accept_mech_token(ctx, leg, leg->input, out); /* raw: the mechanism's next token */
    struct ng_spnego_token tok;
    NG_GUARD(ng_spnego_parse(leg->input, &tok));
    if (tok.kind != NG_SPNEGO_RESP)
        return NG_ERR_INVALID_TOKEN;
    return accept_resp(ctx, leg, &tok.resp, out);
}

/* ASC_REQ_EXTENDED_ERROR: a SPNEGO peer gets a reject carrying the mechanism's error token (a
 * KRB-ERROR for Kerberos); a raw peer the mechanism's error token alone, as from MIT. */
static void write_extended_error(struct ng_context *ctx, const struct leg *leg, ng_status failure,
                                 struct ng_writer *out)
{
    bool spnego_peer = ctx->spnego.wrapped || (ctx->ops == NULL && leg->raw == NULL);
    bool has_error_token = ctx->ops != NULL && ctx->ops->error_token != NULL;
    if (spnego_peer && ctx->package == NG_PKG_NEGOTIATE) {
        out->len = 0;
        out->error = NG_OK;
        struct ng_writer why = ng_writer_growable();
        if (has_error_token)
            (void)ctx->ops->error_token(ctx, leg->mech_token, failure, &why);
        (void)ng_spnego_write_resp(out, NG_NEG_STATE_REJECT, NG_MECH_NONE, ng_writer_slice(&why),
                                   NG_SLICE_EMPTY);
        ng_writer_free(&why);
    } else if (!ctx->spnego.wrapped && has_error_token) {
        out->len = 0;
        out->error = NG_OK;
        (void)ctx->ops->error_token(ctx, leg->mech_token, failure, out);
    }
}

ng_status ng_negotiate_accept(struct ng_context *ctx, struct ng_slice input,
                              struct ng_slice bindings, struct ng_writer *out)
{
    struct leg leg = {.input = input, .bindings = bindings};
    ng_status status = accept_leg(ctx, &leg, out);
    if (status == NG_OK || status == NG_CONTINUE || status == NG_ERR_BUFFER_TOO_SMALL ||
        status == NG_ERR_NO_CONTEXT)
        return status;
    ctx->state = NG_CTX_FAILED;
    if (ctx->req_flags & ASC_REQ_EXTENDED_ERROR)
        write_extended_error(ctx, &leg, status, out);
    return status;
}
