/* Lock-free handle table: see handle_table.h for the handle layout.
 *
 * Slots live in segments of 4096, allocated on first use and installed with a CAS; a segment is
 * never freed before ng_table_destroy, so a slot pointer stays valid for the table's lifetime
 * and a racing (or forged) lookup can always read a slot's state word safely.
 *
 * Each slot's life is carried by one 64-bit atomic state word:
 *   generation (32) | LIVE (1) | references (31)
 * - insert: the slot is private (popped from the free stack or fresh), so it stores obj, then
 *   publishes (gen + 1) | LIVE with a release store.
 * - acquire: CAS refs + 1 while gen matches and LIVE is set (acquire: pairs with the insert's
 *   release, so the obj pointer read afterwards is the inserted one).
 * - remove: CAS LIVE off while gen matches and LIVE is set; the remover destroys if refs was 0.
 * - release: CAS refs - 1 while gen matches and refs > 0; the releaser destroys if that left
 *   the word at gen | !LIVE | 0.
 * remove and release use acq_rel: every holder's use of the object happens before its release
 * (release half) and the destroying party sees all of them (acquire half). Exactly one CAS moves
 * a word to "gen, not LIVE, no references", and only its author destroys the object. Nothing
 * else ever CASes that word (every operation above needs LIVE or refs > 0) until the destroyer
 * has pushed the slot on the free stack (release) and an inserter popped it (acquire).
 *
 * The free stack is a Treiber stack of slot indices whose 64-bit head also carries a 32-bit
 * modification counter, so a pop that read a stale `next` fails its CAS (ABA). */
#include "handle_table.h"

#include "alloc.h"
#include "random.h"

#include <nettle/aes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

_Static_assert(sizeof(uintptr_t) == 8, "the handle layout needs a 64-bit uintptr_t");

#define SEG_LOG2     12
#define SEG_SLOTS    (UINT32_C(1) << SEG_LOG2)
#define INDEX_MASK   (NG_TABLE_MAX_ENTRIES - 1)
#define FREE_NIL     UINT32_MAX
#define ST_LIVE      (UINT64_C(1) << 31)
#define ST_REFS_MASK (ST_LIVE - 1)

struct slot {
    _Atomic uint64_t state;
    _Atomic uint32_t next_free; /* free-stack link, meaningful only while on the stack */
    void *obj;                  /* written only while the slot is private (see top comment) */
};

struct ng_table {
    _Atomic uint64_t free_head;  /* counter (32) | top slot index, FREE_NIL when empty */
    _Atomic uint32_t high_water; /* slots [0, high_water) have been handed out at least once */
    _Atomic uint32_t live;
    uint32_t max_entries;
    uint32_t nsegments;
    uint8_t kind;
    ng_table_destroy_fn destroy;
    struct aes128_ctx mac_key;
    _Atomic(struct slot *) *segments; /* nsegments entries, NULL until first use */
};

static inline uint32_t state_gen(uint64_t state)
{
    return (uint32_t)(state >> 32);
}

/* Only for indices below high_water or taken from the free stack: their segment exists. */
static struct slot *slot_at(struct ng_table *t, uint32_t index)
{
    struct slot *seg = atomic_load_explicit(&t->segments[index >> SEG_LOG2], memory_order_acquire);
    return &seg[index & (SEG_SLOTS - 1)];
}

/* dwUpper: a PRF of dwLower under the table's secret key, so handles cannot be guessed and a
 * handle from another table (another key) is refused. */
static uint64_t handle_mac(const struct ng_table *t, uint64_t lower)
{
    uint8_t block[AES_BLOCK_SIZE] = {0}, out[AES_BLOCK_SIZE];
    uint64_t mac;
    memcpy(block, &lower, sizeof lower);
    aes128_encrypt(&t->mac_key, AES_BLOCK_SIZE, out, block);
    memcpy(&mac, out, sizeof mac);
    return mac;
}

static struct ng_handle make_handle(const struct ng_table *t, uint32_t index, uint32_t gen)
{
    uint64_t lower = (uint64_t)t->kind << 56 | (uint64_t)index << 32 | gen;
    return (struct ng_handle){lower, handle_mac(t, lower)};
}

/* Checks everything a handle says about itself; the generation is checked against the slot
 * state by the caller, atomically with its state change. */
static ng_status lookup(struct ng_table *t, struct ng_handle h, struct slot **s, uint32_t *index,
                        uint32_t *gen)
{
    uint64_t lower = h.lower;
    struct slot *seg;

    *index = (uint32_t)(lower >> 32) & INDEX_MASK;
    *gen = (uint32_t)lower;
    if ((uint8_t)(lower >> 56) != t->kind || *gen == 0 || *index >= t->max_entries)
        return NG_ERR_INVALID_HANDLE;
    if (h.upper != handle_mac(t, lower))
        return NG_ERR_INVALID_HANDLE;
    seg = atomic_load_explicit(&t->segments[*index >> SEG_LOG2], memory_order_acquire);
    if (seg == NULL)
        return NG_ERR_INVALID_HANDLE;
    *s = &seg[*index & (SEG_SLOTS - 1)];
    return NG_OK;
}

static bool free_pop(struct ng_table *t, uint32_t *index)
{
    /* acquire: the popped slot's link and its destroyer's writes happen before our use. */
    uint64_t head = atomic_load_explicit(&t->free_head, memory_order_acquire);
    for (;;) {
        uint32_t top = (uint32_t)head;
        if (top == FREE_NIL)
            return false;
        /* May read a link rewritten by a racing pop/push: then the counter moved and the CAS
         * fails. The slot itself is never freed, so the read is safe. */
        uint32_t next = atomic_load_explicit(&slot_at(t, top)->next_free, memory_order_relaxed);
        uint64_t desired = ((head >> 32) + 1) << 32 | next;
        if (atomic_compare_exchange_weak_explicit(&t->free_head, &head, desired,
                                                  memory_order_acquire, memory_order_acquire)) {
            *index = top;
            return true;
        }
    }
}

static void free_push(struct ng_table *t, uint32_t index)
{
    struct slot *s = slot_at(t, index);
    uint64_t head = atomic_load_explicit(&t->free_head, memory_order_relaxed);
    do {
        atomic_store_explicit(&s->next_free, (uint32_t)head, memory_order_relaxed);
    } while (!atomic_compare_exchange_weak_explicit(&t->free_head, &head,
                                                    ((head >> 32) + 1) << 32 | index,
                                                    memory_order_release, memory_order_relaxed));
}

static ng_status ensure_segment(struct ng_table *t, uint32_t seg)
{
    struct slot *fresh, *expected = NULL;

    if (atomic_load_explicit(&t->segments[seg], memory_order_acquire) != NULL)
        return NG_OK;
    fresh = ng_alloc(SEG_SLOTS * sizeof *fresh); /* zeroed: generation 0, not LIVE */
    if (fresh == NULL)
        return NG_ERR_NOMEM;
    /* release: the zeroed slots are visible to whoever loads the pointer (acquire). */
    if (!atomic_compare_exchange_strong_explicit(&t->segments[seg], &expected, fresh,
                                                 memory_order_acq_rel, memory_order_acquire))
        ng_free(fresh); /* another thread installed this segment first */
    return NG_OK;
}

/* A private slot: recycled from the free stack, or the next never-used one. The segment is
 * installed before high_water moves past an index, so a failed allocation consumes nothing. */
static ng_status take_slot(struct ng_table *t, uint32_t *index)
{
    uint32_t hw;

    if (free_pop(t, index))
        return NG_OK;
    hw = atomic_load_explicit(&t->high_water, memory_order_relaxed);
    do {
        if (hw >= t->max_entries)
            return free_pop(t, index) ? NG_OK : NG_ERR_FULL;
        NG_GUARD(ensure_segment(t, hw >> SEG_LOG2));
    } while (!atomic_compare_exchange_weak_explicit(&t->high_water, &hw, hw + 1,
                                                    memory_order_relaxed, memory_order_relaxed));
    *index = hw;
    return NG_OK;
}

/* Called by the one party whose CAS left the slot at gen | !LIVE | 0 references. */
static void retire(struct ng_table *t, struct slot *s, uint32_t index)
{
    void *obj = s->obj;

    s->obj = NULL;
    if (t->destroy != NULL)
        t->destroy(obj);
    atomic_fetch_sub_explicit(&t->live, 1, memory_order_relaxed);
    free_push(t, index);
}

ng_status ng_table_create(struct ng_table **out, uint8_t kind_tag, uint32_t max_entries,
                          ng_table_destroy_fn destroy)
{
    ng_status status;
    struct ng_table *t = NULL;
    uint8_t key[16];

    if (out == NULL || max_entries == 0 || max_entries > NG_TABLE_MAX_ENTRIES)
        return NG_ERR_INVALID_PARAM;
    *out = NULL;
    t = ng_alloc(sizeof *t);
    if (t == NULL)
        return NG_ERR_NOMEM;
    t->nsegments = (max_entries + SEG_SLOTS - 1) >> SEG_LOG2;
    t->segments = ng_alloc(t->nsegments * sizeof *t->segments);
    if (t->segments == NULL)
        NG_FAIL_CLEANUP(NG_ERR_NOMEM);
    NG_GUARD_CLEANUP(ng_random_bytes(key, sizeof key));
    aes128_set_encrypt_key(&t->mac_key, key);
    for (uint32_t i = 0; i < t->nsegments; i++)
        atomic_init(&t->segments[i], NULL);
    atomic_init(&t->free_head, (uint64_t)FREE_NIL);
    atomic_init(&t->high_water, 0);
    atomic_init(&t->live, 0);
    t->max_entries = max_entries;
    t->kind = kind_tag;
    t->destroy = destroy;
    *out = t;
    t = NULL;
    status = NG_OK;
cleanup:
    explicit_bzero(key, sizeof key);
    if (t != NULL) {
        ng_free(t->segments);
        ng_free_secret(t, sizeof *t);
    }
    return status;
}

void ng_table_destroy(struct ng_table *t)
{
    if (t == NULL)
        return;
    for (uint32_t i = 0; i < t->nsegments; i++) {
        struct slot *seg = atomic_load_explicit(&t->segments[i], memory_order_acquire);
        if (seg == NULL)
            continue;
        for (uint32_t j = 0; j < SEG_SLOTS; j++) {
            uint64_t state = atomic_load_explicit(&seg[j].state, memory_order_acquire);
            /* An object is present while LIVE or referenced (removed, awaiting release). */
            if ((state & (ST_LIVE | ST_REFS_MASK)) != 0 && t->destroy != NULL)
                t->destroy(seg[j].obj);
        }
        ng_free(seg);
    }
    ng_free(t->segments);
    ng_free_secret(t, sizeof *t); /* wipes the MAC key */
}

ng_status ng_table_insert(struct ng_table *t, void *obj, struct ng_handle *out)
{
    uint32_t index, gen;
    struct slot *s;

    if (obj == NULL || out == NULL)
        return NG_ERR_INVALID_PARAM;
    NG_GUARD(take_slot(t, &index));
    s = slot_at(t, index);
    /* Private slot: its word is the last generation used, not LIVE, no references. */
    gen = state_gen(atomic_load_explicit(&s->state, memory_order_relaxed)) + 1;
    if (gen == 0)
        gen = 1; /* 0 is never a valid generation: {0, 0} must not be a handle */
    s->obj = obj;
    atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
    atomic_store_explicit(&s->state, (uint64_t)gen << 32 | ST_LIVE, memory_order_release);
    *out = make_handle(t, index, gen);
    return NG_OK;
}

ng_status ng_table_acquire(struct ng_table *t, struct ng_handle h, void **obj)
{
    struct slot *s;
    uint32_t index, gen;
    uint64_t state;

    *obj = NULL;
    NG_GUARD(lookup(t, h, &s, &index, &gen));
    state = atomic_load_explicit(&s->state, memory_order_relaxed);
    do {
        if (state_gen(state) != gen || !(state & ST_LIVE))
            return NG_ERR_INVALID_HANDLE;
        if ((state & ST_REFS_MASK) == ST_REFS_MASK)
            return NG_ERR_INTERNAL; /* 2^31 - 1 references held: a caller leaks them */
    } while (!atomic_compare_exchange_weak_explicit(&s->state, &state, state + 1,
                                                    memory_order_acquire, memory_order_relaxed));
    *obj = s->obj;
    return NG_OK;
}

void ng_table_release(struct ng_table *t, struct ng_handle h)
{
    struct slot *s;
    uint32_t index, gen;
    uint64_t state;

    if (lookup(t, h, &s, &index, &gen) != NG_OK)
        return;
    state = atomic_load_explicit(&s->state, memory_order_relaxed);
    do {
        if (state_gen(state) != gen || (state & ST_REFS_MASK) == 0)
            return;
    } while (!atomic_compare_exchange_weak_explicit(&s->state, &state, state - 1,
                                                    memory_order_acq_rel, memory_order_relaxed));
    if (state - 1 == (uint64_t)gen << 32) /* removed and that was the last reference */
        retire(t, s, index);
}

ng_status ng_table_remove(struct ng_table *t, struct ng_handle h)
{
    struct slot *s;
    uint32_t index, gen;
    uint64_t state;

    NG_GUARD(lookup(t, h, &s, &index, &gen));
    state = atomic_load_explicit(&s->state, memory_order_relaxed);
    do {
        if (state_gen(state) != gen || !(state & ST_LIVE))
            return NG_ERR_INVALID_HANDLE;
    } while (!atomic_compare_exchange_weak_explicit(&s->state, &state, state & ~ST_LIVE,
                                                    memory_order_acq_rel, memory_order_relaxed));
    if ((state & ST_REFS_MASK) == 0)
        retire(t, s, index);
    return NG_OK;
}

uint32_t ng_table_live_count(const struct ng_table *t)
{
    return atomic_load_explicit(&t->live, memory_order_relaxed);
}

struct ng_table *ng_table_get(_Atomic(struct ng_table *) *slot, uint8_t kind_tag,
                              uint32_t max_entries, ng_table_destroy_fn destroy)
{
    struct ng_table *table = atomic_load_explicit(slot, memory_order_acquire);
    if (table != NULL)
        return table;
    struct ng_table *fresh = NULL;
    if (ng_table_create(&fresh, kind_tag, max_entries, destroy) != NG_OK)
        return NULL;
    if (!atomic_compare_exchange_strong(slot, &table, fresh)) {
        ng_table_destroy(fresh);
        return table;
    }
    return fresh;
}
