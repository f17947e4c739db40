#include "report.h"

#include <inttypes.h>

const char *const lg_failure_names[LG_FAIL_COUNT] = {
    [LG_FAIL_CONNECT] = "connect",
    [LG_FAIL_TIMEOUT] = "timeout",
    [LG_FAIL_CLOSED] = "closed",
    [LG_FAIL_PROTOCOL] = "protocol",
    [LG_FAIL_HTTP_STATUS] = "http_status",
    [LG_FAIL_REJECTED] = "rejected",
    [LG_FAIL_NO_CHALLENGE] = "no_challenge",
    [LG_FAIL_BAD_TOKEN] = "bad_token",
    [LG_FAIL_CLIENT_TOKEN] = "client_token",
    [LG_FAIL_TLS] = "tls",
};

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999};
static const char *const quantile_names[] = {"p50", "p90", "p99", "p99.9"};

double lg_report_elapsed_s(const struct lg_run *run)
{
    return (double)(run->t_end_ns - run->t_start_ns) / 1e9;
}

static double rate(const struct lg_report *r)
{
    double s = lg_report_elapsed_s(r->run);
    return s > 0 ? (double)r->totals->ok / s : 0.0;
}

double lg_report_us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static const char *mech_name(const struct lg_options *o)
{
    return o->mech == LG_MECH_NTLM ? "ntlm" : "kerberos";
}

void lg_report_text(FILE *f, const struct lg_report *r)
{
    const struct lg_options *o = r->run->o;
    const struct lg_stats *t = r->totals;
    fprintf(f, "target       %s (%s, %s tokens, %s, %u connections, %u threads)\n", r->url,
            mech_name(o), o->tokens == LG_TOKENS_POOL ? "pool" : "live",
            o->fresh ? "fresh connection per handshake" : "keep-alive", o->connections, o->threads);
    if (o->tokens == LG_TOKENS_POOL)
        fprintf(f, "token pool   %" PRIu64 " tokens made in %.2f s (before the timed phase)%s\n",
                r->run->pool.size, r->pool_seconds,
                r->run->pool_exhausted ? " -- SPENT before the end: enlarge --pool" : "");
    fprintf(f, "handshakes   %" PRIu64 " ok, %" PRIu64 " failed in %.3f s\n", (uint64_t)t->ok,
            (uint64_t)t->failed, lg_report_elapsed_s(r->run));
    fprintf(f, "rate         %.1f handshakes/s\n", rate(r));
    fprintf(f, "latency      min %.0f  mean %.0f",
            lg_report_us(t->latency_ns.min == UINT64_MAX ? 0 : t->latency_ns.min),
            lg_hist_mean(&t->latency_ns) / 1000.0);
    for (int i = 0; i < 4; i++)
        fprintf(f, "  %s %.0f", quantile_names[i],
                lg_report_us(lg_hist_quantile(&t->latency_ns, quantiles[i])));
    fprintf(f, "  max %.0f us\n", lg_report_us(t->latency_ns.max));
    lg_report_open_loop_text(f, r);
    lg_report_population_text(f, r);
    fprintf(f,
            "traffic      %" PRIu64 " requests, %" PRIu64 " connections, %" PRIu64
            " final server tokens (%" PRIu64 " verified)\n",
            t->requests, t->connects, t->server_tokens, t->verified);
    fprintf(f, "client CPU   %.1f us per handshake (this process, timed phase)\n",
            t->ok ? r->run->cpu_s * 1e6 / (double)t->ok : 0.0);
    if (o->server_pid)
        fprintf(f, "server CPU   %.1f us per handshake (pid %d and its descendants, timed phase)\n",
                t->ok ? r->server_cpu_s * 1e6 / (double)t->ok : 0.0, o->server_pid);
    if (t->retries)
        fprintf(f, "retried      %" PRIu64 " requests on a new connection (keep-alive closed)\n",
                t->retries);
    if (o->tls)
        fprintf(f, "tls          %" PRIu64 " full handshakes, %" PRIu64 " resumed%s\n", t->tls_full,
                t->tls_resumed, o->channel_bindings ? ", tokens bound to the certificate" : "");
    if (o->hold_s > 0)
        fprintf(f, "held         %u handshakes pending at once, %.2f s into the run, for %.1f s\n",
                r->run->held_pending, r->run->held_at_s, o->hold_s);
    if (t->abandoned)
        fprintf(f, "abandoned    %" PRIu64 " in flight at the end of the run\n", t->abandoned);
    for (int k = 0; k < LG_FAIL_COUNT; k++)
        if (t->fail[k])
            fprintf(f, "failed       %-13s %" PRIu64 "\n", lg_failure_names[k], t->fail[k]);
    for (int k = 1; k < 6; k++)
        if (t->status[k])
            fprintf(f, "failed       status %dxx     %" PRIu64 "\n", k, t->status[k]);
}

void lg_report_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void lg_report_json(FILE *f, const struct lg_report *r)
{
    const struct lg_options *o = r->run->o;
    const struct lg_stats *t = r->totals;
    fputs("{\"url\":", f);
    lg_report_json_string(f, r->url);
    fprintf(f,
            ",\"protocol\":\"%s\",\"mech\":\"%s\",\"tokens\":\"%s\",\"keep_alive\":%s,"
            "\"connections\":%u,\"threads\":%u",
            o->protocol == LG_PROTO_HTTP ? "http" : "raw", mech_name(o),
            o->tokens == LG_TOKENS_POOL ? "pool" : "live", o->fresh ? "false" : "true",
            o->connections, o->threads);
    fprintf(f, ",\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"elapsed_s\":%.6f", (uint64_t)t->ok,
            (uint64_t)t->failed, lg_report_elapsed_s(r->run));
    fprintf(f, ",\"handshakes_per_s\":%.1f", rate(r));
    fputs(",\"failures\":{", f);
    for (int k = 0; k < LG_FAIL_COUNT; k++)
        fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", lg_failure_names[k], t->fail[k]);
    fputs("},\"failed_status\":{", f);
    for (int k = 1; k < 6; k++)
        fprintf(f, "%s\"%dxx\":%" PRIu64, k > 1 ? "," : "", k, t->status[k]);
    const struct lg_histogram *h = &t->latency_ns;
    fprintf(f, "},\"latency_us\":{\"min\":%.1f,\"mean\":%.1f", lg_report_us(h->count ? h->min : 0),
            lg_hist_mean(h) / 1000.0);
    for (int i = 0; i < 4; i++)
        fprintf(f, ",\"%s\":%.1f", quantile_names[i],
                lg_report_us(lg_hist_quantile(h, quantiles[i])));
    fprintf(f, ",\"max\":%.1f}", lg_report_us(h->max));
    fprintf(f,
            ",\"requests\":%" PRIu64 ",\"connects\":%" PRIu64 ",\"server_tokens\":%" PRIu64
            ",\"verified\":%" PRIu64 ",\"abandoned\":%" PRIu64 ",\"retries\":%" PRIu64,
            t->requests, t->connects, t->server_tokens, t->verified, t->abandoned, t->retries);
    fprintf(f, ",\"client_cpu_s\":%.3f", r->run->cpu_s);
    if (o->server_pid)
        fprintf(f, ",\"server_pid\":%d,\"server_cpu_s\":%.3f", o->server_pid, r->server_cpu_s);
    fprintf(f, ",\"tls_full\":%" PRIu64 ",\"tls_resumed\":%" PRIu64 ",\"channel_bindings\":%s",
            t->tls_full, t->tls_resumed, o->channel_bindings ? "true" : "false");
    fprintf(f, ",\"hold_s\":%.3f,\"held_pending\":%u,\"held_at_s\":%.3f", o->hold_s,
            r->run->held_pending, r->run->held_at_s);
    fprintf(f, ",\"pool_size\":%" PRIu64 ",\"pool_seconds\":%.3f,\"pool_exhausted\":%s",
            r->run->pool.size, r->pool_seconds, r->run->pool_exhausted ? "true" : "false");
    lg_report_open_loop_json(f, r);
    lg_report_population_json(f, r);
    fputs("}\n", f);
}
