/* The Kerberos (RFC 4121) side of per-message protection: MIC tokens for signatures, Wrap
 * tokens for encryption, the context's sequence numbers and the replay/sequence window.
 *
 * Sequence numbers: a send reserves its number atomically, so one thread may encrypt while
 * another decrypts. Received numbers are checked after the token verified (a forged token
 * cannot move the window) under a short spin lock on the receive state. */
#include <time.h>

#include "krb5_mic.h"
#include "krb5_wrap.h"
#include "message_protection.h"
#include "seq_window.h"

static bool we_accept(const struct ng_context *ctx)
{
    return ctx->role == NG_ROLE_ACCEPTOR;
}

/* ASC_RET_* and ISC_RET_* share the values of REPLAY_DETECT and SEQUENCE_DETECT. */
static unsigned seq_checks(const struct ng_context *ctx)
{
    return ((ctx->ret_flags & ASC_RET_REPLAY_DETECT) ? NG_SEQ_REPLAY : 0) |
           ((ctx->ret_flags & ASC_RET_SEQUENCE_DETECT) ? NG_SEQ_ORDER : 0);
}

/* Keys do not outlive the ticket (RFC 4120 §5.3 endtime), as MIT's gss_wrap also enforces. */
static ng_status check_expiry(const struct ng_context *ctx)
{
    return ctx->krb.end_time != 0 && time(NULL) > ctx->krb.end_time ? NG_ERR_CONTEXT_EXPIRED
                                                                    : NG_OK;
}

static ng_status accept_seq(struct ng_context *ctx, uint64_t seq)
{
    struct ng_krb5_session *s = &ctx->krb;
    while (atomic_flag_test_and_set_explicit(&s->recv_lock, memory_order_acquire))
        ;
    ng_status status = ng_seq_accept(&s->recv_seq, &s->recv_seen, seq, seq_checks(ctx));
    atomic_flag_clear_explicit(&s->recv_lock, memory_order_release);
    return status;
}

static ng_status krb5_sign(struct ng_context *ctx, struct ng_msg *m)
{
    size_t need;
    NG_GUARD(check_expiry(ctx));
    NG_GUARD(ng_krb5_mic_len(&ctx->krb, &need));
    if (m->token_len < need)
        return NG_ERR_BUFFER_TOO_SMALL; /* before a sequence number is spent */
    uint64_t seq = atomic_fetch_add(&ctx->krb.send_seq, 1);
    return ng_krb5_mic_make(&ctx->krb, we_accept(ctx), seq, m->parts, m->n_parts, m->token,
                            &m->token_len);
}

static ng_status krb5_verify(struct ng_context *ctx, struct ng_msg *m)
{
    uint64_t seq;
    NG_GUARD(check_expiry(ctx));
    NG_GUARD(ng_krb5_mic_check(&ctx->krb, !we_accept(ctx), m->parts, m->n_parts,
                               ng_slice_of(m->token, m->token_len), &seq));
    return accept_seq(ctx, seq);
}

static ng_status krb5_seal(struct ng_context *ctx, struct ng_msg *m)
{
    size_t need;
    NG_GUARD(check_expiry(ctx));
    NG_GUARD(ng_krb5_wrap_token_len(&ctx->krb, m->conf, &need));
    if (m->token_len < need)
        return NG_ERR_BUFFER_TOO_SMALL;
    uint64_t seq = atomic_fetch_add(&ctx->krb.send_seq, 1);
    m->padding_len = 0; /* every RFC 4121 enctype is a CTS mode: the filler stays in the token */
    return ng_krb5_wrap(&ctx->krb, we_accept(ctx), seq, m);
}

static ng_status krb5_unseal(struct ng_context *ctx, struct ng_msg *m)
{
    uint64_t seq;
    NG_GUARD(check_expiry(ctx));
    NG_GUARD(ng_krb5_unwrap(&ctx->krb, !we_accept(ctx), m, &seq));
    return accept_seq(ctx, seq);
}

const struct ng_msg_mech ng_krb5_msg_mech = {krb5_sign, krb5_verify, krb5_seal, krb5_unseal};
