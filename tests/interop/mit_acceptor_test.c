/* Our initiator (InitializeSecurityContextA) against MIT's acceptor (gss_accept_sec_context with
 * GSS_C_NO_CREDENTIAL, so keys come from KRB5_KTNAME): SPNEGO with and without mutual
 * authentication, the raw Kerberos package against gss_mech_krb5, channel bindings that match and
 * that do not, and that our SECPKG_ATTR_SESSION_KEY is the key MIT's acceptor uses
 * (GSS_C_INQ_SSPI_SESSION_KEY) — with mutual authentication that is the acceptor's subkey from
 * the AP-REP, so equal keys prove we adopted it. */
#include "check.h"
#include "realm.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdbool.h>
#include <string.h>

#define TOKEN_MAX 48256
#define SERVICE   "HTTP/localhost"

static struct ng_test_realm realm;

static gss_OID_desc spnego_oid = {6, "\x2b\x06\x01\x05\x05\x02"};

/* MIT's side of one handshake. */
struct mit_acceptor {
    gss_ctx_id_t ctx;
    gss_name_t src_name;
    gss_OID mech;
    OM_uint32 major, minor, ret_flags;
    bool has_bindings;
    struct gss_channel_bindings_struct bindings;
};

/* Our side: the credentials, the context and what the last call returned. */
struct initiator {
    CredHandle cred;
    CtxtHandle ctx;
    bool have_ctx;
    ULONG req, attrs;
    SECURITY_STATUS status;
    const void *bindings; /* SEC_CHANNEL_BINDINGS buffer, or NULL */
    ULONG bindings_len;
};

static bool oid_equal(gss_const_OID a, gss_const_OID b)
{
    return a != NULL && b != NULL && a->length == b->length &&
           memcmp(a->elements, b->elements, a->length) == 0;
}

static void report_gss(const char *what, OM_uint32 major, OM_uint32 minor)
{
    fprintf(stderr, "%s: major 0x%x minor %u\n", what, major, minor);
    OM_uint32 m, ctx = 0;
    gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
    if (minor != 0 && !GSS_ERROR(gss_display_status(&m, minor, GSS_C_MECH_CODE,
                                                    (gss_OID)gss_mech_krb5, &ctx, &msg))) {
        fprintf(stderr, "  %.*s\n", (int)msg.length, (char *)msg.value);
        gss_release_buffer(&m, &msg);
    }
}

/* Application data for both sides: SEC_CHANNEL_BINDINGS + data for us; for MIT only the
 * application data, address types 0 (GSS_C_AF_UNSPEC), as the SEC_CHANNEL_BINDINGS header
 * leaves them. */
struct bindings {
    unsigned char sec[sizeof(SEC_CHANNEL_BINDINGS) + 64];
    ULONG sec_len;
};

static void bindings_make(struct bindings *b, const char *app)
{
    size_t len = strlen(app);
    REQUIRE(len <= 64);
    SEC_CHANNEL_BINDINGS hdr;
    memset(&hdr, 0, sizeof(hdr));
    hdr.cbApplicationDataLength = (ULONG)len;
    hdr.dwApplicationDataOffset = sizeof(hdr);
    memset(b->sec, 0, sizeof(b->sec));
    memcpy(b->sec, &hdr, sizeof(hdr));
    memcpy(b->sec + sizeof(hdr), app, len);
    b->sec_len = (ULONG)(sizeof(hdr) + len);
}

static void mit_set_bindings(struct mit_acceptor *m, const char *app)
{
    memset(&m->bindings, 0, sizeof(m->bindings));
    m->bindings.initiator_addrtype = GSS_C_AF_UNSPEC;
    m->bindings.acceptor_addrtype = GSS_C_AF_UNSPEC;
    m->bindings.application_data.length = strlen(app);
    m->bindings.application_data.value = (void *)app;
    m->has_bindings = true;
}

static SECURITY_STATUS isc(struct initiator *c, const void *in, size_t in_len, unsigned char *out,
                           ULONG *out_len)
{
    SecBuffer ib[2] = {{(ULONG)in_len, SECBUFFER_TOKEN, (void *)in},
                       {c->bindings_len, SECBUFFER_CHANNEL_BINDINGS, (void *)c->bindings}};
    SecBufferDesc id = {SECBUFFER_VERSION, c->bindings ? 2 : 1, ib};
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    bool first = !c->have_ctx;
    PSecBufferDesc input = in_len > 0 || (first && c->bindings) ? &id : NULL;
    c->status =
        InitializeSecurityContextA(&c->cred, first ? NULL : &c->ctx, SERVICE, c->req, 0,
                                   SECURITY_NATIVE_DREP, input, 0, &c->ctx, &od, &c->attrs, NULL);
    if (first && (c->status == SEC_E_OK || c->status == SEC_I_CONTINUE_NEEDED))
        c->have_ctx = true;
    *out_len = ob.cbBuffer;
    return c->status;
}

static OM_uint32 mit_accept(struct mit_acceptor *m, const void *in, size_t in_len,
                            gss_buffer_desc *out)
{
    gss_buffer_desc input = {in_len, (void *)in};
    m->major = gss_accept_sec_context(&m->minor, &m->ctx, GSS_C_NO_CREDENTIAL, &input,
                                      m->has_bindings ? &m->bindings : GSS_C_NO_CHANNEL_BINDINGS,
                                      m->src_name == GSS_C_NO_NAME ? &m->src_name : NULL, &m->mech,
                                      out, &m->ret_flags, NULL, NULL);
    return m->major;
}

/* Our first token to MIT, MIT's reply back to us, until both are done or one fails. Returns true
 * when MIT said GSS_S_COMPLETE and our last InitializeSecurityContext returned SEC_E_OK. */
static bool run_handshake(struct initiator *c, struct mit_acceptor *m)
{
    static unsigned char to_mit[TOKEN_MAX];
    ULONG len = 0;
    SECURITY_STATUS s = isc(c, NULL, 0, to_mit, &len);
    if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) {
        fprintf(stderr, "InitializeSecurityContextA: 0x%08x\n", (unsigned)s);
        return false;
    }
    for (int leg = 0; leg < 4 && len > 0; leg++) {
        gss_buffer_desc reply = GSS_C_EMPTY_BUFFER;
        OM_uint32 major = mit_accept(m, to_mit, len, &reply);
        if (GSS_ERROR(major)) {
            report_gss("gss_accept_sec_context", major, m->minor);
            OM_uint32 minor;
            gss_release_buffer(&minor, &reply);
            return false;
        }
        len = 0;
        if (reply.length > 0 && c->status == SEC_I_CONTINUE_NEEDED) {
            s = isc(c, reply.value, reply.length, to_mit, &len);
            if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED)
                fprintf(stderr, "InitializeSecurityContextA (reply): 0x%08x\n", (unsigned)s);
        }
        OM_uint32 minor;
        gss_release_buffer(&minor, &reply);
        if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED)
            return false;
    }
    return m->major == GSS_S_COMPLETE && c->status == SEC_E_OK;
}

static void setup(struct initiator *c, struct mit_acceptor *m, const char *package, ULONG req)
{
    memset(c, 0, sizeof(*c));
    memset(m, 0, sizeof(*m));
    m->ctx = GSS_C_NO_CONTEXT;
    m->src_name = GSS_C_NO_NAME;
    c->req = req;
    TimeStamp expiry;
    REQUIRE(AcquireCredentialsHandleA(NULL, (char *)package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &c->cred, &expiry) == SEC_E_OK);
}

static void teardown(struct initiator *c, struct mit_acceptor *m)
{
    OM_uint32 minor;
    if (c->have_ctx)
        CHECK_EQ(DeleteSecurityContext(&c->ctx), SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&c->cred), SEC_E_OK);
    if (m->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &m->ctx, GSS_C_NO_BUFFER);
    if (m->src_name != GSS_C_NO_NAME)
        gss_release_name(&minor, &m->src_name);
}

/* MIT authenticated alice. */
static void check_src_name(struct mit_acceptor *m)
{
    OM_uint32 minor;
    gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
    CHECK(!GSS_ERROR(gss_display_name(&minor, m->src_name, &name, NULL)));
    CHECK(name.length == strlen(realm.user) && memcmp(name.value, realm.user, name.length) == 0);
    if (name.length != strlen(realm.user) || memcmp(name.value, realm.user, name.length) != 0)
        fprintf(stderr, "MIT src_name: %.*s\n", (int)name.length, (char *)name.value);
    gss_release_buffer(&minor, &name);
}

/* Our SECPKG_ATTR_SESSION_KEY equals MIT's GSS_C_INQ_SSPI_SESSION_KEY. */
static void check_session_key(struct initiator *c, struct mit_acceptor *m)
{
    OM_uint32 major, minor;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    major = gss_inquire_sec_context_by_oid(&minor, m->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    CHECK_EQ(major, GSS_S_COMPLETE);
    SecPkgContext_SessionKey ours = {0};
    CHECK_EQ(QueryContextAttributesA(&c->ctx, SECPKG_ATTR_SESSION_KEY, &ours), SEC_E_OK);
    if (major == GSS_S_COMPLETE && set != GSS_C_NO_BUFFER_SET && set->count >= 1 &&
        ours.SessionKey != NULL) {
        CHECK_EQ(ours.SessionKeyLength, set->elements[0].length);
        CHECK(ours.SessionKeyLength == set->elements[0].length &&
              memcmp(ours.SessionKey, set->elements[0].value, ours.SessionKeyLength) == 0);
    } else {
        CHECK(!"both sides report a session key");
    }
    if (ours.SessionKey != NULL)
        FreeContextBuffer(ours.SessionKey);
    gss_release_buffer_set(&minor, &set);
}

static void check_negotiated_krb5(struct mit_acceptor *m, bool spnego)
{
    /* The mechanism MIT's accept returned: krb5, even through SPNEGO. */
    CHECK(oid_equal(m->mech, gss_mech_krb5));
    /* gss_inquire_context names the mechanism of the established context. */
    OM_uint32 minor;
    gss_OID mech = GSS_C_NO_OID;
    int open = 0;
    CHECK_EQ(gss_inquire_context(&minor, m->ctx, NULL, NULL, NULL, &mech, NULL, NULL, &open),
             GSS_S_COMPLETE);
    CHECK(oid_equal(mech, gss_mech_krb5));
    CHECK(open);
    (void)spnego;
}

/* The first token is SPNEGO (RFC 2743 §3.1 framing around 1.3.6.1.5.5.2) or raw krb5. */
static void check_first_token_mech(const char *package, bool spnego)
{
    CredHandle cred;
    CtxtHandle ctx;
    TimeStamp expiry;
    REQUIRE(AcquireCredentialsHandleA(NULL, (char *)package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &cred, &expiry) == SEC_E_OK);
    static unsigned char tok[TOKEN_MAX];
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, tok};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS s =
        InitializeSecurityContextA(&cred, NULL, SERVICE, ISC_REQ_MUTUAL_AUTH, 0,
                                   SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attrs, NULL);
    CHECK_EQ(s, SEC_I_CONTINUE_NEEDED);
    /* 0x60 len 0x06 oid-len oid... (short-form or 0x82 long-form length) */
    size_t off = tok[1] & 0x80 ? 2 + (tok[1] & 0x7f) : 2;
    gss_const_OID want = spnego ? &spnego_oid : gss_mech_krb5;
    CHECK(ob.cbBuffer > off + 2 + want->length && tok[0] == 0x60 && tok[off] == 0x06 &&
          tok[off + 1] == want->length && memcmp(tok + off + 2, want->elements, want->length) == 0);
    if (s == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&cred);
}

static void test_negotiate_mutual(void)
{
    struct initiator c;
    struct mit_acceptor m;
    check_first_token_mech("Negotiate", true);
    setup(&c, &m, "Negotiate", ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY);
    CHECK(run_handshake(&c, &m));
    CHECK_EQ(m.major, GSS_S_COMPLETE);
    CHECK_EQ(c.status, SEC_E_OK);
    CHECK(c.attrs & ISC_RET_MUTUAL_AUTH);
    CHECK(m.ret_flags & GSS_C_MUTUAL_FLAG);
    CHECK(m.ret_flags & GSS_C_CONF_FLAG);
    if (m.major == GSS_S_COMPLETE && c.status == SEC_E_OK) {
        check_src_name(&m);
        check_negotiated_krb5(&m, true);
        check_session_key(&c, &m);
    }
    teardown(&c, &m);
}

static void test_negotiate_not_mutual(void)
{
    struct initiator c;
    struct mit_acceptor m;
    setup(&c, &m, "Negotiate", ISC_REQ_CONNECTION);
    CHECK(run_handshake(&c, &m));
    CHECK_EQ(m.major, GSS_S_COMPLETE);
    CHECK_EQ(c.status, SEC_E_OK);
    CHECK_EQ(c.attrs & ISC_RET_MUTUAL_AUTH, 0);
    CHECK_EQ(m.ret_flags & GSS_C_MUTUAL_FLAG, 0);
    if (m.major == GSS_S_COMPLETE && c.status == SEC_E_OK) {
        check_src_name(&m);
        check_negotiated_krb5(&m, true);
        check_session_key(&c, &m);
    }
    teardown(&c, &m);
}

static void test_kerberos_package(void)
{
    check_first_token_mech("Kerberos", false);
    for (int mutual = 0; mutual < 2; mutual++) {
        struct initiator c;
        struct mit_acceptor m;
        setup(&c, &m, "Kerberos", mutual ? ISC_REQ_MUTUAL_AUTH : ISC_REQ_CONNECTION);
        CHECK(run_handshake(&c, &m));
        CHECK_EQ(m.major, GSS_S_COMPLETE);
        CHECK_EQ(c.status, SEC_E_OK);
        CHECK_EQ((c.attrs & ISC_RET_MUTUAL_AUTH) != 0, mutual);
        CHECK_EQ((m.ret_flags & GSS_C_MUTUAL_FLAG) != 0, mutual);
        CHECK(oid_equal(m.mech, gss_mech_krb5));
        if (m.major == GSS_S_COMPLETE && c.status == SEC_E_OK) {
            check_src_name(&m);
            check_session_key(&c, &m);
        }
        teardown(&c, &m);
    }
}

static void test_channel_bindings_match(void)
{
    const char *packages[] = {"Negotiate", "Kerberos"};
    for (int p = 0; p < 2; p++) {
        struct initiator c;
        struct mit_acceptor m;
        struct bindings b;
        setup(&c, &m, packages[p], ISC_REQ_MUTUAL_AUTH);
        bindings_make(&b, "tls-server-end-point:0123456789abcdef");
        c.bindings = b.sec;
        c.bindings_len = b.sec_len;
        mit_set_bindings(&m, "tls-server-end-point:0123456789abcdef");
        CHECK(run_handshake(&c, &m));
        CHECK_EQ(m.major, GSS_S_COMPLETE);
        CHECK_EQ(c.status, SEC_E_OK);
        if (m.major == GSS_S_COMPLETE)
            check_src_name(&m);
        teardown(&c, &m);
    }
}

static void test_channel_bindings_differ(void)
{
    const char *packages[] = {"Negotiate", "Kerberos"};
    for (int p = 0; p < 2; p++) {
        struct initiator c;
        struct mit_acceptor m;
        struct bindings b;
        setup(&c, &m, packages[p], ISC_REQ_MUTUAL_AUTH);
        bindings_make(&b, "tls-server-end-point:0123456789abcdef");
        c.bindings = b.sec;
        c.bindings_len = b.sec_len;
        mit_set_bindings(&m, "tls-server-end-point:fedcba9876543210");
        static unsigned char to_mit[TOKEN_MAX];
        ULONG len = 0;
        CHECK_EQ(isc(&c, NULL, 0, to_mit, &len), SEC_I_CONTINUE_NEEDED);
        gss_buffer_desc reply = GSS_C_EMPTY_BUFFER;
        OM_uint32 major = mit_accept(&m, to_mit, len, &reply);
        CHECK_EQ(GSS_ROUTINE_ERROR(major), GSS_S_BAD_BINDINGS);
        OM_uint32 minor;
        gss_release_buffer(&minor, &reply);
        teardown(&c, &m);
    }
}

/* Bindings on our side only: MIT (like Windows by default) accepts a checksum it was given no
 * bindings to compare with. */
static void test_channel_bindings_initiator_only(void)
{
    struct initiator c;
    struct mit_acceptor m;
    struct bindings b;
    setup(&c, &m, "Negotiate", ISC_REQ_MUTUAL_AUTH);
    bindings_make(&b, "tls-unique:abc");
    c.bindings = b.sec;
    c.bindings_len = b.sec_len;
    CHECK(run_handshake(&c, &m));
    teardown(&c, &m);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(test_negotiate_mutual);
    RUN(test_negotiate_not_mutual);
    RUN(test_kerberos_package);
    RUN(test_channel_bindings_match);
    RUN(test_channel_bindings_differ);
    RUN(test_channel_bindings_initiator_only);
    ng_test_realm_stop(&realm);
    return check_report();
}
