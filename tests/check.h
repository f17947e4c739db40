/* A minimal assertion kit for the unit tests: each failed CHECK prints where and why and the
 * test's exit code becomes 1. One executable per module; ctest runs them all. */
#ifndef NEGRING_TESTS_CHECK_H
#define NEGRING_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_passes;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passes++;                                                                        \
        } else {                                                                                   \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ == check_b_) {                                                                \
            check_passes++;                                                                        \
        } else {                                                                                   \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%llx != 0x%llx)\n", __FILE__,     \
                    __LINE__, #a, #b, (unsigned long long)check_a_, (unsigned long long)check_b_); \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* Fatal precondition: stop the test when later checks would be meaningless. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);             \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define RUN(test_fn)                                                                               \
    do {                                                                                           \
        int check_before_ = check_failures;                                                        \
        test_fn();                                                                                 \
        fprintf(stderr, "%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", #test_fn);   \
    } while (0)

static inline int check_report(void)
{
    fprintf(stderr, "%d checks passed, %d failed\n", check_passes, check_failures);
    return check_failures == 0 && check_passes > 0 ? 0 : 1;
}

#endif
