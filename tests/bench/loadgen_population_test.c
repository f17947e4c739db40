/* A population run's pure parts (bench/loadgen/population_plan.c, class_stats.c): first uses are
 * exactly their share of every prefix of the pool and spread evenly, users are drawn uniformly
 * and reproducibly, user names come from the format or are refused, and handshakes counted by
 * class merge across workers. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "class_stats.h"
#include "population_plan.h"

static void percent_to_parts_per_million(void)
{
    CHECK_EQ(lg_plan_ppm(0), 0);
    CHECK_EQ(lg_plan_ppm(10), 100000);
    CHECK_EQ(lg_plan_ppm(12.5), 125000);
    CHECK_EQ(lg_plan_ppm(0.0001), 1);
    CHECK_EQ(lg_plan_ppm(100), LG_PPM);
}

/* Tokens 0..n-1 at share ppm: the count of first uses in every prefix is exact, and no two are
 * further apart than the share allows. */
static void check_share(uint32_t ppm, uint64_t n)
{
    uint64_t seen = 0, last = 0, widest = 0;
    bool exact = true;
    for (uint64_t i = 0; i < n; i++) {
        if (lg_plan_is_first_use(i, ppm)) {
            if (seen > 0 && i - last > widest)
                widest = i - last;
            seen++;
            last = i;
        }
        exact = exact && seen == (i + 1) * ppm / LG_PPM;
    }
    CHECK(exact);
    CHECK_EQ(seen, lg_plan_first_uses(n, ppm));
    if (ppm > 0)
        CHECK(widest <= LG_PPM / ppm + 1);
}

static void first_uses_are_their_share_of_every_prefix(void)
{
    check_share(0, 1000);
    check_share(LG_PPM, 1000);
    check_share(500000, 200); /* 50 %: every other token */
    check_share(100000, 20000);
    check_share(lg_plan_ppm(2.5), 20000);
    check_share(lg_plan_ppm(0.01), 100000);
    CHECK_EQ(lg_plan_first_uses(200, 500000), 100);
    CHECK_EQ(lg_plan_first_uses(20000, 100000), 2000);
    CHECK_EQ(lg_plan_first_uses(20001, 100000), 2000); /* rounded down */
    CHECK(!lg_plan_is_first_use(0, 100000));           /* the first comes at the share's end */
    CHECK(lg_plan_is_first_use(9, 100000));
    /* Past 2^64 / 10^6 tokens the product would overflow; the split keeps it exact. */
    CHECK_EQ(lg_plan_first_uses(UINT64_MAX / 2, LG_PPM), UINT64_MAX / 2);
}

static void users_are_drawn_uniformly_and_reproducibly(void)
{
    enum { USERS = 20, DRAWS = 200000 };
    uint64_t counts[USERS + 1] = {0};
    bool in_range = true;
    for (uint64_t i = 0; i < DRAWS; i++) {
        uint32_t u = lg_plan_user(i, USERS);
        in_range = in_range && u >= 1 && u <= USERS;
        if (u >= 1 && u <= USERS)
            counts[u]++;
    }
    CHECK(in_range);
    /* Each user's count is binomial, sd ~ 97 around 10,000: 5 % is over 5 sd. */
    for (int u = 1; u <= USERS; u++)
        CHECK(counts[u] > DRAWS / USERS * 95 / 100 && counts[u] < DRAWS / USERS * 105 / 100);
    CHECK_EQ(lg_plan_user(12345, USERS), lg_plan_user(12345, USERS));
    CHECK_EQ(lg_plan_user(7, 1), 1);
    /* Neighbouring tokens do not walk the users in order. */
    int in_order = 0;
    for (uint64_t i = 0; i < 1000; i++)
        in_order += lg_plan_user(i + 1, 10000) == lg_plan_user(i, 10000) % 10000 + 1;
    CHECK(in_order < 5);
}

static void user_names_from_the_format(void)
{
    char name[32];
    CHECK(lg_user_name("user%u", 17, name, sizeof(name)));
    CHECK(strcmp(name, "user17") == 0);
    CHECK(lg_user_name("u%u@EXAMPLE.COM", 1000000, name, sizeof(name)));
    CHECK(strcmp(name, "u1000000@EXAMPLE.COM") == 0);
    CHECK(lg_user_name("%u", 4294967295u, name, sizeof(name)));
    CHECK(strcmp(name, "4294967295") == 0);
    CHECK(lg_user_name("user%u", 99, name, 7)); /* "user99" and its terminator: just fits */
    CHECK(!lg_user_name("user%u", 100, name, 7));
    const char *bad[] = {"user", "%u%u", "user%d", "%", "user%", "%%u", "a%ub%s", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(!lg_user_format_valid(bad[i]));
        CHECK(!lg_user_name(bad[i], 1, name, sizeof(name)));
    }
}

static void classes_count_and_merge(void)
{
    struct lg_class_stats *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    REQUIRE(a && b);
    lg_class_stats_init(a);
    lg_class_stats_init(b);
    for (uint64_t v = 1; v <= 100; v++)
        lg_class_record_ok(v <= 60 ? a : b, v * 1000);
    lg_class_record_failed(a);
    lg_class_record_failed(b);
    lg_class_record_failed(b);
    CHECK_EQ(a->ok, 60);
    CHECK_EQ(b->ok, 40);
    lg_class_stats_merge(a, b);
    CHECK_EQ(a->ok, 100);
    CHECK_EQ(a->failed, 3);
    CHECK_EQ(a->latency_ns.count, 100); /* failures have no latency */
    CHECK_EQ(a->latency_ns.max, 100000);
    uint64_t p50 = lg_hist_quantile(&a->latency_ns, 0.5);
    CHECK(p50 >= 50000 && p50 <= 50000 + 50000 / 64 + 1);
    CHECK(strcmp(lg_class_names[LG_CLASS_FIRST_USE], "first_use") == 0);
    CHECK(strcmp(lg_class_names[LG_CLASS_REPEAT], "repeat") == 0);
    free(a);
    free(b);
}

int main(void)
{
    RUN(percent_to_parts_per_million);
    RUN(first_uses_are_their_share_of_every_prefix);
    RUN(users_are_drawn_uniformly_and_reproducibly);
    RUN(user_names_from_the_format);
    RUN(classes_count_and_merge);
    return check_report();
}
