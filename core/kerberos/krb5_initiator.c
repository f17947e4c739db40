#include "krb5_initiator.h"

#include <string.h>

#include "alloc.h"
#include "gss_framing.h"
#include "krb5_credentials.h"
#include "krb5_gss_checksum.h"
#include "krb5_state.h"
#include "krb5_thread.h"
#include "krb5_token.h"
#include "reader.h"

static uint32_t gss_flags_for(ULONG isc_req)
{
    uint32_t flags = 0;
    if (isc_req & ISC_REQ_MUTUAL_AUTH)
        flags |= NG_GSS_C_MUTUAL_FLAG;
    if (isc_req & ISC_REQ_REPLAY_DETECT)
        flags |= NG_GSS_C_REPLAY_FLAG;
    if (isc_req & ISC_REQ_SEQUENCE_DETECT)
        flags |= NG_GSS_C_SEQUENCE_FLAG;
    if (isc_req & ISC_REQ_CONFIDENTIALITY)
        flags |= NG_GSS_C_CONF_FLAG | NG_GSS_C_INTEG_FLAG;
    if (isc_req & ISC_REQ_INTEGRITY)
        flags |= NG_GSS_C_INTEG_FLAG;
    if (isc_req & ISC_REQ_IDENTIFY)
        flags |= NG_GSS_C_IDENTIFY_FLAG;
    return flags;
}

/* What the context offers once the AP-REQ is sent. ISC_RET_MUTUAL_AUTH is not among them: it is
 * earned only by a verified AP-REP (ng_krb5_initiate_finish), and callers (the SPNEGO layer) test
 * it to know whether that AP-REP is still due. Confidentiality implies integrity, as the
 * checksum's flags tell the acceptor (RFC 4121 §4.1.1.1). */
static ULONG isc_ret_flags(ULONG isc_req)
{
    ULONG ret = isc_req & (ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT |
                           ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_CONNECTION |
                           ISC_REQ_IDENTIFY | ISC_REQ_EXTENDED_ERROR);
    if (gss_flags_for(isc_req) & NG_GSS_C_INTEG_FLAG)
        ret |= ISC_RET_INTEGRITY;
    return ret;
}

/* Everything the first leg holds from libkrb5 at once. */
struct initiate_state {
    krb5_context kctx;
    krb5_ccache cc;
    krb5_creds in;
    krb5_creds *service_creds;
    krb5_data ap_req;
    krb5_keyblock *subkey;
};

static void initiate_state_free(struct initiate_state *s)
{
    krb5_free_keyblock(s->kctx, s->subkey);
    krb5_free_data_contents(s->kctx, &s->ap_req);
    krb5_free_creds(s->kctx, s->service_creds);
    krb5_free_cred_contents(s->kctx, &s->in);
    if (s->cc != NULL)
        krb5_cc_close(s->kctx, s->cc);
}

static ng_status get_service_ticket(struct initiate_state *s, const struct ng_context *ctx)
{
    const struct ng_krb5_credentials *kc = ng_krb5_credentials_of(ctx->creds);
    const char *ccache = kc != NULL ? kc->ccache_name : NULL;
    if (ccache == NULL)
        return NG_ERR_NO_CREDENTIALS;
    if (krb5_cc_resolve(s->kctx, ccache, &s->cc) != 0 ||
        krb5_cc_get_principal(s->kctx, s->cc, &s->in.client) != 0)
        return NG_ERR_NO_CREDENTIALS;
    if (krb5_parse_name(s->kctx, ctx->target_name, &s->in.server) != 0)
        return NG_ERR_TARGET_UNKNOWN;
    krb5_error_code code = krb5_get_credentials(s->kctx, 0, s->cc, &s->in, &s->service_creds);
    if (code == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN)
        return NG_ERR_TARGET_UNKNOWN;
    return code == 0 ? NG_OK : ng_krb5_status(code);
}

static ng_status make_ap_req(struct initiate_state *s, struct ng_context *ctx,
                             struct ng_krb5_state *st, struct ng_slice bindings)
{
    uint8_t hash[16];
    NG_GUARD(ng_channel_bindings_hash(bindings, hash));
    uint8_t cksum_buf[32];
    struct ng_writer cw = ng_writer_fixed(cksum_buf, sizeof(cksum_buf));
    ng_gss_checksum_write(&cw, hash, gss_flags_for(ctx->req_flags), NG_SLICE_EMPTY);
    NG_GUARD(ng_writer_status(&cw));
    krb5_data cksum = {KV5M_DATA, (unsigned int)cw.len, (char *)cksum_buf};
    krb5_flags options = AP_OPTS_USE_SUBKEY;
    if (ctx->req_flags & ISC_REQ_MUTUAL_AUTH)
        options |= AP_OPTS_MUTUAL_REQUIRED;
    krb5_auth_context ac = NULL;
    krb5_error_code code = krb5_auth_con_init(s->kctx, &ac);
    if (code == 0)
        code = krb5_auth_con_setflags(s->kctx, ac, KRB5_AUTH_CONTEXT_DO_SEQUENCE);
    if (code == 0)
        code = krb5_auth_con_set_req_cksumtype(s->kctx, ac, NG_GSS_CHECKSUM_TYPE);
    if (code == 0)
        code = krb5_mk_req_extended(s->kctx, &ac, options, &cksum, s->service_creds, &s->ap_req);
    if (code == 0)
        code = krb5_auth_con_getsendsubkey(s->kctx, ac, &s->subkey);
    st->initiator_auth = ac;
    return ng_krb5_status(code);
}

/* The auth context is only needed until the AP-REP is checked; dropping it then means a finished
 * context holds nothing of libkrb5, and whichever thread frees it later needs no krb5_context. */
static void drop_auth_context(struct ng_krb5_state *st, krb5_context kctx)
{
    if (st->initiator_auth != NULL)
        krb5_auth_con_free(kctx, st->initiator_auth);
    st->initiator_auth = NULL;
}

static ng_status send_ap_req(struct ng_context *ctx, struct ng_krb5_state *st,
                             struct ng_slice bindings, struct ng_writer *out)
{
    ng_status status = NG_OK;
    struct initiate_state s = {0};
    NG_GUARD(ng_krb5_thread_context(&s.kctx));
    NG_GUARD_CLEANUP(get_service_ticket(&s, ctx));
    NG_GUARD_CLEANUP(make_ap_req(&s, ctx, st, bindings));
    ng_krb5_frame(out, NG_KRB5_TOK_AP_REQ, ng_slice_of(s.ap_req.data, s.ap_req.length));
    NG_GUARD_CLEANUP(ng_writer_status(out));
    NG_GUARD_CLEANUP(ng_krb5_unparse(s.kctx, s.service_creds->client, &ctx->client_name));
    NG_GUARD_CLEANUP(ng_krb5_unparse(s.kctx, s.service_creds->server, &ctx->server_name));
    const krb5_keyblock *key = s.subkey ? s.subkey : &s.service_creds->keyblock;
    NG_GUARD_CLEANUP(ng_krb5_session_capture(s.kctx, st->initiator_auth, key, false, &st->session));
    ng_krb5_take_times(ctx, &st->session, &s.service_creds->times);
    st->session.gss_flags = gss_flags_for(ctx->req_flags);
    ctx->ret_flags = isc_ret_flags(ctx->req_flags);
    if (!(ctx->req_flags & ISC_REQ_MUTUAL_AUTH)) {
        st->session.recv_seq = st->session.send_seq; /* RFC 4121 §4.1: no AP-REP, one sequence */
        st->established = true;
        status = NG_OK;
    } else {
        status = NG_CONTINUE;
    }
cleanup:
    if (status != NG_CONTINUE)
        drop_auth_context(st, s.kctx); /* no AP-REP will come */
    initiate_state_free(&s);
    return status;
}

/* Checks the AP-REP with this thread's krb5_context (a krb5_context must not be shared between
 * threads, and the second leg may run on another thread than the first; the auth context itself
 * is not tied to a krb5_context). */
static ng_status verify_ap_rep(struct ng_krb5_state *st, krb5_context kctx, struct ng_slice token)
{
    struct ng_krb5_session *session = &st->session;
    struct ng_slice message;
    krb5_ap_rep_enc_part *repl = NULL;
    krb5_keyblock *recv_subkey = NULL;
    NG_GUARD(ng_krb5_unframe(token, NG_KRB5_TOK_AP_REP, &message));
    krb5_data ap_rep = {KV5M_DATA, (unsigned int)message.len, (char *)message.ptr};
    krb5_error_code code = krb5_rd_rep(kctx, st->initiator_auth, &ap_rep, &repl);
    if (code != 0)
        return code == KRB5KRB_AP_ERR_BAD_INTEGRITY ? NG_ERR_MESSAGE_ALTERED : ng_krb5_status(code);
    krb5_free_ap_rep_enc_part(kctx, repl);
    code = krb5_auth_con_getrecvsubkey(kctx, st->initiator_auth, &recv_subkey);
    ng_status status = ng_krb5_status(code);
    if (status == NG_OK && recv_subkey != NULL && recv_subkey->length > sizeof(session->key))
        status = NG_ERR_UNSUPPORTED;
    bool acceptor_subkey =
        recv_subkey != NULL && (recv_subkey->length != session->key_len ||
                                memcmp(recv_subkey->contents, session->key, session->key_len) != 0);
    krb5_int32 remote_seq = 0;
    krb5_auth_con_getremoteseqnumber(kctx, st->initiator_auth, &remote_seq);
    if (status == NG_OK && acceptor_subkey) {
        memcpy(session->key, recv_subkey->contents, recv_subkey->length);
        session->key_len = recv_subkey->length;
        session->enctype = recv_subkey->enctype;
        session->acceptor_subkey = true;
    }
    session->recv_seq = (uint32_t)remote_seq;
    krb5_free_keyblock(kctx, recv_subkey);
    return status;
}

static ng_status check_ap_rep(struct ng_context *ctx, struct ng_krb5_state *st,
                              struct ng_slice token)
{
    krb5_context kctx;
    if (st->initiator_auth == NULL)
        return NG_ERR_NO_CONTEXT;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    ng_status status = verify_ap_rep(st, kctx, token);
    /* One AP-REP per context: after a failed check the context is failed too. */
    drop_auth_context(st, kctx);
    if (status == NG_OK) {
        ctx->ret_flags |= ISC_RET_MUTUAL_AUTH;
        st->established = true;
    }
    return status;
}

ng_status ng_krb5_initiate(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                           struct ng_writer *out)
{
    struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    if (st != NULL)
        return check_ap_rep(ctx, st, token);
    NG_GUARD(ng_krb5_state_get(ctx, &st));
    return send_ap_req(ctx, st, bindings, out);
}
