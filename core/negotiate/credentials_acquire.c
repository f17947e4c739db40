/* Which mechanisms' parts a new credential gets (credentials_acquire.h). */
#include "credentials_acquire.h"

#include "alloc.h"
#include "mechanisms.h"
#include "package_list.h"

/* The mechanisms the credential's package brings: its own, or for Negotiate those its package
 * list allows. */
static bool brought(const struct ng_credentials *creds, const struct ng_mech_ops *ops)
{
    if (creds->package != NG_PKG_NEGOTIATE)
        return ops->package == creds->package;
    return (creds->mechs & ng_mechset_of(ops->package)) != 0;
}

/* A mechanism's failure that tells the caller their credentials are wrong (a password the KDC
 * refused, an account file that does not parse) or that nothing can be trusted to work (no
 * memory), as opposed to one that only says the mechanism cannot serve here (nothing configured
 * for it, a name it cannot read, no KDC reachable): the latter gives way when another mechanism
 * is ready. */
static bool final(ng_status status)
{
    return status == NG_ERR_LOGON_DENIED || status == NG_ERR_INVALID_PARAM ||
           status == NG_ERR_NOMEM;
}

/* Every brought mechanism's part; NG_OK when at least one is ready and none failed for good,
 * else the first failure (in the order of preference). */
static ng_status acquire_each(struct ng_credentials *creds,
                              ng_status (*one)(struct ng_credentials *, const struct ng_mech_ops *,
                                               const struct ng_acquire_input *),
                              const struct ng_acquire_input *in)
{
    ng_status first_failure = NG_OK;
    bool ready = false;
    for (size_t i = 0; i < ng_mechanism_count(); i++) {
        const struct ng_mech_ops *ops = ng_mechanism_at(i);
        if (!brought(creds, ops))
            continue;
        ng_status status = one(creds, ops, in);
        if (status != NG_OK && final(status))
            return status;
        ready = ready || status == NG_OK;
        if (status != NG_OK && first_failure == NG_OK)
            first_failure = status;
    }
    if (ready)
        return NG_OK;
    return first_failure != NG_OK ? first_failure : NG_ERR_NO_CREDENTIALS;
}

static ng_status inbound(struct ng_credentials *creds, const struct ng_mech_ops *ops,
                         const struct ng_acquire_input *in)
{
    return ops->acquire_inbound(creds, in->settings);
}

/* The credential is named after the best mechanism ready: its name and its expiry. */
static ng_status outbound(struct ng_credentials *creds, const struct ng_mech_ops *ops,
                          const struct ng_acquire_input *in)
{
    char *name = NULL;
    int64_t expiry = INT64_MAX;
    NG_GUARD(ops->acquire_outbound(creds, in->identity, &name, &expiry));
    if (creds->principal_name != NULL) {
        ng_free(name);
        return NG_OK;
    }
    creds->principal_name = name;
    creds->expiry = expiry;
    return NG_OK;
}

ng_status ng_credentials_acquire(struct ng_credentials *creds, const struct ng_acquire_input *in)
{
    if (creds->use & SECPKG_CRED_INBOUND)
        NG_GUARD(acquire_each(creds, inbound, in));
    if (creds->use & SECPKG_CRED_OUTBOUND)
        NG_GUARD(acquire_each(creds, outbound, in));
    return NG_OK;
}
