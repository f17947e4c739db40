#include "ticket_cache.h"

#include <sched.h>
#include <string.h>

#include "alloc.h"
#include "krb5_session.h"
#include "random.h"
#include "table_pages.h"

/* Slot word: bits 0..47 the entry pointer (x86-64 and AArch64 user addresses fit), bits 48..63
 * the number of readers pinning the slot right now. An entry is 16-byte aligned (malloc's
 * alignment, checked before insertion), so the pointer's low 4 bits carry a tag: 4 bits of the
 * entry's hash. A lookup passes over a slot whose tag differs with one plain load, instead of
 * pinning it (two atomic read-modify-writes) and reading its entry (a cache miss) only to find
 * another ticket: the window of a ticket holds up to 15 others. */
#define PTR_MASK ((UINT64_C(1) << 48) - 1)
#define TAG_MASK UINT64_C(0xf)
#define PIN      (UINT64_C(1) << 48)

struct ng_ticket_cache {
    uint64_t seed;
    uint64_t mask; /* slots - 1 */
    atomic_flag backed;
    /* On the heap, not in a mapping of their own: they hold the entries' only pointers, which a
     * leak checker finds only in memory it scans. Backed by ng_ticket_cache_back. */
    _Atomic uint64_t slots[];
};

static atomic_uint_fast64_t next_entry_id = 1;

static struct ng_ticket_entry *entry_of(uint64_t word)
{
    return (struct ng_ticket_entry *)(uintptr_t)(word & PTR_MASK & ~TAG_MASK);
}

/* From the hash's top bits: its low bits choose the window. */
static uint64_t tag_of(uint64_t hash)
{
    return hash >> 60;
}

/* Whether the slot word may hold the entry of `hash`: occupied and with its tag. */
static bool may_hold(uint64_t word, uint64_t hash)
{
    return (word & PTR_MASK) != 0 && (word & TAG_MASK) == tag_of(hash);
}

ng_status ng_ticket_cache_create(unsigned slots_log2, struct ng_ticket_cache **out)
{
    if (slots_log2 < NG_TICKET_CACHE_MIN_LOG2 || slots_log2 > NG_TICKET_CACHE_MAX_LOG2)
        return NG_ERR_INVALID_PARAM;
    size_t slots = (size_t)1 << slots_log2;
    struct ng_ticket_cache *tc = ng_alloc(sizeof(*tc) + slots * sizeof(tc->slots[0]));
    if (tc == NULL)
        return NG_ERR_NOMEM;
    tc->mask = slots - 1;
    ng_status status = ng_random_bytes((uint8_t *)&tc->seed, sizeof(tc->seed));
    if (status != NG_OK) {
        ng_free(tc);
        return status;
    }
    *out = tc;
    return NG_OK;
}

void ng_ticket_cache_back(struct ng_ticket_cache *tc)
{
    if (!atomic_flag_test_and_set(&tc->backed))
        ng_pages_touch(tc->slots, ((size_t)tc->mask + 1) * sizeof(tc->slots[0]));
}

static void entry_free(struct ng_ticket_entry *e)
{
    ng_free(e->ticket);
    ng_free_secret(e->session.contents, e->session.length);
    krb5_free_principal(NULL, e->client);
    ng_free(e->client_name);
    ng_free(e->server_name);
    ng_free(e->pac);
    if (e->keys != NULL)
        ng_free_secret(e->keys, sizeof(*e->keys));
    ng_free(e);
}

/* Derived once per ticket, shared by every thread that accepts it (they only read them). */
static ng_status derive_keys(struct ng_ticket_entry *e)
{
    if (!ng_krb5_aes_supported(e->session.enctype))
        return NG_OK; /* left to libkrb5 */
    struct ng_slice key = ng_slice_of(e->session.contents, e->session.length);
    e->keys = ng_alloc(sizeof(*e->keys));
    if (e->keys == NULL)
        return NG_ERR_NOMEM;
    NG_GUARD(ng_krb5_aes_derive(e->session.enctype, key, KRB5_KEYUSAGE_AP_REQ_AUTH,
                                &e->keys->authenticator));
    return ng_krb5_aes_derive(e->session.enctype, key, KRB5_KEYUSAGE_AP_REP_ENCPART,
                              &e->keys->ap_rep);
}

void ng_ticket_entry_hold(struct ng_ticket_entry *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed); /* the caller's keeps it alive */
}

void ng_ticket_entry_release(struct ng_ticket_entry *e)
{
    if (e != NULL && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        entry_free(e);
}

/* Empties a slot once no reader pins it; returns the entry it held (with the cache's
 * reference) or NULL. */
static struct ng_ticket_entry *take_slot(_Atomic uint64_t *slot)
{
    uint64_t w = atomic_load_explicit(slot, memory_order_acquire);
    for (;;) {
        if ((w & PTR_MASK) == 0)
            return NULL;
        if (w >= PIN) { /* readers inside: they leave within a few instructions */
            sched_yield();
            w = atomic_load_explicit(slot, memory_order_acquire);
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(slot, &w, 0, memory_order_acq_rel,
                                                  memory_order_acquire))
            return entry_of(w);
    }
}

void ng_ticket_cache_clear(struct ng_ticket_cache *tc)
{
    for (size_t i = 0; i <= tc->mask; i++)
        ng_ticket_entry_release(take_slot(&tc->slots[i]));
}

void ng_ticket_cache_destroy(struct ng_ticket_cache *tc)
{
    if (tc == NULL)
        return;
    ng_ticket_cache_clear(tc);
    ng_free(tc);
}

static uint64_t ticket_hash(const struct ng_ticket_cache *tc, struct ng_slice ticket)
{
    uint64_t a = 0, b = 0;
    size_t n = ticket.len < 16 ? ticket.len : 16;
    uint8_t tail[16] = {0};
    memcpy(tail, ticket.ptr + ticket.len - n, n);
    memcpy(&a, tail, 8);
    memcpy(&b, tail + 8, 8);
    uint64_t h = (a ^ tc->seed) * UINT64_C(0x9e3779b97f4a7c15) ^ (b + ticket.len);
    return h ^ (h >> 29);
}

static bool entry_matches(const struct ng_ticket_entry *e, uint64_t hash, struct ng_slice ticket)
{
    return e->hash == hash && e->ticket_len == ticket.len &&
           memcmp(e->ticket, ticket.ptr, ticket.len) == 0;
}

static bool entry_live(const struct ng_ticket_entry *e, int64_t now, int64_t skew)
{
    return now <= e->end_time + skew;
}

/* Pins slot i; if it holds a live entry for `ticket`, takes a reference on it. */
static struct ng_ticket_entry *probe(_Atomic uint64_t *slot, uint64_t hash, struct ng_slice ticket,
                                     int64_t now, int64_t skew)
{
    if (!may_hold(atomic_load_explicit(slot, memory_order_relaxed), hash))
        return NULL;
    uint64_t w = atomic_fetch_add_explicit(slot, PIN, memory_order_acquire);
    struct ng_ticket_entry *e = entry_of(w);
    if (e != NULL && entry_matches(e, hash, ticket) && entry_live(e, now, skew))
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    else
        e = NULL;
    atomic_fetch_sub_explicit(slot, PIN, memory_order_release);
    return e;
}

struct ng_ticket_entry *ng_ticket_cache_get(struct ng_ticket_cache *tc, struct ng_slice ticket,
                                            int64_t now, int64_t skew)
{
    if (ticket.len == 0)
        return NULL;
    uint64_t hash = ticket_hash(tc, ticket);
    for (uint64_t i = 0; i < NG_TICKET_CACHE_WINDOW; i++) {
        struct ng_ticket_entry *e =
            probe(&tc->slots[(hash + i) & tc->mask], hash, ticket, now, skew);
        if (e != NULL)
            return e;
    }
    return NULL;
}

/* Whether the window already holds `e`'s ticket. Only slots with its tag are pinned and read. */
static bool window_has(struct ng_ticket_cache *tc, const struct ng_ticket_entry *e)
{
    struct ng_slice ticket = ng_slice_of(e->ticket, e->ticket_len);
    for (uint64_t i = 0; i < NG_TICKET_CACHE_WINDOW; i++) {
        _Atomic uint64_t *slot = &tc->slots[(e->hash + i) & tc->mask];
        if (!may_hold(atomic_load_explicit(slot, memory_order_relaxed), e->hash))
            continue;
        uint64_t w = atomic_fetch_add_explicit(slot, PIN, memory_order_acquire);
        const struct ng_ticket_entry *old = entry_of(w);
        bool same = old != NULL && entry_matches(old, e->hash, ticket);
        atomic_fetch_sub_explicit(slot, PIN, memory_order_release);
        if (same)
            return true;
    }
    return false;
}

/* The slot of the window to (re)use: the first empty one (found without reading any entry),
 * else an expired entry's, else the one of the entry that expires first. Unpinned reads: the
 * word may be stale by the time the caller's CAS runs, which then simply fails. */
static _Atomic uint64_t *pick_slot(struct ng_ticket_cache *tc, uint64_t hash, int64_t now,
                                   int64_t skew, uint64_t *expected)
{
    for (uint64_t i = 0; i < NG_TICKET_CACHE_WINDOW; i++) {
        _Atomic uint64_t *slot = &tc->slots[(hash + i) & tc->mask];
        uint64_t w = atomic_load_explicit(slot, memory_order_relaxed);
        if ((w & PTR_MASK) == 0) {
            *expected = 0;
            return slot;
        }
    }
    _Atomic uint64_t *best = NULL;
    int64_t best_end = INT64_MAX;
    for (uint64_t i = 0; i < NG_TICKET_CACHE_WINDOW; i++) {
        _Atomic uint64_t *slot = &tc->slots[(hash + i) & tc->mask];
        uint64_t w = atomic_fetch_add_explicit(slot, PIN, memory_order_acquire);
        const struct ng_ticket_entry *old = entry_of(w);
        int64_t end = old == NULL                   ? INT64_MIN
                      : !entry_live(old, now, skew) ? INT64_MIN + 1
                                                    : old->end_time;
        atomic_fetch_sub_explicit(slot, PIN, memory_order_release);
        if (end < best_end) {
            best = slot;
            best_end = end;
            *expected = w & PTR_MASK;
        }
    }
    return best;
}

void ng_ticket_cache_put(struct ng_ticket_cache *tc, struct ng_ticket_entry *e, int64_t now,
                         int64_t skew)
{
    if (((uintptr_t)e & ~(uintptr_t)(PTR_MASK & ~TAG_MASK)) != 0)
        return; /* an address the slot word cannot hold with a tag: not cached */
    uint64_t expected = 0;
    e->hash = ticket_hash(tc, ng_slice_of(e->ticket, e->ticket_len)); /* published by the CAS */
    if (window_has(tc, e))
        return;
    _Atomic uint64_t *slot = pick_slot(tc, e->hash, now, skew, &expected);
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    /* Fails when a reader pins the slot or another insert won it: the ticket stays uncached. */
    uint64_t word = (uint64_t)(uintptr_t)e | tag_of(e->hash);
    if (atomic_compare_exchange_strong_explicit(slot, &expected, word, memory_order_acq_rel,
                                                memory_order_relaxed))
        ng_ticket_entry_release(entry_of(expected));
    else
        atomic_fetch_sub_explicit(&e->refs, 1, memory_order_relaxed);
}

size_t ng_ticket_cache_count(struct ng_ticket_cache *tc)
{
    size_t n = 0;
    for (size_t i = 0; i <= tc->mask; i++)
        n += (atomic_load_explicit(&tc->slots[i], memory_order_relaxed) & PTR_MASK) != 0;
    return n;
}

size_t ng_ticket_cache_capacity(const struct ng_ticket_cache *tc)
{
    return (size_t)tc->mask + 1;
}

ng_status ng_ticket_entry_new(krb5_context kctx, struct ng_slice ticket_der,
                              const krb5_ticket *ticket, struct ng_slice pac,
                              struct ng_ticket_entry **out)
{
    const krb5_enc_tkt_part *part = ticket->enc_part2;
    ng_status status = NG_OK;
    struct ng_ticket_entry *e = ng_alloc(sizeof(*e));
    if (e == NULL)
        return NG_ERR_NOMEM;
    atomic_init(&e->refs, 1);
    e->id = atomic_fetch_add(&next_entry_id, 1);
    e->ticket = ng_memdup(ticket_der.ptr, ticket_der.len);
    e->session = *part->session;
    e->session.contents = ng_memdup(part->session->contents, part->session->length);
    if (e->ticket == NULL || e->session.contents == NULL)
        NG_FAIL_CLEANUP(NG_ERR_NOMEM);
    e->ticket_len = ticket_der.len;
    if (krb5_copy_principal(kctx, part->client, &e->client) != 0)
        NG_FAIL_CLEANUP(NG_ERR_NOMEM);
    NG_GUARD_CLEANUP(ng_krb5_session_names(kctx, ticket, pac, &e->client_name, &e->server_name));
    if (pac.ptr != NULL) { /* present, even if empty: as the libkrb5 path has it */
        e->pac = ng_memdup(pac.ptr, pac.len); /* non-NULL even if empty */
        if (e->pac == NULL)
            NG_FAIL_CLEANUP(NG_ERR_NOMEM);
        e->pac_len = pac.len;
    }
    /* krb5_timestamp is an unsigned 32-bit count since MIT krb5 1.17 (good until 2106) */
    e->auth_time = (uint32_t)part->times.authtime;
    e->start_time =
        (uint32_t)(part->times.starttime ? part->times.starttime : part->times.authtime);
    e->end_time = (uint32_t)part->times.endtime;
    NG_GUARD_CLEANUP(derive_keys(e));
    *out = e;
    e = NULL;
cleanup:
    if (e != NULL)
        entry_free(e);
    return status;
}
