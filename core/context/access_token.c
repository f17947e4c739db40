/* QuerySecurityContextToken and the negring_token_* accessors (include/negring/access_token.h).
 *
 * The token is built when asked for, from the context's client name: for Kerberos the local
 * account through krb5_aname_to_localname and NSS (getpwnam_r, getgrouplist — both
 * thread-safe), the PAC group SIDs from what the accept kept of the ticket's PAC
 * (pac_logon_info.c); for NTLM "DOMAIN\user" through NSS by the rule of map_ntlm_name (no PAC:
 * NTLM has none). Status at
 * the edge: a bad handle or a context still negotiating, SEC_E_INVALID_HANDLE; NULL Token,
 * SEC_E_INVALID_PARAMETER; a context this process initiated, SEC_E_UNSUPPORTED_FUNCTION (the
 * token describes the authenticated peer, which only an acceptor has). Thread-safe. */
#include "access_token.h"

#include <errno.h>
#include <grp.h>
#include <negring/access_token.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "krb5_thread.h"
#include "ntlm_state.h"
#include "pac_logon_info.h"
#include "sspi_status.h"

enum { LOCAL_NAME_MAX = 256, NSS_BUF_MAX = 1 << 20, GROUPS_MAX = 65536 };

/* krb5.conf's auth_to_local rules; no mapping is no account, not an error. */
static ng_status map_local_name(const char *principal, char **out)
{
    krb5_context kctx;
    krb5_principal p = NULL;
    char name[LOCAL_NAME_MAX];
    *out = NULL;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    if (krb5_parse_name(kctx, principal, &p) != 0)
        return NG_OK;
    krb5_error_code code = krb5_aname_to_localname(kctx, p, sizeof(name), name);
    krb5_free_principal(kctx, p);
    if (code != 0)
        return NG_OK;
    *out = ng_strdup(name);
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}

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

static ng_status fill_krb5_account(struct ng_access_token *t)
{
    NG_GUARD(map_local_name(t->principal, &t->local_name));
    if (t->local_name == NULL)
        return NG_OK;
    NG_GUARD(lookup_user(t->local_name, &t->uid, &t->gid, &t->has_account));
    return t->has_account ? lookup_groups(t) : NG_OK;
}

/* The first of `names` NSS knows becomes the account. */
static ng_status first_known(struct ng_access_token *t, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n && !t->has_account; i++) {
        NG_GUARD(lookup_user(names[i], &t->uid, &t->gid, &t->has_account));
        if (t->has_account && (t->local_name = ng_strdup(names[i])) == NULL)
            return NG_ERR_NOMEM;
    }
    return t->has_account ? lookup_groups(t) : NG_OK;
}

/* NTLM "DOMAIN\user" (the account file's spelling) to a local account, the first NSS knows of:
 *   1. "DOMAIN\user" whole — how winbind and SSSD name domain users;
 *   2. "user" — every NTLM account is one of the server's own account file, whose domains are
 *      this server's own (there is no domain controller and no trust): its user names are the
 *      local ones, as for a Windows machine's local accounts;
 *   3. "user" in ASCII lower case — NTLM names are case-insensitive, Linux ones are not.
 * An anonymous logon ("NT AUTHORITY\ANONYMOUS LOGON") has no account. */
static ng_status map_ntlm_name(struct ng_access_token *t, bool anonymous)
{
    const char *sep = strchr(t->principal, '\\');
    if (anonymous || sep == NULL || sep[1] == '\0')
        return NG_OK;
    char *lower = ng_strdup(sep + 1);
    if (lower == NULL)
        return NG_ERR_NOMEM;
    for (char *c = lower; *c != '\0'; c++)
        *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
    const char *names[] = {t->principal, sep + 1, lower};
    ng_status status = first_known(t, names, strcmp(lower, sep + 1) != 0 ? 3 : 2);
    ng_free(lower);
    return status;
}

static ng_status fill_account(const struct ng_context *ctx, struct ng_access_token *t)
{
    if (ctx->mech == NG_MECH_NTLM)
        return map_ntlm_name(t, ctx->ntlm == NULL || ctx->ntlm->anonymous);
    return fill_krb5_account(t);
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
    ng_status status = t->principal != NULL ? fill_account(ctx, t) : NG_ERR_NOMEM;
    if (status == NG_OK && ctx->pac != NULL)
        status = ng_pac_group_sids(ng_slice_of(ctx->pac, ctx->pac_len), &t->sids, &t->n_sids);
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
    ng_free(t->groups);
    ng_free(t->local_name);
    ng_free(t->principal);
    t->magic = 0;
    ng_free(t);
}

SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token)
{
    struct ng_context *ctx;
    if (phContext == NULL || ng_context_acquire(phContext, &ctx) != NG_OK)
        return SEC_E_INVALID_HANDLE;
    ng_status status = NG_ERR_INVALID_PARAM;
    if (Token != NULL && !ng_context_enter_shared(ctx))
        status = NG_ERR_INVALID_HANDLE; /* a leg is changing the context */
    else if (Token != NULL) {
        struct ng_access_token *t = NULL;
        status = ng_access_token_create(ctx, &t);
        ng_context_leave_shared(ctx);
        *Token = status == NG_OK ? t : NULL;
    }
    ng_context_release(phContext);
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
