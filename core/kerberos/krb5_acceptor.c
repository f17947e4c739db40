#include "krb5_acceptor.h"

#include <stdatomic.h>
#include <time.h>

#include "alloc.h"
#include "gss_framing.h"
#include "keystore.h"
#include "krb5_accept_checks.h"
#include "krb5_ap_req.h"
#include "krb5_cached_accept.h"
#include "krb5_credentials.h"
#include "krb5_delegation.h"
#include "krb5_first_use.h"
#include "krb5_gss_checksum.h"
#include "krb5_state.h"
#include "krb5_thread.h"
#include "krb5_token.h"
#include "pac_verify.h"
#include "reader.h"
#include "ticket_cache.h"

/* Everything one accept holds from libkrb5; released together. */
struct accept_state {
    krb5_context kctx;
    krb5_auth_context ac;
    krb5_ticket *ticket;
    krb5_authenticator *authenticator;
    krb5_data ap_rep;
    krb5_keyblock *context_key;
    const krb5_keyblock *service_key; /* the keystore's, which outlives the accept */
    uint8_t *pac;                     /* the verified PAC, or NULL */
    size_t pac_len;
};

static void accept_state_free(struct accept_state *s)
{
    krb5_free_authenticator(s->kctx, s->authenticator);
    krb5_free_ticket(s->kctx, s->ticket);
    if (s->ac != NULL)
        krb5_auth_con_free(s->kctx, s->ac);
    krb5_free_data_contents(s->kctx, &s->ap_rep);
    krb5_free_keyblock(s->kctx, s->context_key);
    ng_free(s->pac);
}

enum { WHY_MAX = 200 };

/* The key chosen by name did not open the AP-REQ: tell a key that does not open the ticket (a
 * password changed without a new kvno, a keytab from another account) from an authenticator
 * that does not open with the ticket's session key. */
static ng_status explain_integrity(struct ng_context *ctx, struct accept_state *s,
                                   const struct ng_key_query *q)
{
    if (ng_keystore_key_opens(s->kctx, s->service_key, q))
        return NG_ERR_LOGON_DENIED;
    char name[64] = "";
    krb5_enctype_to_name(q->enctype, true, name, sizeof(name));
    ng_context_note_detail(ctx,
                           "the keytab's key of kvno %u %s does not decrypt the ticket (the "
                           "account's password changed without a new kvno?)",
                           (unsigned)q->kvno, name);
    return NG_ERR_WRONG_KEY;
}

static ng_status decrypt_ap_req(struct ng_context *ctx, struct accept_state *s,
                                const struct ng_keystore *ks, struct ng_slice ap_req,
                                const struct ng_krb5_ap_req *req)
{
    const krb5_keyblock *key = NULL;
    struct ng_key_query q = {&req->server, req->ticket_etype, req->ticket_has_kvno,
                             req->ticket_kvno, req->ticket_cipher};
    char why[WHY_MAX];
    ng_status status = ng_keystore_find(s->kctx, ks, &q, &key, why, sizeof(why));
    if (status != NG_OK) {
        if (why[0] != '\0')
            ng_context_note_detail(ctx, "%s", why);
        return status;
    }
    s->service_key = key;
    krb5_error_code code = krb5_auth_con_init(s->kctx, &s->ac);
    if (code == 0)
        code = krb5_auth_con_setflags(s->kctx, s->ac, KRB5_AUTH_CONTEXT_DO_SEQUENCE);
    if (code == 0) /* decrypt with our in-memory key; no keytab and no file replay cache */
        code = krb5_auth_con_setuseruserkey(s->kctx, s->ac, (krb5_keyblock *)key);
    krb5_data in = {KV5M_DATA, (unsigned int)ap_req.len, (char *)ap_req.ptr};
    if (code == 0)
        code = krb5_rd_req(s->kctx, &s->ac, &in, NULL, NULL, NULL, &s->ticket);
    if (code == KRB5KRB_AP_ERR_BAD_INTEGRITY)
        return explain_integrity(ctx, s, &q);
    if (code == 0)
        code = krb5_auth_con_getauthenticator(s->kctx, s->ac, &s->authenticator);
    return ng_krb5_status(code);
}

static ng_status make_ap_rep(struct accept_state *s, krb5_enctype enctype, struct ng_writer *out,
                             bool *made_subkey)
{
    krb5_int32 flags = 0;
    krb5_auth_con_getflags(s->kctx, s->ac, &flags);
    *made_subkey = ng_krb5_enctype_is_cfx(enctype);
    if (*made_subkey) /* RFC 4121 §2: the acceptor asserts its own subkey */
        krb5_auth_con_setflags(s->kctx, s->ac, flags | KRB5_AUTH_CONTEXT_USE_SUBKEY);
    NG_GUARD(ng_krb5_status(krb5_mk_rep(s->kctx, s->ac, &s->ap_rep)));
    ng_krb5_frame(out, NG_KRB5_TOK_AP_REP, ng_slice_of(s->ap_rep.data, s->ap_rep.length));
    return ng_writer_status(out);
}

/* A refusal after the ticket opened names its client. */
static void note_client(struct ng_context *ctx, const struct accept_state *s)
{
    char *name = NULL;
    if (krb5_unparse_name(s->kctx, s->ticket->enc_part2->client, &name) == 0)
        ng_context_note_user(ctx, name);
    krb5_free_unparsed_name(s->kctx, name);
}

/* Forwarded tickets are kept only when the server asked for them (ASC_REQ_DELEGATE). */
static ng_status keep_delegation(struct accept_state *s, struct ng_context *ctx,
                                 struct ng_krb5_state *st, const struct ng_gss_checksum *gss)
{
    if (!ng_krb5_wants_delegation(ctx, gss))
        return NG_OK;
    ng_status status =
        ng_krb5_store_delegation(s->kctx, s->ac, gss->delegation, &st->delegated_ccache);
    if (status == NG_OK)
        ctx->ret_flags |= ASC_RET_DELEGATE;
    /* Unusable forwarded tickets mean no delegation, not a failed logon (as on Windows). */
    return status == NG_ERR_NOMEM ? status : NG_OK;
}

/* The libkrb5 path: krb5_rd_req with our in-memory key, then the checks both paths share. */
static ng_status accept_uncached(struct ng_context *ctx, struct ng_krb5_state *st,
                                 struct accept_state *s, const struct ng_keystore *ks,
                                 struct ng_slice ap_req, const struct ng_krb5_ap_req *req,
                                 struct ng_slice bindings, struct ng_writer *out)
{
    struct ng_gss_checksum gss;
    NG_GUARD(decrypt_ap_req(ctx, s, ks, ap_req, req));
    /* Before the ticket is cached: the cached path trusts what the cache holds. */
    char why[WHY_MAX];
    ng_status pac_status = ng_pac_verified(s->kctx, s->ticket->enc_part2, s->service_key, &s->pac,
                                           &s->pac_len, why, sizeof(why));
    if (pac_status == NG_ERR_BAD_PAC)
        ng_context_note_detail(ctx, "%s", why);
    NG_GUARD(pac_status);
    ng_krb5_cache_ticket(s->kctx, ng_keystore_tickets(ks), req, s->ticket,
                         ng_slice_of(s->pac, s->pac_len));
    const krb5_checksum *ck = s->authenticator->checksum;
    NG_GUARD(ng_krb5_check_gss_checksum(ctx, ck != NULL, ck ? ck->checksum_type : 0,
                                        ck ? ng_slice_of(ck->contents, ck->length) : NG_SLICE_EMPTY,
                                        bindings, &gss));
    NG_GUARD(ng_krb5_check_replay(ctx, req, s->ticket->enc_part2->client, s->authenticator->ctime,
                                  time(NULL)));
    bool mutual = (req->ap_options & NG_AP_OPTS_MUTUAL_REQUIRED) != 0;
    krb5_enctype enctype = s->ticket->enc_part2->session->enctype;
    bool made_subkey = false;
    if (mutual)
        NG_GUARD(make_ap_rep(s, enctype, out, &made_subkey));
    NG_GUARD(ng_krb5_acceptor_key(s->kctx, s->ac, s->ticket, made_subkey, &s->context_key));
    NG_GUARD(ng_krb5_session_capture(s->kctx, s->ac, s->context_key, made_subkey, &st->session));
    ng_krb5_take_times(ctx, &st->session, &s->ticket->enc_part2->times);
    NG_GUARD(ng_krb5_session_names(s->kctx, s->ticket, ng_slice_of(s->pac, s->pac_len),
                                   &ctx->client_name, &ctx->server_name));
    st->pac = s->pac; /* the context owns it now */
    st->pac_len = s->pac_len;
    s->pac = NULL;
    st->session.gss_flags = gss.flags;
    ctx->ret_flags = ng_krb5_accept_ret_flags(ctx->req_flags, gss.flags, mutual);
    return keep_delegation(s, ctx, st, &gss);
}

ng_status ng_krb5_accept(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                         struct ng_writer *out)
{
    struct ng_slice ap_req;
    struct ng_krb5_ap_req req;
    struct ng_krb5_state *st;
    krb5_context kctx;
    const struct ng_keystore *ks = ng_krb5_acceptor_keys(ctx->creds);
    if (ks == NULL)
        return NG_ERR_WRONG_CRED_HANDLE; /* outbound-only credentials cannot accept */
    NG_GUARD(ng_krb5_state_get(ctx, &st));
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(ng_krb5_unframe(token, NG_KRB5_TOK_AP_REQ, &ap_req));
    NG_GUARD(ng_krb5_ap_req_parse_outer(ap_req, &req));
    bool handled;
    ng_status status = ng_krb5_cached_accept(ctx, st, kctx, ng_keystore_tickets(ks), &req, bindings,
                                             out, &handled);
    if (!handled) /* the ticket is not one the cache knows: what is inside it is read now */
        NG_GUARD(ng_krb5_ap_req_parse_ticket(&req));
    if (!handled)
        status = ng_krb5_first_use_accept(ctx, st, kctx, ks, &req, bindings, out, &handled);
    if (!handled) {
        struct accept_state s = {.kctx = kctx};
        status = accept_uncached(ctx, st, &s, ks, ap_req, &req, bindings, out);
        if (status != NG_OK && s.ticket != NULL)
            note_client(ctx, &s);
        accept_state_free(&s);
    }
    if (status != NG_OK)
        return status;
    if (!(ctx->ret_flags & ASC_RET_MUTUAL_AUTH))
        st->session.send_seq = st->session.recv_seq; /* RFC 4121 §4.1: no AP-REP, one sequence */
    st->established = true;
    return NG_OK;
}
