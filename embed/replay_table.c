/* The shared replay table (see replay_table.h). */
#include "replay_table.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#define REGION_MAGIC   0x4e47524550310000ull /* "NGREP1" */
#define TICK_BITS      24
#define TICK_MASK      ((UINT64_C(1) << TICK_BITS) - 1)
#define MAX_LIVE_TICKS (NE_REPLAY_MAX_LIFETIME / NE_REPLAY_TICK)
#define CLAIM_ATTEMPTS 4

struct ne_replay_region {
    uint64_t magic;
    uint32_t slots_log2;
    uint32_t reserved;
    uint8_t key[32];
    _Atomic uint64_t slots[];
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "slots shared between processes must be lock-free");

size_t ne_replay_region_size(unsigned slots_log2)
{
    return sizeof(struct ne_replay_region) + (sizeof(uint64_t) << slots_log2);
}

unsigned ne_replay_slots_log2_for(size_t len)
{
    unsigned log2 = 0;
    while (log2 < 40 && ne_replay_region_size(log2 + 1) <= len)
        log2++;
    return log2 >= 5 ? log2 : 0; /* at least one probe window */
}

int ne_replay_region_format(void *region, size_t len)
{
    struct ne_replay_region *r = region;
    unsigned log2 = ne_replay_slots_log2_for(len);
    if (log2 == 0 || getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key))
        return -1;
    r->slots_log2 = log2;
    r->magic = REGION_MAGIC;
    return 0;
}

int ne_replay_table_attach(struct ne_replay_table *t, void *region, size_t len)
{
    struct ne_replay_region *r = region;
    if (len < sizeof(*r) || r->magic != REGION_MAGIC || r->slots_log2 < 5 || r->slots_log2 > 40 ||
        ne_replay_region_size(r->slots_log2) > len)
        return -1;
    t->region = r;
    t->mask = (UINT64_C(1) << r->slots_log2) - 1;
    hmac_sha256_set_key(&t->keyed, sizeof(r->key), r->key);
    return 0;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Live: its expiry tick is now or later, by no more than the longest lifetime (the tick wraps
 * every 2^24 ticks, 776 days; an entry left that long reads as expired, not as live). */
static bool live(uint64_t word, uint64_t now_tick)
{
    uint64_t ahead = ((word & TICK_MASK) - now_tick) & TICK_MASK;
    return word != 0 && ahead <= MAX_LIVE_TICKS;
}

static bool same_key(uint64_t word, uint64_t fingerprint)
{
    return (word >> TICK_BITS) == fingerprint;
}

/* After claiming `mine` for `fingerprint`: another live slot with the same fingerprint means a
 * concurrent insert of the same key won (or both lose): give our slot back. Whichever of two
 * racing inserts claims last sees the other's claim here, so both cannot return FRESH. */
static bool twin_exists(struct ne_replay_table *t, uint64_t first, uint64_t mine,
                        uint64_t fingerprint, uint64_t now_tick)
{
    for (uint64_t i = 0; i < NE_REPLAY_WINDOW; i++) {
        uint64_t s = (first + i) & t->mask;
        uint64_t w = atomic_load(&t->region->slots[s]);
        if (s != mine && same_key(w, fingerprint) && live(w, now_tick))
            return true;
    }
    return false;
}

enum ne_replay_verdict ne_replay_insert(struct ne_replay_table *t, const uint8_t *key,
                                        size_t key_len, int64_t now, int64_t expires)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    hmac_sha256_update(&t->keyed, key_len, key);
    hmac_sha256_digest(&t->keyed, sizeof(digest), digest); /* leaves `keyed` ready again */
    uint64_t first = le64(digest) & t->mask;
    uint64_t fingerprint = (le64(digest + 8) >> TICK_BITS) | (UINT64_C(1) << 39); /* never 0 */
    if (expires < now)
        expires = now;
    if (expires - now > NE_REPLAY_MAX_LIFETIME)
        expires = now + NE_REPLAY_MAX_LIFETIME;
    uint64_t now_tick = (uint64_t)now / NE_REPLAY_TICK;
    uint64_t tick = ((uint64_t)expires + NE_REPLAY_TICK - 1) / NE_REPLAY_TICK;
    uint64_t word = (fingerprint << TICK_BITS) | (tick & TICK_MASK);

    for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        uint64_t free_slot = UINT64_MAX, free_old = 0;
        for (uint64_t i = 0; i < NE_REPLAY_WINDOW; i++) {
            uint64_t s = (first + i) & t->mask;
            uint64_t w = atomic_load(&t->region->slots[s]);
            if (same_key(w, fingerprint) && live(w, now_tick))
                return NE_REPLAY_SEEN;
            if (free_slot == UINT64_MAX && !live(w, now_tick)) {
                free_slot = s;
                free_old = w;
            }
        }
        if (free_slot == UINT64_MAX)
            return NE_REPLAY_FULL;
        if (!atomic_compare_exchange_strong(&t->region->slots[free_slot], &free_old, word))
            continue; /* another process took that slot: look again */
        if (twin_exists(t, first, free_slot, fingerprint, now_tick)) {
            uint64_t mine = word;
            atomic_compare_exchange_strong(&t->region->slots[free_slot], &mine, 0);
            return NE_REPLAY_SEEN;
        }
        return NE_REPLAY_FRESH;
    }
    return NE_REPLAY_FULL; /* the window kept changing under us: fail closed */
}
