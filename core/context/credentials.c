#include "credentials.h"

#include <string.h>

#include "alloc.h"
#include "handle_table.h"

enum { CREDENTIALS_TAG = 0xC1, MAX_CREDENTIALS = 1u << 16 };

static _Atomic(struct ng_table *) credentials_table;

static void destroy_credentials(void *obj)
{
    ng_credentials_unref(obj);
}

static struct ng_table *credentials(void)
{
    return ng_table_get(&credentials_table, CREDENTIALS_TAG, MAX_CREDENTIALS, destroy_credentials);
}

void ng_identity_free(struct ng_identity *id)
{
    ng_free(id->user);
    ng_free(id->domain);
    if (id->password != NULL)
        ng_free_secret(id->password, strlen(id->password));
    *id = (struct ng_identity){0};
}

ng_status ng_credentials_new(enum ng_package_id package, ULONG use, struct ng_credentials **out)
{
    struct ng_credentials *creds = ng_alloc(sizeof(*creds));
    if (creds == NULL)
        return NG_ERR_NOMEM;
    atomic_init(&creds->refs, 1);
    creds->package = package;
    creds->use = use;
    creds->clock_skew = NG_DEFAULT_CLOCK_SKEW;
    creds->expiry = INT64_MAX;
    *out = creds;
    return NG_OK;
}

void ng_credentials_ref(struct ng_credentials *creds)
{
    atomic_fetch_add_explicit(&creds->refs, 1, memory_order_relaxed);
}

void ng_credentials_unref(struct ng_credentials *creds)
{
    if (creds == NULL || atomic_fetch_sub_explicit(&creds->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < NG_PKG_COUNT; i++) {
        if (creds->parts[i].state != NULL)
            creds->parts[i].free_state(creds->parts[i].state);
    }
    ng_free(creds->acceptor_principal);
    ng_free(creds->principal_name);
    ng_free_secret(creds, sizeof(*creds));
}

void *ng_credentials_part(const struct ng_credentials *creds, enum ng_package_id package)
{
    return (unsigned)package < NG_PKG_COUNT ? creds->parts[package].state : NULL;
}

void ng_credentials_set_part(struct ng_credentials *creds, enum ng_package_id package, void *state,
                             void (*free_state)(void *state))
{
    creds->parts[package] = (struct ng_credential_part){state, free_state};
}

ng_status ng_credentials_publish(struct ng_credentials *creds, CredHandle *out)
{
    struct ng_table *table = credentials();
    struct ng_handle h;
    ng_status status = table ? ng_table_insert(table, creds, &h) : NG_ERR_NOMEM;
    if (status != NG_OK) {
        ng_credentials_unref(creds);
        return status;
    }
    ng_handle_to_sec(h, out);
    return NG_OK;
}

ng_status ng_credentials_from_handle(const CredHandle *handle, struct ng_credentials **out)
{
    struct ng_table *table = credentials();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    void *obj = NULL;
    NG_GUARD(ng_table_acquire(table, ng_handle_of(handle), &obj));
    *out = obj;
    ng_credentials_ref(*out);
    ng_table_release(table, ng_handle_of(handle));
    return NG_OK;
}

ng_status ng_credentials_delete(const CredHandle *handle)
{
    struct ng_table *table = credentials();
    if (handle == NULL || table == NULL)
        return NG_ERR_INVALID_HANDLE;
    return ng_table_remove(table, ng_handle_of(handle));
}
