/* Handshakes counted by class: with a population (--users), a handshake is a ticket's first use
 * (a service ticket the server has never seen: it decrypts the ticket and verifies its PAC) or a
 * repeat (the user's ticket, seen before: a server with a ticket cache skips that work). Each
 * worker counts into its own; merged at the end. Not thread-safe. */
#ifndef NEGRING_LOADGEN_CLASS_STATS_H
#define NEGRING_LOADGEN_CLASS_STATS_H

#include <stdint.h>

#include "histogram.h"

enum lg_class { LG_CLASS_REPEAT, LG_CLASS_FIRST_USE, LG_CLASS_COUNT };

extern const char *const lg_class_names[LG_CLASS_COUNT]; /* "repeat", "first_use" */

struct lg_class_stats {
    uint64_t ok, failed;
    struct lg_histogram latency_ns; /* of the successful ones */
};

void lg_class_stats_init(struct lg_class_stats *s);
void lg_class_record_ok(struct lg_class_stats *s, uint64_t latency_ns);
void lg_class_record_failed(struct lg_class_stats *s);
void lg_class_stats_merge(struct lg_class_stats *into, const struct lg_class_stats *from);

#endif
