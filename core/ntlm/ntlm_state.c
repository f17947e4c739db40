#include "ntlm_state.h"

#include <string.h>
#include <time.h>

#include "alloc.h"
#include "ntlm_issued_challenges.h"

ng_status ng_ntlm_state_new(struct ng_ntlm_state **out)
{
    *out = ng_alloc(sizeof(**out));
    if (*out == NULL)
        return NG_ERR_NOMEM;
    atomic_flag_clear(&(*out)->busy);
    return NG_OK;
}

void ng_ntlm_state_drop_messages(struct ng_ntlm_state *st)
{
    if (st->messages != st->messages_room)
        ng_free(st->messages);
    st->messages = NULL;
    st->negotiate_len = st->challenge_len = 0;
}

void ng_ntlm_state_withdraw_challenge(struct ng_ntlm_state *st)
{
    if (st->challenge_kind != NG_NTLM_CHALLENGE_NOT_OURS)
        ng_ntlm_challenge_withdraw(st->server_challenge, st->challenge_kind);
    st->challenge_kind = NG_NTLM_CHALLENGE_NOT_OURS;
}

void ng_ntlm_state_free(struct ng_ntlm_state *st)
{
    if (st == NULL)
        return;
    ng_ntlm_state_withdraw_challenge(st);
    ng_ntlm_state_drop_messages(st);
    ng_free_secret(st, sizeof(*st));
}

ng_status ng_ntlm_state_keep(struct ng_ntlm_state *st, struct ng_slice negotiate,
                             struct ng_slice challenge)
{
    ng_ntlm_state_drop_messages(st);
    size_t len = negotiate.len + challenge.len;
    st->messages = len <= sizeof(st->messages_room) ? st->messages_room : ng_alloc(len);
    if (st->messages == NULL)
        return NG_ERR_NOMEM;
    if (negotiate.len > 0)
        memcpy(st->messages, negotiate.ptr, negotiate.len);
    if (challenge.len > 0)
        memcpy(st->messages + negotiate.len, challenge.ptr, challenge.len);
    st->negotiate_len = negotiate.len;
    st->challenge_len = challenge.len;
    return NG_OK;
}

void ng_ntlm_set_lifetime(struct ng_context *ctx)
{
    ctx->start_time = (int64_t)time(NULL);
    ctx->end_time = INT64_MAX;
}

ng_status ng_ntlm_export_state(const struct ng_context *ctx, struct ng_writer *w)
{
    const struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    if (st == NULL || !st->established)
        return NG_ERR_INTERNAL; /* a complete NTLM context always has its session */
    ng_write_be32(w, st->flags);
    ng_write_u8(w, st->anonymous);
    ng_ntlm_session_write(&st->session, w);
    return NG_OK;
}

ng_status ng_ntlm_import_state(struct ng_context *ctx, struct ng_reader *r)
{
    struct ng_ntlm_state *st;
    NG_GUARD(ng_ntlm_state_new(&st));
    ctx->mech_state = st;
    st->flags = ng_read_be32(r);
    uint8_t anonymous = ng_read_u8(r);
    NG_GUARD(ng_reader_status(r));
    if (anonymous > 1)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(ng_ntlm_session_read(r, &st->session));
    if (st->session.initiator != (ctx->role == NG_ROLE_INITIATOR))
        return NG_ERR_INVALID_TOKEN; /* the streams would run in the wrong directions */
    st->anonymous = anonymous;
    st->established = true;
    return NG_OK;
}

ng_status ng_ntlm_get_mic(struct ng_ntlm_state *st, struct ng_slice mech_types,
                          struct ng_writer *out)
{
    if (!ng_ntlm_session_usable(&st->session))
        return NG_ERR_UNSUPPORTED;
    uint8_t sig[NG_NTLM_SIGNATURE_LEN];
    ng_ntlm_sign_restarting(&st->session, mech_types, sig);
    ng_write_bytes(out, sig, sizeof(sig));
    return ng_writer_status(out);
}

ng_status ng_ntlm_verify_mic(struct ng_ntlm_state *st, struct ng_slice mech_types,
                             struct ng_slice mic)
{
    if (!ng_ntlm_session_usable(&st->session))
        return NG_ERR_UNSUPPORTED;
    if (mic.len != NG_NTLM_SIGNATURE_LEN)
        return NG_ERR_MESSAGE_ALTERED;
    return ng_ntlm_verify_restarting(&st->session, mech_types, mic.ptr);
}
