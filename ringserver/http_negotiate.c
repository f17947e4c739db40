/* RFC 4559 authentication of an HTTP request (see http_negotiate.h). */
#include "http_negotiate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "base64.h"
#include "conn.h"
#include "sec_status.h"
#include "shared_state.h"

/* A final failure: 400 for a malformed token on plain listeners (RFC 9110 §15.5.1), else 401
 * with a fresh challenge so the client may try again; nginx auth_request only passes 401. */
static void failure(struct rs_http_ctx *r, SECURITY_STATUS s)
{
    int status = rs_status_http(s, r->c->lis->cfg->mode);
    switch (status) {
    case 400:
        rs_http_error(r, status, false, "malformed token");
        return;
    case 500:
    case 503:
        rs_http_error(r, status, false, rs_status_reason(s));
        return;
    default:
        rs_http_error(r, status, true, "authentication failed");
    }
}

static void answer_result(struct rs_http_ctx *r, const char *scheme, SECURITY_STATUS s,
                          const char *user, const char *package, const char *source,
                          const uint8_t *tok, size_t tok_len)
{
    if (s == SEC_E_OK) {
        struct rs_identity id = {.user = user, .package = package, .source = source};
        rs_http_authenticated(r, &id, scheme, tok, tok_len);
    } else {
        failure(r, s);
    }
}

/* The client id of the result cache key: this very TCP connection on plain listeners; on
 * auth_request listeners what the front-end, once it proved itself, says its client's
 * connection is. Without both an auth_request answer is not cached: the upstream connection
 * is shared by many browsers, so a token replayed by one of them must not find another's
 * answer, and a client reaching the listener itself must not name a victim's connection. */
static bool client_id(const struct rs_http_ctx *r, char *out, size_t len)
{
    const struct rs_http_request *req = r->req;
    if (r->c->lis->cfg->mode != RS_MODE_AUTH_REQUEST) {
        snprintf(out, len, "conn:%u.%llu", r->c->w->index, (unsigned long long)r->c->serial);
        return true;
    }
    if (!r->frontend || !req->has_client_id || req->client_id.len == 0 ||
        req->client_id.len >= len - 4)
        return false;
    memcpy(out, "hdr:", 4);
    memcpy(out + 4, req->client_id.ptr, req->client_id.len);
    out[4 + req->client_id.len] = '\0';
    return true;
}

static void continue_answer(struct rs_http_ctx *r, const char *scheme, const struct rs_leg *leg)
{
    static const char body[] = "{\"error\":\"continue\"}\n";
    struct rs_out o = {0};
    r->keep_alive = r->req->keep_alive; /* even when draining: the handshake may finish */
    rs_http_begin(&o, 401);
    rs_http_token(&o, scheme, r->c->w->answer, leg->out_len);
    rs_http_end(&o, r->keep_alive, r->head, "application/json", body, sizeof(body) - 1);
    rs_http_send(r, 401, &o);
}

/* A final answer (not a server error) kept for the same client re-sending its token. */
static void cache_put(struct rs_conn *c, const uint8_t key[RS_RESULT_KEY_LEN],
                      const struct rs_leg *leg, const uint8_t *answer)
{
    struct rs_cached_result cached;
    if (leg->out_len > sizeof(cached.token) || rs_status_result(leg->status) == RS_RESULT_ERROR)
        return;
    cached = (struct rs_cached_result){.status = leg->status, .token_len = leg->out_len};
    memcpy(cached.user, leg->user, sizeof(cached.user));
    memcpy(cached.package, leg->package, sizeof(cached.package));
    memcpy(cached.token, answer, leg->out_len);
    rs_shared_cache_put(c, c->w->srv->cache, key, &cached); /* kept back for the farm's check */
}

/* conn-login: whether this listener keeps a login of `package` on its connection. */
static bool keeps_login(const struct rs_conn *c, const char *package)
{
    const struct rs_listener_config *l = c->lis->cfg;
    if (l->mode != RS_MODE_HTTP) /* auth_request: the connection is nginx's, shared by clients */
        return false;
    return l->conn_login == RS_CONN_LOGIN_ALL ||
           (l->conn_login == RS_CONN_LOGIN_NTLM && strcmp(package, "NTLM") == 0);
}

/* Out of memory leaves the connection unbound: its next request gets a challenge, no more. */
static void keep_login(struct rs_conn *c, const struct rs_leg *leg)
{
    if (leg->status != SEC_E_OK || !keeps_login(c, leg->package))
        return;
    c->bound = malloc(sizeof(*c->bound));
    if (c->bound == NULL)
        return;
    memcpy(c->bound->user, leg->user, sizeof(c->bound->user));
    memcpy(c->bound->package, leg->package, sizeof(c->bound->package));
    memcpy(c->bound->user_sid, leg->user_sid, sizeof(c->bound->user_sid));
    memcpy(c->bound->primary_group_sid, leg->primary_group_sid,
           sizeof(c->bound->primary_group_sid));
}

bool rs_http_bound_login(struct rs_http_ctx *r)
{
    const struct rs_bound_login *b = r->c->bound;
    if (b == NULL)
        return false;
    rs_count(&r->c->w->metrics.connection_logins);
    struct rs_identity id = {b->user,     b->package,           "connection",
                             b->user_sid, b->primary_group_sid, NULL};
    rs_http_authenticated(r, &id, "", NULL, 0);
    return true;
}

static void run_leg(struct rs_http_ctx *r, const char *scheme, enum rs_package pkg,
                    const uint8_t *tok, size_t len)
{
    struct rs_conn *c = r->c;
    struct rs_worker *w = c->w;
    char id[200];
    uint8_t key[RS_RESULT_KEY_LEN];
    struct rs_cached_result cached;
    bool cacheable = w->srv->cache != NULL && client_id(r, id, sizeof(id));
    if (cacheable)
        rs_result_cache_key(w->srv->cache, id, tok, len, key);
    if (cacheable && rs_result_cache_get(w->srv->cache, key, &cached)) {
        rs_count(&w->metrics.result_cache_hits);
        answer_result(r, scheme, cached.status, cached.user, cached.package, "cache", cached.token,
                      cached.token_len);
        return;
    }
    struct rs_leg leg;
    if (!rs_conn_auth_leg(c, pkg, scheme, tok, len, &leg)) {
        rs_http_error(r, 503, false, "too many pending handshakes");
        return;
    }
    if (leg.status == SEC_I_CONTINUE_NEEDED) {
        continue_answer(r, scheme, &leg);
        return;
    }
    rs_leg_outcome(c, scheme, &leg);
    keep_login(c, &leg);
    if (cacheable)
        cache_put(c, key, &leg, w->answer);
    if (leg.status == SEC_E_OK) {
        struct rs_identity who = {leg.user,     leg.package,           "handshake",
                                  leg.user_sid, leg.primary_group_sid, leg.group_sids};
        rs_http_authenticated(r, &who, scheme, w->answer, leg.out_len);
    } else {
        failure(r, leg.status);
    }
    free(leg.group_sids);
}

/* The scheme the listener takes, or NULL: Negotiate unless mechs=ntlm, NTLM unless
 * mechs=kerberos and only with an NTLM package. */
static const char *scheme_of(const struct rs_conn *c, struct rs_slice scheme, enum rs_package *pkg)
{
    enum rs_mechs mechs = c->lis->cfg->mechs;
    if (rs_slice_eq_nocase(scheme, "Negotiate") && mechs != RS_MECHS_NTLM) {
        *pkg = RS_PKG_NEGOTIATE;
        return "Negotiate";
    }
    if (rs_slice_eq_nocase(scheme, "NTLM") && mechs != RS_MECHS_KERBEROS &&
        c->w->srv->creds.has_ntlm) {
        *pkg = RS_PKG_NTLM;
        return "NTLM";
    }
    return NULL;
}

/* RFC 9110 §11.4 credentials = auth-scheme [ 1*SP token68 ]. */
void rs_http_authenticate(struct rs_http_ctx *r)
{
    struct rs_conn *c = r->c;
    free(c->bound); /* a new Authorization header starts over (IIS does the same) */
    c->bound = NULL;
    struct rs_slice a = r->req->authorization;
    size_t sp = 0;
    while (sp < a.len && a.ptr[sp] != ' ')
        sp++;
    size_t t = sp;
    while (t < a.len && a.ptr[t] == ' ')
        t++;
    enum rs_package pkg;
    const char *name = scheme_of(c, (struct rs_slice){a.ptr, sp}, &pkg);
    if (name == NULL) {
        rs_http_error(r, 401, true, "unsupported authentication scheme");
        return;
    }
    if (t == a.len) {
        rs_http_error(r, 401, true, "authentication required");
        return;
    }
    size_t len;
    enum ne_b64_result b = ne_b64_decode(a.ptr + t, a.len - t, false, c->w->token,
                                         c->w->srv->cfg.max_token_bytes, &len);
    if (b != NE_B64_OK) {
        const char *why = b == NE_B64_BAD ? "token is not base64" : "token too large";
        int status = rs_status_http(SEC_E_INVALID_TOKEN, c->lis->cfg->mode);
        rs_handshake_outcome(c, name, SEC_E_INVALID_TOKEN, "", "",
                             rs_status_result(SEC_E_INVALID_TOKEN), why);
        rs_http_error(r, status, status == 401, why); /* a 401 comes with a fresh challenge */
        return;
    }
    run_leg(r, name, pkg, c->w->token, len);
}
