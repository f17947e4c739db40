/* An in-memory, lock-free replay cache for Kerberos authenticators (RFC 4120 §3.2.3: the server
 * must refuse an authenticator it has already seen while it is within the allowed skew).
 *
 * Open addressing over a power-of-two array of 64-bit words; a word holds a 41-bit keyed
 * fingerprint of the key (29 bits from the key material, 12 naming its owner's class, below)
 * and its expiry, so a claim is one CAS. Fingerprints are HMAC-SHA256 under a per-cache random
 * key: an attacker cannot aim keys at one probe window, nor its account at another's class.
 *
 * Bounded memory (the watermarks): 8 bytes per slot, reserved at creation. When a key's probe
 * window holds no free slot an entry is evicted, and before it is removed the watermark of its
 * owner's class is raised to its expiry. A key whose expires_at falls below its class's
 * watermark can no longer be proven fresh and is refused with NG_ERR_TIME_SKEW (an evicted key
 * is one of them, so a replay is never let through). A full cache therefore never fails: under
 * overload the window of accepted expiries shrinks from the old end, and authenticators made
 * just now (expiring last) are still accepted.
 *
 * Owners (the flood): each key names its owner (the Kerberos client), hashed into one of
 * NG_REPLAY_CACHE_OWNER_CLASSES classes, each with its own watermark. A full window first gives
 * up an entry that costs nothing (expired, or already below its class's watermark), else the
 * earliest-expiring entry of the class holding most of the window. So an account flooding the
 * cache with authenticators dated up to the skew into the future (they expire last) evicts its
 * own entries and raises only its own class's watermark, past now + skew: it locks itself out
 * (and the accounts that share its class, one in 4,096), while every other account's
 * watermark stays at expiries of its own older entries, below its fresh authenticators. With
 * one watermark for all, one account could lock every Kerberos logon out while its flood lasts.
 *
 * Sizing: sustaining R inserts/s with lifetime L seconds keeps about R x L entries unexpired;
 * with 2^capacity_log2 >= 2 x R x L slots a probe window practically always holds a free or
 * expired entry, eviction takes only expired ones and the watermark stays below every unexpired
 * entry (e.g. 14k/s x 300 s -> 2^23 slots, 64 MiB). Expired entries keep their slots (see the
 * clock bound below), so a long-running busy process touches, and commits, every page; a server
 * that wants its first accepts as fast as the millionth commits them all at once
 * (ng_replay_cache_commit).
 *
 * Times are seconds on one clock the callers share (`now` and `expires_at` must agree).
 * Expiry is kept in ticks of NG_REPLAY_CACHE_GRANULARITY seconds, rounded up, so an entry may
 * outlive expires_at by up to that much (a replay is refused slightly longer, never shorter).
 * Lifetimes are clamped to [1 tick, NG_REPLAY_CACHE_MAX_LIFETIME] (authenticators are accepted
 * only within the clock skew, minutes). The clock may run indefinitely (tick arithmetic wraps).
 * Concurrent callers' `now` may disagree (a thread stalled between reading the clock and the
 * call) by up to NG_REPLAY_CACHE_MAX_LIFETIME: an expired entry keeps its slot that long, and
 * is only taken over by eviction, which raises the watermark past it.
 *
 * Thread safety: ng_replay_cache_check_and_insert, and the locate and insert it is made of, may
 * be called from any number of threads at once, with no lock. create/destroy must not race with
 * anything. */
#ifndef NEGRING_CORE_REPLAY_CACHE_H
#define NEGRING_CORE_REPLAY_CACHE_H

#include <stdint.h>

#include "slice.h"
#include "status.h"

#define NG_REPLAY_CACHE_GRANULARITY   4 /* seconds per tick */
#define NG_REPLAY_CACHE_MAX_LIFETIME  ((int64_t)NG_REPLAY_CACHE_GRANULARITY << 18) /* 12 days */
#define NG_REPLAY_CACHE_WINDOW        32 /* slots probed per key */
#define NG_REPLAY_CACHE_OWNER_CLASSES (1u << 12)

struct ng_replay_cache;

/* 2^capacity_log2 entries, capacity_log2 in 1..32. Memory is reserved, not committed: only
 * pages that entries land on cost RAM (8 bytes per entry). The caller owns *out and frees it
 * with ng_replay_cache_destroy. */
ng_status ng_replay_cache_create(struct ng_replay_cache **out, unsigned capacity_log2);

/* Backs every page now (huge pages where the kernel gives them; a few milliseconds for 32 MiB),
 * so that no accept pays a page fault. Idempotent; may run beside check_and_insert. */
void ng_replay_cache_commit(struct ng_replay_cache *rc);

/* NULL is a no-op. */
void ng_replay_cache_destroy(struct ng_replay_cache *rc);

/* NG_OK: first time seen, now recorded until expires_at (inclusive; seconds, same clock as now).
 * `owner` names who the key belongs to (the client principal); it must be a function of the
 * key material, as the client named inside an authenticator is of its ciphertext.
 * NG_ERR_REPLAY: seen before and not expired. NG_ERR_TIME_SKEW: expires_at is below the
 * watermark (the key may have been seen and evicted). NG_ERR_FULL: every slot of the probe
 * window is held by a call in progress (needs 32 concurrent calls on one window; the caller
 * fails closed). Of concurrent calls with the same key, at most one returns NG_OK.
 * Replays are refused when every attempt with a key passes the same expires_at (or an earlier
 * one), as the Kerberos acceptor does (authenticator time + skew), lifetimes are within
 * NG_REPLAY_CACHE_MAX_LIFETIME and callers' clocks within the bound above. An expires_at not
 * after now records the key for one tick (unless below the watermark). key_material is only
 * read during the call. */
ng_status ng_replay_cache_check_and_insert(struct ng_replay_cache *rc, struct ng_slice key_material,
                                           struct ng_slice owner, int64_t now, int64_t expires_at);

/* Where a key lives in the cache and the fingerprint that records it (the two keyed hashes of
 * ng_replay_cache_check_and_insert), made before the call that inserts it. */
struct ng_replay_key {
    uint64_t start; /* first slot of the key's probe window */
    uint64_t fp;    /* key hash and owner class, in place in the word */
    unsigned cls;   /* owner class */
};

/* ng_replay_cache_check_and_insert in two steps, for a caller with other work to do in between:
 * ng_replay_cache_locate hashes the key and its owner and starts loading the key's probe window
 * into the CPU's cache, so that the check does not wait for memory (a probe window is a random
 * place in tens of megabytes: one miss to DRAM, a twentieth of a cached Kerberos accept). The
 * insert then has ng_replay_cache_check_and_insert's contract for the key and owner located.
 * `key` holds no key material, only what the cache's own words hold. */
void ng_replay_cache_locate(const struct ng_replay_cache *rc, struct ng_slice key_material,
                            struct ng_slice owner, struct ng_replay_key *key);
/* The same for an owner whose class `cls` the caller kept (ng_replay_cache_owner_class of the
 * owner the key belongs to): a caller locating many keys of one owner hashes its name once. */
void ng_replay_cache_locate_in_class(const struct ng_replay_cache *rc, struct ng_slice key_material,
                                     unsigned cls, struct ng_replay_key *key);
ng_status ng_replay_cache_check_and_insert_located(struct ng_replay_cache *rc,
                                                   const struct ng_replay_key *key, int64_t now,
                                                   int64_t expires_at);

/* `owner`'s keys with expires_at before this many seconds are refused with NG_ERR_TIME_SKEW;
 * INT64_MIN until the first eviction from its class. It only rises. For tests and monitoring
 * (how far overload has cut into the accepted window): a racy snapshot. */
int64_t ng_replay_cache_watermark(struct ng_replay_cache *rc, struct ng_slice owner);

/* The class `owner` falls in (0 .. NG_REPLAY_CACHE_OWNER_CLASSES - 1): owners sharing one share
 * a watermark. For tests. */
unsigned ng_replay_cache_owner_class(const struct ng_replay_cache *rc, struct ng_slice owner);

#endif
