/* /metrics and /healthz (see http_monitor.h). */
#include "http_monitor.h"

#include <string.h>

#include "http_reply.h"

static void metrics_answer(struct rs_http_ctx *r)
{
    struct rs_server *srv = r->c->w->srv;
    struct rs_metrics *m[256];
    unsigned n = srv->n_workers < 256 ? srv->n_workers : 256;
    for (unsigned i = 0; i < n; i++)
        m[i] = &srv->workers[i]->metrics;
    struct rs_gauges g = {
        .connections = atomic_load(&srv->connections),
        .pending = atomic_load(&srv->pending),
        .workers = (long)srv->n_workers,
        .reloads_ok = atomic_load(&srv->reloads_ok),
        .reloads_failed = atomic_load(&srv->reloads_failed),
        .draining = atomic_load(&srv->health_failing),
        .store_configured = srv->cfg.shared_store[0] != '\0',
        .store_up = atomic_load(&srv->store_up),
        .shared_revocations = atomic_load(&srv->shared_revocations),
    };
    struct rs_out body = {0}, o = {0};
    rs_metrics_render(&body, m, n, &g);
    rs_http_begin(&o, 200);
    rs_http_end_with_body(r, &o, &body, "text/plain; version=0.0.4");
    rs_http_send(r, 200, &o);
}

/* From SIGTERM on (drain-grace, then the drain itself) the node says it is going, so a load
 * balancer sends new clients elsewhere while this one still serves. */
static void health_answer(struct rs_http_ctx *r)
{
    if (atomic_load(&r->c->w->srv->health_failing)) {
        rs_http_error(r, 503, false, "draining");
        return;
    }
    struct rs_out o = {0};
    rs_http_begin(&o, 200);
    rs_http_end(&o, r->keep_alive, r->head, "text/plain", "ok\n", 3);
    rs_http_send(r, 200, &o);
}

/* The path, query string aside; an empty `path` (metrics off) matches nothing. */
static bool path_is(struct rs_slice target, const char *path)
{
    size_t n = strlen(path), end = 0;
    while (end < target.len && target.ptr[end] != '?')
        end++;
    return n > 0 && end == n && memcmp(target.ptr, path, n) == 0;
}

bool rs_http_monitor(struct rs_http_ctx *r)
{
    const struct rs_http_request *req = r->req;
    if (!r->head && !rs_slice_eq_nocase(req->method, "GET"))
        return false;
    if (path_is(req->target, r->c->w->srv->cfg.metrics_path))
        metrics_answer(r);
    else if (path_is(req->target, "/healthz"))
        health_answer(r);
    else
        return false;
    return true;
}
