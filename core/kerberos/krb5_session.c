#include "krb5_session.h"

#include <string.h>

#include "alloc.h"
#include "krb5_thread.h"
#include "pac_identity.h"

bool ng_krb5_enctype_is_cfx(krb5_enctype enctype)
{
    switch (enctype) {
    case ENCTYPE_DES_CBC_CRC:
    case ENCTYPE_DES_CBC_MD4:
    case ENCTYPE_DES_CBC_MD5:
    case ENCTYPE_DES3_CBC_SHA1:
    case ENCTYPE_ARCFOUR_HMAC:
    case ENCTYPE_ARCFOUR_HMAC_EXP:
        return false;
    default:
        return true;
    }
}

ng_status ng_krb5_session_set_key(struct ng_krb5_session *out, krb5_enctype enctype,
                                  struct ng_slice key, bool acceptor_subkey)
{
    if (key.len > sizeof(out->key))
        return NG_ERR_UNSUPPORTED;
    out->enctype = enctype;
    memcpy(out->key, key.ptr, key.len);
    out->key_len = key.len;
    out->acceptor_subkey = acceptor_subkey;
    return NG_OK;
}

ng_status ng_krb5_session_capture(krb5_context kctx, krb5_auth_context ac, const krb5_keyblock *key,
                                  bool acceptor_subkey, struct ng_krb5_session *out)
{
    NG_GUARD(ng_krb5_session_set_key(out, key->enctype, ng_slice_of(key->contents, key->length),
                                     acceptor_subkey));
    krb5_int32 local_seq = 0, remote_seq = 0;
    krb5_auth_con_getlocalseqnumber(kctx, ac, &local_seq);
    krb5_auth_con_getremoteseqnumber(kctx, ac, &remote_seq);
    out->send_seq = (uint32_t)local_seq;
    out->recv_seq = (uint32_t)remote_seq;
    return NG_OK;
}

void ng_krb5_take_times(struct ng_context *ctx, struct ng_krb5_session *s,
                        const krb5_ticket_times *times)
{
    s->auth_time = times->authtime;
    ctx->start_time = times->starttime ? times->starttime : times->authtime;
    ctx->end_time = times->endtime;
}

ng_status ng_krb5_acceptor_key(krb5_context kctx, krb5_auth_context ac, const krb5_ticket *ticket,
                               bool made_acceptor_subkey, krb5_keyblock **key)
{
    krb5_keyblock *subkey = NULL;
    krb5_error_code code = made_acceptor_subkey ? krb5_auth_con_getsendsubkey(kctx, ac, &subkey)
                                                : krb5_auth_con_getrecvsubkey(kctx, ac, &subkey);
    if (code != 0)
        return ng_krb5_status(code);
    if (subkey != NULL) {
        *key = subkey;
        return NG_OK;
    }
    return ng_krb5_status(krb5_copy_keyblock(kctx, ticket->enc_part2->session, key));
}

ng_status ng_krb5_unparse(krb5_context kctx, krb5_const_principal p, char **out)
{
    char *name = NULL;
    if (krb5_unparse_name(kctx, p, &name) != 0)
        return NG_ERR_NOMEM;
    *out = ng_strdup(name);
    krb5_free_unparsed_name(kctx, name);
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}

ng_status ng_krb5_session_names(krb5_context kctx, const krb5_ticket *ticket, struct ng_slice pac,
                                char **client, char **server)
{
    const krb5_data *realm = &ticket->enc_part2->client->realm;
    NG_GUARD(ng_pac_canonical_name(pac, realm->data, realm->length, client));
    if (*client == NULL)
        NG_GUARD(ng_krb5_unparse(kctx, ticket->enc_part2->client, client));
    return ng_krb5_unparse(kctx, ticket->server, server);
}
