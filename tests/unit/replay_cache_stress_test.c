/* core/replay_cache.c under contention: 8 threads insert the same keys at once, and exactly one
 * may win each key. Phase 1: every thread walks the same 200k keys with the same clock.
 * Phase 2: the threads disagree on `now` by one tick while the probe windows are full of entries
 * expiring at exactly that tick, so racers disagree on which slots are free. Also built with
 * ThreadSanitizer (tests/tsan.cmake). Usage: replay_cache_stress_test [keys] */
#include "check.h"
#include "replay_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define THREADS      8
#define DEFAULT_KEYS 200000
#define CHUNK        2000 /* phase 1 keys between barriers, keeping the threads in step */
#define ROUNDS       1000 /* phase 2 */
#define ROUND_LOG2   9    /* 512 slots */
#define FILLERS      192
#define ROUND_KEYS   64

static unsigned long nkeys = DEFAULT_KEYS;
static struct ng_replay_cache *cache;
static pthread_barrier_t barrier;
static _Atomic unsigned char *wins;
static _Atomic unsigned char round_wins[ROUND_KEYS], round_full[ROUND_KEYS];
static _Atomic long unexpected; /* a status other than NG_OK, NG_ERR_REPLAY, NG_ERR_FULL */
static _Atomic long full_phase1;
static int round_no;

static ng_status insert_key(uint64_t tag, uint64_t i, int64_t now, int64_t expires_at)
{
    uint64_t key[3] = {tag, i, 0x6b65796d6174u};
    return ng_replay_cache_check_and_insert(cache, ng_slice_of(key, sizeof key), now, expires_at);
}

static void *phase1_worker(void *arg)
{
    (void)arg;
    for (unsigned long base = 0; base < nkeys; base += CHUNK) {
        pthread_barrier_wait(&barrier);
        for (unsigned long i = base; i < base + CHUNK && i < nkeys; i++) {
            ng_status st = insert_key(1, i, 5000, 5300);
            if (st == NG_OK)
                atomic_fetch_add(&wins[i], 1);
            else if (st == NG_ERR_FULL)
                atomic_fetch_add(&full_phase1, 1);
            else if (st != NG_ERR_REPLAY)
                atomic_fetch_add(&unexpected, 1);
        }
    }
    return NULL;
}

static void one_winner_per_key_same_clock(void)
{
    pthread_t threads[THREADS];
    long bad = 0;

    wins = calloc(nkeys, 1);
    REQUIRE(wins != NULL);
    REQUIRE(ng_replay_cache_create(&cache, 20) == NG_OK);
    REQUIRE(pthread_barrier_init(&barrier, NULL, THREADS) == 0);
    for (int t = 0; t < THREADS; t++)
        REQUIRE(pthread_create(&threads[t], NULL, phase1_worker, NULL) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (unsigned long i = 0; i < nkeys; i++)
        bad += atomic_load(&wins[i]) != 1;
    CHECK_EQ(bad, 0);
    CHECK_EQ(atomic_load(&full_phase1), 0);
    CHECK_EQ(atomic_load(&unexpected), 0);
    /* All recorded: a ninth attempt is a replay. */
    CHECK_EQ(insert_key(1, 0, 5001, 5300), NG_ERR_REPLAY);
    CHECK_EQ(insert_key(1, nkeys - 1, 5001, 5300), NG_ERR_REPLAY);
    ng_replay_cache_destroy(cache);
    pthread_barrier_destroy(&barrier);
    free((void *)wins);
}

/* Even threads see the fillers (expiring at 1000) live, odd threads see them expired. */
static void *phase2_worker(void *arg)
{
    int64_t now = ((intptr_t)arg & 1) ? 1000 : 1000 - NG_REPLAY_CACHE_GRANULARITY;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&barrier); /* main has filled a fresh cache */
        for (int k = 0; k < ROUND_KEYS; k++) {
            int i = ((intptr_t)arg & 2) ? ROUND_KEYS - 1 - k : k;
            ng_status st = insert_key(2 + (uint64_t)round_no, (uint64_t)i, now, 9000);
            if (st == NG_OK)
                atomic_fetch_add(&round_wins[i], 1);
            else if (st == NG_ERR_FULL)
                atomic_fetch_add(&round_full[i], 1);
            else if (st != NG_ERR_REPLAY)
                atomic_fetch_add(&unexpected, 1);
        }
        pthread_barrier_wait(&barrier); /* main checks this round */
    }
    return NULL;
}

static void one_winner_per_key_when_clocks_disagree(void)
{
    pthread_t threads[THREADS];
    long doubles = 0, none = 0, full_keys = 0;

    REQUIRE(pthread_barrier_init(&barrier, NULL, THREADS + 1) == 0);
    for (intptr_t t = 0; t < THREADS; t++)
        REQUIRE(pthread_create(&threads[t], NULL, phase2_worker, (void *)t) == 0);
    for (round_no = 0; round_no < ROUNDS; round_no++) {
        REQUIRE(ng_replay_cache_create(&cache, ROUND_LOG2) == NG_OK);
        for (uint64_t f = 0; f < FILLERS; f++)
            REQUIRE(insert_key(0, f, 0, 1000) == NG_OK);
        for (int k = 0; k < ROUND_KEYS; k++) {
            atomic_store(&round_wins[k], 0);
            atomic_store(&round_full[k], 0);
        }
        pthread_barrier_wait(&barrier);
        pthread_barrier_wait(&barrier);
        for (int k = 0; k < ROUND_KEYS; k++) {
            unsigned w = atomic_load(&round_wins[k]);
            doubles += w > 1;
            none += w == 0 && atomic_load(&round_full[k]) == 0;
            full_keys += atomic_load(&round_full[k]) != 0;
        }
        ng_replay_cache_destroy(cache);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    fprintf(stderr, "  phase 2: %d rounds x %d keys, %ld keys saw NG_ERR_FULL\n", ROUNDS,
            ROUND_KEYS, full_keys);
    CHECK_EQ(doubles, 0);
    CHECK_EQ(none, 0);
    CHECK_EQ(atomic_load(&unexpected), 0);
    pthread_barrier_destroy(&barrier);
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    if (argc > 1)
        nkeys = strtoul(argv[1], NULL, 10);
    REQUIRE(nkeys > 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    RUN(one_winner_per_key_same_clock);
    RUN(one_winner_per_key_when_clocks_disagree);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "  %d threads x %lu + %d keys in %.2f s\n", THREADS, nkeys, ROUNDS * ROUND_KEYS,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return check_report();
}
