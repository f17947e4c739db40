/* A borrowed view of bytes: {ptr, len}. Parsed fields are slices into the caller's input
 * buffer; they live exactly as long as that buffer does and are never freed. */
#ifndef NEGRING_CORE_SLICE_H
#define NEGRING_CORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ng_slice {
    const uint8_t *ptr;
    size_t len;
};

#define NG_SLICE_EMPTY ((struct ng_slice){NULL, 0})

static inline struct ng_slice ng_slice_of(const void *ptr, size_t len)
{
    return (struct ng_slice){(const uint8_t *)ptr, len};
}

/* b's length throughout: a caller comparing with a constant empty slice then has no memcmp
 * left for GCC's -Wnonnull to see with a NULL argument (at -O3). */
static inline bool ng_slice_eq(struct ng_slice a, struct ng_slice b)
{
    return a.len == b.len && (b.len == 0 || memcmp(a.ptr, b.ptr, b.len) == 0);
}

#endif
