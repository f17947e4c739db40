/* Allocation-failure injection inside MIT krb5 (libkrb5, libk5crypto, libkrb5support), which
 * allocate with their own malloc/calloc/realloc calls and so never pass through ng_alloc.
 *
 * The hook rewrites those libraries' PLT slots (their GOT entries for malloc, calloc and
 * realloc) to wrappers that ask `fail_now` before each allocation and return NULL when it says
 * so; free stays untouched. Only what MIT krb5 allocates directly is reached: memory that libc
 * allocates for it (strdup, asprintf) and plugins loaded later are not. Tests only. */
#ifndef NEGRING_TESTS_HARNESS_KRB5_ALLOC_HOOK_H
#define NEGRING_TESTS_HARNESS_KRB5_ALLOC_HOOK_H

#include <stdbool.h>

/* Installs the hook once (later calls only replace `fail_now`); returns the number of PLT slots
 * redirected, 0 if none was found. Not thread-safe against allocations running meanwhile on
 * other threads: call it before they start. */
int ng_test_hook_krb5_allocs(bool (*fail_now)(void));

#endif
