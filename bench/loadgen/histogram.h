/* A log-linear latency histogram (the HdrHistogram layout, our own code): values below 128 are
 * counted exactly, larger ones in 64 sub-buckets per power of two, so any recorded value is
 * reported within 1/64 (1.6 %) of its true size, from 1 ns to hours, in a fixed 30 KiB array.
 * Not thread-safe: each worker thread records into its own and they are merged at the end. */
#ifndef NEGRING_LOADGEN_HISTOGRAM_H
#define NEGRING_LOADGEN_HISTOGRAM_H

#include <stdint.h>

#define LG_HIST_SUB_BITS 7
#define LG_HIST_BUCKETS  (128 + 57 * 64)

struct lg_histogram {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint64_t buckets[LG_HIST_BUCKETS];
};

void lg_hist_init(struct lg_histogram *h);
void lg_hist_record(struct lg_histogram *h, uint64_t value);
void lg_hist_merge(struct lg_histogram *into, const struct lg_histogram *from);
/* The smallest recorded value v such that at least `quantile` (0..1) of the values are <= v,
 * reported as the upper edge of v's bucket (clamped to the true maximum); 0 when empty. */
uint64_t lg_hist_quantile(const struct lg_histogram *h, double quantile);
double lg_hist_mean(const struct lg_histogram *h);

#endif
