/* negring-load's results: a human-readable summary, or one JSON object for scripts. */
#ifndef NEGRING_LOADGEN_REPORT_H
#define NEGRING_LOADGEN_REPORT_H

#include <stdio.h>

#include "engine.h"
#include "population.h"

struct lg_report {
    const struct lg_run *run;
    const struct lg_stats *totals;
    double pool_seconds; /* time spent making the pool before the timed phase */
    const char *url;
    double server_cpu_s; /* --server-pid: the server's CPU time in the timed phase */
    /* --users: the population, its untimed warm-up run and that run's counters; else NULL */
    const struct lg_population *population;
    const struct lg_run *warm_up;
    const struct lg_stats *warm_totals;
};

void lg_report_text(FILE *f, const struct lg_report *r);
void lg_report_json(FILE *f, const struct lg_report *r);

/* report.c, for report_population.c and report_open_loop.c */
double lg_report_elapsed_s(const struct lg_run *run);
double lg_report_us(uint64_t ns);
void lg_report_json_string(FILE *f, const char *s);

/* report_population.c: the population, its warm-up and the handshakes by class */
void lg_report_population_text(FILE *f, const struct lg_report *r);
void lg_report_population_json(FILE *f, const struct lg_report *r);
/* report_open_loop.c: the target rate against what was achieved, and the starts' lag */
void lg_report_open_loop_text(FILE *f, const struct lg_report *r);
void lg_report_open_loop_json(FILE *f, const struct lg_report *r);

#endif
