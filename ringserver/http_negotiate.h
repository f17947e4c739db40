/* RFC 4559 authentication of one HTTP request that carries Authorization: the scheme and its
 * token, one leg of the connection's handshake (or the result cache's answer to a token this
 * client already sent), and the answer: 401 with the next token, 200 naming the user, or the
 * failure's status.
 *
 * A multi-leg exchange is bound to its connection (RFC 4559 §4.2, and NTLM's own binding): the
 * pending context lives in the connection's rs_handshake and is deleted when the connection
 * closes, times out, or the client starts over. */
#ifndef RINGSERVER_HTTP_NEGOTIATE_H
#define RINGSERVER_HTTP_NEGOTIATE_H

#include "http_reply.h"

void rs_http_authenticate(struct rs_http_ctx *r);

/* A request without Authorization on a connection that keeps a login (conn-login): answered
 * 200 as that client (X-Auth-Source: connection) and true; false when there is none. */
bool rs_http_bound_login(struct rs_http_ctx *r);

#endif
