/* access_token: QuerySecurityContextToken and the negring_token_* accessors. The local account
 * comes from a real krb5.conf auth_to_local rule (alice -> nobody) and the system's NSS; a
 * principal with no account still gets a token. The PAC logon-info parser is fed a
 * KERB_VALIDATION_INFO encoded here from MS-PAC §2.5 and wrapped in a PAC made by libkrb5's
 * krb5_pac_* and an AD-IF-RELEVANT container, since MIT's KDC issues no logon info. */
#include <krb5/krb5.h>
#include <negring/access_token.h>
#include <negring/sspi.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "der.h"
#include "gss_peer.h"
#include "pac_builder.h"
#include "pac_logon_info.h"
#include "realm.h"

static struct ng_test_realm realm;
static CredHandle acceptor;

static const char *const expected_sids[] = {"S-1-5-21-1-2-3-513", "S-1-5-21-1-2-3-1105", "S-1-18-1",
                                            "S-1-5-21-9-9-9-1200"};

static void test_logon_info_sids(void)
{
    struct ng_test_buf e = {.len = 0};
    ng_test_validation_info(&e);
    char **sids = NULL;
    size_t n = 0;
    CHECK_EQ(ng_pac_group_sids(ng_slice_of(e.buf, e.len), &sids, &n), NG_OK);
    CHECK_EQ(n, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        CHECK(strcmp(sids[i], expected_sids[i]) == 0);
    for (size_t i = 0; i < n; i++)
        ng_free(sids[i]);
    ng_free(sids);
    /* Every truncation is refused; flipped bytes never crash or leak. */
    int refused = 0;
    for (size_t len = 0; len < e.len; len++)
        refused += ng_pac_group_sids(ng_slice_of(e.buf, len), &sids, &n) == NG_ERR_INVALID_TOKEN;
    CHECK_EQ(refused, e.len);
    for (size_t i = 0; i < e.len; i++) {
        uint8_t saved = e.buf[i];
        e.buf[i] ^= 0xff;
        if (ng_pac_group_sids(ng_slice_of(e.buf, e.len), &sids, &n) == NG_OK) {
            for (size_t k = 0; k < n; k++)
                ng_free(sids[k]);
            ng_free(sids);
        }
        e.buf[i] = saved;
    }
}

/* The encoded logon info inside a PAC from krb5_pac_sign, inside AD-IF-RELEVANT, after another
 * AD-IF-RELEVANT whose element has a negative ad-type. */
static void test_logon_info_found_in_authdata(void)
{
    struct ng_test_buf e = {.len = 0};
    ng_test_validation_info(&e);
    krb5_context k;
    REQUIRE(krb5_init_context(&k) == 0);
    krb5_pac pac;
    REQUIRE(krb5_pac_init(k, &pac) == 0);
    krb5_data info = {KV5M_DATA, (unsigned int)e.len, (char *)e.buf}, signed_pac;
    REQUIRE(krb5_pac_add_buffer(k, pac, 1, &info) == 0);
    krb5_principal client;
    REQUIRE(krb5_parse_name(k, "alice@NEGRING.TEST", &client) == 0);
    krb5_keyblock *key;
    REQUIRE(krb5_init_keyblock(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, &key) == 0);
    memset(key->contents, 0x42, 32);
    REQUIRE(krb5_pac_sign(k, pac, 1700000000, client, key, key, &signed_pac) == 0);

    uint8_t der[4096], other[64];
    struct ng_writer w = ng_writer_fixed(der, sizeof(der));
    size_t type_len = ng_der_tlv_size(2), data_len = ng_der_tlv_size(signed_pac.length);
    size_t el_len = ng_der_tlv_size(type_len) + ng_der_tlv_size(data_len);
    ng_der_write_header(&w, NG_DER_SEQUENCE, ng_der_tlv_size(el_len));
    ng_der_write_header(&w, NG_DER_SEQUENCE, el_len);
    ng_der_write_header(&w, NG_DER_CONTEXT(0), type_len);
    ng_der_write_tlv(&w, NG_DER_INTEGER, ng_slice_of("\x00\x80", 2));
    ng_der_write_header(&w, NG_DER_CONTEXT(1), data_len);
    ng_der_write_octet_string(&w, ng_slice_of(signed_pac.data, signed_pac.length));
    REQUIRE(ng_writer_status(&w) == NG_OK);
    /* SEQUENCE { SEQUENCE { [0] INTEGER -150, [1] OCTET STRING "x" } } */
    static const uint8_t neg[] = {0x30, 0x0e, 0x30, 0x0c, 0xa0, 0x04, 0x02, 0x02,
                                  0xff, 0x6a, 0xa1, 0x04, 0x04, 0x02, 'x',  'y'};
    memcpy(other, neg, sizeof(neg));
    krb5_authdata first = {KV5M_AUTHDATA, 1, sizeof(neg), other};
    krb5_authdata second = {KV5M_AUTHDATA, 1, (unsigned int)w.len, der};
    krb5_authdata *list[] = {&first, &second, NULL};
    uint8_t *copy = NULL;
    size_t copy_len = 0;
    CHECK_EQ(ng_pac_logon_info_copy(list, &copy, &copy_len), NG_OK);
    CHECK(copy != NULL && copy_len == e.len && memcmp(copy, e.buf, e.len) == 0);
    ng_free(copy);
    /* No PAC: nothing, and no error. */
    krb5_authdata *none[] = {&first, NULL};
    CHECK_EQ(ng_pac_logon_info_copy(none, &copy, &copy_len), NG_OK);
    CHECK(copy == NULL);
    CHECK_EQ(ng_pac_logon_info_copy(NULL, &copy, &copy_len), NG_OK);
    krb5_free_data_contents(k, &signed_pac);
    krb5_free_keyblock(k, key);
    krb5_free_principal(k, client);
    krb5_pac_free(k, pac);
    krb5_free_context(k);
}

/* ---- tokens of real contexts --------------------------------------------------------------- */

static void accept_from(const char *ccache, CtxtHandle *ctx)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", (gss_OID)gss_mech_spnego, GSS_C_MUTUAL_FLAG,
                                  ccache) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    int legs;
    REQUIRE(leg != NULL);
    REQUIRE(ng_handshake(&acceptor, &c, 0, NULL, 0, ctx, leg, &legs) == SEC_E_OK);
    free(leg);
    ng_gss_initiator_free(&c);
}

static void test_token_of_mapped_user(void)
{
    CtxtHandle ctx;
    accept_from(NULL, &ctx);
    void *token = NULL;
    CHECK_EQ(QuerySecurityContextToken(&ctx, &token), SEC_E_OK);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK); /* the token outlives the context */
    REQUIRE(token != NULL);
    CHECK(strcmp(negring_token_principal(token), "alice@NEGRING.TEST") == 0);
    const char *name = NULL;
    uid_t uid = 0;
    gid_t gid = 0;
    struct passwd *nobody = getpwnam("nobody");
    REQUIRE(nobody != NULL);
    CHECK_EQ(negring_token_account(token, &name, &uid, &gid), 0);
    CHECK(name != NULL && strcmp(name, "nobody") == 0);
    CHECK_EQ(uid, nobody->pw_uid);
    CHECK_EQ(gid, nobody->pw_gid);
    const gid_t *groups = NULL;
    size_t n = negring_token_groups(token, &groups);
    CHECK(n >= 1);
    bool has_primary = false;
    for (size_t i = 0; i < n; i++)
        has_primary |= groups[i] == nobody->pw_gid;
    CHECK(has_primary);
    const char *const *sids = NULL;
    CHECK_EQ(negring_token_sids(token, &sids), 0); /* MIT's KDC puts no logon info in the PAC */
    negring_token_close(token);
}

/* Allocation failures while the token is built: SEC_E_INSUFFICIENT_MEMORY, nothing leaked. */
static void test_token_allocation_failures(void)
{
    CtxtHandle ctx;
    accept_from(NULL, &ctx);
    int refused = 0;
    for (unsigned long n = 1; n <= 8; n++) {
        void *token = NULL;
        ng_alloc_fail_after(n);
        SECURITY_STATUS st = QuerySecurityContextToken(&ctx, &token);
        ng_alloc_fail_after(0);
        if (st == SEC_E_OK)
            negring_token_close(token);
        else
            refused += st == SEC_E_INSUFFICIENT_MEMORY && token == NULL;
    }
    CHECK(refused >= 3);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
}

static void test_token_without_account(void)
{
    char ccache[400];
    snprintf(ccache, sizeof(ccache), "FILE:%s/bob.ccache", realm.dir);
    REQUIRE(ng_test_realm_kinit(&realm, "bob", "bob-Pass-2", ccache, NULL) == 0);
    CtxtHandle ctx;
    accept_from(ccache, &ctx);
    void *token = NULL;
    CHECK_EQ(QuerySecurityContextToken(&ctx, &token), SEC_E_OK);
    REQUIRE(token != NULL);
    CHECK(strcmp(negring_token_principal(token), "bob@NEGRING.TEST") == 0);
    CHECK_EQ(negring_token_account(token, NULL, NULL, NULL), -1);
    const gid_t *groups = NULL;
    CHECK_EQ(negring_token_groups(token, &groups), 0);
    negring_token_close(token);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
}

static void test_token_refusals(void)
{
    CtxtHandle bad = {5, 6}, ctx;
    void *token = (void *)1;
    CHECK_EQ(QuerySecurityContextToken(&bad, &token), SEC_E_INVALID_HANDLE);
    CHECK_EQ(QuerySecurityContextToken(NULL, &token), SEC_E_INVALID_HANDLE);
    accept_from(NULL, &ctx);
    CHECK_EQ(QuerySecurityContextToken(&ctx, NULL), SEC_E_INVALID_PARAMETER);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    /* Our own initiator's context describes no authenticated peer. */
    CredHandle out_cred;
    TimeStamp ts;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &out_cred, &ts) == SEC_E_OK);
    unsigned char buf[NG_PEER_MAX_TOKEN];
    SecBuffer ob = {sizeof(buf), SECBUFFER_TOKEN, buf};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    REQUIRE(InitializeSecurityContextA(&out_cred, NULL, "HTTP/localhost", 0, 0,
                                       SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attrs,
                                       NULL) == SEC_E_OK);
    CHECK_EQ(QuerySecurityContextToken(&ctx, &token), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    FreeCredentialsHandle(&out_cred);
    /* The accessors tolerate NULL and foreign pointers. */
    int x = 0;
    CHECK(negring_token_principal(NULL) == NULL);
    CHECK(negring_token_principal(&x) == NULL);
    CHECK_EQ(negring_token_account(&x, NULL, NULL, NULL), -1);
    negring_token_close(NULL);
}

/* krb5.conf addition: alice maps to the local account "nobody" (tests run as root; "nobody"
 * exists on every Debian system). */
static void map_alice_to_nobody(void)
{
    char path[400], list[800];
    snprintf(path, sizeof(path), "%s/auth_to_local.conf", realm.dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fprintf(f,
            "[realms]\n    %s = {\n        auth_to_local_names = {\n"
            "            alice = nobody\n        }\n    }\n",
            realm.realm);
    fclose(f);
    snprintf(list, sizeof(list), "%s:%s", path, getenv("KRB5_CONFIG"));
    setenv("KRB5_CONFIG", list, 1);
}

int main(void)
{
    RUN(test_logon_info_sids);
    RUN(test_logon_info_found_in_authdata);
    REQUIRE(ng_test_realm_start(&realm) == 0);
    map_alice_to_nobody();
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &acceptor) == SEC_E_OK);
    RUN(test_token_of_mapped_user);
    RUN(test_token_allocation_failures);
    RUN(test_token_without_account);
    RUN(test_token_refusals);
    FreeCredentialsHandle(&acceptor);
    return check_report();
}
