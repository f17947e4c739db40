/* A worker's Redis connection on its io_uring (see redis_client.h).
 *
 * States: DOWN (no socket; a request is refused; after the backoff the next tick connects),
 * CONNECTING (requests queue, bounded by their deadlines), UP, and CLOSING (a failure: every
 * waiter was told, the socket is shut down and its operations cancelled; once the last one has
 * completed the socket is closed and the client is DOWN). Each of the three operations (connect,
 * send, receive) has its own slot, at most one in flight each. */
#include "redis_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "submit.h"

#define MAX_WAITING    4096       /* requests waiting on one connection */
#define RECV_CHUNK     16384      /* bytes asked of each receive */
#define MAX_IN         (2u << 20) /* an unparsed reply larger than this fails the connection */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

enum op_kind { OP_CONNECT, OP_SEND, OP_RECV };
enum state { DOWN, CONNECTING, UP, CLOSING };

struct op {
    struct rs_redis *r;
    enum op_kind kind;
    bool armed;
} __attribute__((aligned(8))); /* user_data keeps the operation in the low 3 bits */

struct request {
    uint64_t ticket;
    uint64_t deadline_ms;
    rs_redis_done_fn done; /* NULL: forgotten */
    void *arg;
};

struct rs_redis {
    struct rs_worker *w;
    enum state state;
    int fd;
    struct op ops[3];
    struct rs_out queued;  /* commands of this turn, not yet sent */
    struct rs_out sending; /* the send in flight */
    size_t sent;
    uint8_t *in; /* received, not yet parsed */
    size_t in_len, in_cap;
    struct request waiting[MAX_WAITING]; /* a ring, oldest at `head` */
    size_t head, n_waiting;
    uint64_t next_ticket;
    uint64_t now_ms, retry_at_ms, connect_deadline_ms;
    unsigned backoff_ms;
    enum rs_store_failure_label failure; /* why the connection in CLOSING failed */
};

static struct rs_metrics *metrics(struct rs_redis *r)
{
    return &r->w->metrics;
}

static const struct rs_config *cfg(const struct rs_redis *r)
{
    return &r->w->srv->cfg;
}

struct rs_redis *rs_redis_new(struct rs_worker *w)
{
    struct rs_redis *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->w = w;
    r->fd = -1;
    r->backoff_ms = BACKOFF_MIN_MS;
    for (unsigned i = 0; i < 3; i++)
        r->ops[i] = (struct op){r, (enum op_kind)i, false};
    return r;
}

void rs_redis_free(struct rs_redis *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    rs_out_free(&r->queued);
    rs_out_free(&r->sending);
    free(r->in);
    free(r);
}

bool rs_redis_up(const struct rs_redis *r)
{
    return r->state == UP;
}

static bool ops_idle(const struct rs_redis *r)
{
    return !r->ops[OP_CONNECT].armed && !r->ops[OP_SEND].armed && !r->ops[OP_RECV].armed;
}

/* Every waiter hears UNAVAILABLE, oldest first. A callback may queue a new request: the state
 * is no longer UP or CONNECTING by then, so it is refused at once and this loop ends. */
static void fail_waiting(struct rs_redis *r)
{
    while (r->n_waiting > 0) {
        struct request q = r->waiting[r->head];
        r->head = (r->head + 1) % MAX_WAITING;
        r->n_waiting--;
        if (q.done != NULL)
            q.done(q.arg, RS_REDIS_UNAVAILABLE, NULL);
    }
}

/* The socket goes once the kernel has returned every operation on it. */
static void finish_close(struct rs_redis *r)
{
    if (r->state != CLOSING || !ops_idle(r))
        return;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    rs_out_free(&r->queued);
    rs_out_free(&r->sending);
    r->in_len = 0;
    r->state = DOWN;
    r->retry_at_ms = r->now_ms + r->backoff_ms + 10u * r->w->index;
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

static void fail(struct rs_redis *r, enum rs_store_failure_label why)
{
    if (r->state == CLOSING || r->state == DOWN)
        return;
    bool was_up = r->state == UP;
    r->state = CLOSING;
    r->failure = why;
    rs_count(&metrics(r)->store_failures[why]);
    static const char *names[RS_STORE_FAIL_COUNT] = {"connect",  "timeout",     "closed",
                                                     "protocol", "error_reply", "full"};
    rs_log(was_up ? RS_LOG_ERROR : RS_LOG_WARN, "shared_store_down",
           "worker=%u store=%s kind=%s waiting=%zu retry_ms=%u", r->w->index, cfg(r)->shared_store,
           names[why], r->n_waiting, r->backoff_ms);
    if (was_up)
        atomic_fetch_sub_explicit(&r->w->srv->store_up, 1, memory_order_relaxed);
    if (r->fd >= 0)
        shutdown(r->fd, SHUT_RDWR); /* a receive or send in flight ends now */
    for (unsigned i = 0; i < 3; i++)
        if (r->ops[i].armed)
            rs_submit_store_cancel(r->w, &r->ops[i]);
    fail_waiting(r);
    finish_close(r);
}

static void start_connect(struct rs_redis *r)
{
    const struct rs_config *c = cfg(r);
    /* Blocking: io_uring waits on it, the ring thread never does. */
    r->fd = socket(c->shared_store_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0) {
        r->state = CONNECTING; /* so that fail() reports and backs off */
        fail(r, RS_STORE_FAIL_CONNECT);
        return;
    }
    int one = 1;
    setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    r->state = CONNECTING;
    r->connect_deadline_ms = r->now_ms + c->shared_store_timeout_ms;
    if (!rs_submit_store_connect(r->w, r->fd, (const struct sockaddr *)&c->shared_store_addr,
                                 c->shared_store_addr_len, &r->ops[OP_CONNECT])) {
        fail(r, RS_STORE_FAIL_FULL);
        return;
    }
    r->ops[OP_CONNECT].armed = true;
}

static void arm_recv(struct rs_redis *r)
{
    if (r->in_cap - r->in_len < RECV_CHUNK) {
        size_t cap = r->in_len + RECV_CHUNK;
        uint8_t *p = cap <= MAX_IN + RECV_CHUNK ? realloc(r->in, cap) : NULL;
        if (p == NULL) {
            fail(r, cap > MAX_IN + RECV_CHUNK ? RS_STORE_FAIL_PROTOCOL : RS_STORE_FAIL_FULL);
            return;
        }
        r->in = p;
        r->in_cap = cap;
    }
    if (!rs_submit_store_recv(r->w, r->fd, r->in + r->in_len, RECV_CHUNK, &r->ops[OP_RECV])) {
        fail(r, RS_STORE_FAIL_FULL);
        return;
    }
    r->ops[OP_RECV].armed = true;
}

uint64_t rs_redis_send(struct rs_redis *r, enum rs_store_command_label what, unsigned argc,
                       const struct rs_slice *argv, rs_redis_done_fn done, void *arg)
{
    if ((r->state != UP && r->state != CONNECTING) || r->n_waiting == MAX_WAITING)
        return 0;
    size_t before = r->queued.len;
    rs_resp_command(&r->queued, argc, argv);
    if (r->queued.failed) {
        rs_out_free(&r->queued);
        fail(r, RS_STORE_FAIL_FULL); /* the commands queued before this one are lost too */
        return 0;
    }
    rs_count(&metrics(r)->store_commands[what]);
    atomic_fetch_add_explicit(&metrics(r)->store_bytes_out, r->queued.len - before,
                              memory_order_relaxed);
    struct request *q = &r->waiting[(r->head + r->n_waiting) % MAX_WAITING];
    *q = (struct request){++r->next_ticket, r->now_ms + cfg(r)->shared_store_timeout_ms, done, arg};
    r->n_waiting++;
    return q->ticket;
}

void rs_redis_forget(struct rs_redis *r, uint64_t ticket)
{
    for (size_t i = 0; i < r->n_waiting; i++) {
        struct request *q = &r->waiting[(r->head + i) % MAX_WAITING];
        if (q->ticket == ticket)
            q->done = NULL;
    }
}

void rs_redis_flush(struct rs_redis *r)
{
    if (r->state != UP || r->ops[OP_SEND].armed || r->queued.len == 0)
        return;
    rs_out_free(&r->sending);
    r->sending = r->queued;
    r->queued = (struct rs_out){0};
    r->sent = 0;
    if (!rs_submit_store_send(r->w, r->fd, r->sending.data, r->sending.len, &r->ops[OP_SEND])) {
        fail(r, RS_STORE_FAIL_FULL);
        return;
    }
    r->ops[OP_SEND].armed = true;
}

void rs_redis_tick(struct rs_redis *r, uint64_t now_ms)
{
    r->now_ms = now_ms;
    if (r->state == DOWN && now_ms >= r->retry_at_ms)
        start_connect(r);
    else if (r->state == CONNECTING && now_ms >= r->connect_deadline_ms)
        fail(r, RS_STORE_FAIL_TIMEOUT);
    else if (r->state == UP && r->n_waiting > 0 && now_ms >= r->waiting[r->head].deadline_ms)
        fail(r, RS_STORE_FAIL_TIMEOUT); /* replies come in order: the rest would wait behind */
}

/* AUTH goes first on every connection, ahead of what was queued while connecting; its reply is
 * the first, to a waiter nobody holds (WRONGPASS or NOAUTH fail the connection). The buffer
 * holding the password is wiped once sent. */
static bool queue_auth(struct rs_redis *r)
{
    uint64_t words[RS_SECRET_MAX / 8];
    size_t n = rs_secret_snapshot(&r->w->srv->store_password, words);
    if (n == 0)
        return true;
    const char *user = cfg(r)->shared_store_user;
    struct rs_slice argv[3] = {{(const uint8_t *)"AUTH", 4}};
    unsigned argc = 1;
    if (user[0] != '\0')
        argv[argc++] = (struct rs_slice){(const uint8_t *)user, strlen(user)};
    argv[argc++] = (struct rs_slice){(const uint8_t *)words, n};
    struct rs_out o = {0};
    rs_resp_command(&o, argc, argv);
    explicit_bzero(words, sizeof(words));
    rs_out_put(&o, r->queued.data, r->queued.len);
    if (o.failed || r->n_waiting == MAX_WAITING) {
        rs_out_free(&o);
        return false;
    }
    rs_out_free(&r->queued);
    r->queued = o;
    r->head = (r->head + MAX_WAITING - 1) % MAX_WAITING;
    r->n_waiting++;
    r->waiting[r->head] =
        (struct request){++r->next_ticket, r->now_ms + cfg(r)->shared_store_timeout_ms, NULL, NULL};
    rs_count(&metrics(r)->store_commands[RS_STORE_CMD_AUTH]);
    return true;
}

static void connected(struct rs_redis *r, int res)
{
    if (res < 0) {
        fail(r, RS_STORE_FAIL_CONNECT);
        return;
    }
    if (!queue_auth(r)) {
        fail(r, RS_STORE_FAIL_FULL);
        return;
    }
    r->state = UP;
    r->backoff_ms = BACKOFF_MIN_MS;
    atomic_fetch_add_explicit(&r->w->srv->store_up, 1, memory_order_relaxed);
    rs_log(RS_LOG_INFO, "shared_store_up", "worker=%u store=%s", r->w->index, cfg(r)->shared_store);
    arm_recv(r);
    rs_redis_flush(r);
}

static void sent(struct rs_redis *r, int res)
{
    if (res <= 0) {
        fail(r, RS_STORE_FAIL_CLOSED);
        return;
    }
    r->sent += (size_t)res;
    if (r->sent < r->sending.len) {
        if (!rs_submit_store_send(r->w, r->fd, r->sending.data + r->sent, r->sending.len - r->sent,
                                  &r->ops[OP_SEND]))
            fail(r, RS_STORE_FAIL_FULL);
        else
            r->ops[OP_SEND].armed = true;
        return;
    }
    rs_out_free(&r->sending);
    rs_redis_flush(r);
}

/* One parsed reply to the oldest waiter. An error reply (NOAUTH, READONLY, OOM...) or a reply
 * nobody asked for means the store is not the one we think: the connection fails. */
static bool deliver(struct rs_redis *r, const struct rs_resp_value *v)
{
    if (r->n_waiting == 0) {
        fail(r, RS_STORE_FAIL_PROTOCOL);
        return false;
    }
    if (v->type == RS_RESP_ERROR) {
        fail(r, RS_STORE_FAIL_ERROR);
        return false;
    }
    struct request q = r->waiting[r->head];
    r->head = (r->head + 1) % MAX_WAITING;
    r->n_waiting--;
    if (q.done != NULL)
        q.done(q.arg, RS_REDIS_REPLY, v);
    return r->state == UP;
}

static void received(struct rs_redis *r, int res)
{
    if (res <= 0) {
        fail(r, RS_STORE_FAIL_CLOSED);
        return;
    }
    atomic_fetch_add_explicit(&metrics(r)->store_bytes_in, (uint64_t)res, memory_order_relaxed);
    r->in_len += (size_t)res;
    size_t off = 0;
    for (;;) {
        struct rs_resp_value v;
        size_t used = 0;
        enum rs_resp_result p =
            rs_resp_parse(r->in + off, r->in_len - off, &rs_resp_default_limits, &v, &used);
        if (p == RS_RESP_NEED_MORE)
            break;
        if (p != RS_RESP_DONE) {
            fail(r, RS_STORE_FAIL_PROTOCOL);
            return;
        }
        off += used;
        if (!deliver(r, &v))
            return;
    }
    memmove(r->in, r->in + off, r->in_len - off);
    r->in_len -= off;
    arm_recv(r);
}

void rs_redis_complete(void *op_ptr, int res)
{
    struct op *op = op_ptr;
    struct rs_redis *r = op->r;
    op->armed = false;
    if (r->state == CLOSING) {
        finish_close(r);
        return;
    }
    switch (op->kind) {
    case OP_CONNECT:
        connected(r, res);
        break;
    case OP_SEND:
        sent(r, res);
        break;
    case OP_RECV:
        received(r, res);
        break;
    }
}
