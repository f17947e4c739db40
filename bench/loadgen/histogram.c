#include "histogram.h"

#include <string.h>

void lg_hist_init(struct lg_histogram *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

static unsigned bucket_of(uint64_t v)
{
    if (v < (1u << LG_HIST_SUB_BITS))
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - LG_HIST_SUB_BITS + 1; /* >= 1: keeps the top 7 bits, 64..127 */
    unsigned sub = (unsigned)(v >> shift);
    return 128u + (shift - 1u) * 64u + (sub - 64u);
}

/* The largest value that falls into bucket i. */
static uint64_t bucket_high(unsigned i)
{
    if (i < 128)
        return i;
    unsigned shift = (i - 128u) / 64u + 1u;
    uint64_t sub = 64u + (i - 128u) % 64u;
    return ((sub + 1) << shift) - 1;
}

void lg_hist_record(struct lg_histogram *h, uint64_t value)
{
    h->buckets[bucket_of(value)]++;
    h->count++;
    h->sum += (double)value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void lg_hist_merge(struct lg_histogram *into, const struct lg_histogram *from)
{
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t lg_hist_quantile(const struct lg_histogram *h, double quantile)
{
    if (h->count == 0)
        return 0;
    /* Rank of the wanted value, 1-based, rounded up so p100 is the maximum. */
    double want = quantile * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t high = bucket_high(i);
            return high < h->max ? high : h->max;
        }
    }
    return h->max;
}

double lg_hist_mean(const struct lg_histogram *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
