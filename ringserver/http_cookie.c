/* The session cookie on HTTP listeners (see http_cookie.h). */
#include "http_cookie.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* What a cookie is bound to: the listener's mechanisms and its service (by default its
 * address), so an NTLM session from a mechs=ntlm listener does not log in on a mechs=kerberos
 * one of the same host, where browsers send it too. */
static void scope_of(const struct rs_listener_config *l, char *out, size_t len)
{
    snprintf(out, len, "%s@%s", rs_mechs_name(l->mechs), l->service[0] ? l->service : l->text);
}

void rs_http_cookie_issue(struct rs_out *o, const struct rs_conn *c, const struct rs_identity *id)
{
    const struct rs_server *srv = c->w->srv;
    if (atomic_load(&srv->cookie_key.len) == 0 || strcmp(id->source, "handshake") != 0)
        return;
    struct rs_cookie_claims claims = {.issued = (uint64_t)time(NULL)};
    claims.expires = claims.issued + srv->cfg.cookie_ttl_s;
    scope_of(c->lis->cfg, claims.scope, sizeof(claims.scope));
    snprintf(claims.package, sizeof(claims.package), "%s", id->package);
    if (snprintf(claims.user, sizeof(claims.user), "%s", id->user) >= (int)sizeof(claims.user)) {
        o->failed = true;
        return;
    }
    rs_out_printf(o, "Set-Cookie: %s=", srv->cfg.cookie_name);
    rs_cookie_make(o, &srv->cookie_key, &claims);
    rs_out_printf(o, "; Path=/; Max-Age=%u; HttpOnly; SameSite=Lax%s\r\n", srv->cfg.cookie_ttl_s,
                  srv->cfg.cookie_secure || c->lis->cfg->tls ? "; Secure" : "");
}

bool rs_http_cookie_check(const struct rs_conn *c, const struct rs_http_request *req,
                          struct rs_cookie_claims *claims)
{
    struct rs_server *srv = c->w->srv;
    char scope[sizeof(claims->scope)];
    if (!req->has_cookie || !rs_cookie_verify(&srv->cookie_key, srv->cfg.cookie_name, req->cookie,
                                              (uint64_t)time(NULL), claims))
        return false;
    scope_of(c->lis->cfg, scope, sizeof(scope));
    return strcmp(scope, claims->scope) == 0 &&
           rs_revocation_allows(atomic_load(&srv->revocation), claims->package, claims->user,
                                claims->issued);
}
