/* RC4-HMAC (arcfour-hmac, enctype 23) sessions, as Active Directory makes them for accounts
 * without AES in msDS-SupportedEncryptionTypes: RFC 4757 per-message tokens
 * (core/kerberos/krb5_rc4.c) against MIT's GSSAPI both ways, since RFC 4757 gives no test
 * vectors. The realm permits RC4 (NEGRING_REALM_RC4) and HTTP/rc4.localhost has only an RC4
 * key and RC4 session keys (session_enctypes), as an RC4-only AD account.
 *
 * MIT's gss_wrap (sealed and sign-only) opened by DecryptMessage; EncryptMessage (TOKEN, DATA,
 * PADDING) opened by gss_unwrap; gss_get_mic checked by VerifySignature and MakeSignature by
 * gss_verify_mic; several messages each way; altered, replayed and reflected tokens refused;
 * our own initiator and acceptor on one RC4 session; and the SPNEGO mechListMIC exchange
 * (RFC 4178 §5) completing on an RC4 session, with a tampered MIC refused. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gss_peer.h"
#include "mech_oid.h"
#include "realm.h"
#include "spnego.h"
#include "writer.h"

static struct ng_test_realm realm;
static CredHandle cred;

static const OM_uint32 gss_flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG |
                                   GSS_C_SEQUENCE_FLAG | GSS_C_REPLAY_FLAG;
static const ULONG asc_flags = ASC_REQ_MUTUAL_AUTH | ASC_REQ_INTEGRITY | ASC_REQ_CONFIDENTIALITY |
                               ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT;

struct session {
    struct ng_gss_initiator c; /* MIT */
    CtxtHandle s;              /* ours */
};

static void establish(struct session *p, gss_OID mech)
{
    REQUIRE(ng_gss_initiator_init(&p->c, "HTTP@rc4.localhost", mech, gss_flags, NULL) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    REQUIRE(leg != NULL);
    REQUIRE(ng_handshake(&cred, &p->c, asc_flags, NULL, 0, &p->s, leg, &legs) == SEC_E_OK);
    REQUIRE(p->c.major == GSS_S_COMPLETE);
    free(leg);
}

static void finish(struct session *p)
{
    DeleteSecurityContext(&p->s);
    ng_gss_initiator_free(&p->c);
}

static void release(gss_buffer_desc *b)
{
    OM_uint32 minor;
    gss_release_buffer(&minor, b);
}

/* The session really is RC4, and the sizes say what an RC4 token takes. */
static void test_session_is_rc4(void)
{
    struct session p;
    establish(&p, gss_mech_spnego);
    SecPkgContext_KeyInfoA ki;
    REQUIRE(QueryContextAttributesA(&p.s, SECPKG_ATTR_KEY_INFO, &ki) == SEC_E_OK);
    CHECK_EQ(ki.EncryptAlgorithm, ENCTYPE_ARCFOUR_HMAC);
    CHECK_EQ(strcmp(ki.sEncryptAlgorithmName, "RSADSI RC4-HMAC"), 0);
    FreeContextBuffer(ki.sSignatureAlgorithmName);
    FreeContextBuffer(ki.sEncryptAlgorithmName);
    SecPkgContext_Sizes sz;
    REQUIRE(QueryContextAttributesA(&p.s, SECPKG_ATTR_SIZES, &sz) == SEC_E_OK);
    CHECK_EQ(sz.cbMaxSignature, 37);
    CHECK_EQ(sz.cbSecurityTrailer, 49);
    CHECK_EQ(sz.cbBlockSize, 1);
    finish(&p);
}

/* MIT's gss_wrap, opened by DecryptMessage from a SECBUFFER_STREAM. */
static SECURITY_STATUS open_mit_wrap(struct session *p, const char *msg, int conf, bool alter,
                                     bool twice)
{
    gss_buffer_desc in = {strlen(msg), (void *)msg}, tok = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor;
    int conf_state = -1;
    REQUIRE(gss_wrap(&minor, p->c.ctx, conf, GSS_C_QOP_DEFAULT, &in, &conf_state, &tok) ==
            GSS_S_COMPLETE);
    CHECK_EQ(conf_state, conf);
    if (alter)
        ((uint8_t *)tok.value)[tok.length - 3] ^= 0x20;
    uint8_t *copy = malloc(tok.length);
    SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
    for (int round = 0; round < (twice ? 2 : 1); round++) {
        memcpy(copy, tok.value, tok.length);
        SecBuffer b[2] = {{(ULONG)tok.length, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        ULONG qop = 0xdead;
        st = DecryptMessage(&p->s, &d, 0, &qop);
        if (st == SEC_E_OK) {
            CHECK_EQ(b[1].cbBuffer, strlen(msg));
            CHECK(b[1].pvBuffer != NULL && memcmp(b[1].pvBuffer, msg, strlen(msg)) == 0);
            CHECK_EQ(qop, conf ? 0u : SECQOP_WRAP_NO_ENCRYPT);
        }
    }
    free(copy);
    release(&tok);
    return st;
}

/* EncryptMessage's TOKEN | DATA | PADDING, concatenated, opened by MIT's gss_unwrap. With
 * `to_self` the result goes back to our own DecryptMessage instead (a reflection). */
static SECURITY_STATUS seal_for_mit(struct session *p, const char *msg, bool conf, bool to_self)
{
    size_t n = strlen(msg);
    uint8_t token[49], data[256], pad[1];
    memcpy(data, msg, n);
    SecBuffer b[3] = {{sizeof(token), SECBUFFER_TOKEN, token},
                      {(ULONG)n, SECBUFFER_DATA, data},
                      {sizeof(pad), SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    SECURITY_STATUS st = EncryptMessage(&p->s, conf ? 0 : SECQOP_WRAP_NO_ENCRYPT, &d, 0);
    if (st != SEC_E_OK)
        return st;
    CHECK_EQ(b[2].cbBuffer, 1);
    if (n > 0)
        CHECK_EQ(conf, memcmp(data, msg, n) != 0); /* encrypted in place, or left as it was */
    uint8_t wire[512];
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(wire + len, b[i].pvBuffer, b[i].cbBuffer);
        len += b[i].cbBuffer;
    }
    if (to_self) {
        SecBuffer r[2] = {{(ULONG)len, SECBUFFER_STREAM, wire}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
        return DecryptMessage(&p->s, &rd, 0, NULL);
    }
    gss_buffer_desc in = {len, wire}, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor;
    int conf_state = -1;
    /* A gap (a token of ours MIT never saw) is supplementary information, not an error. */
    OM_uint32 major = gss_unwrap(&minor, p->c.ctx, &in, &out, &conf_state, NULL);
    CHECK(!GSS_ERROR(major));
    if (!GSS_ERROR(major)) {
        CHECK(out.length == n && (n == 0 || memcmp(out.value, msg, n) == 0));
        CHECK_EQ(conf_state, conf);
    }
    release(&out);
    return GSS_ERROR(major) ? SEC_E_MESSAGE_ALTERED : SEC_E_OK;
}

static void test_wrap_both_ways(void)
{
    struct session p;
    establish(&p, gss_mech_spnego);
    static const char *const msgs[] = {"first", "", "a message of some length, 48 bytes at least..",
                                       "x"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ(open_mit_wrap(&p, msgs[i], 1, false, false), SEC_E_OK);
        CHECK_EQ(open_mit_wrap(&p, msgs[i], 0, false, false), SEC_E_OK);
        CHECK_EQ(seal_for_mit(&p, msgs[i], true, false), SEC_E_OK);
        CHECK_EQ(seal_for_mit(&p, msgs[i], false, false), SEC_E_OK);
    }
    finish(&p);
}

static void test_mic_both_ways(void)
{
    struct session p;
    establish(&p, gss_mech_krb5);
    OM_uint32 minor;
    for (int round = 0; round < 3; round++) {
        char msg[] = "signed, not sealed";
        gss_buffer_desc in = {sizeof(msg), msg}, mic = GSS_C_EMPTY_BUFFER;
        REQUIRE(gss_get_mic(&minor, p.c.ctx, GSS_C_QOP_DEFAULT, &in, &mic) == GSS_S_COMPLETE);
        CHECK_EQ(mic.length, 37);
        SecBuffer b[2] = {{(ULONG)mic.length, SECBUFFER_TOKEN, mic.value},
                          {sizeof(msg), SECBUFFER_DATA, msg}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_EQ(VerifySignature(&p.s, &d, 0, NULL), SEC_E_OK);
        release(&mic);

        uint8_t sig[37];
        SecBuffer o[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {sizeof(msg), SECBUFFER_DATA, msg}};
        SecBufferDesc od = {SECBUFFER_VERSION, 2, o};
        REQUIRE(MakeSignature(&p.s, 0, &od, 0) == SEC_E_OK);
        gss_buffer_desc ours = {o[0].cbBuffer, sig};
        CHECK_EQ(gss_verify_mic(&minor, p.c.ctx, &in, &ours, NULL), GSS_S_COMPLETE);
    }
    /* A MIC over other data: refused. */
    char msg[] = "signed, not sealed", other[] = "signed, not sealeD";
    gss_buffer_desc in = {sizeof(other), other}, mic = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_get_mic(&minor, p.c.ctx, GSS_C_QOP_DEFAULT, &in, &mic) == GSS_S_COMPLETE);
    SecBuffer b[2] = {{(ULONG)mic.length, SECBUFFER_TOKEN, mic.value},
                      {sizeof(msg), SECBUFFER_DATA, msg}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_EQ(VerifySignature(&p.s, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
    release(&mic);
    finish(&p);
}

static void test_altered_replayed_reflected(void)
{
    struct session p;
    establish(&p, gss_mech_spnego);
    /* The same token twice: the second is a replay (REPLAY_DETECT). */
    CHECK_EQ(open_mit_wrap(&p, "once only", 1, false, true), SEC_E_MESSAGE_ALTERED);
    /* Our own token, sent back to us: the direction bytes are ours. */
    CHECK_EQ(seal_for_mit(&p, "reflected", true, true), SEC_E_MESSAGE_ALTERED);
    /* No PADDING buffer: nowhere for the pad byte. */
    uint8_t token[49], data[4] = "abc";
    SecBuffer b[2] = {{sizeof(token), SECBUFFER_TOKEN, token}, {3, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_EQ(EncryptMessage(&p.s, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
    /* The session goes on (MIT sees a gap where the reflected token was). */
    CHECK_EQ(open_mit_wrap(&p, "still fine", 1, false, false), SEC_E_OK);
    CHECK_EQ(seal_for_mit(&p, "still fine", true, false), SEC_E_OK);
    /* Altered in transit, sealed or signed only. */
    CHECK_EQ(open_mit_wrap(&p, "tampered with", 1, true, false), SEC_E_MESSAGE_ALTERED);
    CHECK_EQ(open_mit_wrap(&p, "tampered with", 0, true, false), SEC_E_MESSAGE_ALTERED);
    finish(&p);
}

/* Our initiator and our acceptor on one RC4 session: EncryptMessage on one side,
 * DecryptMessage of TOKEN | DATA | PADDING as they were made on the other. */
static void test_our_initiator_and_acceptor(void)
{
    CredHandle out_cred;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &out_cred, NULL) == SEC_E_OK);
    CtxtHandle c, s;
    uint8_t a[NG_PEER_MAX_TOKEN], r[NG_PEER_MAX_TOKEN];
    ULONG attrs;
    SecBuffer ob = {sizeof(a), SECBUFFER_TOKEN, a};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    REQUIRE(InitializeSecurityContextA(&out_cred, NULL, "HTTP/rc4.localhost",
                                       ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY |
                                           ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT,
                                       0, SECURITY_NATIVE_DREP, NULL, 0, &c, &od, &attrs,
                                       NULL) == SEC_I_CONTINUE_NEEDED);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &cred, .ctx_out = &s, .in = a, .in_len = ob.cbBuffer, .req = asc_flags},
        leg);
    REQUIRE(leg->status == SEC_E_OK);
    memcpy(r, leg->out, leg->out_len);
    SecBuffer ib = {leg->out_len, SECBUFFER_TOKEN, r};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    ob.cbBuffer = sizeof(a);
    REQUIRE(InitializeSecurityContextA(&out_cred, &c, "HTTP/rc4.localhost", 0, 0,
                                       SECURITY_NATIVE_DREP, &id, 0, &c, &od, &attrs,
                                       NULL) == SEC_E_OK);
    for (int round = 0; round < 4; round++) {
        CtxtHandle *from = round % 2 ? &c : &s, *to = round % 2 ? &s : &c;
        uint8_t token[49], data[32] = "both ends are ours", pad[1];
        SecBuffer b[3] = {{sizeof(token), SECBUFFER_TOKEN, token},
                          {19, SECBUFFER_DATA, data},
                          {sizeof(pad), SECBUFFER_PADDING, pad}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        REQUIRE(EncryptMessage(from, 0, &d, 0) == SEC_E_OK);
        ULONG qop;
        CHECK_EQ(DecryptMessage(to, &d, 0, &qop), SEC_E_OK);
        CHECK_EQ(memcmp(data, "both ends are ours", 19), 0);
    }
    free(leg);
    DeleteSecurityContext(&c);
    DeleteSecurityContext(&s);
    FreeCredentialsHandle(&out_cred);
}

/* RFC 4178 §5 on an RC4 session: MIT offers NEGOEX first and Kerberos second (a NegTokenInit
 * built here: MIT's SPNEGO offers only krb5 to us), the acceptor takes Kerberos and asks for
 * the MIC; MIT's RC4 MIC over the mechTypes is verified and ours is verified by MIT. */
static SECURITY_STATUS mech_list_mic_exchange(bool flip)
{
    static const enum ng_mech offer[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@rc4.localhost", (gss_OID)gss_mech_krb5,
                                  GSS_C_INTEG_FLAG, NULL) == 0);
    gss_buffer_desc ap_req, mic = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &ap_req)));
    struct ng_writer list = ng_writer_growable(), msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_mech_list(&list, offer, 2) == NG_OK);
    REQUIRE(ng_spnego_write_init(&msg, offer, 2, ng_slice_of(ap_req.value, ap_req.length),
                                 NG_SLICE_EMPTY) == NG_OK);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = &cred, .ctx_out = &ctx, .in = msg.buf, .in_len = msg.len},
        leg);
    REQUIRE(leg->status == SEC_I_CONTINUE_NEEDED);
    gss_buffer_desc list_buf = {list.len, list.buf};
    REQUIRE(gss_get_mic(&minor, c.ctx, GSS_C_QOP_DEFAULT, &list_buf, &mic) == GSS_S_COMPLETE);
    if (flip)
        ((uint8_t *)mic.value)[mic.length - 1] ^= 1;
    ng_writer_free(&msg);
    msg = ng_writer_growable();
    REQUIRE(ng_spnego_write_resp(&msg, NG_NEG_STATE_ABSENT, NG_MECH_NONE,
                                 ng_slice_of(ap_req.value, ap_req.length),
                                 ng_slice_of(mic.value, mic.length)) == NG_OK);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &cred, .ctx_in = &ctx, .ctx_out = &ctx, .in = msg.buf, .in_len = msg.len},
        leg);
    SECURITY_STATUS result = leg->status;
    struct ng_spnego_token tok;
    if (result == SEC_E_OK) {
        REQUIRE(ng_spnego_parse(ng_slice_of(leg->out, leg->out_len), &tok) == NG_OK);
        CHECK_EQ(tok.resp.neg_state, NG_NEG_STATE_ACCEPT_COMPLETED);
        CHECK(tok.resp.has_mech_list_mic);
        gss_buffer_desc theirs = {tok.resp.mech_list_mic.len, (void *)tok.resp.mech_list_mic.ptr};
        CHECK_EQ(gss_verify_mic(&minor, c.ctx, &list_buf, &theirs, NULL), GSS_S_COMPLETE);
        SecPkgContext_KeyInfoA ki;
        REQUIRE(QueryContextAttributesA(&ctx, SECPKG_ATTR_KEY_INFO, &ki) == SEC_E_OK);
        CHECK_EQ(ki.EncryptAlgorithm, ENCTYPE_ARCFOUR_HMAC);
        FreeContextBuffer(ki.sSignatureAlgorithmName);
        FreeContextBuffer(ki.sEncryptAlgorithmName);
    }
    DeleteSecurityContext(&ctx);
    release(&mic);
    release(&ap_req);
    ng_writer_free(&msg);
    ng_writer_free(&list);
    free(leg);
    ng_gss_initiator_free(&c);
    return result;
}

static void test_spnego_mech_list_mic(void)
{
    CHECK_EQ(mech_list_mic_exchange(false), SEC_E_OK);
    CHECK_EQ(mech_list_mic_exchange(true), SEC_E_MESSAGE_ALTERED);
}

int main(void)
{
    REQUIRE(setenv("NEGRING_REALM_RC4", "1", 1) == 0);
    REQUIRE(ng_test_realm_start(&realm) == 0);
    char keytab[400];
    snprintf(keytab, sizeof(keytab), "FILE:%s/rc4.keytab", realm.dir);
    REQUIRE(ng_test_realm_kadmin(&realm, "addprinc -e arcfour-hmac:normal -randkey "
                                         "HTTP/rc4.localhost") == 0);
    REQUIRE(ng_test_realm_kadmin(&realm,
                                 "setstr HTTP/rc4.localhost session_enctypes arcfour-hmac") == 0);
    REQUIRE(ng_test_realm_kadmin(&realm, "ktadd -k %s -norandkey HTTP/rc4.localhost", keytab + 5) ==
            0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", keytab, 0, &cred) == SEC_E_OK);
    RUN(test_session_is_rc4);
    RUN(test_wrap_both_ways);
    RUN(test_mic_both_ways);
    RUN(test_altered_replayed_reflected);
    RUN(test_our_initiator_and_acceptor);
    RUN(test_spnego_mech_list_mic);
    FreeCredentialsHandle(&cred);
    ng_test_realm_stop(&realm);
    return check_report();
}
