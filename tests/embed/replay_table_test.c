/* embed/replay_table.c and replay_file.c: a key is fresh once and seen until it expires; a full
 * probe window refuses rather than forgets; processes attached to one region (shared memory,
 * a file) see each other's keys, and of racing inserts of one key at most one is fresh. */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "replay_file.h"
#include "replay_table.h"

static void *shared_region(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    return p;
}

static struct ne_replay_table new_table(unsigned log2)
{
    size_t len = ne_replay_region_size(log2);
    void *region = shared_region(len);
    struct ne_replay_table t;
    REQUIRE(ne_replay_region_format(region, len) == 0);
    REQUIRE(ne_replay_table_attach(&t, region, len) == 0);
    return t;
}

static enum ne_replay_verdict insert_n(struct ne_replay_table *t, uint32_t n, int64_t now,
                                       int64_t expires)
{
    return ne_replay_insert(t, (const uint8_t *)&n, sizeof(n), now, expires);
}

static void test_sizes(void)
{
    CHECK_EQ(ne_replay_slots_log2_for(ne_replay_region_size(10)), 10);
    CHECK_EQ(ne_replay_slots_log2_for(ne_replay_region_size(10) - 1), 9);
    CHECK_EQ(ne_replay_slots_log2_for(ne_replay_region_size(5)), 5);
    CHECK_EQ(ne_replay_slots_log2_for(ne_replay_region_size(5) - 1), 0); /* below one window */
    CHECK_EQ(ne_replay_slots_log2_for(0), 0);
}

static void test_attach_needs_a_formatted_region(void)
{
    size_t len = ne_replay_region_size(8);
    void *region = shared_region(len);
    struct ne_replay_table t;
    CHECK_EQ(ne_replay_table_attach(&t, region, len), -1); /* zeroes are no table */
    CHECK_EQ(ne_replay_region_format(region, len), 0);
    CHECK_EQ(ne_replay_table_attach(&t, region, len - 1), -1); /* table longer than the bytes */
    CHECK_EQ(ne_replay_table_attach(&t, region, len), 0);
    CHECK_EQ(ne_replay_region_format(region, 16), -1); /* no room for one window */
}

static void test_fresh_then_seen_until_expiry(void)
{
    struct ne_replay_table t = new_table(12);
    CHECK_EQ(insert_n(&t, 1, 1000, 1600), NE_REPLAY_FRESH);
    CHECK_EQ(insert_n(&t, 1, 1001, 1600), NE_REPLAY_SEEN);
    CHECK_EQ(insert_n(&t, 2, 1001, 1600), NE_REPLAY_FRESH);
    CHECK_EQ(insert_n(&t, 1, 1600, 1600), NE_REPLAY_SEEN);  /* expiry is inclusive */
    CHECK_EQ(insert_n(&t, 1, 1608, 2200), NE_REPLAY_FRESH); /* past expiry and its tick */
}

/* A lifetime past the longest is cut to it, never kept forever (nor wrapped to the past). */
static void test_lifetime_cut(void)
{
    struct ne_replay_table t = new_table(12);
    int64_t now = 5000;
    CHECK_EQ(insert_n(&t, 7, now, INT64_MAX / 2), NE_REPLAY_FRESH);
    CHECK_EQ(insert_n(&t, 7, now + NE_REPLAY_MAX_LIFETIME - NE_REPLAY_TICK, now), NE_REPLAY_SEEN);
    CHECK_EQ(insert_n(&t, 7, now + NE_REPLAY_MAX_LIFETIME + 2 * NE_REPLAY_TICK, now),
             NE_REPLAY_FRESH);
}

/* 32 slots are one probe window: 32 live keys fill it and the 33rd is refused, not let in at
 * the cost of forgetting one; once they expire there is room again. */
static void test_full_window_fails_closed(void)
{
    struct ne_replay_table t = new_table(5);
    for (uint32_t i = 0; i < NE_REPLAY_WINDOW; i++)
        CHECK_EQ(insert_n(&t, i, 100, 700), NE_REPLAY_FRESH);
    CHECK_EQ(insert_n(&t, 1000, 200, 800), NE_REPLAY_FULL);
    for (uint32_t i = 0; i < NE_REPLAY_WINDOW; i++)
        CHECK_EQ(insert_n(&t, i, 200, 800), NE_REPLAY_SEEN);
    CHECK_EQ(insert_n(&t, 1000, 710, 1300), NE_REPLAY_FRESH);
}

/* Two views of one region (two processes' tables) share what they record. */
static void test_two_views_share(void)
{
    size_t len = ne_replay_region_size(10);
    void *region = shared_region(len);
    struct ne_replay_table a, b;
    REQUIRE(ne_replay_region_format(region, len) == 0);
    REQUIRE(ne_replay_table_attach(&a, region, len) == 0);
    REQUIRE(ne_replay_table_attach(&b, region, len) == 0);
    CHECK_EQ(insert_n(&a, 42, 10, 610), NE_REPLAY_FRESH);
    CHECK_EQ(insert_n(&b, 42, 11, 610), NE_REPLAY_SEEN);
}

/* Two processes (one per core) insert one key at the same moment, round after round (a
 * barrier before each), each round into its own one-window table where half the slots hold
 * entries that have expired for one process's clock but not for the other's, so the two may
 * claim different slots. No key may be fresh twice: without the twin check in
 * ne_replay_insert this fails in hundreds of rounds. */
static void test_racing_processes(void)
{
    enum { ROUNDS = 5000, PROCS = 2, PREFILL = NE_REPLAY_WINDOW / 2 };
    size_t len = ne_replay_region_size(5);
    uint8_t *regions = shared_region(ROUNDS * len);
    _Atomic int *fresh = shared_region((ROUNDS + 1) * sizeof(*fresh));
    _Atomic int *arrived = &fresh[ROUNDS];
    for (uint32_t k = 0; k < ROUNDS; k++) {
        struct ne_replay_table t;
        REQUIRE(ne_replay_region_format(regions + k * len, len) == 0);
        REQUIRE(ne_replay_table_attach(&t, regions + k * len, len) == 0);
        for (uint32_t i = 0; i < PREFILL; i++) /* live at 100, expired at 600 */
            REQUIRE(insert_n(&t, 1000 + i, 0, 300) == NE_REPLAY_FRESH);
    }
    for (int p = 0; p < PROCS; p++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int64_t now = p == 0 ? 100 : 600;
            for (uint32_t k = 0; k < ROUNDS; k++) {
                struct ne_replay_table t;
                if (ne_replay_table_attach(&t, regions + k * len, len) != 0)
                    _exit(2);
                atomic_fetch_add(arrived, 1);
                while (atomic_load(arrived) < (int)(PROCS * (k + 1)))
                    ;
                if (insert_n(&t, 7, now, 1000) == NE_REPLAY_FRESH)
                    atomic_fetch_add(&fresh[k], 1);
            }
            _exit(0);
        }
    }
    int status, total = 0, twice = 0;
    for (int p = 0; p < PROCS; p++) {
        REQUIRE(wait(&status) > 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    for (int k = 0; k < ROUNDS; k++) {
        total += fresh[k];
        twice += fresh[k] > 1;
    }
    fprintf(stderr,
            "racing processes: %d rounds, %d fresh answers, %d rounds fresh twice (a "
            "round with none: both claims lost, fails closed)\n",
            ROUNDS, total, twice);
    CHECK_EQ(twice, 0);
    CHECK(total > ROUNDS / 2);
}

static void test_file_shared_by_path(void)
{
    char dir[] = "/tmp/replay-file-test.XXXXXX", path[128], err[256];
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/table", dir);
    struct ne_replay_table a, b;
    CHECK_EQ(ne_replay_file_open(&a, path, 10, err, sizeof(err)), 0); /* creates it */
    CHECK_EQ(ne_replay_file_open(&b, path, 12, err, sizeof(err)), 0); /* opens it as it is */
    CHECK_EQ(insert_n(&a, 9, 10, 610), NE_REPLAY_FRESH);
    CHECK_EQ(insert_n(&b, 9, 11, 610), NE_REPLAY_SEEN);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ((size_t)st.st_size, ne_replay_region_size(10));

    chmod(path, 0644); /* readable by others: refused */
    CHECK_EQ(ne_replay_file_open(&b, path, 10, err, sizeof(err)), -1);
    CHECK(strstr(err, "not a private file") != NULL);
    char link_path[160];
    snprintf(link_path, sizeof(link_path), "%s/link", dir);
    chmod(path, 0600);
    REQUIRE(symlink(path, link_path) == 0);
    CHECK_EQ(ne_replay_file_open(&b, link_path, 10, err, sizeof(err)), -1);
    char junk_path[160];
    snprintf(junk_path, sizeof(junk_path), "%s/junk", dir);
    FILE *f = fopen(junk_path, "w");
    REQUIRE(f != NULL);
    fputs("not a table, but long enough to be mapped and looked at................", f);
    fclose(f);
    chmod(junk_path, 0600);
    CHECK_EQ(ne_replay_file_open(&b, junk_path, 10, err, sizeof(err)), -1);
    CHECK(strstr(err, "not a negring replay table") != NULL);
    unlink(junk_path);
    unlink(link_path);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    RUN(test_sizes);
    RUN(test_attach_needs_a_formatted_region);
    RUN(test_fresh_then_seen_until_expiry);
    RUN(test_lifetime_cut);
    RUN(test_full_window_fails_closed);
    RUN(test_two_views_share);
    RUN(test_racing_processes);
    RUN(test_file_shared_by_path);
    return check_report();
}
