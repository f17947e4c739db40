#include "table_pages.h"

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
    if (madvise(pages, len, MADV_POPULATE_WRITE) != 0) /* kernels before 5.14 */
        ng_pages_touch(pages, len);
}

void ng_pages_touch(_Atomic uint64_t *words, size_t len)
{
    size_t count = len / sizeof(*words);
    if (count == 0)
        return;
    long page = sysconf(_SC_PAGESIZE);
    size_t step = page > 0 ? (size_t)page / sizeof(*words) : 512;
    /* A word every page from the first, and the last, which may sit on one more page. */
    for (size_t i = 0; i < count; i += step)
        atomic_fetch_add_explicit(&words[i], 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&words[count - 1], 0, memory_order_relaxed);
}

void ng_table_pages_unmap(void *pages, size_t len)
{
    if (pages != NULL)
        munmap(pages, len);
}
