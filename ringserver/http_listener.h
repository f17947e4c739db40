/* HTTP listeners: RFC 4559 Negotiate/NTLM authentication over HTTP/1.1, in the plain (JSON
 * answer) and the nginx auth_request modes, plus /metrics and /healthz. One request at a time
 * per connection, strictly parsed (http_parser.h); an unparsable request is answered and the
 * connection closed, since its framing is lost.
 *
 * Files: http_reply (answering a request), http_negotiate (the handshake), http_cookie (the
 * session cookie), http_monitor (/metrics, /healthz), http_answer (building answers). */
#ifndef RINGSERVER_HTTP_LISTENER_H
#define RINGSERVER_HTTP_LISTENER_H

#include "protocol.h"

extern const struct rs_protocol rs_http_protocol; /* mode=http and mode=auth_request */

#endif
