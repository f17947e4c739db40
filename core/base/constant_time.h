/* Comparisons of secrets (MACs, checksums) that take the same time wherever they differ. */
#ifndef NEGRING_CORE_CONSTANT_TIME_H
#define NEGRING_CORE_CONSTANT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool ng_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

#endif
