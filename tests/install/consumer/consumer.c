/* A program outside the negring tree, built against an installed libnegring (pkg-config, or
 * CMake's find_package): it lists the packages and runs one NTLM handshake in-process, our
 * initiator against our acceptor, over the account file named in argv[1]. Prints "ok NAME" with
 * the authenticated name; exit 0 only when everything worked. */
#include <negring/access_token.h>
#include <negring/sspi.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, SECURITY_STATUS s)
{
    fprintf(stderr, "consumer: %s: 0x%08x\n", what, (unsigned)s);
    return 1;
}

int main(int argc, char **argv)
{
    ULONG n = 0;
    PSecPkgInfoA pkgs = NULL;
    SECURITY_STATUS s = EnumerateSecurityPackagesA(&n, &pkgs);
    if (s != SEC_E_OK || n == 0 || strcmp(pkgs[0].Name, "Negotiate") != 0)
        return fail("EnumerateSecurityPackagesA", s);
    FreeContextBuffer(pkgs);

    NEGRING_ACCEPTOR_AUTH_DATA2 accounts = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                            .UserDatabase = argc > 1 ? argv[1] : ""};
    SEC_WINNT_AUTH_IDENTITY_A alice = {
        (unsigned char *)"alice",   5, (unsigned char *)"EXAMPLE",  7,
        (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle server, client;
    s = AcquireCredentialsHandleA("HTTP/localhost", "NTLM", SECPKG_CRED_INBOUND, NULL, &accounts,
                                  NULL, NULL, &server, NULL);
    if (s != SEC_E_OK)
        return fail("acceptor credentials", s);
    s = AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &alice, NULL, NULL,
                                  &client, NULL);
    if (s != SEC_E_OK)
        return fail("initiator credentials", s);

    CtxtHandle cctx, sctx;
    unsigned char ctok[4096], stok[4096];
    SecBuffer cb = {0, SECBUFFER_TOKEN, ctok}, sb = {0, SECBUFFER_TOKEN, stok};
    SecBufferDesc cdesc = {SECBUFFER_VERSION, 1, &cb}, sdesc = {SECBUFFER_VERSION, 1, &sb};
    ULONG attrs;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    for (int leg = 0; leg < 3 && ss != SEC_E_OK; leg++) {
        cb.cbBuffer = sizeof(ctok);
        cs = InitializeSecurityContextA(&client, leg ? &cctx : NULL, "HTTP/localhost", 0, 0,
                                        SECURITY_NATIVE_DREP, leg ? &sdesc : NULL, 0, &cctx, &cdesc,
                                        &attrs, NULL);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED)
            return fail("InitializeSecurityContextA", cs);
        sb.cbBuffer = sizeof(stok);
        ss = AcceptSecurityContext(&server, leg ? &sctx : NULL, &cdesc, 0, SECURITY_NATIVE_DREP,
                                   &sctx, &sdesc, &attrs, NULL);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED)
            return fail("AcceptSecurityContext", ss);
    }
    void *token = NULL;
    s = ss == SEC_E_OK ? QuerySecurityContextToken(&sctx, &token) : ss;
    if (s != SEC_E_OK)
        return fail("QuerySecurityContextToken", s);
    printf("ok %s\n", negring_token_principal(token));
    negring_token_close(token);
    DeleteSecurityContext(&cctx);
    DeleteSecurityContext(&sctx);
    FreeCredentialsHandle(&client);
    FreeCredentialsHandle(&server);
    return 0;
}
