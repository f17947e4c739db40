/* Prometheus text exposition format 0.0.4. */
#include "metrics.h"

#include <negring/sspi.h>

#include <stddef.h>
#include <string.h>

static const double bucket_s[RS_LATENCY_BUCKETS] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                    0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                                    0.5,     1,      2.5,     10};
static const char *mech_names[RS_MECH_COUNT] = {"kerberos", "ntlm", "unknown"};
static const char *result_names[RS_RESULT_COUNT] = {"ok",      "denied",  "invalid", "timeout",
                                                    "aborted", "refused", "error"};
static const char *refusal_names[RS_REFUSE_COUNT] = {"connections", "pending_handshakes", "memory"};
static const char *timeout_names[RS_TIMEOUT_COUNT] = {"header", "leg", "handshake", "idle", "send"};
static const char *store_command_names[RS_STORE_CMD_COUNT] = {"claim", "auth"};
static const char *store_failure_names[RS_STORE_FAIL_COUNT] = {"connect",  "timeout",     "closed",
                                                               "protocol", "error_reply", "full"};
static const char *claim_names[RS_CLAIM_LABEL_COUNT] = {
    "fresh", "replay", "unavailable_refused", "unavailable_local_only", "no_authenticator"};
static const char *proxy_names[RS_PROXY_LABEL_COUNT] = {"client", "local", "malformed",
                                                        "unexpected"};

enum rs_mech_label rs_mech_label_of(const char *package_name)
{
    if (package_name == NULL)
        return RS_MECH_UNKNOWN;
    if (strcmp(package_name, "Kerberos") == 0)
        return RS_MECH_KERBEROS;
    if (strcmp(package_name, "NTLM") == 0)
        return RS_MECH_NTLM;
    return RS_MECH_UNKNOWN;
}

void rs_metrics_handshake(struct rs_metrics *m, enum rs_mech_label mech,
                          enum rs_result_label result, uint64_t latency_us)
{
    rs_count(&m->handshakes[mech][result]);
    if (result != RS_RESULT_OK)
        return;
    for (unsigned i = 0; i < RS_LATENCY_BUCKETS; i++)
        if ((double)latency_us <= bucket_s[i] * 1e6) {
            rs_count(&m->latency_bucket[i]);
            break;
        }
    rs_count(&m->latency_count);
    atomic_fetch_add_explicit(&m->latency_sum_us, latency_us, memory_order_relaxed);
}

static uint64_t sum(struct rs_metrics *const *w, unsigned n, size_t offset)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total +=
            atomic_load_explicit((_Atomic uint64_t *)((char *)w[i] + offset), memory_order_relaxed);
    return total;
}

#define SUM(field) sum(workers, n, offsetof(struct rs_metrics, field))

static void header(struct rs_out *o, const char *name, const char *type, const char *help)
{
    rs_out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_handshakes(struct rs_out *o, struct rs_metrics *const *workers, unsigned n)
{
    header(o, "negring_handshakes_total", "counter",
           "Finished handshakes by mechanism and result.");
    for (unsigned m = 0; m < RS_MECH_COUNT; m++)
        for (unsigned r = 0; r < RS_RESULT_COUNT; r++)
            rs_out_printf(o, "negring_handshakes_total{mech=\"%s\",result=\"%s\"} %llu\n",
                          mech_names[m], result_names[r],
                          (unsigned long long)SUM(handshakes[m][r]));
    header(o, "negring_handshake_duration_seconds", "histogram",
           "Successful handshakes, first leg received to answer computed.");
    uint64_t cumulative = 0;
    for (unsigned i = 0; i < RS_LATENCY_BUCKETS; i++) {
        cumulative += SUM(latency_bucket[i]);
        rs_out_printf(o, "negring_handshake_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_s[i],
                      (unsigned long long)cumulative);
    }
    uint64_t count = SUM(latency_count);
    rs_out_printf(o, "negring_handshake_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                  (unsigned long long)count);
    rs_out_printf(o, "negring_handshake_duration_seconds_sum %.6f\n",
                  (double)SUM(latency_sum_us) / 1e6);
    rs_out_printf(o, "negring_handshake_duration_seconds_count %llu\n", (unsigned long long)count);
}

void rs_metrics_auth_failure(struct rs_metrics *m, enum rs_mech_label mech, unsigned long reason)
{
    rs_count(
        &m->auth_failures[mech][reason < RS_FAILURE_REASONS ? reason : RS_FAILURE_REASONS - 1]);
}

/* Only the pairs seen: most mechanisms never meet most reasons. */
static void render_failures(struct rs_out *o, struct rs_metrics *const *workers, unsigned n)
{
    header(o, "negring_auth_failures_total", "counter",
           "Refused handshakes by the mechanism that refused and libnegring's reason.");
    for (unsigned m = 0; m < RS_MECH_COUNT; m++)
        for (unsigned r = 1; r < RS_FAILURE_REASONS; r++) {
            uint64_t v = SUM(auth_failures[m][r]);
            if (v != 0)
                rs_out_printf(o, "negring_auth_failures_total{mech=\"%s\",reason=\"%s\"} %llu\n",
                              mech_names[m], negring_failure_reason_name(r), (unsigned long long)v);
        }
}

/* The shared store's figures (docs/farm.md), with shared-store only. */
static void render_store(struct rs_out *o, struct rs_metrics *const *workers, unsigned n,
                         const struct rs_gauges *g)
{
    if (!g->store_configured)
        return;
    header(o, "negring_shared_store_up", "gauge",
           "Workers whose connection to the shared store is up.");
    rs_out_printf(o, "negring_shared_store_up %ld\n", g->store_up);
    header(o, "negring_shared_store_commands_total", "counter", "Commands sent to the store.");
    for (unsigned c = 0; c < RS_STORE_CMD_COUNT; c++)
        rs_out_printf(o, "negring_shared_store_commands_total{command=\"%s\"} %llu\n",
                      store_command_names[c], (unsigned long long)SUM(store_commands[c]));
    header(o, "negring_shared_store_failures_total", "counter",
           "Store connections ended, by cause (each fails the requests waiting on it).");
    for (unsigned f = 0; f < RS_STORE_FAIL_COUNT; f++)
        rs_out_printf(o, "negring_shared_store_failures_total{kind=\"%s\"} %llu\n",
                      store_failure_names[f], (unsigned long long)SUM(store_failures[f]));
    header(o, "negring_shared_store_bytes_total", "counter", "Bytes to and from the store.");
    rs_out_printf(o, "negring_shared_store_bytes_total{direction=\"out\"} %llu\n",
                  (unsigned long long)SUM(store_bytes_out));
    rs_out_printf(o, "negring_shared_store_bytes_total{direction=\"in\"} %llu\n",
                  (unsigned long long)SUM(store_bytes_in));
    header(o, "negring_shared_revocations", "gauge",
           "The farm's revocations in the snapshot in use (read every shared-store-poll).");
    rs_out_printf(o, "negring_shared_revocations %ld\n", g->shared_revocations);
    header(o, "negring_shared_replay_checks_total", "counter",
           "Kerberos logins checked against the farm's replay keys, by verdict.");
    for (unsigned v = 0; v < RS_CLAIM_LABEL_COUNT; v++)
        rs_out_printf(o, "negring_shared_replay_checks_total{verdict=\"%s\"} %llu\n",
                      claim_names[v], (unsigned long long)SUM(claims[v]));
}

void rs_metrics_render(struct rs_out *o, struct rs_metrics *const *workers, unsigned n,
                       const struct rs_gauges *g)
{
    render_handshakes(o, workers, n);
    render_failures(o, workers, n);
    header(o, "negring_pending_handshakes", "gauge", "Handshakes waiting for a next leg.");
    rs_out_printf(o, "negring_pending_handshakes %ld\n", g->pending);
    header(o, "negring_connections", "gauge", "Open client connections.");
    rs_out_printf(o, "negring_connections %ld\n", g->connections);
    header(o, "negring_connections_accepted_total", "counter", "Accepted connections.");
    rs_out_printf(o, "negring_connections_accepted_total %llu\n",
                  (unsigned long long)SUM(accepted));
    header(o, "negring_refusals_total", "counter", "Clients refused because a cap was reached.");
    for (unsigned r = 0; r < RS_REFUSE_COUNT; r++)
        rs_out_printf(o, "negring_refusals_total{reason=\"%s\"} %llu\n", refusal_names[r],
                      (unsigned long long)SUM(refusals[r]));
    header(o, "negring_timeouts_total", "counter", "Connections closed by a deadline.");
    for (unsigned t = 0; t < RS_TIMEOUT_COUNT; t++)
        rs_out_printf(o, "negring_timeouts_total{kind=\"%s\"} %llu\n", timeout_names[t],
                      (unsigned long long)SUM(timeouts[t]));
    header(o, "negring_http_responses_total", "counter", "HTTP responses by status class.");
    for (unsigned c = 1; c <= 5; c++)
        rs_out_printf(o, "negring_http_responses_total{code=\"%uxx\"} %llu\n", c,
                      (unsigned long long)SUM(http_status[c]));
    header(o, "negring_bad_requests_total", "counter", "Malformed requests or frames.");
    rs_out_printf(o, "negring_bad_requests_total %llu\n", (unsigned long long)SUM(bad_requests));
    header(o, "negring_result_cache_hits_total", "counter",
           "Re-sent tokens answered from the result cache.");
    rs_out_printf(o, "negring_result_cache_hits_total %llu\n",
                  (unsigned long long)SUM(result_cache_hits));
    header(o, "negring_cookie_logins_total", "counter", "Requests authenticated by cookie.");
    rs_out_printf(o, "negring_cookie_logins_total %llu\n", (unsigned long long)SUM(cookie_logins));
    header(o, "negring_connection_logins_total", "counter",
           "Requests without Authorization answered by their connection's login (conn-login).");
    rs_out_printf(o, "negring_connection_logins_total %llu\n",
                  (unsigned long long)SUM(connection_logins));
    header(o, "negring_tls_handshakes_total", "counter", "TLS handshakes completed.");
    rs_out_printf(o, "negring_tls_handshakes_total{resumed=\"no\"} %llu\n",
                  (unsigned long long)SUM(tls_handshakes[0]));
    rs_out_printf(o, "negring_tls_handshakes_total{resumed=\"yes\"} %llu\n",
                  (unsigned long long)SUM(tls_handshakes[1]));
    header(o, "negring_tls_failures_total", "counter",
           "TLS connections ended by a failed handshake or a bad record.");
    rs_out_printf(o, "negring_tls_failures_total %llu\n", (unsigned long long)SUM(tls_failures));
    header(o, "negring_key_reloads_total", "counter", "SIGHUP key reloads.");
    rs_out_printf(o, "negring_key_reloads_total{result=\"ok\"} %llu\n",
                  (unsigned long long)g->reloads_ok);
    rs_out_printf(o, "negring_key_reloads_total{result=\"failed\"} %llu\n",
                  (unsigned long long)g->reloads_failed);
    header(o, "negring_workers", "gauge", "Worker threads (one io_uring each).");
    rs_out_printf(o, "negring_workers %ld\n", g->workers);
    header(o, "negring_draining", "gauge", "1 once SIGTERM was received (/healthz answers 503).");
    rs_out_printf(o, "negring_draining %d\n", g->draining ? 1 : 0);
    header(o, "negring_proxy_headers_total", "counter",
           "PROXY protocol v2 headers, by outcome (malformed: on a proxy-protocol listener; "
           "unexpected: on a listener without it).");
    for (unsigned r = 0; r < RS_PROXY_LABEL_COUNT; r++)
        rs_out_printf(o, "negring_proxy_headers_total{result=\"%s\"} %llu\n", proxy_names[r],
                      (unsigned long long)SUM(proxy_headers[r]));
    render_store(o, workers, n, g);
}
