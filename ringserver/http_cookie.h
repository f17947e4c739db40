/* The session cookie on HTTP listeners (its format: session_cookie.h; its key: the server's
 * cookie_key): issued with the 200 of a handshake, and taken in place of one on later requests
 * to the same listener's mechanisms and service, unless revoked (revocation.h). */
#ifndef RINGSERVER_HTTP_COOKIE_H
#define RINGSERVER_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "http_answer.h"
#include "http_parser.h"
#include "server.h"
#include "session_cookie.h"

/* Appends a Set-Cookie line for `id` when cookies are on and `id` comes from a handshake just
 * run: never for an answer from the result cache or from a cookie (a re-sent token must not
 * mint a session after a key rotation or a revocation). */
void rs_http_cookie_issue(struct rs_out *o, const struct rs_conn *c, const struct rs_identity *id);
/* True, with the claims filled, if the request carries a valid, unexpired, unrevoked cookie
 * issued by a listener of this one's mechanisms and service. */
bool rs_http_cookie_check(const struct rs_conn *c, const struct rs_http_request *req,
                          struct rs_cookie_claims *claims);

#endif
