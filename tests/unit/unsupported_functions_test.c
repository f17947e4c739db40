/* unsupported_functions: ApplyControlToken checks its handle and then declines with
 * SEC_E_UNSUPPORTED_FUNCTION, as Windows' Negotiate does. */
#include "alloc.h"
#include "check.h"
#include "security_context.h"

static void test_valid_handle_is_unsupported_bad_handle_is_invalid(void)
{
    struct ng_credentials *creds = ng_alloc(sizeof(*creds));
    struct ng_context *ctx = NULL;
    CtxtHandle h, bad = {0, 0};

    REQUIRE(creds != NULL);
    atomic_init(&creds->refs, 1);
    ng_credentials_ref(creds); /* the context takes a reference */
    REQUIRE(ng_context_new(NG_ROLE_ACCEPTOR, NG_PKG_NEGOTIATE, creds, &ctx) == NG_OK);
    REQUIRE(ng_context_publish(ctx, &h) == NG_OK);
    CtxtHandle *handles[] = {&h, &bad};
    SECURITY_STATUS want[] = {SEC_E_UNSUPPORTED_FUNCTION, SEC_E_INVALID_HANDLE};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(ApplyControlToken(handles[i], NULL), want[i]);
    }
    CHECK_EQ(ApplyControlToken(NULL, NULL), SEC_E_INVALID_HANDLE);
    CHECK_EQ(ng_context_delete(&h), NG_OK);
    CHECK_EQ(ApplyControlToken(&h, NULL), SEC_E_INVALID_HANDLE);
    ng_credentials_unref(creds);
}

int main(void)
{
    RUN(test_valid_handle_is_unsupported_bad_handle_is_invalid);
    return check_report();
}
