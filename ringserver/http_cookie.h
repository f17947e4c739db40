/* The session cookie on HTTP listeners (its format and key: session_cookie.h): issued with the
 * 200 of a handshake, and taken in place of one on later requests. */
#ifndef RINGSERVER_HTTP_COOKIE_H
#define RINGSERVER_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "http_answer.h"
#include "http_parser.h"
#include "server.h"

/* Appends a Set-Cookie line for `id`, when cookies are on and `id` did not come from one. */
void rs_http_cookie_issue(struct rs_out *o, struct rs_server *srv, const struct rs_identity *id);
/* True, with user and package filled, if the request carries a valid, unexpired cookie. */
bool rs_http_cookie_check(struct rs_server *srv, const struct rs_http_request *req, char *user,
                          size_t user_len, char *package, size_t package_len);

#endif
