/* A lock-free table of SSPI handles (a SecHandle is two uintptr_t: dwLower, dwUpper). One table
 * per handle kind (credentials, contexts); each handle names a slot and its generation, so a
 * stale, forged or wrong-kind handle is refused with NG_ERR_INVALID_HANDLE and never reaches an
 * object.
 *
 * Handle layout (64-bit uintptr_t only):
 *   lower = kind tag (8 bits) | slot index (24 bits) | slot generation (32 bits, never 0)
 *   upper = first 64 bits of AES-128(per-table random key, lower): a MAC over `lower`.
 * {0, 0} and {~0, ~0} (SecInvalidateHandle) are never valid. A generation repeats only after a
 * slot has been reused 2^32 - 1 times.
 *
 * Thread safety: every function except ng_table_create and ng_table_destroy may be called from
 * any number of threads at once, with no lock. ng_table_destroy must not race with anything. */
#ifndef NEGRING_CORE_HANDLE_TABLE_H
#define NEGRING_CORE_HANDLE_TABLE_H

#include <negring/sspi.h>
#include <stdatomic.h>
#include <stdint.h>

#include "status.h"

/* The index field is 24 bits wide. */
#define NG_TABLE_MAX_ENTRIES (UINT32_C(1) << 24)

struct ng_handle {
    uintptr_t lower, upper;
};

struct ng_table;

/* Called exactly once per inserted object: when it was removed and its last reference released,
 * or from ng_table_destroy. May call back into the table (e.g. remove another handle). */
typedef void (*ng_table_destroy_fn)(void *obj);

/* max_entries: 1..NG_TABLE_MAX_ENTRIES. Slot memory is allocated lazily, 4096 slots at a time,
 * so a large limit costs nothing until used. destroy may be NULL. The caller owns *out and frees
 * it with ng_table_destroy. */
ng_status ng_table_create(struct ng_table **out, uint8_t kind_tag, uint32_t max_entries,
                          ng_table_destroy_fn destroy);

/* Calls destroy on every object still in the table (removed or not, referenced or not), then
 * frees the table. NULL is a no-op. */
void ng_table_destroy(struct ng_table *t);

/* Takes ownership of obj (non-NULL) on NG_OK only. NG_ERR_FULL when max_entries objects occupy
 * slots (an object occupies its slot until it is destroyed); NG_ERR_NOMEM if a new segment of
 * slots could not be allocated. */
ng_status ng_table_insert(struct ng_table *t, void *obj, struct ng_handle *out);

/* Looks up and takes a reference: *obj stays valid until the matching ng_table_release.
 * NG_ERR_INVALID_HANDLE for a stale (removed), forged, out-of-range, or wrong-kind handle. */
ng_status ng_table_acquire(struct ng_table *t, struct ng_handle h, void **obj);

/* Drops a reference taken by ng_table_acquire; may destroy the object. Ignores handles that
 * hold no reference. */
void ng_table_release(struct ng_table *t, struct ng_handle h);

/* Marks the entry removed: later acquires fail; the object is destroyed when the last reference
 * is released (or now if none). NG_ERR_INVALID_HANDLE if already removed/invalid. */
ng_status ng_table_remove(struct ng_table *t, struct ng_handle h);

/* The table in `*slot`, made on first use and installed with a CAS, so a failed allocation is
 * retried by the next caller instead of leaving the process without handles (the loser of a
 * race frees its copy). NULL only if it could not be allocated. Owners keep their table in a
 * static slot and hand it their destructor: the table never names the objects it holds. */
struct ng_table *ng_table_get(_Atomic(struct ng_table *) *slot, uint8_t kind_tag,
                              uint32_t max_entries, ng_table_destroy_fn destroy);

/* The SSPI handle as the table's, and back. */
static inline struct ng_handle ng_handle_of(const SecHandle *h)
{
    return (struct ng_handle){h->dwLower, h->dwUpper};
}

static inline void ng_handle_to_sec(struct ng_handle h, SecHandle *out)
{
    out->dwLower = h.lower;
    out->dwUpper = h.upper;
}

/* Objects inserted and not yet destroyed (a snapshot under concurrency). */
uint32_t ng_table_live_count(const struct ng_table *t);

#endif
