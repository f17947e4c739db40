/* ntlm_challenge: server challenges come from a per-thread pool of kernel random bytes; none
 * repeats across pool refills or threads, and a fork child does not hand out the challenges its
 * parent would hand out next (the pool is emptied in the child). */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ntlm_challenge.h"

/* Enough to refill a pool many times over. */
#define PER_THREAD (4 * NG_NTLM_CHALLENGE_POOL)

static uint64_t taken[2][PER_THREAD];

static uint64_t challenge(void)
{
    uint8_t c[8];
    REQUIRE(ng_ntlm_server_challenge(c) == NG_OK);
    uint64_t v;
    memcpy(&v, c, 8);
    return v;
}

static void *take_many(void *arg)
{
    uint64_t *out = arg;
    for (size_t i = 0; i < PER_THREAD; i++)
        out[i] = challenge();
    return NULL;
}

static int compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_no_repeats_across_refills_and_threads(void)
{
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, take_many, taken[1]) == 0);
    take_many(taken[0]);
    REQUIRE(pthread_join(t, NULL) == 0);
    uint64_t *all = &taken[0][0];
    qsort(all, 2 * PER_THREAD, sizeof(*all), compare);
    size_t repeats = 0;
    for (size_t i = 1; i < 2 * PER_THREAD; i++)
        repeats += all[i] == all[i - 1];
    CHECK_EQ(repeats, 0);
}

static void test_fork_child_does_not_repeat_the_parent(void)
{
    (void)challenge(); /* the pool now holds this thread's next challenges */
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        uint64_t v = challenge();
        _exit(write(fds[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
    }
    uint64_t child = 0, parent = challenge();
    CHECK_EQ(read(fds[0], &child, sizeof(child)), sizeof(child));
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(child != parent);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    RUN(test_no_repeats_across_refills_and_threads);
    RUN(test_fork_child_does_not_repeat_the_parent);
    return check_report();
}
