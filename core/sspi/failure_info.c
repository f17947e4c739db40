#include "failure_info.h"

#include <string.h>

#include "security_context.h"
#include "sspi_buffers.h"
#include "sspi_status.h"

NEGRING_FAILURE_INFO *ng_failure_info_begin(SecBufferDesc *out)
{
    SecBuffer *b = NULL;
    if (out == NULL || ng_find_buffer(out, SECBUFFER_NEGRING_FAILURE, &b) != NG_OK || b == NULL ||
        b->pvBuffer == NULL || b->cbBuffer != sizeof(NEGRING_FAILURE_INFO))
        return NULL;
    memset(b->pvBuffer, 0, sizeof(NEGRING_FAILURE_INFO));
    return b->pvBuffer;
}

/* Copies a note, cut to the field's size on a UTF-8 character boundary. */
static void copy_note(char *dst, size_t cap, const char *src)
{
    if (src == NULL)
        return;
    size_t n = strnlen(src, cap - 1);
    while (n > 0 && n < strlen(src) && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void ng_failure_info_fill(NEGRING_FAILURE_INFO *info, const struct ng_context *ctx,
                          ng_status status)
{
    if (info == NULL || status == NG_OK || status == NG_CONTINUE)
        return;
    info->Reason = ng_failure_reason(status);
    info->Status = ng_sec_status(status);
    if (ctx == NULL)
        return;
    if (ctx->ops != NULL)
        info->MechanismRpcId = ng_package_get(ctx->ops->package)->rpcid;
    copy_note(info->UserName, sizeof(info->UserName), ctx->failure_user);
    copy_note(info->Detail, sizeof(info->Detail), ctx->failure_detail);
}

const char *negring_failure_reason_name(ULONG reason)
{
    static const char *const names[] = {
        [NEGRING_REASON_NONE] = "none",
        [NEGRING_REASON_OTHER] = "other",
        [NEGRING_REASON_MALFORMED] = "malformed",
        [NEGRING_REASON_NO_MECHANISM] = "no_mechanism",
        [NEGRING_REASON_REPLAY] = "replay",
        [NEGRING_REASON_CLOCK_SKEW] = "clock_skew",
        [NEGRING_REASON_EXPIRED] = "expired",
        [NEGRING_REASON_BAD_PAC] = "bad_pac",
        [NEGRING_REASON_STALE_KEY] = "stale_key",
        [NEGRING_REASON_WRONG_KEY] = "wrong_key",
        [NEGRING_REASON_WRONG_SERVICE] = "wrong_service",
        [NEGRING_REASON_UNKNOWN_REALM] = "unknown_realm",
        [NEGRING_REASON_UNKNOWN_USER] = "unknown_user",
        [NEGRING_REASON_WRONG_PASSWORD] = "wrong_password",
        [NEGRING_REASON_ACCOUNT_DISABLED] = "account_disabled",
        [NEGRING_REASON_BAD_BINDINGS] = "bad_bindings",
        [NEGRING_REASON_TAMPERED] = "tampered",
        [NEGRING_REASON_POLICY] = "policy",
        [NEGRING_REASON_RESOURCES] = "resources",
        [NEGRING_REASON_LOGON_DENIED] = "logon_denied",
    };
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}
