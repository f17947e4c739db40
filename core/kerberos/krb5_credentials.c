#include "krb5_credentials.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "krb5_accept_checks.h"
#include "krb5_cached_accept.h"
#include "krb5_session.h"
#include "krb5_thread.h"
#include "ticket_cache.h"

static void destroy_memory_ccache(const char *name)
{
    krb5_context kctx;
    krb5_ccache cc;
    if (ng_krb5_thread_context(&kctx) == NG_OK && krb5_cc_resolve(kctx, name, &cc) == 0)
        krb5_cc_destroy(kctx, cc);
}

static void part_free(void *state)
{
    struct ng_krb5_credentials *kc = state;
    ng_keystore_free(atomic_load(&kc->keys));
    ng_keystore_free_chain(atomic_load(&kc->retired_keys));
    ng_free(kc->keytab_name);
    if (kc->owns_ccache)
        destroy_memory_ccache(kc->ccache_name);
    ng_free(kc->ccache_name);
    ng_free(kc);
}

struct ng_krb5_credentials *ng_krb5_credentials_of(const struct ng_credentials *creds)
{
    return ng_credentials_part(creds, NG_PKG_KERBEROS);
}

/* Inbound and outbound share one part (SECPKG_CRED_BOTH). */
static ng_status part_of(struct ng_credentials *creds, struct ng_krb5_credentials **out)
{
    *out = ng_krb5_credentials_of(creds);
    if (*out != NULL)
        return NG_OK;
    if ((*out = ng_alloc(sizeof(**out))) == NULL)
        return NG_ERR_NOMEM;
    ng_credentials_set_part(creds, NG_PKG_KERBEROS, *out, part_free);
    return NG_OK;
}

const struct ng_keystore *ng_krb5_acceptor_keys(const struct ng_credentials *creds)
{
    const struct ng_krb5_credentials *kc = ng_krb5_credentials_of(creds);
    return kc != NULL ? atomic_load(&kc->keys) : NULL;
}

bool ng_krb5_can_accept(const struct ng_credentials *creds)
{
    return ng_krb5_acceptor_keys(creds) != NULL;
}

bool ng_krb5_can_initiate(const struct ng_credentials *creds)
{
    const struct ng_krb5_credentials *kc = ng_krb5_credentials_of(creds);
    return kc != NULL && kc->ccache_name != NULL;
}

ng_status ng_krb5_acquire_inbound(struct ng_credentials *creds,
                                  const NEGRING_ACCEPTOR_AUTH_DATA *settings)
{
    const char *keytab = settings ? settings->Keytab : NULL;
    krb5_context kctx;
    struct ng_keystore *keys = NULL;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(ng_keystore_load(kctx, keytab, creds->acceptor_principal, &keys));
    struct ng_krb5_credentials *kc;
    ng_status status = part_of(creds, &kc);
    if (status == NG_OK && keytab != NULL && (kc->keytab_name = ng_strdup(keytab)) == NULL)
        status = NG_ERR_NOMEM;
    if (status != NG_OK) {
        ng_keystore_free(keys);
        return status;
    }
    atomic_store(&kc->keys, keys);
    return NG_OK;
}

/* "user@REALM" from an identity: the user alone when it names its realm or has no domain. */
static ng_status principal_of(const struct ng_identity *id, char **out)
{
    size_t len = strlen(id->user) + strlen(id->domain) + 2;
    if ((*out = ng_alloc(len)) == NULL)
        return NG_ERR_NOMEM;
    if (strchr(id->user, '@') != NULL || id->domain[0] == '\0')
        snprintf(*out, len, "%s", id->user);
    else
        snprintf(*out, len, "%s@%s", id->user, id->domain);
    return NG_OK;
}

/* Gets a TGT for `principal` into a MEMORY ccache owned by the credentials. */
static ng_status obtain_tgt(krb5_context kctx, struct ng_krb5_credentials *kc,
                            const char *principal, const char *password, int64_t *expiry)
{
    ng_status status = NG_OK;
    krb5_principal client = NULL;
    krb5_ccache cc = NULL;
    krb5_creds tgt = {0};
    char name[64];
    snprintf(name, sizeof(name), "MEMORY:negring-%p", (void *)kc);
    if ((kc->ccache_name = ng_strdup(name)) == NULL)
        return NG_ERR_NOMEM;
    if (krb5_parse_name(kctx, principal, &client) != 0)
        return NG_ERR_UNKNOWN_CREDS;
    krb5_error_code code =
        krb5_get_init_creds_password(kctx, &tgt, client, password, NULL, NULL, 0, NULL, NULL);
    if (code == KRB5KDC_ERR_PREAUTH_FAILED || code == KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN ||
        code == KRB5KRB_AP_ERR_BAD_INTEGRITY)
        NG_FAIL_CLEANUP(NG_ERR_LOGON_DENIED);
    NG_GUARD_CLEANUP(ng_krb5_status(code));
    code = krb5_cc_resolve(kctx, kc->ccache_name, &cc);
    if (code == 0)
        code = krb5_cc_initialize(kctx, cc, client);
    if (code == 0)
        code = krb5_cc_store_cred(kctx, cc, &tgt);
    NG_GUARD_CLEANUP(ng_krb5_status(code));
    kc->owns_ccache = true;
    *expiry = tgt.times.endtime;
cleanup:
    if (cc != NULL)
        krb5_cc_close(kctx, cc);
    krb5_free_cred_contents(kctx, &tgt);
    krb5_free_principal(kctx, client);
    return status;
}

/* The latest end time of the tickets in a ccache: what the credentials are good until. */
static int64_t ccache_expiry(krb5_context kctx, krb5_ccache cc)
{
    krb5_cc_cursor cursor;
    krb5_creds c;
    int64_t latest = 0;
    if (krb5_cc_start_seq_get(kctx, cc, &cursor) != 0)
        return 0;
    while (krb5_cc_next_cred(kctx, cc, &cursor, &c) == 0) {
        if (c.times.endtime > latest)
            latest = c.times.endtime;
        krb5_free_cred_contents(kctx, &c);
    }
    krb5_cc_end_seq_get(kctx, cc, &cursor);
    return latest;
}

/* The default ccache must hold a principal and a TGT lifetime we can report. */
static ng_status use_default_ccache(krb5_context kctx, struct ng_krb5_credentials *kc, char **name,
                                    int64_t *expiry)
{
    krb5_ccache cc = NULL;
    krb5_principal client = NULL;
    if (krb5_cc_default(kctx, &cc) != 0)
        return NG_ERR_NO_CREDENTIALS;
    krb5_error_code code = krb5_cc_get_principal(kctx, cc, &client);
    ng_status status = code == 0 ? ng_krb5_unparse(kctx, client, name) : NG_ERR_NO_CREDENTIALS;
    if (status == NG_OK) {
        const char *full = krb5_cc_get_name(kctx, cc);
        const char *type = krb5_cc_get_type(kctx, cc);
        size_t len = strlen(type) + strlen(full) + 2;
        kc->ccache_name = ng_alloc(len);
        if (kc->ccache_name == NULL)
            status = NG_ERR_NOMEM;
        else
            snprintf(kc->ccache_name, len, "%s:%s", type, full);
        *expiry = ccache_expiry(kctx, cc);
    }
    krb5_free_principal(kctx, client);
    krb5_cc_close(kctx, cc);
    return status;
}

ng_status ng_krb5_acquire_outbound(struct ng_credentials *creds, const struct ng_identity *id,
                                   char **name, int64_t *expiry)
{
    krb5_context kctx;
    struct ng_krb5_credentials *kc;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    NG_GUARD(part_of(creds, &kc));
    if (id == NULL)
        return use_default_ccache(kctx, kc, name, expiry);
    NG_GUARD(principal_of(id, name));
    ng_status status = obtain_tgt(kctx, kc, *name, id->password, expiry);
    if (status != NG_OK) {
        ng_free(kc->ccache_name); /* no ticket to initiate with */
        kc->ccache_name = NULL;
        ng_free(*name);
        *name = NULL;
    }
    return status;
}

ng_status ng_krb5_reload(struct ng_credentials *creds)
{
    struct ng_krb5_credentials *kc = ng_krb5_credentials_of(creds);
    if (kc == NULL || atomic_load(&kc->keys) == NULL)
        return NG_OK; /* no keytab to re-read */
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    struct ng_keystore *fresh = NULL;
    NG_GUARD(ng_keystore_load(kctx, kc->keytab_name, creds->acceptor_principal, &fresh));
    struct ng_keystore *old = atomic_exchange(&kc->keys, fresh);
    if (old != NULL)
        ng_keystore_retire(&kc->retired_keys, old);
    return NG_OK;
}

ng_status ng_krb5_prepare_thread(const struct ng_credentials *creds)
{
    if (!ng_krb5_can_accept(creds) && !ng_krb5_can_initiate(creds))
        return NG_OK;
    krb5_context kctx;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    ng_krb5_cached_accept_prepare(kctx);
    const struct ng_keystore *keys = ng_krb5_acceptor_keys(creds);
    if (keys == NULL)
        return NG_OK;
    ng_ticket_cache_back(ng_keystore_tickets(keys));
    return ng_krb5_replay_cache_prepare();
}
