/* Every allocation in libnegring goes through here, so tests can make the Nth one fail
 * (allocation-failure injection) and secrets can be wiped on free. */
#ifndef NEGRING_CORE_ALLOC_H
#define NEGRING_CORE_ALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *ng_alloc(size_t size); /* zeroed; NULL on failure */
void *ng_realloc(void *ptr, size_t size);
/* Inline, and nothing for NULL: freeing a context passes most of its optional fields empty. */
static inline void ng_free(void *ptr)
{
    if (ptr != NULL)
        free(ptr);
}
/* Wipes `size` bytes before freeing: for keys, passwords and decrypted tickets. */
void ng_free_secret(void *ptr, size_t size);
char *ng_strdup(const char *s);
void *ng_memdup(const void *ptr, size_t size);

/* Test hook: the `n`th allocation from now (1-based) and every one after it fails, until
 * reset with 0. Counted per process, atomically, from the first call on. Returns allocations
 * seen since the last call. */
unsigned long ng_alloc_fail_after(unsigned long n);

#endif
