#include "status.h"

const char *ng_status_name(ng_status status)
{
    switch (status) {
    case NG_OK:
        return "ok";
    case NG_CONTINUE:
        return "continue";
    case NG_ERR_NOMEM:
        return "out of memory";
    case NG_ERR_INTERNAL:
        return "internal error";
    case NG_ERR_INVALID_HANDLE:
        return "invalid handle";
    case NG_ERR_INVALID_PARAM:
        return "invalid parameter";
    case NG_ERR_INVALID_TOKEN:
        return "invalid token";
    case NG_ERR_BUFFER_TOO_SMALL:
        return "buffer too small";
    case NG_ERR_LOGON_DENIED:
        return "logon denied";
    case NG_ERR_NO_AUTHORITY:
        return "no authenticating authority";
    case NG_ERR_NO_CREDENTIALS:
        return "no credentials";
    case NG_ERR_UNKNOWN_CREDS:
        return "unknown credentials";
    case NG_ERR_WRONG_CRED_HANDLE:
        return "wrong credential handle";
    case NG_ERR_TARGET_UNKNOWN:
        return "target unknown";
    case NG_ERR_WRONG_PRINCIPAL:
        return "wrong principal";
    case NG_ERR_TIME_SKEW:
        return "clock skew too great";
    case NG_ERR_CONTEXT_EXPIRED:
        return "context expired";
    case NG_ERR_BAD_BINDINGS:
        return "channel bindings mismatch";
    case NG_ERR_REPLAY:
        return "replay";
    case NG_ERR_OUT_OF_SEQUENCE:
        return "out of sequence";
    case NG_ERR_MESSAGE_ALTERED:
        return "message altered";
    case NG_ERR_UNSUPPORTED:
        return "unsupported";
    case NG_ERR_PKG_NOT_FOUND:
        return "package not found";
    case NG_ERR_NOT_OWNER:
        return "not owner";
    case NG_ERR_NO_CONTEXT:
        return "no context in progress";
    case NG_ERR_FULL:
        return "table full";
    case NG_ERR_UNSUPPORTED_MECH:
        return "no common mechanism";
    case NG_ERR_DOWNGRADE:
        return "mechListMIC mismatch";
    case NG_ERR_STALE_KEY:
        return "no key of the ticket's version or type";
    case NG_ERR_WRONG_KEY:
        return "wrong service key";
    case NG_ERR_BAD_PAC:
        return "PAC does not verify";
    case NG_ERR_UNKNOWN_USER:
        return "unknown user";
    case NG_ERR_WRONG_PASSWORD:
        return "wrong password";
    case NG_ERR_ACCOUNT_DISABLED:
        return "account disabled";
    case NG_ERR_POLICY:
        return "refused by policy";
    }
    return "unknown status";
}
