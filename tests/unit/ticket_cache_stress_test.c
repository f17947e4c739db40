/* core/kerberos/ticket_cache.c under contention: 8 threads look up, insert and drop 96 tickets in
 * one small-windowed cache at once, while one of them clears the cache now and then (as a key
 * reload does). Proves: a lookup only ever returns the entry made for exactly those ticket
 * bytes, entries are never freed under a reader (ASan/TSan), and nothing leaks. Also built with
 * ThreadSanitizer (ticket_cache_tsan, tests/tsan.cmake). */
#include "check.h"
#include "ticket_cache.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 8
#define TICKETS 96
#define ROUNDS  20000
#define NOW     INT64_C(1900000000)
#define SKEW    300

static struct ng_ticket_cache *cache;
static uint8_t tickets[TICKETS][48];
static atomic_long wrong, hits, inserts;

static void ticket_bytes(uint8_t *buf, size_t len, uint64_t x)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t z = (x += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        buf[i] = (uint8_t)(z ^ (z >> 31));
    }
}

/* Ticket i decrypts to a session key filled with byte i. */
static struct ng_ticket_entry *make_entry(krb5_context k, unsigned i)
{
    uint8_t key_bytes[32];
    memset(key_bytes, (int)i, sizeof(key_bytes));
    krb5_keyblock key = {KV5M_KEYBLOCK, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, key_bytes};
    krb5_enc_tkt_part part = {0};
    krb5_ticket t = {0};
    part.session = &key;
    part.times.authtime = (krb5_timestamp)NOW;
    part.times.endtime = (krb5_timestamp)(NOW + 3600 + i);
    REQUIRE(krb5_parse_name(k, "alice@EXAMPLE.TEST", &part.client) == 0);
    REQUIRE(krb5_parse_name(k, "HTTP/localhost@EXAMPLE.TEST", &t.server) == 0);
    t.enc_part2 = &part;
    struct ng_ticket_entry *e = NULL;
    REQUIRE(ng_ticket_entry_new(k, ng_slice_of(tickets[i], sizeof(tickets[i])), &t, NG_SLICE_EMPTY,
                                &e) == NG_OK);
    krb5_free_principal(k, part.client);
    krb5_free_principal(k, t.server);
    return e;
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg, x = id * 7919u + 1;
    krb5_context k;
    REQUIRE(krb5_init_context(&k) == 0);
    for (int r = 0; r < ROUNDS; r++) {
        x = x * 1103515245u + 12345u;
        unsigned i = (x >> 8) % TICKETS;
        struct ng_ticket_entry *e =
            ng_ticket_cache_get(cache, ng_slice_of(tickets[i], sizeof(tickets[i])), NOW, SKEW);
        if (e != NULL) {
            atomic_fetch_add(&hits, 1);
            if (e->session.contents[0] != i || e->session.contents[31] != i ||
                e->ticket_len != sizeof(tickets[i]) ||
                memcmp(e->ticket, tickets[i], sizeof(tickets[i])) != 0)
                atomic_fetch_add(&wrong, 1);
            ng_ticket_entry_release(e);
        } else {
            e = make_entry(k, i);
            ng_ticket_cache_put(cache, e, NOW, SKEW);
            ng_ticket_entry_release(e);
            atomic_fetch_add(&inserts, 1);
        }
        if (id == 0 && r % 997 == 0)
            ng_ticket_cache_clear(cache);
    }
    krb5_free_context(k);
    return NULL;
}

int main(void)
{
    for (unsigned i = 0; i < TICKETS; i++)
        ticket_bytes(tickets[i], sizeof(tickets[i]), i + 1);
    /* a few tickets share their last 16 bytes with another (same bucket, different body) */
    for (unsigned i = 0; i + 1 < TICKETS; i += 8)
        memcpy(tickets[i + 1] + 32, tickets[i] + 32, 16);
    REQUIRE(ng_ticket_cache_create(NG_TICKET_CACHE_DEFAULT_LOG2, &cache) == NG_OK);
    pthread_t th[THREADS];
    for (uintptr_t t = 0; t < THREADS; t++)
        REQUIRE(pthread_create(&th[t], NULL, worker, (void *)t) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    CHECK_EQ(atomic_load(&wrong), 0);
    CHECK(atomic_load(&hits) > THREADS * ROUNDS / 2);
    CHECK(atomic_load(&inserts) >= TICKETS);
    CHECK(ng_ticket_cache_count(cache) <= TICKETS);
    fprintf(stderr, "hits %ld, inserts %ld\n", atomic_load(&hits), atomic_load(&inserts));
    ng_ticket_cache_destroy(cache);
    return check_report();
}
