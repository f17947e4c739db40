/* The open loop (--rate): when each handshake is due, fixed in advance and independent of when
 * earlier ones finished, so that a slow answer cannot hold back the starts behind it and so hide
 * its own delay ("coordinated omission", Gil Tene; wrk2's approach). Latency is then measured
 * from a handshake's scheduled start, not from when a free connection let it begin.
 *
 * Each worker thread keeps its own schedule for its share of the rate: start k is due at
 * first_ns + k * interval_ns. Pure arithmetic on times the caller passes: no clock is read here.
 * Not thread-safe: one schedule per worker. */
#ifndef NEGRING_LOADGEN_SCHEDULE_H
#define NEGRING_LOADGEN_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct lg_schedule {
    uint64_t first_ns;  /* start 0 */
    double interval_ns; /* between two starts */
    uint64_t limit;     /* starts in all (count mode), or UINT64_MAX */
    uint64_t end_ns;    /* nothing is due at or after this (duration mode), or UINT64_MAX */
    uint64_t claimed;   /* starts handed out so far */
};

/* A schedule of `per_s` starts per second (> 0) from first_ns on. */
void lg_schedule_init(struct lg_schedule *s, uint64_t first_ns, double per_s, uint64_t limit,
                      uint64_t end_ns);
/* When start k is due. */
uint64_t lg_schedule_at(const struct lg_schedule *s, uint64_t k);
/* Every start was claimed or falls past the end. */
bool lg_schedule_over(const struct lg_schedule *s);
/* Claims the next start if it is due at `now`: true, with the time it was due in *due_ns. */
bool lg_schedule_claim(struct lg_schedule *s, uint64_t now, uint64_t *due_ns);
/* Nanoseconds from `now` to the next start: 0 when one is due, UINT64_MAX when none is left. */
uint64_t lg_schedule_wait_ns(const struct lg_schedule *s, uint64_t now);
/* Starts that fell due before `now` (and before the end) but were not claimed: the backlog. */
uint64_t lg_schedule_overdue(const struct lg_schedule *s, uint64_t now);

#endif
