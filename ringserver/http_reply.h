/* Answering one HTTP request: the request's context and sending its answer. An answer that could
 * not be built (out of memory) gives way to a short 503, never to a truncated answer: a 200 whose
 * identity was cut short would be a wrong answer. */
#ifndef RINGSERVER_HTTP_REPLY_H
#define RINGSERVER_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http_answer.h"
#include "http_parser.h"
#include "server.h"

/* A request being answered; lives for one call of the listener's consume. */
struct rs_http_ctx {
    struct rs_conn *c;
    const struct rs_http_request *req;
    bool keep_alive; /* the connection stays open after this answer */
    bool head;       /* a HEAD request: the answer has no body */
    bool frontend;   /* auth_request: the front-end proved itself (its client id is trusted) */
};

/* Sends the answer `o` (taking it over) with status `status`, counted in the metrics. */
void rs_http_send(struct rs_http_ctx *r, int status, struct rs_out *o);
/* A JSON {"error": msg} answer; with `challenge`, the listener's WWW-Authenticate lines. */
void rs_http_error(struct rs_http_ctx *r, int status, bool challenge, const char *msg);
/* Ends the head `o` with `body`, built apart (and freed here); a body that could not be built
 * fails the whole answer. */
void rs_http_end_with_body(struct rs_http_ctx *r, struct rs_out *o, struct rs_out *body,
                           const char *content_type);
/* The 200 naming the authenticated identity, with the final token (mutual authentication) if
 * tok_len > 0, and a fresh session cookie unless the identity came from one. */
void rs_http_authenticated(struct rs_http_ctx *r, const struct rs_identity *id, const char *scheme,
                           const uint8_t *tok, size_t tok_len);

#endif
