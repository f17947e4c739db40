/* SetCredentialsAttributes and its negring attributes: key reload for acceptor credentials
 * (SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS: a daemon calls it on SIGHUP, off its ring threads),
 * preparing a thread for accepts (SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD: a daemon calls it on
 * each worker at start, so no worker reads krb5.conf while it serves clients), and the Extended
 * Protection policy (SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS). */
#include <string.h>

#include "credentials.h"
#include "mechanisms.h"
#include "sspi_status.h"

/* Every mechanism re-reads its files (the keytab, the NTLM account file: docs/ntlm.md); one
 * whose file fails keeps what it had and its failure is the answer, the others still reload. */
static ng_status reload(struct ng_credentials *creds)
{
    if (!(creds->use & SECPKG_CRED_INBOUND))
        return NG_ERR_WRONG_CRED_HANDLE;
    ng_status first_failure = NG_OK;
    for (size_t i = 0; i < ng_mechanism_count(); i++) {
        ng_status status = ng_mechanism_at(i)->reload(creds);
        if (first_failure == NG_OK)
            first_failure = status;
    }
    return first_failure;
}

static ng_status prepare_thread(const struct ng_credentials *creds)
{
    for (size_t i = 0; i < ng_mechanism_count(); i++) {
        const struct ng_mech_ops *ops = ng_mechanism_at(i);
        if (ops->prepare_thread != NULL)
            NG_GUARD(ops->prepare_thread(creds));
    }
    return NG_OK;
}

static ng_status set_bindings_policy(struct ng_credentials *creds, const void *buf, ULONG len)
{
    ULONG policy;
    if (!(creds->use & SECPKG_CRED_INBOUND))
        return NG_ERR_WRONG_CRED_HANDLE;
    if (buf == NULL || len != sizeof(policy))
        return NG_ERR_INVALID_PARAM;
    memcpy(&policy, buf, sizeof(policy));
    if (policy != NEGRING_CHANNEL_BINDINGS_WHEN_SUPPLIED &&
        policy != NEGRING_CHANNEL_BINDINGS_REQUIRED)
        return NG_ERR_INVALID_PARAM;
    atomic_store(&creds->require_bindings, policy == NEGRING_CHANNEL_BINDINGS_REQUIRED);
    return NG_OK;
}

static SECURITY_STATUS set_credentials_attributes(PCredHandle cred, ULONG attribute,
                                                  const void *buf, ULONG len)
{
    if (attribute != SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS &&
        attribute != SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD &&
        attribute != SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS)
        return SEC_E_UNSUPPORTED_FUNCTION;
    struct ng_credentials *creds = NULL;
    ng_status status = ng_credentials_from_handle(cred, &creds);
    if (status == NG_OK) {
        if (attribute == SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS)
            status = reload(creds);
        else if (attribute == SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD)
            status = prepare_thread(creds);
        else
            status = set_bindings_policy(creds, buf, len);
        ng_credentials_unref(creds);
    }
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                    void *pBuffer, ULONG cbBuffer)
{
    return set_credentials_attributes(phCredential, ulAttribute, pBuffer, cbBuffer);
}

SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                    void *pBuffer, ULONG cbBuffer)
{
    return set_credentials_attributes(phCredential, ulAttribute, pBuffer, cbBuffer);
}
