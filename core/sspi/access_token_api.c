/* QuerySecurityContextToken and the negring_token_* accessors (include/negring/access_token.h)
 * over the access token of context/access_token.h, built when asked for. Status at the edge: a
 * bad handle or a context still negotiating, SEC_E_INVALID_HANDLE; NULL Token,
 * SEC_E_INVALID_PARAMETER; a context this process initiated, SEC_E_UNSUPPORTED_FUNCTION (the
 * token describes the authenticated peer, which only an acceptor has). Thread-safe. */
#include <negring/access_token.h>
#include <negring/sspi.h>

#include "access_token.h"
#include "security_context.h"
#include "sspi_status.h"

SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token)
{
    struct ng_context *ctx;
    if (ng_context_hold(phContext, &ctx) != NG_OK) /* bad, or a leg is changing it */
        return SEC_E_INVALID_HANDLE;
    ng_status status = NG_ERR_INVALID_PARAM;
    if (Token != NULL) {
        struct ng_access_token *t = NULL;
        status = ng_access_token_create(ctx, &t);
        *Token = status == NG_OK ? t : NULL;
    }
    ng_context_unhold(phContext, ctx);
    return ng_sec_status(status);
}

static const struct ng_access_token *token_of(const void *token)
{
    const struct ng_access_token *t = token;
    return t != NULL && t->magic == NG_ACCESS_TOKEN_MAGIC ? t : NULL;
}

const char *negring_token_principal(const void *token)
{
    const struct ng_access_token *t = token_of(token);
    return t != NULL ? t->principal : NULL;
}

int negring_token_account(const void *token, const char **name, uid_t *uid, gid_t *gid)
{
    const struct ng_access_token *t = token_of(token);
    if (t == NULL || !t->has_account)
        return -1;
    if (name != NULL)
        *name = t->local_name;
    if (uid != NULL)
        *uid = t->uid;
    if (gid != NULL)
        *gid = t->gid;
    return 0;
}

const char *negring_token_user_sid(const void *token)
{
    const struct ng_access_token *t = token_of(token);
    return t != NULL ? t->user_sid : NULL;
}

const char *negring_token_primary_group_sid(const void *token)
{
    const struct ng_access_token *t = token_of(token);
    return t != NULL ? t->primary_group_sid : NULL;
}

const char *negring_token_logon_name(const void *token)
{
    const struct ng_access_token *t = token_of(token);
    return t != NULL ? t->logon_name : NULL;
}

const char *negring_token_upn(const void *token)
{
    const struct ng_access_token *t = token_of(token);
    return t != NULL ? t->upn : NULL;
}

size_t negring_token_groups(const void *token, const gid_t **groups)
{
    const struct ng_access_token *t = token_of(token);
    if (t == NULL || groups == NULL)
        return 0;
    *groups = t->groups;
    return t->n_groups;
}

size_t negring_token_sids(const void *token, const char *const **sids)
{
    const struct ng_access_token *t = token_of(token);
    if (t == NULL || sids == NULL)
        return 0;
    *sids = (const char *const *)t->sids;
    return t->n_sids;
}

void negring_token_close(void *token)
{
    struct ng_access_token *t = token;
    if (t != NULL && t->magic == NG_ACCESS_TOKEN_MAGIC)
        ng_access_token_free(t);
}
