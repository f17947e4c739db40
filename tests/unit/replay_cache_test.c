/* core/kerberos/replay_cache.c: first sight vs replay, expiry and slot reuse, eviction and the
 * watermark (a full probe window, a lagging clock, a cache overfilled 30 times, a flood from one
 * account at four times the capacity), time clamping
 * and wrap-around, parameter and allocation failures. */
#include "alloc.h"
#include "check.h"
#include "replay_cache.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define G NG_REPLAY_CACHE_GRANULARITY

/* Distinct 24-byte key material for each i (an authenticator's checksum, say). */
struct key {
    uint8_t bytes[24];
};

static struct key key_of(uint32_t i)
{
    struct key k;
    memset(k.bytes, 0xA5, sizeof k.bytes);
    memcpy(k.bytes, &i, sizeof i);
    return k;
}

/* The owner of the keys of most tests: one client. */
#define ALICE ng_slice_of("alice@R", 7)

static ng_status insert_owned(struct ng_replay_cache *rc, struct ng_slice owner, uint32_t i,
                              int64_t now, int64_t expires_at)
{
    struct key k = key_of(i);
    return ng_replay_cache_check_and_insert(rc, ng_slice_of(k.bytes, sizeof k.bytes), owner, now,
                                            expires_at);
}

static ng_status insert(struct ng_replay_cache *rc, uint32_t i, int64_t now, int64_t expires_at)
{
    return insert_owned(rc, ALICE, i, now, expires_at);
}

static struct ng_replay_cache *new_cache(unsigned capacity_log2)
{
    struct ng_replay_cache *rc = NULL;
    REQUIRE(ng_replay_cache_create(&rc, capacity_log2) == NG_OK);
    return rc;
}

static void first_insert_ok_second_replay(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    CHECK_EQ(insert(rc, 7, 1000, 1300), NG_OK);
    CHECK_EQ(insert(rc, 7, 1000, 1300), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 7, 1100, 1400), NG_ERR_REPLAY); /* another expiry: still a replay */
    ng_replay_cache_destroy(rc);
}

static void distinct_keys_ok(void)
{
    struct ng_replay_cache *rc = new_cache(16);
    int ok = 0, replay = 0;
    for (uint32_t i = 0; i < 5000; i++)
        ok += insert(rc, i, 1000, 1300) == NG_OK;
    for (uint32_t i = 0; i < 5000; i++)
        replay += insert(rc, i, 1001, 1301) == NG_ERR_REPLAY;
    CHECK_EQ(ok, 5000);
    CHECK_EQ(replay, 5000);
    ng_replay_cache_destroy(rc);
    ng_replay_cache_destroy(NULL);
}

static void expired_entry_reusable(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    CHECK_EQ(insert(rc, 1, 1000, 1300), NG_OK);
    CHECK_EQ(insert(rc, 1, 1299, 1599), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 1, 1300 + G, 1600), NG_OK); /* expired: recorded afresh */
    CHECK_EQ(insert(rc, 1, 1301 + G, 1600), NG_ERR_REPLAY);
    /* A caller whose clock is behind still sees the entry. */
    CHECK_EQ(insert(rc, 1, 900, 1200), NG_ERR_REPLAY);
    ng_replay_cache_destroy(rc);
}

/* A window full of unexpired entries: the one expiring first goes, and the watermark takes its
 * expiry first, so its replays are refused as too old while the others are still replays. */
static void full_window_evicts_earliest(void)
{
    struct ng_replay_cache *rc = new_cache(5); /* 32 slots: one window is the whole cache */
    CHECK_EQ(ng_replay_cache_watermark(rc, ALICE), INT64_MIN);
    for (uint32_t i = 0; i < 32; i++)
        REQUIRE(insert(rc, i, 0, 100 + 4 * i) == NG_OK);
    CHECK_EQ(ng_replay_cache_watermark(rc, ALICE), INT64_MIN);
    CHECK_EQ(insert(rc, 32, 50, 228), NG_OK); /* evicts key 0 (100, recorded through tick 25) */
    CHECK_EQ(ng_replay_cache_watermark(rc, ALICE), 104);
    CHECK_EQ(insert(rc, 0, 50, 100), NG_ERR_TIME_SKEW);
    CHECK_EQ(insert(rc, 1, 50, 104), NG_ERR_REPLAY); /* expires at the watermark: still held */
    CHECK_EQ(insert(rc, 5, 50, 120), NG_ERR_REPLAY); /* replays still detected when full */
    CHECK_EQ(insert(rc, 32, 50, 228), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 33, 50, 232), NG_OK); /* evicts key 1 */
    CHECK_EQ(ng_replay_cache_watermark(rc, ALICE), 108);
    CHECK_EQ(insert(rc, 1, 50, 104), NG_ERR_TIME_SKEW);
    /* A fresh key no later than the watermark cannot be told from an evicted one. */
    CHECK_EQ(insert(rc, 34, 50, 107), NG_ERR_TIME_SKEW);
    ng_replay_cache_destroy(rc);

    rc = new_cache(1); /* two slots, same expiry: evicting one makes every such key too old */
    CHECK_EQ(insert(rc, 1, 0, 100), NG_OK);
    CHECK_EQ(insert(rc, 2, 0, 100), NG_OK);
    CHECK_EQ(insert(rc, 3, 0, 100), NG_ERR_TIME_SKEW);
    CHECK_EQ(insert(rc, 1, 0, 100), NG_ERR_TIME_SKEW);
    CHECK_EQ(insert(rc, 4, 0, 104), NG_OK);
    ng_replay_cache_destroy(rc);
}

/* Expired entries keep their slots: a caller whose clock lags (a thread stalled after reading
 * it) still finds the entry, or, once it was evicted, the watermark above it. */
static void lagging_caller_never_misses_a_replay(void)
{
    struct ng_replay_cache *rc = new_cache(5);
    CHECK_EQ(insert(rc, 1000, 1000, 1300), NG_OK);
    for (uint32_t i = 0; i < 31; i++) /* the cache is now full; key 1000 expired for these */
        REQUIRE(insert(rc, i, 1400, 1700) == NG_OK);
    CHECK_EQ(insert(rc, 1000, 1200, 1300), NG_ERR_REPLAY);
    CHECK_EQ(ng_replay_cache_watermark(rc, ALICE), INT64_MIN);
    CHECK_EQ(insert(rc, 31, 1400, 1700), NG_OK); /* takes key 1000's slot */
    CHECK(ng_replay_cache_watermark(rc, ALICE) > 1300);
    CHECK(ng_replay_cache_watermark(rc, ALICE) <= 1400); /* an expired entry: no higher than now */
    CHECK_EQ(insert(rc, 1000, 1200, 1300), NG_ERR_TIME_SKEW);
    CHECK_EQ(insert(rc, 32, 1404, 1704), NG_OK); /* a fresh key after the watermark */
    ng_replay_cache_destroy(rc);
}

/* 2^8 slots, fresh keys (8 per 4 s tick, each living 300 s: 600 unexpired at once) far past
 * capacity: every fresh key is accepted, the watermark only rises, and at every point each
 * earlier unexpired key is refused, as a replay if its expiry is at or above the watermark (so
 * it was never evicted) and as too old below it; also from a caller whose clock lags 200 s. */
static void overfilled_cache_refuses_every_replay(void)
{
    enum { N = 8192, PER_TICK = 8, LIFE = 300 };
    struct ng_replay_cache *rc = new_cache(8);
    int64_t last = INT64_MIN;
    long fresh_refused = 0, not_rising = 0, wrong = 0, replays = 0, too_old = 0;

    for (uint32_t i = 0; i < N; i++) {
        int64_t now = 1000 + G * (i / PER_TICK);
        fresh_refused += insert(rc, i, now, now + LIFE) != NG_OK;
        int64_t mark = ng_replay_cache_watermark(rc, ALICE);
        not_rising += mark < last;
        last = mark;
        if (i % 64 != 63)
            continue;
        for (uint32_t j = 0; j <= i; j++) {
            int64_t expires = 1000 + G * (j / PER_TICK) + LIFE;
            if (expires < now)
                continue; /* expired: the acceptor's skew check refuses it first */
            ng_status want = expires >= mark ? NG_ERR_REPLAY : NG_ERR_TIME_SKEW;
            ng_status got = insert(rc, j, j % 2 ? now : now - 200, expires);
            wrong += got != want;
            replays += got == NG_ERR_REPLAY;
            too_old += got == NG_ERR_TIME_SKEW;
        }
    }
    fprintf(stderr,
            "  %d keys into 256 slots: watermark %lld s at now %lld s, %ld replays, "
            "%ld too old\n",
            N, (long long)last, (long long)(1000 + G * ((N - 1) / PER_TICK)), replays, too_old);
    CHECK_EQ(fresh_refused, 0);
    CHECK_EQ(not_rising, 0);
    CHECK_EQ(wrong, 0);
    CHECK(replays > 0);
    CHECK(too_old > 0); /* the watermark path was exercised */
    ng_replay_cache_destroy(rc);
}

/* One account floods a 1,024-slot cache with four times its capacity of authenticators dated
 * the whole skew into the future (the latest any is accepted, expiring last: now + 2 x skew),
 * 64 per tick, while 64 other accounts log in with one fresh authenticator (now + skew) per 16
 * of the flood's. Every other account's authenticator is accepted (an account sharing the
 * flooder's owner class would be refused with it: the test skips such names), the flooder's
 * own class watermark passes now + skew, and afterwards no key of either kind is accepted
 * again. With one watermark for every client the flood's evictions raised it past now + skew
 * and refused everyone. */
static void flood_from_one_owner_refuses_no_other(void)
{
    enum { LOG2 = 10, FLOOD = 4 << LOG2, OWNERS = 64, SKEW = 300, PER_TICK = 64, EVERY = 16 };
    const int64_t start = 100000, end = start + G * ((FLOOD - 1) / PER_TICK);
    struct ng_replay_cache *rc = new_cache(LOG2);
    struct ng_slice mallory = ng_slice_of("mallory@R", 9);
    char names[OWNERS][16];
    bool shares[OWNERS];
    long flood_ok = 0, honest = 0, honest_refused = 0, again = 0, skipped = 0;

    for (int o = 0; o < OWNERS; o++) {
        snprintf(names[o], sizeof names[o], "user%d@R", o);
        shares[o] = ng_replay_cache_owner_class(rc, ng_slice_of(names[o], strlen(names[o]))) ==
                    ng_replay_cache_owner_class(rc, mallory);
        skipped += shares[o];
    }
    for (uint32_t i = 0; i < FLOOD; i++) {
        int64_t now = start + G * (i / PER_TICK);
        flood_ok += insert_owned(rc, mallory, i, now, now + 2 * SKEW) == NG_OK;
        int o = (int)(i / EVERY) % OWNERS;
        if (i % EVERY != 0 || shares[o])
            continue;
        honest++;
        honest_refused += insert_owned(rc, ng_slice_of(names[o], strlen(names[o])), 1000000 + i,
                                       now, now + SKEW) != NG_OK;
    }
    for (uint32_t i = 0; i < FLOOD; i++) {
        int64_t now = start + G * (i / PER_TICK);
        again += insert_owned(rc, mallory, i, end, now + 2 * SKEW) == NG_OK;
        int o = (int)(i / EVERY) % OWNERS;
        if (i % EVERY == 0 && !shares[o])
            again += insert_owned(rc, ng_slice_of(names[o], strlen(names[o])), 1000000 + i, end,
                                  now + SKEW) == NG_OK;
    }
    fprintf(stderr,
            "  flood of %d into %d slots: %ld of the flood accepted; %ld of %ld others' refused "
            "(%ld names skipped); flooder's watermark %lld s at now %lld s\n",
            FLOOD, 1 << LOG2, flood_ok, honest_refused, honest, skipped,
            (long long)ng_replay_cache_watermark(rc, mallory), (long long)end);
    CHECK(skipped < 4);
    CHECK(honest > 200);
    CHECK_EQ(honest_refused, 0);
    CHECK_EQ(again, 0);
    CHECK(flood_ok > 0);
    CHECK(ng_replay_cache_watermark(rc, mallory) > end + SKEW); /* the flooder locked out */
    for (int o = 0; o < OWNERS; o++)
        if (!shares[o])
            CHECK_EQ(insert_owned(rc, ng_slice_of(names[o], strlen(names[o])), 2000000 + o, end,
                                  end + SKEW),
                     NG_OK);
    ng_replay_cache_destroy(rc);
}

static void expiry_not_after_now_recorded_for_a_tick(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    CHECK_EQ(insert(rc, 1, 1000, 990), NG_OK);
    CHECK_EQ(insert(rc, 1, 1000, 990), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 1, 1000 + G, 990), NG_OK);
    ng_replay_cache_destroy(rc);
}

static void extreme_times_clamped(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    CHECK_EQ(insert(rc, 1, INT64_MIN, INT64_MAX), NG_OK);
    CHECK_EQ(insert(rc, 1, INT64_MIN, INT64_MAX), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 2, INT64_MAX, INT64_MIN), NG_OK);
    CHECK_EQ(insert(rc, 2, INT64_MAX, INT64_MIN), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 3, -1003, -900), NG_OK);
    CHECK_EQ(insert(rc, 3, -901, -800), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 3, -900 + G, -800), NG_OK);
    /* A lifetime beyond the maximum is clamped to it. */
    CHECK_EQ(insert(rc, 4, 0, 10 * NG_REPLAY_CACHE_MAX_LIFETIME), NG_OK);
    CHECK_EQ(insert(rc, 4, NG_REPLAY_CACHE_MAX_LIFETIME - 1, 0), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 4, NG_REPLAY_CACHE_MAX_LIFETIME + G, 0), NG_OK);
    ng_replay_cache_destroy(rc);
}

/* Expiry ticks are stored modulo 2^22: entries straddling the wrap behave like any other. */
static void clock_wraps(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    int64_t wrap = (INT64_C(1) << 22) * G;
    for (int64_t base = wrap - 100; base < 3 * wrap; base += wrap) {
        uint32_t k = (uint32_t)(base / wrap) + 10;
        CHECK_EQ(insert(rc, k, base, base + 300), NG_OK);
        CHECK_EQ(insert(rc, k, base + 150, base + 450), NG_ERR_REPLAY);
        CHECK_EQ(insert(rc, k, base + 299, base + 600), NG_ERR_REPLAY);
        CHECK_EQ(insert(rc, k, base + 300 + G, base + 600), NG_OK);
    }
    ng_replay_cache_destroy(rc);
}

static void empty_and_invalid_parameters(void)
{
    struct ng_replay_cache *rc = NULL;
    CHECK_EQ(ng_replay_cache_create(&rc, 0), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_replay_cache_create(&rc, 33), NG_ERR_INVALID_PARAM);
    CHECK(rc == NULL);
    rc = new_cache(4);
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, NG_SLICE_EMPTY, NG_SLICE_EMPTY, 0, 100), NG_OK);
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, NG_SLICE_EMPTY, NG_SLICE_EMPTY, 0, 100),
             NG_ERR_REPLAY);
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, ng_slice_of(NULL, 4), ALICE, 0, 100),
             NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, ALICE, ng_slice_of(NULL, 4), 0, 100),
             NG_ERR_INVALID_PARAM);
    ng_replay_cache_destroy(rc);
}

/* The two-step insert (locate early, insert later) is the one-step insert: each sees the
 * other's keys as replays, and a key located for another owner is another key. */
static void located_insert_is_check_and_insert(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    struct key k = key_of(3);
    struct ng_slice material = ng_slice_of(k.bytes, sizeof k.bytes);
    struct ng_replay_key located, other_owner;
    ng_replay_cache_locate(rc, material, ALICE, &located);
    ng_replay_cache_locate(rc, material, ng_slice_of("bob@R", 5), &other_owner);
    CHECK_EQ(ng_replay_cache_check_and_insert_located(rc, &located, 1000, 1300), NG_OK);
    CHECK_EQ(insert(rc, 3, 1000, 1300), NG_ERR_REPLAY);
    CHECK_EQ(ng_replay_cache_check_and_insert_located(rc, &located, 1001, 1301), NG_ERR_REPLAY);
    CHECK_EQ(ng_replay_cache_check_and_insert_located(rc, &other_owner, 1000, 1300), NG_OK);
    CHECK_EQ(insert(rc, 4, 1000, 1300), NG_OK);
    ng_replay_cache_locate(rc, ng_slice_of(key_of(4).bytes, sizeof k.bytes), ALICE, &located);
    CHECK_EQ(ng_replay_cache_check_and_insert_located(rc, &located, 1000, 1300), NG_ERR_REPLAY);
    CHECK_EQ(located.cls, ng_replay_cache_owner_class(rc, ALICE));
    struct ng_replay_key zero = {0};
    CHECK_EQ(ng_replay_cache_check_and_insert_located(rc, &zero, 1000, 1300), NG_ERR_INVALID_PARAM);
    CHECK_EQ(ng_replay_cache_check_and_insert_located(NULL, &located, 1000, 1300),
             NG_ERR_INVALID_PARAM);
    ng_replay_cache_destroy(rc);
}

static void allocation_failure_is_nomem(void)
{
    struct ng_replay_cache *rc = NULL;
    ng_alloc_fail_after(1);
    CHECK_EQ(ng_replay_cache_create(&rc, 10), NG_ERR_NOMEM);
    ng_alloc_fail_after(0);
    CHECK(rc == NULL);
    rc = new_cache(10);
    CHECK_EQ(insert(rc, 1, 0, 100), NG_OK);
    ng_replay_cache_destroy(rc);
}

int main(void)
{
    RUN(first_insert_ok_second_replay);
    RUN(distinct_keys_ok);
    RUN(expired_entry_reusable);
    RUN(full_window_evicts_earliest);
    RUN(lagging_caller_never_misses_a_replay);
    RUN(overfilled_cache_refuses_every_replay);
    RUN(flood_from_one_owner_refuses_no_other);
    RUN(expiry_not_after_now_recorded_for_a_tick);
    RUN(extreme_times_clamped);
    RUN(clock_wraps);
    RUN(empty_and_invalid_parameters);
    RUN(located_insert_is_check_and_insert);
    RUN(allocation_failure_is_nomem);
    return check_report();
}
