#include "keystore.h"

#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "ticket_cache.h"

struct key_entry {
    char *realm;
    size_t ncomponents;
    char *components[8];
    krb5_kvno kvno;
    krb5_keyblock key; /* contents owned, wiped on free */
};

struct ng_keystore {
    size_t count;
    struct key_entry *entries;
    struct ng_ticket_cache *tickets;
    struct ng_keystore *retired_next;
};

static bool data_eq(const char *a, struct ng_slice b)
{
    return strlen(a) == b.len && memcmp(a, b.ptr, b.len) == 0;
}

static char *dup_data(const krb5_data *d)
{
    char *s = ng_alloc(d->length + 1u);
    if (s != NULL && d->length > 0)
        memcpy(s, d->data, d->length);
    return s;
}

static void free_entry(struct key_entry *e)
{
    ng_free(e->realm);
    for (size_t i = 0; i < e->ncomponents; i++)
        ng_free(e->components[i]);
    ng_free_secret(e->key.contents, e->key.length);
}

void ng_keystore_free(struct ng_keystore *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->count; i++)
        free_entry(&ks->entries[i]);
    ng_free(ks->entries);
    ng_ticket_cache_destroy(ks->tickets);
    ng_free(ks);
}

void ng_keystore_retire(_Atomic(struct ng_keystore *) *list, struct ng_keystore *ks)
{
    ng_ticket_cache_clear(ks->tickets); /* accepts still using its entries hold references */
    struct ng_keystore *head = atomic_load(list);
    do
        ks->retired_next = head;
    while (!atomic_compare_exchange_weak(list, &head, ks));
}

void ng_keystore_free_chain(struct ng_keystore *ks)
{
    while (ks != NULL) {
        struct ng_keystore *next = ks->retired_next;
        ng_keystore_free(ks);
        ks = next;
    }
}

static ng_status copy_entry(const krb5_keytab_entry *kte, struct key_entry *e)
{
    const krb5_principal p = kte->principal;
    if (p->length < 1 || p->length > 8)
        return NG_OK; /* not a service name we can match; skipped by the caller (realm NULL) */
    e->realm = dup_data(&p->realm);
    if (e->realm == NULL)
        return NG_ERR_NOMEM;
    for (krb5_int32 i = 0; i < p->length; i++) {
        e->components[i] = dup_data(&p->data[i]);
        if (e->components[i] == NULL)
            return NG_ERR_NOMEM;
        e->ncomponents++;
    }
    e->kvno = kte->vno;
    e->key.magic = KV5M_KEYBLOCK;
    e->key.enctype = kte->key.enctype;
    e->key.contents = ng_memdup(kte->key.contents, kte->key.length);
    if (e->key.contents == NULL)
        return NG_ERR_NOMEM;
    e->key.length = kte->key.length;
    return NG_OK;
}

static ng_status append_entry(krb5_context ctx, struct ng_keystore *ks, size_t *cap,
                              const krb5_keytab_entry *kte, krb5_const_principal only)
{
    if (only != NULL && !krb5_principal_compare(ctx, only, kte->principal))
        return NG_OK;
    if (ks->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct key_entry *grown = ng_realloc(ks->entries, ncap * sizeof(*grown));
        if (grown == NULL)
            return NG_ERR_NOMEM;
        memset(grown + *cap, 0, (ncap - *cap) * sizeof(*grown));
        ks->entries = grown;
        *cap = ncap;
    }
    struct key_entry *e = &ks->entries[ks->count];
    ng_status status = copy_entry(kte, e);
    if (status != NG_OK || e->realm == NULL) {
        free_entry(e);
        memset(e, 0, sizeof(*e));
        return status;
    }
    ks->count++;
    return NG_OK;
}

static ng_status read_keytab(krb5_context ctx, krb5_keytab kt, krb5_const_principal only,
                             struct ng_keystore *ks)
{
    krb5_kt_cursor cursor;
    krb5_keytab_entry kte;
    size_t cap = 0;
    ng_status status = NG_OK;
    if (krb5_kt_start_seq_get(ctx, kt, &cursor) != 0)
        return NG_ERR_NO_CREDENTIALS;
    while (status == NG_OK && krb5_kt_next_entry(ctx, kt, &kte, &cursor) == 0) {
        status = append_entry(ctx, ks, &cap, &kte, only);
        krb5_free_keytab_entry_contents(ctx, &kte);
    }
    krb5_kt_end_seq_get(ctx, kt, &cursor);
    return status;
}

ng_status ng_keystore_load(krb5_context ctx, const char *keytab_name, const char *only,
                           struct ng_keystore **out)
{
    ng_status status = NG_OK;
    krb5_keytab kt = NULL;
    krb5_principal only_princ = NULL;
    struct ng_keystore *ks = ng_alloc(sizeof(*ks));
    if (ks == NULL)
        return NG_ERR_NOMEM;
    if (only != NULL && krb5_parse_name(ctx, only, &only_princ) != 0)
        NG_FAIL_CLEANUP(NG_ERR_UNKNOWN_CREDS);
    krb5_error_code code =
        keytab_name ? krb5_kt_resolve(ctx, keytab_name, &kt) : krb5_kt_default(ctx, &kt);
    if (code != 0)
        NG_FAIL_CLEANUP(NG_ERR_NO_CREDENTIALS);
    NG_GUARD_CLEANUP(read_keytab(ctx, kt, only_princ, ks));
    if (ks->count == 0)
        NG_FAIL_CLEANUP(NG_ERR_NO_CREDENTIALS);
    NG_GUARD_CLEANUP(ng_ticket_cache_create(&ks->tickets));
    *out = ks;
    ks = NULL;
cleanup:
    if (kt != NULL)
        krb5_kt_close(ctx, kt);
    krb5_free_principal(ctx, only_princ);
    ng_keystore_free(ks);
    return status;
}

static bool entry_names(const struct key_entry *e, const struct ng_principal_ref *p)
{
    if (e->ncomponents != p->ncomponents || !data_eq(e->realm, p->realm))
        return false;
    for (size_t i = 0; i < e->ncomponents; i++)
        if (!data_eq(e->components[i], p->components[i]))
            return false;
    return true;
}

ng_status ng_keystore_find(const struct ng_keystore *ks, const struct ng_principal_ref *server,
                           krb5_enctype enctype, bool has_kvno, krb5_kvno kvno,
                           const krb5_keyblock **key)
{
    const struct key_entry *best = NULL;
    bool realm_known = false, principal_known = false;
    for (size_t i = 0; i < ks->count; i++) {
        const struct key_entry *e = &ks->entries[i];
        realm_known = realm_known || data_eq(e->realm, server->realm);
        if (!entry_names(e, server))
            continue;
        principal_known = true;
        if (e->key.enctype != enctype || (has_kvno && e->kvno != kvno))
            continue;
        if (best == NULL || e->kvno > best->kvno)
            best = e;
    }
    if (best != NULL) {
        *key = &best->key;
        return NG_OK;
    }
    if (!realm_known)
        return NG_ERR_NO_AUTHORITY;
    return principal_known ? NG_ERR_LOGON_DENIED : NG_ERR_WRONG_PRINCIPAL;
}

size_t ng_keystore_count(const struct ng_keystore *ks)
{
    return ks->count;
}

struct ng_ticket_cache *ng_keystore_tickets(const struct ng_keystore *ks)
{
    return ks->tickets;
}
