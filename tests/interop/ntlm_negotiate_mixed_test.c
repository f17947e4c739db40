/* Negotiate credentials holding both a keytab and an NTLM account database, against MIT's
 * SPNEGO initiator (with Kerberos tickets, and with gss-ntlmssp) and our own initiators:
 *   - the NegTokenInit2 offer lists Kerberos (both OIDs) then NTLM, as Windows does;
 *   - a client with a ticket gets Kerberos, exactly as without NTLM configured;
 *   - a client offering only NTLM, or raw NTLMSSP, gets NTLM from the same credentials;
 *   - an MIT client offering Kerberos first and NTLM second to a server with no keytab gets
 *     NTLM, and since its first choice lost the mechListMIC exchange is required and works. */
#include <stdlib.h>

#include "check.h"
#include "gss_peer.h"
#include "ntlm_crypto.h"
#include "realm.h"
#include "spnego.h"

/* gss-ntlmssp's own leaks (suppressed by tests/lsan.supp) allocate inside libcrypto, which has
 * no frame pointers: only the slow unwinder sees gssntlmssp.so on those stacks. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

static struct ng_test_realm realm;
static char db_path[400], user_file[400];

static gss_OID_desc ntlm_oid = {10, "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};

/* `principal` NULL: any key of the keytab, any NTLM target name. Our own NTLM initiator needs
 * one it targets: it refuses a challenge from an acceptor of its own process that names none
 * (reflection, tests/unit/ntlm_reflection_test.c). */
static CredHandle server_cred_named(bool with_keytab, const char *principal)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {
        .Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
        .Keytab = with_keytab ? realm.keytab : "FILE:/nonexistent/keytab",
        .UserDatabase = db_path,
        .NtlmDomain = "EXAMPLE",
    };
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA((LPSTR)principal, "Negotiate", SECPKG_CRED_INBOUND, NULL,
                                      &data, NULL, NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static CredHandle server_cred(bool with_keytab)
{
    return server_cred_named(with_keytab, NULL);
}

static const char *negotiated_package(CtxtHandle *ctx, char *buf, size_t cap)
{
    SecPkgContext_NegotiationInfoA info = {0};
    buf[0] = '\0';
    if (QueryContextAttributesA(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &info) == SEC_E_OK) {
        snprintf(buf, cap, "%s", info.PackageInfo->Name);
        FreeContextBuffer(info.PackageInfo);
    }
    return buf;
}

static void test_offer_lists_kerberos_then_ntlm(void)
{
    CredHandle s = server_cred(true);
    static struct ng_accept_leg leg;
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &s, .ctx_out = &ctx}, &leg);
    CHECK_EQ(leg.status, SEC_I_CONTINUE_NEEDED);
    struct ng_spnego_token tok;
    REQUIRE(ng_spnego_parse(ng_slice_of(leg.out, leg.out_len), &tok) == NG_OK);
    CHECK_EQ(tok.init.nmechs, 3);
    CHECK_EQ(tok.init.mechs[0], NG_MECH_KRB5_MS);
    CHECK_EQ(tok.init.mechs[1], NG_MECH_KRB5);
    CHECK_EQ(tok.init.mechs[2], NG_MECH_NTLM);
    DeleteSecurityContext(&ctx);
    FreeCredentialsHandle(&s);
}

static void test_kerberos_client_still_gets_kerberos(void)
{
    CredHandle s = server_cred(true);
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, GSS_C_MUTUAL_FLAG, NULL) ==
            0);
    CtxtHandle ctx;
    static struct ng_accept_leg final;
    int legs = 0;
    CHECK_EQ(ng_handshake(&s, &c, 0, NULL, 0, &ctx, &final, &legs), SEC_E_OK);
    char pkg[32];
    CHECK(strcmp(negotiated_package(&ctx, pkg, sizeof(pkg)), "Kerberos") == 0);
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName && strcmp(names.sUserName, realm.user) == 0);
    FreeContextBuffer(names.sUserName);
    DeleteSecurityContext(&ctx);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&s);
}

/* MIT SPNEGO offering `mechs` (gss-ntlmssp for NTLM, alice's ticket for Kerberos). */
static SECURITY_STATUS mit_client(bool server_keytab, const gss_OID_desc *mechs, size_t n,
                                  char *pkg, size_t cap)
{
    CredHandle s = server_cred(server_keytab);
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego,
                                  GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, NULL) == 0);
    REQUIRE(ng_gss_initiator_set_neg_mechs(&c, mechs, n) == 0);
    CtxtHandle ctx;
    static struct ng_accept_leg final;
    int legs = 0;
    SECURITY_STATUS st = ng_handshake(&s, &c, 0, NULL, 0, &ctx, &final, &legs);
    if (st == SEC_E_OK) {
        CHECK(!GSS_ERROR(c.major));
        negotiated_package(&ctx, pkg, cap);
    }
    if (legs > 0)
        DeleteSecurityContext(&ctx);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&s);
    return st;
}

static void test_ntlm_only_client_gets_ntlm(void)
{
    char pkg[32];
    CHECK_EQ(mit_client(true, &ntlm_oid, 1, pkg, sizeof(pkg)), SEC_E_OK);
    CHECK(strcmp(pkg, "NTLM") == 0);
}

static void test_kerberos_first_without_keytab_falls_to_ntlm(void)
{
    gss_OID_desc both[2] = {*gss_mech_krb5, ntlm_oid};
    char pkg[32];
    CHECK_EQ(mit_client(false, both, 2, pkg, sizeof(pkg)), SEC_E_OK);
    CHECK(strcmp(pkg, "NTLM") == 0);
    /* With the keytab the same client gets its first choice. */
    CHECK_EQ(mit_client(true, both, 2, pkg, sizeof(pkg)), SEC_E_OK);
    CHECK(strcmp(pkg, "Kerberos") == 0);
}

static void test_raw_ntlmssp_from_our_initiator(void)
{
    CredHandle s = server_cred_named(true, "HTTP/localhost"), c;
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",   5, (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &c,
                                      NULL) == SEC_E_OK);
    uint8_t a[4096], b[4096];
    SecBuffer ob = {sizeof(a), SECBUFFER_TOKEN, a};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle cc, sc;
    ULONG attrs;
    REQUIRE(InitializeSecurityContextA(&c, NULL, "HTTP/localhost", 0, 0, SECURITY_NATIVE_DREP, NULL,
                                       0, &cc, &od, &attrs, NULL) == SEC_I_CONTINUE_NEEDED);
    static struct ng_accept_leg leg;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = &s, .ctx_out = &sc, .in = a, .in_len = ob.cbBuffer}, &leg);
    REQUIRE(leg.status == SEC_I_CONTINUE_NEEDED);
    memcpy(b, leg.out, leg.out_len);
    SecBuffer ib = {leg.out_len, SECBUFFER_TOKEN, b};
    SecBufferDesc id_ = {SECBUFFER_VERSION, 1, &ib};
    ob.cbBuffer = sizeof(a);
    REQUIRE(InitializeSecurityContextA(&c, &cc, "HTTP/localhost", 0, 0, SECURITY_NATIVE_DREP, &id_,
                                       0, &cc, &od, &attrs, NULL) == SEC_E_OK);
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &s, .ctx_in = &sc, .ctx_out = &sc, .in = a, .in_len = ob.cbBuffer},
        &leg);
    CHECK_EQ(leg.status, SEC_E_OK);
    char pkg[32];
    CHECK(strcmp(negotiated_package(&sc, pkg, sizeof(pkg)), "NTLM") == 0);
    DeleteSecurityContext(&cc);
    DeleteSecurityContext(&sc);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
}

/* Our Negotiate initiator with an explicit identity that has a TGT: Kerberos for a name with an
 * SPN, NTLM (same user, the realm as domain) for a name without one, as Windows falls back. */
static void run_our_negotiate(const char *target, const char *principal, const char *want_pkg,
                              const char *want_name)
{
    CredHandle s = server_cred_named(true, principal), c;
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",        5,
                                    (unsigned char *)realm.realm,    (ULONG)strlen(realm.realm),
                                    (unsigned char *)realm.password, (ULONG)strlen(realm.password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                      NULL, &c, NULL) == SEC_E_OK);
    static uint8_t a[NG_PEER_MAX_TOKEN], b[NG_PEER_MAX_TOKEN];
    ULONG blen = 0, attrs;
    CtxtHandle cc, sc;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    static struct ng_accept_leg leg;
    for (int i = 0; i < 4 && cs == SEC_I_CONTINUE_NEEDED; i++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {sizeof(a), SECBUFFER_TOKEN, a};
        SecBufferDesc id_ = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        cs = InitializeSecurityContextA(&c, i ? &cc : NULL, (SEC_CHAR *)target, ISC_REQ_MUTUAL_AUTH,
                                        0, SECURITY_NATIVE_DREP, i ? &id_ : NULL, 0, &cc, &od,
                                        &attrs, NULL);
        if ((cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) || ob.cbBuffer == 0)
            break;
        ng_accept_leg_run(&(struct ng_accept_call){.cred = &s,
                                                   .ctx_in = i ? &sc : NULL,
                                                   .ctx_out = &sc,
                                                   .in = a,
                                                   .in_len = ob.cbBuffer},
                          &leg);
        ss = leg.status;
        memcpy(b, leg.out, leg.out_len);
        blen = leg.out_len;
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED)
            break;
    }
    CHECK_EQ(cs, SEC_E_OK);
    CHECK_EQ(ss, SEC_E_OK);
    char pkg[32];
    CHECK(strcmp(negotiated_package(&sc, pkg, sizeof(pkg)), want_pkg) == 0);
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(&sc, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, want_name) == 0);
    FreeContextBuffer(names.sUserName);
    DeleteSecurityContext(&cc);
    DeleteSecurityContext(&sc);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
}

static void test_our_negotiate_falls_back_for_a_name_without_spn(void)
{
    char ntlm_name[128];
    snprintf(ntlm_name, sizeof(ntlm_name), "%s\\alice", realm.realm);
    run_our_negotiate("HTTP/localhost", NULL, "Kerberos", realm.user);
    run_our_negotiate("HTTP/nospn.localhost", "HTTP/nospn.localhost", "NTLM", ntlm_name);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    snprintf(db_path, sizeof(db_path), "%s/ntlm-users", realm.dir);
    snprintf(user_file, sizeof(user_file), "%s/ntlm-user-file", realm.dir);
    uint8_t hash[16];
    REQUIRE(ng_nt_hash("Secret1", 7, hash) == NG_OK);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fputs("EXAMPLE:alice:", f);
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", hash[i]);
    fputs(":\n", f);
    REQUIRE(ng_nt_hash(realm.password, strlen(realm.password), hash) == NG_OK);
    fprintf(f, "%s:alice:", realm.realm);
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", hash[i]);
    fputs(":\n", f);
    fclose(f);
    f = fopen(user_file, "w");
    REQUIRE(f != NULL);
    fputs("EXAMPLE:alice:Secret1\n", f);
    fclose(f);
    setenv("NTLM_USER_FILE", user_file, 1);

    RUN(test_offer_lists_kerberos_then_ntlm);
    RUN(test_kerberos_client_still_gets_kerberos);
    RUN(test_ntlm_only_client_gets_ntlm);
    RUN(test_kerberos_first_without_keytab_falls_to_ntlm);
    RUN(test_raw_ntlmssp_from_our_initiator);
    RUN(test_our_negotiate_falls_back_for_a_name_without_spn);
    ng_test_realm_stop(&realm);
    return check_report();
}
