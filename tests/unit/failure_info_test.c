/* SECBUFFER_NEGRING_FAILURE (core/sspi/failure_info.c): a failed AcceptSecurityContext leg
 * tells the server which mechanism refused, why, and who the client said it was, while the
 * SECURITY_STATUS stays what Windows returns. NTLM: our initiator (explicit identities, aimed at
 * the acceptor's principal) against an account file; Kerberos: MIT's GSSAPI against a
 * throwaway KDC. The stale-key and SPN reasons are in keystore_test.c. */
#include <gssapi/gssapi.h>
#include <negring/sspi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "gss_peer.h"
#include "ntlm_crypto.h"
#include "realm.h"

#define PRINCIPAL "HTTP/server.example.test"
#define TOKEN_MAX 12000

static struct ng_test_realm realm;
static char db_path[400];

static void add_account(FILE *f, const char *domain, const char *user, const char *password,
                        const char *flags)
{
    uint8_t h[16];
    REQUIRE(ng_nt_hash(password, strlen(password), h) == NG_OK);
    fprintf(f, "%s:%s:", domain, user);
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", h[i]);
    fprintf(f, ":%s\n", flags);
}

static CredHandle ntlm_server(void)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .Keytab = "FILE:/nonexistent/keytab",
                                        .UserDatabase = db_path,
                                        .NtlmComputer = "SERVER"};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(PRINCIPAL, "NTLM", SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static CredHandle ntlm_client(const char *domain, const char *user, const char *password)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       (ULONG)strlen(user),
                                    (unsigned char *)domain,     (ULONG)strlen(domain),
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h,
                                      NULL) == SEC_E_OK);
    return h;
}

/* One accept leg with the failure buffer (prefilled with garbage the call must clear). */
static SECURITY_STATUS accept_leg(PCredHandle cred, PCtxtHandle ctx, bool first, const void *in,
                                  ULONG in_len, void *out, ULONG *out_len, NEGRING_FAILURE_INFO *f)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in};
    SecBuffer ob[2] = {{TOKEN_MAX, SECBUFFER_TOKEN, out},
                       {sizeof(*f), SECBUFFER_NEGRING_FAILURE, f}};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 2, ob};
    ULONG attrs;
    memset(f, 0x5a, sizeof(*f));
    SECURITY_STATUS st = AcceptSecurityContext(cred, first ? NULL : ctx, &id, 0,
                                               SECURITY_NATIVE_DREP, ctx, &od, &attrs, NULL);
    *out_len = ob[0].cbBuffer;
    return st;
}

/* An NTLM logon of DOMAIN\user with `password`; the acceptor's last status, *f its failure. */
static SECURITY_STATUS ntlm_logon(const char *domain, const char *user, const char *password,
                                  NEGRING_FAILURE_INFO *f)
{
    CredHandle server = ntlm_server(), client = ntlm_client(domain, user, password);
    CtxtHandle c, s;
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG alen = TOKEN_MAX, blen = 0, attrs;
    SECURITY_STATUS ss = SEC_E_INTERNAL_ERROR;
    for (int leg = 0; leg < 2; leg++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, a};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS cs = InitializeSecurityContextA(&client, leg ? &c : NULL, PRINCIPAL, 0, 0,
                                                        SECURITY_NATIVE_DREP, leg ? &id : NULL, 0,
                                                        &c, &od, &attrs, NULL);
        REQUIRE(cs == SEC_E_OK || cs == SEC_I_CONTINUE_NEEDED);
        alen = ob.cbBuffer;
        ss = accept_leg(&server, &s, leg == 0, a, alen, b, &blen, f);
        if (ss != SEC_I_CONTINUE_NEEDED)
            break;
        CHECK_EQ(f->Reason, NEGRING_REASON_NONE);
    }
    DeleteSecurityContext(&c);
    if (ss == SEC_E_OK || ss == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&s);
    FreeCredentialsHandle(&client);
    FreeCredentialsHandle(&server);
    return ss;
}

static void check_ntlm_refusal(const NEGRING_FAILURE_INFO *f, ULONG reason, const char *user)
{
    CHECK_EQ(f->Reason, reason);
    CHECK_EQ(f->Status, SEC_E_LOGON_DENIED);
    CHECK_EQ(f->MechanismRpcId, RPC_C_AUTHN_WINNT);
    CHECK_EQ(strcmp(f->UserName, user), 0);
}

static void test_ntlm_refusals_told_apart(void)
{
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(ntlm_logon("EXAMPLE", "alice", "Secret1", &f), SEC_E_OK);
    CHECK_EQ(f.Reason, NEGRING_REASON_NONE);
    CHECK_EQ(ntlm_logon("EXAMPLE", "alice", "Wrong", &f), SEC_E_LOGON_DENIED);
    check_ntlm_refusal(&f, NEGRING_REASON_WRONG_PASSWORD, "EXAMPLE\\alice");
    CHECK_EQ(ntlm_logon("EXAMPLE", "mallory", "Secret1", &f), SEC_E_LOGON_DENIED);
    check_ntlm_refusal(&f, NEGRING_REASON_UNKNOWN_USER, "EXAMPLE\\mallory");
    CHECK_EQ(ntlm_logon("EXAMPLE", "bob", "Secret2", &f), SEC_E_LOGON_DENIED);
    check_ntlm_refusal(&f, NEGRING_REASON_ACCOUNT_DISABLED, "EXAMPLE\\bob");
    /* The disabled account with a wrong password: the password is checked first. */
    CHECK_EQ(ntlm_logon("EXAMPLE", "bob", "Wrong", &f), SEC_E_LOGON_DENIED);
    check_ntlm_refusal(&f, NEGRING_REASON_WRONG_PASSWORD, "EXAMPLE\\bob");
    CHECK_EQ(ntlm_logon("ELSEWHERE", "alice", "Secret1", &f), SEC_E_NO_AUTHENTICATING_AUTHORITY);
    CHECK_EQ(f.Reason, NEGRING_REASON_UNKNOWN_REALM);
    CHECK(strstr(f.Detail, "ELSEWHERE") != NULL);
}

/* The same Kerberos token twice: the second is a replay, and the ticket had opened, so its
 * client is named. */
static void test_kerberos_replay_names_the_client(void)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", realm.keytab, 0, &cred) == SEC_E_OK);
    struct ng_gss_initiator c;
    gss_buffer_desc tok;
    OM_uint32 minor;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, 0, NULL) == 0);
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)));
    static uint8_t out[TOKEN_MAX];
    ULONG out_len;
    NEGRING_FAILURE_INFO f;
    CtxtHandle ctx;
    CHECK_EQ(accept_leg(&cred, &ctx, true, tok.value, (ULONG)tok.length, out, &out_len, &f),
             SEC_E_OK);
    CHECK_EQ(f.Reason, NEGRING_REASON_NONE);
    DeleteSecurityContext(&ctx);
    CHECK_EQ(accept_leg(&cred, &ctx, true, tok.value, (ULONG)tok.length, out, &out_len, &f),
             SEC_E_LOGON_DENIED);
    CHECK_EQ(f.Reason, NEGRING_REASON_REPLAY);
    CHECK_EQ(f.MechanismRpcId, RPC_C_AUTHN_GSS_KERBEROS);
    CHECK_EQ(strcmp(f.UserName, realm.user), 0);
    CHECK_EQ(strcmp(negring_failure_reason_name(f.Reason), "replay"), 0);
    gss_release_buffer(&minor, &tok);
    ng_gss_initiator_free(&c);
    FreeCredentialsHandle(&cred);
}

/* Garbage never reaches a mechanism: no mechanism, no user. A bad handle is reported too. */
static void test_before_any_mechanism(void)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", realm.keytab, 0, &cred) == SEC_E_OK);
    static uint8_t out[TOKEN_MAX];
    static const uint8_t junk[] = {0x60, 0x03, 0x06, 0x01, 0x00};
    ULONG out_len;
    NEGRING_FAILURE_INFO f;
    CtxtHandle ctx;
    CHECK_EQ(accept_leg(&cred, &ctx, true, junk, sizeof(junk), out, &out_len, &f),
             SEC_E_INVALID_TOKEN);
    CHECK_EQ(f.Reason, NEGRING_REASON_MALFORMED);
    CHECK_EQ(f.MechanismRpcId, 0);
    CHECK_EQ(f.UserName[0], '\0');
    CHECK_EQ(f.Detail[0], '\0');
    CtxtHandle bogus = {1, 2};
    CHECK_EQ(accept_leg(&cred, &bogus, false, junk, sizeof(junk), out, &out_len, &f),
             SEC_E_INVALID_HANDLE);
    CHECK_EQ(f.Reason, NEGRING_REASON_OTHER);
    CHECK_EQ(f.Status, SEC_E_INVALID_HANDLE);
    FreeCredentialsHandle(&cred);
}

static void test_reason_names(void)
{
    CHECK_EQ(strcmp(negring_failure_reason_name(NEGRING_REASON_WRONG_PASSWORD), "wrong_password"),
             0);
    CHECK_EQ(strcmp(negring_failure_reason_name(NEGRING_REASON_LOGON_DENIED), "logon_denied"), 0);
    CHECK_EQ(strcmp(negring_failure_reason_name(999), "unknown"), 0);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    snprintf(db_path, sizeof(db_path), "%s/users", realm.dir);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    add_account(f, "EXAMPLE", "alice", "Secret1", "");
    add_account(f, "EXAMPLE", "bob", "Secret2", "disabled");
    REQUIRE(fclose(f) == 0);
    RUN(test_ntlm_refusals_told_apart);
    RUN(test_kerberos_replay_names_the_client);
    RUN(test_before_any_mechanism);
    RUN(test_reason_names);
    ng_test_realm_stop(&realm);
    return check_report();
}
