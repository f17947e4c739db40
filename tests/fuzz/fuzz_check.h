/* What every fuzz target shares: an invariant check that aborts (so libFuzzer records the input
 * as a crash) and a helper to tell whether a parsed slice lies inside the input. */
#ifndef NEGRING_TESTS_FUZZ_CHECK_H
#define NEGRING_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "slice.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* An empty slice is inside anything; a non-empty one must lie within [data, data+size). */
static inline int fuzz_inside(struct ng_slice s, const uint8_t *data, size_t size)
{
    if (s.len == 0)
        return 1;
    return s.ptr >= data && s.len <= size && (size_t)(s.ptr - data) <= size - s.len;
}

#endif
