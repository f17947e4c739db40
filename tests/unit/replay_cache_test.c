/* core/replay_cache.c: first sight vs replay, expiry and slot reuse, a full probe window,
 * time clamping and wrap-around, parameter and allocation failures. */
#include "alloc.h"
#include "check.h"
#include "replay_cache.h"

#include <stdint.h>

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

static ng_status insert(struct ng_replay_cache *rc, uint32_t i, int64_t now, int64_t expires_at)
{
    struct key k = key_of(i);
    return ng_replay_cache_check_and_insert(rc, ng_slice_of(k.bytes, sizeof k.bytes), now,
                                            expires_at);
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

static void full_window_of_live_entries(void)
{
    struct ng_replay_cache *rc = new_cache(5); /* 32 slots: one window is the whole cache */
    for (uint32_t i = 0; i < 32; i++)
        REQUIRE(insert(rc, i, 0, 100) == NG_OK);
    CHECK_EQ(insert(rc, 32, 50, 150), NG_ERR_FULL);
    CHECK_EQ(insert(rc, 33, 50, 150), NG_ERR_FULL);
    CHECK_EQ(insert(rc, 5, 50, 150), NG_ERR_REPLAY); /* replays still detected when full */
    /* Once the entries expire their slots are reused. */
    CHECK_EQ(insert(rc, 32, 100 + G, 400), NG_OK);
    CHECK_EQ(insert(rc, 32, 100 + G, 400), NG_ERR_REPLAY);
    CHECK_EQ(insert(rc, 5, 100 + G, 400), NG_OK);
    ng_replay_cache_destroy(rc);

    rc = new_cache(1); /* two slots */
    CHECK_EQ(insert(rc, 1, 0, 100), NG_OK);
    CHECK_EQ(insert(rc, 2, 0, 100), NG_OK);
    CHECK_EQ(insert(rc, 3, 0, 100), NG_ERR_FULL);
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

/* Expiry ticks are stored modulo 2^24: entries straddling the wrap behave like any other. */
static void clock_wraps(void)
{
    struct ng_replay_cache *rc = new_cache(10);
    int64_t wrap = (INT64_C(1) << 24) * G;
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
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, NG_SLICE_EMPTY, 0, 100), NG_OK);
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, NG_SLICE_EMPTY, 0, 100), NG_ERR_REPLAY);
    CHECK_EQ(ng_replay_cache_check_and_insert(rc, ng_slice_of(NULL, 4), 0, 100),
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
    RUN(full_window_of_live_entries);
    RUN(expiry_not_after_now_recorded_for_a_tick);
    RUN(extreme_times_clamped);
    RUN(clock_wraps);
    RUN(empty_and_invalid_parameters);
    RUN(allocation_failure_is_nomem);
    return check_report();
}
