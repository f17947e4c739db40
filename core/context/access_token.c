/* The access token (access_token.h): the generic part. A mechanism's fill_access_token finds the
 * account through ng_access_token_find_account; NSS lookups (getpwnam_r, getgrouplist) are
 * thread-safe. */
#include "access_token.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "alloc.h"
#include "security_context.h"

enum { NSS_BUF_MAX = 1 << 20, GROUPS_MAX = 65536 };

/* getpwnam_r with a buffer grown until the entry fits. */
static ng_status lookup_user(const char *name, uid_t *uid, gid_t *gid, bool *found)
{
    struct passwd pw, *res = NULL;
    size_t len = 1024;
    int err = ERANGE;
    *found = false;
    while (err == ERANGE && len <= NSS_BUF_MAX) {
        char *buf = ng_alloc(len);
        if (buf == NULL)
            return NG_ERR_NOMEM;
        err = getpwnam_r(name, &pw, buf, len, &res);
        if (err == 0 && res != NULL) {
            *uid = pw.pw_uid;
            *gid = pw.pw_gid;
            *found = true;
        }
        ng_free(buf);
        len *= 2;
    }
    return NG_OK;
}

static ng_status lookup_groups(struct ng_access_token *t)
{
    int n = 32;
    for (;;) {
        gid_t *groups = ng_alloc((size_t)n * sizeof(gid_t));
        if (groups == NULL)
            return NG_ERR_NOMEM;
        int want = n;
        if (getgrouplist(t->local_name, t->gid, groups, &want) >= 0) {
            t->groups = groups;
            t->n_groups = (size_t)want;
            return NG_OK;
        }
        ng_free(groups);
        if (want <= n || want > GROUPS_MAX)
            return NG_ERR_INTERNAL;
        n = want;
    }
}

ng_status ng_access_token_find_account(struct ng_access_token *t, const char *const *names,
                                       size_t n)
{
    for (size_t i = 0; i < n && !t->has_account; i++) {
        NG_GUARD(lookup_user(names[i], &t->uid, &t->gid, &t->has_account));
        if (t->has_account && (t->local_name = ng_strdup(names[i])) == NULL)
            return NG_ERR_NOMEM;
    }
    return t->has_account ? lookup_groups(t) : NG_OK;
}

ng_status ng_access_token_create(const struct ng_context *ctx, struct ng_access_token **out)
{
    if (ctx->state != NG_CTX_COMPLETE || ctx->client_name == NULL)
        return NG_ERR_NO_CONTEXT;
    if (ctx->role != NG_ROLE_ACCEPTOR)
        return NG_ERR_UNSUPPORTED;
    struct ng_access_token *t = ng_alloc(sizeof(*t));
    if (t == NULL)
        return NG_ERR_NOMEM;
    t->magic = NG_ACCESS_TOKEN_MAGIC;
    t->principal = ng_strdup(ctx->client_name);
    ng_status status = t->principal != NULL ? ctx->ops->fill_access_token(ctx, t) : NG_ERR_NOMEM;
    if (status != NG_OK) {
        ng_access_token_free(t);
        return status;
    }
    *out = t;
    return NG_OK;
}

void ng_access_token_free(struct ng_access_token *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_sids; i++)
        ng_free(t->sids[i]);
    ng_free(t->sids);
    ng_free(t->user_sid);
    ng_free(t->primary_group_sid);
    ng_free(t->logon_name);
    ng_free(t->upn);
    ng_free(t->groups);
    ng_free(t->local_name);
    ng_free(t->principal);
    t->magic = 0;
    ng_free(t);
}
