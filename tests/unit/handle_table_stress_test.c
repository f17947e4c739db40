/* core/context/handle_table.c under contention: 8 threads race insert/acquire/release/remove over a
 * shared array of published handles. Proves: every inserted object is destroyed exactly once,
 * never while a reference is held; a handle only ever yields the object it was issued for; a
 * removed, torn or random handle is always refused. Also built with ThreadSanitizer
 * (tests/tsan.cmake). Usage: handle_table_stress_test [ops_per_thread] */
#include "check.h"
#include "handle_table.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define THREADS     8
#define DEFAULT_OPS 200000
#define SHARED      8192
#define MAX_ENTRIES 16384 /* four segments, grown while the threads race */
#define STALE_RING  64
#define MAGIC_LIVE  UINT64_C(0x6e677461626c6531)
#define MAGIC_DEAD  UINT64_C(0xdeaddeaddeaddead)

struct obj {
    uint64_t magic;
    uint64_t lower; /* dwLower of the handle that names it, set before it is published */
    uint32_t owner;
    _Atomic int holders; /* references the test holds right now */
    _Atomic int destroyed;
};

struct worker {
    pthread_t thread;
    uint32_t id;
    uint64_t rng;
    struct obj *pool;
    size_t pool_len, pool_used;
    struct ng_handle stale[STALE_RING]; /* handles this thread saw removed */
    unsigned stale_len;
    long inserted, full, acquired, removed;
};

static struct ng_table *table;
static unsigned long ops_per_thread = DEFAULT_OPS;
static _Atomic uint64_t shared_lower[SHARED], shared_upper[SHARED];
static pthread_barrier_t start_line;

/* Violations, counted by the workers (check.h's counters are not thread-safe). */
static _Atomic long destroyed_count, double_destroy, destroyed_while_held, wrong_object,
    dead_object, stale_accepted, forged_accepted, bad_status;

static void destroy_obj(void *p)
{
    struct obj *o = p;
    if (atomic_load(&o->holders) != 0)
        atomic_fetch_add(&destroyed_while_held, 1);
    if (atomic_fetch_add(&o->destroyed, 1) != 0)
        atomic_fetch_add(&double_destroy, 1);
    o->magic = MAGIC_DEAD; /* a plain write: TSan flags any reader not ordered before it */
    atomic_fetch_add(&destroyed_count, 1);
}

static uint64_t next_rand(struct worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static struct ng_handle read_shared(size_t k)
{
    return (struct ng_handle){atomic_load_explicit(&shared_lower[k], memory_order_acquire),
                              atomic_load_explicit(&shared_upper[k], memory_order_acquire)};
}

static void remember_removed(struct worker *w, struct ng_handle h)
{
    w->stale[w->stale_len++ % STALE_RING] = h;
    w->removed++;
}

static void do_insert(struct worker *w)
{
    struct obj *o;
    struct ng_handle h, old;
    size_t k = next_rand(w) % SHARED;

    if (w->pool_used == w->pool_len)
        return;
    o = &w->pool[w->pool_used];
    o->magic = MAGIC_LIVE;
    o->owner = w->id;
    ng_status st = ng_table_insert(table, o, &h);
    if (st == NG_ERR_FULL) {
        w->full++;
        return;
    }
    if (st != NG_OK) {
        atomic_fetch_add(&bad_status, 1);
        return;
    }
    w->pool_used++;
    w->inserted++;
    o->lower = h.lower;
    /* Two exchanges, not one: racing publishers can pair one's lower with another's upper,
     * which the table must refuse like any forgery. */
    old.lower = atomic_exchange_explicit(&shared_lower[k], h.lower, memory_order_acq_rel);
    old.upper = atomic_exchange_explicit(&shared_upper[k], h.upper, memory_order_acq_rel);
    if (ng_table_remove(table, old) == NG_OK)
        remember_removed(w, old);
}

static void use_object(struct worker *w, struct ng_handle h, struct obj *o)
{
    atomic_fetch_add(&o->holders, 1);
    if (o->magic != MAGIC_LIVE || atomic_load(&o->destroyed) != 0)
        atomic_fetch_add(&dead_object, 1);
    if (o->lower != h.lower || o->owner >= THREADS)
        atomic_fetch_add(&wrong_object, 1);
    atomic_fetch_sub(&o->holders, 1);
    w->acquired++;
}

static void do_acquire(struct worker *w)
{
    struct ng_handle h = read_shared(next_rand(w) % SHARED);
    void *p, *again;

    if (ng_table_acquire(table, h, &p) != NG_OK)
        return;
    use_object(w, h, p);
    if ((next_rand(w) & 3) == 0) { /* a nested reference, released first */
        if (ng_table_acquire(table, h, &again) == NG_OK) {
            if (again != p)
                atomic_fetch_add(&wrong_object, 1);
            ng_table_release(table, h);
        }
    }
    use_object(w, h, p);
    ng_table_release(table, h);
}

static void do_remove(struct worker *w)
{
    struct ng_handle h = read_shared(next_rand(w) % SHARED);
    if (ng_table_remove(table, h) == NG_OK)
        remember_removed(w, h);
}

static void do_stale_and_forged(struct worker *w)
{
    void *p;
    if (w->stale_len > 0) {
        struct ng_handle h =
            w->stale[next_rand(w) % (w->stale_len < STALE_RING ? w->stale_len : STALE_RING)];
        if (ng_table_acquire(table, h, &p) == NG_OK) {
            atomic_fetch_add(&stale_accepted, 1);
            ng_table_release(table, h);
        }
        if (ng_table_remove(table, h) == NG_OK)
            atomic_fetch_add(&stale_accepted, 1);
    }
    struct ng_handle forged = {next_rand(w), next_rand(w)};
    if (ng_table_acquire(table, forged, &p) == NG_OK)
        atomic_fetch_add(&forged_accepted, 1);
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    pthread_barrier_wait(&start_line);
    for (unsigned long i = 0; i < ops_per_thread; i++) {
        unsigned r = (unsigned)(next_rand(w) % 100);
        if (r < 25)
            do_insert(w);
        else if (r < 75)
            do_acquire(w);
        else if (r < 95)
            do_remove(w);
        else
            do_stale_and_forged(w);
    }
    return NULL;
}

static void races_keep_invariants(void)
{
    struct worker workers[THREADS];
    long inserted = 0, full = 0, acquired = 0, removed = 0;

    REQUIRE(ng_table_create(&table, 0x5A, MAX_ENTRIES, destroy_obj) == NG_OK);
    REQUIRE(pthread_barrier_init(&start_line, NULL, THREADS) == 0);
    for (uint32_t i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){.id = i, .rng = 0x9E3779B97F4A7C15u * (i + 1)};
        workers[i].pool_len = ops_per_thread / 2 + 1;
        workers[i].pool = calloc(workers[i].pool_len, sizeof(struct obj));
        REQUIRE(workers[i].pool != NULL);
        REQUIRE(pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(workers[i].thread, NULL);
        inserted += workers[i].inserted;
        full += workers[i].full;
        acquired += workers[i].acquired;
        removed += workers[i].removed;
    }
    fprintf(stderr, "  %ld inserted, %ld full, %ld acquired, %ld removed, %u live\n", inserted,
            full, acquired, removed, ng_table_live_count(table));
    CHECK_EQ(ng_table_live_count(table), inserted - atomic_load(&destroyed_count));
    CHECK(atomic_load(&destroyed_count) >= removed); /* removed ones go once unreferenced */
    ng_table_destroy(table);

    CHECK_EQ(atomic_load(&destroyed_count), inserted);
    CHECK_EQ(atomic_load(&double_destroy), 0);
    CHECK_EQ(atomic_load(&destroyed_while_held), 0);
    CHECK_EQ(atomic_load(&wrong_object), 0);
    CHECK_EQ(atomic_load(&dead_object), 0);
    CHECK_EQ(atomic_load(&stale_accepted), 0);
    CHECK_EQ(atomic_load(&forged_accepted), 0);
    CHECK_EQ(atomic_load(&bad_status), 0);
    CHECK(acquired > 0 && removed > 0);
    for (int i = 0; i < THREADS; i++) {
        for (size_t j = 0; j < workers[i].pool_used; j++)
            CHECK_EQ(workers[i].pool[j].destroyed, 1);
        free(workers[i].pool);
    }
    pthread_barrier_destroy(&start_line);
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    if (argc > 1)
        ops_per_thread = strtoul(argv[1], NULL, 10);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    RUN(races_keep_invariants);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "  %d threads x %lu ops in %.2f s\n", THREADS, ops_per_thread,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return check_report();
}
