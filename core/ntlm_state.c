#include "ntlm_state.h"

#include "alloc.h"

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

void ng_ntlm_state_free(struct ng_ntlm_state *st)
{
    if (st == NULL)
        return;
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
