/* SetCredentialsAttributes and its negring attributes: key reload for acceptor credentials
 * (SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS: a daemon calls it on SIGHUP, off its ring threads), and
 * preparing a thread for accepts (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD: a daemon calls it on
 * each worker at start, so no worker reads krb5.conf while it serves clients). */
#include "alloc.h"
#include "credentials.h"
#include "keystore.h"
#include "krb5_cached_accept.h"
#include "krb5_thread.h"
#include "sspi_status.h"
#include "user_database.h"

/* The NTLM account database is re-read by the same call (docs/ntlm.md); a file that fails to
 * parse leaves the current snapshot in place. */
static ng_status reload_users(struct ng_credentials *creds)
{
    struct ng_user_db *fresh = NULL;
    NG_GUARD(ng_user_db_load(creds->user_db_path, &fresh, NULL));
    struct ng_user_db *old = atomic_exchange(&creds->users, fresh);
    if (old != NULL)
        ng_user_db_retire(&creds->retired_users, old);
    return NG_OK;
}

ng_status ng_credentials_reload_keys(struct ng_credentials *creds)
{
    if (!(creds->use & SECPKG_CRED_INBOUND))
        return NG_ERR_WRONG_CRED_HANDLE;
    if (creds->user_db_path != NULL) {
        NG_GUARD(reload_users(creds));
        if (atomic_load(&creds->keys) == NULL)
            return NG_OK; /* NTLM-only credentials: no keytab to re-read */
    }
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    struct ng_keystore *fresh = NULL;
    NG_GUARD(ng_keystore_load(kctx, creds->keytab_name, creds->acceptor_principal, &fresh));
    struct ng_keystore *old = atomic_exchange(&creds->keys, fresh);
    if (old != NULL)
        ng_keystore_retire(&creds->retired_keys, old);
    return NG_OK;
}

/* The per-thread krb5_context (krb5_thread.h) is made on a thread's first Kerberos call,
 * reading krb5.conf; this makes it now. Credentials without Kerberos need none. */
static ng_status prepare_thread(const struct ng_credentials *creds)
{
    if (atomic_load(&creds->keys) == NULL && creds->ccache_name == NULL)
        return NG_OK;
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    ng_krb5_cached_accept_prepare(kctx);
    return NG_OK;
}

static SECURITY_STATUS set_credentials_attributes(PCredHandle cred, ULONG attribute)
{
    if (attribute != SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS &&
        attribute != SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD)
        return SEC_E_UNSUPPORTED_FUNCTION;
    struct ng_credentials *creds = NULL;
    ng_status status = ng_credentials_from_handle(cred, &creds);
    if (status == NG_OK) {
        status = attribute == SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS
                     ? ng_credentials_reload_keys(creds)
                     : prepare_thread(creds);
        ng_credentials_unref(creds);
    }
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                    void *pBuffer, ULONG cbBuffer)
{
    return set_credentials_attributes(phCredential, ulAttribute);
}

SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                    void *pBuffer, ULONG cbBuffer)
{
    return set_credentials_attributes(phCredential, ulAttribute);
}
