/* Negotiate's per-credential package list (core/context/package_list.c), as Windows' PackageList:
 *   - the list syntax ("Kerberos", "!NTLM", blanks, case, unknown names, nothing left);
 *   - a Kerberos-only acceptor (NEGRING_ACCEPTOR_AUTH_DATA3 "Kerberos" / "!NTLM") with an
 *     account database never lists NTLM in its NegTokenInit2 and refuses NTLMSSP, raw or in
 *     SPNEGO, with SEC_E_LOGON_DENIED, while MIT's SPNEGO initiator still logs in with Kerberos;
 *     the same credentials without a list (Version 2) do offer and accept NTLM;
 *   - an NTLM-only acceptor lists only NTLM, reads no keytab, refuses Kerberos (raw and SPNEGO);
 *   - SEC_WINNT_AUTH_IDENTITY_EXA/EXW PackageList on the initiator: "NTLM" makes our Negotiate
 *     initiator use NTLM although Kerberos would work; "!NTLM" stops its fall back to NTLM. */
#include <stdlib.h>

#include "check.h"
#include "gss_peer.h"
#include "ntlm_crypto.h"
#include "package_list.h"
#include "realm.h"
#include "spnego.h"

static struct ng_test_realm realm;
static char db_path[400];

static unsigned parse(const char *list, ng_status *status)
{
    unsigned mechs = 0xdead;
    *status = ng_package_list_parse(ng_slice_of(list, strlen(list)), &mechs);
    return mechs;
}

static void test_list_syntax(void)
{
    ng_status st;
    CHECK_EQ(parse("Kerberos", &st), ng_mechset_of(NG_PKG_KERBEROS));
    CHECK_EQ(st, NG_OK);
    CHECK_EQ(parse("!NTLM", &st), ng_mechset_of(NG_PKG_KERBEROS));
    CHECK_EQ(parse("NTLM", &st), ng_mechset_of(NG_PKG_NTLM));
    CHECK_EQ(parse("!Kerberos", &st), ng_mechset_of(NG_PKG_NTLM));
    CHECK_EQ(parse(" kerberos , NTLM ", &st), NG_MECHSET_ALL);
    CHECK_EQ(parse("", &st), NG_MECHSET_ALL);
    CHECK_EQ(parse("Negoexts,Kerberos,!NTLM,pku2u", &st), ng_mechset_of(NG_PKG_KERBEROS));
    CHECK_EQ(parse("Kerberos,NTLM,! ntlm", &st), ng_mechset_of(NG_PKG_KERBEROS));
    CHECK_EQ(st, NG_OK);
    parse("!Kerberos,!NTLM", &st);
    CHECK_EQ(st, NG_ERR_NO_CREDENTIALS);
    parse("Kerbros", &st); /* a typo leaves nothing: an error, not "everything" */
    CHECK_EQ(st, NG_ERR_NO_CREDENTIALS);
    char big[1100];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    parse(big, &st);
    CHECK_EQ(st, NG_ERR_INVALID_PARAM);
}

static SECURITY_STATUS acceptor(const char *list, const char *keytab, const char *db, CredHandle *h)
{
    NEGRING_ACCEPTOR_AUTH_DATA3 data = {
        .Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3,
        .Keytab = keytab,
        .UserDatabase = db,
        .NtlmDomain = "EXAMPLE",
        .PackageList = list,
    };
    return AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                     NULL, h, NULL);
}

static CredHandle acceptor_ok(const char *list, const char *keytab)
{
    CredHandle h;
    REQUIRE(acceptor(list, keytab, db_path, &h) == SEC_E_OK);
    return h;
}

/* The mechanisms of the NegTokenInit2 answering an empty first token. */
static size_t offer(CredHandle *s, enum ng_mech mechs[NG_SPNEGO_MAX_MECHS])
{
    static struct ng_accept_leg leg;
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = s, .ctx_out = &ctx}, &leg);
    REQUIRE(leg.status == SEC_I_CONTINUE_NEEDED);
    struct ng_spnego_token tok;
    REQUIRE(ng_spnego_parse(ng_slice_of(leg.out, leg.out_len), &tok) == NG_OK);
    DeleteSecurityContext(&ctx);
    memcpy(mechs, tok.init.mechs, sizeof(tok.init.mechs));
    return tok.init.nmechs;
}

static bool offers(CredHandle *s, enum ng_mech mech)
{
    enum ng_mech mechs[NG_SPNEGO_MAX_MECHS];
    size_t n = offer(s, mechs);
    for (size_t i = 0; i < n; i++) {
        if (mechs[i] == mech)
            return true;
    }
    return false;
}

/* The first token of our initiator: `package` with an EXA identity carrying `list`. */
static size_t first_token(const char *package, const char *user, const char *domain,
                          const char *password, const char *list, const char *target, uint8_t *out,
                          size_t cap, SECURITY_STATUS *status)
{
    SEC_WINNT_AUTH_IDENTITY_EXA id = {
        SEC_WINNT_AUTH_IDENTITY_VERSION, sizeof(id),
        (unsigned char *)user,           (ULONG)strlen(user),
        (unsigned char *)domain,         (ULONG)strlen(domain),
        (unsigned char *)password,       (ULONG)strlen(password),
        SEC_WINNT_AUTH_IDENTITY_ANSI,    (unsigned char *)list,
        list ? (ULONG)strlen(list) : 0,
    };
    CredHandle c;
    *status = AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                        NULL, &c, NULL);
    if (*status != SEC_E_OK)
        return 0;
    SecBuffer ob = {(ULONG)cap, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle cc;
    ULONG attrs;
    *status = InitializeSecurityContextA(&c, NULL, (SEC_CHAR *)target, 0, 0, SECURITY_NATIVE_DREP,
                                         NULL, 0, &cc, &od, &attrs, NULL);
    if (*status == SEC_E_OK || *status == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&cc);
    FreeCredentialsHandle(&c);
    return ob.cbBuffer;
}

static SECURITY_STATUS accept_one(CredHandle *s, const uint8_t *tok, size_t len)
{
    static struct ng_accept_leg leg;
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = s, .ctx_out = &ctx, .in = tok, .in_len = len}, &leg);
    if (leg.status == SEC_E_OK || leg.status == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&ctx);
    return leg.status;
}

/* Raw NTLMSSP NEGOTIATE, and SPNEGO offering only NTLM (our Negotiate initiator with "NTLM"). */
static SECURITY_STATUS raw_ntlm(CredHandle *s)
{
    static uint8_t tok[NG_PEER_MAX_TOKEN];
    SECURITY_STATUS st;
    size_t len = first_token("NTLM", "alice", "EXAMPLE", "Secret1", NULL, "HTTP/localhost", tok,
                             sizeof(tok), &st);
    REQUIRE(st == SEC_I_CONTINUE_NEEDED);
    return accept_one(s, tok, len);
}

static SECURITY_STATUS spnego_ntlm(CredHandle *s)
{
    static uint8_t tok[NG_PEER_MAX_TOKEN];
    SECURITY_STATUS st;
    size_t len = first_token("Negotiate", "alice", "EXAMPLE", "Secret1", "NTLM", "HTTP/localhost",
                             tok, sizeof(tok), &st);
    REQUIRE(st == SEC_I_CONTINUE_NEEDED);
    struct ng_spnego_token init;
    REQUIRE(ng_spnego_parse(ng_slice_of(tok, len), &init) == NG_OK);
    REQUIRE(init.init.nmechs == 1 && init.init.mechs[0] == NG_MECH_NTLM);
    return accept_one(s, tok, len);
}

/* MIT's initiator (alice's ticket): `mech` gss_mech_spnego or gss_mech_krb5. */
static SECURITY_STATUS mit_login(CredHandle *s, gss_OID mech)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", mech, GSS_C_MUTUAL_FLAG, NULL) == 0);
    CtxtHandle ctx;
    static struct ng_accept_leg final;
    int legs = 0;
    SECURITY_STATUS st = ng_handshake(s, &c, 0, NULL, 0, &ctx, &final, &legs);
    if (st == SEC_E_OK)
        DeleteSecurityContext(&ctx);
    ng_gss_initiator_free(&c);
    return st;
}

static void test_kerberos_only_acceptor(void)
{
    const char *lists[] = {"Kerberos", "!NTLM"};
    for (size_t i = 0; i < 2; i++) {
        CredHandle s = acceptor_ok(lists[i], realm.keytab);
        enum ng_mech mechs[NG_SPNEGO_MAX_MECHS];
        CHECK_EQ(offer(&s, mechs), 2);
        CHECK_EQ(mechs[0], NG_MECH_KRB5_MS);
        CHECK_EQ(mechs[1], NG_MECH_KRB5);
        CHECK(!offers(&s, NG_MECH_NTLM));
        CHECK_EQ(raw_ntlm(&s), SEC_E_LOGON_DENIED);
        CHECK_EQ(spnego_ntlm(&s), SEC_E_LOGON_DENIED);
        CHECK_EQ(mit_login(&s, gss_mech_spnego), SEC_E_OK);
        CHECK_EQ(mit_login(&s, gss_mech_krb5), SEC_E_OK);
        FreeCredentialsHandle(&s);
    }
}

/* The control: the same keytab and accounts with no list offer and take NTLM. */
static void test_without_list_ntlm_is_offered_and_taken(void)
{
    CredHandle s = acceptor_ok(NULL, realm.keytab);
    CHECK(offers(&s, NG_MECH_NTLM));
    CHECK(offers(&s, NG_MECH_KRB5));
    CHECK_EQ(raw_ntlm(&s), SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(spnego_ntlm(&s), SEC_I_CONTINUE_NEEDED);
    FreeCredentialsHandle(&s);
}

static void test_ntlm_only_acceptor(void)
{
    /* No keytab is read: a missing one is no error. */
    CredHandle s = acceptor_ok("NTLM", "FILE:/nonexistent/keytab");
    enum ng_mech mechs[NG_SPNEGO_MAX_MECHS];
    CHECK_EQ(offer(&s, mechs), 1);
    CHECK_EQ(mechs[0], NG_MECH_NTLM);
    CHECK_EQ(raw_ntlm(&s), SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(spnego_ntlm(&s), SEC_I_CONTINUE_NEEDED);
    FreeCredentialsHandle(&s);
    /* With the keytab at hand, Kerberos is still refused: the list decides. */
    s = acceptor_ok("!Kerberos", realm.keytab);
    CHECK(!offers(&s, NG_MECH_KRB5));
    CHECK_EQ(mit_login(&s, gss_mech_spnego), SEC_E_LOGON_DENIED);
    CHECK_EQ(mit_login(&s, gss_mech_krb5), SEC_E_LOGON_DENIED);
    FreeCredentialsHandle(&s);
}

static void test_lists_that_leave_nothing(void)
{
    CredHandle h;
    CHECK_EQ(acceptor("!Kerberos,!NTLM", realm.keytab, db_path, &h), SEC_E_NO_CREDENTIALS);
    CHECK_EQ(acceptor("Kerbros", realm.keytab, db_path, &h), SEC_E_NO_CREDENTIALS);
    /* NTLM only, but no account database. */
    CHECK_EQ(acceptor("NTLM", realm.keytab, "", &h), SEC_E_NO_CREDENTIALS);
    /* Other packages ignore the list, as on Windows, even one that would leave nothing. */
    NEGRING_ACCEPTOR_AUTH_DATA3 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3,
                                        .Keytab = realm.keytab,
                                        .PackageList = "!Kerberos,!NTLM"};
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                       NULL, &h, NULL),
             SEC_E_OK);
    CHECK_EQ(mit_login(&h, gss_mech_krb5), SEC_E_OK);
    FreeCredentialsHandle(&h);
}

static void test_initiator_package_list(void)
{
    static uint8_t tok[NG_PEER_MAX_TOKEN];
    SECURITY_STATUS st;
    struct ng_spnego_token init;
    /* Kerberos works for this identity, but "NTLM" makes it NTLM. */
    size_t len = first_token("Negotiate", "alice", realm.realm, realm.password, "NTLM",
                             "HTTP/localhost", tok, sizeof(tok), &st);
    CHECK_EQ(st, SEC_I_CONTINUE_NEEDED);
    REQUIRE(ng_spnego_parse(ng_slice_of(tok, len), &init) == NG_OK);
    CHECK(init.init.nmechs == 1 && init.init.mechs[0] == NG_MECH_NTLM);
    /* No list: Kerberos. */
    len = first_token("Negotiate", "alice", realm.realm, realm.password, NULL, "HTTP/localhost",
                      tok, sizeof(tok), &st);
    CHECK_EQ(st, SEC_I_CONTINUE_NEEDED);
    REQUIRE(ng_spnego_parse(ng_slice_of(tok, len), &init) == NG_OK);
    CHECK(init.init.nmechs == 1 && init.init.mechs[0] == NG_MECH_KRB5);
    /* A name without an SPN falls back to NTLM, unless the list says "!NTLM". */
    first_token("Negotiate", "alice", realm.realm, realm.password, NULL, "HTTP/nospn.localhost",
                tok, sizeof(tok), &st);
    CHECK_EQ(st, SEC_I_CONTINUE_NEEDED);
    first_token("Negotiate", "alice", realm.realm, realm.password, "!NTLM", "HTTP/nospn.localhost",
                tok, sizeof(tok), &st);
    CHECK(st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED);
    /* The wide form, "Kerberos". */
    SEC_WCHAR user[] = {'a', 'l', 'i', 'c', 'e'}, list[] = {'K', 'e', 'r', 'b', 'e', 'r', 'o', 's'};
    SEC_WCHAR domain[64], password[64];
    size_t dn = strlen(realm.realm), pn = strlen(realm.password);
    for (size_t i = 0; i < dn; i++)
        domain[i] = (SEC_WCHAR)realm.realm[i];
    for (size_t i = 0; i < pn; i++)
        password[i] = (SEC_WCHAR)realm.password[i];
    SEC_WINNT_AUTH_IDENTITY_EXW w = {
        SEC_WINNT_AUTH_IDENTITY_VERSION, sizeof(w), user, 5, domain, (ULONG)dn, password, (ULONG)pn,
        SEC_WINNT_AUTH_IDENTITY_UNICODE, list,      8};
    CredHandle c;
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, &w, NULL,
                                       NULL, &c, NULL),
             SEC_E_OK);
    FreeCredentialsHandle(&c);
    list[0] = 'X'; /* "Xerberos": nothing left */
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, &w, NULL,
                                       NULL, &c, NULL),
             SEC_E_NO_CREDENTIALS);
}

static void write_hash_line(FILE *f, const char *domain, const char *password)
{
    uint8_t hash[16];
    REQUIRE(ng_nt_hash(password, strlen(password), hash) == NG_OK);
    fprintf(f, "%s:alice:", domain);
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", hash[i]);
    fputs(":\n", f);
}

int main(void)
{
    RUN(test_list_syntax);
    REQUIRE(ng_test_realm_start(&realm) == 0);
    snprintf(db_path, sizeof(db_path), "%s/ntlm-users", realm.dir);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    write_hash_line(f, "EXAMPLE", "Secret1");
    write_hash_line(f, realm.realm, realm.password);
    fclose(f);
    RUN(test_kerberos_only_acceptor);
    RUN(test_without_list_ntlm_is_offered_and_taken);
    RUN(test_ntlm_only_acceptor);
    RUN(test_lists_that_leave_nothing);
    RUN(test_initiator_package_list);
    ng_test_realm_stop(&realm);
    return check_report();
}
