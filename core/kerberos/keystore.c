#include "keystore.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "env_setting.h"
#include "ticket_cache.h"

struct key_entry {
    char *realm;
    size_t ncomponents;
    char *components[8];
    krb5_kvno kvno;
    krb5_keyblock key;                        /* contents owned, wiped on free */
    struct ng_service_key_schedule *schedule; /* AES keys only; owned, wiped on free */
};

struct ng_keystore {
    bool restricted; /* loaded for one service (a configured principal) */
    size_t count;
    struct key_entry *entries;
    struct ng_ticket_cache *tickets;
    struct ng_keystore *retired_next;
};

static bool data_eq(const char *a, struct ng_slice b)
{
    return strlen(a) == b.len && memcmp(a, b.ptr, b.len) == 0;
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* SPN components are case-insensitive in AD (MS-ADTS, servicePrincipalName); only ASCII is
 * folded, so the comparison does not depend on a locale. */
static bool data_eq_nocase(const char *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    const unsigned char *x = (const unsigned char *)a, *y = b;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower(x[i]) != ascii_lower(y[i]))
            return false;
    return true;
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
    if (e->schedule != NULL)
        ng_free_secret(e->schedule, sizeof(*e->schedule));
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

/* Every first use of a ticket decrypts with the key's usage-2 keys and checks the PAC with its
 * usage-17 checksum key: derived here once instead (three AES key expansions a ticket). */
static ng_status make_schedule(struct key_entry *e)
{
    if (!ng_krb5_aes_supported(e->key.enctype))
        return NG_OK;
    struct ng_slice base = ng_slice_of(e->key.contents, e->key.length);
    e->schedule = ng_alloc(sizeof(*e->schedule));
    if (e->schedule == NULL)
        return NG_ERR_NOMEM;
    if (ng_krb5_aes_derive(e->key.enctype, base, KRB5_KEYUSAGE_KDC_REP_TICKET,
                           &e->schedule->ticket) != NG_OK ||
        ng_krb5_aes_derive_checksum(e->key.enctype, base, KRB5_KEYUSAGE_APP_DATA_CKSUM,
                                    &e->schedule->pac_server) != NG_OK) {
        /* a key of the wrong length for its enctype: left to libkrb5, which refuses it */
        ng_free_secret(e->schedule, sizeof(*e->schedule));
        e->schedule = NULL;
    }
    return NG_OK;
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
    return make_schedule(e);
}

/* A configured principal names a keytab entry: the same realm, the same components up to
 * ASCII case. */
static bool principal_matches(krb5_const_principal only, krb5_const_principal p)
{
    if (only->length != p->length ||
        !(only->realm.length == p->realm.length &&
          memcmp(only->realm.data, p->realm.data, p->realm.length) == 0))
        return false;
    for (krb5_int32 i = 0; i < p->length; i++)
        if (!data_eq_nocase(only->data[i].data, only->data[i].length, p->data[i].data,
                            p->data[i].length))
            return false;
    return true;
}

static ng_status append_entry(struct ng_keystore *ks, size_t *cap, const krb5_keytab_entry *kte,
                              krb5_const_principal only)
{
    if (only != NULL && !principal_matches(only, kte->principal))
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
        status = append_entry(ks, &cap, &kte, only);
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
    ks->restricted = only != NULL;
    krb5_error_code code =
        keytab_name ? krb5_kt_resolve(ctx, keytab_name, &kt) : krb5_kt_default(ctx, &kt);
    if (code != 0)
        NG_FAIL_CLEANUP(NG_ERR_NO_CREDENTIALS);
    NG_GUARD_CLEANUP(read_keytab(ctx, kt, only_princ, ks));
    if (ks->count == 0)
        NG_FAIL_CLEANUP(NG_ERR_NO_CREDENTIALS);
    NG_GUARD_CLEANUP(
        ng_ticket_cache_create(ng_env_log2("NEGRING_TICKET_CACHE_LOG2", NG_TICKET_CACHE_MIN_LOG2,
                                           NG_TICKET_CACHE_MAX_LOG2, NG_TICKET_CACHE_DEFAULT_LOG2),
                               &ks->tickets));
    *out = ks;
    ks = NULL;
cleanup:
    if (kt != NULL)
        krb5_kt_close(ctx, kt);
    krb5_free_principal(ctx, only_princ);
    ng_keystore_free(ks);
    return status;
}

/* The entry's name is the ticket's: the realm exactly, the components up to ASCII case. */
static bool entry_names(const struct key_entry *e, const struct ng_principal_ref *p)
{
    if (e->ncomponents != p->ncomponents || !data_eq(e->realm, p->realm))
        return false;
    for (size_t i = 0; i < e->ncomponents; i++)
        if (!data_eq_nocase(e->components[i], strlen(e->components[i]), p->components[i].ptr,
                            p->components[i].len))
            return false;
    return true;
}

bool ng_keystore_key_opens(krb5_context kctx, const krb5_keyblock *key,
                           const struct ng_key_query *q)
{
    krb5_enc_data enc = {
        .magic = KV5M_ENC_DATA,
        .enctype = q->enctype,
        .kvno = q->kvno,
        .ciphertext = {KV5M_DATA, (unsigned int)q->cipher.len, (char *)q->cipher.ptr}};
    krb5_data plain = {KV5M_DATA, (unsigned int)q->cipher.len, ng_alloc(q->cipher.len + 1)};
    if (plain.data == NULL)
        return false;
    bool opens = krb5_c_decrypt(kctx, key, KRB5_KEYUSAGE_KDC_REP_TICKET, NULL, &enc, &plain) == 0;
    ng_free_secret(plain.data, q->cipher.len + 1);
    return opens;
}

/* What the keystore holds of a realm, gathered while looking for a key. */
struct holdings {
    bool realm; /* a key of the ticket's realm */
    bool name;  /* a key of the ticket's name */
};

/* A key of the ticket's name, enctype and kvno (the newest without a kvno): no trial needed. */
static const struct key_entry *named_key(const struct ng_keystore *ks, const struct ng_key_query *q,
                                         struct holdings *h)
{
    const struct key_entry *best = NULL;
    for (size_t i = 0; i < ks->count; i++) {
        const struct key_entry *e = &ks->entries[i];
        h->realm = h->realm || data_eq(e->realm, q->server->realm);
        if (!entry_names(e, q->server))
            continue;
        h->name = true;
        if (e->key.enctype != q->enctype || (q->has_kvno && e->kvno != q->kvno))
            continue;
        if (best == NULL || e->kvno > best->kvno)
            best = e;
    }
    return best;
}

/* Every other key of the ticket's enctype that may serve, tried on the ticket: the ticket's
 * name's at other kvnos, and unless restricted every name's of the realm (SPN aliases). */
static const struct key_entry *trial_key(krb5_context kctx, const struct ng_keystore *ks,
                                         const struct ng_key_query *q)
{
    for (size_t i = 0; i < ks->count; i++) {
        const struct key_entry *e = &ks->entries[i];
        if (e->key.enctype != q->enctype || !data_eq(e->realm, q->server->realm))
            continue;
        if (ks->restricted && !entry_names(e, q->server))
            continue;
        if (ng_keystore_key_opens(kctx, &e->key, q))
            return e;
    }
    return NULL;
}

static void enctype_name(krb5_enctype enctype, char *buf, size_t len)
{
    if (krb5_enctype_to_name(enctype, true, buf, len) != 0)
        snprintf(buf, len, "enctype %d", (int)enctype);
}

/* "ticket kvno 3 aes256-cts-hmac-sha1-96; keys held for its service: kvno 2 ...": the ticket's
 * key version and type against those held for its name (or, for a name we do not hold, for the
 * realm's other names). */
static void describe_miss(const struct ng_keystore *ks, const struct ng_key_query *q,
                          const struct holdings *h, char *why, size_t len)
{
    char name[64];
    enctype_name(q->enctype, name, sizeof(name));
    int n = q->has_kvno ? snprintf(why, len, "ticket kvno %u %s", (unsigned)q->kvno, name)
                        : snprintf(why, len, "ticket %s (no kvno)", name);
    if (n > 0 && (size_t)n < len)
        n +=
            snprintf(why + n, len - (size_t)n,
                     "; keys held for %s:", h->name ? "its service" : "the realm's other services");
    for (size_t i = 0; i < ks->count && n > 0 && (size_t)n < len; i++) {
        const struct key_entry *e = &ks->entries[i];
        if (!data_eq(e->realm, q->server->realm) || (h->name && !entry_names(e, q->server)))
            continue;
        enctype_name(e->key.enctype, name, sizeof(name));
        n += snprintf(why + n, len - (size_t)n, " kvno %u %s,", (unsigned)e->kvno, name);
    }
    if (n > 0 && (size_t)n < len && why[n - 1] == ',')
        why[n - 1] = '\0';
}

ng_status ng_keystore_find(krb5_context kctx, const struct ng_keystore *ks,
                           const struct ng_key_query *q, const krb5_keyblock **key, char *why,
                           size_t why_len)
{
    struct holdings h = {false, false};
    const struct key_entry *found = named_key(ks, q, &h);
    if (found == NULL && h.realm && (h.name || !ks->restricted))
        found = trial_key(kctx, ks, q);
    if (found != NULL) {
        *key = &found->key;
        return NG_OK;
    }
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
        if (h.realm && (h.name || !ks->restricted))
            describe_miss(ks, q, &h, why, why_len);
    }
    if (!h.realm)
        return NG_ERR_NO_AUTHORITY;
    return h.name ? NG_ERR_STALE_KEY : NG_ERR_WRONG_PRINCIPAL;
}

size_t ng_keystore_count(const struct ng_keystore *ks)
{
    return ks->count;
}

const struct ng_service_key_schedule *ng_keystore_schedule(const struct ng_keystore *ks,
                                                           const krb5_keyblock *key)
{
    uintptr_t at = (uintptr_t)key - offsetof(struct key_entry, key);
    uintptr_t first = (uintptr_t)ks->entries, end = first + ks->count * sizeof(struct key_entry);
    if (at < first || at >= end || (at - first) % sizeof(struct key_entry) != 0)
        return NULL;
    return ((const struct key_entry *)at)->schedule;
}

struct ng_ticket_cache *ng_keystore_tickets(const struct ng_keystore *ks)
{
    return ks->tickets;
}
