/* negring-handshake: one complete Negotiate handshake through the SSPI API, as a Windows
 * program would write it — InitializeSecurityContext on the client side, AcceptSecurityContext
 * on the server side, tokens passed between them in memory — then prints who was
 * authenticated, with which mechanism.
 *
 * Usage: negring-handshake [SERVICE]   (default HTTP/localhost)
 * The client uses the default ccache (KRB5CCNAME); the server the default keytab
 * (KRB5_KTNAME). scripts/run.sh sets both up on a throwaway realm. */
#include <negring/sspi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define TOKEN_MAX 48256

static int fail(const char *what, SECURITY_STATUS s)
{
    fprintf(stderr, "negring-handshake: %s failed: 0x%08x\n", what, (unsigned)s);
    return 1;
}

static int print_result(CtxtHandle *server, ULONG attrs, int legs)
{
    SecPkgContext_NamesA names;
    SecPkgContext_NegotiationInfoA nego;
    SECURITY_STATUS s = QueryContextAttributesA(server, SECPKG_ATTR_NAMES, &names);
    if (s != SEC_E_OK)
        return fail("QueryContextAttributes(NAMES)", s);
    s = QueryContextAttributesA(server, SECPKG_ATTR_NEGOTIATION_INFO, &nego);
    if (s != SEC_E_OK)
        return fail("QueryContextAttributes(NEGOTIATION_INFO)", s);
    printf("authenticated %s with %s via Negotiate (%d legs, mutual %s)\n", names.sUserName,
           nego.PackageInfo->Name, legs, (attrs & ASC_RET_MUTUAL_AUTH) ? "yes" : "no");
    FreeContextBuffer(names.sUserName);
    FreeContextBuffer(nego.PackageInfo);
    return 0;
}

int main(int argc, char **argv)
{
    char *service = argc > 1 ? argv[1] : "HTTP/localhost";
    CredHandle client_cred, server_cred;
    CtxtHandle client, server;
    TimeStamp expiry;
    SECURITY_STATUS s = AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL,
                                                  NULL, NULL, NULL, &client_cred, &expiry);
    if (s != SEC_E_OK)
        return fail("AcquireCredentialsHandle(OUTBOUND)", s);
    /* The server names itself: our own initiator refuses an unnamed acceptor of its own
     * process, which it cannot tell from an NTLM reflection (docs/ntlm.md). */
    s = AcquireCredentialsHandleA(service, "Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                  &server_cred, &expiry);
    if (s != SEC_E_OK)
        return fail("AcquireCredentialsHandle(INBOUND)", s);

    static unsigned char to_server[TOKEN_MAX], to_client[TOKEN_MAX];
    SecBuffer cbuf = {sizeof(to_server), SECBUFFER_TOKEN, to_server};
    SecBufferDesc cout = {SECBUFFER_VERSION, 1, &cbuf};
    ULONG cattrs = 0, sattrs = 0;
    SECURITY_STATUS cs = InitializeSecurityContextA(
        &client_cred, NULL, service, ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY, 0,
        SECURITY_NATIVE_DREP, NULL, 0, &client, &cout, &cattrs, NULL);
    if (cs != SEC_I_CONTINUE_NEEDED && cs != SEC_E_OK)
        return fail("InitializeSecurityContext", cs);
    int legs = 1;
    SECURITY_STATUS ss = SEC_I_CONTINUE_NEEDED;
    for (bool first = true; cbuf.cbBuffer > 0; first = false, legs++) {
        SecBuffer in = {cbuf.cbBuffer, SECBUFFER_TOKEN, to_server};
        SecBufferDesc sin = {SECBUFFER_VERSION, 1, &in};
        SecBuffer sbuf = {sizeof(to_client), SECBUFFER_TOKEN, to_client};
        SecBufferDesc sout = {SECBUFFER_VERSION, 1, &sbuf};
        ss = AcceptSecurityContext(&server_cred, first ? NULL : &server, &sin, ASC_REQ_CONNECTION,
                                   SECURITY_NATIVE_DREP, &server, &sout, &sattrs, &expiry);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED)
            return fail("AcceptSecurityContext", ss);
        cbuf.cbBuffer = 0;
        if (sbuf.cbBuffer == 0 || cs == SEC_E_OK)
            break;
        SecBuffer cin = {sbuf.cbBuffer, SECBUFFER_TOKEN, to_client};
        SecBufferDesc cind = {SECBUFFER_VERSION, 1, &cin};
        cbuf = (SecBuffer){sizeof(to_server), SECBUFFER_TOKEN, to_server};
        cs = InitializeSecurityContextA(&client_cred, &client, service, 0, 0, SECURITY_NATIVE_DREP,
                                        &cind, 0, &client, &cout, &cattrs, NULL);
        if (cs != SEC_I_CONTINUE_NEEDED && cs != SEC_E_OK)
            return fail("InitializeSecurityContext", cs);
    }
    if (ss != SEC_E_OK || cs != SEC_E_OK)
        return fail("handshake completion", ss != SEC_E_OK ? ss : cs);
    int rc = print_result(&server, sattrs, legs);
    DeleteSecurityContext(&client);
    DeleteSecurityContext(&server);
    FreeCredentialsHandle(&client_cred);
    FreeCredentialsHandle(&server_cred);
    return rc;
}
