#include "alloc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Counting starts with the first ng_alloc_fail_after: a process that never calls it (every one
 * but a test) only ever reads this flag, so its threads share no written cache line here. */
static atomic_bool counting;
static atomic_ulong fail_at;   /* 0: never fail */
static atomic_ulong alloc_seq; /* allocations since the last ng_alloc_fail_after */

static int injected_failure(void)
{
    if (!atomic_load_explicit(&counting, memory_order_relaxed))
        return 0;
    unsigned long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    unsigned long seq = atomic_fetch_add_explicit(&alloc_seq, 1, memory_order_relaxed) + 1;
    return at != 0 && seq >= at;
}

unsigned long ng_alloc_fail_after(unsigned long n)
{
    atomic_store(&counting, true);
    unsigned long seen = atomic_exchange(&alloc_seq, 0);
    atomic_store(&fail_at, n);
    return seen;
}

void *ng_alloc(size_t size)
{
    if (injected_failure())
        return NULL;
    return calloc(1, size ? size : 1);
}

void *ng_realloc(void *ptr, size_t size)
{
    if (injected_failure())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void ng_free_secret(void *ptr, size_t size)
{
    if (ptr == NULL)
        return;
    explicit_bzero(ptr, size);
    free(ptr);
}

void *ng_memdup(const void *ptr, size_t size)
{
    void *copy = ng_alloc(size);
    if (copy != NULL && size > 0)
        memcpy(copy, ptr, size);
    return copy;
}

char *ng_strdup(const char *s)
{
    return ng_memdup(s, strlen(s) + 1);
}
