#include "krb5_thread.h"

#include <errno.h>
#include <pthread.h>

static pthread_key_t context_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local krb5_context thread_context;

static void free_thread_context(void *ctx)
{
    krb5_free_context(ctx);
}

static void create_key(void)
{
    (void)pthread_key_create(&context_key, free_thread_context);
}

ng_status ng_krb5_thread_context(krb5_context *out)
{
    if (thread_context == NULL) {
        pthread_once(&key_once, create_key);
        krb5_context ctx = NULL;
        if (krb5_init_context(&ctx) != 0)
            return NG_ERR_INTERNAL;
        if (pthread_setspecific(context_key, ctx) != 0) {
            krb5_free_context(ctx);
            return NG_ERR_INTERNAL;
        }
        thread_context = ctx;
    }
    *out = thread_context;
    return NG_OK;
}

ng_status ng_krb5_status(krb5_error_code code)
{
    switch (code) {
    case 0:
        return NG_OK;
    case ENOMEM:
        return NG_ERR_NOMEM;
    case KRB5KRB_AP_ERR_SKEW:
        return NG_ERR_TIME_SKEW;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
    case KRB5KRB_AP_ERR_TKT_NYV:
        return NG_ERR_CONTEXT_EXPIRED;
    case KRB5KRB_AP_ERR_REPEAT:
        return NG_ERR_REPLAY;
    case KRB5KRB_AP_ERR_NOT_US:
    case KRB5KRB_AP_WRONG_PRINC:
        return NG_ERR_WRONG_PRINCIPAL;
    case KRB5KRB_AP_ERR_BADKEYVER:
    case KRB5KRB_AP_ERR_NOKEY:
    case KRB5_KT_NOTFOUND:
    case KRB5_KT_KVNONOTFOUND:
        return NG_ERR_STALE_KEY;
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
    case KRB5KRB_AP_ERR_MODIFIED:
    case KRB5KRB_AP_ERR_BADMATCH:
    case KRB5KRB_AP_ERR_TKT_INVALID:
        return NG_ERR_LOGON_DENIED;
    case KRB5_PROG_ETYPE_NOSUPP:
    case KRB5KDC_ERR_ETYPE_NOSUPP:
        return NG_ERR_LOGON_DENIED;
    case KRB5KRB_AP_ERR_BADVERSION:
    case KRB5KRB_AP_ERR_MSG_TYPE:
    case KRB5KRB_AP_ERR_BADDIRECTION:
    case KRB5KRB_AP_ERR_BADORDER:
    case KRB5KRB_AP_ERR_INAPP_CKSUM:
    case KRB5_BADMSGTYPE:
    case ASN1_BAD_ID:
    case ASN1_BAD_LENGTH:
    case ASN1_BAD_FORMAT:
    case ASN1_PARSE_ERROR:
    case ASN1_OVERRUN:
    case ASN1_MISSING_FIELD:
    case ASN1_BAD_TIMEFORMAT:
    case ASN1_MISPLACED_FIELD:
    case ASN1_TYPE_MISMATCH:
    case ASN1_BAD_GMTIME:
    case ASN1_MISSING_EOC:
        return NG_ERR_INVALID_TOKEN;
    case KRB5_REALM_UNKNOWN:
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_CANT_RESOLVE:
        return NG_ERR_NO_AUTHORITY;
    case KRB5_FCC_NOFILE:
    case KRB5_CC_NOTFOUND:
    case KRB5_CC_NOSUPP:
        return NG_ERR_NO_CREDENTIALS;
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
        return NG_ERR_TARGET_UNKNOWN;
    default:
        return NG_ERR_LOGON_DENIED;
    }
}
