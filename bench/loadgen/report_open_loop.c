/* The open loop's lines of the report (--rate): did the run keep its schedule? */
#include <inttypes.h>

#include "report.h"

/* The target counts as achieved when the completed handshakes reach this share of it. */
#define ACHIEVED_SHARE 0.99

/* Successful handshakes over the time they had: a -d run's duration, or from the start to the
 * last success (the run's own end comes later, when the main thread notices the workers are
 * done). */
static double achieved_per_s(const struct lg_report *r)
{
    const struct lg_run *run = r->run;
    const struct lg_stats *t = r->totals;
    double s = run->o->duration_s;
    if (s == 0 && t->last_done_ns > run->t_start_ns)
        s = (double)(t->last_done_ns - run->t_start_ns) / 1e9;
    return s > 0 ? (double)t->ok / s : 0.0;
}

static bool achieved(const struct lg_report *r)
{
    return achieved_per_s(r) >= ACHIEVED_SHARE * r->run->o->rate;
}

void lg_report_open_loop_text(FILE *f, const struct lg_report *r)
{
    const struct lg_stats *t = r->totals;
    double target = r->run->o->rate;
    if (target <= 0)
        return;
    const struct lg_histogram *lag = &t->start_lag_ns;
    fprintf(f,
            "open loop    target %.1f/s, achieved %.1f/s (%.1f%%): %s; latency from each "
            "scheduled start\n",
            target, achieved_per_s(r), 100 * achieved_per_s(r) / target,
            achieved(r) ? "target met" : "TARGET MISSED");
    fprintf(f,
            "start lag    p50 %.0f  p99 %.0f  max %.0f us; %" PRIu64 " of %" PRIu64
            " starts late by over %.0f ms, %" PRIu64 " due but never started\n",
            lg_report_us(lg_hist_quantile(lag, 0.5)), lg_report_us(lg_hist_quantile(lag, 0.99)),
            lg_report_us(lag->max), t->late_starts, lag->count, LG_LATE_NS / 1e6, t->overdue);
}

void lg_report_open_loop_json(FILE *f, const struct lg_report *r)
{
    const struct lg_stats *t = r->totals;
    if (r->run->o->rate <= 0)
        return;
    const struct lg_histogram *lag = &t->start_lag_ns;
    fprintf(f,
            ",\"open_loop\":{\"target_per_s\":%.1f,\"achieved_per_s\":%.1f,\"achieved\":%s,"
            "\"started\":%" PRIu64 ",\"late_starts\":%" PRIu64 ",\"late_after_us\":%.0f,"
            "\"overdue\":%" PRIu64,
            r->run->o->rate, achieved_per_s(r), achieved(r) ? "true" : "false", lag->count,
            t->late_starts, lg_report_us(LG_LATE_NS), t->overdue);
    fprintf(f, ",\"start_lag_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}}",
            lg_report_us(lg_hist_quantile(lag, 0.5)), lg_report_us(lg_hist_quantile(lag, 0.99)),
            lg_report_us(lag->max));
}
