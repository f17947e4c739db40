/* Answering an HTTP request (see http_reply.h). */
#include "http_reply.h"

#include <stdio.h>

#include "conn.h"
#include "http_cookie.h"
#include "log.h"

static void count_status(struct rs_conn *c, int status)
{
    rs_count(&c->w->metrics.http_status[status / 100 % 6]);
}

/* If even the short 503 cannot be built, rs_conn_send falls back to the listener's refusal. */
void rs_http_send(struct rs_http_ctx *r, int status, struct rs_out *o)
{
    if (o->failed && status != 503) {
        rs_out_free(o);
        rs_http_error(r, 503, false, "out of memory");
        return;
    }
    count_status(r->c, status);
    r->c->out = *o;
    r->c->out.max = 0;
    r->c->close_after_send = !r->keep_alive;
    rs_conn_send(r->c);
}

void rs_http_error(struct rs_http_ctx *r, int status, bool challenge, const char *msg)
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
    rs_http_send(r, status, &o);
}

void rs_http_end_with_body(struct rs_http_ctx *r, struct rs_out *o, struct rs_out *body,
                           const char *content_type)
{
    if (body->failed)
        o->failed = true;
    rs_http_end(o, r->keep_alive, r->head, content_type, body->data, body->len);
    rs_out_free(body);
}

void rs_http_authenticated(struct rs_http_ctx *r, const struct rs_identity *id, const char *scheme,
                           const uint8_t *tok, size_t tok_len)
{
    struct rs_out o = {0}, body = {0};
    rs_http_begin(&o, 200);
    if (tok_len > 0)
        rs_http_token(&o, scheme, tok, tok_len);
    if (!rs_http_identity(&o, &body, id)) {
        rs_out_free(&o);
        rs_out_free(&body);
        rs_log(RS_LOG_ERROR, "unsafe_name", "peer=%s reason=\"name has control characters\"",
               r->c->peer);
        rs_http_error(r, 500, false, "name cannot be reported");
        return;
    }
    rs_http_cookie_issue(&o, r->c, id);
    rs_http_end_with_body(r, &o, &body, "application/json");
    rs_http_send(r, 200, &o);
}
