/* core/base/table_pages.c: a mapping backed at creation (or later), or heap memory touched
 * page by page, takes its first writes on every page without a page fault, a mapping left
 * unbacked faults on them, and all read as zero. The
 * faults are the process's minor faults (getrusage) around a loop of plain writes. */
#include "check.h"
#include "table_pages.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

enum { PAGES = 64 };

static long minor_faults(void)
{
    struct rusage u;
    REQUIRE(getrusage(RUSAGE_SELF, &u) == 0);
    return u.ru_minflt;
}

/* Reads the first word of every page (all must be zero), then writes it; the faults taken.
 * Uninstrumented: a sanitizer's first look at its shadow of the pages would fault too. */
__attribute__((no_sanitize("address", "thread"))) static long
faults_reading_then_writing(volatile uint64_t *words, size_t page_words)
{
    long before = minor_faults();
    bool zero = true;
    for (size_t p = 0; p < PAGES; p++) {
        zero = zero && words[p * page_words] == 0;
        words[p * page_words] = p + 1;
    }
    long taken = minor_faults() - before;
    CHECK(zero);
    return taken;
}

static void test_backed_at_creation_takes_no_fault(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
    uint64_t *words = ng_table_pages_map(len, true);
    REQUIRE(words != NULL);
    CHECK_EQ(faults_reading_then_writing(words, page / sizeof(*words)), 0);
    ng_table_pages_unmap(words, len);
}

static void test_unbacked_faults_until_backed(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page;
    uint64_t *words = ng_table_pages_map(len, false);
    REQUIRE(words != NULL);
    /* Reads first, as a probe does: the zero page, then a copy on the write. */
    CHECK(faults_reading_then_writing(words, page / sizeof(*words)) >= PAGES);
    ng_table_pages_unmap(words, len);

    words = ng_table_pages_map(len, false);
    REQUIRE(words != NULL);
    words[3] = 42; /* in use before it is backed (a replay cache's first thread) */
    ng_table_pages_back(words, len);
    CHECK_EQ(words[3], 42);
    words[3] = 0;
    CHECK_EQ(faults_reading_then_writing(words, page / sizeof(*words)), 0);
    ng_table_pages_unmap(words, len);
}

/* Heap memory at any alignment (a ticket cache's slots): every page it spans backed, the last
 * partial one included, its words unchanged. A multiple of the page plus a word, so a start
 * just past a page boundary spans one page more than the loop's steps reach. */
static void test_touch_backs_heap_memory(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = PAGES * page + sizeof(uint64_t);
    uint8_t *block = calloc(1, len + page + sizeof(uint64_t));
    REQUIRE(block != NULL);
    /* the first word after a page boundary, so the words run onto one page more */
    uintptr_t boundary = ((uintptr_t)block + page) & ~(uintptr_t)(page - 1);
    _Atomic uint64_t *words = (_Atomic uint64_t *)(boundary + sizeof(uint64_t));
    words[1] = 7;
    ng_pages_touch(words, len);
    CHECK_EQ(words[1], 7);
    words[1] = 0;
    long before = minor_faults();
    size_t count = len / sizeof(uint64_t);
    for (size_t i = 0; i < count; i += page / sizeof(uint64_t) / 2)
        atomic_store_explicit(&words[i], i, memory_order_relaxed);
    atomic_store_explicit(&words[count - 1], 1, memory_order_relaxed);
    CHECK_EQ(minor_faults() - before, 0);
    free(block);
}

int main(void)
{
    RUN(test_backed_at_creation_takes_no_fault);
    RUN(test_unbacked_faults_until_backed);
    RUN(test_touch_backs_heap_memory);
    ng_table_pages_unmap(NULL, 0); /* nothing to undo */
    return check_report();
}
