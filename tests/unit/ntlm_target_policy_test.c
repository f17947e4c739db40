/* The NTLM target name policy (core/ntlm/ntlm_acceptor.c, docs/ntlm.md): what an acceptor named
 * HTTP/server.example.test does with the client's MsvAvTargetName in each of Windows' three
 * modes. The client is our initiator in a forked child — another process, as a browser is, so
 * its set of outstanding challenges (reflection) never holds the acceptor's — aimed at no
 * target (curl, Java), at the service with a port (Chromium), at it in another case, and at
 * another service. Each refusal is SEC_E_WRONG_PRINCIPAL with the wrong_service reason. */
#include <negring/sspi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ntlm_crypto.h"

#define OURS      "HTTP/server.example.test"
#define TOKEN_MAX 12000

static char db_path[128];
static const char *package = "NTLM"; /* both sides' */

static CredHandle acceptor(ULONG options)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .Keytab = "FILE:/nonexistent/keytab",
                                        .UserDatabase = db_path,
                                        .NtlmComputer = "SERVER",
                                        .DnsComputer = "server.example.test",
                                        .NtlmOptions = options};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(OURS, (LPSTR)package, SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static void send_token(int fd, const uint8_t *p, ULONG len)
{
    REQUIRE(write(fd, &len, sizeof(len)) == (ssize_t)sizeof(len));
    REQUIRE(write(fd, p, len) == (ssize_t)len);
}

/* 0 at the end of the stream (tokens here are far below a pipe's atomic size). */
static ULONG recv_token(int fd, uint8_t *p)
{
    ULONG len = 0;
    if (read(fd, &len, sizeof(len)) != (ssize_t)sizeof(len))
        return 0;
    REQUIRE(len <= TOKEN_MAX && read(fd, p, len) == (ssize_t)len);
    return len;
}

/* The child: our initiator as EXAMPLE\alice aimed at `target` (NULL: none). */
static void child_client(const char *target, int in, int out)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",   5, (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle cred;
    CtxtHandle ctx;
    if (AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                  &cred, NULL) != SEC_E_OK)
        _exit(2);
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG blen = 0, attrs;
    for (bool first = true;; first = false) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, a};
        SecBufferDesc id_desc = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS st = InitializeSecurityContextA(
            &cred, first ? NULL : &ctx, (SEC_CHAR *)target, 0, 0, SECURITY_NATIVE_DREP,
            first ? NULL : &id_desc, 0, &ctx, &od, &attrs, NULL);
        if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED)
            _exit(3);
        if (ob.cbBuffer > 0)
            send_token(out, a, ob.cbBuffer);
        if (st == SEC_E_OK)
            _exit(0);
        if ((blen = recv_token(in, b)) == 0)
            _exit(4);
    }
}

/* The acceptor's final status for a client in another process aimed at `target`. */
static SECURITY_STATUS logon(ULONG options, const char *target, NEGRING_FAILURE_INFO *f)
{
    CredHandle server = acceptor(options);
    int down[2], up[2];
    REQUIRE(pipe(down) == 0 && pipe(up) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        child_client(target, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    CtxtHandle s;
    SECURITY_STATUS ss = SEC_I_CONTINUE_NEEDED;
    ULONG alen, attrs;
    for (bool first = true; ss == SEC_I_CONTINUE_NEEDED && (alen = recv_token(up[0], a)) > 0;
         first = false) {
        SecBuffer ib = {alen, SECBUFFER_TOKEN, a};
        SecBuffer ob[2] = {{TOKEN_MAX, SECBUFFER_TOKEN, b},
                           {sizeof(*f), SECBUFFER_NEGRING_FAILURE, f}};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 2, ob};
        ss = AcceptSecurityContext(&server, first ? NULL : &s, &id, 0, SECURITY_NATIVE_DREP, &s,
                                   &od, &attrs, NULL);
        if ((ss == SEC_I_CONTINUE_NEEDED || ss == SEC_E_OK) && ob[0].cbBuffer > 0)
            send_token(down[1], b, ob[0].cbBuffer); /* SPNEGO ends with the acceptor's MIC */
    }
    close(down[1]);
    close(up[0]);
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    if (ss == SEC_E_OK)
        CHECK_EQ(WEXITSTATUS(status), 0);
    if (ss == SEC_E_OK || ss == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&s);
    FreeCredentialsHandle(&server);
    return ss;
}

static void check_refused(ULONG options, const char *target)
{
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(logon(options, target, &f), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(f.Reason, NEGRING_REASON_WRONG_SERVICE);
    CHECK_EQ(f.MechanismRpcId, RPC_C_AUTHN_WINNT);
    CHECK_EQ(strcmp(f.UserName, "EXAMPLE\\alice"), 0);
}

/* The default: a supplied name must name the service; none is accepted. */
static void test_when_supplied(void)
{
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(logon(0, NULL, &f), SEC_E_OK);
    CHECK_EQ(logon(0, OURS, &f), SEC_E_OK);
    CHECK_EQ(logon(0, "HTTP/server.example.test:8080", &f), SEC_E_OK);
    CHECK_EQ(logon(0, "http/SERVER.EXAMPLE.TEST", &f), SEC_E_OK);
    check_refused(0, "HTTP/attacker.example.test");
    check_refused(0, "CIFS/server.example.test");
}

static void test_required(void)
{
    NEGRING_FAILURE_INFO f;
    check_refused(NEGRING_NTLM_TARGET_NAME_REQUIRED, NULL);
    CHECK_EQ(logon(NEGRING_NTLM_TARGET_NAME_REQUIRED, "HTTP/server.example.test:8080", &f),
             SEC_E_OK);
    check_refused(NEGRING_NTLM_TARGET_NAME_REQUIRED, "HTTP/attacker.example.test");
}

static void test_off(void)
{
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(logon(NEGRING_NTLM_TARGET_NAME_OFF, NULL, &f), SEC_E_OK);
    CHECK_EQ(logon(NEGRING_NTLM_TARGET_NAME_OFF, "HTTP/attacker.example.test", &f), SEC_E_OK);
}

/* Windows' Negotiate with explicit credentials and pszTargetName NULL uses NTLM (no SPN to ask
 * a Kerberos ticket for); so does ours, and the acceptor's default policy accepts it. */
static void test_negotiate_without_target_uses_ntlm(void)
{
    package = "Negotiate";
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(logon(0, NULL, &f), SEC_E_OK);
    check_refused(0, "HTTP/attacker.example.test");
    package = "NTLM";
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/ntlm_target_policy.XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    uint8_t h[16];
    REQUIRE(ng_nt_hash("Secret1", 7, h) == NG_OK);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fprintf(f, "EXAMPLE:alice:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", h[i]);
    fprintf(f, ":\n");
    REQUIRE(fclose(f) == 0);
    RUN(test_when_supplied);
    RUN(test_required);
    RUN(test_off);
    RUN(test_negotiate_without_target_uses_ntlm);
    unlink(db_path);
    rmdir(dir);
    return check_report();
}
