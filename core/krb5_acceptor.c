#include "krb5_acceptor.h"

#include <stdatomic.h>
#include <time.h>

#include "alloc.h"
#include "constant_time.h"
#include "gss_framing.h"
#include "keystore.h"
#include "krb5_ap_req.h"
#include "krb5_delegation.h"
#include "krb5_gss_checksum.h"
#include "krb5_session.h"
#include "krb5_thread.h"
#include "krb5_token.h"
#include "reader.h"
#include "replay_cache.h"

enum { REPLAY_CACHE_LOG2 = 22 };

static _Atomic(struct ng_replay_cache *) replay_cache;

/* Made on first use. A failed attempt (out of memory) is retried by the next accept instead of
 * leaving the process without a replay cache, and so unable to accept, for good. */
static ng_status get_replay_cache(struct ng_replay_cache **out)
{
    struct ng_replay_cache *rc = atomic_load_explicit(&replay_cache, memory_order_acquire);
    if (rc == NULL) {
        NG_GUARD(ng_replay_cache_create(&rc, REPLAY_CACHE_LOG2));
        struct ng_replay_cache *winner = NULL;
        if (!atomic_compare_exchange_strong(&replay_cache, &winner, rc)) {
            ng_replay_cache_destroy(rc); /* another thread was first */
            rc = winner;
        }
    }
    *out = rc;
    return NG_OK;
}

/* Everything one accept holds from libkrb5; released together. */
struct accept_state {
    krb5_context kctx;
    krb5_auth_context ac;
    krb5_ticket *ticket;
    krb5_authenticator *authenticator;
    krb5_data ap_rep;
    krb5_keyblock *context_key;
};

static void accept_state_free(struct accept_state *s)
{
    krb5_free_authenticator(s->kctx, s->authenticator);
    krb5_free_ticket(s->kctx, s->ticket);
    if (s->ac != NULL)
        krb5_auth_con_free(s->kctx, s->ac);
    krb5_free_data_contents(s->kctx, &s->ap_rep);
    krb5_free_keyblock(s->kctx, s->context_key);
}

static ng_status decrypt_ap_req(struct accept_state *s, const struct ng_context *ctx,
                                struct ng_slice ap_req, const struct ng_krb5_ap_req *req)
{
    const krb5_keyblock *key = NULL;
    NG_GUARD(ng_keystore_find(ctx->creds->keys, &req->server, req->ticket_etype,
                              req->ticket_has_kvno, req->ticket_kvno, &key));
    krb5_error_code code = krb5_auth_con_init(s->kctx, &s->ac);
    if (code == 0)
        code = krb5_auth_con_setflags(s->kctx, s->ac, KRB5_AUTH_CONTEXT_DO_SEQUENCE);
    if (code == 0) /* decrypt with our in-memory key; no keytab and no file replay cache */
        code = krb5_auth_con_setuseruserkey(s->kctx, s->ac, (krb5_keyblock *)key);
    krb5_data in = {KV5M_DATA, (unsigned int)ap_req.len, (char *)ap_req.ptr};
    if (code == 0)
        code = krb5_rd_req(s->kctx, &s->ac, &in, NULL, NULL, NULL, &s->ticket);
    if (code == 0)
        code = krb5_auth_con_getauthenticator(s->kctx, s->ac, &s->authenticator);
    return ng_krb5_status(code);
}

static ng_status check_checksum(const struct accept_state *s, struct ng_slice bindings,
                                struct ng_gss_checksum *gss)
{
    const krb5_checksum *ck = s->authenticator->checksum;
    if (ck == NULL || ck->checksum_type != NG_GSS_CHECKSUM_TYPE)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(ng_gss_checksum_parse(ng_slice_of(ck->contents, ck->length), gss));
    if (bindings.len == 0 || ng_bindings_hash_is_zero(gss->bindings_hash))
        return NG_OK; /* bindings missing on one side: accepted, as Windows does by default */
    uint8_t expected[16];
    NG_GUARD(ng_channel_bindings_hash(bindings, expected));
    return ng_ct_equal(expected, gss->bindings_hash, sizeof(expected)) ? NG_OK
                                                                       : NG_ERR_BAD_BINDINGS;
}

static ng_status check_replay(const struct accept_state *s, const struct ng_context *ctx,
                              const struct ng_krb5_ap_req *req)
{
    int64_t now = time(NULL);
    int64_t ctime = s->authenticator->ctime;
    int64_t skew = ctx->creds->clock_skew;
    if (ctime > now + skew || ctime < now - skew)
        return NG_ERR_TIME_SKEW;
    if (ctx->req_flags & ASC_REQ_ALLOW_CONTEXT_REPLAY)
        return NG_OK;
    struct ng_replay_cache *rc;
    NG_GUARD(get_replay_cache(&rc));
    /* The authenticator ciphertext is unique per AP-REQ; seen again within the skew window it
     * is a replay. */
    ng_status status = ng_replay_cache_check_and_insert(rc, req->authenticator_cipher, now,
                                                        (ctime > now ? ctime : now) + skew);
    return status == NG_ERR_FULL ? NG_ERR_NOMEM : status;
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

/* Forwarded tickets are kept only when the server asked for them (ASC_REQ_DELEGATE). */
static ng_status keep_delegation(struct accept_state *s, struct ng_context *ctx,
                                 const struct ng_gss_checksum *gss)
{
    if (!(ctx->req_flags & ASC_REQ_DELEGATE) || !(gss->flags & NG_GSS_C_DELEG_FLAG) ||
        gss->delegation.len == 0)
        return NG_OK;
    ng_status status =
        ng_krb5_store_delegation(s->kctx, s->ac, gss->delegation, &ctx->delegated_ccache);
    if (status == NG_OK)
        ctx->ret_flags |= ASC_RET_DELEGATE;
    /* Unusable forwarded tickets mean no delegation, not a failed logon (as on Windows). */
    return status == NG_ERR_NOMEM ? status : NG_OK;
}

static ULONG accept_ret_flags(ULONG req, uint32_t gss_flags, bool mutual)
{
    ULONG ret = 0;
    if (mutual)
        ret |= ASC_RET_MUTUAL_AUTH;
    if ((gss_flags & NG_GSS_C_REPLAY_FLAG) || (req & ASC_REQ_REPLAY_DETECT))
        ret |= ASC_RET_REPLAY_DETECT;
    if ((gss_flags & NG_GSS_C_SEQUENCE_FLAG) || (req & ASC_REQ_SEQUENCE_DETECT))
        ret |= ASC_RET_SEQUENCE_DETECT;
    if (gss_flags & NG_GSS_C_CONF_FLAG)
        ret |= ASC_RET_CONFIDENTIALITY;
    if (gss_flags & NG_GSS_C_INTEG_FLAG)
        ret |= ASC_RET_INTEGRITY;
    if (gss_flags & NG_GSS_C_IDENTIFY_FLAG)
        ret |= ASC_RET_IDENTIFY;
    ret |= req & (ASC_REQ_CONNECTION | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOW_CONTEXT_REPLAY);
    return ret;
}

ng_status ng_krb5_accept(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                         struct ng_writer *out)
{
    ng_status status = NG_OK;
    struct accept_state s = {0};
    struct ng_slice ap_req;
    struct ng_krb5_ap_req req;
    struct ng_gss_checksum gss;
    if (ctx->creds->keys == NULL)
        return NG_ERR_WRONG_CRED_HANDLE; /* outbound-only credentials cannot accept */
    NG_GUARD(ng_krb5_thread_context(&s.kctx));
    NG_GUARD(ng_krb5_unframe(token, NG_KRB5_TOK_AP_REQ, &ap_req));
    NG_GUARD(ng_krb5_ap_req_parse(ap_req, &req));
    NG_GUARD_CLEANUP(decrypt_ap_req(&s, ctx, ap_req, &req));
    NG_GUARD_CLEANUP(check_checksum(&s, bindings, &gss));
    NG_GUARD_CLEANUP(check_replay(&s, ctx, &req));
    bool mutual = (req.ap_options & NG_AP_OPTS_MUTUAL_REQUIRED) != 0;
    krb5_enctype enctype = s.ticket->enc_part2->session->enctype;
    bool made_subkey = false;
    if (mutual)
        NG_GUARD_CLEANUP(make_ap_rep(&s, enctype, out, &made_subkey));
    NG_GUARD_CLEANUP(ng_krb5_acceptor_key(s.kctx, s.ac, s.ticket, made_subkey, &s.context_key));
    NG_GUARD_CLEANUP(ng_krb5_session_capture(s.kctx, s.ac, s.context_key, made_subkey,
                                             &s.ticket->enc_part2->times, &ctx->krb));
    NG_GUARD_CLEANUP(ng_krb5_session_names(s.kctx, s.ticket, &ctx->client_name, &ctx->server_name));
    ctx->krb.gss_flags = gss.flags;
    ctx->ret_flags = accept_ret_flags(ctx->req_flags, gss.flags, mutual);
    NG_GUARD_CLEANUP(keep_delegation(&s, ctx, &gss));
    ctx->state = NG_CTX_COMPLETE;
cleanup:
    accept_state_free(&s);
    return status;
}
