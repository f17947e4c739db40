/* context_attributes: QueryContextAttributesA/W over a context built by hand (the end-to-end
 * test over a real handshake lives with the acceptor tests). */
#include <negring/access_token.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "krb5_mech.h"
#include "krb5_state.h"
#include "security_context.h"

#define CLIENT "alice@EXAMPLE.COM"
#define SERVER "HTTP/web.example.com@EXAMPLE.COM"
#define START  INT64_C(1700000000)
#define END    INT64_C(1700036000)

static struct ng_credentials *creds;

static int wide_eq(const SEC_WCHAR *w, const char *ascii)
{
    size_t i = 0;
    for (; ascii[i] != '\0'; i++) {
        if (w == NULL || w[i] != (unsigned char)ascii[i])
            return 0;
    }
    return w[i] == 0;
}

/* A published context; `complete` fills what a finished Kerberos exchange leaves behind. */
static CtxtHandle make_context(enum ng_package_id package, bool complete, krb5_enctype enctype)
{
    struct ng_context *ctx = NULL;
    CtxtHandle h;

    ng_credentials_ref(creds); /* the context takes a reference */
    REQUIRE(ng_context_new(NG_ROLE_ACCEPTOR, package, creds, &ctx) == NG_OK);
    ctx->ret_flags = ASC_RET_MUTUAL_AUTH | ASC_RET_CONFIDENTIALITY;
    if (complete) {
        struct ng_krb5_state *st;
        ctx->state = NG_CTX_COMPLETE;
        ng_context_set_mech(ctx, NG_MECH_KRB5, &ng_krb5_mech);
        REQUIRE(ng_krb5_state_get(ctx, &st) == NG_OK);
        st->established = true;
        ctx->client_name = ng_strdup(CLIENT);
        ctx->server_name = ng_strdup(SERVER);
        st->session.enctype = enctype;
        st->session.key_len = enctype == ENCTYPE_AES128_CTS_HMAC_SHA1_96 ? 16 : 32;
        for (size_t i = 0; i < st->session.key_len; i++)
            st->session.key[i] = (uint8_t)(0xA0 + i);
        ctx->start_time = START;
        ctx->end_time = END;
    }
    REQUIRE(ng_context_publish(ctx, &h) == NG_OK);
    return h;
}

static void check_sizes(enum ng_package_id package, krb5_enctype enctype, ULONG max_token,
                        ULONG sig, ULONG trailer)
{
    CtxtHandle h = make_context(package, true, enctype);
    SecPkgContext_Sizes sizes;

    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK_EQ(sizes.cbMaxToken, max_token);
    CHECK_EQ(sizes.cbMaxSignature, sig);
    CHECK_EQ(sizes.cbBlockSize, 1);
    CHECK_EQ(sizes.cbSecurityTrailer, trailer);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

static void test_sizes_follow_rfc4121_for_the_enctype(void)
{
    check_sizes(NG_PKG_KERBEROS, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 48000, 28, 60);
    check_sizes(NG_PKG_NEGOTIATE, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 48256, 28, 60);
    check_sizes(NG_PKG_NEGOTIATE, ENCTYPE_AES128_CTS_HMAC_SHA1_96, 48256, 28, 60);
    check_sizes(NG_PKG_KERBEROS, ENCTYPE_AES128_CTS_HMAC_SHA256_128, 48000, 32, 64);
    check_sizes(NG_PKG_KERBEROS, ENCTYPE_AES256_CTS_HMAC_SHA384_192, 48000, 40, 72);
}

static void test_names_a_and_w(void)
{
    CtxtHandle h = make_context(NG_PKG_NEGOTIATE, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    SecPkgContext_NamesA na = {0};
    SecPkgContext_NamesW nw = {0};
    SecPkgContext_NativeNamesA nna = {0};
    SecPkgContext_NativeNamesW nnw = {0};

    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_NAMES, &na), SEC_E_OK);
    CHECK(na.sUserName != NULL && strcmp(na.sUserName, CLIENT) == 0);
    CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_NAMES, &nw), SEC_E_OK);
    CHECK(wide_eq(nw.sUserName, CLIENT));
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_NATIVE_NAMES, &nna), SEC_E_OK);
    CHECK(nna.sClientName != NULL && strcmp(nna.sClientName, CLIENT) == 0);
    CHECK(nna.sServerName != NULL && strcmp(nna.sServerName, SERVER) == 0);
    CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_NATIVE_NAMES, &nnw), SEC_E_OK);
    CHECK(wide_eq(nnw.sClientName, CLIENT));
    CHECK(wide_eq(nnw.sServerName, SERVER));
    FreeContextBuffer(na.sUserName);
    FreeContextBuffer(nw.sUserName);
    FreeContextBuffer(nna.sClientName);
    FreeContextBuffer(nna.sServerName);
    FreeContextBuffer(nnw.sClientName);
    FreeContextBuffer(nnw.sServerName);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

static void test_lifespan_is_in_filetime_ticks(void)
{
    CtxtHandle h = make_context(NG_PKG_KERBEROS, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    SecPkgContext_Lifespan life;

    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    CHECK_EQ(life.tsStart.QuadPart, (START + INT64_C(11644473600)) * 10000000);
    CHECK_EQ(life.tsExpiry.QuadPart, (END + INT64_C(11644473600)) * 10000000);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

static void test_session_key_flags_and_authority(void)
{
    CtxtHandle h = make_context(NG_PKG_KERBEROS, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    SecPkgContext_SessionKey key = {0};
    SecPkgContext_Flags flags;
    SecPkgContext_AuthorityA auth = {0};
    struct {
        SEC_WCHAR *name;
    } auth_w = {0};

    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_SESSION_KEY, &key), SEC_E_OK);
    CHECK_EQ(key.SessionKeyLength, 32);
    REQUIRE(key.SessionKey != NULL);
    CHECK_EQ(key.SessionKey[0], 0xA0);
    CHECK_EQ(key.SessionKey[31], 0xA0 + 31);
    CHECK_EQ(FreeContextBuffer(key.SessionKey), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK_EQ(flags.Flags, ASC_RET_MUTUAL_AUTH | ASC_RET_CONFIDENTIALITY);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_AUTHORITY, &auth), SEC_E_OK);
    CHECK(auth.sAuthorityName != NULL && strcmp(auth.sAuthorityName, "EXAMPLE.COM") == 0);
    CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_AUTHORITY, &auth_w), SEC_E_OK);
    CHECK(wide_eq(auth_w.name, "EXAMPLE.COM"));
    FreeContextBuffer(auth.sAuthorityName);
    FreeContextBuffer(auth_w.name);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

static void test_key_info_names_the_enctype(void)
{
    CtxtHandle h = make_context(NG_PKG_KERBEROS, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    SecPkgContext_KeyInfoA info = {0};

    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_KEY_INFO, &info), SEC_E_OK);
    CHECK(info.sEncryptAlgorithmName != NULL &&
          strcmp(info.sEncryptAlgorithmName, "AES256-CTS-HMAC-SHA1-96") == 0);
    CHECK(info.sSignatureAlgorithmName != NULL &&
          strcmp(info.sSignatureAlgorithmName, "HMAC-SHA1-96-AES256") == 0);
    CHECK_EQ(info.KeySize, 256);
    CHECK_EQ(info.SignatureAlgorithm, 16);
    CHECK_EQ(info.EncryptAlgorithm, 18);
    FreeContextBuffer(info.sEncryptAlgorithmName);
    FreeContextBuffer(info.sSignatureAlgorithmName);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

static void test_package_and_negotiation_info(void)
{
    CtxtHandle done = make_context(NG_PKG_NEGOTIATE, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    CtxtHandle busy = make_context(NG_PKG_NEGOTIATE, false, 0);
    SecPkgContext_PackageInfoA pa = {0};
    SecPkgContext_NegotiationInfoA na = {0};
    SecPkgContext_NegotiationInfoW nw = {0};

    CHECK_EQ(QueryContextAttributesA(&done, SECPKG_ATTR_PACKAGE_INFO, &pa), SEC_E_OK);
    REQUIRE(pa.PackageInfo != NULL);
    CHECK(strcmp(pa.PackageInfo->Name, "Negotiate") == 0);
    CHECK_EQ(pa.PackageInfo->cbMaxToken, 48256);
    FreeContextBuffer(pa.PackageInfo);
    CHECK_EQ(QueryContextAttributesA(&done, SECPKG_ATTR_NEGOTIATION_INFO, &na), SEC_E_OK);
    REQUIRE(na.PackageInfo != NULL);
    CHECK(strcmp(na.PackageInfo->Name, "Kerberos") == 0);
    CHECK(strcmp(na.PackageInfo->Comment, "Microsoft Kerberos V1.0") == 0);
    CHECK_EQ(na.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    FreeContextBuffer(na.PackageInfo);
    CHECK_EQ(QueryContextAttributesW(&busy, SECPKG_ATTR_NEGOTIATION_INFO, &nw), SEC_E_OK);
    REQUIRE(nw.PackageInfo != NULL);
    CHECK(wide_eq(nw.PackageInfo->Name, "Negotiate"));
    CHECK_EQ(nw.NegotiationState, SECPKG_NEGOTIATION_IN_PROGRESS);
    FreeContextBuffer(nw.PackageInfo);
    CHECK_EQ(ng_context_delete(&done), NG_OK);
    CHECK_EQ(ng_context_delete(&busy), NG_OK);
}

static void test_in_progress_context_refuses_session_attributes(void)
{
    CtxtHandle h = make_context(NG_PKG_NEGOTIATE, false, 0);
    SecPkgContext_Sizes sizes;
    SecPkgContext_NamesA names = {0};
    SecPkgContext_Flags flags;

    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_NAMES, &names), SEC_E_INVALID_HANDLE);
    CHECK(names.sUserName == NULL);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

static void test_bad_arguments(void)
{
    CtxtHandle h = make_context(NG_PKG_KERBEROS, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    CtxtHandle forged = {h.dwLower, h.dwUpper ^ 1};
    CtxtHandle zero = {0, 0};
    SecPkgContext_Sizes sizes;
    SecPkgContext_StreamSizes stream;

    CHECK_EQ(QueryContextAttributesA(NULL, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_EQ(QueryContextAttributesA(&zero, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_EQ(QueryContextAttributesW(&forged, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_SIZES, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_STREAM_SIZES, &stream),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_PASSWORD_EXPIRY, &sizes),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(QueryContextAttributesA(&h, 0xFFFFFFFF, &sizes), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_SIZES, &sizes), SEC_E_INVALID_HANDLE);
}

/* What a server asks after the handshake: the client's name for DCE/MSRPC, the SPN the client
 * used, whether the client's last token ended the exchange, and the access token. */
static void test_post_handshake_attributes(void)
{
    CtxtHandle h = make_context(NG_PKG_NEGOTIATE, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    SecPkgContext_DceInfo dce = {0};
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_DCE_INFO, &dce), SEC_E_OK);
    CHECK_EQ(dce.AuthzSvc, RPC_C_AUTHZ_NAME);
    CHECK(dce.pPac != NULL && strcmp(dce.pPac, CLIENT) == 0);
    FreeContextBuffer(dce.pPac);
    CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_DCE_INFO, &dce), SEC_E_OK);
    CHECK(wide_eq(dce.pPac, CLIENT));
    FreeContextBuffer(dce.pPac);
    SecPkgContext_ClientSpecifiedTarget target = {0};
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_CLIENT_SPECIFIED_TARGET, &target), SEC_E_OK);
    CHECK(wide_eq(target.sTargetName, SERVER));
    FreeContextBuffer(target.sTargetName);
    SecPkgContext_TargetInformation info = {0};
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_TARGET_INFORMATION, &info),
             SEC_E_UNSUPPORTED_FUNCTION);
    SecPkgContext_LastClientTokenStatus last = {SecPkgAttrLastClientTokenMaybe};
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS, &last), SEC_E_OK);
    CHECK_EQ(last.LastClientTokenStatus, SecPkgAttrLastClientTokenYes);
    SecPkgContext_AccessToken t1 = {0}, t2 = {0};
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_ACCESS_TOKEN, &t1), SEC_E_OK);
    CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_ACCESS_TOKEN, &t2), SEC_E_OK);
    CHECK(t1.AccessToken != NULL && t1.AccessToken == t2.AccessToken); /* kept by the context */
    CHECK(strcmp(negring_token_principal(t1.AccessToken), CLIENT) == 0);
    CHECK_EQ(ng_context_delete(&h), NG_OK); /* frees the token: ASan would see a leak */

    CtxtHandle pending = make_context(NG_PKG_NEGOTIATE, false, 0);
    CHECK_EQ(QueryContextAttributesA(&pending, SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS, &last),
             SEC_E_OK);
    CHECK_EQ(last.LastClientTokenStatus, SecPkgAttrLastClientTokenNo);
    CHECK_EQ(QueryContextAttributesA(&pending, SECPKG_ATTR_ACCESS_TOKEN, &t1),
             SEC_E_INVALID_HANDLE);
    CHECK_EQ(ng_context_delete(&pending), NG_OK);

    /* An initiator: the target it named, no client-side-only attributes. */
    struct ng_context *ctx = NULL;
    CtxtHandle ih;
    ng_credentials_ref(creds); /* the context takes a reference */
    REQUIRE(ng_context_new(NG_ROLE_INITIATOR, NG_PKG_KERBEROS, creds, &ctx) == NG_OK);
    ctx->state = NG_CTX_COMPLETE;
    ng_context_set_mech(ctx, NG_MECH_KRB5, &ng_krb5_mech);
    ctx->client_name = ng_strdup(CLIENT);
    ctx->target_name = ng_strdup("HTTP/web.example.com");
    REQUIRE(ng_context_publish(ctx, &ih) == NG_OK);
    CHECK_EQ(QueryContextAttributesA(&ih, SECPKG_ATTR_TARGET_INFORMATION, &info), SEC_E_OK);
    CHECK(info.MarshalledTargetInfoLength == 20 &&
          memcmp(info.MarshalledTargetInfo, "HTTP/web.example.com", 20) == 0);
    FreeContextBuffer(info.MarshalledTargetInfo);
    CHECK_EQ(QueryContextAttributesW(&ih, SECPKG_ATTR_TARGET_INFORMATION, &info), SEC_E_OK);
    CHECK_EQ(info.MarshalledTargetInfoLength, 40);
    CHECK(wide_eq((const SEC_WCHAR *)info.MarshalledTargetInfo, "HTTP/web.example.com"));
    FreeContextBuffer(info.MarshalledTargetInfo);
    CHECK_EQ(QueryContextAttributesA(&ih, SECPKG_ATTR_CLIENT_SPECIFIED_TARGET, &target),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(QueryContextAttributesA(&ih, SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS, &last),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(QueryContextAttributesA(&ih, SECPKG_ATTR_ACCESS_TOKEN, &t1),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(ng_context_delete(&ih), NG_OK);
}

static void test_allocation_failure(void)
{
    CtxtHandle h = make_context(NG_PKG_KERBEROS, true, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    SecPkgContext_NativeNamesA nn = {0};
    SecPkgContext_KeyInfoA ki = {0};

    for (unsigned long n = 1; n <= 2; n++) {
        ng_alloc_fail_after(n);
        CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_NATIVE_NAMES, &nn),
                 SEC_E_INSUFFICIENT_MEMORY);
        ng_alloc_fail_after(n);
        CHECK_EQ(QueryContextAttributesW(&h, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_INSUFFICIENT_MEMORY);
        ng_alloc_fail_after(0);
    }
    CHECK(nn.sClientName == NULL && ki.sEncryptAlgorithmName == NULL);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

/* ng_context_set_names: short names live in the context, long ones in allocations of their
 * own; either replaces the other, and the names read back whole through the API. */
static void test_names_in_the_context_or_allocated(void)
{
    char long_server[200];
    memset(long_server, 'w', sizeof(long_server) - 1);
    long_server[sizeof(long_server) - 1] = '\0';
    struct ng_context *ctx = NULL;
    ng_credentials_ref(creds);
    REQUIRE(ng_context_new(NG_ROLE_ACCEPTOR, NG_PKG_NTLM, creds, &ctx) == NG_OK);

    CHECK_EQ(ng_context_set_names(ctx, "EXAMPLE\\alice", "HTTP/web"), NG_OK);
    CHECK(ctx->names_in_room && ctx->client_name == ctx->names_room);
    CHECK(strcmp(ctx->client_name, "EXAMPLE\\alice") == 0);
    CHECK(strcmp(ctx->server_name, "HTTP/web") == 0);

    CHECK_EQ(ng_context_set_names(ctx, "EXAMPLE\\bob", long_server), NG_OK);
    CHECK(!ctx->names_in_room && ctx->client_name != ctx->names_room);
    CHECK(strcmp(ctx->client_name, "EXAMPLE\\bob") == 0);
    CHECK(strcmp(ctx->server_name, long_server) == 0);

    ng_alloc_fail_after(2); /* the server's copy fails: neither name is kept */
    CHECK_EQ(ng_context_set_names(ctx, "EXAMPLE\\carol", long_server), NG_ERR_NOMEM);
    ng_alloc_fail_after(0);
    CHECK(ctx->client_name == NULL && ctx->server_name == NULL);

    CHECK_EQ(ng_context_set_names(ctx, "EXAMPLE\\dave", "HTTP/web"), NG_OK);
    CHECK(ctx->names_in_room && strcmp(ctx->server_name, "HTTP/web") == 0);
    ctx->state = NG_CTX_COMPLETE;
    CtxtHandle h;
    REQUIRE(ng_context_publish(ctx, &h) == NG_OK);
    SecPkgContext_NativeNamesA names;
    CHECK_EQ(QueryContextAttributesA(&h, SECPKG_ATTR_NATIVE_NAMES, &names), SEC_E_OK);
    CHECK(names.sClientName != NULL && strcmp(names.sClientName, "EXAMPLE\\dave") == 0);
    CHECK(names.sServerName != NULL && strcmp(names.sServerName, "HTTP/web") == 0);
    FreeContextBuffer(names.sClientName);
    FreeContextBuffer(names.sServerName);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
}

int main(void)
{
    creds = ng_alloc(sizeof(*creds));
    REQUIRE(creds != NULL);
    atomic_init(&creds->refs, 1);
    creds->package = NG_PKG_NEGOTIATE;
    RUN(test_sizes_follow_rfc4121_for_the_enctype);
    RUN(test_names_a_and_w);
    RUN(test_lifespan_is_in_filetime_ticks);
    RUN(test_session_key_flags_and_authority);
    RUN(test_key_info_names_the_enctype);
    RUN(test_package_and_negotiation_info);
    RUN(test_in_progress_context_refuses_session_attributes);
    RUN(test_bad_arguments);
    RUN(test_post_handshake_attributes);
    RUN(test_allocation_failure);
    RUN(test_names_in_the_context_or_allocated);
    ng_credentials_unref(creds);
    return check_report();
}
