/* HTTP listeners: RFC 4559 Negotiate/NTLM authentication over HTTP/1.1, in the plain (JSON
 * answer) and the nginx auth_request modes, plus /metrics and /healthz.
 *
 * A multi-leg exchange is bound to its connection (RFC 4559 §4.2, and NTLM's own binding): the
 * pending context lives in the connection's rs_handshake and is deleted when the connection
 * closes, times out, or the client starts over. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "audit.h"
#include "b64.h"
#include "conn.h"
#include "http_answer.h"
#include "http_status.h"
#include "http_parser.h"
#include "log.h"
#include "protocol.h"

struct request_ctx {
    struct rs_conn *c;
    const struct rs_http_request *req;
    bool keep_alive, head;
};

static void count_status(struct rs_conn *c, int status)
{
    rs_count(&c->w->metrics.http_status[status / 100 % 6]);
}

static void simple_answer(struct request_ctx *r, int status, bool challenge, const char *msg);

/* An answer that could not be built (out of memory) becomes a short 503, which may still fit
 * where the whole answer did not; if even that fails, rs_conn_send closes the connection.
 * Never a truncated answer: a 200 whose identity was cut short would be a wrong answer. */
static void send_answer(struct request_ctx *r, int status, struct rs_out *o)
{
    if (o->failed && status != 503) {
        rs_out_free(o);
        simple_answer(r, 503, false, "out of memory");
        return;
    }
    count_status(r->c, status);
    r->c->out = *o;
    r->c->out.max = 0;
    r->c->close_after_send = !r->keep_alive;
    rs_conn_send(r->c);
}

static void simple_answer(struct request_ctx *r, int status, bool challenge, const char *msg)
{
    struct rs_out o = {0};
    rs_http_begin(&o, status);
    if (challenge)
        rs_http_challenge(&o, r->c);
    if (status == 503)
        rs_out_str(&o, "Retry-After: 1\r\n");
    char body[160]; /* on the stack: one allocation less for the out-of-memory answer */
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", msg);
    rs_http_end(&o, r->keep_alive, r->head, "application/json", body,
                n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
    send_answer(r, status, &o);
}

/* The head `o` ends with `body`, built apart; a body that could not be built fails the whole
 * answer (send_answer then answers 503). */
static void end_with_body(struct request_ctx *r, struct rs_out *o, struct rs_out *body,
                          const char *content_type)
{
    if (body->failed)
        o->failed = true;
    rs_http_end(o, r->keep_alive, r->head, content_type, body->data, body->len);
    rs_out_free(body);
}

static void bad_request(struct rs_conn *c, int status, const char *reason)
{
    struct rs_http_request none = {0};
    struct request_ctx r = {c, &none, false, false};
    rs_count(&c->w->metrics.bad_requests);
    char q[96];
    rs_log_quote(q, sizeof(q), reason);
    rs_log(RS_LOG_WARN, "bad_request", "listener=%s peer=%s status=%d reason=%s", c->lis->cfg->text,
           c->peer, status, q);
    simple_answer(&r, status, false, reason);
}

static void metrics_answer(struct request_ctx *r)
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
    };
    struct rs_out body = {0}, o = {0};
    rs_metrics_render(&body, m, n, &g);
    rs_http_begin(&o, 200);
    end_with_body(r, &o, &body, "text/plain; version=0.0.4");
    send_answer(r, 200, &o);
}

static void health_answer(struct request_ctx *r)
{
    struct rs_out o = {0};
    rs_http_begin(&o, 200);
    rs_http_end(&o, r->keep_alive, r->head, "text/plain", "ok\n", 3);
    send_answer(r, 200, &o);
}

static void success(struct request_ctx *r, const struct rs_identity *id, const char *scheme,
                    const uint8_t *tok, size_t tok_len)
{
    struct rs_conn *c = r->c;
    struct rs_server *srv = c->w->srv;
    struct rs_out o = {0}, body = {0};
    rs_http_begin(&o, 200);
    if (tok_len > 0)
        rs_http_token(&o, scheme, tok, tok_len);
    if (!rs_http_identity(&o, &body, id)) {
        rs_out_free(&o);
        rs_out_free(&body);
        rs_log(RS_LOG_ERROR, "unsafe_name", "peer=%s reason=\"name has control characters\"",
               c->peer);
        simple_answer(r, 500, false, "name cannot be reported");
        return;
    }
    if (srv->cookie.len > 0 && strcmp(id->source, "cookie") != 0) {
        rs_out_printf(&o, "Set-Cookie: %s=", srv->cfg.cookie_name);
        rs_cookie_make(&o, &srv->cookie, (uint64_t)time(NULL) + srv->cfg.cookie_ttl_s, id->package,
                       id->user);
        rs_out_printf(&o, "; Path=/; Max-Age=%u; HttpOnly; SameSite=Lax%s\r\n",
                      srv->cfg.cookie_ttl_s, srv->cfg.cookie_secure ? "; Secure" : "");
    }
    end_with_body(r, &o, &body, "application/json");
    send_answer(r, 200, &o);
}

/* A final failure: 400 for a malformed token on plain listeners (RFC 9110 §15.5.1), else 401
 * with a fresh challenge so the client may try again; nginx auth_request only passes 401. */
static void failure(struct request_ctx *r, SECURITY_STATUS s)
{
    int status = rs_http_failure_status(s, r->c->lis->cfg->mode);
    switch (status) {
    case 400:
        simple_answer(r, status, false, "malformed token");
        return;
    case 500:
    case 503:
        simple_answer(r, status, false, rs_status_reason(s));
        return;
    default:
        simple_answer(r, status, true, "authentication failed");
    }
}

static void answer_result(struct request_ctx *r, const char *scheme, SECURITY_STATUS s,
                          const char *user, const char *package, const char *source,
                          const uint8_t *tok, size_t tok_len)
{
    if (s == SEC_E_OK) {
        struct rs_identity id = {user, package, source};
        success(r, &id, scheme, tok, tok_len);
    } else {
        failure(r, s);
    }
}

/* The client id of the result cache key: this very TCP connection on plain listeners; on
 * auth_request listeners what the trusted front-end says its client's connection is. Without
 * that header an auth_request answer is not cached: the upstream connection is shared by many
 * browsers, so a token replayed by one of them must not find another's answer. */
static bool client_id(const struct request_ctx *r, char *out, size_t len)
{
    const struct rs_http_request *req = r->req;
    if (r->c->lis->cfg->mode != RS_MODE_AUTH_REQUEST) {
        snprintf(out, len, "conn:%u.%llu", r->c->w->index, (unsigned long long)r->c->serial);
        return true;
    }
    if (!req->has_client_id || req->client_id.len == 0 || req->client_id.len >= len - 4)
        return false;
    memcpy(out, "hdr:", 4);
    memcpy(out + 4, req->client_id.ptr, req->client_id.len);
    out[4 + req->client_id.len] = '\0';
    return true;
}

static void run_leg(struct request_ctx *r, const char *scheme, enum rs_package pkg,
                    const uint8_t *tok, size_t len)
{
    struct rs_conn *c = r->c;
    struct rs_worker *w = c->w;
    struct rs_server *srv = w->srv;
    char id[200];
    uint8_t key[32];
    struct rs_cached_result cached;
    bool cacheable = client_id(r, id, sizeof(id));
    if (cacheable)
        rs_result_cache_key(id, tok, len, key);
    if (cacheable && rs_result_cache_get(srv->cache, key, &cached)) {
        rs_count(&w->metrics.result_cache_hits);
        answer_result(r, scheme, cached.status, cached.user, cached.package, "cache", cached.token,
                      cached.token_len);
        return;
    }
    struct rs_leg leg;
    if (!rs_conn_auth_leg(c, pkg, scheme, tok, len, &leg)) {
        simple_answer(r, 503, false, "too many pending handshakes");
        return;
    }
    if (leg.status == SEC_I_CONTINUE_NEEDED) {
        static const char body[] = "{\"error\":\"continue\"}\n";
        struct rs_out o = {0};
        r->keep_alive = r->req->keep_alive; /* even when draining: the handshake may finish */
        rs_http_begin(&o, 401);
        rs_http_token(&o, scheme, w->answer, leg.out_len);
        rs_http_end(&o, r->keep_alive, r->head, "application/json", body, sizeof(body) - 1);
        send_answer(r, 401, &o);
        return;
    }
    rs_handshake_outcome(c, scheme, leg.status, leg.package, leg.user, rs_result_of(leg.status),
                         rs_status_reason(leg.status));
    if (cacheable && leg.out_len <= sizeof(cached.token) &&
        rs_result_of(leg.status) != RS_RESULT_ERROR) {
        cached = (struct rs_cached_result){.status = leg.status, .token_len = leg.out_len};
        memcpy(cached.user, leg.user, sizeof(cached.user));
        memcpy(cached.package, leg.package, sizeof(cached.package));
        memcpy(cached.token, w->answer, leg.out_len);
        rs_result_cache_put(srv->cache, key, &cached);
    }
    answer_result(r, scheme, leg.status, leg.user, leg.package, "handshake", w->answer,
                  leg.out_len);
}

/* RFC 9110 §11.4 credentials = auth-scheme [ 1*SP token68 ]. */
static void authenticate(struct request_ctx *r)
{
    struct rs_conn *c = r->c;
    struct rs_slice a = r->req->authorization;
    size_t sp = 0;
    while (sp < a.len && a.ptr[sp] != ' ')
        sp++;
    struct rs_slice scheme = {a.ptr, sp};
    size_t t = sp;
    while (t < a.len && a.ptr[t] == ' ')
        t++;
    enum rs_mechs mechs = c->lis->cfg->mechs;
    enum rs_package pkg;
    const char *name;
    if (rs_slice_eq_nocase(scheme, "Negotiate") && mechs != RS_MECHS_NTLM)
        pkg = RS_PKG_NEGOTIATE, name = "Negotiate";
    else if (rs_slice_eq_nocase(scheme, "NTLM") && mechs != RS_MECHS_KERBEROS &&
             c->w->srv->creds.has_ntlm)
        pkg = RS_PKG_NTLM, name = "NTLM";
    else {
        simple_answer(r, 401, true, "unsupported authentication scheme");
        return;
    }
    if (t == a.len) {
        simple_answer(r, 401, true, "authentication required");
        return;
    }
    size_t len;
    enum rs_b64_result b = rs_b64_decode(a.ptr + t, a.len - t, false, c->w->token,
                                         c->w->srv->cfg.max_token_bytes, &len);
    if (b != RS_B64_OK) {
        const char *why = b == RS_B64_BAD ? "token is not base64" : "token too large";
        rs_handshake_outcome(c, name, SEC_E_INVALID_TOKEN, "", "", RS_RESULT_INVALID, why);
        if (c->lis->cfg->mode == RS_MODE_HTTP)
            simple_answer(r, 400, false, why);
        else
            simple_answer(r, 401, true, why);
        return;
    }
    run_leg(r, name, pkg, c->w->token, len);
}

static bool cookie_login(struct request_ctx *r)
{
    struct rs_server *srv = r->c->w->srv;
    char user[256], package[32];
    if (srv->cookie.len == 0 || !r->req->has_cookie ||
        !rs_cookie_verify(&srv->cookie, srv->cfg.cookie_name, r->req->cookie, (uint64_t)time(NULL),
                          user, sizeof(user), package, sizeof(package)))
        return false;
    rs_count(&r->c->w->metrics.cookie_logins);
    struct rs_identity id = {user, package, "cookie"};
    success(r, &id, "", NULL, 0);
    return true;
}

static bool path_is(struct rs_slice target, const char *path)
{
    size_t n = strlen(path), end = 0;
    while (end < target.len && target.ptr[end] != '?')
        end++;
    return n > 0 && end == n && memcmp(target.ptr, path, n) == 0;
}

static void handle(struct rs_conn *c, const struct rs_http_request *req)
{
    struct request_ctx r = {c, req, req->keep_alive && !c->w->draining,
                            rs_slice_eq_nocase(req->method, "HEAD")};
    bool get = r.head || rs_slice_eq_nocase(req->method, "GET");
    if (get && path_is(req->target, c->w->srv->cfg.metrics_path))
        metrics_answer(&r);
    else if (get && path_is(req->target, "/healthz"))
        health_answer(&r);
    else if (req->has_authorization)
        authenticate(&r);
    else if (!cookie_login(&r))
        simple_answer(&r, 401, true, "authentication required");
}

/* Re-parsing a growing head on every few bytes would cost O(n^2) for a client that trickles
 * its request: after a first look, only newly arrived bytes are searched for the blank line,
 * and a head already parsed waits for its whole body without being parsed again. */
static bool worth_parsing(struct rs_conn *c, const uint8_t *data, size_t len, size_t max)
{
    if (c->parse_need != 0)
        return len >= c->parse_need;
    if (c->parse_scanned == 0 || len >= max)
        return true;
    size_t from = c->parse_scanned > 3 ? c->parse_scanned - 3 : 0;
    if (from < len && memmem(data + from, len - from, "\r\n\r\n", 4) != NULL)
        return true;
    c->parse_scanned = len;
    return false;
}

static size_t consume(struct rs_conn *c, const uint8_t *data, size_t len)
{
    const struct rs_config *cfg = &c->w->srv->cfg;
    struct rs_http_limits lim = {cfg->max_header_bytes, cfg->max_headers, cfg->max_body_bytes,
                                 c->lis->cfg->mode == RS_MODE_AUTH_REQUEST ? cfg->client_id_header
                                                                           : ""};
    if (!worth_parsing(c, data, len, cfg->max_header_bytes))
        return 0;
    struct rs_http_request req;
    enum rs_http_result res = rs_http_parse(data, len, &lim, &req);
    c->parse_scanned = len;
    if (res == RS_HTTP_INCOMPLETE)
        return 0;
    if (res == RS_HTTP_ERROR) {
        bad_request(c, req.error_status, req.error_reason);
        return len; /* the connection closes after this answer: framing is lost */
    }
    size_t total = req.head_len + (size_t)req.content_length;
    if (len < total) {
        c->parse_need = total;
        return 0;
    }
    c->parse_scanned = c->parse_need = 0;
    handle(c, &req);
    return total;
}

static void refusal(struct rs_out *o)
{
    rs_http_begin(o, 503);
    rs_out_str(o, "Retry-After: 1\r\n");
    static const char body[] = "{\"error\":\"too many connections or out of memory\"}\n";
    rs_http_end(o, false, false, "application/json", body, sizeof(body) - 1);
}

const struct rs_protocol rs_http_protocol = {consume, refusal};
