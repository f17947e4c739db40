/* The one internal error type. Every core function returns an ng_status; the SSPI edge
 * (sspi_status.c) maps it to a Windows SECURITY_STATUS. Propagate with NG_GUARD (return at
 * once) or NG_GUARD_CLEANUP (set `status` and jump to the function's single `cleanup:`). */
#ifndef NEGRING_CORE_STATUS_H
#define NEGRING_CORE_STATUS_H

typedef enum ng_status {
    NG_OK = 0,
    NG_CONTINUE,              /* another leg is needed: SEC_I_CONTINUE_NEEDED */
    NG_ERR_NOMEM,             /* SEC_E_INSUFFICIENT_MEMORY */
    NG_ERR_INTERNAL,          /* SEC_E_INTERNAL_ERROR */
    NG_ERR_INVALID_HANDLE,    /* SEC_E_INVALID_HANDLE */
    NG_ERR_INVALID_PARAM,     /* SEC_E_INVALID_PARAMETER */
    NG_ERR_INVALID_TOKEN,     /* malformed bytes from the peer: SEC_E_INVALID_TOKEN */
    NG_ERR_BUFFER_TOO_SMALL,  /* SEC_E_BUFFER_TOO_SMALL */
    NG_ERR_LOGON_DENIED,      /* SEC_E_LOGON_DENIED */
    NG_ERR_NO_AUTHORITY,      /* SEC_E_NO_AUTHENTICATING_AUTHORITY */
    NG_ERR_NO_CREDENTIALS,    /* SEC_E_NO_CREDENTIALS */
    NG_ERR_UNKNOWN_CREDS,     /* SEC_E_UNKNOWN_CREDENTIALS */
    NG_ERR_WRONG_CRED_HANDLE, /* SEC_E_WRONG_CREDENTIAL_HANDLE */
    NG_ERR_TARGET_UNKNOWN,    /* SEC_E_TARGET_UNKNOWN */
    NG_ERR_WRONG_PRINCIPAL,   /* SEC_E_WRONG_PRINCIPAL */
    NG_ERR_TIME_SKEW,         /* SEC_E_TIME_SKEW */
    NG_ERR_CONTEXT_EXPIRED,   /* SEC_E_CONTEXT_EXPIRED */
    NG_ERR_BAD_BINDINGS,      /* SEC_E_BAD_BINDINGS */
    NG_ERR_REPLAY,            /* a replayed authenticator: SEC_E_LOGON_DENIED at the edge */
    NG_ERR_OUT_OF_SEQUENCE,   /* SEC_E_OUT_OF_SEQUENCE */
    NG_ERR_MESSAGE_ALTERED,   /* SEC_E_MESSAGE_ALTERED */
    NG_ERR_UNSUPPORTED,       /* SEC_E_UNSUPPORTED_FUNCTION */
    NG_ERR_PKG_NOT_FOUND,     /* SEC_E_SECPKG_NOT_FOUND */
    NG_ERR_NOT_OWNER,         /* SEC_E_NOT_OWNER */
    NG_ERR_NO_CONTEXT, /* wrong call order, e.g. accept after completion: SEC_E_INVALID_HANDLE */
    NG_ERR_FULL,       /* a bounded table is full: SEC_E_INSUFFICIENT_MEMORY */
    NG_ERR_UNSUPPORTED_MECH, /* no mechanism in common: SEC_E_INVALID_TOKEN + reject */
    NG_ERR_DOWNGRADE,        /* mechListMIC mismatch: SEC_E_MESSAGE_ALTERED */
    /* Refusals told apart for the server's diagnostics (SECBUFFER_NEGRING_FAILURE); each is
     * SEC_E_LOGON_DENIED at the edge, so the client learns no more than Windows tells it. */
    NG_ERR_STALE_KEY,        /* no service key of the ticket's kvno or enctype is held */
    NG_ERR_WRONG_KEY,        /* the service key of that kvno and enctype does not open it */
    NG_ERR_BAD_PAC,          /* the ticket's PAC does not verify or cannot be read */
    NG_ERR_UNKNOWN_USER,     /* no such account */
    NG_ERR_WRONG_PASSWORD,   /* the account's key does not verify the client's proof */
    NG_ERR_ACCOUNT_DISABLED, /* the account exists, the proof verified, but it is disabled */
    NG_ERR_POLICY,           /* refused by configuration: NTLMv1/LM, anonymous, package list */
} ng_status;

const char *ng_status_name(ng_status status);

#define NG_GUARD(expr)                                                                             \
    do {                                                                                           \
        ng_status ng_guard_status_ = (expr);                                                       \
        if (ng_guard_status_ != NG_OK)                                                             \
            return ng_guard_status_;                                                               \
    } while (0)

/* Requires a local `ng_status status` and a `cleanup:` label. */
#define NG_GUARD_CLEANUP(expr)                                                                     \
    do {                                                                                           \
        status = (expr);                                                                           \
        if (status != NG_OK)                                                                       \
            goto cleanup;                                                                          \
    } while (0)

#define NG_FAIL_CLEANUP(code)                                                                      \
    do {                                                                                           \
        status = (code);                                                                           \
        goto cleanup;                                                                              \
    } while (0)

#endif
