#include "table_pages.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

void *ng_table_pages_map(size_t len, bool back_now)
{
    /* NORESERVE: pages not yet backed count against nothing until they are. */
    void *pages =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (pages == MAP_FAILED)
        return NULL;
    if (back_now)
        ng_table_pages_back(pages, len);
    return pages;
}

void ng_table_pages_back(void *pages, size_t len)
{
    (void)madvise(pages, len, MADV_HUGEPAGE); /* before the pages exist, or it comes too late */
    if (madvise(pages, len, MADV_POPULATE_WRITE) == 0)
        return;
    /* Kernels before 5.14: one write per page. The table may be in use already (a replay cache
     * backed by its first accepting thread), so the write is an atomic add of zero: it changes
     * nothing but the mapping. */
    long page = sysconf(_SC_PAGESIZE);
    size_t step = page > 0 ? (size_t)page / sizeof(uint64_t) : 512;
    _Atomic uint64_t *words = pages;
    for (size_t i = 0; i < len / sizeof(uint64_t); i += step)
        atomic_fetch_add_explicit(&words[i], 0, memory_order_relaxed);
}

void ng_table_pages_unmap(void *pages, size_t len)
{
    if (pages != NULL)
        munmap(pages, len);
}
