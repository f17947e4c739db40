/* An in-memory, lock-free replay cache for Kerberos authenticators (RFC 4120 §3.2.3: the server
 * must refuse an authenticator it has already seen while it is within the allowed skew).
 *
 * Open addressing over a power-of-two array of 64-bit words; a word holds a 39-bit keyed
 * fingerprint of the key material and its expiry, so a claim is one CAS. Entries are keyed by
 * HMAC-SHA256 under a per-cache random key: an attacker cannot aim keys at one probe window.
 *
 * Times are seconds on any one clock the caller chooses (`now` and `expires_at` must agree).
 * Expiry is kept in ticks of NG_REPLAY_CACHE_GRANULARITY seconds, rounded up, so an entry may
 * outlive expires_at by up to that much (a replay is refused slightly longer, never shorter).
 * Lifetimes are clamped to [1 tick, NG_REPLAY_CACHE_MAX_LIFETIME] (authenticators are accepted
 * only within the clock skew, minutes). The clock may run indefinitely (tick arithmetic wraps),
 * and concurrent callers' `now` may disagree by up to NG_REPLAY_CACHE_MAX_LIFETIME.
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
 * pages that entries land on cost RAM (8 bytes per entry at most). The caller owns *out and
 * frees it with ng_replay_cache_destroy. */
ng_status ng_replay_cache_create(struct ng_replay_cache **out, unsigned capacity_log2);

/* NULL is a no-op. */
void ng_replay_cache_destroy(struct ng_replay_cache *rc);

/* NG_OK: first time seen, now recorded until expires_at (seconds, same clock as now).
 * NG_ERR_REPLAY: seen before and not expired. NG_ERR_FULL: no room in the probe window (caller
 * fails closed). Of concurrent calls with the same key, at most one returns NG_OK; if none does,
 * the key was already recorded or every call got NG_ERR_FULL. An expires_at not after now still
 * records the key for one tick. key_material is only read during the call. */
ng_status ng_replay_cache_check_and_insert(struct ng_replay_cache *rc, struct ng_slice key_material,
                                           int64_t now, int64_t expires_at);

#endif
