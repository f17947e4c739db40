/* The access token behind QuerySecurityContextToken and SECPKG_ATTR_ACCESS_TOKEN (the public
 * view is include/negring/access_token.h): who the client is on this machine. Built when asked
 * for: the principal is the context's client name; the context's mechanism finds the local
 * account (and SIDs where it has them) with ng_access_token_find_account. */
#ifndef NEGRING_CORE_ACCESS_TOKEN_H
#define NEGRING_CORE_ACCESS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"

struct ng_context;

struct ng_access_token {
    uint32_t magic;  /* NG_ACCESS_TOKEN_MAGIC while alive: catches foreign pointers */
    char *principal; /* owned */
    bool has_account;
    char *local_name; /* owned; NULL without an account */
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* owned */
    size_t n_groups;
    char **sids; /* owned, each string owned */
    size_t n_sids;
    /* From the PAC (Kerberos with an AD KDC); each owned, NULL when not known. */
    char *user_sid, *primary_group_sid;
    char *logon_name; /* "DOMAIN\\account", as Windows names the token's user */
    char *upn;
};

#define NG_ACCESS_TOKEN_MAGIC 0x4e47544bu /* "NGTK" */

/* A token for an established context (NG_ERR_NO_CONTEXT otherwise). A principal without a
 * local account still gets a token (has_account false). Caller frees with
 * ng_access_token_free. */
ng_status ng_access_token_create(const struct ng_context *ctx, struct ng_access_token **out);
void ng_access_token_free(struct ng_access_token *token);

/* The first of `names` NSS knows becomes the token's account (uid, gid, groups); none known is
 * no account, not an error. */
ng_status ng_access_token_find_account(struct ng_access_token *t, const char *const *names,
                                       size_t n);

#endif
