/* The population's lines of the report (--users): how the users and tickets were made, the
 * warm-up, and the timed handshakes by class (first use, repeat). */
#include <inttypes.h>

#include "report.h"

static const double quantiles[] = {0.5, 0.9, 0.99};
static const char *const quantile_names[] = {"p50", "p90", "p99"};

static double per_s(const struct lg_report *r, uint64_t n)
{
    double s = lg_report_elapsed_s(r->run);
    return s > 0 ? (double)n / s : 0.0;
}

static void class_text(FILE *f, const struct lg_report *r, enum lg_class k, const char *label)
{
    const struct lg_class_stats *c = &r->totals->classes[k];
    fprintf(f, "%-12s %" PRIu64 " ok, %" PRIu64 " failed, %.1f/s; latency", label, c->ok, c->failed,
            per_s(r, c->ok));
    for (int i = 0; i < 3; i++)
        fprintf(f, "%s%s %.0f", i ? "  " : " ", quantile_names[i],
                lg_report_us(lg_hist_quantile(&c->latency_ns, quantiles[i])));
    fprintf(f, "  max %.0f us\n", lg_report_us(c->latency_ns.max));
}

void lg_report_population_text(FILE *f, const struct lg_report *r)
{
    const struct lg_population *p = r->population;
    if (p == NULL)
        return;
    fprintf(f,
            "population   %u users (%s) signed in with a service ticket each in %.2f s; "
            "%" PRIu64 " of the %" PRIu64 " pool tokens are first uses (a sign-in and ticket "
            "of their own)\n",
            p->count, p->o->user_format, p->sign_in_s, p->first_uses, r->run->pool.size);
    fprintf(f,
            "warm-up      %" PRIu64 " ok, %" PRIu64 " failed in %.2f s (each user's ticket "
            "shown once, untimed)\n",
            (uint64_t)r->warm_totals->ok, (uint64_t)r->warm_totals->failed,
            lg_report_elapsed_s(r->warm_up));
    class_text(f, r, LG_CLASS_FIRST_USE, "first use");
    class_text(f, r, LG_CLASS_REPEAT, "repeat");
}

static void class_json(FILE *f, const struct lg_report *r, enum lg_class k)
{
    const struct lg_class_stats *c = &r->totals->classes[k];
    fprintf(f, "\"%s\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"handshakes_per_s\":%.1f",
            lg_class_names[k], c->ok, c->failed, per_s(r, c->ok));
    fputs(",\"latency_us\":{", f);
    for (int i = 0; i < 3; i++)
        fprintf(f, "\"%s\":%.1f,", quantile_names[i],
                lg_report_us(lg_hist_quantile(&c->latency_ns, quantiles[i])));
    fprintf(f, "\"max\":%.1f}}", lg_report_us(c->latency_ns.max));
}

void lg_report_population_json(FILE *f, const struct lg_report *r)
{
    const struct lg_population *p = r->population;
    if (p == NULL)
        return;
    fprintf(f, ",\"users\":%u,\"user_format\":", p->count);
    lg_report_json_string(f, p->o->user_format);
    fprintf(f,
            ",\"first_use_pct\":%.4g,\"sign_in_s\":%.3f,\"first_use_tokens\":%" PRIu64
            ",\"warm_up\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"elapsed_s\":%.3f}",
            p->o->first_use_pct, p->sign_in_s, p->first_uses, (uint64_t)r->warm_totals->ok,
            (uint64_t)r->warm_totals->failed, lg_report_elapsed_s(r->warm_up));
    fputs(",\"classes\":{", f);
    class_json(f, r, LG_CLASS_FIRST_USE);
    fputc(',', f);
    class_json(f, r, LG_CLASS_REPEAT);
    fputc('}', f);
}
