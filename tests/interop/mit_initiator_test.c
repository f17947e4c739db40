/* negring's acceptor against MIT's GSSAPI as the initiator: SPNEGO and raw krb5, mutual and
 * not, channel bindings, the SPNEGO mechListMIC exchange (RFC 4178 §5) and replay detection. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "gss_peer.h"
#include "realm.h"
#include "spnego.h"
#include "writer.h"

static struct ng_test_realm realm;
static CredHandle negotiate_cred, kerberos_cred;

static const ULONG base_req =
    ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT;
static const OM_uint32 client_flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
                                      GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;

static int64_t unix_from_timestamp(TimeStamp ts)
{
    return ts.QuadPart / 10000000 - INT64_C(11644473600);
}

static void check_names(PCtxtHandle ctx)
{
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, "alice@NEGRING.TEST") == 0);
    FreeContextBuffer(names.sUserName);

    SecPkgContext_NativeNamesA native = {0};
    CHECK_EQ(QueryContextAttributesA(ctx, SECPKG_ATTR_NATIVE_NAMES, &native), SEC_E_OK);
    CHECK(native.sClientName != NULL && strcmp(native.sClientName, "alice@NEGRING.TEST") == 0);
    CHECK(native.sServerName != NULL &&
          strcmp(native.sServerName, "HTTP/localhost@NEGRING.TEST") == 0);
    FreeContextBuffer(native.sClientName);
    FreeContextBuffer(native.sServerName);

    SecPkgContext_NegotiationInfoA info = {0};
    CHECK_EQ(QueryContextAttributesA(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &info), SEC_E_OK);
    CHECK(info.PackageInfo != NULL && strcmp(info.PackageInfo->Name, "Kerberos") == 0);
    CHECK_EQ(info.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    FreeContextBuffer(info.PackageInfo);
}

/* ptsTimeStamp is the ticket's end time: what the initiator sees as its context lifetime. */
static void check_expiry(PCtxtHandle ctx, const struct ng_accept_leg *leg,
                         const struct ng_gss_initiator *c)
{
    CHECK(leg->expiry.QuadPart != NG_PEER_EXPIRY_SENTINEL);
    int64_t end = unix_from_timestamp(leg->expiry);
    int64_t client_end = (int64_t)time(NULL) + c->time_rec;
    CHECK(end >= client_end - 2 && end <= client_end + 2);
    SecPkgContext_Lifespan life;
    CHECK_EQ(QueryContextAttributesA(ctx, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    CHECK_EQ(life.tsExpiry.QuadPart, leg->expiry.QuadPart);
}

static void test_spnego_mutual(void)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, client_flags,
                                  NULL) == 0);
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    CHECK_EQ(ng_handshake(&negotiate_cred, &c, base_req, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(legs, 1);
    CHECK(leg->out_len > 0);
    CHECK_EQ(c.major, GSS_S_COMPLETE);
    CHECK(leg->attrs & ASC_RET_MUTUAL_AUTH);
    CHECK(leg->attrs & ASC_RET_CONFIDENTIALITY);
    CHECK(leg->attrs & ASC_RET_INTEGRITY);
    CHECK(leg->attrs & ASC_RET_REPLAY_DETECT);
    CHECK(leg->attrs & ASC_RET_SEQUENCE_DETECT);
    CHECK(!(leg->attrs & ASC_RET_ALLOCATED_MEMORY));
    CHECK(c.ret_flags & GSS_C_MUTUAL_FLAG);
    if (leg->status == SEC_E_OK) {
        check_names(&ctx);
        check_expiry(&ctx, leg, &c);
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    }
    free(leg);
    ng_gss_initiator_free(&c);
}

static void krb5_raw_on(PCredHandle cred)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_krb5, client_flags,
                                  NULL) == 0);
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    CHECK_EQ(ng_handshake(cred, &c, base_req, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(legs, 1);
    CHECK(leg->out_len > 2 && leg->out[0] == 0x60); /* a GSS-framed AP-REP */
    CHECK_EQ(c.major, GSS_S_COMPLETE);
    CHECK(leg->attrs & ASC_RET_MUTUAL_AUTH);
    if (leg->status == SEC_E_OK) {
        check_names(&ctx);
        check_expiry(&ctx, leg, &c);
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    }
    free(leg);
    ng_gss_initiator_free(&c);
}

static void test_krb5_raw_on_negotiate(void)
{
    krb5_raw_on(&negotiate_cred);
}

static void test_krb5_raw_on_kerberos(void)
{
    krb5_raw_on(&kerberos_cred);
}

/* Without mutual authentication the acceptor has no mechanism token to return; a SPNEGO peer
 * still gets the NegTokenResp that says accept-completed (and names the mechanism, which RFC
 * 4178 §4.2.2 wants in the first reply). */
static void test_spnego_without_mutual(void)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, GSS_C_INTEG_FLAG,
                                  NULL) == 0);
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    CHECK_EQ(ng_handshake(&negotiate_cred, &c, 0, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(legs, 1);
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok), NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_RESP);
    CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ACCEPT_COMPLETED);
    CHECK(!tok.resp.has_response_token);
    CHECK(!tok.resp.has_mech_list_mic);
    CHECK(!(leg->attrs & ASC_RET_MUTUAL_AUTH));
    CHECK_EQ(c.major, GSS_S_COMPLETE);
    if (leg->status == SEC_E_OK) {
        check_names(&ctx);
        DeleteSecurityContext(&ctx);
    }
    free(leg);
    ng_gss_initiator_free(&c);
}

static void test_krb5_without_mutual(void)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_krb5, GSS_C_INTEG_FLAG,
                                  NULL) == 0);
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    CHECK_EQ(ng_handshake(&kerberos_cred, &c, 0, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(legs, 1);
    CHECK_EQ(leg->out_len, 0);
    CHECK(!(leg->attrs & ASC_RET_MUTUAL_AUTH));
    CHECK_EQ(c.major, GSS_S_COMPLETE);
    if (leg->status == SEC_E_OK)
        DeleteSecurityContext(&ctx);
    free(leg);
    ng_gss_initiator_free(&c);
}

static SECURITY_STATUS bindings_handshake(gss_OID mech, const char *client_app,
                                          const char *server_app)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", mech, client_flags, NULL) == 0);
    ng_gss_initiator_set_bindings(&c, client_app, strlen(client_app));
    size_t cb_len;
    unsigned char *cb = ng_sec_bindings_new(server_app, strlen(server_app), &cb_len);
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    SECURITY_STATUS st = ng_handshake(&negotiate_cred, &c, base_req, cb, cb_len, &ctx, leg, &legs);
    if (st == SEC_E_OK)
        CHECK_EQ(c.major, GSS_S_COMPLETE);
    if (SecIsValidHandle(&ctx))
        DeleteSecurityContext(&ctx);
    free(cb);
    free(leg);
    ng_gss_initiator_free(&c);
    return st;
}

static void test_channel_bindings_match(void)
{
    CHECK_EQ(bindings_handshake((gss_OID)gss_mech_spnego, "tls-server-end-point:abcdef",
                                "tls-server-end-point:abcdef"),
             SEC_E_OK);
    CHECK_EQ(bindings_handshake((gss_OID)gss_mech_krb5, "tls-unique:0123", "tls-unique:0123"),
             SEC_E_OK);
}

static void test_channel_bindings_differ(void)
{
    CHECK_EQ(bindings_handshake((gss_OID)gss_mech_spnego, "tls-server-end-point:abcdef",
                                "tls-server-end-point:abcdeF"),
             SEC_E_BAD_BINDINGS);
    CHECK_EQ(bindings_handshake((gss_OID)gss_mech_krb5, "tls-unique:0123", "tls-unique:9999"),
             SEC_E_BAD_BINDINGS);
}

/* ---- the mechListMIC exchange, with a NegTokenInit built here ---------------------------- */

static const enum ng_mech negoex_first[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};

static struct ng_writer mech_list_der(const enum ng_mech *mechs, size_t n)
{
    struct ng_writer w = ng_writer_growable();
    REQUIRE(ng_spnego_write_mech_list(&w, mechs, n) == NG_OK);
    return w;
}

static gss_buffer_desc get_mic(struct ng_gss_initiator *c, struct ng_slice msg)
{
    gss_buffer_desc in = {msg.len, (void *)msg.ptr}, mic = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor;
    OM_uint32 major = gss_get_mic(&minor, c->ctx, GSS_C_QOP_DEFAULT, &in, &mic);
    CHECK_EQ(major, GSS_S_COMPLETE);
    return mic;
}

enum mic_tamper { MIC_INTACT, MIC_OTHER_LIST, MIC_FLIPPED };

/* The initiator offers NEGOEX first and Kerberos second, with the krb5 AP-REQ as the optimistic
 * token (which the acceptor must ignore: it belongs to NEGOEX). The acceptor picks Kerberos and
 * asks for the MIC; the AP-REQ follows in a NegTokenResp. `mutual`: the initiator can only make
 * its MIC once the AP-REP arrived, so the MIC goes in a third message. */
static SECURITY_STATUS request_mic_exchange(bool mutual, enum mic_tamper tamper)
{
    struct ng_gss_initiator c;
    OM_uint32 flags = GSS_C_INTEG_FLAG | (mutual ? GSS_C_MUTUAL_FLAG : 0);
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_krb5, flags, NULL) == 0);
    gss_buffer_desc ap_req, mic = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &ap_req)));
    struct ng_writer list = mech_list_der(negoex_first, 2);
    struct ng_writer msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&msg, negoex_first, 2, ng_slice_of(ap_req.value, ap_req.length),
                                 NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    SecInvalidateHandle(&ctx);
    SECURITY_STATUS result = SEC_E_INTERNAL_ERROR;

    /* Leg 1: request-mic, Kerberos chosen, no token. */
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &negotiate_cred, .ctx_out = &ctx, .in = msg.buf, .in_len = msg.len},
        leg);
    CHECK_EQ(leg->status, SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(leg->expiry.QuadPart, NG_PEER_EXPIRY_SENTINEL);
    CHECK_EQ(leg->attrs & ~(ULONG)ASC_RET_ALLOCATED_MEMORY, 0);
    struct ng_spnego_token tok;
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    REQUIRE(ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) == NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_RESP);
    CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_REQUEST_MIC);
    CHECK_EQ(tok.resp.supported_mech, NG_MECH_KRB5);
    CHECK(!tok.resp.has_response_token);

    /* Leg 2: the AP-REQ (and, without mutual auth, the initiator's MIC already). */
    struct ng_slice list_der = ng_writer_slice(&list);
    if (tamper == MIC_OTHER_LIST) {
        static const enum ng_mech krb5_only[] = {NG_MECH_KRB5};
        struct ng_writer other = mech_list_der(krb5_only, 1);
        if (!mutual)
            mic = get_mic(&c, ng_writer_slice(&other));
        ng_writer_free(&list);
        list = other;
        list_der = ng_writer_slice(&list);
    } else if (!mutual) {
        mic = get_mic(&c, list_der);
    }
    if (tamper == MIC_FLIPPED && mic.length > 0)
        ((uint8_t *)mic.value)[mic.length - 1] ^= 1;
    ng_writer_free(&msg);
    msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_resp(&msg, NG_NEG_STATE_ABSENT, NG_MECH_NONE,
                                 ng_slice_of(ap_req.value, ap_req.length),
                                 ng_slice_of(mic.value, mic.length)) == NG_OK);
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate_cred,
                                               .ctx_in = &ctx,
                                               .ctx_out = &ctx,
                                               .in = msg.buf,
                                               .in_len = msg.len},
                      leg);
    if (!mutual) {
        result = leg->status;
        if (leg->status == SEC_E_OK) {
            REQUIRE(ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) == NG_OK);
            CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ACCEPT_COMPLETED);
            CHECK(tok.resp.has_mech_list_mic);
            gss_buffer_desc in = {list_der.len, (void *)list_der.ptr};
            gss_buffer_desc their = {tok.resp.mech_list_mic.len,
                                     (void *)tok.resp.mech_list_mic.ptr};
            CHECK_EQ(gss_verify_mic(&minor, c.ctx, &in, &their, NULL), GSS_S_COMPLETE);
        }
        goto done;
    }
    CHECK_EQ(leg->status, SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(leg->expiry.QuadPart, NG_PEER_EXPIRY_SENTINEL);
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    REQUIRE(ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) == NG_OK);
    CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ACCEPT_INCOMPLETE);
    CHECK(tok.resp.has_response_token);
    CHECK(tok.resp.has_mech_list_mic);
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    CHECK_EQ(
        ng_gss_initiator_step(&c, tok.resp.response_token.ptr, tok.resp.response_token.len, &out),
        GSS_S_COMPLETE);
    gss_release_buffer(&minor, &out);
    if (tamper == MIC_INTACT) {
        gss_buffer_desc in = {list_der.len, (void *)list_der.ptr};
        gss_buffer_desc their = {tok.resp.mech_list_mic.len, (void *)tok.resp.mech_list_mic.ptr};
        CHECK_EQ(gss_verify_mic(&minor, c.ctx, &in, &their, NULL), GSS_S_COMPLETE);
    }

    /* Leg 3: the initiator's MIC. */
    mic = get_mic(&c, list_der);
    if (tamper == MIC_FLIPPED && mic.length > 0)
        ((uint8_t *)mic.value)[mic.length - 1] ^= 1;
    ng_writer_free(&msg);
    msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_resp(&msg, NG_NEG_STATE_ABSENT, NG_MECH_NONE, NG_SLICE_EMPTY,
                                 ng_slice_of(mic.value, mic.length)) == NG_OK);
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate_cred,
                                               .ctx_in = &ctx,
                                               .ctx_out = &ctx,
                                               .in = msg.buf,
                                               .in_len = msg.len},
                      leg);
    result = leg->status;
    if (result == SEC_E_OK) {
        CHECK_EQ(leg->out_len, 0);
        CHECK(leg->attrs & ASC_RET_MUTUAL_AUTH);
        CHECK(leg->expiry.QuadPart != NG_PEER_EXPIRY_SENTINEL);
        check_names(&ctx);
    } else {
        CHECK_EQ(leg->expiry.QuadPart, NG_PEER_EXPIRY_SENTINEL);
    }
done:
    if (SecIsValidHandle(&ctx))
        DeleteSecurityContext(&ctx);
    gss_release_buffer(&minor, &mic);
    gss_release_buffer(&minor, &ap_req);
    ng_writer_free(&msg);
    ng_writer_free(&list);
    free(leg);
    ng_gss_initiator_free(&c);
    return result;
}

static void test_request_mic_mutual(void)
{
    CHECK_EQ(request_mic_exchange(true, MIC_INTACT), SEC_E_OK);
}

static void test_request_mic_without_mutual(void)
{
    CHECK_EQ(request_mic_exchange(false, MIC_INTACT), SEC_E_OK);
}

static void test_request_mic_downgrade_detected(void)
{
    CHECK_EQ(request_mic_exchange(true, MIC_OTHER_LIST), SEC_E_MESSAGE_ALTERED);
    CHECK_EQ(request_mic_exchange(false, MIC_OTHER_LIST), SEC_E_MESSAGE_ALTERED);
}

static void test_request_mic_tampered(void)
{
    CHECK_EQ(request_mic_exchange(true, MIC_FLIPPED), SEC_E_MESSAGE_ALTERED);
    CHECK_EQ(request_mic_exchange(false, MIC_FLIPPED), SEC_E_MESSAGE_ALTERED);
}

/* MIT's own SPNEGO cannot be made to offer another mechanism first: with a krb5 credential
 * MIT 1.20 proposes only mechanisms without GSS_C_MA_DEPRECATED / GSS_C_MA_NOT_DFLT_MECH, which
 * leaves krb5 alone (gss_set_neg_mechs with krb5_old or IAKERB first still sends [krb5]). So
 * the request-mic path above uses a NegTokenInit built here.
 *
 * What Windows clients send: the legacy Microsoft krb5 OID first, the RFC OID second, and the
 * AP-REQ (framed with the RFC OID) as the optimistic token. The first mechanism is taken, so no
 * MIC is needed and the reply names the Microsoft OID. */
static void test_microsoft_krb5_oid_first(void)
{
    static const enum ng_mech ms_first[] = {NG_MECH_KRB5_MS, NG_MECH_KRB5};
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_krb5, client_flags,
                                  NULL) == 0);
    gss_buffer_desc ap_req, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &ap_req)));
    struct ng_writer msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&msg, ms_first, 2, ng_slice_of(ap_req.value, ap_req.length),
                                 NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate_cred,
                                               .ctx_out = &ctx,
                                               .in = msg.buf,
                                               .in_len = msg.len,
                                               .req = base_req},
                      leg);
    CHECK_EQ(leg->status, SEC_E_OK);
    struct ng_spnego_token tok;
    if (leg->status == SEC_E_OK &&
        ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) == NG_OK) {
        CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ACCEPT_COMPLETED);
        CHECK_EQ(tok.resp.supported_mech, NG_MECH_KRB5_MS);
        CHECK(!tok.resp.has_mech_list_mic);
        CHECK(tok.resp.has_response_token);
        CHECK_EQ(ng_gss_initiator_step(&c, tok.resp.response_token.ptr, tok.resp.response_token.len,
                                       &out),
                 GSS_S_COMPLETE);
        check_names(&ctx);
        DeleteSecurityContext(&ctx);
    } else {
        CHECK(0);
    }
    gss_release_buffer(&minor, &out);
    gss_release_buffer(&minor, &ap_req);
    ng_writer_free(&msg);
    free(leg);
    ng_gss_initiator_free(&c);
}

/* ---- replay ------------------------------------------------------------------------------ */

static void accept_twice(ULONG req, SECURITY_STATUS *first, SECURITY_STATUS *second)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, client_flags,
                                  NULL) == 0);
    gss_buffer_desc tok;
    OM_uint32 minor;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)));
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle a, b;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate_cred,
                                               .ctx_out = &a,
                                               .in = tok.value,
                                               .in_len = tok.length,
                                               .req = req},
                      leg);
    *first = leg->status;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &negotiate_cred,
                                               .ctx_out = &b,
                                               .in = tok.value,
                                               .in_len = tok.length,
                                               .req = req},
                      leg);
    *second = leg->status;
    if (*first == SEC_E_OK || *first == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&a);
    if (*second == SEC_E_OK || *second == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&b);
    gss_release_buffer(&minor, &tok);
    free(leg);
    ng_gss_initiator_free(&c);
}

static void test_replay_refused(void)
{
    SECURITY_STATUS first, second;
    accept_twice(base_req, &first, &second);
    CHECK_EQ(first, SEC_E_OK);
    CHECK_EQ(second, SEC_E_LOGON_DENIED);
}

static void test_replay_allowed_with_allow_context_replay(void)
{
    SECURITY_STATUS first, second;
    accept_twice(base_req | ASC_REQ_ALLOW_CONTEXT_REPLAY, &first, &second);
    CHECK_EQ(first, SEC_E_OK);
    CHECK_EQ(second, SEC_E_OK);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &negotiate_cred) == SEC_E_OK);
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", NULL, 0, &kerberos_cred) == SEC_E_OK);
    RUN(test_spnego_mutual);
    RUN(test_krb5_raw_on_negotiate);
    RUN(test_krb5_raw_on_kerberos);
    RUN(test_spnego_without_mutual);
    RUN(test_krb5_without_mutual);
    RUN(test_channel_bindings_match);
    RUN(test_channel_bindings_differ);
    RUN(test_request_mic_mutual);
    RUN(test_request_mic_without_mutual);
    RUN(test_request_mic_downgrade_detected);
    RUN(test_request_mic_tampered);
    RUN(test_microsoft_krb5_oid_first);
    RUN(test_replay_refused);
    RUN(test_replay_allowed_with_allow_context_replay);
    FreeCredentialsHandle(&negotiate_cred);
    FreeCredentialsHandle(&kerberos_cred);
    ng_test_realm_stop(&realm);
    return check_report();
}
