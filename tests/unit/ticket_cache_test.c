/* core/kerberos/ticket_cache.c: a ticket is found only by exactly its bytes (a changed byte
 * anywhere, the same tail with a different body, another length are all misses), it is not served
 * after its end time plus the clock skew, the cache stays within its bound and evicts the entry
 * that expires first, an entry outlives a clear while someone holds it, and retiring a keystore (a
 * key reload) empties its cache, its size is what NEGRING_TICKET_CACHE_LOG2 says within its
 * bounds, a cache backed as preparing a thread backs it takes its inserts without a page
 * fault, and negring_forget_tickets empties a credential's cache and keeps its keys. Entries are
 * made from real krb5 structures the way the accept path makes them after krb5_rd_req. */
#include "check.h"
#include "credentials.h"
#include "keystore.h"
#include "krb5_credentials.h"
#include "negring_internal.h"
#include "ticket_cache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static krb5_context kctx;
static const int64_t NOW = 1900000000;
static const int64_t SKEW = 300;

/* A decrypted ticket: alice@EXAMPLE.TEST for HTTP/localhost, aes256 session key `fill`, valid
 * until `end`. */
struct fake_ticket {
    krb5_ticket ticket;
    krb5_enc_tkt_part part;
    krb5_keyblock key;
    uint8_t key_bytes[32];
};

static void fake_ticket_init(struct fake_ticket *f, uint8_t fill, int64_t end)
{
    memset(f, 0, sizeof(*f));
    memset(f->key_bytes, fill, sizeof(f->key_bytes));
    f->key = (krb5_keyblock){KV5M_KEYBLOCK, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, f->key_bytes};
    f->part.session = &f->key;
    f->part.times.authtime = (krb5_timestamp)(NOW - 60);
    f->part.times.endtime = (krb5_timestamp)end;
    REQUIRE(krb5_parse_name(kctx, "alice@EXAMPLE.TEST", &f->part.client) == 0);
    REQUIRE(krb5_parse_name(kctx, "HTTP/localhost@EXAMPLE.TEST", &f->ticket.server) == 0);
    f->ticket.enc_part2 = &f->part;
}

static void fake_ticket_free(struct fake_ticket *f)
{
    krb5_free_principal(kctx, f->part.client);
    krb5_free_principal(kctx, f->ticket.server);
}

/* Ticket bytes: `len` pseudo-random bytes (splitmix64 from `seed`), like a ciphertext. */
static void ticket_bytes(uint8_t *buf, size_t len, uint32_t seed)
{
    uint64_t x = seed;
    for (size_t i = 0; i < len; i++) {
        uint64_t z = (x += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        buf[i] = (uint8_t)(z ^ (z >> 31));
    }
}

static struct ng_ticket_entry *new_entry(const uint8_t *der, size_t len, uint8_t fill, int64_t end)
{
    struct fake_ticket f;
    struct ng_ticket_entry *e = NULL;
    fake_ticket_init(&f, fill, end);
    REQUIRE(ng_ticket_entry_new(kctx, ng_slice_of(der, len), &f.ticket, NG_SLICE_EMPTY, &e) ==
            NG_OK);
    fake_ticket_free(&f);
    return e;
}

static void test_entry_holds_what_the_ticket_said(void)
{
    uint8_t der[300];
    ticket_bytes(der, sizeof(der), 1);
    struct ng_ticket_entry *e = new_entry(der, sizeof(der), 0x11, NOW + 3600);
    CHECK_EQ(e->session.enctype, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
    CHECK_EQ(e->session.length, 32);
    CHECK_EQ(e->session.contents[31], 0x11);
    CHECK(strcmp(e->client_name, "alice@EXAMPLE.TEST") == 0);
    CHECK(strcmp(e->server_name, "HTTP/localhost@EXAMPLE.TEST") == 0);
    CHECK_EQ(e->end_time, NOW + 3600);
    CHECK_EQ(e->start_time, NOW - 60); /* no starttime: the authtime */
    CHECK(e->ticket != der && e->ticket_len == sizeof(der));
    ng_ticket_entry_release(e);
}

static void test_hit_only_on_identical_bytes(void)
{
    struct ng_ticket_cache *tc;
    REQUIRE(ng_ticket_cache_create(NG_TICKET_CACHE_DEFAULT_LOG2, &tc) == NG_OK);
    uint8_t der[400], probe[401];
    ticket_bytes(der, sizeof(der), 2);
    CHECK(ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), NOW, SKEW) == NULL);
    struct ng_ticket_entry *e = new_entry(der, sizeof(der), 0x22, NOW + 3600);
    ng_ticket_cache_put(tc, e, NOW, SKEW);
    CHECK_EQ(ng_ticket_cache_count(tc), 1);

    memcpy(probe, der, sizeof(der));
    struct ng_ticket_entry *hit =
        ng_ticket_cache_get(tc, ng_slice_of(probe, sizeof(der)), NOW, SKEW);
    CHECK(hit == e);
    ng_ticket_entry_release(hit);
    /* one bit changed anywhere: the first byte, the middle (same tail, so the same bucket: the
     * cache must compare every byte, not trust the hash), the last byte */
    const size_t spots[] = {0, sizeof(der) / 2, sizeof(der) - 17, sizeof(der) - 1};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        memcpy(probe, der, sizeof(der));
        probe[spots[i]] ^= 0x01;
        CHECK(ng_ticket_cache_get(tc, ng_slice_of(probe, sizeof(der)), NOW, SKEW) == NULL);
    }
    /* a prefix and an extension of the cached bytes */
    CHECK(ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der) - 1), NOW, SKEW) == NULL);
    memcpy(probe, der, sizeof(der));
    probe[sizeof(der)] = 0;
    CHECK(ng_ticket_cache_get(tc, ng_slice_of(probe, sizeof(probe)), NOW, SKEW) == NULL);
    CHECK(ng_ticket_cache_get(tc, NG_SLICE_EMPTY, NOW, SKEW) == NULL);
    /* inserting the same ticket again keeps one entry */
    struct ng_ticket_entry *again = new_entry(der, sizeof(der), 0x22, NOW + 3600);
    ng_ticket_cache_put(tc, again, NOW, SKEW);
    CHECK_EQ(ng_ticket_cache_count(tc), 1);
    ng_ticket_entry_release(again);
    ng_ticket_entry_release(e);
    ng_ticket_cache_destroy(tc);
}

static void test_expired_ticket_is_a_miss(void)
{
    struct ng_ticket_cache *tc;
    REQUIRE(ng_ticket_cache_create(NG_TICKET_CACHE_DEFAULT_LOG2, &tc) == NG_OK);
    uint8_t der[200];
    ticket_bytes(der, sizeof(der), 3);
    struct ng_ticket_entry *e = new_entry(der, sizeof(der), 0x33, NOW + 10);
    ng_ticket_cache_put(tc, e, NOW, SKEW);
    int64_t last = NOW + 10 + SKEW;
    struct ng_ticket_entry *hit =
        ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), last, SKEW);
    CHECK(hit == e); /* libkrb5 still accepts the ticket up to endtime + clockskew */
    ng_ticket_entry_release(hit);
    CHECK(ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), last + 1, SKEW) == NULL);
    /* the skew is the caller's (its krb5_context's): a tighter one ends the entry sooner */
    CHECK(ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), NOW + 12, 1) == NULL);
    hit = ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), NOW + 11, 1);
    CHECK(hit == e);
    ng_ticket_entry_release(hit);
    /* an expired entry gives its slot to the next ticket of its window */
    ng_ticket_entry_release(e);
    ng_ticket_cache_destroy(tc);
}

static void test_bounded_and_evicts_first_expiring(void)
{
    struct ng_ticket_cache *tc;
    enum { LOG2 = 12, SLOTS = 1 << LOG2, N = 3 * SLOTS };
    REQUIRE(ng_ticket_cache_create(LOG2, &tc) == NG_OK);
    CHECK_EQ(ng_ticket_cache_capacity(tc), SLOTS);
    static uint8_t der[N][64];
    for (uint32_t i = 0; i < N; i++) {
        ticket_bytes(der[i], sizeof(der[i]), 1000 + i);
        /* later tickets expire later, so an eviction must pick an older one */
        struct ng_ticket_entry *e = new_entry(der[i], sizeof(der[i]), 0x44, NOW + 3600 + i);
        ng_ticket_cache_put(tc, e, NOW, SKEW);
        ng_ticket_entry_release(e);
    }
    size_t count = ng_ticket_cache_count(tc);
    CHECK(count <= SLOTS);
    CHECK(count > SLOTS * 9 / 10);
    /* full windows give up the entry that expires first: the newest tickets are (nearly) all
     * there, the oldest mostly gone (an old one survives only where no later ticket's window
     * filled up over it) */
    size_t old_found = 0, new_found = 0;
    for (uint32_t i = 0; i < 256; i++) {
        struct ng_ticket_entry *hit = ng_ticket_cache_get(tc, ng_slice_of(der[i], 64), NOW, SKEW);
        old_found += hit != NULL;
        ng_ticket_entry_release(hit);
        hit = ng_ticket_cache_get(tc, ng_slice_of(der[N - 1 - i], 64), NOW, SKEW);
        new_found += hit != NULL;
        ng_ticket_entry_release(hit);
    }
    CHECK(old_found < 64);
    CHECK(new_found > 240);
    ng_ticket_cache_destroy(tc);
}

/* A population at 60 % of the capacity, as ten thousand users in the default 16,384 slots: every
 * ticket inserted once is found, however many others with its slot tag share its window; a
 * second insert of each adds nothing. */
static void test_population_is_held_whole(void)
{
    struct ng_ticket_cache *tc;
    enum { LOG2 = 12, SLOTS = 1 << LOG2, N = SLOTS * 6 / 10 };
    REQUIRE(ng_ticket_cache_create(LOG2, &tc) == NG_OK);
    static uint8_t der[N][64];
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < N; i++) {
            ticket_bytes(der[i], sizeof(der[i]), 77000 + i);
            struct ng_ticket_entry *e = new_entry(der[i], sizeof(der[i]), 0x21, NOW + 3600);
            ng_ticket_cache_put(tc, e, NOW, SKEW);
            ng_ticket_entry_release(e);
        }
    size_t found = 0;
    for (uint32_t i = 0; i < N; i++) {
        struct ng_ticket_entry *hit = ng_ticket_cache_get(tc, ng_slice_of(der[i], 64), NOW, SKEW);
        found += hit != NULL && hit->ticket_len == 64 && memcmp(hit->ticket, der[i], 64) == 0;
        ng_ticket_entry_release(hit);
    }
    /* a window overflows only where more than 16 of the N hashes crowd together: about one
     * ticket in a thousand (one in a hundred with a window of 8) */
    fprintf(stderr, "  %zu of %d tickets held\n", found, (int)N);
    CHECK(found > N * 99 / 100);
    CHECK_EQ(ng_ticket_cache_count(tc), found);
    ng_ticket_cache_destroy(tc);
}

static void test_entry_outlives_clear_while_held(void)
{
    struct ng_ticket_cache *tc;
    REQUIRE(ng_ticket_cache_create(NG_TICKET_CACHE_DEFAULT_LOG2, &tc) == NG_OK);
    uint8_t der[128];
    ticket_bytes(der, sizeof(der), 5);
    struct ng_ticket_entry *e = new_entry(der, sizeof(der), 0x55, NOW + 3600);
    ng_ticket_cache_put(tc, e, NOW, SKEW);
    ng_ticket_entry_release(e);
    struct ng_ticket_entry *held =
        ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), NOW, SKEW);
    REQUIRE(held != NULL);
    ng_ticket_cache_clear(tc);
    CHECK_EQ(ng_ticket_cache_count(tc), 0);
    CHECK(ng_ticket_cache_get(tc, ng_slice_of(der, sizeof(der)), NOW, SKEW) == NULL);
    /* still readable (ASan would flag a use after free) */
    CHECK_EQ(held->session.contents[0], 0x55);
    CHECK(strcmp(held->client_name, "alice@EXAMPLE.TEST") == 0);
    ng_ticket_entry_release(held);
    ng_ticket_cache_destroy(tc);
}

/* A keytab file with one service key, for a keystore of our own. */
static void write_keytab(const char *name)
{
    krb5_keytab kt;
    krb5_keytab_entry ent = {0};
    uint8_t key[32] = {7};
    REQUIRE(krb5_kt_resolve(kctx, name, &kt) == 0);
    REQUIRE(krb5_parse_name(kctx, "HTTP/localhost@EXAMPLE.TEST", &ent.principal) == 0);
    ent.vno = 2;
    ent.key = (krb5_keyblock){KV5M_KEYBLOCK, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, key};
    REQUIRE(krb5_kt_add_entry(kctx, kt, &ent) == 0);
    krb5_free_principal(kctx, ent.principal);
    krb5_kt_close(kctx, kt);
}

/* Caches a ticket of `len` bytes made from `seed` (into `der`); the cache holds the only
 * reference. */
static void cache_one(struct ng_ticket_cache *tc, uint8_t *der, size_t len, uint32_t seed)
{
    ticket_bytes(der, len, seed);
    struct ng_ticket_entry *e = new_entry(der, len, 0x66, NOW + 3600);
    ng_ticket_cache_put(tc, e, NOW, SKEW);
    ng_ticket_entry_release(e);
}

/* A keytab of one service key in a fresh directory, removed by keytab_dir_remove. */
struct keytab_dir {
    char dir[32], path[128], name[160];
};

static void keytab_dir_make(struct keytab_dir *k)
{
    snprintf(k->dir, sizeof(k->dir), "/tmp/ticket_cache_test.XXXXXX");
    REQUIRE(mkdtemp(k->dir) != NULL);
    snprintf(k->path, sizeof(k->path), "%s/service.keytab", k->dir);
    snprintf(k->name, sizeof(k->name), "FILE:%s", k->path);
    write_keytab(k->name);
}

static void keytab_dir_remove(const struct keytab_dir *k)
{
    unlink(k->path);
    rmdir(k->dir);
}

static void test_reload_drops_cached_tickets(void)
{
    struct keytab_dir k;
    keytab_dir_make(&k);
    struct ng_keystore *first = NULL, *second = NULL;
    _Atomic(struct ng_keystore *) retired = NULL;
    REQUIRE(ng_keystore_load(kctx, k.name, NULL, &first) == NG_OK);
    REQUIRE(ng_keystore_load(kctx, k.name, NULL, &second) == NG_OK);
    CHECK(ng_keystore_tickets(first) != ng_keystore_tickets(second));
    uint8_t der[256];
    cache_one(ng_keystore_tickets(first), der, sizeof(der), 6);
    CHECK_EQ(ng_ticket_cache_count(ng_keystore_tickets(first)), 1);
    /* what credentials_reload.c does: the fresh keystore replaces `first`, which retires */
    ng_keystore_retire(&retired, first);
    CHECK_EQ(ng_ticket_cache_count(ng_keystore_tickets(first)), 0);
    CHECK(ng_ticket_cache_get(ng_keystore_tickets(first), ng_slice_of(der, sizeof(der)), NOW,
                              SKEW) == NULL);
    CHECK(ng_ticket_cache_get(ng_keystore_tickets(second), ng_slice_of(der, sizeof(der)), NOW,
                              SKEW) == NULL);
    ng_keystore_free_chain(atomic_load(&retired));
    ng_keystore_free(second);
    keytab_dir_remove(&k);
}

/* negring_forget_tickets (the benchmarks' way to a ticket's first use in a warm server): the
 * credentials' cache is emptied and their keys kept; a handle without Kerberos keys is -1. */
static void test_forget_tickets_keeps_the_keys(void)
{
    struct keytab_dir k;
    keytab_dir_make(&k);
    NEGRING_ACCEPTOR_AUTH_DATA data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION, k.name, 0, NULL};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    struct ng_credentials *creds;
    REQUIRE(ng_credentials_from_handle(&h, &creds) == NG_OK);
    const struct ng_keystore *keys = ng_krb5_acceptor_keys(creds);
    REQUIRE(keys != NULL);
    uint8_t der[128];
    cache_one(ng_keystore_tickets(keys), der, sizeof(der), 9);
    CHECK_EQ(ng_ticket_cache_count(ng_keystore_tickets(keys)), 1);
    CHECK_EQ(negring_forget_tickets(&h), 0);
    CHECK_EQ(ng_ticket_cache_count(ng_keystore_tickets(keys)), 0);
    CHECK(ng_krb5_acceptor_keys(creds) == keys);
    ng_credentials_unref(creds);
    CHECK_EQ(FreeCredentialsHandle(&h), SEC_E_OK);
    CHECK_EQ(negring_forget_tickets(&h), -1); /* freed */
    keytab_dir_remove(&k);
}

static void test_size_is_bounded_and_set_by_environment(void)
{
    struct ng_ticket_cache *tc = NULL;
    CHECK_EQ(ng_ticket_cache_create(NG_TICKET_CACHE_MIN_LOG2 - 1, &tc), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_ticket_cache_create(NG_TICKET_CACHE_MAX_LOG2 + 1, &tc), NG_ERR_INVALID_PARAM);
    CHECK(tc == NULL);
    struct keytab_dir k;
    keytab_dir_make(&k);
    /* a keystore's cache: NEGRING_TICKET_CACHE_LOG2 when in range, else the default */
    static const struct {
        const char *env;
        size_t capacity;
    } cases[] = {{NULL, 1u << NG_TICKET_CACHE_DEFAULT_LOG2},
                 {"5", 32},
                 {"20", 1u << 20},
                 {"3", 1u << NG_TICKET_CACHE_DEFAULT_LOG2},
                 {"25", 1u << NG_TICKET_CACHE_DEFAULT_LOG2},
                 {"16x", 1u << NG_TICKET_CACHE_DEFAULT_LOG2}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].env)
            REQUIRE(setenv("NEGRING_TICKET_CACHE_LOG2", cases[i].env, 1) == 0);
        else
            REQUIRE(unsetenv("NEGRING_TICKET_CACHE_LOG2") == 0);
        struct ng_keystore *ks = NULL;
        REQUIRE(ng_keystore_load(kctx, k.name, NULL, &ks) == NG_OK);
        CHECK_EQ(ng_ticket_cache_capacity(ng_keystore_tickets(ks)), cases[i].capacity);
        ng_keystore_free(ks);
    }
    unsetenv("NEGRING_TICKET_CACHE_LOG2");
    keytab_dir_remove(&k);
}

static long minor_faults(void)
{
    struct rusage u;
    REQUIRE(getrusage(RUSAGE_SELF, &u) == 0);
    return u.ru_minflt;
}

/* `n` entries of distinct tickets, made before any fault is counted. */
static void make_entries(struct ng_ticket_entry **entries, size_t n, uint32_t seed)
{
    uint8_t der[64];
    for (size_t i = 0; i < n; i++) {
        ticket_bytes(der, sizeof(der), seed + (uint32_t)i);
        entries[i] = new_entry(der, sizeof(der), 0x42, NOW + 3600);
    }
}

/* The minor faults taken inserting the entries; releases the caller's references. */
static long faults_inserting(struct ng_ticket_cache *tc, struct ng_ticket_entry **entries, size_t n)
{
    long before = minor_faults();
    for (size_t i = 0; i < n; i++)
        ng_ticket_cache_put(tc, entries[i], NOW, SKEW);
    long taken = minor_faults() - before;
    for (size_t i = 0; i < n; i++)
        ng_ticket_entry_release(entries[i]);
    return taken;
}

/* Whether an address sanitizer watches the process: its first look at its shadow of fresh
 * memory faults too, so page faults do not tell what the cache did. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* A cache left to fault in takes faults as inserts land on its pages (the read of a window maps
 * the zero page, the write copies it); one backed by ng_ticket_cache_back, as preparing a thread
 * does, takes none. 2^23 slots (64 MiB), beyond the allocator's largest mmap threshold, so both
 * caches start unbacked whatever was allocated before. */
static void test_backed_cache_takes_no_page_fault(void)
{
    enum { LOG2 = 23, ENTRIES = 1000 };
    static struct ng_ticket_entry *lazy_entries[ENTRIES], *backed_entries[ENTRIES];
    make_entries(lazy_entries, ENTRIES, 1000);
    make_entries(backed_entries, ENTRIES, 5000);
    struct ng_ticket_cache *lazy = NULL, *backed = NULL;
    REQUIRE(ng_ticket_cache_create(LOG2, &lazy) == NG_OK);
    REQUIRE(ng_ticket_cache_create(LOG2, &backed) == NG_OK);
    ng_ticket_cache_back(backed);
    ng_ticket_cache_back(backed); /* the second time does nothing */
    long lazy_faults = faults_inserting(lazy, lazy_entries, ENTRIES);
    long backed_faults = faults_inserting(backed, backed_entries, ENTRIES);
#ifndef UNDER_ASAN
    CHECK(lazy_faults >= ENTRIES / 2); /* 1,000 inserts over 16,384 pages */
    CHECK_EQ(backed_faults, 0);
#else
    (void)lazy_faults;
    (void)backed_faults;
#endif
    CHECK_EQ(ng_ticket_cache_count(lazy), ENTRIES);
    CHECK_EQ(ng_ticket_cache_count(backed), ENTRIES);
    ng_ticket_cache_destroy(lazy);
    ng_ticket_cache_destroy(backed);
}

int main(void)
{
    REQUIRE(krb5_init_context(&kctx) == 0);
    RUN(test_entry_holds_what_the_ticket_said);
    RUN(test_hit_only_on_identical_bytes);
    RUN(test_expired_ticket_is_a_miss);
    RUN(test_bounded_and_evicts_first_expiring);
    RUN(test_population_is_held_whole);
    RUN(test_entry_outlives_clear_while_held);
    RUN(test_reload_drops_cached_tickets);
    RUN(test_size_is_bounded_and_set_by_environment);
    RUN(test_backed_cache_takes_no_page_fault);
    RUN(test_forget_tickets_keeps_the_keys);
    krb5_free_context(kctx);
    return check_report();
}
