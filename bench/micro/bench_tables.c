/* The two lock-free structures every accept touches, from 1 to N threads at once:
 *  - the handle table: insert, acquire, release, remove (one handshake's handle life);
 *  - the replay cache: one check-and-insert of a fresh authenticator fingerprint, with a
 *    sped-up clock (one "second" every 2^20 ns, read every 64 inserts, shared by the threads)
 *    so entries expire and the cache stays at a steady fill, as in service. */
#include <stdatomic.h>
#include <time.h>

#include "benchmarks.h"
#include "negring_internal.h"

/* A "second" is 2^20 ns and entries live 100 of them (~0.1 s): at several million inserts a
 * second the cache holds a few hundred thousand live entries, so the benchmark measures inserts
 * into a cache that is busy but not evicting. */
enum { REPLAY_LOG2 = 22, LIFETIME = 100, CLOCK_SHIFT = 20, CLOCK_EVERY = 64 };

static int64_t fast_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec) >> CLOCK_SHIFT;
}

static struct negring_handle_table *table;
static struct negring_replay_cache *replay;
static atomic_long failures;

static void bench_handle_table(struct ng_bench_state *st, void *arg)
{
    if (ng_bench_thread_index(st) == 0) {
        atomic_store(&failures, 0);
        if (negring_handle_table_create(&table) != 0)
            table = NULL;
    }
    static int object; /* the table never dereferences it (no destroy function) */
    while (ng_bench_running(st)) {
        struct negring_handle h;
        void *obj;
        if (table == NULL || negring_handle_insert(table, &object, &h) != 0) {
            atomic_fetch_add(&failures, 1);
            continue;
        }
        if (negring_handle_acquire(table, h, &obj) == 0)
            negring_handle_release(table, h);
        else
            atomic_fetch_add(&failures, 1);
        negring_handle_remove(table, h);
    }
    ng_bench_set_items(st, (int64_t)ng_bench_iterations(st)); /* summed over the threads */
    if (ng_bench_thread_index(st) == 0) {
        negring_handle_table_destroy(table);
        table = NULL;
        ng_bench_counter(st, "failed", (double)atomic_load(&failures));
        if (atomic_load(&failures) > 0)
            ng_bench_fail(st, "some operations failed");
    }
}

/* One cache for every run (its pages stay touched, as in a serving process); keys carry the
 * run number so no run replays an earlier one's. */
static void bench_replay_cache(struct ng_bench_state *st, void *arg)
{
    static uint64_t run;
    if (ng_bench_thread_index(st) == 0) {
        atomic_store(&failures, 0);
        run++;
        if (replay == NULL && negring_replay_cache_create(&replay, REPLAY_LOG2) != 0)
            replay = NULL;
    }
    uint64_t key[2] = {(uint64_t)ng_bench_thread_index(st) << 48, 0};
    int64_t now = 0;
    while (ng_bench_running(st)) {
        if (key[0]++ % CLOCK_EVERY == 0)
            now = fast_clock();
        key[1] = (key[0] ^ (run << 56)) * 0x9e3779b97f4a7c15u;
        if (replay == NULL ||
            negring_replay_check_and_insert(replay, (const uint8_t *)key, now, now + LIFETIME) != 0)
            atomic_fetch_add(&failures, 1);
    }
    ng_bench_set_items(st, (int64_t)ng_bench_iterations(st));
    if (ng_bench_thread_index(st) == 0) {
        ng_bench_counter(st, "failed", (double)atomic_load(&failures));
        if (atomic_load(&failures) > 0)
            ng_bench_fail(st, "some operations failed");
    }
}

void bench_register_tables(int max_threads)
{
    struct ng_bench_opts opts = {.min_threads = 1, .max_threads = max_threads, .real_time = true};
    ng_bench_register("handle_table/insert_acquire_remove", bench_handle_table, NULL, &opts);
    ng_bench_register("replay_cache/check_and_insert", bench_replay_cache, NULL, &opts);
}
