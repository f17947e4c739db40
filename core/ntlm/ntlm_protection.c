#include "ntlm_protection.h"

#include "ntlm_state.h"

/* The RC4 streams and counters of a session advance with every message, and messages may
 * arrive from several threads at once (the context is only held shared): one at a time. The
 * critical section is a few microseconds of hashing, so a spin is enough. */
static ng_status lock_session(struct ng_context *ctx, struct ng_ntlm_session **out)
{
    struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    if (st == NULL || st->anonymous || !ng_ntlm_session_usable(&st->session))
        return NG_ERR_UNSUPPORTED; /* no session key, or the pre-ESS scheme we do not offer */
    while (atomic_flag_test_and_set_explicit(&st->busy, memory_order_acquire))
        ;
    *out = &st->session;
    return NG_OK;
}

static void unlock_session(struct ng_context *ctx)
{
    atomic_flag_clear_explicit(&ng_ntlm_state_of(ctx)->busy, memory_order_release);
}

static size_t to_parts(const struct ng_msg *m, struct ng_ntlm_part *parts, bool seal)
{
    for (size_t i = 0; i < m->n_parts; i++)
        parts[i] = (struct ng_ntlm_part){m->parts[i].ptr, m->parts[i].len,
                                         seal && m->parts[i].kind == NG_PART_PROTECT};
    return m->n_parts;
}

ng_status ng_ntlm_msg_sign(struct ng_context *ctx, struct ng_msg *m)
{
    struct ng_ntlm_session *s;
    struct ng_ntlm_part parts[NG_MAX_SEC_BUFFERS];
    if (m->token_len < NG_NTLM_SIGNATURE_LEN)
        return NG_ERR_BUFFER_TOO_SMALL; /* before a sequence number is spent */
    NG_GUARD(lock_session(ctx, &s));
    ng_ntlm_sign_parts(s, parts, to_parts(m, parts, false), m->token);
    unlock_session(ctx);
    m->token_len = NG_NTLM_SIGNATURE_LEN;
    return NG_OK;
}

ng_status ng_ntlm_msg_verify(struct ng_context *ctx, struct ng_msg *m)
{
    struct ng_ntlm_session *s;
    struct ng_ntlm_part parts[NG_MAX_SEC_BUFFERS];
    if (m->token_len < NG_NTLM_SIGNATURE_LEN)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(lock_session(ctx, &s));
    ng_status status = ng_ntlm_verify_parts(s, parts, to_parts(m, parts, false), m->token);
    unlock_session(ctx);
    return status;
}

/* NTLM has no integrity-only wrap: SECQOP_WRAP_NO_ENCRYPT is refused (use MakeSignature). */
ng_status ng_ntlm_msg_seal(struct ng_context *ctx, struct ng_msg *m)
{
    struct ng_ntlm_session *s;
    struct ng_ntlm_part parts[NG_MAX_SEC_BUFFERS];
    if (!m->conf)
        return NG_ERR_UNSUPPORTED;
    if (m->token_len < NG_NTLM_SIGNATURE_LEN)
        return NG_ERR_BUFFER_TOO_SMALL;
    NG_GUARD(lock_session(ctx, &s));
    ng_ntlm_seal_parts(s, parts, to_parts(m, parts, true), m->token);
    unlock_session(ctx);
    m->token_len = NG_NTLM_SIGNATURE_LEN;
    m->padding_len = 0;
    return NG_OK;
}

ng_status ng_ntlm_msg_unseal(struct ng_context *ctx, struct ng_msg *m)
{
    struct ng_ntlm_session *s;
    struct ng_ntlm_part parts[NG_MAX_SEC_BUFFERS];
    if (m->token_len < NG_NTLM_SIGNATURE_LEN)
        return NG_ERR_INVALID_TOKEN;
    if (m->stream) { /* signature || ciphertext: the placeholder part gets the ciphertext */
        for (size_t i = 0; i < m->n_parts; i++) {
            if (m->parts[i].kind == NG_PART_PROTECT && m->parts[i].ptr == NULL) {
                m->parts[i].ptr = m->token + NG_NTLM_SIGNATURE_LEN;
                m->parts[i].len = m->token_len - NG_NTLM_SIGNATURE_LEN;
            }
        }
    }
    NG_GUARD(lock_session(ctx, &s));
    ng_status status = ng_ntlm_unseal_parts(s, parts, to_parts(m, parts, true), m->token);
    unlock_session(ctx);
    m->conf = true;
    return status;
}
