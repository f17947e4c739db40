/* Lock-free replay cache: see replay_cache.h for the contract.
 *
 * Word layout (0 = empty):
 *   fingerprint (39 bits, never 0) | PENDING (1) | expiry tick mod 2^24 (24)
 * An entry is live while its expiry is 1..LIVE_SPAN ticks ahead of the caller's now (mod 2^24);
 * otherwise its slot is free for reuse. Lifetimes are at most MAX_LIFE = LIVE_SPAN / 2 ticks, so
 * a caller whose clock is behind by up to MAX_LIFE still sees every live entry. An entry never
 * overwritten reads as live again only ~680 days after it expired, for at most ~97 days: it then
 * holds a slot (and refuses its own key) but never lets a replay through.
 *
 * Claiming: a key's window is the WINDOW slots from its hashed start; all callers with the same
 * key walk it in the same order. A call (1) scans the window: a live entry with our fingerprint
 * means NG_ERR_REPLAY, else it picks the first free slot; (2) claims it with one CAS to a
 * PENDING word; (3) scans the window again for other live entries with our fingerprint: one
 * earlier in the window, or any confirmed one, makes us withdraw (NG_ERR_REPLAY); a pending one
 * later in the window is cleared by CAS; (4) CASes PENDING off, which fails if a racer earlier in
 * the window cleared our claim. Step (1) alone is not enough because racers may disagree on
 * which slots have expired (different `now`) and so claim different slots.
 * At most one winner: if claims A (earlier) and B (later) both confirm, B's step (3) read of A's
 * slot preceded A's claim, so A's step (3) saw B's claim and either cleared it (B's step (4)
 * fails) or found it confirmed (A withdraws). At least one winner among claimants: the earliest
 * claim in the window is never cleared and withdraws only for a confirmed entry.
 * This is a store-then-load (Dekker) argument, so every word access is seq_cst; on x86-64 and
 * ARMv8 seq_cst loads cost the same as acquire loads and the CASes are full barriers anyway. No
 * other memory is published through the words. */
#include "replay_cache.h"

#include "alloc.h"
#include "random.h"

#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#define TICK      NG_REPLAY_CACHE_GRANULARITY
#define EXP_BITS  24
#define EXP_MASK  ((UINT64_C(1) << EXP_BITS) - 1)
#define MAX_LIFE  (UINT64_C(1) << 20)
#define LIVE_SPAN (MAX_LIFE * 2)
#define PENDING   (UINT64_C(1) << EXP_BITS)
#define FP_SHIFT  (EXP_BITS + 1)
#define FP_FIELD  (~UINT64_C(0) << FP_SHIFT)

_Static_assert(MAX_LIFE *TICK == NG_REPLAY_CACHE_MAX_LIFETIME, "header and layout disagree");
_Static_assert(LIVE_SPAN < (UINT64_C(1) << (EXP_BITS - 1)), "live span must stay below half");

struct ng_replay_cache {
    _Atomic uint64_t *words; /* mmap'd, 2^capacity_log2 words */
    size_t map_len;
    uint64_t mask;
    unsigned window;
    struct hmac_sha256_ctx mac; /* keyed once at creation; each call hashes with a copy */
};

/* Where a key lives and the word that records it. */
struct probe {
    uint64_t start;
    uint64_t fp; /* in place in the FP_FIELD */
    uint64_t now_tick;
    uint64_t pending; /* fp | PENDING | expiry: the claim word */
};

static int64_t tick_floor(int64_t t)
{
    return t / TICK - (t % TICK < 0);
}

static int64_t tick_ceil(int64_t t)
{
    return t / TICK + (t % TICK > 0);
}

static bool is_live(uint64_t word, uint64_t now_tick)
{
    uint64_t ahead = (word - now_tick) & EXP_MASK;
    return word != 0 && ahead != 0 && ahead <= LIVE_SPAN;
}

static _Atomic uint64_t *word_at(struct ng_replay_cache *rc, const struct probe *p, unsigned i)
{
    return &rc->words[(p->start + i) & rc->mask];
}

static void probe_init(const struct ng_replay_cache *rc, struct ng_slice key, int64_t now,
                       int64_t expires_at, struct probe *p)
{
    struct hmac_sha256_ctx ctx = rc->mac;
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint64_t fp, start;
    int64_t now_tick = tick_floor(now);
    int64_t life = tick_ceil(expires_at) - now_tick; /* both within ±2^62: no overflow */

    if (key.len > 0)
        hmac_sha256_update(&ctx, key.len, key.ptr);
    hmac_sha256_digest(&ctx, sizeof digest, digest);
    memcpy(&fp, digest, sizeof fp);
    memcpy(&start, digest + 8, sizeof start);
    explicit_bzero(&ctx, sizeof ctx);
    explicit_bzero(digest, sizeof digest);

    fp &= FP_FIELD;
    if (fp == 0)
        fp = UINT64_C(1) << FP_SHIFT;
    if (life < 1)
        life = 1;
    if ((uint64_t)life > MAX_LIFE)
        life = (int64_t)MAX_LIFE;
    p->start = start & rc->mask;
    p->fp = fp;
    p->now_tick = (uint64_t)now_tick;
    p->pending = fp | PENDING | (((uint64_t)now_tick + (uint64_t)life) & EXP_MASK);
}

/* Step (1): NG_ERR_REPLAY, NG_ERR_FULL, or NG_OK with the first free slot and its word. */
static ng_status find_slot(struct ng_replay_cache *rc, const struct probe *p, unsigned *pos,
                           uint64_t *seen)
{
    bool found = false;

    for (unsigned i = 0; i < rc->window; i++) {
        uint64_t w = atomic_load(word_at(rc, p, i));
        if (!is_live(w, p->now_tick)) {
            if (!found) {
                found = true;
                *pos = i;
                *seen = w;
            }
        } else if ((w & FP_FIELD) == p->fp) {
            return NG_ERR_REPLAY;
        }
    }
    return found ? NG_OK : NG_ERR_FULL;
}

/* Step (3), with our PENDING word at window position `mine`. */
static ng_status verify_claim(struct ng_replay_cache *rc, const struct probe *p, unsigned mine)
{
    for (unsigned i = 0; i < rc->window; i++) {
        _Atomic uint64_t *word = word_at(rc, p, i);
        uint64_t w = atomic_load(word);
        if (i == mine)
            continue;
        while (is_live(w, p->now_tick) && (w & FP_FIELD) == p->fp) {
            if (i < mine || !(w & PENDING))
                return NG_ERR_REPLAY;
            if (atomic_compare_exchange_strong(word, &w, 0))
                break; /* cleared a later racer's claim; on failure look at the new word */
        }
    }
    return NG_OK;
}

/* Steps (3) and (4) for our PENDING word at window position `mine`. */
static ng_status settle_claim(struct ng_replay_cache *rc, const struct probe *p, unsigned mine)
{
    _Atomic uint64_t *word = word_at(rc, p, mine);
    uint64_t expected = p->pending;
    ng_status status = verify_claim(rc, p, mine);

    if (status == NG_OK) {
        if (atomic_compare_exchange_strong(word, &expected, p->pending & ~PENDING))
            return NG_OK;
        return NG_ERR_REPLAY; /* a racer earlier in the window cleared our claim */
    }
    atomic_compare_exchange_strong(word, &expected, 0); /* withdraw, unless already cleared */
    return status;
}

ng_status ng_replay_cache_create(struct ng_replay_cache **out, unsigned capacity_log2)
{
    ng_status status;
    struct ng_replay_cache *rc = NULL;
    uint8_t key[SHA256_DIGEST_SIZE];
    void *map;

    if (out == NULL || capacity_log2 < 1 || capacity_log2 > 32)
        return NG_ERR_INVALID_PARAM;
    *out = NULL;
    rc = ng_alloc(sizeof *rc);
    if (rc == NULL)
        return NG_ERR_NOMEM;
    rc->map_len = sizeof(uint64_t) << capacity_log2;
    /* NORESERVE: untouched pages stay unbacked; zero pages are empty words. */
    map = mmap(NULL, rc->map_len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        NG_FAIL_CLEANUP(NG_ERR_NOMEM);
    rc->words = map;
    rc->mask = (UINT64_C(1) << capacity_log2) - 1;
    rc->window =
        rc->mask < NG_REPLAY_CACHE_WINDOW ? (unsigned)rc->mask + 1 : NG_REPLAY_CACHE_WINDOW;
    NG_GUARD_CLEANUP(ng_random_bytes(key, sizeof key));
    hmac_sha256_set_key(&rc->mac, sizeof key, key);
    *out = rc;
    rc = NULL;
    status = NG_OK;
cleanup:
    explicit_bzero(key, sizeof key);
    ng_replay_cache_destroy(rc);
    return status;
}

void ng_replay_cache_destroy(struct ng_replay_cache *rc)
{
    if (rc == NULL)
        return;
    if (rc->words != NULL)
        munmap((void *)rc->words, rc->map_len);
    ng_free_secret(rc, sizeof *rc); /* wipes the HMAC key */
}

ng_status ng_replay_cache_check_and_insert(struct ng_replay_cache *rc, struct ng_slice key_material,
                                           int64_t now, int64_t expires_at)
{
    struct probe p;

    if (rc == NULL || (key_material.ptr == NULL && key_material.len != 0))
        return NG_ERR_INVALID_PARAM;
    probe_init(rc, key_material, now, expires_at, &p);
    for (;;) {
        unsigned pos = 0;
        uint64_t seen = 0;
        NG_GUARD(find_slot(rc, &p, &pos, &seen));
        /* Step (2); on failure the slot changed under us: scan again. */
        if (atomic_compare_exchange_strong(word_at(rc, &p, pos), &seen, p.pending))
            return settle_claim(rc, &p, pos);
    }
}
