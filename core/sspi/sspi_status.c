#include "sspi_status.h"

/* No default case: -Wswitch flags a new ng_status that has no mapping yet. */
SECURITY_STATUS ng_sec_status(ng_status s)
{
    switch (s) {
    case NG_OK:
        return SEC_E_OK;
    case NG_CONTINUE:
        return SEC_I_CONTINUE_NEEDED;
    case NG_ERR_NOMEM:
        return SEC_E_INSUFFICIENT_MEMORY;
    case NG_ERR_INTERNAL:
        return SEC_E_INTERNAL_ERROR;
    case NG_ERR_INVALID_HANDLE:
        return SEC_E_INVALID_HANDLE;
    case NG_ERR_INVALID_PARAM:
        return SEC_E_INVALID_PARAMETER;
    case NG_ERR_INVALID_TOKEN:
        return SEC_E_INVALID_TOKEN;
    case NG_ERR_BUFFER_TOO_SMALL:
        return SEC_E_BUFFER_TOO_SMALL;
    case NG_ERR_LOGON_DENIED:
        return SEC_E_LOGON_DENIED;
    case NG_ERR_NO_AUTHORITY:
        return SEC_E_NO_AUTHENTICATING_AUTHORITY;
    case NG_ERR_NO_CREDENTIALS:
        return SEC_E_NO_CREDENTIALS;
    case NG_ERR_UNKNOWN_CREDS:
        return SEC_E_UNKNOWN_CREDENTIALS;
    case NG_ERR_WRONG_CRED_HANDLE:
        return SEC_E_WRONG_CREDENTIAL_HANDLE;
    case NG_ERR_TARGET_UNKNOWN:
        return SEC_E_TARGET_UNKNOWN;
    case NG_ERR_WRONG_PRINCIPAL:
        return SEC_E_WRONG_PRINCIPAL;
    case NG_ERR_TIME_SKEW:
        return SEC_E_TIME_SKEW;
    case NG_ERR_CONTEXT_EXPIRED:
        return SEC_E_CONTEXT_EXPIRED;
    case NG_ERR_BAD_BINDINGS:
        return SEC_E_BAD_BINDINGS;
    /* Windows reports a replayed authenticator (KRB_AP_ERR_REPEAT) as a failed logon. */
    case NG_ERR_REPLAY:
        return SEC_E_LOGON_DENIED;
    case NG_ERR_OUT_OF_SEQUENCE:
        return SEC_E_OUT_OF_SEQUENCE;
    case NG_ERR_MESSAGE_ALTERED:
        return SEC_E_MESSAGE_ALTERED;
    case NG_ERR_UNSUPPORTED:
        return SEC_E_UNSUPPORTED_FUNCTION;
    case NG_ERR_PKG_NOT_FOUND:
        return SEC_E_SECPKG_NOT_FOUND;
    case NG_ERR_NOT_OWNER:
        return SEC_E_NOT_OWNER;
    /* A call the context's state does not allow: the handle is not usable for it. */
    case NG_ERR_NO_CONTEXT:
        return SEC_E_INVALID_HANDLE;
    case NG_ERR_FULL:
        return SEC_E_INSUFFICIENT_MEMORY;
    /* SPNEGO reject (RFC 4178 §4.2.2): the peer's token offered nothing we accept. */
    case NG_ERR_UNSUPPORTED_MECH:
        return SEC_E_INVALID_TOKEN;
    /* mechListMIC mismatch (RFC 4178 §5): the mechanism list was tampered with. */
    case NG_ERR_DOWNGRADE:
        return SEC_E_MESSAGE_ALTERED;
    /* Windows answers each of these SEC_E_LOGON_DENIED (a stale key is KRB_AP_ERR_MODIFIED or
     * BADKEYVER, a bad PAC KRB_AP_ERR_MODIFIED, NTLM's STATUS_WRONG_PASSWORD,
     * STATUS_NO_SUCH_USER, STATUS_ACCOUNT_DISABLED all become it); the reason is for the
     * server's logs only (ng_failure_reason). */
    case NG_ERR_STALE_KEY:
    case NG_ERR_WRONG_KEY:
    case NG_ERR_BAD_PAC:
    case NG_ERR_UNKNOWN_USER:
    case NG_ERR_WRONG_PASSWORD:
    case NG_ERR_ACCOUNT_DISABLED:
    case NG_ERR_POLICY:
        return SEC_E_LOGON_DENIED;
    }
    /* Unreachable for valid enum values; an out-of-range cast is an internal bug. */
    return SEC_E_INTERNAL_ERROR;
}

/* No default case either: a new ng_status must say which reason a server logs for it. */
ULONG ng_failure_reason(ng_status s)
{
    switch (s) {
    case NG_OK:
    case NG_CONTINUE:
        return NEGRING_REASON_NONE;
    case NG_ERR_INVALID_TOKEN:
        return NEGRING_REASON_MALFORMED;
    case NG_ERR_UNSUPPORTED_MECH:
        return NEGRING_REASON_NO_MECHANISM;
    case NG_ERR_REPLAY:
        return NEGRING_REASON_REPLAY;
    case NG_ERR_TIME_SKEW:
        return NEGRING_REASON_CLOCK_SKEW;
    case NG_ERR_CONTEXT_EXPIRED:
        return NEGRING_REASON_EXPIRED;
    case NG_ERR_BAD_PAC:
        return NEGRING_REASON_BAD_PAC;
    case NG_ERR_STALE_KEY:
        return NEGRING_REASON_STALE_KEY;
    case NG_ERR_WRONG_KEY:
        return NEGRING_REASON_WRONG_KEY;
    case NG_ERR_WRONG_PRINCIPAL:
        return NEGRING_REASON_WRONG_SERVICE;
    case NG_ERR_NO_AUTHORITY:
        return NEGRING_REASON_UNKNOWN_REALM;
    case NG_ERR_UNKNOWN_USER:
        return NEGRING_REASON_UNKNOWN_USER;
    case NG_ERR_WRONG_PASSWORD:
        return NEGRING_REASON_WRONG_PASSWORD;
    case NG_ERR_ACCOUNT_DISABLED:
        return NEGRING_REASON_ACCOUNT_DISABLED;
    case NG_ERR_BAD_BINDINGS:
        return NEGRING_REASON_BAD_BINDINGS;
    case NG_ERR_DOWNGRADE:
    case NG_ERR_MESSAGE_ALTERED:
        return NEGRING_REASON_TAMPERED;
    case NG_ERR_POLICY:
        return NEGRING_REASON_POLICY;
    case NG_ERR_NOMEM:
    case NG_ERR_FULL:
        return NEGRING_REASON_RESOURCES;
    case NG_ERR_LOGON_DENIED:
        return NEGRING_REASON_LOGON_DENIED;
    case NG_ERR_INTERNAL:
    case NG_ERR_INVALID_HANDLE:
    case NG_ERR_INVALID_PARAM:
    case NG_ERR_BUFFER_TOO_SMALL:
    case NG_ERR_NO_CREDENTIALS:
    case NG_ERR_UNKNOWN_CREDS:
    case NG_ERR_WRONG_CRED_HANDLE:
    case NG_ERR_TARGET_UNKNOWN:
    case NG_ERR_OUT_OF_SEQUENCE:
    case NG_ERR_UNSUPPORTED:
    case NG_ERR_PKG_NOT_FOUND:
    case NG_ERR_NOT_OWNER:
    case NG_ERR_NO_CONTEXT:
        return NEGRING_REASON_OTHER;
    }
    return NEGRING_REASON_OTHER;
}
