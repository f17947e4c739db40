/* NTLM reflection (the CVE-2008-4037 family, docs/hostile-input.md): an attacker opens a
 * session to our server, takes the CHALLENGE our acceptor issued, hands it to our own initiator
 * (which the attacker made connect to it), and relays the AUTHENTICATE back, so that the server
 * authenticates to itself. The client's target name (MsvAvTargetName, MS-NLMP §2.2.2.1) sits
 * inside the NTLMv2 blob that NTProofStr covers, so the relay cannot change it: an acceptor with
 * a configured principal refuses it (§3.2.5.1.2). Both the "NTLM" and "Negotiate" packages.
 * The control: the same relay with the initiator aimed at the server's own SPN is a knowing
 * loopback and succeeds, so the refusal comes from the target name and nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "ntlm_crypto.h"
#include "security_context.h"

#define TOKEN_MAX 12000
#define OURS      "HTTP/server.example.test"

static char db_path[128];

static void write_db(void)
{
    uint8_t h[16];
    REQUIRE(ng_nt_hash("Secret1", 7, h) == NG_OK);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fprintf(f, "EXAMPLE:alice:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", h[i]);
    fprintf(f, ":\n");
    REQUIRE(fclose(f) == 0);
}

static CredHandle server_cred(const char *package)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        "FILE:/nonexistent/keytab",
                                        0,
                                        NULL,
                                        db_path,
                                        NULL,
                                        "SERVER",
                                        "example.test",
                                        "server.example.test",
                                        0};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA((LPSTR)OURS, (LPSTR)package, SECPKG_CRED_INBOUND, NULL, &data,
                                      NULL, NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static CredHandle client_cred(const char *package)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",   5, (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    return h;
}

/* The victim's initiator, aimed at `target`, talks to the attacker; every token it makes goes
 * on to our acceptor and every answer comes back unchanged. The acceptor's last status, or the
 * initiator's when it gave up first. */
static SECURITY_STATUS relay(const char *package, const char *target)
{
    CredHandle victim = client_cred(package), server = server_cred(package);
    CtxtHandle c, s;
    bool have_c = false, have_s = false;
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG blen = 0;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    for (int leg = 0; leg < 4 && cs == SEC_I_CONTINUE_NEEDED; leg++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, a};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attrs;
        cs = InitializeSecurityContextA(&victim, have_c ? &c : NULL, (SEC_CHAR *)target, 0, 0,
                                        SECURITY_NATIVE_DREP, blen ? &id : NULL, 0, &c, &od, &attrs,
                                        NULL);
        have_c = have_c || cs == SEC_I_CONTINUE_NEEDED || cs == SEC_E_OK;
        if ((cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED) || ob.cbBuffer == 0)
            break;
        SecBuffer ia = {ob.cbBuffer, SECBUFFER_TOKEN, a}, sb = {TOKEN_MAX, SECBUFFER_TOKEN, b};
        SecBufferDesc iad = {SECBUFFER_VERSION, 1, &ia}, sbd = {SECBUFFER_VERSION, 1, &sb};
        ss = AcceptSecurityContext(&server, have_s ? &s : NULL, &iad, 0, SECURITY_NATIVE_DREP, &s,
                                   &sbd, &attrs, NULL);
        have_s = have_s || ss == SEC_I_CONTINUE_NEEDED || ss == SEC_E_OK;
        blen = sb.cbBuffer;
        if (ss != SEC_I_CONTINUE_NEEDED)
            break;
    }
    if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED)
        ss = cs; /* the victim stopped first */
    if (have_c)
        DeleteSecurityContext(&c);
    if (have_s)
        DeleteSecurityContext(&s);
    FreeCredentialsHandle(&victim);
    FreeCredentialsHandle(&server);
    return ss;
}

static void test_reflection_refused(void)
{
    static const char *const packages[] = {"NTLM", "Negotiate"};
    for (size_t i = 0; i < 2; i++) {
        CHECK_EQ(relay(packages[i], "HTTP/attacker.example.test"), SEC_E_WRONG_PRINCIPAL);
        CHECK_EQ(relay(packages[i], OURS), SEC_E_OK); /* control: a knowing loopback */
    }
    /* A victim with no target name: NTLM sends no MsvAvTargetName, which a server with a
     * principal refuses; Negotiate needs a target before it makes any token. */
    CHECK_EQ(relay("NTLM", NULL), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(relay("Negotiate", NULL), SEC_E_TARGET_UNKNOWN);
}

int main(void)
{
    char dir[] = "/tmp/ntlm_reflection.XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    write_db();
    RUN(test_reflection_refused);
    unlink(db_path);
    rmdir(dir);
    return check_report();
}
