/* negring-load's results: a human-readable summary, or one JSON object for scripts. */
#ifndef NEGRING_LOADGEN_REPORT_H
#define NEGRING_LOADGEN_REPORT_H

#include <stdio.h>

#include "engine.h"

struct lg_report {
    const struct lg_run *run;
    const struct lg_stats *totals;
    double pool_seconds; /* time spent making the pool before the timed phase */
    const char *url;
};

void lg_report_text(FILE *f, const struct lg_report *r);
void lg_report_json(FILE *f, const struct lg_report *r);

#endif
