/* The Kerberos (RFC 4121) side of per-message protection: MIC tokens for signatures, Wrap
 * tokens for encryption, the context's sequence numbers and the replay/sequence window.
 *
 * Each direction has its key object (libkrb5 caches the keys it derives per usage inside it:
 * without it every message would derive them again) and its state, under its own lock: one
 * thread may encrypt while another decrypts; two senders (or two receivers) on one context take
 * turns. A sequence number is spent only by a message actually produced, and a received one is
 * recorded only after its token verified, so a forged token cannot move the window. */
#include "krb5_message.h"

#include <sched.h>
#include <time.h>

#include "alloc.h"
#include "krb5_mic.h"
#include "krb5_state.h"
#include "krb5_thread.h"
#include "krb5_wrap.h"
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
    return ctx->end_time != 0 && time(NULL) > ctx->end_time ? NG_ERR_CONTEXT_EXPIRED : NG_OK;
}

/* Held for one message's cryptography: yield rather than burn the core another thread needs. */
static void lock(atomic_flag *f)
{
    while (atomic_flag_test_and_set_explicit(f, memory_order_acquire))
        sched_yield();
}

static void unlock(atomic_flag *f)
{
    atomic_flag_clear_explicit(f, memory_order_release);
}

/* The direction's keys, made on first use; the caller holds the direction's lock. */
static ng_status direction_keys(const struct ng_krb5_session *s, bool from_acceptor,
                                struct ng_cfx_keys **slot)
{
    if (*slot != NULL)
        return NG_OK;
    struct ng_cfx_keys *keys = ng_alloc(sizeof(*keys));
    if (keys == NULL)
        return NG_ERR_NOMEM;
    ng_status status = ng_cfx_keys_make(s, from_acceptor, keys);
    if (status != NG_OK) {
        ng_free(keys);
        return status;
    }
    *slot = keys;
    return NG_OK;
}

ng_status ng_krb5_sign(struct ng_context *ctx, struct ng_msg *m)
{
    struct ng_krb5_session *s = &ng_krb5_state_of(ctx)->session;
    size_t need;
    NG_GUARD(check_expiry(ctx));
    NG_GUARD(ng_krb5_mic_len(s, &need));
    if (m->token_len < need)
        return NG_ERR_BUFFER_TOO_SMALL;
    lock(&s->send_lock);
    ng_status status = direction_keys(s, we_accept(ctx), &s->send_keys);
    if (status == NG_OK)
        status = ng_krb5_mic_make(s, s->send_keys, we_accept(ctx), s->send_seq, m->parts,
                                  m->n_parts, m->token, &m->token_len);
    if (status == NG_OK)
        s->send_seq++;
    unlock(&s->send_lock);
    return status;
}

ng_status ng_krb5_seal(struct ng_context *ctx, struct ng_msg *m)
{
    struct ng_krb5_session *s = &ng_krb5_state_of(ctx)->session;
    size_t need;
    NG_GUARD(check_expiry(ctx));
    NG_GUARD(ng_krb5_wrap_token_len(s, m->conf, &need));
    if (m->token_len < need)
        return NG_ERR_BUFFER_TOO_SMALL;
    m->padding_len = 0; /* every RFC 4121 enctype is a CTS mode: the filler stays in the token */
    lock(&s->send_lock);
    ng_status status = direction_keys(s, we_accept(ctx), &s->send_keys);
    if (status == NG_OK)
        status = ng_krb5_wrap(s, s->send_keys, we_accept(ctx), s->send_seq, m);
    if (status == NG_OK)
        s->send_seq++;
    unlock(&s->send_lock);
    return status;
}

/* Opens a token with the receive key (MIC when `mic`, else Wrap), then records its number. */
static ng_status receive(struct ng_context *ctx, struct ng_msg *m, bool mic)
{
    struct ng_krb5_session *s = &ng_krb5_state_of(ctx)->session;
    uint64_t seq = 0;
    NG_GUARD(check_expiry(ctx));
    lock(&s->recv_lock);
    ng_status status = direction_keys(s, !we_accept(ctx), &s->recv_keys);
    if (status == NG_OK && mic)
        status = ng_krb5_mic_check(s, s->recv_keys, !we_accept(ctx), m->parts, m->n_parts,
                                   ng_slice_of(m->token, m->token_len), &seq);
    else if (status == NG_OK)
        status = ng_krb5_unwrap(s, s->recv_keys, !we_accept(ctx), m, &seq);
    if (status == NG_OK)
        status = ng_seq_accept(&s->recv_seq, &s->recv_seen, seq, seq_checks(ctx));
    unlock(&s->recv_lock);
    return status;
}

ng_status ng_krb5_verify(struct ng_context *ctx, struct ng_msg *m)
{
    return receive(ctx, m, true);
}

ng_status ng_krb5_unseal(struct ng_context *ctx, struct ng_msg *m)
{
    return receive(ctx, m, false);
}

void ng_krb5_msg_keys_free(struct ng_krb5_session *s)
{
    struct ng_cfx_keys **keys[] = {&s->send_keys, &s->recv_keys};
    for (size_t i = 0; i < 2; i++) {
        if (*keys[i] != NULL) {
            ng_cfx_keys_free(*keys[i]);
            ng_free(*keys[i]);
            *keys[i] = NULL;
        }
    }
}
