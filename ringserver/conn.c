/* Connection lifecycle (see conn.h). */
#include "conn.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit.h"
#include "log.h"
#include "protocol.h"
#include "proxy_protocol.h"
#include "shared_state.h"
#include "submit.h"

static void peer_name(const struct sockaddr *sa, socklen_t sa_len, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET && sa_len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        port = ntohs(a->sin_port);
    } else if (sa->sa_family == AF_INET6 && sa_len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, len, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

struct rs_conn *rs_conn_new(struct rs_worker *w, struct rs_listener *lis, unsigned slot,
                            const struct sockaddr *peer, socklen_t peer_len)
{
    struct rs_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->w = w;
    c->lis = lis;
    c->slot = slot;
    c->opened_ms = w->now_ms;
    c->serial = ++w->conn_serial;
    c->out.max = RS_ANSWER_MAX * 2 + 8192; /* base64 of the largest answer plus headers */
    peer_name(peer, peer_len, c->peer, sizeof(c->peer));
    c->preamble = lis->cfg->proxy_protocol ? RS_PREAMBLE_PROXY_HEADER : RS_PREAMBLE_NO_PROXY;
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    w->n_conns++;
    rs_conn_schedule(c);
    return c;
}

/* An answer is on its way: being sent, or held for the farm's replay check. Until it has gone
 * no further request is read. */
static bool answering(const struct rs_conn *c)
{
    return c->send_armed || rs_shared_held(c);
}

static size_t max_buffered(const struct rs_config *cfg)
{
    return cfg->max_header_bytes + cfg->max_body_bytes + cfg->max_token_bytes + 64;
}

/* An answer that cannot be queued closes the connection from inside the protocol's consume;
 * `consuming` keeps it allocated until this loop has looked at it for the last time (the
 * caller frees it if it closed). Without it, a send completing on a connection whose receive
 * had ended (-ENOBUFS) freed the connection under the loop. */
static size_t consume(struct rs_conn *c, const uint8_t *data, size_t len)
{
    size_t off = 0;
    c->consuming = true;
    while (off < len && !c->closing && !answering(c)) {
        size_t n = c->lis->proto->consume(c, data + off, len - off);
        if (n == 0)
            break;
        off += n;
    }
    c->consuming = false;
    return off;
}

static void drop_input(struct rs_conn *c)
{
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    c->partial_since_ms = 0;
}

enum append_result { APPENDED, TOO_LARGE, NO_MEMORY };

static enum append_result append(struct rs_conn *c, const uint8_t *data, size_t len)
{
    if (c->in_len + len > max_buffered(&c->w->srv->cfg))
        return TOO_LARGE;
    if (c->in_len + len > c->in_cap) {
        /* Small first: what most slow or hostile clients leave is a few bytes of a head. */
        size_t cap = c->in_cap ? c->in_cap : 512;
        while (cap < c->in_len + len)
            cap *= 2;
        uint8_t *p = realloc(c->in, cap);
        if (p == NULL)
            return NO_MEMORY;
        c->in = p;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, data, len);
    c->in_len += len;
    if (c->partial_since_ms == 0)
        c->partial_since_ms = c->w->now_ms;
    return APPENDED;
}

/* Input that could not be kept: with no memory for it and no answer under way, the client
 * hears why (the listener's ready-made refusal); otherwise it is cut off. */
static void input_lost(struct rs_conn *c, enum append_result why)
{
    if (why == NO_MEMORY && !answering(c)) {
        drop_input(c);
        c->out.failed = true;
        rs_conn_send(c);
        return;
    }
    rs_conn_close(c, RS_RESULT_ABORTED);
}

static void process_buffered(struct rs_conn *c)
{
    size_t used = consume(c, c->in, c->in_len);
    if (c->closing)
        return;
    if (used == c->in_len) {
        drop_input(c);
        return;
    }
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    if (used > 0)
        c->partial_since_ms = c->w->now_ms;
}

static void received_plain(struct rs_conn *c, const uint8_t *data, size_t len)
{
    if (c->closing)
        return;
    if (c->in_len == 0 && !answering(c)) {
        /* The common case: parse straight from the provided buffer, copy only a remainder. */
        size_t used = consume(c, data, len);
        enum append_result r = APPENDED;
        if (!c->closing && used < len)
            r = append(c, data + used, len - used);
        if (r != APPENDED)
            input_lost(c, r);
    } else {
        enum append_result r = append(c, data, len);
        if (r != APPENDED)
            input_lost(c, r);
        else if (!answering(c))
            process_buffered(c);
    }
    rs_conn_schedule(c);
}

/* Sends c->sending from its start. */
static void start_send(struct rs_conn *c)
{
    c->out_off = 0;
    c->send_since_ms = c->w->now_ms;
    if (!rs_submit_send(c)) {
        rs_conn_close(c, RS_RESULT_ERROR);
        return;
    }
    rs_conn_schedule(c);
}

/* TLS: the ciphertext OpenSSL has written (a handshake flight, tickets, an answer) goes out,
 * unless a send is under way: then it waits in the session for that send to finish. */
static bool tls_flush(struct rs_conn *c)
{
    if (c->send_armed || !rs_tls_take_output(c->tls, &c->wire))
        return false;
    c->sending = &c->wire;
    start_send(c);
    return true;
}

/* A failed TLS session: its alert, if it wrote one, goes out before the close. */
static void tls_failed(struct rs_conn *c)
{
    rs_count(&c->w->metrics.tls_failures);
    char q[160];
    rs_log_quote(q, sizeof(q), rs_tls_failure(c->tls));
    rs_log(RS_LOG_WARN, "tls_failed", "listener=%s peer=%s established=%s reason=%s",
           c->lis->cfg->text, c->peer, rs_tls_established(c->tls) ? "yes" : "no", q);
    c->close_after_send = true;
    if (!tls_flush(c) && !c->send_armed)
        rs_conn_close(c, RS_RESULT_ABORTED);
}

/* A TLS listener's connection gets its session on the listener's current context with its
 * first bytes: until then (a silent client) it holds none. */
static bool tls_start(struct rs_conn *c)
{
    struct rs_server *srv = c->w->srv;
    if (c->tls == NULL) {
        SSL_CTX *ctx = atomic_load(&srv->tls_ctx[c->lis->cfg - srv->cfg.listeners]);
        c->tls = rs_tls_session_new(ctx);
    }
    return c->tls != NULL;
}

/* Ciphertext in: the handshake as far as it goes, then each record's plaintext to the
 * protocol, then whatever OpenSSL wrote back. */
static void received_tls(struct rs_conn *c, const uint8_t *data, size_t len)
{
    if (!tls_start(c)) { /* no memory: a refusal would reach the client as a broken record */
        rs_conn_close(c, RS_RESULT_ERROR);
        return;
    }
    bool was_established = rs_tls_established(c->tls);
    if (!rs_tls_offer(c->tls, data, len)) {
        tls_failed(c);
        return;
    }
    for (;;) {
        size_t n;
        enum rs_tls_read r = rs_tls_read(c->tls, c->w->plain, RS_TLS_RECORD_MAX, &n);
        if (!was_established && rs_tls_established(c->tls)) {
            was_established = true;
            rs_count(&c->w->metrics.tls_handshakes[rs_tls_resumed(c->tls)]);
        }
        if (r == RS_TLS_PLAINTEXT) {
            received_plain(c, c->w->plain, n);
            if (c->closing)
                return;
            continue;
        }
        if (r == RS_TLS_FAILED)
            tls_failed(c);
        else if (r == RS_TLS_CLOSED)
            rs_conn_close(c, RS_RESULT_ABORTED);
        break;
    }
    if (!c->closing)
        tls_flush(c);
    rs_conn_schedule(c);
}

static void received_payload(struct rs_conn *c, const uint8_t *data, size_t len)
{
    if (c->lis->cfg->tls)
        received_tls(c, data, len);
    else
        received_plain(c, data, len);
}

static void proxy_refused(struct rs_conn *c, enum rs_proxy_label label, const char *why)
{
    rs_count(&c->w->metrics.proxy_headers[label]);
    rs_log(RS_LOG_WARN, "proxy_refused", "listener=%s peer=%s reason=\"%s\"", c->lis->cfg->text,
           c->peer, why);
    rs_conn_close(c, RS_RESULT_INVALID);
}

/* The header parsed from c->in: the client it names becomes the peer, and what followed it
 * (the request, or a TLS ClientHello) goes on to the payload, from the buffer taken out of the
 * connection (this function owns and frees it), since the payload may buffer anew. */
static void proxy_header_done(struct rs_conn *c, enum rs_proxy_result r,
                              const struct rs_proxy_header *h)
{
    if (r == RS_PROXY_CLIENT)
        peer_name((const struct sockaddr *)&h->source, h->source_len, c->peer, sizeof(c->peer));
    rs_count(&c->w->metrics.proxy_headers[r == RS_PROXY_CLIENT ? RS_PROXY_LABEL_CLIENT
                                                               : RS_PROXY_LABEL_LOCAL]);
    c->preamble = RS_PREAMBLE_DONE;
    uint8_t *in = c->in;
    size_t in_len = c->in_len;
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    c->partial_since_ms = 0;
    if (in_len > h->length)
        received_payload(c, in + h->length, in_len - h->length);
    free(in);
}

/* HAProxy's proxy-protocol.txt §2.2 on a proxy-protocol listener: bytes are kept until the
 * header is whole (header-timeout bounds the wait, RS_PROXY_MAX_HEADER its size). */
static void received_proxy_header(struct rs_conn *c, const uint8_t *data, size_t len)
{
    enum append_result a = append(c, data, len);
    if (a != APPENDED) {
        input_lost(c, a);
        return;
    }
    struct rs_proxy_header h;
    enum rs_proxy_result r = rs_proxy_parse(c->in, c->in_len, &h);
    if (r == RS_PROXY_REFUSED)
        proxy_refused(c, RS_PROXY_LABEL_MALFORMED, h.reason);
    else if (r != RS_PROXY_NEED_MORE)
        proxy_header_done(c, r, &h);
    rs_conn_schedule(c);
}

void rs_conn_received(struct rs_conn *c, const uint8_t *data, size_t len)
{
    if (c->closing)
        return;
    switch (c->preamble) {
    case RS_PREAMBLE_PROXY_HEADER:
        received_proxy_header(c, data, len);
        return;
    case RS_PREAMBLE_NO_PROXY:
        /* Only a balancer the listener trusts may name the client: anyone else's header is
         * refused as such (one whose first read is shorter than the signature reaches the
         * protocol, which refuses it as malformed). */
        c->preamble = RS_PREAMBLE_DONE;
        if (rs_proxy_header_like(data, len)) {
            proxy_refused(c, RS_PROXY_LABEL_UNEXPECTED,
                          "PROXY header on a listener without proxy-protocol");
            return;
        }
        break;
    case RS_PREAMBLE_DONE:
        break;
    }
    received_payload(c, data, len);
}

/* An answer that could not be built (out of memory) gives way to the listener's ready-made
 * refusal, and the connection closes after it. On TLS the answer is sealed first (with
 * close_notify when the connection closes after it). */
void rs_conn_send(struct rs_conn *c)
{
    if (rs_shared_hold(c))
        return;
    c->sending = &c->out;
    if (c->out.failed) {
        rs_out_free(&c->out);
        if (c->lis->refusal.failed) {
            rs_conn_close(c, RS_RESULT_ERROR);
            return;
        }
        c->sending = &c->lis->refusal;
        c->close_after_send = true;
    }
    c->served = true;
    if (!c->lis->cfg->tls) {
        start_send(c);
        return;
    }
    bool sealed = c->tls != NULL &&
                  rs_tls_seal(c->tls, c->sending->data, c->sending->len, c->close_after_send);
    rs_out_free(&c->out);
    if (!sealed || !tls_flush(c))
        rs_conn_close(c, RS_RESULT_ERROR);
}

void rs_conn_sent(struct rs_conn *c, int res)
{
    c->send_armed = false;
    if (c->closing) {
        rs_conn_maybe_free(c);
        return;
    }
    if (res <= 0) {
        rs_conn_close(c, RS_RESULT_ABORTED);
        return;
    }
    c->out_off += (size_t)res;
    if (c->out_off < c->sending->len) {
        if (!rs_submit_send(c))
            rs_conn_close(c, RS_RESULT_ERROR);
        return;
    }
    if (!rs_shared_held(c)) /* a held answer stays while a TLS flight goes out */
        rs_out_free(&c->out);
    if (c->tls != NULL) {
        rs_out_free(&c->wire);
        if (tls_flush(c)) /* written while this went out */
            return;
    }
    if (rs_shared_resume(c)) /* its verdict came while this went out */
        return;
    /* Draining: a connection goes once it has no handshake left to finish (nor an answer
     * held for the farm's replay check). */
    if (c->close_after_send || (c->w->draining && !c->hs.active && !rs_shared_held(c))) {
        rs_submit_shutdown(c); /* FIN after the answer */
        rs_conn_close(c, RS_RESULT_ABORTED);
        return;
    }
    if (c->in_len > 0)
        process_buffered(c);
    if (c->closing) { /* no receive may be armed to free it later */
        rs_conn_maybe_free(c);
        return;
    }
    rs_conn_schedule(c);
}

static void pending_update(struct rs_conn *c, bool was_active)
{
    if (!was_active && c->hs.active)
        atomic_fetch_add_explicit(&c->w->srv->pending, 1, memory_order_relaxed);
    else if (was_active && !c->hs.active)
        atomic_fetch_sub_explicit(&c->w->srv->pending, 1, memory_order_relaxed);
    if (c->hs.active)
        c->last_leg_ms = c->w->now_ms;
}

static bool pending_full(const struct rs_conn *c)
{
    return atomic_load_explicit(&c->w->srv->pending, memory_order_relaxed) >
           (long)c->w->srv->cfg.max_pending;
}

bool rs_conn_auth_leg(struct rs_conn *c, enum rs_package pkg, const char *scheme,
                      const uint8_t *tok, size_t len, struct rs_leg *leg)
{
    struct rs_worker *w = c->w;
    bool was_active = c->hs.active;
    const struct rs_listener_config *lc = c->lis->cfg;
    struct rs_leg_policy policy = {
        .pkg = pkg,
        .kerberos_only = lc->mechs == RS_MECHS_KERBEROS && pkg == RS_PKG_NEGOTIATE,
        .want_sids = w->srv->cfg.sid_headers && lc->mode != RS_MODE_RAW,
        .require_bindings = lc->tls && lc->bindings == RS_BINDINGS_REQUIRE};
    if (c->tls != NULL && lc->bindings != RS_BINDINGS_OFF) {
        const struct ne_channel_bindings *b = rs_tls_session_bindings(c->tls);
        policy.bindings = b->buf, policy.bindings_len = b->len;
    }
    rs_shared_note_token(c, !was_active || rs_token_starts_handshake(tok, len), tok, len);
    rs_auth_leg(&c->hs, &w->srv->creds, &policy, tok, len, w->answer, RS_ANSWER_MAX, leg);
    pending_update(c, was_active);
    if (leg->status == SEC_E_OK && strcmp(leg->package, "Kerberos") == 0)
        rs_shared_claim(c);
    if (leg->status != SEC_I_CONTINUE_NEEDED || !pending_full(c))
        return true;
    rs_handshake_reset(&c->hs);
    pending_update(c, true);
    rs_count(&w->metrics.refusals[RS_REFUSE_PENDING]);
    rs_handshake_outcome(c, scheme, SEC_E_INSUFFICIENT_MEMORY, "", "", RS_RESULT_REFUSED,
                         "max-pending reached");
    return false;
}

void rs_conn_close(struct rs_conn *c, enum rs_result_label why)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->hs.active) {
        rs_handshake_outcome(c, "-", 0, "", "", why,
                             why == RS_RESULT_TIMEOUT ? "no next leg in time"
                                                      : "connection closed mid-handshake");
        rs_handshake_reset(&c->hs);
        atomic_fetch_sub_explicit(&c->w->srv->pending, 1, memory_order_relaxed);
    }
    rs_wheel_clear(&c->timer);
    drop_input(c);
    rs_shared_forget(c);
    if (c->recv_armed && !c->cancel_sent) {
        c->cancel_sent = true;
        rs_submit_cancel_recv(c);
    }
    rs_conn_maybe_free(c);
}

static void unlink_rearm(struct rs_conn *c)
{
    for (struct rs_conn **p = &c->w->rearm; *p != NULL; p = &(*p)->rearm_next)
        if (*p == c) {
            *p = c->rearm_next;
            break;
        }
    c->needs_rearm = false;
}

void rs_conn_destroy(struct rs_conn *c)
{
    struct rs_worker *w = c->w;
    if (c->hs.active) {
        rs_handshake_reset(&c->hs);
        atomic_fetch_sub_explicit(&w->srv->pending, 1, memory_order_relaxed);
    }
    if (c->needs_rearm)
        unlink_rearm(c);
    rs_wheel_clear(&c->timer);
    drop_input(c);
    rs_tls_session_free(c->tls);
    rs_out_free(&c->wire);
    rs_submit_close(w, c->slot);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    w->n_conns--;
    atomic_fetch_sub_explicit(&w->srv->connections, 1, memory_order_relaxed);
    rs_out_free(&c->out);
    rs_shared_forget(c);
    free(c->bound);
    free(c);
}

void rs_conn_maybe_free(struct rs_conn *c)
{
    if (c->closing && !c->recv_armed && !c->send_armed && !c->shutdown_armed && !c->consuming)
        rs_conn_destroy(c);
}

void rs_conn_shutdown_done(struct rs_conn *c)
{
    c->shutdown_armed = false;
    rs_conn_maybe_free(c);
}

void rs_conn_schedule(struct rs_conn *c)
{
    const struct rs_config *cfg = &c->w->srv->cfg;
    uint64_t d;
    enum rs_timeout_label kind;
    if (c->closing)
        return;
    if (c->send_armed) {
        d = c->send_since_ms + cfg->leg_timeout_ms, kind = RS_TIMEOUT_SEND;
    } else if (c->partial_since_ms != 0) {
        d = c->partial_since_ms + cfg->header_timeout_ms, kind = RS_TIMEOUT_HEADER;
    } else if (c->hs.active) {
        uint64_t leg = c->last_leg_ms + cfg->leg_timeout_ms;
        uint64_t whole = c->hs.start_us / 1000 + cfg->handshake_timeout_ms;
        d = leg < whole ? leg : whole;
        kind = leg < whole ? RS_TIMEOUT_LEG : RS_TIMEOUT_HANDSHAKE;
    } else if (!c->served) {
        d = c->opened_ms + cfg->header_timeout_ms, kind = RS_TIMEOUT_HEADER;
    } else {
        d = c->w->now_ms + cfg->idle_timeout_ms, kind = RS_TIMEOUT_IDLE;
    }
    c->timer_kind = kind;
    rs_wheel_set(&c->w->wheel, &c->timer, d);
}

void rs_conn_expired(struct rs_timer *t, void *arg)
{
    struct rs_conn *c = (struct rs_conn *)((char *)t - offsetof(struct rs_conn, timer));
    (void)arg;
    rs_count(&c->w->metrics.timeouts[c->timer_kind]);
    rs_conn_close(c, RS_RESULT_TIMEOUT);
}
