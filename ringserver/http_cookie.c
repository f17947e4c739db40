/* The session cookie on HTTP listeners (see http_cookie.h). */
#include "http_cookie.h"

#include <string.h>
#include <time.h>

void rs_http_cookie_issue(struct rs_out *o, struct rs_server *srv, const struct rs_identity *id)
{
    if (srv->cookie.len == 0 || strcmp(id->source, "cookie") == 0)
        return;
    rs_out_printf(o, "Set-Cookie: %s=", srv->cfg.cookie_name);
    rs_cookie_make(o, &srv->cookie, (uint64_t)time(NULL) + srv->cfg.cookie_ttl_s, id->package,
                   id->user);
    rs_out_printf(o, "; Path=/; Max-Age=%u; HttpOnly; SameSite=Lax%s\r\n", srv->cfg.cookie_ttl_s,
                  srv->cfg.cookie_secure ? "; Secure" : "");
}

bool rs_http_cookie_check(struct rs_server *srv, const struct rs_http_request *req, char *user,
                          size_t user_len, char *package, size_t package_len)
{
    return srv->cookie.len > 0 && req->has_cookie &&
           rs_cookie_verify(&srv->cookie, srv->cfg.cookie_name, req->cookie, (uint64_t)time(NULL),
                            user, user_len, package, package_len);
}
