#include "user_database.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "random.h"

/* Precomputed per account (ng_user_match). Secret: wiped with the snapshot. */
struct account_key {
    struct ng_hmac_md5 response_key;
    const char *domain_spelling; /* the domain field of the domain's first entry */
    bool ready;                  /* false when the names are not valid UTF-8 */
};

/* Open addressing over ASCII-case-folded names, built at load: a logon probes a few adjacent
 * slots instead of a binary search's dozen string comparisons over as many entries' cache
 * lines. A slot holds the name's hash (high half) and its entry's index + 1 (low half); 0 is
 * empty. The names come from the administrator's file, so no client can crowd a probe. */
struct name_index {
    uint64_t *slots;
    size_t mask;
};

struct ng_user_db {
    struct ng_user_entry *entries; /* sorted by (domain, user), ASCII case folded */
    struct account_key *keys;      /* one per entry, same order */
    size_t count;
    struct name_index accounts;    /* (domain, user) -> its entry */
    struct name_index domains;     /* domain -> its first entry */
    struct ng_user_entry stand_in; /* disabled, random NT hash: checked for unknown users */
    struct ng_hmac_md5 stand_in_key;
    char first_domain[NG_USER_DB_NAME_MAX];
    struct ng_user_db *retired_next;
};

static unsigned char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : (unsigned char)c;
}

/* strcasecmp's order with ASCII folding only, whatever the locale (the file's contract). */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int d = fold(*a) - fold(*b);
        if (d != 0 || *a == '\0')
            return d;
    }
}

static int compare_keys(const char *domain_a, const char *user_a, const char *domain_b,
                        const char *user_b)
{
    int c = ascii_casecmp(domain_a, domain_b);
    return c != 0 ? c : ascii_casecmp(user_a, user_b);
}

static int compare_entries(const void *a, const void *b)
{
    const struct ng_user_entry *x = a, *y = b;
    return compare_keys(x->domain, x->user, y->domain, y->user);
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= NG_USER_DB_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == ':')
            return false;
    }
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_hash(const char *s, size_t len, uint8_t out[16])
{
    if (len != 32)
        return false;
    for (size_t i = 0; i < 16; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* The next ':'-separated field of *p (up to the end of the line). */
static const char *next_field(const char **p, size_t *len, bool last)
{
    const char *start = *p;
    const char *colon = strchr(start, ':');
    if (last) {
        if (colon != NULL)
            return NULL;
        *len = strcspn(start, "\r\n");
        *p = start + *len;
        return start;
    }
    if (colon == NULL)
        return NULL;
    *len = (size_t)(colon - start);
    *p = colon + 1;
    return start;
}

ng_status ng_user_db_parse_line(const char *line, struct ng_user_entry *out, bool *is_entry)
{
    *is_entry = false;
    *out = (struct ng_user_entry){0};
    const char *p = line + strspn(line, " \t");
    if (*p == '#' || *p == '\0' || *p == '\n' || *p == '\r')
        return NG_OK;
    size_t dlen, ulen, hlen, flen;
    const char *domain = next_field(&p, &dlen, false);
    const char *user = domain ? next_field(&p, &ulen, false) : NULL;
    const char *hash = user ? next_field(&p, &hlen, false) : NULL;
    const char *flags = hash ? next_field(&p, &flen, true) : NULL;
    if (flags == NULL || !valid_name(domain, dlen) || !valid_name(user, ulen) ||
        !parse_hash(hash, hlen, out->nt_hash))
        return NG_ERR_INVALID_PARAM;
    if (flen == 8 && strncmp(flags, "disabled", 8) == 0)
        out->disabled = true;
    else if (flen != 0)
        return NG_ERR_INVALID_PARAM;
    memcpy(out->domain, domain, dlen);
    memcpy(out->user, user, ulen);
    *is_entry = true;
    return NG_OK;
}

void ng_user_db_format_line(const struct ng_user_entry *e, char *out, size_t size)
{
    char hex[33];
    for (size_t i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02X", e->nt_hash[i]);
    snprintf(out, size, "%s:%s:%s:%s", e->domain, e->user, hex, e->disabled ? "disabled" : "");
    explicit_bzero(hex, sizeof(hex));
}

static ng_status append(struct ng_user_db *db, size_t *cap, const struct ng_user_entry *e)
{
    if (db->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct ng_user_entry *grown = ng_alloc(ncap * sizeof(*grown));
        if (grown == NULL)
            return NG_ERR_NOMEM;
        if (db->count > 0)
            memcpy(grown, db->entries, db->count * sizeof(*grown));
        ng_free_secret(db->entries, *cap * sizeof(*grown));
        db->entries = grown;
        *cap = ncap;
    }
    db->entries[db->count++] = *e;
    return NG_OK;
}

static ng_status read_lines(FILE *f, struct ng_user_db *db, unsigned *bad_line)
{
    char line[NG_USER_DB_MAX_LINE];
    size_t cap = 0;
    unsigned number = 0;
    ng_status status = NG_OK;
    while (status == NG_OK && fgets(line, sizeof(line), f) != NULL) {
        number++;
        struct ng_user_entry e;
        bool is_entry;
        bool whole = strchr(line, '\n') != NULL || feof(f);
        status = whole ? ng_user_db_parse_line(line, &e, &is_entry) : NG_ERR_INVALID_PARAM;
        if (status == NG_OK && is_entry) {
            if (db->count == 0)
                memcpy(db->first_domain, e.domain, sizeof(e.domain));
            status = append(db, &cap, &e);
        }
        explicit_bzero(&e, sizeof(e));
    }
    explicit_bzero(line, sizeof(line));
    if (status == NG_ERR_INVALID_PARAM && bad_line != NULL)
        *bad_line = number;
    return status;
}

/* The accounts' ResponseKeyNT (ng_user_match), once the entries are sorted and final. */
static ng_status make_keys(struct ng_user_db *db)
{
    uint8_t random[16];
    NG_GUARD(ng_random_bytes(db->stand_in.nt_hash, sizeof(db->stand_in.nt_hash)));
    NG_GUARD(ng_random_bytes(random, sizeof(random)));
    db->stand_in.disabled = true;
    ng_hmac_md5_init(&db->stand_in_key, random);
    explicit_bzero(random, sizeof(random));
    if (db->count == 0)
        return NG_OK;
    db->keys = ng_alloc(db->count * sizeof(*db->keys));
    if (db->keys == NULL)
        return NG_ERR_NOMEM;
    const char *spelling = NULL;
    for (size_t i = 0; i < db->count; i++) {
        const struct ng_user_entry *e = &db->entries[i];
        if (spelling == NULL || ascii_casecmp(spelling, e->domain) != 0)
            spelling = e->domain;
        db->keys[i].domain_spelling = spelling;
        ng_status status =
            ng_ntowfv2_keyed(e->nt_hash, e->user, spelling, &db->keys[i].response_key);
        if (status == NG_ERR_NOMEM)
            return status;
        db->keys[i].ready = status == NG_OK;
    }
    return NG_OK;
}

/* FNV-1a over the folded bytes of a name, and of a second one after a separator. */
static uint32_t name_hash(const char *first, const char *second)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const char *s = first; *s != '\0'; s++)
        h = (h ^ fold(*s)) * UINT64_C(0x100000001b3);
    if (second != NULL) {
        h = (h ^ ':') * UINT64_C(0x100000001b3); /* ':' is in no name */
        for (const char *s = second; *s != '\0'; s++)
            h = (h ^ fold(*s)) * UINT64_C(0x100000001b3);
    }
    return (uint32_t)(h ^ (h >> 32));
}

static uint64_t slot_of(uint32_t hash, size_t entry)
{
    return (uint64_t)hash << 32 | (uint64_t)(entry + 1);
}

static ng_status index_create(struct name_index *x, size_t count)
{
    if (count > UINT32_MAX / 2) /* an entry's index + 1 fits the slot's low half */
        return NG_ERR_NOMEM;
    size_t slots = 16;
    while (slots < 2 * count) /* at most half full: short probes */
        slots *= 2;
    x->slots = ng_alloc(slots * sizeof(*x->slots));
    x->mask = slots - 1;
    return x->slots != NULL ? NG_OK : NG_ERR_NOMEM;
}

static void index_put(struct name_index *x, uint32_t hash, size_t entry)
{
    size_t i = hash & x->mask;
    while (x->slots[i] != 0)
        i = (i + 1) & x->mask;
    x->slots[i] = slot_of(hash, entry);
}

/* Both indexes; the entries are sorted, so a domain's first entry comes first. */
static ng_status make_indexes(struct ng_user_db *db)
{
    NG_GUARD(index_create(&db->accounts, db->count));
    NG_GUARD(index_create(&db->domains, db->count));
    for (size_t i = 0; i < db->count; i++) {
        const struct ng_user_entry *e = &db->entries[i];
        index_put(&db->accounts, name_hash(e->domain, e->user), i);
        if (i == 0 || ascii_casecmp(db->entries[i - 1].domain, e->domain) != 0)
            index_put(&db->domains, name_hash(e->domain, NULL), i);
    }
    return NG_OK;
}

/* The entry the index holds for the name (a domain alone when `user` is NULL); db->count when
 * none. */
static size_t index_find(const struct ng_user_db *db, const struct name_index *x, uint32_t hash,
                         const char *domain, const char *user)
{
    for (size_t i = hash & x->mask; x->slots[i] != 0; i = (i + 1) & x->mask) {
        if ((uint32_t)(x->slots[i] >> 32) != hash)
            continue;
        size_t entry = (size_t)(uint32_t)x->slots[i] - 1;
        const struct ng_user_entry *e = &db->entries[entry];
        if (ascii_casecmp(e->domain, domain) == 0 &&
            (user == NULL || ascii_casecmp(e->user, user) == 0))
            return entry;
    }
    return db->count;
}

ng_status ng_user_db_load(const char *path, struct ng_user_db **out, unsigned *bad_line)
{
    *out = NULL;
    if (path == NULL)
        return NG_ERR_NO_CREDENTIALS;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NG_ERR_NO_CREDENTIALS;
    struct ng_user_db *db = ng_alloc(sizeof(*db));
    ng_status status = db ? read_lines(f, db, bad_line) : NG_ERR_NOMEM;
    fclose(f);
    if (status != NG_OK) {
        ng_user_db_free(db);
        return status;
    }
    if (db->count > 1)
        qsort(db->entries, db->count, sizeof(*db->entries), compare_entries);
    /* A duplicate account would make the answer depend on sort order: refuse the file. */
    for (size_t i = 1; i < db->count; i++) {
        if (compare_entries(&db->entries[i - 1], &db->entries[i]) == 0) {
            ng_user_db_free(db);
            return NG_ERR_INVALID_PARAM;
        }
    }
    status = make_keys(db);
    if (status == NG_OK && db->count > 0)
        status = make_indexes(db);
    if (status != NG_OK) {
        ng_user_db_free(db);
        return status;
    }
    *out = db;
    return NG_OK;
}

void ng_user_db_free(struct ng_user_db *db)
{
    if (db == NULL)
        return;
    ng_free_secret(db->entries, db->count * sizeof(*db->entries));
    ng_free_secret(db->keys, db->keys != NULL ? db->count * sizeof(*db->keys) : 0);
    ng_free(db->accounts.slots);
    ng_free(db->domains.slots);
    ng_free_secret(db, sizeof(*db));
}

void ng_user_db_retire(_Atomic(struct ng_user_db *) *list, struct ng_user_db *db)
{
    struct ng_user_db *head = atomic_load(list);
    do
        db->retired_next = head;
    while (!atomic_compare_exchange_weak(list, &head, db));
}

void ng_user_db_free_chain(struct ng_user_db *db)
{
    while (db != NULL) {
        struct ng_user_db *next = db->retired_next;
        ng_user_db_free(db);
        db = next;
    }
}

void ng_user_db_lookup(const struct ng_user_db *db, const char *domain, const char *user,
                       struct ng_user_match *out)
{
    *out = (struct ng_user_match){0};
    if (db == NULL || db->count == 0)
        return;
    /* Both probes every time: an unknown user of a served domain costs what a known one does. */
    size_t first = index_find(db, &db->domains, name_hash(domain, NULL), domain, NULL);
    size_t i = index_find(db, &db->accounts, name_hash(domain, user), domain, user);
    if (first == db->count)
        return;
    out->domain_spelling = db->keys[first].domain_spelling;
    out->checked = &db->stand_in;
    out->response_key = &db->stand_in_key;
    if (i != db->count) {
        out->entry = out->checked = &db->entries[i];
        out->response_key = db->keys[i].ready ? &db->keys[i].response_key : NULL;
    }
}

bool ng_user_db_serves(const struct ng_user_db *db, const char *domain)
{
    struct ng_user_match m;
    ng_user_db_lookup(db, domain, "", &m);
    return m.domain_spelling != NULL;
}

const struct ng_user_entry *ng_user_db_find(const struct ng_user_db *db, const char *domain,
                                            const char *user)
{
    struct ng_user_match m;
    ng_user_db_lookup(db, domain, user, &m);
    return m.entry;
}

const char *ng_user_db_first_domain(const struct ng_user_db *db)
{
    return db != NULL && db->count > 0 ? db->first_domain : NULL;
}

size_t ng_user_db_count(const struct ng_user_db *db)
{
    return db != NULL ? db->count : 0;
}
