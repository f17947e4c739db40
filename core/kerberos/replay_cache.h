/* An in-memory, lock-free replay cache for Kerberos authenticators (RFC 4120 §3.2.3: the server
 * must refuse an authenticator it has already seen while it is within the allowed skew).
 *
 * Open addressing over a power-of-two array of 64-bit words; a word holds a 39-bit keyed
 * fingerprint of the key material and its expiry, so a claim is one CAS. Entries are keyed by
 * HMAC-SHA256 under a per-cache random key: an attacker cannot aim keys at one probe window.
 *
 * Bounded memory (the watermark): 8 bytes per slot, reserved at creation. When a key's probe
 * window holds no free slot, the entry with the earliest expiry is evicted, and before it is
 * removed a cache-wide watermark is raised to that expiry. A key whose expires_at falls below
 * the watermark can no longer be proven fresh and is refused with NG_ERR_TIME_SKEW (an evicted
 * key is one of them, so a replay is never let through). A full cache therefore never fails:
 * under overload the window of accepted expiries shrinks from the old end, and authenticators
 * made just now (expiring last) are still accepted.
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
 * Thread safety: ng_replay_cache_check_and_insert may be called from any number of threads at
 * once, with no lock. create/destroy must not race with anything. */
#ifndef NEGRING_CORE_REPLAY_CACHE_H
#define NEGRING_CORE_REPLAY_CACHE_H

#include <stdint.h>

#include "slice.h"
#include "status.h"

#define NG_REPLAY_CACHE_GRANULARITY  4 /* seconds per tick */
#define NG_REPLAY_CACHE_MAX_LIFETIME ((int64_t)NG_REPLAY_CACHE_GRANULARITY << 20) /* 48.5 days */
#define NG_REPLAY_CACHE_WINDOW       32 /* slots probed per key */

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
                                           int64_t now, int64_t expires_at);

/* Keys with expires_at before this many seconds are refused with NG_ERR_TIME_SKEW; INT64_MIN
 * until the first eviction. It only rises. For tests and monitoring (how far overload has cut
 * into the accepted window): a racy snapshot. */
int64_t ng_replay_cache_watermark(struct ng_replay_cache *rc);

#endif
