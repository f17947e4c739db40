/* InitSecurityInterfaceA/W: the dispatch tables, field for field in Windows' order
 * (SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4: everything up to ChangeAccountPassword).
 * The tables are static and never written after initialisation: thread-safe. */
#include <stddef.h>

#include <negring/sspi.h>

/* Not offered by negring: Kerberos/Negotiate on Linux have no supplemental credentials, no
 * settable attributes and no password change over SSPI. Windows leaves such entries to the
 * package, which answers SEC_E_UNSUPPORTED_FUNCTION. */
static SECURITY_STATUS SEC_ENTRY add_credentials_a(PCredHandle cred, SEC_CHAR *principal,
                                                   SEC_CHAR *package, ULONG use, void *auth_data,
                                                   SEC_GET_KEY_FN get_key, void *arg,
                                                   PTimeStamp expiry)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

static SECURITY_STATUS SEC_ENTRY add_credentials_w(PCredHandle cred, SEC_WCHAR *principal,
                                                   SEC_WCHAR *package, ULONG use, void *auth_data,
                                                   SEC_GET_KEY_FN get_key, void *arg,
                                                   PTimeStamp expiry)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

static SECURITY_STATUS SEC_ENTRY set_context_attributes(PCtxtHandle ctx, ULONG attribute,
                                                        void *buffer, ULONG size)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

static SECURITY_STATUS SEC_ENTRY change_password_a(SEC_CHAR *package, SEC_CHAR *domain,
                                                   SEC_CHAR *account, SEC_CHAR *old_password,
                                                   SEC_CHAR *new_password, BOOLEAN impersonating,
                                                   ULONG reserved, PSecBufferDesc output)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

static SECURITY_STATUS SEC_ENTRY change_password_w(SEC_WCHAR *package, SEC_WCHAR *domain,
                                                   SEC_WCHAR *account, SEC_WCHAR *old_password,
                                                   SEC_WCHAR *new_password, BOOLEAN impersonating,
                                                   ULONG reserved, PSecBufferDesc output)
{
    return SEC_E_UNSUPPORTED_FUNCTION;
}

static SecurityFunctionTableA table_a = {
    .dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4,
    .EnumerateSecurityPackagesA = EnumerateSecurityPackagesA,
    .QueryCredentialsAttributesA = QueryCredentialsAttributesA,
    .AcquireCredentialsHandleA = AcquireCredentialsHandleA,
    .FreeCredentialsHandle = FreeCredentialsHandle,
    .Reserved2 = NULL,
    .InitializeSecurityContextA = InitializeSecurityContextA,
    .AcceptSecurityContext = AcceptSecurityContext,
    .CompleteAuthToken = CompleteAuthToken,
    .DeleteSecurityContext = DeleteSecurityContext,
    .ApplyControlToken = ApplyControlToken,
    .QueryContextAttributesA = QueryContextAttributesA,
    .ImpersonateSecurityContext = ImpersonateSecurityContext,
    .RevertSecurityContext = RevertSecurityContext,
    .MakeSignature = MakeSignature,
    .VerifySignature = VerifySignature,
    .FreeContextBuffer = FreeContextBuffer,
    .QuerySecurityPackageInfoA = QuerySecurityPackageInfoA,
    .Reserved3 = NULL,
    .Reserved4 = NULL,
    .ExportSecurityContext = ExportSecurityContext,
    .ImportSecurityContextA = ImportSecurityContextA,
    .AddCredentialsA = add_credentials_a,
    .Reserved8 = NULL,
    .QuerySecurityContextToken = QuerySecurityContextToken,
    .EncryptMessage = EncryptMessage,
    .DecryptMessage = DecryptMessage,
    .SetContextAttributesA = set_context_attributes,
    .SetCredentialsAttributesA = SetCredentialsAttributesA,
    .ChangeAccountPasswordA = change_password_a,
};

static SecurityFunctionTableW table_w = {
    .dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4,
    .EnumerateSecurityPackagesW = EnumerateSecurityPackagesW,
    .QueryCredentialsAttributesW = QueryCredentialsAttributesW,
    .AcquireCredentialsHandleW = AcquireCredentialsHandleW,
    .FreeCredentialsHandle = FreeCredentialsHandle,
    .Reserved2 = NULL,
    .InitializeSecurityContextW = InitializeSecurityContextW,
    .AcceptSecurityContext = AcceptSecurityContext,
    .CompleteAuthToken = CompleteAuthToken,
    .DeleteSecurityContext = DeleteSecurityContext,
    .ApplyControlToken = ApplyControlToken,
    .QueryContextAttributesW = QueryContextAttributesW,
    .ImpersonateSecurityContext = ImpersonateSecurityContext,
    .RevertSecurityContext = RevertSecurityContext,
    .MakeSignature = MakeSignature,
    .VerifySignature = VerifySignature,
    .FreeContextBuffer = FreeContextBuffer,
    .QuerySecurityPackageInfoW = QuerySecurityPackageInfoW,
    .Reserved3 = NULL,
    .Reserved4 = NULL,
    .ExportSecurityContext = ExportSecurityContext,
    .ImportSecurityContextW = ImportSecurityContextW,
    .AddCredentialsW = add_credentials_w,
    .Reserved8 = NULL,
    .QuerySecurityContextToken = QuerySecurityContextToken,
    .EncryptMessage = EncryptMessage,
    .DecryptMessage = DecryptMessage,
    .SetContextAttributesW = set_context_attributes,
    .SetCredentialsAttributesW = SetCredentialsAttributesW,
    .ChangeAccountPasswordW = change_password_w,
};

PSecurityFunctionTableA SEC_ENTRY InitSecurityInterfaceA(void)
{
    return &table_a;
}

PSecurityFunctionTableW SEC_ENTRY InitSecurityInterfaceW(void)
{
    return &table_w;
}
