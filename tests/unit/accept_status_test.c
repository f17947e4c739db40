/* Every return code of AcceptSecurityContext (Negotiate), each produced by a real situation,
 * and what each ASC_REQ flag on the reference page does. MIT's GSSAPI (or libkrb5 directly,
 * where a client must misbehave: a skewed clock, an expired ticket, chosen GSS flags) plays the
 * client against throwaway realms. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "gss_framing.h"
#include "gss_peer.h"
#include "krb5_gss_checksum.h"
#include "krb5_token.h"
#include "mech_oid.h"
#include "realm.h"
#include "spnego.h"
#include "writer.h"

static struct ng_test_realm realm;
static CredHandle cred; /* Negotiate, INBOUND, the realm's service.keytab */

static const OM_uint32 mutual_flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG;
static const uint8_t spnego_reject[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x02};

/* A Kerberos failure under ASC_REQ_EXTENDED_ERROR: a SPNEGO reject carrying a KRB-ERROR token
 * (core/kerberos/krb5_error_token.c, written by core/negotiate/negotiate_acceptor.c; its contents
 * are checked in tests/unit/krb5_error_token_test.c). */
static bool is_reject_with_krb_error(const struct ng_accept_leg *leg)
{
    struct ng_spnego_token tok;
    struct ng_slice krb_error;
    return ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) == NG_OK &&
           tok.kind == NG_SPNEGO_RESP && tok.resp.neg_state == NG_NEG_STATE_REJECT &&
           ng_krb5_unframe(tok.resp.response_token, NG_KRB5_TOK_ERROR, &krb_error) == NG_OK;
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* A fresh first token from MIT for HTTP@host (default ccache unless `ccache`). */
static gss_buffer_desc client_token(gss_OID mech, OM_uint32 flags, const char *host,
                                    const char *ccache)
{
    struct ng_gss_initiator c;
    char service[128];
    snprintf(service, sizeof(service), "HTTP@%s", host ? host : "localhost");
    REQUIRE(ng_gss_initiator_init(&c, service, mech, flags, ccache) == 0);
    gss_buffer_desc tok;
    if (GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)))
        ng_gss_initiator_report(&c, "client_token");
    REQUIRE(!GSS_ERROR(c.major));
    ng_gss_initiator_free(&c);
    return tok;
}

static void release(gss_buffer_desc *b)
{
    OM_uint32 minor;
    gss_release_buffer(&minor, b);
}

/* One first-leg accept of `tok`; the context is deleted afterwards. */
static SECURITY_STATUS accept_once(PCredHandle c, const void *tok, size_t len, ULONG req,
                                   struct ng_accept_leg *leg)
{
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = c, .ctx_out = &ctx, .in = tok, .in_len = len, .req = req},
        leg);
    if (leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    return leg->status;
}

static SECURITY_STATUS accept_token(PCredHandle c, gss_buffer_desc tok, ULONG req, ULONG *attrs)
{
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    SECURITY_STATUS st = accept_once(c, tok.value, tok.length, req, leg);
    if (attrs != NULL)
        *attrs = leg->attrs;
    free(leg);
    return st;
}

/* A GSS-framed krb5 AP-REQ made with libkrb5 directly: a client with its clock `offset`
 * seconds off, asserting `gss_flags` in the RFC 4121 checksum. With `wait_expiry` it sleeps
 * until the service ticket has expired (by more than a second) before making the AP-REQ. */
static int raw_ap_req(const char *ccache, const char *service, long offset, uint32_t gss_flags,
                      bool wait_expiry, struct ng_writer *out)
{
    krb5_context k;
    krb5_ccache cc = NULL;
    krb5_creds in = {0}, *creds = NULL;
    krb5_auth_context ac = NULL;
    krb5_data ap = {0};
    struct ng_writer ck = ng_writer_growable();
    int rc = -1;
    if (krb5_init_context(&k) != 0)
        return -1;
    if (krb5_cc_resolve(k, ccache, &cc) != 0 || krb5_cc_get_principal(k, cc, &in.client) != 0 ||
        krb5_parse_name(k, service, &in.server) != 0 ||
        krb5_get_credentials(k, 0, cc, &in, &creds) != 0)
        goto out;
    while (wait_expiry && time(NULL) <= (time_t)creds->times.endtime + 1)
        usleep(100000);
    if (offset != 0)
        krb5_set_real_time(k, (krb5_timestamp)(time(NULL) + offset), 0);
    static const uint8_t no_bindings[16];
    ng_gss_checksum_write(&ck, no_bindings, gss_flags, NG_SLICE_EMPTY);
    krb5_data ckd = {KV5M_DATA, (unsigned int)ck.len, (char *)ck.buf};
    krb5_flags opts = (gss_flags & NG_GSS_C_MUTUAL_FLAG) ? AP_OPTS_MUTUAL_REQUIRED : 0;
    if (krb5_auth_con_init(k, &ac) != 0 || krb5_auth_con_set_req_cksumtype(k, ac, 0x8003) != 0 ||
        krb5_auth_con_setflags(k, ac, KRB5_AUTH_CONTEXT_DO_SEQUENCE) != 0 ||
        krb5_mk_req_extended(k, &ac, opts, &ckd, creds, &ap) != 0)
        goto out;
    static const uint8_t tok_id[2] = {0x01, 0x00};
    struct ng_slice parts[2] = {ng_slice_of(tok_id, 2), ng_slice_of(ap.data, ap.length)};
    ng_gss_frame_write(out, ng_mech_oid(NG_MECH_KRB5), parts, 2);
    rc = ng_writer_status(out) == NG_OK ? 0 : -1;
out:
    if (rc != 0)
        fprintf(stderr, "raw_ap_req: libkrb5 failed\n");
    ng_writer_free(&ck);
    krb5_free_data_contents(k, &ap);
    if (ac != NULL)
        krb5_auth_con_free(k, ac);
    krb5_free_creds(k, creds);
    krb5_free_cred_contents(k, &in);
    if (cc != NULL)
        krb5_cc_close(k, cc);
    krb5_free_context(k);
    return rc;
}

static SECURITY_STATUS accept_raw(PCredHandle c, uint32_t gss_flags, ULONG req, ULONG *attrs)
{
    struct ng_writer w = ng_writer_growable();
    REQUIRE(raw_ap_req(realm.ccache, realm.service, 0, gss_flags, false, &w) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    SECURITY_STATUS st = accept_once(c, w.buf, w.len, req, leg);
    *attrs = leg->attrs;
    free(leg);
    ng_writer_free(&w);
    return st;
}

/* The realm harness exports the realm it started last; these save and bring back the first. */
static const char *const krb5_env_names[] = {"KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5CCNAME",
                                             "KRB5_KTNAME", "KRB5RCACHEDIR"};
#define NENV (sizeof(krb5_env_names) / sizeof(krb5_env_names[0]))

static void env_save(char *saved[NENV])
{
    for (size_t i = 0; i < NENV; i++) {
        const char *v = getenv(krb5_env_names[i]);
        saved[i] = v ? strdup(v) : NULL;
    }
}

static void env_restore(char *saved[NENV])
{
    for (size_t i = 0; i < NENV; i++) {
        if (saved[i] != NULL)
            setenv(krb5_env_names[i], saved[i], 1);
        else
            unsetenv(krb5_env_names[i]);
        free(saved[i]);
    }
}

/* An accept on a brand-new thread, whose per-thread krb5_context is made from `krb5_config`. */
struct thread_accept {
    PCredHandle cred;
    const void *tok;
    size_t len;
    struct ng_accept_leg *leg;
};

static void *thread_accept_main(void *arg)
{
    struct thread_accept *t = arg;
    accept_once(t->cred, t->tok, t->len, 0, t->leg);
    return NULL;
}

static SECURITY_STATUS accept_on_new_thread(const char *krb5_config, PCredHandle c, const void *tok,
                                            size_t len)
{
    char *saved[NENV];
    env_save(saved);
    setenv("KRB5_CONFIG", krb5_config, 1);
    struct thread_accept t = {c, tok, len, calloc(1, sizeof(struct ng_accept_leg))};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, thread_accept_main, &t) == 0);
    pthread_join(th, NULL);
    env_restore(saved);
    SECURITY_STATUS st = t.leg->status;
    free(t.leg);
    return st;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* ---- SEC_E_OK and SEC_I_CONTINUE_NEEDED --------------------------------------------------- */

static void test_ok_spnego_mutual(void)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, mutual_flags, NULL) == 0);
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    CHECK_EQ(ng_handshake(&cred, &c, 0, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(c.major, GSS_S_COMPLETE);
    /* ptsTimeStamp is written on SEC_E_OK. */
    CHECK(leg->expiry.QuadPart != NG_PEER_EXPIRY_SENTINEL);
    if (leg->status == SEC_E_OK)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(leg);
    ng_gss_initiator_free(&c);
}

/* NEGOEX first, Kerberos second: the acceptor answers request-mic and wants another leg. On that
 * return pfContextAttr carries no security flags and ptsTimeStamp is left alone. */
static void test_continue_needed_request_mic(void)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    gss_buffer_desc krb = client_token(gss_mech_krb5, mutual_flags, NULL, NULL);
    struct ng_writer msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_init(&msg, mechs, 2, ng_slice_of(krb.value, krb.length),
                                 NG_SLICE_EMPTY) == NG_OK);
    ULONG req = ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY |
                ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION;
    for (int allocate = 0; allocate < 2; allocate++) {
        SecBuffer in_buf = {(ULONG)msg.len, SECBUFFER_TOKEN, msg.buf};
        SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_buf};
        uint8_t out_bytes[256];
        SecBuffer out_buf = {allocate ? 0 : sizeof(out_bytes), SECBUFFER_TOKEN,
                             allocate ? NULL : out_bytes};
        SecBufferDesc out = {SECBUFFER_VERSION, 1, &out_buf};
        ULONG attrs = 0xffffffff;
        TimeStamp ts = {.QuadPart = NG_PEER_EXPIRY_SENTINEL};
        CtxtHandle ctx;
        SECURITY_STATUS st =
            AcceptSecurityContext(&cred, NULL, &in, req | (allocate ? ASC_REQ_ALLOCATE_MEMORY : 0),
                                  SECURITY_NATIVE_DREP, &ctx, &out, &attrs, &ts);
        CHECK_EQ(st, SEC_I_CONTINUE_NEEDED);
        CHECK_EQ(attrs, allocate ? ASC_RET_ALLOCATED_MEMORY : 0);
        CHECK_EQ(ts.QuadPart, NG_PEER_EXPIRY_SENTINEL);
        CHECK(out_buf.cbBuffer > 0 && out_buf.pvBuffer != NULL);
        struct ng_spnego_token tok;
        CHECK_EQ(ng_spnego_parse(ng_slice_of(out_buf.pvBuffer, out_buf.cbBuffer), &tok), NG_OK);
        CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_REQUEST_MIC);
        if (allocate)
            CHECK_EQ(FreeContextBuffer(out_buf.pvBuffer), SEC_E_OK);
        if (st == SEC_I_CONTINUE_NEEDED)
            CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    }
    ng_writer_free(&msg);
    release(&krb);
}

/* No client token yet: Negotiate offers its mechanisms in a NegTokenInit2 (MS-SPNG §3.2.5.2),
 * and the client's real first token then completes the context on the same handle. */
static void test_continue_needed_empty_first_input(void)
{
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred, .ctx_out = &ctx}, leg);
    CHECK_EQ(leg->status, SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(leg->attrs, 0);
    CHECK_EQ(leg->expiry.QuadPart, NG_PEER_EXPIRY_SENTINEL);
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok), NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_INIT);
    CHECK(tok.init.has_neg_hints && tok.init.has_hint_name);
    CHECK(tok.init.hint_name.len == strlen(NG_SPNEGO_HINT_NAME) &&
          memcmp(tok.init.hint_name.ptr, NG_SPNEGO_HINT_NAME, tok.init.hint_name.len) == 0);
    CHECK(tok.init.nmechs >= 1 &&
          (tok.init.mechs[0] == NG_MECH_KRB5_MS || tok.init.mechs[0] == NG_MECH_KRB5));
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &cred, .ctx_in = &ctx, .ctx_out = &ctx, .in = t.value, .in_len = t.length},
        leg);
    CHECK_EQ(leg->status, SEC_E_OK);
    CHECK(leg->attrs & ASC_RET_MUTUAL_AUTH);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    release(&t);
    free(leg);
}

/* ---- SEC_E_INVALID_TOKEN ------------------------------------------------------------------- */

static void test_invalid_token_garbage(void)
{
    static const char garbage[] = "Negotiate, but not really";
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, garbage, sizeof(garbage), 0, leg), SEC_E_INVALID_TOKEN);
    CHECK_EQ(leg->out_len, 0);
    CHECK_EQ(leg->expiry.QuadPart, NG_PEER_EXPIRY_SENTINEL);
    /* ASC_REQ_EXTENDED_ERROR: the client is told, with a SPNEGO reject. */
    CHECK_EQ(accept_once(&cred, garbage, sizeof(garbage), ASC_REQ_EXTENDED_ERROR, leg),
             SEC_E_INVALID_TOKEN);
    CHECK_EQ(leg->out_len, sizeof(spnego_reject));
    CHECK_MEM(leg->out, spnego_reject, sizeof(spnego_reject));
    free(leg);
}

static void test_invalid_token_truncated_everywhere(void)
{
    gss_buffer_desc spnego = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    gss_buffer_desc krb = client_token(gss_mech_krb5, mutual_flags, NULL, NULL);
    CredHandle kerberos;
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", NULL, 0, &kerberos) == SEC_E_OK);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int wrong = 0;
    /* Length 0 is the empty first input (a NegTokenInit2 offer), tested above. */
    for (size_t n = 1; n < spnego.length; n++) {
        SECURITY_STATUS st = accept_once(&cred, spnego.value, n, ASC_REQ_EXTENDED_ERROR, leg);
        if (st != SEC_E_INVALID_TOKEN || leg->out_len != sizeof(spnego_reject)) {
            if (wrong++ < 5)
                fprintf(stderr, "spnego truncated to %zu: 0x%x\n", n, (unsigned)st);
        }
    }
    for (size_t n = 0; n < krb.length; n++) {
        SECURITY_STATUS st = accept_once(&kerberos, krb.value, n, 0, leg);
        if (st != SEC_E_INVALID_TOKEN && wrong++ < 10)
            fprintf(stderr, "krb5 truncated to %zu: 0x%x\n", n, (unsigned)st);
    }
    CHECK_EQ(wrong, 0);
    /* The whole tokens were never accepted, so they are not replays. */
    CHECK_EQ(accept_token(&cred, spnego, 0, NULL), SEC_E_OK);
    CHECK_EQ(accept_token(&kerberos, krb, 0, NULL), SEC_E_OK);
    FreeCredentialsHandle(&kerberos);
    free(leg);
    release(&spnego);
    release(&krb);
}

static void test_invalid_token_wrong_tag(void)
{
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    uint8_t *copy = malloc(t.length);
    memcpy(copy, t.value, t.length);
    copy[0] = 0x61; /* [APPLICATION 1] instead of [APPLICATION 0] */
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, copy, t.length, 0, leg), SEC_E_INVALID_TOKEN);
    /* A NegTokenResp cannot start a context. */
    static const uint8_t resp[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x01};
    CHECK_EQ(accept_once(&cred, resp, sizeof(resp), 0, leg), SEC_E_INVALID_TOKEN);
    /* The SPNEGO OID replaced by NTLM's inside the frame. */
    memcpy(copy, t.value, t.length);
    size_t oid_at = copy[1] & 0x80 ? 2 + (copy[1] & 0x7f) : 2;
    copy[oid_at + 2 + 5] ^= 0x40;
    CHECK_EQ(accept_once(&cred, copy, t.length, 0, leg), SEC_E_INVALID_TOKEN);
    free(leg);
    free(copy);
    release(&t);
}

static void test_invalid_token_length_overflow(void)
{
    static const uint8_t huge_len[] = {0x60, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x06,
                                       0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x00};
    static const uint8_t nine_len_octets[] = {0x60, 0x89, 0x01, 0x00, 0x00, 0x00, 0x00,
                                              0x00, 0x00, 0x00, 0x10, 0x06, 0x06, 0x2b,
                                              0x06, 0x01, 0x05, 0x05, 0x02};
    static const uint8_t inner_overflow[] = {0x60, 0x10, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05,
                                             0x02, 0xa0, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00};
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, huge_len, sizeof(huge_len), 0, leg), SEC_E_INVALID_TOKEN);
    CHECK_EQ(accept_once(&cred, nine_len_octets, sizeof(nine_len_octets), 0, leg),
             SEC_E_INVALID_TOKEN);
    CHECK_EQ(
        accept_once(&cred, inner_overflow, sizeof(inner_overflow), ASC_REQ_EXTENDED_ERROR, leg),
        SEC_E_INVALID_TOKEN);
    CHECK_EQ(leg->out_len, sizeof(spnego_reject));
    free(leg);
}

/* ---- SEC_E_INVALID_HANDLE ------------------------------------------------------------------ */

static void test_invalid_handle(void)
{
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(SEC_E_INVALID_HANDLE, (SECURITY_STATUS)0x80090301L);

    /* An empty first input gives a context in progress to play with. */
    CtxtHandle ctx, stale;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred, .ctx_out = &ctx}, leg);
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    stale = ctx;
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);

    /* A credential handle where a context handle goes, and the other way round. */
    CtxtHandle as_ctx = cred;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_in = &as_ctx,
                                               .ctx_out = &as_ctx,
                                               .in = t.value,
                                               .in_len = t.length},
                      leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);
    CredHandle as_cred = ctx;
    CtxtHandle unused;
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &as_cred, .ctx_out = &unused, .in = t.value, .in_len = t.length},
        leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);

    /* Forged handles. */
    CtxtHandle forged = {ctx.dwLower, ctx.dwUpper ^ 1};
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_in = &forged,
                                               .ctx_out = &forged,
                                               .in = t.value,
                                               .in_len = t.length},
                      leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);
    CtxtHandle invalid;
    SecInvalidateHandle(&invalid);
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_in = &invalid,
                                               .ctx_out = &invalid,
                                               .in = t.value,
                                               .in_len = t.length},
                      leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);
    CredHandle bad_cred = {0x1234, 0x5678};
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &bad_cred, .ctx_out = &unused, .in = t.value, .in_len = t.length},
        leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);

    /* Stale after DeleteSecurityContext; deleting twice. */
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &cred, .ctx_in = &stale, .ctx_out = &stale, .in = t.value, .in_len = t.length},
        leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);
    CHECK_EQ(DeleteSecurityContext(&stale), SEC_E_INVALID_HANDLE);
    CHECK_EQ(DeleteSecurityContext(&forged), SEC_E_INVALID_HANDLE);
    CHECK_EQ(DeleteSecurityContext(NULL), SEC_E_INVALID_HANDLE);

    /* A second AcceptSecurityContext after the context completed. */
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = &cred, .ctx_out = &ctx, .in = t.value, .in_len = t.length},
        leg);
    CHECK_EQ(leg->status, SEC_E_OK);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &cred, .ctx_in = &ctx, .ctx_out = &ctx, .in = t.value, .in_len = t.length},
        leg);
    CHECK_EQ(leg->status, SEC_E_INVALID_HANDLE);
    /* ...which leaves the established context usable. */
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    FreeContextBuffer(names.sUserName);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    release(&t);
    free(leg);
}

/* ---- SEC_E_LOGON_DENIED ---------------------------------------------------------------------- */

/* The reason a refused leg reported (SECBUFFER_NEGRING_FAILURE), Kerberos's. */
static void check_reason(const struct ng_accept_leg *leg, ULONG reason)
{
    CHECK_EQ(leg->failure.Reason, reason);
    CHECK_EQ(leg->failure.MechanismRpcId, RPC_C_AUTHN_GSS_KERBEROS);
    CHECK_EQ(leg->failure.Status, leg->status);
}

static void test_logon_denied_replay(void)
{
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, t.value, t.length, 0, leg), SEC_E_OK);
    CHECK_EQ(leg->failure.Reason, NEGRING_REASON_NONE);
    CHECK_EQ(accept_once(&cred, t.value, t.length, 0, leg), SEC_E_LOGON_DENIED);
    check_reason(leg, NEGRING_REASON_REPLAY);
    free(leg);
    release(&t);
}

/* The service key changed (kvno 1 -> 2): a new ticket against the old keytab, and an old
 * ticket against the new keytab. Own realm, so the main one keeps its keys. */
static void test_logon_denied_key_changed(void)
{
    char *saved[NENV];
    env_save(saved);
    struct ng_test_realm r;
    REQUIRE(ng_test_realm_start(&r) == 0);
    CredHandle old_keys, new_keys;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", r.keytab, 0, &old_keys) == SEC_E_OK);
    gss_buffer_desc before = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_token(&old_keys, before, 0, NULL), SEC_E_OK);

    REQUIRE(ng_test_realm_kadmin(&r, "cpw -randkey HTTP/localhost") == 0);
    REQUIRE(ng_test_realm_kadmin(&r, "ktadd -k %s/new.keytab -norandkey HTTP/localhost", r.dir) ==
            0);
    char new_keytab[512], fresh_ccache[512];
    snprintf(new_keytab, sizeof(new_keytab), "FILE:%s/new.keytab", r.dir);
    snprintf(fresh_ccache, sizeof(fresh_ccache), "FILE:%s/fresh.ccache", r.dir);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", new_keytab, 0, &new_keys) == SEC_E_OK);
    REQUIRE(ng_test_realm_kinit(&r, r.user, r.password, fresh_ccache, NULL) == 0);

    /* alice's default ccache still holds the kvno 1 ticket; the fresh one gets kvno 2. */
    gss_buffer_desc old_ticket = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    gss_buffer_desc new_ticket = client_token(gss_mech_spnego, mutual_flags, NULL, fresh_ccache);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&old_keys, new_ticket.value, new_ticket.length, 0, leg),
             SEC_E_LOGON_DENIED);
    check_reason(leg, NEGRING_REASON_STALE_KEY);
    CHECK(strstr(leg->failure.Detail, "ticket kvno 2") != NULL);
    CHECK_EQ(accept_once(&new_keys, old_ticket.value, old_ticket.length, 0, leg),
             SEC_E_LOGON_DENIED);
    check_reason(leg, NEGRING_REASON_STALE_KEY);
    CHECK(strstr(leg->failure.Detail, "ticket kvno 1") != NULL);
    free(leg);
    /* Each matches its own keys. */
    CHECK_EQ(accept_token(&new_keys, new_ticket, 0, NULL), SEC_E_OK);
    CHECK_EQ(accept_token(&old_keys, old_ticket, 0, NULL), SEC_E_OK);

    release(&before);
    release(&old_ticket);
    release(&new_ticket);
    FreeCredentialsHandle(&old_keys);
    FreeCredentialsHandle(&new_keys);
    ng_test_realm_stop(&r);
    env_restore(saved);
}

/* ---- SEC_E_NO_AUTHENTICATING_AUTHORITY, SEC_E_WRONG_PRINCIPAL ------------------------------- */

/* A ticket issued by a second realm the acceptor holds no keys for. */
static void test_no_authenticating_authority(void)
{
    char *saved[NENV];
    env_save(saved);
    struct ng_test_realm other;
    REQUIRE(ng_test_realm_start_named(&other, "OTHER.TEST") == 0);
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    env_restore(saved);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, t.value, t.length, ASC_REQ_EXTENDED_ERROR, leg),
             SEC_E_NO_AUTHENTICATING_AUTHORITY);
    CHECK(is_reject_with_krb_error(leg));
    check_reason(leg, NEGRING_REASON_UNKNOWN_REALM);
    free(leg);
    release(&t);
    ng_test_realm_stop(&other);
}

static void test_wrong_principal(void)
{
    CredHandle only_http, only_other;
    REQUIRE(ng_acquire_acceptor("HTTP/localhost@NEGRING.TEST", "Negotiate", NULL, 0, &only_http) ==
            SEC_E_OK);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", realm.other_keytab, 0, &only_other) == SEC_E_OK);
    gss_buffer_desc for_other =
        client_token(gss_mech_spnego, mutual_flags, "other.localhost", NULL);
    gss_buffer_desc for_http = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&only_http, for_other.value, for_other.length, 0, leg),
             SEC_E_WRONG_PRINCIPAL);
    check_reason(leg, NEGRING_REASON_WRONG_SERVICE);
    free(leg);
    CHECK_EQ(accept_token(&only_other, for_http, 0, NULL), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(accept_token(&only_other, for_other, 0, NULL), SEC_E_OK);
    CHECK_EQ(accept_token(&only_http, for_http, 0, NULL), SEC_E_OK);
    release(&for_other);
    release(&for_http);
    FreeCredentialsHandle(&only_http);
    FreeCredentialsHandle(&only_other);
}

/* ---- SEC_E_TIME_SKEW, SEC_E_CONTEXT_EXPIRED ---------------------------------------------------
 */

static void test_time_skew(void)
{
    /* A client whose clock is an hour ahead (libkrb5's own 300 s skew check). */
    struct ng_writer w = ng_writer_growable();
    REQUIRE(raw_ap_req(realm.ccache, realm.service, 3600, mutual_flags, false, &w) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, w.buf, w.len, 0, leg), SEC_E_TIME_SKEW);
    check_reason(leg, NEGRING_REASON_CLOCK_SKEW);
    ng_writer_free(&w);
    /* A token made 10 s ago (held back, or a lagging client clock) against the acceptor's 1 s
     * skew: libkrb5's 300 s pass it, negring's own check must not. The client's time is set
     * exactly (a real token held back by sleeping raced the 1 s ctime granularity and the
     * ccache's KDC time offset under load). */
    CredHandle strict;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 1, &strict) == SEC_E_OK);
    w = ng_writer_growable();
    REQUIRE(raw_ap_req(realm.ccache, realm.service, -10, mutual_flags, false, &w) == 0);
    CHECK_EQ(accept_once(&strict, w.buf, w.len, 0, leg), SEC_E_TIME_SKEW);
    check_reason(leg, NEGRING_REASON_CLOCK_SKEW);
    CHECK_EQ(strcmp(leg->failure.UserName, realm.user), 0); /* the ticket had opened */
    ng_writer_free(&w);
    /* The same client 0 s off is accepted: the refusal above is the skew, nothing else. */
    w = ng_writer_growable();
    REQUIRE(raw_ap_req(realm.ccache, realm.service, 0, mutual_flags, false, &w) == 0);
    CHECK_EQ(accept_once(&strict, w.buf, w.len, 0, leg), SEC_E_OK);
    ng_writer_free(&w);
    FreeCredentialsHandle(&strict);
    free(leg);
}

/* A ticket that expired before the AP-REQ was made. The acceptor's krb5 profile allows 1 s of
 * skew (libkrb5 forgives clockskew past the end time), so it runs on a thread whose krb5_context
 * reads a krb5.conf copy with clockskew = 1. */
static void test_context_expired(void)
{
    char ccache[512], conf_path[512];
    snprintf(ccache, sizeof(ccache), "FILE:%s/short.ccache", realm.dir);
    snprintf(conf_path, sizeof(conf_path), "%s/strict-krb5.conf", realm.dir);
    REQUIRE(ng_test_realm_kinit(&realm, realm.user, realm.password, ccache, "-l 3s") == 0);
    struct ng_writer w = ng_writer_growable();
    REQUIRE(raw_ap_req(ccache, realm.service, 0, mutual_flags, true, &w) == 0);

    FILE *f = fopen(realm.krb5_config, "r");
    REQUIRE(f != NULL);
    static char conf[16384];
    size_t n = fread(conf, 1, sizeof(conf) - 64, f);
    fclose(f);
    conf[n] = '\0';
    char *lib = strstr(conf, "[libdefaults]\n");
    REQUIRE(lib != NULL);
    lib += strlen("[libdefaults]\n");
    static const char skew[] = "    clockskew = 1\n";
    memmove(lib + strlen(skew), lib, strlen(lib) + 1);
    memcpy(lib, skew, strlen(skew));
    write_file(conf_path, conf);

    CredHandle strict;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 1, &strict) == SEC_E_OK);
    CHECK_EQ(accept_on_new_thread(conf_path, &strict, w.buf, w.len), SEC_E_CONTEXT_EXPIRED);
    FreeCredentialsHandle(&strict);
    ng_writer_free(&w);
}

/* ---- SEC_E_INSUFFICIENT_MEMORY, SEC_E_INTERNAL_ERROR ------------------------------------------
 */

/* Every allocation of a whole accept made to fail in turn: each run ends in
 * SEC_E_INSUFFICIENT_MEMORY or success, and ASan sees no crash and no leak. Runs first, so the
 * process-wide replay cache is created under failure too. */
static void alloc_failures(ULONG req)
{
    unsigned long n, nomem = 0;
    for (n = 1; n < 1000; n++) {
        gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
        struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
        SecBuffer in_buf = {(ULONG)t.length, SECBUFFER_TOKEN, t.value};
        SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_buf};
        SecBuffer out_buf = {(req & ASC_REQ_ALLOCATE_MEMORY) ? 0 : sizeof(leg->out),
                             SECBUFFER_TOKEN, (req & ASC_REQ_ALLOCATE_MEMORY) ? NULL : leg->out};
        SecBufferDesc out = {SECBUFFER_VERSION, 1, &out_buf};
        CtxtHandle ctx;
        ng_alloc_fail_after(n);
        SECURITY_STATUS st = AcceptSecurityContext(&cred, NULL, &in, req, SECURITY_NATIVE_DREP,
                                                   &ctx, &out, &leg->attrs, NULL);
        unsigned long seen = ng_alloc_fail_after(0);
        if (st == SEC_E_INSUFFICIENT_MEMORY)
            nomem++;
        else
            CHECK_EQ(st, SEC_E_OK);
        /* An allocated token (the reply, or with EXTENDED_ERROR a reject) is the caller's to
         * free, whatever the status; ASC_RET_ALLOCATED_MEMORY says so. */
        if (req & ASC_REQ_ALLOCATE_MEMORY) {
            CHECK_EQ((leg->attrs & ASC_RET_ALLOCATED_MEMORY) != 0, out_buf.pvBuffer != NULL);
            if (out_buf.pvBuffer != NULL)
                FreeContextBuffer(out_buf.pvBuffer);
        }
        if (st == SEC_E_OK)
            DeleteSecurityContext(&ctx);
        release(&t);
        free(leg);
        if (seen < n) /* nothing failed: every allocation point has been tried */
            break;
    }
    CHECK(n < 1000);
    CHECK(nomem > 0);
    /* And afterwards a plain accept works (no state was left broken). */
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, req & ~(ULONG)ASC_REQ_ALLOCATE_MEMORY, NULL), SEC_E_OK);
    release(&t);
}

static void test_insufficient_memory_every_allocation(void)
{
    alloc_failures(0);
    alloc_failures(ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_EXTENDED_ERROR);
}

/* A thread whose first Kerberos call meets a syntactically broken krb5.conf cannot make its
 * krb5_context: nothing to map that to but SEC_E_INTERNAL_ERROR. */
static void test_internal_error_broken_profile(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/broken-krb5.conf", realm.dir);
    write_file(path, "[libdefaults\n    default_realm = = {\n}}}\n");
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_on_new_thread(path, &cred, t.value, t.length), SEC_E_INTERNAL_ERROR);
    /* This thread's context is unaffected. */
    CHECK_EQ(accept_token(&cred, t, 0, NULL), SEC_E_OK);
    release(&t);
}

/* ---- output buffers -------------------------------------------------------------------------- */

/* A 10-byte output buffer: SEC_E_BUFFER_TOO_SMALL and cbBuffer says how much is needed. Without
 * mutual authentication the reply is the fixed 22-byte accept-completed NegTokenResp. */
static void test_buffer_too_small(void)
{
    gss_buffer_desc t = client_token(gss_mech_spnego, GSS_C_INTEG_FLAG, NULL, NULL);
    uint8_t out_bytes[64];
    SecBuffer in_buf = {(ULONG)t.length, SECBUFFER_TOKEN, t.value};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_buf};
    SecBuffer out_buf = {10, SECBUFFER_TOKEN, out_bytes};
    SecBufferDesc out = {SECBUFFER_VERSION, 1, &out_buf};
    ULONG attrs;
    CtxtHandle ctx;
    ULONG req = ASC_REQ_ALLOW_CONTEXT_REPLAY; /* the retry presents the same token */
    CHECK_EQ(AcceptSecurityContext(&cred, NULL, &in, req, SECURITY_NATIVE_DREP, &ctx, &out, &attrs,
                                   NULL),
             SEC_E_BUFFER_TOO_SMALL);
    CHECK_EQ(out_buf.cbBuffer, 22);
    ULONG needed = out_buf.cbBuffer;
    out_buf.cbBuffer = needed;
    CHECK_EQ(AcceptSecurityContext(&cred, NULL, &in, req, SECURITY_NATIVE_DREP, &ctx, &out, &attrs,
                                   NULL),
             SEC_E_OK);
    CHECK_EQ(out_buf.cbBuffer, needed);
    DeleteSecurityContext(&ctx);
    release(&t);

    /* With mutual authentication (an AP-REP inside) the size needed is reported as well. */
    t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    in_buf = (SecBuffer){(ULONG)t.length, SECBUFFER_TOKEN, t.value};
    out_buf = (SecBuffer){10, SECBUFFER_TOKEN, out_bytes};
    CHECK_EQ(
        AcceptSecurityContext(&cred, NULL, &in, 0, SECURITY_NATIVE_DREP, &ctx, &out, &attrs, NULL),
        SEC_E_BUFFER_TOO_SMALL);
    CHECK(out_buf.cbBuffer > 100 && out_buf.cbBuffer < 1000);
    release(&t);
}

static void test_allocate_memory(void)
{
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    SecBuffer in_buf = {(ULONG)t.length, SECBUFFER_TOKEN, t.value};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_buf};
    SecBuffer out_buf = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc out = {SECBUFFER_VERSION, 1, &out_buf};
    ULONG attrs = 0;
    CtxtHandle ctx;
    CHECK_EQ(AcceptSecurityContext(&cred, NULL, &in, ASC_REQ_ALLOCATE_MEMORY, SECURITY_NATIVE_DREP,
                                   &ctx, &out, &attrs, NULL),
             SEC_E_OK);
    CHECK(attrs & ASC_RET_ALLOCATED_MEMORY);
    CHECK(attrs & ASC_RET_MUTUAL_AUTH);
    CHECK(out_buf.pvBuffer != NULL && out_buf.cbBuffer > 0);
    struct ng_spnego_token tok;
    CHECK_EQ(ng_spnego_parse(ng_slice_of(out_buf.pvBuffer, out_buf.cbBuffer), &tok), NG_OK);
    CHECK_EQ(FreeContextBuffer(out_buf.pvBuffer), SEC_E_OK);
    DeleteSecurityContext(&ctx);
    release(&t);
}

/* ---- ASC_REQ flags --------------------------------------------------------------------------- */

/* CONFIDENTIALITY / INTEGRITY: returned when the client's checksum offers them (RFC 4121
 * §4.1.1.1); asking for them does not invent them — the caller checks pfContextAttr. */
static void test_req_confidentiality_and_integrity(void)
{
    ULONG attrs;
    ULONG req = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY;
    CHECK_EQ(accept_raw(&cred, NG_GSS_C_CONF_FLAG | NG_GSS_C_INTEG_FLAG, req, &attrs), SEC_E_OK);
    CHECK(attrs & ASC_RET_CONFIDENTIALITY);
    CHECK(attrs & ASC_RET_INTEGRITY);
    CHECK_EQ(accept_raw(&cred, NG_GSS_C_INTEG_FLAG, req, &attrs), SEC_E_OK);
    CHECK(!(attrs & ASC_RET_CONFIDENTIALITY));
    CHECK(attrs & ASC_RET_INTEGRITY);
    CHECK_EQ(accept_raw(&cred, 0, req, &attrs), SEC_E_OK);
    CHECK(!(attrs & (ASC_RET_CONFIDENTIALITY | ASC_RET_INTEGRITY)));
}

/* REPLAY_DETECT / SEQUENCE_DETECT: the acceptor can always detect replayed and reordered
 * messages, so asking is enough (as is the client asking). */
static void test_req_replay_and_sequence_detect(void)
{
    ULONG attrs;
    CHECK_EQ(accept_raw(&cred, 0, ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT, &attrs),
             SEC_E_OK);
    CHECK(attrs & ASC_RET_REPLAY_DETECT);
    CHECK(attrs & ASC_RET_SEQUENCE_DETECT);
    CHECK_EQ(accept_raw(&cred, 0, 0, &attrs), SEC_E_OK);
    CHECK(!(attrs & (ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT)));
    CHECK_EQ(accept_raw(&cred, NG_GSS_C_REPLAY_FLAG | NG_GSS_C_SEQUENCE_FLAG, 0, &attrs), SEC_E_OK);
    CHECK(attrs & ASC_RET_REPLAY_DETECT);
    CHECK(attrs & ASC_RET_SEQUENCE_DETECT);
}

/* CONNECTION: a connection-oriented context (no message formatting by the package). */
static void test_req_connection(void)
{
    ULONG attrs;
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, ASC_REQ_CONNECTION, &attrs), SEC_E_OK);
    CHECK(attrs & ASC_RET_CONNECTION);
    release(&t);
    t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, 0, &attrs), SEC_E_OK);
    CHECK(!(attrs & ASC_RET_CONNECTION));
    release(&t);
}

/* DELEGATE: the client forwards its TGT (GSS_C_DELEG_FLAG, a KRB-CRED in the checksum); the
 * server that asked may impersonate, and ASC_RET_DELEGATE says it happened. */
static void test_req_delegate(void)
{
    ULONG attrs;
    OM_uint32 deleg = mutual_flags | GSS_C_DELEG_FLAG;
    gss_buffer_desc t = client_token(gss_mech_spnego, deleg, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, ASC_REQ_DELEGATE, &attrs), SEC_E_OK);
    CHECK(attrs & ASC_RET_DELEGATE);
    release(&t);
    t = client_token(gss_mech_spnego, deleg, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, 0, &attrs), SEC_E_OK);
    CHECK(!(attrs & ASC_RET_DELEGATE));
    release(&t);
    t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, ASC_REQ_DELEGATE, &attrs), SEC_E_OK);
    CHECK(!(attrs & ASC_RET_DELEGATE));
    release(&t);
}

/* A replayed token under EXTENDED_ERROR with a 32-byte output buffer: the explanation does not
 * fit, so the failure goes out alone and cbBuffer never claims more than the buffer holds. */
static void check_explanation_too_big(gss_buffer_desc t)
{
    uint8_t small[32];
    SecBuffer ib = {(ULONG)t.length, SECBUFFER_TOKEN, t.value};
    SecBuffer ob = {sizeof(small), SECBUFFER_TOKEN, small};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attrs;
    CHECK_EQ(AcceptSecurityContext(&cred, NULL, &id, ASC_REQ_EXTENDED_ERROR, SECURITY_NATIVE_DREP,
                                   &ctx, &od, &attrs, NULL),
             SEC_E_LOGON_DENIED);
    CHECK_EQ(ob.cbBuffer, 0);
}

/* EXTENDED_ERROR: on failure the SPNEGO client gets a reject token (tested with every error
 * above); on success the flag is returned. A raw krb5 client gets the bare KRB-ERROR token
 * (RFC 4121 §4.1 TOK_ID 03 00), which MIT's initiator reads as the cause; without the flag it
 * gets nothing. */
static void test_req_extended_error(void)
{
    ULONG attrs;
    gss_buffer_desc t = client_token(gss_mech_spnego, mutual_flags, NULL, NULL);
    CHECK_EQ(accept_token(&cred, t, ASC_REQ_EXTENDED_ERROR, &attrs), SEC_E_OK);
    CHECK(attrs & ASC_RET_EXTENDED_ERROR);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CHECK_EQ(accept_once(&cred, t.value, t.length, ASC_REQ_EXTENDED_ERROR, leg),
             SEC_E_LOGON_DENIED);
    CHECK(is_reject_with_krb_error(leg));
    CHECK_EQ(leg->attrs, 0);
    check_explanation_too_big(t);
    release(&t);
    struct ng_gss_initiator raw;
    REQUIRE(ng_gss_initiator_init(&raw, "HTTP@localhost", (gss_OID)gss_mech_krb5, mutual_flags,
                                  NULL) == 0);
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&raw, NULL, 0, &t)));
    CHECK_EQ(accept_token(&cred, t, 0, NULL), SEC_E_OK);
    CHECK_EQ(accept_once(&cred, t.value, t.length, 0, leg), SEC_E_LOGON_DENIED);
    CHECK_EQ(leg->out_len, 0);
    CHECK_EQ(accept_once(&cred, t.value, t.length, ASC_REQ_EXTENDED_ERROR, leg),
             SEC_E_LOGON_DENIED);
    struct ng_slice krb_error;
    CHECK_EQ(ng_krb5_unframe(ng_slice_of(leg->out, leg->out_len), NG_KRB5_TOK_ERROR, &krb_error),
             NG_OK);
    gss_buffer_desc none = GSS_C_EMPTY_BUFFER;
    CHECK(GSS_ERROR(ng_gss_initiator_step(&raw, leg->out, leg->out_len, &none)));
    CHECK_EQ(raw.minor, (OM_uint32)KRB5KRB_AP_ERR_REPEAT);
    check_explanation_too_big(t);
    release(&none);
    release(&t);
    ng_gss_initiator_free(&raw);
    free(leg);
}

/* ---- CompleteAuthToken ----------------------------------------------------------------------- */

/* SEC_I_COMPLETE_NEEDED and SEC_I_COMPLETE_AND_CONTINUE belong to packages that must patch
 * their output after the caller adds data (DCE-style Digest/NTLM over RPC); Windows' Negotiate
 * and Kerberos never return them, and neither does negring. CompleteAuthToken is still callable:
 * a no-op on a valid context. */
static void test_complete_auth_token(void)
{
    CtxtHandle ctx;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred, .ctx_out = &ctx}, leg);
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    SecBuffer b = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc d = {SECBUFFER_VERSION, 1, &b};
    CHECK_EQ(CompleteAuthToken(&ctx, &d), SEC_E_OK);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    CHECK_EQ(CompleteAuthToken(&ctx, &d), SEC_E_INVALID_HANDLE);
    CtxtHandle forged = {1, 2};
    CHECK_EQ(CompleteAuthToken(&forged, &d), SEC_E_INVALID_HANDLE);
    CHECK_EQ(CompleteAuthToken(&cred, &d), SEC_E_INVALID_HANDLE);
    free(leg);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &cred) == SEC_E_OK);
    RUN(test_insufficient_memory_every_allocation);
    RUN(test_ok_spnego_mutual);
    RUN(test_continue_needed_request_mic);
    RUN(test_continue_needed_empty_first_input);
    RUN(test_invalid_token_garbage);
    RUN(test_invalid_token_truncated_everywhere);
    RUN(test_invalid_token_wrong_tag);
    RUN(test_invalid_token_length_overflow);
    RUN(test_invalid_handle);
    RUN(test_logon_denied_replay);
    RUN(test_logon_denied_key_changed);
    RUN(test_no_authenticating_authority);
    RUN(test_wrong_principal);
    RUN(test_time_skew);
    RUN(test_context_expired);
    RUN(test_internal_error_broken_profile);
    RUN(test_buffer_too_small);
    RUN(test_allocate_memory);
    RUN(test_req_confidentiality_and_integrity);
    RUN(test_req_replay_and_sequence_detect);
    RUN(test_req_connection);
    RUN(test_req_delegate);
    RUN(test_req_extended_error);
    RUN(test_complete_auth_token);
    FreeCredentialsHandle(&cred);
    ng_test_realm_stop(&realm);
    return check_report();
}
