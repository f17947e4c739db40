/* Per-message protection against MIT's GSSAPI, both directions: messages MIT wraps or signs
 * (gss_wrap, gss_wrap_iov, gss_get_mic) are opened by DecryptMessage / VerifySignature, and what
 * EncryptMessage / MakeSignature produce is opened by gss_unwrap(_iov) / gss_verify_mic — with
 * and without confidentiality, with negring as the acceptor (MIT initiator) and as the
 * initiator (MIT acceptor), plus replayed, reordered and altered messages. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gss_peer.h"
#include "realm.h"

static struct ng_test_realm realm;
static CredHandle acceptor_cred;

static const OM_uint32 all_flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
                                   GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;

/* Both ends of one established context. */
struct pair {
    gss_ctx_id_t mit;
    CtxtHandle ours;
    struct ng_gss_initiator init; /* when MIT initiated */
    ULONG attrs;
};

/* MIT initiates (`mech`, `flags`), negring accepts with `req`. */
static void pair_accept(struct pair *p, gss_OID mech, OM_uint32 flags, ULONG req)
{
    memset(p, 0, sizeof(*p));
    REQUIRE(ng_gss_initiator_init(&p->init, "HTTP@localhost", mech, flags, NULL) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    REQUIRE(leg != NULL);
    REQUIRE(ng_handshake(&acceptor_cred, &p->init, req, NULL, 0, &p->ours, leg, &legs) == SEC_E_OK);
    REQUIRE(p->init.major == GSS_S_COMPLETE);
    p->attrs = leg->attrs;
    p->mit = p->init.ctx;
    free(leg);
}

static void pair_free(struct pair *p)
{
    CHECK_EQ(DeleteSecurityContext(&p->ours), SEC_E_OK);
    if (p->init.target != GSS_C_NO_NAME)
        ng_gss_initiator_free(&p->init);
    else if (p->mit != GSS_C_NO_CONTEXT) {
        OM_uint32 minor;
        gss_delete_sec_context(&minor, &p->mit, GSS_C_NO_BUFFER);
    }
}

/* negring initiates (ISC_REQ `req`), MIT accepts with the realm's keytab. */
static void pair_initiate(struct pair *p, const char *package, ULONG req)
{
    memset(p, 0, sizeof(*p));
    CredHandle cred;
    TimeStamp ts;
    REQUIRE(AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &cred, &ts) == SEC_E_OK);
    unsigned char out[NG_PEER_MAX_TOKEN];
    gss_buffer_desc reply = GSS_C_EMPTY_BUFFER;
    SECURITY_STATUS st = SEC_I_CONTINUE_NEEDED;
    OM_uint32 major = GSS_S_CONTINUE_NEEDED, minor;
    for (int leg = 0; leg < 4 && st == SEC_I_CONTINUE_NEEDED; leg++) {
        SecBuffer ib = {(ULONG)reply.length, SECBUFFER_TOKEN, reply.value};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
        SecBuffer ob = {sizeof(out), SECBUFFER_TOKEN, out};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        st = InitializeSecurityContextA(&cred, leg ? &p->ours : NULL, "HTTP/localhost", req, 0,
                                        SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, &p->ours, &od,
                                        &p->attrs, NULL);
        gss_release_buffer(&minor, &reply);
        if (ob.cbBuffer > 0 && major == GSS_S_CONTINUE_NEEDED) {
            gss_buffer_desc in = {ob.cbBuffer, out};
            major = gss_accept_sec_context(&minor, &p->mit, GSS_C_NO_CREDENTIAL, &in,
                                           GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &reply, NULL,
                                           NULL, NULL);
        }
    }
    REQUIRE(st == SEC_E_OK);
    REQUIRE(major == GSS_S_COMPLETE);
    gss_release_buffer(&minor, &reply);
    FreeCredentialsHandle(&cred);
}

static ULONG trailer_size(PCtxtHandle ctx)
{
    SecPkgContext_Sizes sizes;
    REQUIRE(QueryContextAttributesA(ctx, SECPKG_ATTR_SIZES, &sizes) == SEC_E_OK);
    return sizes.cbSecurityTrailer;
}

/* DecryptMessage over a whole received token (SECBUFFER_STREAM + DATA). */
static SECURITY_STATUS decrypt_stream(PCtxtHandle ctx, gss_buffer_t token, SecBuffer *data,
                                      ULONG *qop)
{
    SecBuffer b[2] = {{(ULONG)token->length, SECBUFFER_STREAM, token->value},
                      {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    *qop = 0xdead;
    SECURITY_STATUS st = DecryptMessage(ctx, &d, 0, qop);
    *data = b[1];
    return st;
}

static gss_buffer_desc mit_wrap(gss_ctx_id_t mit, int conf, const char *text)
{
    OM_uint32 minor;
    int state = -1;
    gss_buffer_desc in = {strlen(text), (void *)text}, out = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_wrap(&minor, mit, conf, GSS_C_QOP_DEFAULT, &in, &state, &out) == GSS_S_COMPLETE);
    REQUIRE(state == conf);
    return out;
}

static void check_mit_wrap_opens_here(struct pair *p)
{
    OM_uint32 minor;
    for (int conf = 1; conf >= 0; conf--) {
        const char *text = conf ? "sealed by MIT gss_wrap" : "signed by MIT gss_wrap";
        gss_buffer_desc tok = mit_wrap(p->mit, conf, text);
        SecBuffer data;
        ULONG qop;
        CHECK_EQ(decrypt_stream(&p->ours, &tok, &data, &qop), SEC_E_OK);
        CHECK_EQ(qop, conf ? 0 : SECQOP_WRAP_NO_ENCRYPT);
        CHECK_EQ(data.cbBuffer, strlen(text));
        CHECK(data.pvBuffer != NULL && memcmp(data.pvBuffer, text, strlen(text)) == 0);
        CHECK((unsigned char *)data.pvBuffer > (unsigned char *)tok.value &&
              (unsigned char *)data.pvBuffer < (unsigned char *)tok.value + tok.length);
        gss_release_buffer(&minor, &tok);
    }
    /* RRC 0 token split by the caller into TOKEN (the trailer's worth) + DATA: opened through
     * the scratch path. */
    const char *text = "split MIT token";
    gss_buffer_desc tok = mit_wrap(p->mit, 1, text);
    size_t head = tok.length - strlen(text);
    CHECK_EQ(head, trailer_size(&p->ours));
    SecBuffer b[2] = {{(ULONG)head, SECBUFFER_TOKEN, tok.value},
                      {(ULONG)strlen(text), SECBUFFER_DATA, (char *)tok.value + head}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 7;
    CHECK_EQ(DecryptMessage(&p->ours, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ(qop, 0);
    CHECK(memcmp(b[1].pvBuffer, text, strlen(text)) == 0);
    gss_release_buffer(&minor, &tok);
}

/* gss_wrap_iov with a HEADER and no TRAILER lays the token out as Windows does (RRC = the
 * trailer), which DecryptMessage opens in place. */
static void check_mit_wrap_iov_opens_in_place(struct pair *p)
{
    OM_uint32 minor;
    for (int conf = 1; conf >= 0; conf--) {
        char text[] = "windows-style layout from gss_wrap_iov";
        size_t len = strlen(text);
        gss_iov_buffer_desc iov[3] = {
            {GSS_IOV_BUFFER_TYPE_HEADER | GSS_IOV_BUFFER_FLAG_ALLOCATE, GSS_C_EMPTY_BUFFER},
            {GSS_IOV_BUFFER_TYPE_DATA, {len, text}},
            {GSS_IOV_BUFFER_TYPE_PADDING | GSS_IOV_BUFFER_FLAG_ALLOCATE, GSS_C_EMPTY_BUFFER}};
        int state;
        REQUIRE(gss_wrap_iov(&minor, p->mit, conf, GSS_C_QOP_DEFAULT, &state, iov, 3) ==
                GSS_S_COMPLETE);
        CHECK_EQ(iov[2].buffer.length, 0);
        /* RRC (header octets 6-7) covers all of the token after the header but the confounder
         * (sealed) or the whole checksum (not sealed): the data's octets are the DATA buffer. */
        const unsigned char *h = iov[0].buffer.value;
        CHECK_EQ((h[6] << 8) | h[7], iov[0].buffer.length - (conf ? 32 : 16));
        if (conf)
            CHECK(memcmp(text, "windows-style", 13) != 0); /* encrypted in place */
        SecBuffer b[2] = {{(ULONG)iov[0].buffer.length, SECBUFFER_TOKEN, iov[0].buffer.value},
                          {(ULONG)len, SECBUFFER_DATA, text}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        ULONG qop;
        CHECK_EQ(DecryptMessage(&p->ours, &d, 0, &qop), SEC_E_OK);
        CHECK_EQ(qop, conf ? 0 : SECQOP_WRAP_NO_ENCRYPT);
        CHECK(memcmp(text, "windows-style layout from gss_wrap_iov", len) == 0);
        gss_release_iov_buffer(&minor, iov, 3);
    }
}

static void check_mit_mic_verifies_here(struct pair *p)
{
    OM_uint32 minor;
    char text[] = "signed by gss_get_mic";
    gss_buffer_desc msg = {strlen(text), text}, mic = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_get_mic(&minor, p->mit, GSS_C_QOP_DEFAULT, &msg, &mic) == GSS_S_COMPLETE);
    SecBuffer b[2] = {{(ULONG)mic.length, SECBUFFER_TOKEN, mic.value},
                      {(ULONG)msg.length, SECBUFFER_DATA, text}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 9;
    /* A changed message first: refused, and the sequence number is not used up. */
    text[0] ^= 1;
    CHECK_EQ(VerifySignature(&p->ours, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    text[0] ^= 1;
    CHECK_EQ(VerifySignature(&p->ours, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ(qop, 0);
    gss_release_buffer(&minor, &mic);
}

/* EncryptMessage into TOKEN + DATA; TOKEN | DATA is a Wrap token for gss_unwrap. */
static void check_ours_open_at_mit(struct pair *p)
{
    OM_uint32 minor;
    ULONG trailer = trailer_size(&p->ours);
    for (int conf = 1; conf >= 0; conf--) {
        const char *text = conf ? "sealed by EncryptMessage" : "signed by EncryptMessage";
        size_t len = strlen(text);
        unsigned char *wire = malloc(trailer + len), pad[16];
        REQUIRE(wire != NULL);
        memcpy(wire + trailer, text, len);
        SecBuffer b[3] = {{trailer, SECBUFFER_TOKEN, wire},
                          {(ULONG)len, SECBUFFER_DATA, wire + trailer},
                          {sizeof(pad), SECBUFFER_PADDING, pad}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_EQ(EncryptMessage(&p->ours, conf ? 0 : SECQOP_WRAP_NO_ENCRYPT, &d, 0), SEC_E_OK);
        CHECK_EQ(b[2].cbBuffer, 0);
        CHECK_EQ(conf ? b[0].cbBuffer == trailer : b[0].cbBuffer < trailer, 1);
        CHECK_EQ(memcmp(wire + trailer, text, len) != 0, conf); /* encrypted only with conf */
        /* The wire form: the token's bytes followed by the data. */
        memmove(wire + b[0].cbBuffer, wire + trailer, len);
        gss_buffer_desc in = {b[0].cbBuffer + len, wire}, out = GSS_C_EMPTY_BUFFER;
        int state = -1;
        gss_qop_t qop;
        CHECK_EQ(gss_unwrap(&minor, p->mit, &in, &out, &state, &qop), GSS_S_COMPLETE);
        CHECK_EQ(state, conf);
        CHECK(out.length == len && memcmp(out.value, text, len) == 0);
        gss_release_buffer(&minor, &out);
        free(wire);
    }
}

static void check_our_signature_verifies_at_mit(struct pair *p)
{
    OM_uint32 minor;
    char text[] = "signed by MakeSignature";
    unsigned char sig[64];
    SecPkgContext_Sizes sizes;
    REQUIRE(QueryContextAttributesA(&p->ours, SECPKG_ATTR_SIZES, &sizes) == SEC_E_OK);
    SecBuffer b[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {strlen(text), SECBUFFER_DATA, text}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_EQ(MakeSignature(&p->ours, 0, &d, 0), SEC_E_OK);
    CHECK_EQ(b[0].cbBuffer, sizes.cbMaxSignature);
    gss_buffer_desc msg = {strlen(text), text}, mic = {b[0].cbBuffer, sig};
    CHECK_EQ(gss_verify_mic(&minor, p->mit, &msg, &mic, NULL), GSS_S_COMPLETE);
    /* A signature buffer one byte short: SEC_E_BUFFER_TOO_SMALL, no sequence number spent. */
    b[0].cbBuffer = sizes.cbMaxSignature - 1;
    CHECK_EQ(MakeSignature(&p->ours, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
    b[0].cbBuffer = sizeof(sig);
    CHECK_EQ(MakeSignature(&p->ours, 0, &d, 0), SEC_E_OK);
    mic.length = b[0].cbBuffer;
    CHECK_EQ(gss_verify_mic(&minor, p->mit, &msg, &mic, NULL), GSS_S_COMPLETE);
    CHECK_EQ(MakeSignature(&p->ours, 1, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
}

/* Several DATA buffers, a signed-only header and an ignored READONLY buffer, opened by
 * gss_unwrap_iov with the same DATA / SIGN_ONLY sequence. */
static void check_multi_buffer_at_mit(struct pair *p)
{
    OM_uint32 minor;
    ULONG trailer = trailer_size(&p->ours);
    unsigned char *token = malloc(trailer);
    char a[] = "first part,", hdr[] = "rpc header", c[] = " second part", ro[] = "untouched";
    REQUIRE(token != NULL);
    SecBuffer b[5] = {{(ULONG)strlen(a), SECBUFFER_DATA, a},
                      {(ULONG)strlen(hdr), SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, hdr},
                      {trailer, SECBUFFER_TOKEN, token},
                      {(ULONG)strlen(c), SECBUFFER_DATA, c},
                      {(ULONG)strlen(ro), SECBUFFER_DATA | SECBUFFER_READONLY, ro}};
    SecBufferDesc d = {SECBUFFER_VERSION, 5, b};
    CHECK_EQ(EncryptMessage(&p->ours, 0, &d, 0), SEC_E_OK);
    CHECK(strcmp(hdr, "rpc header") == 0 && strcmp(ro, "untouched") == 0);
    CHECK(memcmp(a, "first part,", 11) != 0);
    gss_iov_buffer_desc iov[4] = {
        {GSS_IOV_BUFFER_TYPE_HEADER, {b[2].cbBuffer, token}},
        {GSS_IOV_BUFFER_TYPE_DATA, {b[0].cbBuffer, a}}, /* ciphertext now: no strlen */
        {GSS_IOV_BUFFER_TYPE_SIGN_ONLY, {b[1].cbBuffer, hdr}},
        {GSS_IOV_BUFFER_TYPE_DATA, {b[3].cbBuffer, c}},
    };
    int state;
    gss_qop_t qop;
    CHECK_EQ(gss_unwrap_iov(&minor, p->mit, &state, &qop, iov, 4), GSS_S_COMPLETE);
    CHECK(strcmp(a, "first part,") == 0 && strcmp(c, " second part") == 0);
    free(token);
}

/* Three MIT messages delivered as 1, 1 again, 3, 2, 3 — with replay and sequence detection. */
static void check_replay_and_order(struct pair *p, bool detect)
{
    OM_uint32 minor;
    gss_buffer_desc tok[3];
    unsigned char *copy[3];
    for (int i = 0; i < 3; i++) {
        tok[i] = mit_wrap(p->mit, 1, "numbered message");
        copy[i] = malloc(tok[i].length);
        REQUIRE(copy[i] != NULL);
        memcpy(copy[i], tok[i].value, tok[i].length);
    }
    SecBuffer data;
    ULONG qop;
    CHECK_EQ(decrypt_stream(&p->ours, &tok[0], &data, &qop), SEC_E_OK);
    memcpy(tok[0].value, copy[0], tok[0].length); /* decryption happens in place */
    CHECK_EQ(decrypt_stream(&p->ours, &tok[0], &data, &qop),
             detect ? SEC_E_MESSAGE_ALTERED : SEC_E_OK);
    CHECK_EQ(decrypt_stream(&p->ours, &tok[2], &data, &qop),
             detect ? SEC_E_OUT_OF_SEQUENCE : SEC_E_OK);
    memcpy(tok[2].value, copy[2], tok[2].length);
    CHECK_EQ(decrypt_stream(&p->ours, &tok[1], &data, &qop), detect ? SEC_E_OK : SEC_E_OK);
    CHECK_EQ(decrypt_stream(&p->ours, &tok[2], &data, &qop), detect ? SEC_E_OK : SEC_E_OK);
    /* A flipped bit anywhere in the ciphertext: refused. */
    gss_buffer_desc t = mit_wrap(p->mit, 1, "to be altered");
    ((unsigned char *)t.value)[t.length - 3] ^= 0x40;
    CHECK_EQ(decrypt_stream(&p->ours, &t, &data, &qop), SEC_E_MESSAGE_ALTERED);
    gss_release_buffer(&minor, &t);
    for (int i = 0; i < 3; i++) {
        gss_release_buffer(&minor, &tok[i]);
        free(copy[i]);
    }
}

static void test_acceptor_spnego_mutual(void)
{
    struct pair p;
    pair_accept(&p, (gss_OID)gss_mech_spnego, all_flags,
                ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |
                    ASC_REQ_SEQUENCE_DETECT);
    CHECK(p.attrs & ASC_RET_SEQUENCE_DETECT);
    check_mit_wrap_opens_here(&p);
    check_mit_wrap_iov_opens_in_place(&p);
    check_mit_mic_verifies_here(&p);
    check_ours_open_at_mit(&p);
    check_our_signature_verifies_at_mit(&p);
    check_multi_buffer_at_mit(&p);
    check_replay_and_order(&p, true);
    pair_free(&p);
}

/* No AP-REP: both directions use the initiator's subkey and one sequence start. */
static void test_acceptor_krb5_without_mutual(void)
{
    struct pair p;
    pair_accept(&p, (gss_OID)gss_mech_krb5, GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG, 0);
    CHECK(!(p.attrs & ASC_RET_MUTUAL_AUTH));
    CHECK(!(p.attrs & (ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT)));
    check_mit_wrap_opens_here(&p);
    check_ours_open_at_mit(&p);
    check_our_signature_verifies_at_mit(&p);
    check_replay_and_order(&p, false);
    pair_free(&p);
}

/* negring as the initiator, MIT as the acceptor. */
static void check_initiator_direction(const char *package, ULONG req)
{
    struct pair p;
    OM_uint32 minor;
    pair_initiate(&p, package, req);
    check_ours_open_at_mit(&p);
    check_our_signature_verifies_at_mit(&p);
    check_mit_wrap_opens_here(&p);
    check_mit_mic_verifies_here(&p);
    /* A token we sent, reflected back at us: refused. */
    char text[] = "reflected";
    unsigned char sig[64];
    SecBuffer b[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {strlen(text), SECBUFFER_DATA, text}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_EQ(MakeSignature(&p.ours, 0, &d, 0), SEC_E_OK);
    CHECK_EQ(VerifySignature(&p.ours, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
    gss_buffer_desc msg = {strlen(text), text}, mic = {b[0].cbBuffer, sig};
    CHECK_EQ(gss_verify_mic(&minor, p.mit, &msg, &mic, NULL), GSS_S_COMPLETE);
    pair_free(&p);
}

static void test_initiator_negotiate_mutual(void)
{
    check_initiator_direction("Negotiate", ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY |
                                               ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                                               ISC_REQ_SEQUENCE_DETECT);
}

static void test_initiator_kerberos_without_mutual(void)
{
    check_initiator_direction("Kerberos", ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &acceptor_cred) == SEC_E_OK);
    RUN(test_acceptor_spnego_mutual);
    RUN(test_acceptor_krb5_without_mutual);
    RUN(test_initiator_negotiate_mutual);
    RUN(test_initiator_kerberos_without_mutual);
    FreeCredentialsHandle(&acceptor_cred);
    return check_report();
}
