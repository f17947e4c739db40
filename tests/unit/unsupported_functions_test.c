/* unsupported_functions: until the context-services issue, every entry point checks its handle
 * and then declines with SEC_E_UNSUPPORTED_FUNCTION. */
#include "alloc.h"
#include "check.h"
#include "security_context.h"

static void test_valid_handle_is_unsupported_bad_handle_is_invalid(void)
{
    struct ng_credentials *creds = ng_alloc(sizeof(*creds));
    struct ng_context *ctx = NULL;
    CtxtHandle h, bad = {0, 0};
    ULONG qop;
    void *token = NULL;
    SecBuffer packed = {0};

    REQUIRE(creds != NULL);
    atomic_init(&creds->refs, 1);
    REQUIRE(ng_context_new(NG_ROLE_ACCEPTOR, NG_PKG_NEGOTIATE, creds, &ctx) == NG_OK);
    REQUIRE(ng_context_publish(ctx, &h) == NG_OK);
    CtxtHandle *handles[] = {&h, &bad};
    SECURITY_STATUS want[] = {SEC_E_UNSUPPORTED_FUNCTION, SEC_E_INVALID_HANDLE};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(MakeSignature(handles[i], 0, NULL, 0), want[i]);
        CHECK_EQ(VerifySignature(handles[i], NULL, 0, &qop), want[i]);
        CHECK_EQ(EncryptMessage(handles[i], 0, NULL, 0), want[i]);
        CHECK_EQ(DecryptMessage(handles[i], NULL, 0, &qop), want[i]);
        CHECK_EQ(ExportSecurityContext(handles[i], 0, &packed, &token), want[i]);
        CHECK_EQ(ImpersonateSecurityContext(handles[i]), want[i]);
        CHECK_EQ(RevertSecurityContext(handles[i]), want[i]);
        CHECK_EQ(QuerySecurityContextToken(handles[i], &token), want[i]);
        CHECK_EQ(ApplyControlToken(handles[i], NULL), want[i]);
    }
    CHECK_EQ(MakeSignature(NULL, 0, NULL, 0), SEC_E_INVALID_HANDLE);
    CHECK_EQ(ImportSecurityContextA("Kerberos", &packed, NULL, &bad), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(ImportSecurityContextW(NULL, &packed, NULL, &bad), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
    CHECK_EQ(MakeSignature(&h, 0, NULL, 0), SEC_E_INVALID_HANDLE);
    ng_credentials_unref(creds);
}

int main(void)
{
    RUN(test_valid_handle_is_unsupported_bad_handle_is_invalid);
    return check_report();
}
