/* The protocol on a connection: HTTP Negotiate/NTLM (RFC 4559) or ringserver's raw token
 * frames. One handshake: [unauthenticated request → 401 + challenge] → request with a token →
 * 401 + token → ... → 200 (with the server's final token, verified when a context is kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "conn.h"

/* A raw answer frame's largest size (a final token and two names); bigger is refused. */
#define RAW_FRAME_MAX (64 * 1024)

/* A server that keeps answering 401 + token beyond this is looping. */
#define MAX_LEGS 8

void lg_hs_reset(struct lg_conn *c)
{
    c->head_done = false;
    free(c->server_token);
    c->server_token = NULL;
    c->server_token_len = 0;
}

static void send_http(struct lg_worker *w, struct lg_conn *c)
{
    const struct lg_options *o = w->o;
    int n = snprintf(w->scratch, w->scratch_cap, "GET %s HTTP/1.1\r\nHost: %s\r\n", o->path,
                     o->host_header);
    size_t len = (size_t)n;
    if (!c->challenge_pending) {
        size_t need = strlen(o->scheme) + c->tok->len + 32;
        if (len + need > w->scratch_cap) {
            lg_conn_fail(w, c, LG_FAIL_CLIENT_TOKEN);
            return;
        }
        len += (size_t)snprintf(w->scratch + len, w->scratch_cap - len, "Authorization: %s ",
                                o->scheme);
        memcpy(w->scratch + len, c->tok->data, c->tok->len);
        len += c->tok->len;
        memcpy(w->scratch + len, "\r\n", 2);
        len += 2;
    }
    memcpy(w->scratch + len, "\r\n", 2);
    len += 2;
    lg_conn_send(w, c, w->scratch, len);
}

/* Raw protocol: a 4-byte big-endian length, then the token. */
static void send_raw(struct lg_worker *w, struct lg_conn *c)
{
    uint8_t *p = (uint8_t *)w->scratch;
    uint32_t n = c->tok->len;
    if ((size_t)n + 4 > w->scratch_cap) {
        lg_conn_fail(w, c, LG_FAIL_CLIENT_TOKEN);
        return;
    }
    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    memcpy(p + 4, c->tok->data, n);
    lg_conn_send(w, c, p, (size_t)n + 4);
}

void lg_hs_send_leg(struct lg_worker *w, struct lg_conn *c)
{
    lg_hs_reset(c);
    if (w->o->protocol == LG_PROTO_HTTP)
        send_http(w, c);
    else
        send_raw(w, c);
}

/* The server's final token (RFC 4559 §5: mutual authentication rides on the 200). With a
 * context at hand the initiator checks it (AP-REP, SPNEGO accept-completed and MIC). */
static bool check_final_token(struct lg_worker *w, struct lg_conn *c)
{
    if (c->server_token_len == 0)
        return !(w->o->verify && w->o->mutual && w->o->mech == LG_MECH_KERBEROS);
    w->stats.server_tokens++;
    if (!c->tok->has_ctx || c->tok->complete)
        return true;
    SECURITY_STATUS s = lg_auth_next(&w->run->auth, c->tok, c->server_token, c->server_token_len);
    if (s != SEC_E_OK)
        return false;
    w->stats.verified++;
    return true;
}

/* One more leg: the server answered 401 with a token. A token our initiator cannot continue
 * from is the server's refusal (a SPNEGO reject or KRB-ERROR rides on a 401 too), as is any
 * 401 + token for a pool token whose context was not kept: Kerberos has one leg only. */
static void continue_leg(struct lg_worker *w, struct lg_conn *c, bool keep_alive)
{
    if (!c->tok->has_ctx || ++c->legs >= MAX_LEGS) {
        lg_conn_fail(w, c, LG_FAIL_REJECTED);
        return;
    }
    SECURITY_STATUS s = lg_auth_next(&w->run->auth, c->tok, c->server_token, c->server_token_len);
    /* NTLM's initiator is done (SEC_E_OK) as it makes AUTHENTICATE, which still goes out. */
    if ((s != SEC_I_CONTINUE_NEEDED && s != SEC_E_OK) || c->tok->len == 0) {
        lg_conn_fail(w, c, LG_FAIL_REJECTED);
        return;
    }
    if (!keep_alive) {
        /* A connection-bound exchange (NTLM) cannot survive a close between legs. */
        lg_conn_fail(w, c, LG_FAIL_CLOSED);
        return;
    }
    lg_conn_next_leg(w, c);
}

static void http_answer(struct lg_worker *w, struct lg_conn *c)
{
    const struct lg_http_head *h = &c->head;
    c->answers_on_fd++;
    if (c->challenge_pending) {
        if (h->status != 401 || !h->offered) {
            lg_conn_fail(w, c, h->status == 401 ? LG_FAIL_NO_CHALLENGE : LG_FAIL_HTTP_STATUS);
            return;
        }
        c->challenge_pending = false;
        if (h->keep_alive)
            lg_conn_next_leg(w, c);
        else
            lg_conn_reconnect(w, c);
        return;
    }
    if (h->status >= 200 && h->status < 300) {
        if (check_final_token(w, c))
            lg_conn_succeed(w, c, h->keep_alive);
        else
            lg_conn_fail(w, c, LG_FAIL_BAD_TOKEN);
        return;
    }
    if (h->status == 401 && c->server_token_len > 0) {
        continue_leg(w, c, h->keep_alive);
        return;
    }
    if (h->status != 401)
        w->stats.status[h->status / 100 < 6 ? h->status / 100 : 0]++;
    lg_conn_fail(w, c, h->status == 401 ? LG_FAIL_REJECTED : LG_FAIL_HTTP_STATUS);
}

static void consume(struct lg_conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* The head is parsed: keep its token (decoded), drop the head from the buffer. */
static bool take_head(struct lg_worker *w, struct lg_conn *c, size_t head_len)
{
    const struct lg_http_head *h = &c->head;
    if (h->token_len > 0) {
        size_t cap = h->token_len / 4 * 3;
        c->server_token = malloc(cap + 1);
        if (c->server_token == NULL ||
            ne_b64_decode(c->in + h->token_off, h->token_len, false, c->server_token, cap,
                          &c->server_token_len) != NE_B64_OK) {
            return false;
        }
    }
    consume(c, head_len);
    c->head_done = true;
    c->body_left = h->body == LG_BODY_LENGTH ? h->content_length : 0;
    lg_chunked_init(&c->chunked);
    return true;
}

/* Discards body bytes; true once the body is complete. */
static bool body_done(struct lg_worker *w, struct lg_conn *c, bool *bad)
{
    switch (c->head.body) {
    case LG_BODY_NONE:
        return true;
    case LG_BODY_LENGTH: {
        size_t take = c->in_len < c->body_left ? c->in_len : (size_t)c->body_left;
        consume(c, take);
        c->body_left -= take;
        return c->body_left == 0;
    }
    case LG_BODY_CHUNKED: {
        bool done = false;
        long used = lg_chunked_feed(&c->chunked, c->in, c->in_len, &done);
        if (used < 0) {
            *bad = true;
            return false;
        }
        consume(c, (size_t)used);
        return done;
    }
    case LG_BODY_UNTIL_CLOSE:
        c->in_len = 0; /* complete at EOF (lg_hs_eof) */
        return false;
    }
    return false;
}

/* Parses the next head in c->in; false when incomplete or failed (c is then dealt with). */
static bool next_head(struct lg_worker *w, struct lg_conn *c)
{
    for (;;) {
        long head_len = lg_http_parse_head((const char *)c->in, c->in_len, w->o->scheme, &c->head);
        if (head_len == 0)
            return false;
        if (head_len < 0 || c->head.status == 101) {
            lg_conn_fail(w, c, LG_FAIL_PROTOCOL);
            return false;
        }
        if (!take_head(w, c, (size_t)head_len)) {
            lg_conn_fail(w, c, LG_FAIL_BAD_TOKEN);
            return false;
        }
        if (c->head.status >= 200)
            return true;
        lg_hs_reset(c); /* RFC 9110 §15.2: an interim 1xx answer precedes the real one */
    }
}

static void http_input(struct lg_worker *w, struct lg_conn *c)
{
    if (!c->head_done && !next_head(w, c))
        return;
    bool bad = false;
    if (body_done(w, c, &bad)) {
        c->head_done = false;
        http_answer(w, c);
    } else if (bad) {
        lg_conn_fail(w, c, LG_FAIL_PROTOCOL);
    }
}

/* Raw protocol answers: a frame with a token continues the handshake; see raw_answer. */
static void raw_input(struct lg_worker *w, struct lg_conn *c);

void lg_hs_input(struct lg_worker *w, struct lg_conn *c)
{
    if (w->o->protocol == LG_PROTO_HTTP)
        http_input(w, c);
    else
        raw_input(w, c);
}

void lg_hs_eof(struct lg_worker *w, struct lg_conn *c)
{
    if (w->o->protocol == LG_PROTO_HTTP && c->head_done && c->head.body == LG_BODY_UNTIL_CLOSE) {
        c->head_done = false;
        c->head.keep_alive = false;
        http_answer(w, c);
        return;
    }
    lg_conn_closed(w, c);
}

/* Bounded big-endian reads over one received frame. */
struct frame_reader {
    const uint8_t *p;
    size_t left;
    bool bad;
};

static uint32_t read_be(struct frame_reader *r, size_t n)
{
    uint32_t v = 0;
    if (r->bad || r->left < n) {
        r->bad = true;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        v = v << 8 | r->p[i];
    r->p += n;
    r->left -= n;
    return v;
}

static const uint8_t *read_bytes(struct frame_reader *r, size_t n)
{
    const uint8_t *at = r->p;
    if (r->bad || r->left < n) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return at;
}

static bool keep_server_token(struct lg_conn *c, const uint8_t *p, size_t n)
{
    lg_hs_reset(c);
    if (n == 0)
        return true;
    c->server_token = malloc(n);
    if (c->server_token == NULL)
        return false;
    memcpy(c->server_token, p, n);
    c->server_token_len = n;
    return true;
}

/* ringserver's answers (ringserver/raw_listener.h): u32 length | type | payload, where 'C' carries
 * the next token, 'A' = u32 token length | final token | u16 name | u16 mechanism, 'E' =
 * u32 SECURITY_STATUS | u16 reason. */
static void raw_answer(struct lg_worker *w, struct lg_conn *c, uint8_t type, struct frame_reader *r)
{
    c->answers_on_fd++;
    if (type == 'C') {
        if (!keep_server_token(c, r->p, r->left))
            lg_conn_fail(w, c, LG_FAIL_CLIENT_TOKEN);
        else if (c->server_token_len == 0)
            lg_conn_fail(w, c, LG_FAIL_PROTOCOL);
        else
            continue_leg(w, c, true);
        return;
    }
    if (type == 'A') {
        uint32_t n = read_be(r, 4);
        const uint8_t *tok = read_bytes(r, n);
        read_bytes(r, read_be(r, 2)); /* the user's name */
        read_bytes(r, read_be(r, 2)); /* the mechanism */
        if (r->bad || r->left != 0) {
            lg_conn_fail(w, c, LG_FAIL_PROTOCOL);
        } else if (!keep_server_token(c, tok, n)) {
            lg_conn_fail(w, c, LG_FAIL_CLIENT_TOKEN);
        } else if (check_final_token(w, c)) {
            lg_conn_succeed(w, c, true);
        } else {
            lg_conn_fail(w, c, LG_FAIL_BAD_TOKEN);
        }
        return;
    }
    lg_conn_fail(w, c, type == 'E' ? LG_FAIL_REJECTED : LG_FAIL_PROTOCOL);
}

static void raw_input(struct lg_worker *w, struct lg_conn *c)
{
    if (c->in_len < 4)
        return;
    uint32_t len =
        (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 | (uint32_t)c->in[2] << 8 | c->in[3];
    if (len == 0 || len > RAW_FRAME_MAX) {
        lg_conn_fail(w, c, LG_FAIL_PROTOCOL);
        return;
    }
    if (c->in_len - 4 < len)
        return;
    /* The frame is copied out of c->in first: answering may reuse or free the buffer. */
    uint8_t *frame = malloc(len);
    if (frame == NULL) {
        lg_conn_fail(w, c, LG_FAIL_CLIENT_TOKEN);
        return;
    }
    memcpy(frame, c->in + 4, len);
    consume(c, 4 + (size_t)len);
    struct frame_reader r = {frame + 1, len - 1, false};
    raw_answer(w, c, frame[0], &r);
    free(frame);
}
