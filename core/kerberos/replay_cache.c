/* Lock-free replay cache: see replay_cache.h for the contract.
 *
 * Word layout (0 = empty):
 *   key hash (29 bits) | owner class (12) | PENDING (1) | expiry tick mod 2^22 (22)
 * The first two together are the fingerprint (41 bits, never 0): a key's owner is a function of
 * the key, so a replay matches both. Keys of different owners tell apart by 41 bits, keys of one
 * owner (or class) by 29: a false replay needs 32 of that owner's entries in one window and
 * then comes once in ~2^24 inserts, where one account alone overfills the cache.
 * Seen from a caller's now, a confirmed entry whose expiry is 1..LIVE_SPAN ticks ahead is
 * unexpired; one that expired less than GRACE ticks ago is held: no longer a replay, but it keeps
 * its slot, so a caller whose clock lags by up to GRACE still finds it. Older entries' slots are
 * free. A PENDING word is always held: a claim in progress is never taken over (its owner's
 * clock may lag ours). Lifetimes are at most MAX_LIFE = LIVE_SPAN / 2 ticks, so a caller whose
 * clock is behind by up to MAX_LIFE still sees every unexpired entry. An entry never overwritten
 * reads as unexpired again only ~170 days after it expired, for at most ~36 days (then held):
 * it holds a slot and refuses its own key, and if evicted raises the watermark no further than
 * evicting a real entry of its window would.
 *
 * Claiming: a key's window is the WINDOW slots from its hashed start; all callers with the same
 * key walk it in the same order. A call (1) scans the window: an unexpired or pending entry with
 * our fingerprint means NG_ERR_REPLAY; else it picks the first free slot, or if there is none
 * a confirmed entry (eviction: choose_victim) and raises the watermark of the victim's class to
 * its expiry (to our now for an expired one: higher, and still below every key we would
 * accept); (2) claims the slot with one CAS to a PENDING word; (3) scans
 * the window again for other entries with our fingerprint: one earlier in the window, or any
 * confirmed one, makes us withdraw (NG_ERR_REPLAY); a pending one later in the window is cleared
 * by CAS; (4) CASes PENDING off, which fails if a racer earlier in the window cleared our claim;
 * (5) on success re-reads our class's watermark, and refuses (NG_ERR_TIME_SKEW, entry kept) if it
 * has reached our expiry. Step (1) alone is not enough because racers may disagree on which slots
 * are free (different `now`) and so claim different slots.
 * At most one winner without eviction: if claims A (earlier) and B (later) both confirm, B's
 * step (3) read of A's slot preceded A's claim, so A's step (3) saw B's claim and either cleared
 * it (B's step (4) fails) or found it confirmed (A withdraws).
 * Eviction: every removal of a confirmed entry E (other than by a caller whose clock is GRACE
 * past E's expiry) is preceded by raising the watermark of E's class to at least E's expiry.
 * Every call with E's key has E's owner, so reads that class's watermark. A call whose
 * scans miss E because it was evicted read a word written after that raise, so its step (5)
 * sees it and refuses E's key; and if two calls with one key both passed step (5), no entry of
 * that key was evicted before either finished, so the argument above holds. This is a
 * store-then-load (Dekker) argument, so every access to the words and the watermark is seq_cst;
 * on x86-64 and ARMv8 seq_cst loads cost the same as acquire loads and the CASes are full
 * barriers anyway. No other memory is published through them. */
#include "replay_cache.h"

#include "alloc.h"
#include "random.h"
#include "table_pages.h"

#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#define TICK      NG_REPLAY_CACHE_GRANULARITY
#define EXP_BITS  22
#define EXP_MASK  ((UINT64_C(1) << EXP_BITS) - 1)
#define MAX_LIFE  (INT64_C(1) << 18)
#define LIVE_SPAN (MAX_LIFE * 2)
#define GRACE     MAX_LIFE
#define HELD_SPAN (GRACE + LIVE_SPAN)
#define PENDING   (UINT64_C(1) << EXP_BITS)
#define FP_SHIFT  (EXP_BITS + 1)
#define FP_FIELD  (~UINT64_C(0) << FP_SHIFT)
#define CLASSES   NG_REPLAY_CACHE_OWNER_CLASSES
#define KEY_SHIFT (FP_SHIFT + 12) /* the key hash, above the owner class */

_Static_assert(MAX_LIFE *TICK == NG_REPLAY_CACHE_MAX_LIFETIME, "header and layout disagree");
_Static_assert(HELD_SPAN < (INT64_C(1) << (EXP_BITS - 1)), "held span must stay below half");
_Static_assert(CLASSES == UINT64_C(1) << (KEY_SHIFT - FP_SHIFT), "owner class field");

struct ng_replay_cache {
    /* Per owner class, an absolute tick: the class's keys whose expiry tick is not after it
     * are refused. Only rise. Apart from the fields below, which only creation writes. */
    _Atomic int64_t *watermarks;
    _Atomic uint64_t *words; /* table_pages.h, 2^capacity_log2 words */
    atomic_flag committed;   /* ng_replay_cache_commit has run */
    size_t map_len;
    uint64_t mask;
    unsigned window;
    struct hmac_sha256_ctx mac; /* keyed once at creation; each call hashes with a copy */
};

/* Where a key lives and the word that records it. */
struct probe {
    uint64_t start;
    uint64_t fp; /* in place in the FP_FIELD: key hash and owner class */
    unsigned cls;
    int64_t now_tick;
    int64_t end_tick; /* first tick after expires_at, unclamped: what the watermark is held to */
    uint64_t pending; /* fp | PENDING | expiry: the claim word */
};

/* The slot step (1) chose: its position, the word seen there, and for an eviction the class
 * whose watermark must reach a tick before the word is replaced. */
struct choice {
    unsigned pos;
    uint64_t seen;
    bool evict;
    unsigned raise_class;
    int64_t raise_to;
};

/* The confirmed entries step (1) saw in a window without a free slot. */
struct candidate {
    unsigned pos;
    uint64_t word, offset;
};

static int64_t tick_floor(int64_t t)
{
    return t / TICK - (t % TICK < 0);
}

/* The word's expiry seen from now_tick, shifted so that a confirmed entry is held (unexpired,
 * or expired less than GRACE ago) iff this is below HELD_SPAN, and unexpired iff it is also at
 * least GRACE. It orders held entries by expiry. */
static uint64_t expiry_offset(uint64_t word, int64_t now_tick)
{
    return (word + (GRACE - 1) - (uint64_t)now_tick) & EXP_MASK;
}

/* Not free: a claim in progress, or a held confirmed entry. */
static bool is_held(uint64_t word, uint64_t offset)
{
    return word != 0 && ((word & PENDING) || offset < HELD_SPAN);
}

/* An entry of our key that makes us a replay: a claim in progress or an unexpired entry. */
static bool is_ours(uint64_t word, const struct probe *p)
{
    if ((word & FP_FIELD) != p->fp)
        return false;
    uint64_t offset = expiry_offset(word, p->now_tick);
    return (word & PENDING) || (offset >= GRACE && offset < HELD_SPAN);
}

static unsigned class_of_word(uint64_t word)
{
    return (unsigned)(word >> FP_SHIFT) & (CLASSES - 1);
}

static unsigned owner_class(const struct ng_replay_cache *rc, struct ng_slice owner)
{
    static const uint8_t domain = 'o'; /* apart from key material hashed under the same key */
    struct hmac_sha256_ctx ctx = rc->mac;
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint32_t cls;
    hmac_sha256_update(&ctx, 1, &domain);
    if (owner.len > 0)
        hmac_sha256_update(&ctx, owner.len, owner.ptr);
    hmac_sha256_digest(&ctx, sizeof digest, digest);
    memcpy(&cls, digest, sizeof cls);
    explicit_bzero(&ctx, sizeof ctx);
    return cls & (CLASSES - 1);
}

static _Atomic uint64_t *word_at(struct ng_replay_cache *rc, const struct probe *p, unsigned i)
{
    return &rc->words[(p->start + i) & rc->mask];
}

void ng_replay_cache_locate(const struct ng_replay_cache *rc, struct ng_slice key_material,
                            struct ng_slice owner, struct ng_replay_key *key)
{
    ng_replay_cache_locate_in_class(rc, key_material, owner_class(rc, owner), key);
}

void ng_replay_cache_locate_in_class(const struct ng_replay_cache *rc, struct ng_slice key_material,
                                     unsigned cls, struct ng_replay_key *key)
{
    struct hmac_sha256_ctx ctx = rc->mac;
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint64_t fp, start;

    if (key_material.len > 0)
        hmac_sha256_update(&ctx, key_material.len, key_material.ptr);
    hmac_sha256_digest(&ctx, sizeof digest, digest);
    memcpy(&fp, digest, sizeof fp);
    memcpy(&start, digest + 8, sizeof start);
    explicit_bzero(&ctx, sizeof ctx);
    explicit_bzero(digest, sizeof digest);

    key->cls = cls & (CLASSES - 1);
    fp &= ~UINT64_C(0) << KEY_SHIFT;
    if (fp == 0)
        fp = UINT64_C(1) << KEY_SHIFT;
    key->fp = fp | (uint64_t)key->cls << FP_SHIFT;
    key->start = start & rc->mask;
    /* The window's words: a read now, so the check finds them in the cache. */
    for (unsigned i = 0; i < rc->window; i += 64 / sizeof(uint64_t))
        __builtin_prefetch((const void *)&rc->words[(key->start + i) & rc->mask], 1);
    __builtin_prefetch((const void *)&rc->words[(key->start + rc->window - 1) & rc->mask], 1);
}

static void probe_init(const struct ng_replay_cache *rc, const struct ng_replay_key *key,
                       int64_t now, int64_t expires_at, struct probe *p)
{
    int64_t now_tick = tick_floor(now);
    int64_t end_tick = tick_floor(expires_at) + 1; /* both within ±2^62: no overflow */
    int64_t life = end_tick - now_tick;

    if (life < 1)
        life = 1;
    if (life > MAX_LIFE)
        life = MAX_LIFE;
    p->start = key->start & rc->mask;
    p->fp = key->fp;
    p->cls = key->cls;
    p->now_tick = now_tick;
    p->end_tick = end_tick;
    p->pending = p->fp | PENDING | ((uint64_t)(now_tick + life) & EXP_MASK);
}

/* The tick an evicted entry's class's watermark must reach: its expiry, or now if it has
 * expired (higher, and still below every key we would accept). */
static int64_t raise_tick(const struct probe *p, uint64_t offset)
{
    return p->now_tick + (offset >= GRACE ? (int64_t)(offset - GRACE) + 1 : 0);
}

static struct choice evict(const struct probe *p, const struct candidate *v)
{
    return (struct choice){.pos = v->pos,
                           .seen = v->word,
                           .evict = true,
                           .raise_class = class_of_word(v->word),
                           .raise_to = raise_tick(p, v->offset)};
}

/* Which entry of a full window goes. First one that costs nothing: expired, or already below its
 * class's watermark (its key is refused as too old anyway). Else the earliest-expiring entry of
 * the class holding the most entries of the window: whoever fills the cache pays with its own
 * watermark, so an account flooding it (say with authenticators dated up to the skew into the
 * future, which expire last) raises its own and no other's. Without a flood every class holds
 * one or two entries and this is the earliest-expiring entry, as the window shrinks from its
 * old end. */
static struct choice choose_victim(struct ng_replay_cache *rc, const struct probe *p,
                                   const struct candidate *v, unsigned n)
{
    unsigned best = 0, best_count = 0;
    for (unsigned i = 0; i < n; i++) {
        struct choice c = evict(p, &v[i]);
        if (v[i].offset < GRACE || atomic_load(&rc->watermarks[c.raise_class]) >= c.raise_to)
            return c;
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned count = 0;
        for (unsigned j = 0; j < n; j++)
            count += class_of_word(v[j].word) == class_of_word(v[i].word);
        if (count > best_count || (count == best_count && v[i].offset < v[best].offset))
            best = i, best_count = count;
    }
    return evict(p, &v[best]);
}

/* Step (1): NG_ERR_REPLAY, NG_ERR_FULL (every word a claim in progress), or NG_OK with the
 * first free slot, else the entry choose_victim picks. */
static ng_status find_slot(struct ng_replay_cache *rc, const struct probe *p, struct choice *c)
{
    struct candidate held[NG_REPLAY_CACHE_WINDOW];
    unsigned n = 0;
    bool found = false;

    for (unsigned i = 0; i < rc->window; i++) {
        uint64_t w = atomic_load(word_at(rc, p, i));
        uint64_t offset = expiry_offset(w, p->now_tick);
        if (is_ours(w, p))
            return NG_ERR_REPLAY;
        if (!is_held(w, offset)) {
            if (!found)
                *c = (struct choice){.pos = i, .seen = w};
            found = true;
        } else if (!(w & PENDING)) {
            held[n++] = (struct candidate){i, w, offset};
        }
    }
    if (found)
        return NG_OK;
    if (n == 0)
        return NG_ERR_FULL;
    *c = choose_victim(rc, p, held, n);
    return NG_OK;
}

/* Atomic max; a no-op when the watermark is already there (the load orders us after it). */
static void raise_watermark(struct ng_replay_cache *rc, unsigned cls, int64_t tick)
{
    _Atomic int64_t *mark = &rc->watermarks[cls];
    int64_t cur = atomic_load(mark);
    while (cur < tick && !atomic_compare_exchange_weak(mark, &cur, tick)) {
    }
}

/* Step (3), with our PENDING word at window position `mine`. */
static ng_status verify_claim(struct ng_replay_cache *rc, const struct probe *p, unsigned mine)
{
    for (unsigned i = 0; i < rc->window; i++) {
        _Atomic uint64_t *word = word_at(rc, p, i);
        uint64_t w = atomic_load(word);
        if (i == mine)
            continue;
        while (is_ours(w, p)) {
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

/* Below its class's watermark a key may have been evicted: it cannot be proven fresh. */
static bool is_stale(struct ng_replay_cache *rc, const struct probe *p)
{
    return p->end_tick <= atomic_load(&rc->watermarks[p->cls]);
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
    rc->watermarks = ng_alloc(sizeof(*rc->watermarks) * CLASSES);
    if (rc->watermarks == NULL)
        NG_FAIL_CLEANUP(NG_ERR_NOMEM);
    for (unsigned i = 0; i < CLASSES; i++)
        atomic_init(&rc->watermarks[i], INT64_MIN);
    rc->map_len = sizeof(uint64_t) << capacity_log2;
    /* Zero words are empty; the pages are backed by ng_replay_cache_commit. */
    map = ng_table_pages_map(rc->map_len, false);
    if (map == NULL)
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

void ng_replay_cache_commit(struct ng_replay_cache *rc)
{
    if (!atomic_flag_test_and_set(&rc->committed))
        ng_table_pages_back((void *)rc->words, rc->map_len);
}

void ng_replay_cache_destroy(struct ng_replay_cache *rc)
{
    if (rc == NULL)
        return;
    ng_table_pages_unmap((void *)rc->words, rc->map_len);
    ng_free((void *)rc->watermarks);
    ng_free_secret(rc, sizeof *rc); /* wipes the HMAC key */
}

ng_status ng_replay_cache_check_and_insert(struct ng_replay_cache *rc, struct ng_slice key_material,
                                           struct ng_slice owner, int64_t now, int64_t expires_at)
{
    struct ng_replay_key key;

    if (rc == NULL || (key_material.ptr == NULL && key_material.len != 0) ||
        (owner.ptr == NULL && owner.len != 0))
        return NG_ERR_INVALID_PARAM;
    ng_replay_cache_locate(rc, key_material, owner, &key);
    return ng_replay_cache_check_and_insert_located(rc, &key, now, expires_at);
}

ng_status ng_replay_cache_check_and_insert_located(struct ng_replay_cache *rc,
                                                   const struct ng_replay_key *key, int64_t now,
                                                   int64_t expires_at)
{
    struct probe p;
    ng_status status;

    if (rc == NULL || key == NULL || key->fp == 0 || key->cls >= CLASSES)
        return NG_ERR_INVALID_PARAM;
    probe_init(rc, key, now, expires_at, &p);
    if (is_stale(rc, &p))
        return NG_ERR_TIME_SKEW; /* early out; step (5) is what makes it safe */
    for (;;) {
        struct choice c;
        NG_GUARD(find_slot(rc, &p, &c));
        if (c.evict)
            raise_watermark(rc, c.raise_class, c.raise_to); /* before the entry goes */
        /* Step (2); on failure the slot changed under us: scan again. */
        if (atomic_compare_exchange_strong(word_at(rc, &p, c.pos), &c.seen, p.pending)) {
            status = settle_claim(rc, &p, c.pos);
            break;
        }
    }
    if (status == NG_OK && is_stale(rc, &p))
        return NG_ERR_TIME_SKEW; /* step (5): raced with the eviction of our key, or overload */
    return status;
}

int64_t ng_replay_cache_watermark(struct ng_replay_cache *rc, struct ng_slice owner)
{
    int64_t tick = atomic_load(&rc->watermarks[owner_class(rc, owner)]);
    if (tick <= INT64_MIN / TICK)
        return INT64_MIN;
    if (tick >= INT64_MAX / TICK)
        return INT64_MAX;
    return tick * TICK;
}

unsigned ng_replay_cache_owner_class(const struct ng_replay_cache *rc, struct ng_slice owner)
{
    return owner_class(rc, owner);
}
