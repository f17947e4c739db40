/* The open loop's schedule (bench/loadgen/schedule.c): starts are handed out only once due, in
 * order, each with the time it was due; the count and the end bound them; the backlog of due
 * starts matches a count made one start at a time, for whole and fractional intervals. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "schedule.h"

static void starts_only_when_due_each_with_its_time(void)
{
    struct lg_schedule s;
    lg_schedule_init(&s, 1000, 1e6, UINT64_MAX, UINT64_MAX); /* one start per microsecond */
    uint64_t due = 0;
    CHECK(!lg_schedule_claim(&s, 999, &due));
    CHECK_EQ(lg_schedule_wait_ns(&s, 999), 1);
    CHECK(lg_schedule_claim(&s, 1000, &due));
    CHECK_EQ(due, 1000);
    CHECK(!lg_schedule_claim(&s, 1000, &due));
    CHECK_EQ(lg_schedule_wait_ns(&s, 1500), 500);
    /* Late: every start that fell due is handed out, oldest first, with its own time. */
    uint64_t expected = 2000;
    while (lg_schedule_claim(&s, 5500, &due)) {
        CHECK_EQ(due, expected);
        expected += 1000;
    }
    CHECK_EQ(expected, 6000);
    CHECK_EQ(s.claimed, 5);
    CHECK_EQ(lg_schedule_wait_ns(&s, 5500), 500);
    CHECK_EQ(lg_schedule_wait_ns(&s, 7000), 0);
    CHECK(!lg_schedule_over(&s));
}

static void count_limit_ends_the_schedule(void)
{
    struct lg_schedule s;
    lg_schedule_init(&s, 0, 1000, 3, UINT64_MAX);
    uint64_t due;
    int n = 0;
    while (lg_schedule_claim(&s, UINT64_MAX / 2, &due))
        n++;
    CHECK_EQ(n, 3);
    CHECK(lg_schedule_over(&s));
    CHECK_EQ(lg_schedule_wait_ns(&s, 0), UINT64_MAX);
    CHECK_EQ(lg_schedule_overdue(&s, UINT64_MAX / 2), 0);
}

static void end_time_ends_the_schedule(void)
{
    struct lg_schedule s;
    lg_schedule_init(&s, 1000, 1e6, UINT64_MAX, 3500); /* due at 1000, 2000, 3000 only */
    uint64_t due;
    CHECK_EQ(lg_schedule_overdue(&s, 10000), 3);
    int n = 0;
    while (lg_schedule_claim(&s, 10000, &due))
        n++;
    CHECK_EQ(n, 3);
    CHECK_EQ(due, 3000);
    CHECK(lg_schedule_over(&s));
    CHECK_EQ(lg_schedule_overdue(&s, 10000), 0);
}

static void backlog_counts_due_starts_not_claimed(void)
{
    struct lg_schedule s;
    lg_schedule_init(&s, 1000, 1e6, UINT64_MAX, UINT64_MAX);
    CHECK_EQ(lg_schedule_overdue(&s, 0), 0);
    CHECK_EQ(lg_schedule_overdue(&s, 1000), 0); /* due at 1000 is not before 1000 */
    CHECK_EQ(lg_schedule_overdue(&s, 1001), 1);
    CHECK_EQ(lg_schedule_overdue(&s, 10500), 10);
    uint64_t due;
    for (int i = 0; i < 4; i++)
        REQUIRE(lg_schedule_claim(&s, 10500, &due));
    CHECK_EQ(lg_schedule_overdue(&s, 10500), 6);
    lg_schedule_init(&s, 1000, 1e6, 7, UINT64_MAX);
    CHECK_EQ(lg_schedule_overdue(&s, 1000000), 7); /* never more than the count */
}

/* Brute force: starts due strictly before t, one at a time. */
static uint64_t due_before_by_hand(const struct lg_schedule *s, uint64_t t)
{
    uint64_t n = 0;
    while (n < s->limit && lg_schedule_at(s, n) < t && lg_schedule_at(s, n) < s->end_ns)
        n++;
    return n;
}

static void fractional_intervals_keep_the_rate(void)
{
    const double rates[] = {3, 7.5, 1000.0 / 3, 48611.1, 1e7};
    for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
        struct lg_schedule s;
        lg_schedule_init(&s, 123456789, rates[r], UINT64_MAX, UINT64_MAX);
        /* The backlog formula agrees with counting, at many points and at the starts' edges. */
        for (uint64_t k = 0; k < 200; k++) {
            uint64_t at = lg_schedule_at(&s, k * 37);
            for (uint64_t t = at - 1; t <= at + 1; t++)
                CHECK_EQ(lg_schedule_overdue(&s, t), due_before_by_hand(&s, t));
        }
        /* Over a second, rate starts (within one), evenly: no gap off the interval by 1 ns. */
        uint64_t due, prev = 0, n = 0;
        bool even = true;
        uint64_t second = lg_schedule_at(&s, 0) + 1000000000u;
        while (lg_schedule_claim(&s, second - 1, &due)) {
            double gap = n ? (double)(due - prev) : s.interval_ns;
            even = even && gap > s.interval_ns - 1.0 && gap < s.interval_ns + 1.0;
            prev = due;
            n++;
        }
        CHECK(even);
        CHECK((double)n >= rates[r] - 1 && (double)n <= rates[r] + 1);
    }
}

int main(void)
{
    RUN(starts_only_when_due_each_with_its_time);
    RUN(count_limit_ends_the_schedule);
    RUN(end_time_ends_the_schedule);
    RUN(backlog_counts_due_starts_not_claimed);
    RUN(fractional_intervals_keep_the_rate);
    return check_report();
}
