/* random: small requests come from a per-thread pool of kernel random bytes. No value repeats
 * across pool refills or threads, a fork child does not hand out what its parent hands out next
 * (the pool's page is wiped in the child), large requests bypass the pool, and a thread's pool
 * goes away with the thread. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "random.h"

/* Enough 8-byte draws to refill a pool many times over. */
#define PER_THREAD (4 * NG_RANDOM_POOL_SIZE / 8)

static uint64_t taken[3][PER_THREAD];

static uint64_t draw(void)
{
    uint8_t c[8];
    REQUIRE(ng_random_bytes(c, sizeof(c)) == NG_OK);
    uint64_t v;
    memcpy(&v, c, 8);
    return v;
}

static void *take_many(void *arg)
{
    uint64_t *out = arg;
    for (size_t i = 0; i < PER_THREAD; i++)
        out[i] = draw();
    return NULL;
}

static int compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_no_repeats_across_refills_and_threads(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_create(&t[i], NULL, take_many, taken[i + 1]) == 0);
    take_many(taken[0]);
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_join(t[i], NULL) == 0);
    uint64_t *all = &taken[0][0];
    qsort(all, 3 * PER_THREAD, sizeof(*all), compare);
    size_t repeats = 0;
    for (size_t i = 1; i < 3 * PER_THREAD; i++)
        repeats += all[i] == all[i - 1];
    CHECK_EQ(repeats, 0);
}

/* A child's draws after fork(), from a pool its parent's page no longer fills. */
static void draws_of_a_fork_child(uint64_t v[4])
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        uint64_t mine[4];
        for (int i = 0; i < 4; i++)
            mine[i] = draw();
        _exit(write(fds[1], mine, sizeof(mine)) == sizeof(mine) ? 0 : 1);
    }
    CHECK_EQ(read(fds[0], v, 4 * sizeof(v[0])), 4 * sizeof(v[0]));
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
}

/* The child's first draws must differ from the parent's next ones, though both start from the
 * same memory image. */
static void test_fork_child_does_not_repeat_the_parent(void)
{
    (void)draw(); /* the pool now holds this thread's next values */
    uint64_t child[4] = {0}, parent[4];
    draws_of_a_fork_child(child);
    for (int i = 0; i < 4; i++)
        parent[i] = draw();
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CHECK(child[i] != parent[j]);
}

/* Two children refill from the same starting image: each refill's key comes from the kernel, so
 * their pools differ (a fixed or derived key would hand both the same values). */
static void test_refills_are_keyed_by_the_kernel(void)
{
    (void)draw();
    uint64_t a[4] = {0}, b[4] = {0};
    draws_of_a_fork_child(a);
    draws_of_a_fork_child(b);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CHECK(a[i] != b[j]);
}

static void test_large_requests_are_filled(void)
{
    uint8_t big[3 * NG_RANDOM_POOL_SIZE] = {0};
    REQUIRE(ng_random_bytes(big, sizeof(big)) == NG_OK);
    size_t zero_run = 0, longest = 0;
    for (size_t i = 0; i < sizeof(big); i++) {
        zero_run = big[i] == 0 ? zero_run + 1 : 0;
        longest = zero_run > longest ? zero_run : longest;
    }
    CHECK(longest < 8); /* 8 zero bytes in a row: 2^-64 per position */
}

static void *draw_and_exit(void *arg)
{
    (void)draw();
    return NULL;
}

/* Many short-lived threads: each pool page is unmapped at thread exit (ASan/LSan and the
 * address space stay clean; 20,000 leaked pages would be 80 MiB). */
static void test_thread_pools_are_released(void)
{
    for (int i = 0; i < 2000; i++) {
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, draw_and_exit, NULL) == 0);
        REQUIRE(pthread_join(t, NULL) == 0);
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    REQUIRE(maps != NULL);
    int lines = 0;
    for (int c; (c = fgetc(maps)) != EOF;)
        lines += c == '\n';
    fclose(maps);
    CHECK(lines < 1000);
}

int main(void)
{
    RUN(test_no_repeats_across_refills_and_threads);
    RUN(test_fork_child_does_not_repeat_the_parent);
    RUN(test_refills_are_keyed_by_the_kernel);
    RUN(test_large_requests_are_filled);
    RUN(test_thread_pools_are_released);
    return check_report();
}
