/* HTTP listeners (see http_listener.h): framing requests on the connection's bytes, and sending
 * each to the endpoint that answers it. */
#include "http_listener.h"

#include <stdbool.h>
#include <string.h>

#include "http_cookie.h"
#include "http_monitor.h"
#include "http_negotiate.h"
#include "http_parser.h"
#include "http_reply.h"
#include "log.h"
#include "sec_status.h"

static void bad_request(struct rs_conn *c, int status, const char *reason)
{
    struct rs_http_request none = {0};
    struct rs_http_ctx r = {c, &none, false, false, false};
    rs_count(&c->w->metrics.bad_requests);
    char q[96];
    rs_log_quote(q, sizeof(q), reason);
    rs_log(RS_LOG_WARN, "bad_request", "listener=%s peer=%s status=%d reason=%s", c->lis->cfg->text,
           c->peer, status, q);
    rs_http_error(&r, status, false, reason);
}

static bool cookie_login(struct rs_http_ctx *r)
{
    struct rs_cookie_claims claims;
    if (!rs_http_cookie_check(r->c, r->req, &claims))
        return false;
    rs_count(&r->c->w->metrics.cookie_logins);
    struct rs_identity id = {.user = claims.user, .package = claims.package, .source = "cookie"};
    rs_http_authenticated(r, &id, "", NULL, 0);
    return true;
}

/* On auth_request listeners the front-end proves itself with the shared secret, when one is
 * configured (off loopback it must be: main.c); only then is its client id trusted. */
static bool frontend_refused(struct rs_http_ctx *r)
{
    struct rs_conn *c = r->c;
    if (c->lis->cfg->mode != RS_MODE_AUTH_REQUEST)
        return false;
    if (c->lis->cfg->client_ca[0]) { /* the handshake verified the front-end's certificate */
        r->frontend = rs_tls_peer_verified(c->tls);
        if (r->frontend || c->w->srv->cfg.frontend_secret_file[0] == '\0')
            return false;
    }
    if (c->w->srv->cfg.frontend_secret_file[0] == '\0')
        return false;
    r->frontend =
        r->req->has_frontend && rs_secret_equals(&c->w->srv->frontend_secret, r->req->frontend);
    if (r->frontend)
        return false;
    rs_log(RS_LOG_WARN, "frontend_refused", "listener=%s peer=%s reason=\"%s\"", c->lis->cfg->text,
           c->peer, r->req->has_frontend ? "wrong front-end secret" : "no front-end secret");
    rs_http_error(r, 403, false, "front-end not authenticated");
    return true;
}

static void handle(struct rs_conn *c, const struct rs_http_request *req)
{
    struct rs_http_ctx r = {c, req, req->keep_alive && !c->w->draining,
                            rs_slice_eq_nocase(req->method, "HEAD"), false};
    if (rs_http_monitor(&r) || frontend_refused(&r))
        return;
    if (req->has_authorization)
        rs_http_authenticate(&r);
    else if (!rs_http_bound_login(&r) && !cookie_login(&r))
        rs_http_error(&r, 401, true, "authentication required");
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
    bool auth_request = c->lis->cfg->mode == RS_MODE_AUTH_REQUEST;
    struct rs_http_limits lim = {cfg->max_header_bytes, cfg->max_headers, cfg->max_body_bytes,
                                 auth_request ? cfg->client_id_header : "",
                                 auth_request ? cfg->frontend_secret_header : ""};
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

/* A Kerberos login the farm's replay check turned down (shared_state.h): 401 with a fresh
 * challenge for a replay, as any denied login, 503 with Retry-After when there was no store to
 * ask. Counted like any answer. */
static void refuse_held(struct rs_conn *c, bool unavailable)
{
    int status = unavailable ? 503 : rs_status_http(SEC_E_LOGON_DENIED, c->lis->cfg->mode);
    rs_http_begin(&c->out, status);
    if (status == 401)
        rs_http_challenge(&c->out, c);
    if (unavailable)
        rs_out_str(&c->out, "Retry-After: 1\r\n");
    static const char replay[] = "{\"error\":\"authenticator accepted before by another node\"}\n";
    static const char busy[] = "{\"error\":\"shared store unavailable\"}\n";
    const char *body = unavailable ? busy : replay;
    rs_http_end(&c->out, false, false, "application/json", body, strlen(body));
    rs_count(&c->w->metrics.http_status[status / 100 % 6]);
}

const struct rs_protocol rs_http_protocol = {consume, refusal, refuse_held};
