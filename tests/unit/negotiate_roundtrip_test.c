/* Our initiator against our acceptor, through the public SSPI API only: both packages, with and
 * without mutual authentication, caller-supplied and ISC/ASC_REQ_ALLOCATE_MEMORY buffers, the W
 * entry points, explicit SEC_WINNT_AUTH_IDENTITY_A/W identities (and a wrong password), an
 * unknown target, INBOUND-only credentials used to initiate, and that every context attribute
 * the two sides can both answer agrees between them. */
#include "check.h"
#include "realm.h"

#include <negring/sspi.h>
#include <stdbool.h>
#include <string.h>

#define TOKEN_MAX 48256
#define SERVICE   "HTTP/localhost"

static struct ng_test_realm realm;

/* One side of a handshake: its credentials, context and what the last call returned. */
struct side {
    CredHandle cred;
    CtxtHandle ctx;
    bool have_ctx;
    ULONG attrs;
    TimeStamp expiry;
    SECURITY_STATUS status;
};

struct handshake {
    struct side client, server;
    const char *target;        /* UTF-8 SPN for InitializeSecurityContextA */
    const SEC_WCHAR *target_w; /* when set, InitializeSecurityContextW is used instead */
    ULONG isc_req, asc_req;
    int legs; /* AcceptSecurityContext calls */
};

/* Converts ASCII to a static-length UTF-16 string (tests only use ASCII names). */
static void ascii_to_w(const char *in, SEC_WCHAR *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < cap; i++)
        out[i] = (SEC_WCHAR)(unsigned char)in[i];
    out[i] = 0;
}

/* Output descriptor: a fixed buffer, or an empty one to be filled by ALLOCATE_MEMORY. */
static void out_init(SecBuffer *b, SecBufferDesc *d, unsigned char *fixed, bool allocate)
{
    *b = (SecBuffer){allocate ? 0 : TOKEN_MAX, SECBUFFER_TOKEN, allocate ? NULL : fixed};
    *d = (SecBufferDesc){SECBUFFER_VERSION, 1, b};
}

/* Copies an output token into `dst` and releases it when the library allocated it. */
static ULONG take_token(SecBuffer *b, bool allocated, unsigned char *dst)
{
    ULONG len = b->cbBuffer;
    if (len > 0 && b->pvBuffer != dst)
        memcpy(dst, b->pvBuffer, len);
    if (allocated && b->pvBuffer != NULL)
        CHECK_EQ(FreeContextBuffer(b->pvBuffer), SEC_E_OK);
    return len;
}

static SECURITY_STATUS client_step(struct handshake *h, const unsigned char *in, ULONG in_len,
                                   unsigned char *out, ULONG *out_len)
{
    static unsigned char scratch[TOKEN_MAX];
    bool allocate = (h->isc_req & ISC_REQ_ALLOCATE_MEMORY) != 0;
    SecBuffer ob, ib = {in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc od, id = {SECBUFFER_VERSION, 1, &ib};
    out_init(&ob, &od, scratch, allocate);
    PCtxtHandle cur = h->client.have_ctx ? &h->client.ctx : NULL;
    PSecBufferDesc input = in_len ? &id : NULL;
    SECURITY_STATUS s;
    if (h->target_w != NULL)
        s = InitializeSecurityContextW(&h->client.cred, cur, (SEC_WCHAR *)h->target_w, h->isc_req,
                                       0, SECURITY_NATIVE_DREP, input, 0, &h->client.ctx, &od,
                                       &h->client.attrs, &h->client.expiry);
    else
        s = InitializeSecurityContextA(&h->client.cred, cur, (SEC_CHAR *)h->target, h->isc_req, 0,
                                       SECURITY_NATIVE_DREP, input, 0, &h->client.ctx, &od,
                                       &h->client.attrs, &h->client.expiry);
    h->client.status = s;
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED)
        h->client.have_ctx = true;
    bool allocated = (h->client.attrs & ISC_RET_ALLOCATED_MEMORY) != 0;
    if (allocate && ob.cbBuffer > 0)
        CHECK(allocated);
    *out_len = take_token(&ob, allocated, out);
    return s;
}

static SECURITY_STATUS server_step(struct handshake *h, const unsigned char *in, ULONG in_len,
                                   unsigned char *out, ULONG *out_len)
{
    static unsigned char scratch[TOKEN_MAX];
    bool allocate = (h->asc_req & ASC_REQ_ALLOCATE_MEMORY) != 0;
    SecBuffer ob, ib = {in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc od, id = {SECBUFFER_VERSION, 1, &ib};
    out_init(&ob, &od, scratch, allocate);
    PCtxtHandle cur = h->server.have_ctx ? &h->server.ctx : NULL;
    SECURITY_STATUS s =
        AcceptSecurityContext(&h->server.cred, cur, &id, h->asc_req, SECURITY_NATIVE_DREP,
                              &h->server.ctx, &od, &h->server.attrs, &h->server.expiry);
    h->server.status = s;
    h->legs++;
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED)
        h->server.have_ctx = true;
    bool allocated = (h->server.attrs & ASC_RET_ALLOCATED_MEMORY) != 0;
    if (allocate && ob.cbBuffer > 0)
        CHECK(allocated);
    *out_len = take_token(&ob, allocated, out);
    return s;
}

static bool ok_or_continue(SECURITY_STATUS s)
{
    return s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED;
}

/* Runs legs until both sides are done or one fails. Returns true when both returned SEC_E_OK. */
static bool run_handshake(struct handshake *h)
{
    static unsigned char to_server[TOKEN_MAX], to_client[TOKEN_MAX];
    ULONG ts_len = 0, tc_len = 0;
    if (!ok_or_continue(client_step(h, NULL, 0, to_server, &ts_len)))
        return false;
    for (int i = 0; i < 6 && ts_len > 0; i++) {
        if (!ok_or_continue(server_step(h, to_server, ts_len, to_client, &tc_len)))
            return false;
        ts_len = 0;
        if (tc_len == 0 || h->client.status == SEC_E_OK)
            break;
        if (!ok_or_continue(client_step(h, to_client, tc_len, to_server, &ts_len)))
            return false;
    }
    return h->client.status == SEC_E_OK && h->server.status == SEC_E_OK;
}

static void handshake_free(struct handshake *h)
{
    if (h->client.have_ctx)
        CHECK_EQ(DeleteSecurityContext(&h->client.ctx), SEC_E_OK);
    if (h->server.have_ctx)
        CHECK_EQ(DeleteSecurityContext(&h->server.ctx), SEC_E_OK);
    h->client.have_ctx = h->server.have_ctx = false;
}

static void acquire(const char *package, ULONG use, void *auth, CredHandle *cred)
{
    TimeStamp expiry;
    SECURITY_STATUS s = AcquireCredentialsHandleA(NULL, (char *)package, use, NULL, auth, NULL,
                                                  NULL, cred, &expiry);
    REQUIRE(s == SEC_E_OK);
}

static void setup(struct handshake *h, const char *package, ULONG isc_req, ULONG asc_req)
{
    memset(h, 0, sizeof(*h));
    h->target = SERVICE;
    h->isc_req = isc_req;
    h->asc_req = asc_req;
    acquire(package, SECPKG_CRED_OUTBOUND, NULL, &h->client.cred);
    acquire(package, SECPKG_CRED_INBOUND, NULL, &h->server.cred);
}

static void teardown(struct handshake *h)
{
    handshake_free(h);
    CHECK_EQ(FreeCredentialsHandle(&h->client.cred), SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&h->server.cred), SEC_E_OK);
}

static void check_keys_agree(struct handshake *h);

static bool name_is(const char *got, const char *want)
{
    return got != NULL && strcmp(got, want) == 0;
}

static void check_server_sees(CtxtHandle *server, const char *user)
{
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(name_is(names.sUserName, user));
    if (names.sUserName != NULL)
        FreeContextBuffer(names.sUserName);
}

/* ---- packages and flags ----------------------------------------------------------------- */

static void run_case(const char *package, ULONG isc_req, ULONG asc_req, int want_legs)
{
    struct handshake h;
    setup(&h, package, isc_req, asc_req);
    CHECK(run_handshake(&h));
    CHECK_EQ(h.legs, want_legs);
    bool mutual = (isc_req & ISC_REQ_MUTUAL_AUTH) != 0;
    CHECK_EQ((h.client.attrs & ISC_RET_MUTUAL_AUTH) != 0, mutual);
    CHECK_EQ((h.server.attrs & ASC_RET_MUTUAL_AUTH) != 0, mutual);
    if (h.server.status == SEC_E_OK)
        check_server_sees(&h.server.ctx, realm.user);
    teardown(&h);
}

static void test_negotiate_mutual(void)
{
    run_case("Negotiate", ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY, ASC_REQ_CONNECTION, 1);
}

static void test_negotiate_not_mutual(void)
{
    run_case("Negotiate", ISC_REQ_CONNECTION, ASC_REQ_CONNECTION, 1);
}

static void test_kerberos_mutual(void)
{
    run_case("Kerberos", ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, ASC_REQ_CONNECTION, 1);
}

/* Raw Kerberos without mutual authentication is one token, and the initiator is done at once. */
static void test_kerberos_not_mutual(void)
{
    struct handshake h;
    setup(&h, "Kerberos", ISC_REQ_CONNECTION, ASC_REQ_CONNECTION);
    CHECK(run_handshake(&h));
    CHECK_EQ(h.legs, 1);
    check_server_sees(&h.server.ctx, realm.user);
    teardown(&h);
}

static void test_allocate_memory_both_sides(void)
{
    run_case("Negotiate", ISC_REQ_MUTUAL_AUTH | ISC_REQ_ALLOCATE_MEMORY,
             ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_CONNECTION, 1);
    run_case("Kerberos", ISC_REQ_MUTUAL_AUTH | ISC_REQ_ALLOCATE_MEMORY,
             ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_CONNECTION, 1);
}

/* Channel bindings given on both sides match; different ones are refused by the acceptor. */
static unsigned char *make_bindings(const char *app, ULONG *len)
{
    static unsigned char buf[2][sizeof(SEC_CHANNEL_BINDINGS) + 64];
    static int which;
    unsigned char *cb = buf[which ^= 1];
    SEC_CHANNEL_BINDINGS hdr = {0};
    hdr.cbApplicationDataLength = (ULONG)strlen(app);
    hdr.dwApplicationDataOffset = sizeof(hdr);
    memcpy(cb, &hdr, sizeof(hdr));
    memcpy(cb + sizeof(hdr), app, strlen(app));
    *len = (ULONG)(sizeof(hdr) + strlen(app));
    return cb;
}

/* One Kerberos login through Negotiate, each side with its bindings (NULL: none), the acceptor
 * under `policy` (SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS): AcceptSecurityContext's status. */
static SECURITY_STATUS bound_login(const char *client_app, const char *server_app, ULONG policy)
{
    struct handshake h;
    setup(&h, "Negotiate", ISC_REQ_MUTUAL_AUTH, ASC_REQ_CONNECTION);
    CHECK_EQ(SetCredentialsAttributesA(&h.server.cred, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS,
                                       &policy, sizeof(policy)),
             SEC_E_OK);
    static unsigned char tok[TOKEN_MAX], rep[TOKEN_MAX];
    ULONG ccb = 0, scb = 0;
    unsigned char *cb_client = client_app ? make_bindings(client_app, &ccb) : NULL;
    unsigned char *cb_server = server_app ? make_bindings(server_app, &scb) : NULL;
    SecBuffer ib[2] = {{0, SECBUFFER_TOKEN, NULL}, {ccb, SECBUFFER_CHANNEL_BINDINGS, cb_client}};
    SecBufferDesc id = {SECBUFFER_VERSION, client_app ? 2 : 1, ib};
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, tok};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS s = InitializeSecurityContextA(&h.client.cred, NULL, SERVICE, h.isc_req, 0,
                                                   SECURITY_NATIVE_DREP, &id, 0, &h.client.ctx, &od,
                                                   &h.client.attrs, NULL);
    CHECK_EQ(s, SEC_I_CONTINUE_NEEDED);
    h.client.have_ctx = s == SEC_I_CONTINUE_NEEDED;
    SecBuffer sb[2] = {{ob.cbBuffer, SECBUFFER_TOKEN, tok},
                       {scb, SECBUFFER_CHANNEL_BINDINGS, cb_server}};
    SecBufferDesc sd = {SECBUFFER_VERSION, server_app ? 2 : 1, sb};
    SecBuffer rb = {TOKEN_MAX, SECBUFFER_TOKEN, rep};
    SecBufferDesc rd = {SECBUFFER_VERSION, 1, &rb};
    s = AcceptSecurityContext(&h.server.cred, NULL, &sd, ASC_REQ_CONNECTION, SECURITY_NATIVE_DREP,
                              &h.server.ctx, &rd, &h.server.attrs, NULL);
    h.server.have_ctx = s == SEC_E_OK;
    teardown(&h);
    return s;
}

/* Bindings checked when both sides have them; Extended Protection "required" also refuses a
 * client without (and any client when the caller has none to give). */
static void test_channel_bindings(void)
{
    const ULONG when = NEGRING_CHANNEL_BINDINGS_WHEN_SUPPLIED,
                req = NEGRING_CHANNEL_BINDINGS_REQUIRED;
    CHECK_EQ(bound_login("tls-u:AB", "tls-u:AB", when), SEC_E_OK);
    CHECK_EQ(bound_login("tls-u:AB", "tls-u:XY", when), SEC_E_BAD_BINDINGS);
    CHECK_EQ(bound_login(NULL, "tls-u:AB", when), SEC_E_OK);
    CHECK_EQ(bound_login("tls-u:AB", NULL, when), SEC_E_OK);
    CHECK_EQ(bound_login("tls-u:AB", "tls-u:AB", req), SEC_E_OK);
    CHECK_EQ(bound_login("tls-u:AB", "tls-u:XY", req), SEC_E_BAD_BINDINGS);
    CHECK_EQ(bound_login(NULL, "tls-u:AB", req), SEC_E_BAD_BINDINGS);
    CHECK_EQ(bound_login("tls-u:AB", NULL, req), SEC_E_BAD_BINDINGS);
}

/* The policy attribute: its two values on INBOUND credentials only. */
static void test_channel_bindings_policy_attribute(void)
{
    CredHandle in, out;
    acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, &in);
    acquire("Negotiate", SECPKG_CRED_OUTBOUND, NULL, &out);
    ULONG v = 2;
    CHECK_EQ(
        SetCredentialsAttributesA(&in, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, &v, sizeof(v)),
        SEC_E_INVALID_PARAMETER);
    v = NEGRING_CHANNEL_BINDINGS_REQUIRED;
    CHECK_EQ(SetCredentialsAttributesA(&in, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, &v, 2),
             SEC_E_INVALID_PARAMETER);
    CHECK_EQ(SetCredentialsAttributesA(&in, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, NULL, 4),
             SEC_E_INVALID_PARAMETER);
    CHECK_EQ(
        SetCredentialsAttributesW(&in, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, &v, sizeof(v)),
        SEC_E_OK);
    CHECK_EQ(
        SetCredentialsAttributesA(&out, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, &v, sizeof(v)),
        SEC_E_WRONG_CREDENTIAL_HANDLE);
    FreeCredentialsHandle(&in);
    FreeCredentialsHandle(&out);
}

/* ISC_RET_MUTUAL_AUTH is earned by a verified AP-REP: a reply altered in transit is refused
 * (for both packages), and the failed context is refused for any further leg. */
static void test_altered_ap_rep_refused(void)
{
    const char *packages[] = {"Negotiate", "Kerberos"};
    for (int p = 0; p < 2; p++) {
        struct handshake h;
        setup(&h, packages[p], ISC_REQ_MUTUAL_AUTH, ASC_REQ_CONNECTION);
        static unsigned char to_server[TOKEN_MAX], to_client[TOKEN_MAX], again[TOKEN_MAX];
        ULONG ts_len = 0, tc_len = 0, again_len = 0;
        CHECK_EQ(client_step(&h, NULL, 0, to_server, &ts_len), SEC_I_CONTINUE_NEEDED);
        CHECK_EQ(server_step(&h, to_server, ts_len, to_client, &tc_len), SEC_E_OK);
        REQUIRE(tc_len > 8);
        to_client[tc_len - 3] ^= 0x40; /* inside the AP-REP's encrypted part */
        SECURITY_STATUS s = client_step(&h, to_client, tc_len, to_server, &ts_len);
        CHECK(s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED);
        CHECK_EQ(h.client.attrs & ISC_RET_MUTUAL_AUTH, 0);
        to_client[tc_len - 3] ^= 0x40; /* the genuine reply no longer helps */
        h.client.have_ctx = true;
        s = client_step(&h, to_client, tc_len, again, &again_len);
        CHECK(s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED);
        SecPkgContext_SessionKey key;
        CHECK_EQ(QueryContextAttributesA(&h.client.ctx, SECPKG_ATTR_SESSION_KEY, &key),
                 SEC_E_INVALID_HANDLE);
        teardown(&h);
    }
}

/* A stray call on an established context is refused and leaves the context established. */
static void test_extra_call_keeps_context(void)
{
    const char *packages[] = {"Negotiate", "Kerberos"};
    for (int p = 0; p < 2; p++) {
        struct handshake h;
        setup(&h, packages[p], ISC_REQ_CONNECTION, ASC_REQ_CONNECTION);
        REQUIRE(run_handshake(&h));
        static unsigned char out[TOKEN_MAX];
        ULONG len = 0;
        CHECK_EQ(client_step(&h, NULL, 0, out, &len), SEC_E_INVALID_HANDLE);
        CHECK_EQ(len, 0);
        check_keys_agree(&h);
        teardown(&h);
    }
}

/* ---- W entry points --------------------------------------------------------------------- */

static void test_wide_entry_points(void)
{
    SEC_WCHAR pkg[16], target[32];
    ascii_to_w("Negotiate", pkg, 16);
    ascii_to_w(SERVICE, target, 32);
    struct handshake h;
    memset(&h, 0, sizeof(h));
    h.target_w = target;
    h.isc_req = ISC_REQ_MUTUAL_AUTH;
    h.asc_req = ASC_REQ_CONNECTION;
    TimeStamp expiry;
    REQUIRE(AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                      &h.client.cred, &expiry) == SEC_E_OK);
    REQUIRE(AcquireCredentialsHandleW(NULL, pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                      &h.server.cred, &expiry) == SEC_E_OK);
    CHECK(run_handshake(&h));
    CHECK(h.client.attrs & ISC_RET_MUTUAL_AUTH);
    if (h.server.status == SEC_E_OK) {
        SecPkgContext_NamesW names = {0};
        SEC_WCHAR want[64];
        ascii_to_w(realm.user, want, 64);
        CHECK_EQ(QueryContextAttributesW(&h.server.ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
        CHECK(names.sUserName != NULL &&
              memcmp(names.sUserName, want, (strlen(realm.user) + 1) * sizeof(SEC_WCHAR)) == 0);
        if (names.sUserName != NULL)
            FreeContextBuffer(names.sUserName);
    }
    teardown(&h);
}

/* ---- explicit identities ---------------------------------------------------------------- */

static void identity_handshake(void *auth, const char *want_user)
{
    struct handshake h;
    memset(&h, 0, sizeof(h));
    h.target = SERVICE;
    h.isc_req = ISC_REQ_MUTUAL_AUTH;
    h.asc_req = ASC_REQ_CONNECTION;
    acquire("Negotiate", SECPKG_CRED_OUTBOUND, auth, &h.client.cred);
    acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, &h.server.cred);
    SecPkgCredentials_NamesA cn = {0};
    CHECK_EQ(QueryCredentialsAttributesA(&h.client.cred, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK(name_is(cn.sUserName, want_user));
    if (cn.sUserName != NULL)
        FreeContextBuffer(cn.sUserName);
    CHECK(run_handshake(&h));
    if (h.server.status == SEC_E_OK)
        check_server_sees(&h.server.ctx, want_user);
    teardown(&h);
}

static void test_identity_a(void)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",        5,
                                    (unsigned char *)"NEGRING.TEST", 12,
                                    (unsigned char *)realm.password, (ULONG)strlen(realm.password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    identity_handshake(&id, realm.user);
}

static void test_identity_w(void)
{
    unsigned short user[8], domain[16], password[64];
    ascii_to_w("alice", user, 8);
    ascii_to_w("NEGRING.TEST", domain, 16);
    ascii_to_w(realm.password, password, 64);
    SEC_WINNT_AUTH_IDENTITY_W id = {user,
                                    5,
                                    domain,
                                    12,
                                    password,
                                    (ULONG)strlen(realm.password),
                                    SEC_WINNT_AUTH_IDENTITY_UNICODE};
    identity_handshake(&id, realm.user);
}

/* A second user proves the identity, not the default ccache, is what authenticates. */
static void test_identity_other_user(void)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {
        (unsigned char *)"bob",        3,  (unsigned char *)"NEGRING.TEST", 12,
        (unsigned char *)"bob-Pass-2", 10, SEC_WINNT_AUTH_IDENTITY_ANSI};
    identity_handshake(&id, "bob@NEGRING.TEST");
}

static void test_identity_wrong_password(void)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",
                                    5,
                                    (unsigned char *)"NEGRING.TEST",
                                    12,
                                    (unsigned char *)"not-the-password",
                                    16,
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle cred;
    SecInvalidateHandle(&cred);
    TimeStamp expiry;
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                       NULL, &cred, &expiry),
             SEC_E_LOGON_DENIED);
    CHECK(!SecIsValidHandle(&cred));
}

/* ---- refusals ------------------------------------------------------------------------- */

static void test_unknown_target(void)
{
    struct handshake h;
    setup(&h, "Negotiate", ISC_REQ_MUTUAL_AUTH, ASC_REQ_CONNECTION);
    h.target = "HTTP/no-such-host.negring.invalid";
    SecInvalidateHandle(&h.client.ctx);
    static unsigned char tok[TOKEN_MAX];
    ULONG len = 0;
    CHECK_EQ(client_step(&h, NULL, 0, tok, &len), SEC_E_TARGET_UNKNOWN);
    CHECK_EQ(len, 0);
    CHECK(!h.client.have_ctx);
    CHECK(!SecIsValidHandle(&h.client.ctx));
    teardown(&h);
}

static void test_initiate_with_inbound_creds(void)
{
    CredHandle cred;
    CtxtHandle ctx;
    SecInvalidateHandle(&ctx);
    acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, &cred);
    static unsigned char tok[TOKEN_MAX];
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, tok};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0xffffffff;
    SECURITY_STATUS s =
        InitializeSecurityContextA(&cred, NULL, SERVICE, ISC_REQ_MUTUAL_AUTH, 0,
                                   SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attrs, NULL);
    CHECK_EQ(s, SEC_E_WRONG_CREDENTIAL_HANDLE);
    CHECK_EQ(attrs, 0);
    CHECK(!SecIsValidHandle(&ctx));
    CHECK_EQ(FreeCredentialsHandle(&cred), SEC_E_OK);
}

/* ---- attributes agree between the two sides ---------------------------------------------- */

static void check_names_agree(struct handshake *h)
{
    SecPkgContext_NamesA cn = {0}, sn = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_NAMES, &sn), SEC_E_OK);
    CHECK(name_is(cn.sUserName, realm.user));
    CHECK(name_is(sn.sUserName, realm.user));
    FreeContextBuffer(cn.sUserName);
    FreeContextBuffer(sn.sUserName);

    SecPkgContext_NativeNamesA cnn = {0}, snn = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_NATIVE_NAMES, &cnn), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_NATIVE_NAMES, &snn), SEC_E_OK);
    CHECK(name_is(cnn.sClientName, realm.user));
    CHECK(name_is(snn.sClientName, realm.user));
    CHECK(name_is(cnn.sServerName, realm.service));
    CHECK(name_is(snn.sServerName, realm.service));
    FreeContextBuffer(cnn.sClientName);
    FreeContextBuffer(cnn.sServerName);
    FreeContextBuffer(snn.sClientName);
    FreeContextBuffer(snn.sServerName);
}

static void check_keys_agree(struct handshake *h)
{
    SecPkgContext_SessionKey ck = {0}, sk = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
    CHECK(ck.SessionKeyLength >= 16);
    CHECK_EQ(ck.SessionKeyLength, sk.SessionKeyLength);
    CHECK(ck.SessionKey != NULL && sk.SessionKey != NULL &&
          ck.SessionKeyLength == sk.SessionKeyLength &&
          memcmp(ck.SessionKey, sk.SessionKey, ck.SessionKeyLength) == 0);
    FreeContextBuffer(ck.SessionKey);
    FreeContextBuffer(sk.SessionKey);
}

static void check_lifespan_sizes_agree(struct handshake *h)
{
    SecPkgContext_Lifespan cl = {0}, sl = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_LIFESPAN, &cl), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_LIFESPAN, &sl), SEC_E_OK);
    CHECK_EQ(cl.tsStart.QuadPart, sl.tsStart.QuadPart);
    CHECK_EQ(cl.tsExpiry.QuadPart, sl.tsExpiry.QuadPart);
    CHECK(cl.tsExpiry.QuadPart > cl.tsStart.QuadPart);
    /* ISC/ASC's ptsExpiry is the context's expiry. */
    CHECK_EQ(h->client.expiry.QuadPart, cl.tsExpiry.QuadPart);
    CHECK_EQ(h->server.expiry.QuadPart, sl.tsExpiry.QuadPart);

    SecPkgContext_Sizes cs = {0}, ss = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_SIZES, &cs), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_SIZES, &ss), SEC_E_OK);
    CHECK_EQ(cs.cbMaxToken, ss.cbMaxToken);
    CHECK_EQ(cs.cbMaxSignature, ss.cbMaxSignature);
    CHECK_EQ(cs.cbBlockSize, ss.cbBlockSize);
    CHECK_EQ(cs.cbSecurityTrailer, ss.cbSecurityTrailer);
    CHECK(cs.cbMaxSignature > 0);
}

static void check_flags_negotiation_agree(struct handshake *h, bool mutual)
{
    SecPkgContext_Flags cf = {0}, sf = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_FLAGS, &cf), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_FLAGS, &sf), SEC_E_OK);
    /* Same bit values on both sides for these; integrity differs (ISC 0x10000, ASC 0x20000). */
    const ULONG common = ISC_RET_MUTUAL_AUTH | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT |
                         ISC_RET_CONFIDENTIALITY;
    CHECK_EQ(cf.Flags & common, sf.Flags & common);
    CHECK_EQ((cf.Flags & ISC_RET_INTEGRITY) != 0, (sf.Flags & ASC_RET_INTEGRITY) != 0);
    CHECK_EQ((cf.Flags & ISC_RET_MUTUAL_AUTH) != 0, mutual);
    CHECK(cf.Flags & ISC_RET_CONFIDENTIALITY);
    /* The flags the last call returned are the context's flags. */
    CHECK_EQ(cf.Flags, h->client.attrs);
    CHECK_EQ(sf.Flags, h->server.attrs);

    SecPkgContext_NegotiationInfoA cn = {0}, sn = {0};
    CHECK_EQ(QueryContextAttributesA(&h->client.ctx, SECPKG_ATTR_NEGOTIATION_INFO, &cn), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesA(&h->server.ctx, SECPKG_ATTR_NEGOTIATION_INFO, &sn), SEC_E_OK);
    CHECK(cn.PackageInfo != NULL && name_is(cn.PackageInfo->Name, "Kerberos"));
    CHECK(sn.PackageInfo != NULL && name_is(sn.PackageInfo->Name, "Kerberos"));
    CHECK_EQ(cn.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    CHECK_EQ(sn.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    FreeContextBuffer(cn.PackageInfo);
    FreeContextBuffer(sn.PackageInfo);
}

static void test_attributes_agree(void)
{
    const char *packages[] = {"Negotiate", "Kerberos"};
    for (int p = 0; p < 2; p++) {
        for (int mutual = 0; mutual < 2; mutual++) {
            struct handshake h;
            ULONG req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT |
                        ISC_REQ_CONNECTION | (mutual ? ISC_REQ_MUTUAL_AUTH : 0);
            setup(&h, packages[p], req, ASC_REQ_CONNECTION);
            REQUIRE(run_handshake(&h));
            check_names_agree(&h);
            check_keys_agree(&h);
            check_lifespan_sizes_agree(&h);
            check_flags_negotiation_agree(&h, mutual);
            teardown(&h);
        }
    }
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(test_negotiate_mutual);
    RUN(test_negotiate_not_mutual);
    RUN(test_kerberos_mutual);
    RUN(test_kerberos_not_mutual);
    RUN(test_allocate_memory_both_sides);
    RUN(test_channel_bindings);
    RUN(test_channel_bindings_policy_attribute);
    RUN(test_altered_ap_rep_refused);
    RUN(test_extra_call_keeps_context);
    RUN(test_wide_entry_points);
    RUN(test_identity_a);
    RUN(test_identity_w);
    RUN(test_identity_other_user);
    RUN(test_identity_wrong_password);
    RUN(test_unknown_target);
    RUN(test_initiate_with_inbound_creds);
    RUN(test_attributes_agree);
    ng_test_realm_stop(&realm);
    return check_report();
}
