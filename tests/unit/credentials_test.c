/* AcquireCredentialsHandle / FreeCredentialsHandle / QueryCredentialsAttributes /
 * SetCredentialsAttributes(RELOAD_KEYS) against a real KDC. */
#include <negring/sspi.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "realm.h"

static struct ng_test_realm realm;

/* One raw Kerberos AP-REQ (no mutual auth) accepted by `server`; the client uses the default
 * ccache, or gets a fresh TGT with alice's password when `fresh` (so no cached ticket). */
static SECURITY_STATUS accept_one(CredHandle *server, bool fresh)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",        5,
                                    (unsigned char *)"NEGRING.TEST", 12,
                                    (unsigned char *)realm.password, (ULONG)strlen(realm.password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle client;
    CtxtHandle cctx, sctx;
    TimeStamp ts;
    ULONG attrs = 0;
    unsigned char token[16384];
    SECURITY_STATUS s = AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_OUTBOUND, NULL,
                                                  fresh ? &id : NULL, NULL, NULL, &client, &ts);
    REQUIRE(s == SEC_E_OK);
    SecBuffer out = {sizeof(token), SECBUFFER_TOKEN, token};
    SecBufferDesc outd = {SECBUFFER_VERSION, 1, &out};
    s = InitializeSecurityContextA(&client, NULL, "HTTP/localhost", 0, 0, SECURITY_NATIVE_DREP,
                                   NULL, 0, &cctx, &outd, &attrs, NULL);
    REQUIRE(s == SEC_E_OK);
    SecBuffer in = {out.cbBuffer, SECBUFFER_TOKEN, token};
    SecBufferDesc ind = {SECBUFFER_VERSION, 1, &in};
    SecBufferDesc none = {SECBUFFER_VERSION, 0, NULL};
    s = AcceptSecurityContext(server, NULL, &ind, 0, SECURITY_NATIVE_DREP, &sctx, &none, &attrs,
                              NULL);
    if (s == SEC_E_OK)
        CHECK_EQ(DeleteSecurityContext(&sctx), SEC_E_OK);
    DeleteSecurityContext(&cctx);
    FreeCredentialsHandle(&client);
    return s;
}

static void names_are_reported(void)
{
    CredHandle in, out;
    TimeStamp ts;
    REQUIRE(AcquireCredentialsHandleA("HTTP/localhost@NEGRING.TEST", "Negotiate",
                                      SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &in,
                                      &ts) == SEC_E_OK);
    CHECK_EQ(ts.QuadPart, INT64_MAX); /* keys do not expire: Windows' "never" */
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &out, &ts) == SEC_E_OK);
    CHECK(ts.QuadPart > 0 && ts.QuadPart != INT64_MAX); /* the TGT's end time */
    SecPkgCredentials_NamesA names = {0};
    CHECK_EQ(QueryCredentialsAttributesA(&out, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName && strcmp(names.sUserName, "alice@NEGRING.TEST") == 0);
    FreeContextBuffer(names.sUserName);
    CHECK_EQ(QueryCredentialsAttributesA(&in, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName && strcmp(names.sUserName, "HTTP/localhost@NEGRING.TEST") == 0);
    FreeContextBuffer(names.sUserName);
    CHECK_EQ(FreeCredentialsHandle(&in), SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&out), SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&out), SEC_E_INVALID_HANDLE);
}

static void bad_requests_are_refused(void)
{
    CredHandle h;
    TimeStamp ts;
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "NoSuchPackage", SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                       NULL, &h, &ts),
             SEC_E_SECPKG_NOT_FOUND);
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "Negotiate", 0, NULL, NULL, NULL, NULL, &h, &ts),
             SEC_E_INVALID_PARAMETER);
    NEGRING_ACCEPTOR_AUTH_DATA missing = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION,
                                          "FILE:/nonexistent/negring.keytab", 0, NULL};
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL, &missing, NULL,
                                       NULL, &h, &ts),
             SEC_E_NO_CREDENTIALS);
    CHECK_EQ(AcquireCredentialsHandleA("HTTP/nosuchhost@NEGRING.TEST", "Negotiate",
                                       SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &h, &ts),
             SEC_E_NO_CREDENTIALS);
}

/* A key rollover: tickets under the new key version are refused until the keys are reloaded,
 * then accepted, while credentials in use keep working throughout. */
static void reload_picks_up_a_new_key(void)
{
    CredHandle server;
    TimeStamp ts;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                      NULL, &server, &ts) == SEC_E_OK);
    CHECK_EQ(accept_one(&server, false), SEC_E_OK);
    const char *keytab = realm.keytab + strlen("FILE:");
    REQUIRE(ng_test_realm_kadmin(&realm, "ktadd -k %s HTTP/localhost", keytab) == 0);
    CHECK_EQ(accept_one(&server, true), SEC_E_LOGON_DENIED); /* new kvno, keys not reloaded */
    CHECK_EQ(accept_one(&server, false), SEC_E_OK);          /* old kvno still held */
    CHECK_EQ(SetCredentialsAttributesA(&server, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_OK);
    CHECK_EQ(accept_one(&server, true), SEC_E_OK);
    CHECK_EQ(accept_one(&server, false), SEC_E_OK); /* ktadd keeps the old key version */
    CHECK_EQ(SetCredentialsAttributesA(&server, 12345, NULL, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(FreeCredentialsHandle(&server), SEC_E_OK);
    CHECK_EQ(SetCredentialsAttributesA(&server, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_INVALID_HANDLE);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(names_are_reported);
    RUN(bad_requests_are_refused);
    RUN(reload_picks_up_a_new_key);
    return check_report();
}
