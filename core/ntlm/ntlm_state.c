#include "ntlm_state.h"

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
    ng_free(st->negotiate);
    ng_free(st->challenge);
    st->negotiate = st->challenge = NULL;
    st->negotiate_len = st->challenge_len = 0;
}

void ng_ntlm_state_withdraw_challenge(struct ng_ntlm_state *st)
{
    if (st->challenge_tracked)
        ng_ntlm_challenge_withdraw(st->server_challenge);
    st->challenge_tracked = false;
}

void ng_ntlm_state_free(struct ng_ntlm_state *st)
{
    if (st == NULL)
        return;
    ng_ntlm_state_withdraw_challenge(st);
    ng_ntlm_state_drop_messages(st);
    ng_free_secret(st, sizeof(*st));
}

ng_status ng_ntlm_state_keep(uint8_t **copy, size_t *copy_len, struct ng_slice msg)
{
    ng_free(*copy);
    *copy = ng_memdup(msg.ptr, msg.len);
    *copy_len = *copy ? msg.len : 0;
    return *copy ? NG_OK : NG_ERR_NOMEM;
}

void ng_ntlm_state_write(const struct ng_ntlm_state *st, struct ng_writer *w)
{
    ng_write_be32(w, st->flags);
    ng_write_u8(w, st->anonymous);
    ng_ntlm_session_write(&st->session, w);
}

ng_status ng_ntlm_state_read(struct ng_reader *r, struct ng_ntlm_state **out)
{
    struct ng_ntlm_state *st;
    NG_GUARD(ng_ntlm_state_new(&st));
    st->flags = ng_read_be32(r);
    uint8_t anonymous = ng_read_u8(r);
    ng_status status = ng_reader_status(r);
    if (status == NG_OK && anonymous > 1)
        status = NG_ERR_INVALID_TOKEN;
    if (status == NG_OK)
        status = ng_ntlm_session_read(r, &st->session);
    if (status != NG_OK) {
        ng_ntlm_state_free(st);
        return status;
    }
    st->anonymous = anonymous;
    st->established = true;
    *out = st;
    return NG_OK;
}

ng_status ng_ntlm_get_mic(struct ng_ntlm_state *st, struct ng_slice mech_types,
                          struct ng_writer *out)
{
    if (!ng_ntlm_session_usable(&st->session))
        return NG_ERR_UNSUPPORTED;
    uint8_t sig[NG_NTLM_SIGNATURE_LEN];
    ng_ntlm_sign(&st->session, mech_types, sig);
    ng_ntlm_reset_send(&st->session);
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
    ng_status status = ng_ntlm_verify(&st->session, mech_types, mic.ptr);
    ng_ntlm_reset_recv(&st->session);
    return status;
}
