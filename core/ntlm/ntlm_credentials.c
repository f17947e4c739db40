#define _GNU_SOURCE /* secure_getenv */
#include "ntlm_credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "ntlm_av_pairs.h"
#include "ntlm_crypto.h"

static void identity_free(struct ng_ntlm_identity *id)
{
    if (id == NULL)
        return;
    ng_free(id->user);
    ng_free(id->domain);
    ng_free_secret(id, sizeof(*id));
}

static void part_free(void *state)
{
    struct ng_ntlm_credentials *nc = state;
    ng_user_db_free(atomic_load(&nc->users));
    ng_user_db_free_chain(atomic_load(&nc->retired_users));
    ng_free(nc->user_db_path);
    ng_free(nc->domain);
    ng_free(nc->computer);
    ng_free(nc->dns_domain);
    ng_free(nc->dns_computer);
    ng_free(nc->host_av_pairs);
    identity_free(nc->identity);
    ng_free(nc);
}

struct ng_ntlm_credentials *ng_ntlm_credentials_of(const struct ng_credentials *creds)
{
    return ng_credentials_part(creds, NG_PKG_NTLM);
}

/* Inbound and outbound share one part (SECPKG_CRED_BOTH). */
static ng_status part_of(struct ng_credentials *creds, struct ng_ntlm_credentials **out)
{
    *out = ng_ntlm_credentials_of(creds);
    if (*out != NULL)
        return NG_OK;
    if ((*out = ng_alloc(sizeof(**out))) == NULL)
        return NG_ERR_NOMEM;
    ng_credentials_set_part(creds, NG_PKG_NTLM, *out, part_free);
    return NG_OK;
}

const struct ng_user_db *ng_ntlm_accounts(const struct ng_credentials *creds)
{
    const struct ng_ntlm_credentials *nc = ng_ntlm_credentials_of(creds);
    return nc != NULL ? atomic_load(&nc->users) : NULL;
}

bool ng_ntlm_can_accept(const struct ng_credentials *creds)
{
    return ng_ntlm_accounts(creds) != NULL;
}

bool ng_ntlm_can_initiate(const struct ng_credentials *creds)
{
    const struct ng_ntlm_credentials *nc = ng_ntlm_credentials_of(creds);
    return nc != NULL && nc->identity != NULL;
}

static ng_status dup_optional(const char *s, char **out)
{
    if (s == NULL)
        return NG_OK;
    *out = ng_strdup(s);
    return *out ? NG_OK : NG_ERR_NOMEM;
}

/* The host name: full for DNS, first label uppercased (at most 15 characters) for NetBIOS. */
static ng_status host_names(struct ng_ntlm_credentials *nc)
{
    char host[256] = "localhost";
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "localhost");
    if (nc->dns_computer == NULL)
        NG_GUARD(dup_optional(host, &nc->dns_computer));
    if (nc->computer != NULL)
        return NG_OK;
    host[strcspn(host, ".")] = '\0';
    host[15] = '\0';
    for (char *p = host; *p != '\0'; p++)
        *p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
    return dup_optional(host, &nc->computer);
}

static ng_status format_host_av_pairs(struct ng_ntlm_credentials *nc)
{
    struct ng_writer w = ng_writer_growable();
    ng_status status = ng_av_pair_write_name(&w, NG_AV_NB_COMPUTER_NAME, nc->computer);
    if (status == NG_OK)
        status = ng_av_pair_write_name(&w, NG_AV_DNS_DOMAIN_NAME, nc->dns_domain);
    if (status == NG_OK)
        status = ng_av_pair_write_name(&w, NG_AV_DNS_COMPUTER_NAME, nc->dns_computer);
    if (status == NG_OK)
        status = ng_writer_status(&w);
    if (status == NG_OK)
        nc->host_av_pairs = ng_writer_take(&w, &nc->host_av_pairs_len);
    ng_writer_free(&w);
    return status;
}

ng_status ng_ntlm_acquire_inbound(struct ng_credentials *creds,
                                  const NEGRING_ACCEPTOR_AUTH_DATA *settings)
{
    /* Versions 2 and 3 begin with Version 1's fields, so the caller's pointer is any. */
    const NEGRING_ACCEPTOR_AUTH_DATA2 *v2 =
        settings != NULL && settings->Version != NEGRING_ACCEPTOR_AUTH_DATA_VERSION
            ? (const NEGRING_ACCEPTOR_AUTH_DATA2 *)(const void *)settings
            : NULL;
    const char *path = v2 && v2->UserDatabase ? v2->UserDatabase : secure_getenv("NEGRING_USER_DB");
    struct ng_ntlm_credentials *nc;
    NG_GUARD(part_of(creds, &nc));
    if (v2 != NULL) {
        NG_GUARD(dup_optional(v2->NtlmDomain, &nc->domain));
        NG_GUARD(dup_optional(v2->NtlmComputer, &nc->computer));
        NG_GUARD(dup_optional(v2->DnsDomain, &nc->dns_domain));
        NG_GUARD(dup_optional(v2->DnsComputer, &nc->dns_computer));
        nc->options = v2->NtlmOptions;
        ULONG both = NEGRING_NTLM_TARGET_NAME_OFF | NEGRING_NTLM_TARGET_NAME_REQUIRED;
        if ((nc->options & both) == both)
            return NG_ERR_INVALID_PARAM;
    }
    NG_GUARD(host_names(nc));
    NG_GUARD(format_host_av_pairs(nc));
    if (path == NULL || path[0] == '\0')
        return NG_ERR_NO_CREDENTIALS;
    NG_GUARD(dup_optional(path, &nc->user_db_path));
    struct ng_user_db *db = NULL;
    NG_GUARD(ng_user_db_load(path, &db, NULL));
    atomic_store(&nc->users, db);
    return NG_OK;
}

static ng_status principal_name(const struct ng_ntlm_identity *id, char **out)
{
    size_t len = strlen(id->user) + strlen(id->domain) + 2;
    if ((*out = ng_alloc(len)) == NULL)
        return NG_ERR_NOMEM;
    if (id->domain[0] == '\0')
        snprintf(*out, len, "%s", id->user);
    else
        snprintf(*out, len, "%s\\%s", id->domain, id->user);
    return NG_OK;
}

ng_status ng_ntlm_acquire_outbound(struct ng_credentials *creds, const struct ng_identity *id,
                                   char **name, int64_t *expiry)
{
    if (id == NULL)
        return NG_ERR_NO_CREDENTIALS; /* no logon session to take a password from */
    struct ng_ntlm_credentials *nc;
    NG_GUARD(part_of(creds, &nc));
    struct ng_ntlm_identity *ni = ng_alloc(sizeof(*ni));
    if (ni == NULL)
        return NG_ERR_NOMEM;
    ng_status status = ng_nt_hash(id->password, strlen(id->password), ni->nt_hash);
    if (status == NG_ERR_INVALID_PARAM)
        status = NG_ERR_UNKNOWN_CREDS;
    if (status == NG_OK &&
        ((ni->user = ng_strdup(id->user)) == NULL || (ni->domain = ng_strdup(id->domain)) == NULL))
        status = NG_ERR_NOMEM;
    if (status == NG_OK)
        status = principal_name(ni, name);
    if (status != NG_OK) {
        identity_free(ni);
        return status;
    }
    nc->identity = ni;
    *expiry = INT64_MAX; /* a password does not expire by itself */
    return NG_OK;
}

ng_status ng_ntlm_reload(struct ng_credentials *creds)
{
    struct ng_ntlm_credentials *nc = ng_ntlm_credentials_of(creds);
    if (nc == NULL || nc->user_db_path == NULL)
        return NG_OK; /* no account file to re-read */
    struct ng_user_db *fresh = NULL;
    NG_GUARD(ng_user_db_load(nc->user_db_path, &fresh, NULL));
    struct ng_user_db *old = atomic_exchange(&nc->users, fresh);
    if (old != NULL)
        ng_user_db_retire(&nc->retired_users, old);
    return NG_OK;
}
