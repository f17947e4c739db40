/* Zeroed anonymous memory for the tables an accept probes at a random place (the replay
 * cache, NTLM's issued-challenge set). Left to fault in, such a table's pages would cost its
 * first accepts a page fault each, two when the first touch is a read (the kernel's zero page,
 * then a copy on the write); backed, a fresh process's first accepts run at steady-state speed.
 * Huge pages where the kernel gives them (madvise mode) also spare the TLB a miss on nearly
 * every probe. */
#ifndef NEGRING_CORE_TABLE_PAGES_H
#define NEGRING_CORE_TABLE_PAGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `len` zeroed bytes, page-aligned; backed now when `back_now`, else left unreserved until
 * ng_table_pages_back. NULL when the kernel refuses the mapping. */
void *ng_table_pages_map(size_t len, bool back_now);
/* Backs every page of a mapping from ng_table_pages_map (its contents unchanged). */
void ng_table_pages_back(void *pages, size_t len);
/* Backs every page of any memory of 64-bit words (heap memory too, at any alignment; a table
 * holding pointers stays on the heap, where a leak checker sees them) by an atomic add of zero
 * to a word in each page: it changes nothing but the mapping, even beside other threads. */
void ng_pages_touch(_Atomic uint64_t *words, size_t len);
void ng_table_pages_unmap(void *pages, size_t len);

#endif
