/* ng_sec_status: every internal status reaches the SSPI caller as the exact winerror.h value. */
#include <stdint.h>

#include "check.h"
#include "sspi_status.h"

#define CHECK_SEC(status, value) CHECK_EQ((uint32_t)ng_sec_status(status), (uint32_t)(value))

static void test_every_status_maps_to_its_winerror_value(void)
{
    CHECK_SEC(NG_OK, 0x00000000u);
    CHECK_SEC(NG_CONTINUE, 0x00090312u);
    CHECK_SEC(NG_ERR_NOMEM, 0x80090300u);
    CHECK_SEC(NG_ERR_INTERNAL, 0x80090304u);
    CHECK_SEC(NG_ERR_INVALID_HANDLE, 0x80090301u);
    CHECK_SEC(NG_ERR_INVALID_PARAM, 0x8009035Du);
    CHECK_SEC(NG_ERR_INVALID_TOKEN, 0x80090308u);
    CHECK_SEC(NG_ERR_BUFFER_TOO_SMALL, 0x80090321u);
    CHECK_SEC(NG_ERR_LOGON_DENIED, 0x8009030Cu);
    CHECK_SEC(NG_ERR_NO_AUTHORITY, 0x80090311u);
    CHECK_SEC(NG_ERR_NO_CREDENTIALS, 0x8009030Eu);
    CHECK_SEC(NG_ERR_UNKNOWN_CREDS, 0x8009030Du);
    CHECK_SEC(NG_ERR_WRONG_CRED_HANDLE, 0x80090336u);
    CHECK_SEC(NG_ERR_TARGET_UNKNOWN, 0x80090303u);
    CHECK_SEC(NG_ERR_WRONG_PRINCIPAL, 0x80090322u);
    CHECK_SEC(NG_ERR_TIME_SKEW, 0x80090324u);
    CHECK_SEC(NG_ERR_CONTEXT_EXPIRED, 0x80090317u);
    CHECK_SEC(NG_ERR_BAD_BINDINGS, 0x80090346u);
    CHECK_SEC(NG_ERR_REPLAY, 0x8009030Cu);
    CHECK_SEC(NG_ERR_OUT_OF_SEQUENCE, 0x80090310u);
    CHECK_SEC(NG_ERR_MESSAGE_ALTERED, 0x8009030Fu);
    CHECK_SEC(NG_ERR_UNSUPPORTED, 0x80090302u);
    CHECK_SEC(NG_ERR_PKG_NOT_FOUND, 0x80090305u);
    CHECK_SEC(NG_ERR_NOT_OWNER, 0x80090306u);
    CHECK_SEC(NG_ERR_NO_CONTEXT, 0x80090301u);
    CHECK_SEC(NG_ERR_FULL, 0x80090300u);
    CHECK_SEC(NG_ERR_UNSUPPORTED_MECH, 0x80090308u);
    CHECK_SEC(NG_ERR_DOWNGRADE, 0x8009030Fu);
}

static void test_invalid_handle_is_not_the_misprinted_value(void)
{
    CHECK((uint32_t)ng_sec_status(NG_ERR_INVALID_HANDLE) != 0x80100003u);
    CHECK_EQ((uint32_t)SEC_E_INVALID_HANDLE, 0x80090301u);
}

static void test_only_ok_and_continue_are_not_errors(void)
{
    /* SSPI's FAILED(): the sign bit. Only NG_OK and NG_CONTINUE may succeed. */
    for (int s = NG_OK; s <= NG_ERR_DOWNGRADE; s++)
        CHECK((ng_sec_status((ng_status)s) < 0) == (s != NG_OK && s != NG_CONTINUE));
}

int main(void)
{
    RUN(test_every_status_maps_to_its_winerror_value);
    RUN(test_invalid_handle_is_not_the_misprinted_value);
    RUN(test_only_ok_and_continue_are_not_errors);
    return check_report();
}
