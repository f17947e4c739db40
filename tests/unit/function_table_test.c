/* function_table: InitSecurityInterfaceA/W dispatch to negring's functions in Windows' field
 * order, and sspi.h's types and constants have Windows' sizes, layouts and winerror.h values. */
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include <negring/sspi.h>

#define CHECK_U32(value, expected) CHECK_EQ((uint32_t)(value), (uint32_t)(expected))
/* Field `name` is the `index`th pointer-sized slot of the table (dwVersion is slot 0). */
#define CHECK_SLOT(type, name, index) CHECK_EQ(offsetof(type, name), (index) * sizeof(void *))

static void test_table_a_points_at_negring(void)
{
    PSecurityFunctionTableA t = InitSecurityInterfaceA();

    REQUIRE(t != NULL);
    CHECK(InitSecurityInterfaceA() == t);
    CHECK_EQ(t->dwVersion, 4);
    CHECK(t->EnumerateSecurityPackagesA == EnumerateSecurityPackagesA);
    CHECK(t->QueryCredentialsAttributesA == QueryCredentialsAttributesA);
    CHECK(t->AcquireCredentialsHandleA == AcquireCredentialsHandleA);
    CHECK(t->FreeCredentialsHandle == FreeCredentialsHandle);
    CHECK(t->Reserved2 == NULL);
    CHECK(t->InitializeSecurityContextA == InitializeSecurityContextA);
    CHECK(t->AcceptSecurityContext == AcceptSecurityContext);
    CHECK(t->CompleteAuthToken == CompleteAuthToken);
    CHECK(t->DeleteSecurityContext == DeleteSecurityContext);
    CHECK(t->ApplyControlToken == ApplyControlToken);
    CHECK(t->QueryContextAttributesA == QueryContextAttributesA);
    CHECK(t->ImpersonateSecurityContext == ImpersonateSecurityContext);
    CHECK(t->RevertSecurityContext == RevertSecurityContext);
    CHECK(t->MakeSignature == MakeSignature);
    CHECK(t->VerifySignature == VerifySignature);
    CHECK(t->FreeContextBuffer == FreeContextBuffer);
    CHECK(t->QuerySecurityPackageInfoA == QuerySecurityPackageInfoA);
    CHECK(t->Reserved3 == NULL && t->Reserved4 == NULL && t->Reserved8 == NULL);
    CHECK(t->ExportSecurityContext == ExportSecurityContext);
    CHECK(t->ImportSecurityContextA == ImportSecurityContextA);
    CHECK(t->QuerySecurityContextToken == QuerySecurityContextToken);
    CHECK(t->EncryptMessage == EncryptMessage);
    CHECK(t->DecryptMessage == DecryptMessage);
    REQUIRE(t->AddCredentialsA != NULL && t->SetContextAttributesA != NULL);
    REQUIRE(t->SetCredentialsAttributesA != NULL && t->ChangeAccountPasswordA != NULL);
    CHECK_EQ(t->AddCredentialsA(NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(t->SetContextAttributesA(NULL, 0, NULL, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(t->SetCredentialsAttributesA(NULL, 0, NULL, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(t->ChangeAccountPasswordA(NULL, NULL, NULL, NULL, NULL, 0, 0, NULL),
             SEC_E_UNSUPPORTED_FUNCTION);
}

static void test_table_w_points_at_negring(void)
{
    PSecurityFunctionTableW t = InitSecurityInterfaceW();

    REQUIRE(t != NULL);
    CHECK_EQ(t->dwVersion, SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4);
    CHECK(t->EnumerateSecurityPackagesW == EnumerateSecurityPackagesW);
    CHECK(t->QueryCredentialsAttributesW == QueryCredentialsAttributesW);
    CHECK(t->AcquireCredentialsHandleW == AcquireCredentialsHandleW);
    CHECK(t->FreeCredentialsHandle == FreeCredentialsHandle);
    CHECK(t->InitializeSecurityContextW == InitializeSecurityContextW);
    CHECK(t->AcceptSecurityContext == AcceptSecurityContext);
    CHECK(t->CompleteAuthToken == CompleteAuthToken);
    CHECK(t->DeleteSecurityContext == DeleteSecurityContext);
    CHECK(t->ApplyControlToken == ApplyControlToken);
    CHECK(t->QueryContextAttributesW == QueryContextAttributesW);
    CHECK(t->ImpersonateSecurityContext == ImpersonateSecurityContext);
    CHECK(t->RevertSecurityContext == RevertSecurityContext);
    CHECK(t->MakeSignature == MakeSignature);
    CHECK(t->VerifySignature == VerifySignature);
    CHECK(t->FreeContextBuffer == FreeContextBuffer);
    CHECK(t->QuerySecurityPackageInfoW == QuerySecurityPackageInfoW);
    CHECK(t->Reserved2 == NULL && t->Reserved3 == NULL && t->Reserved4 == NULL);
    CHECK(t->Reserved8 == NULL);
    CHECK(t->ExportSecurityContext == ExportSecurityContext);
    CHECK(t->ImportSecurityContextW == ImportSecurityContextW);
    CHECK(t->QuerySecurityContextToken == QuerySecurityContextToken);
    CHECK(t->EncryptMessage == EncryptMessage);
    CHECK(t->DecryptMessage == DecryptMessage);
    REQUIRE(t->AddCredentialsW != NULL && t->SetContextAttributesW != NULL);
    REQUIRE(t->SetCredentialsAttributesW != NULL && t->ChangeAccountPasswordW != NULL);
    CHECK_EQ(t->AddCredentialsW(NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL),
             SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(t->SetContextAttributesW(NULL, 0, NULL, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(t->SetCredentialsAttributesW(NULL, 0, NULL, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(t->ChangeAccountPasswordW(NULL, NULL, NULL, NULL, NULL, 0, 0, NULL),
             SEC_E_UNSUPPORTED_FUNCTION);
}

/* Windows' sspi.h field order, slot by slot (V4 ends at ChangeAccountPassword). */
static void test_table_field_order_is_windows(void)
{
    CHECK_SLOT(SecurityFunctionTableA, EnumerateSecurityPackagesA, 1);
    CHECK_SLOT(SecurityFunctionTableA, QueryCredentialsAttributesA, 2);
    CHECK_SLOT(SecurityFunctionTableA, AcquireCredentialsHandleA, 3);
    CHECK_SLOT(SecurityFunctionTableA, FreeCredentialsHandle, 4);
    CHECK_SLOT(SecurityFunctionTableA, Reserved2, 5);
    CHECK_SLOT(SecurityFunctionTableA, InitializeSecurityContextA, 6);
    CHECK_SLOT(SecurityFunctionTableA, AcceptSecurityContext, 7);
    CHECK_SLOT(SecurityFunctionTableA, CompleteAuthToken, 8);
    CHECK_SLOT(SecurityFunctionTableA, DeleteSecurityContext, 9);
    CHECK_SLOT(SecurityFunctionTableA, ApplyControlToken, 10);
    CHECK_SLOT(SecurityFunctionTableA, QueryContextAttributesA, 11);
    CHECK_SLOT(SecurityFunctionTableA, ImpersonateSecurityContext, 12);
    CHECK_SLOT(SecurityFunctionTableA, RevertSecurityContext, 13);
    CHECK_SLOT(SecurityFunctionTableA, MakeSignature, 14);
    CHECK_SLOT(SecurityFunctionTableA, VerifySignature, 15);
    CHECK_SLOT(SecurityFunctionTableA, FreeContextBuffer, 16);
    CHECK_SLOT(SecurityFunctionTableA, QuerySecurityPackageInfoA, 17);
    CHECK_SLOT(SecurityFunctionTableA, Reserved3, 18);
    CHECK_SLOT(SecurityFunctionTableA, Reserved4, 19);
    CHECK_SLOT(SecurityFunctionTableA, ExportSecurityContext, 20);
    CHECK_SLOT(SecurityFunctionTableA, ImportSecurityContextA, 21);
    CHECK_SLOT(SecurityFunctionTableA, AddCredentialsA, 22);
    CHECK_SLOT(SecurityFunctionTableA, Reserved8, 23);
    CHECK_SLOT(SecurityFunctionTableA, QuerySecurityContextToken, 24);
    CHECK_SLOT(SecurityFunctionTableA, EncryptMessage, 25);
    CHECK_SLOT(SecurityFunctionTableA, DecryptMessage, 26);
    CHECK_SLOT(SecurityFunctionTableA, SetContextAttributesA, 27);
    CHECK_SLOT(SecurityFunctionTableA, SetCredentialsAttributesA, 28);
    CHECK_SLOT(SecurityFunctionTableA, ChangeAccountPasswordA, 29);
    CHECK_EQ(sizeof(SecurityFunctionTableA), 30 * sizeof(void *));
    CHECK_EQ(sizeof(SecurityFunctionTableW), sizeof(SecurityFunctionTableA));
    CHECK_SLOT(SecurityFunctionTableW, QuerySecurityPackageInfoW, 17);
    CHECK_SLOT(SecurityFunctionTableW, ImportSecurityContextW, 21);
    CHECK_SLOT(SecurityFunctionTableW, ChangeAccountPasswordW, 29);
}

static void test_type_sizes_match_windows(void)
{
    CHECK_EQ(sizeof(ULONG), 4);
    CHECK_EQ(sizeof(LONG), 4);
    CHECK_EQ(sizeof(USHORT), 2);
    CHECK_EQ(sizeof(SEC_WCHAR), 2);
    CHECK_EQ(sizeof(SECURITY_STATUS), 4);
    CHECK_EQ(sizeof(SecHandle), 2 * sizeof(void *));
    CHECK_EQ(sizeof(CtxtHandle), sizeof(SecHandle));
    CHECK_EQ(sizeof(TimeStamp), 8);
    CHECK_EQ(offsetof(SECURITY_INTEGER, HighPart), 4);
    CHECK_EQ(sizeof(SEC_CHANNEL_BINDINGS), 32);
    CHECK_EQ(offsetof(SEC_CHANNEL_BINDINGS, dwApplicationDataOffset), 28);
    CHECK_EQ(sizeof(SecPkgContext_Sizes), 16);
    CHECK_EQ(sizeof(SecPkgContext_Lifespan), 16);
    if (sizeof(void *) == 8) { /* LP64 */
        CHECK_EQ(sizeof(SecBuffer), 16);
        CHECK_EQ(offsetof(SecBuffer, pvBuffer), 8);
        CHECK_EQ(sizeof(SecBufferDesc), 16);
        CHECK_EQ(offsetof(SecBufferDesc, pBuffers), 8);
        CHECK_EQ(sizeof(SecPkgInfoA), 32);
        CHECK_EQ(sizeof(SecPkgInfoW), 32);
        CHECK_EQ(offsetof(SecPkgInfoW, Comment), 24);
        CHECK_EQ(sizeof(SEC_WINNT_AUTH_IDENTITY_A), 48);
        CHECK_EQ(offsetof(SEC_WINNT_AUTH_IDENTITY_W, Flags), 44);
    }
    CHECK_EQ(offsetof(SecPkgInfoA, fCapabilities), 0);
    CHECK_EQ(offsetof(SecPkgInfoA, wVersion), 4);
    CHECK_EQ(offsetof(SecPkgInfoA, wRPCID), 6);
    CHECK_EQ(offsetof(SecPkgInfoA, cbMaxToken), 8);
    CHECK_EQ(offsetof(SecPkgInfoA, Name), sizeof(void *) == 8 ? 16 : 12);
    CHECK_EQ(offsetof(SecPkgInfoA, Comment), offsetof(SecPkgInfoA, Name) + sizeof(void *));
}

static void test_handle_macros(void)
{
    SecHandle h = {1, 2};

    CHECK(SecIsValidHandle(&h));
    SecInvalidateHandle(&h);
    CHECK(!SecIsValidHandle(&h));
    CHECK_EQ(h.dwLower, UINTPTR_MAX);
    CHECK_EQ(h.dwUpper, UINTPTR_MAX);
}

/* The return values on the AcceptSecurityContext (Negotiate) page, from winerror.h. */
static void test_accept_page_status_values(void)
{
    CHECK_U32(SEC_E_OK, 0x00000000);
    CHECK_U32(SEC_I_COMPLETE_AND_CONTINUE, 0x00090314);
    CHECK_U32(SEC_I_COMPLETE_NEEDED, 0x00090313);
    CHECK_U32(SEC_I_CONTINUE_NEEDED, 0x00090312);
    CHECK_U32(SEC_E_INCOMPLETE_MESSAGE, 0x80090318);
    CHECK_U32(SEC_E_INSUFFICIENT_MEMORY, 0x80090300);
    CHECK_U32(SEC_E_INTERNAL_ERROR, 0x80090304);
    CHECK_U32(SEC_E_INVALID_HANDLE, 0x80090301); /* the page misprints 0x80100003 */
    CHECK_U32(SEC_E_INVALID_TOKEN, 0x80090308);
    CHECK_U32(SEC_E_LOGON_DENIED, 0x8009030C);
    CHECK_U32(SEC_E_NO_AUTHENTICATING_AUTHORITY, 0x80090311);
    CHECK_U32(SEC_E_NO_CREDENTIALS, 0x8009030E);
    CHECK_U32(SEC_E_UNSUPPORTED_FUNCTION, 0x80090302);
    /* and the ones negring's mapping produces */
    CHECK_U32(SEC_E_INVALID_PARAMETER, 0x8009035D);
    CHECK_U32(SEC_E_SECPKG_NOT_FOUND, 0x80090305);
    CHECK_U32(SEC_E_BUFFER_TOO_SMALL, 0x80090321);
    CHECK_U32(SEC_E_WRONG_PRINCIPAL, 0x80090322);
    CHECK_U32(SEC_E_TIME_SKEW, 0x80090324);
    CHECK_U32(SEC_E_CONTEXT_EXPIRED, 0x80090317);
    CHECK_U32(SEC_E_BAD_BINDINGS, 0x80090346);
    CHECK_U32(SEC_E_MESSAGE_ALTERED, 0x8009030F);
    CHECK_U32(SEC_E_OUT_OF_SEQUENCE, 0x80090310);
    CHECK_U32(SEC_E_WRONG_CREDENTIAL_HANDLE, 0x80090336);
    CHECK_U32(SEC_E_DOWNGRADE_DETECTED, 0x80090350);
    CHECK_U32(SEC_E_UNKNOWN_CREDENTIALS, 0x8009030D);
    CHECK_U32(SEC_E_TARGET_UNKNOWN, 0x80090303);
    CHECK_U32(SEC_E_NOT_OWNER, 0x80090306);
}

/* fContextReq, TargetDataRep, buffer types and pfContextAttr values on the same page. */
static void test_accept_page_flag_values(void)
{
    CHECK_U32(ASC_REQ_ALLOCATE_MEMORY, 0x00000100);
    CHECK_U32(ASC_REQ_CONNECTION, 0x00000800);
    CHECK_U32(ASC_REQ_DELEGATE, 0x00000001);
    CHECK_U32(ASC_REQ_EXTENDED_ERROR, 0x00008000);
    CHECK_U32(ASC_REQ_REPLAY_DETECT, 0x00000004);
    CHECK_U32(ASC_REQ_SEQUENCE_DETECT, 0x00000008);
    CHECK_U32(ASC_REQ_STREAM, 0x00010000);
    CHECK_U32(ASC_REQ_MUTUAL_AUTH, 0x00000002);
    CHECK_U32(ASC_REQ_CONFIDENTIALITY, 0x00000010);
    CHECK_U32(ASC_REQ_INTEGRITY, 0x00020000);
    CHECK_U32(ASC_REQ_IDENTIFY, 0x00080000);
    CHECK_U32(ASC_REQ_USE_SESSION_KEY, 0x00000020);
    CHECK_U32(ASC_REQ_ALLOW_MISSING_BINDINGS, 0x10000000);
    CHECK_U32(ASC_REQ_PROXY_BINDINGS, 0x04000000);
    CHECK_U32(ASC_RET_ALLOCATED_MEMORY, 0x00000100);
    CHECK_U32(ASC_RET_CONNECTION, 0x00000800);
    CHECK_U32(ASC_RET_DELEGATE, 0x00000001);
    CHECK_U32(ASC_RET_EXTENDED_ERROR, 0x00008000);
    CHECK_U32(ASC_RET_REPLAY_DETECT, 0x00000004);
    CHECK_U32(ASC_RET_SEQUENCE_DETECT, 0x00000008);
    CHECK_U32(ASC_RET_STREAM, 0x00010000);
    CHECK_U32(ASC_RET_MUTUAL_AUTH, 0x00000002);
    CHECK_U32(ASC_RET_CONFIDENTIALITY, 0x00000010);
    CHECK_U32(ASC_RET_INTEGRITY, 0x00020000);
    CHECK_U32(ASC_RET_IDENTIFY, 0x00080000);
    CHECK_U32(ASC_RET_NULL_SESSION, 0x00100000);
    CHECK_U32(ASC_RET_THIRD_LEG_FAILED, 0x00004000);
    CHECK_U32(ASC_RET_NO_ADDITIONAL_TOKEN, 0x02000000);
    CHECK_U32(SECURITY_NATIVE_DREP, 0x00000010);
    CHECK_U32(SECURITY_NETWORK_DREP, 0x00000000);
    CHECK_U32(SECBUFFER_VERSION, 0);
    CHECK_U32(SECBUFFER_EMPTY, 0);
    CHECK_U32(SECBUFFER_DATA, 1);
    CHECK_U32(SECBUFFER_TOKEN, 2);
    CHECK_U32(SECBUFFER_EXTRA, 5);
    CHECK_U32(SECBUFFER_CHANNEL_BINDINGS, 14);
    CHECK_U32(SECBUFFER_READONLY, 0x80000000);
    CHECK_U32(SECPKG_CRED_INBOUND, 1);
    CHECK_U32(SECPKG_CRED_OUTBOUND, 2);
    CHECK_U32(SECPKG_CRED_BOTH, 3);
}

static void test_attribute_numbers(void)
{
    CHECK_U32(SECPKG_ATTR_SIZES, 0);
    CHECK_U32(SECPKG_ATTR_NAMES, 1);
    CHECK_U32(SECPKG_ATTR_LIFESPAN, 2);
    CHECK_U32(SECPKG_ATTR_KEY_INFO, 5);
    CHECK_U32(SECPKG_ATTR_AUTHORITY, 6);
    CHECK_U32(SECPKG_ATTR_SESSION_KEY, 9);
    CHECK_U32(SECPKG_ATTR_PACKAGE_INFO, 10);
    CHECK_U32(SECPKG_ATTR_NEGOTIATION_INFO, 12);
    CHECK_U32(SECPKG_ATTR_NATIVE_NAMES, 13);
    CHECK_U32(SECPKG_ATTR_FLAGS, 14);
    CHECK_U32(SECPKG_NEGOTIATION_COMPLETE, 0);
    CHECK_U32(SECPKG_NEGOTIATION_IN_PROGRESS, 2);
}

int main(void)
{
    RUN(test_table_a_points_at_negring);
    RUN(test_table_w_points_at_negring);
    RUN(test_table_field_order_is_windows);
    RUN(test_type_sizes_match_windows);
    RUN(test_handle_macros);
    RUN(test_accept_page_status_values);
    RUN(test_accept_page_flag_values);
    RUN(test_attribute_numbers);
    return check_report();
}
