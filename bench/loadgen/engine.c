/* Worker threads and their epoll loops: connections, non-blocking I/O, deadlines, and starting
 * each next handshake. Edge-triggered epoll with one registration per socket (IN|OUT), so a
 * handshake costs no epoll_ctl beyond the connect. */
#define _GNU_SOURCE /* pthread_tryjoin_np */
#include "engine.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "open_loop.h"

#define IN_INITIAL (4 * 1024)
#define IN_MAX     (128 * 1024) /* a response head or raw frame is at most 64 KiB */
#define TICK_MS    50
/* Request line, headers and a base64 token of up to cbMaxToken (48256) bytes. */
#define SCRATCH_SIZE (72 * 1024)

uint64_t lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void close_fd(struct lg_conn *c)
{
    if (c->ssl != NULL) {
        SSL_SESSION *s = lg_tls_close(c->ssl, true); /* resumed by the next connection or not */
        c->ssl = NULL;
        if (s != NULL) {
            SSL_SESSION_free(c->session);
            c->session = s;
        }
    }
    if (c->fd >= 0)
        close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    c->in_len = 0;
    lg_hs_reset(c);
}

/* --hold: c got as far as it will in its first handshake (parked, failed, done or never
 * started). The last connection to get there starts the hold period for all. */
static void count_held(struct lg_worker *w, struct lg_conn *c)
{
    struct lg_run *run = w->run;
    if (w->o->hold_s <= 0 || c->hold_counted)
        return;
    c->hold_counted = true;
    if (atomic_fetch_add(&run->held, 1) + 1 != w->o->connections)
        return;
    uint64_t now = lg_now_ns();
    run->held_at_s = (double)(now - run->t_start_ns) / 1e9;
    run->held_pending = atomic_load(&run->holding);
    atomic_store(&run->release_ns, now + (uint64_t)(w->o->hold_s * 1e9));
    fprintf(stderr, "negring-load: %u handshakes held pending between legs (%.2f s), for %.1f s\n",
            run->held_pending, run->held_at_s, w->o->hold_s);
}

static void end_handshake(struct lg_worker *w, struct lg_conn *c)
{
    count_held(w, c);
    lg_token_release(c->tok); /* a pool token is used once; a live one is ours */
    c->tok = NULL;
    c->state = LG_CONN_IDLE;
}

/* May another handshake begin, and from when does its latency run (*t0)? Count mode spends the
 * worker's own share of -n (in proportion to its connections, so a thread descheduled at start
 * still opens all of them); duration mode checks the clock; --rate follows the schedule. */
static enum lg_start may_start(struct lg_worker *w, struct lg_conn *c, uint64_t *t0)
{
    struct lg_run *run = w->run;
    if (atomic_load_explicit(&run->stop, memory_order_relaxed))
        return LG_START_NEVER;
    if (w->o->rate > 0)
        return lg_open_loop_start(w, c, t0);
    *t0 = lg_now_ns();
    if (w->o->handshakes)
        return w->started++ < w->budget ? LG_START_NOW : LG_START_NEVER;
    if (*t0 >= run->t_end_ns) {
        atomic_store(&run->stop, true);
        return LG_START_NEVER;
    }
    return LG_START_NOW;
}

static void finish(struct lg_worker *w, struct lg_conn *c)
{
    count_held(w, c);
    close_fd(c);
    c->state = LG_CONN_FINISHED;
    w->active--;
}

static bool take_token(struct lg_worker *w, struct lg_conn *c)
{
    if (w->o->tokens == LG_TOKENS_POOL) {
        c->tok = lg_pool_take(&w->run->pool);
        if (c->tok == NULL) {
            atomic_store(&w->run->pool_exhausted, true);
            atomic_store(&w->run->stop, true);
            return false;
        }
        return true;
    }
    c->tok = &c->live;
    SECURITY_STATUS s = lg_auth_first(&w->run->auth, true, c->tok);
    return s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED;
}

/* --source-ips: the next of 127.0.0.1 .. 127.0.0.N, its port left to connect()
 * (IP_BIND_ADDRESS_NO_PORT: bind() would otherwise take a port for any destination). */
static bool bind_source(struct lg_worker *w, int fd)
{
    unsigned n = w->o->source_ips;
    if (n == 0)
        return true;
    struct sockaddr_in src = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK + w->next_source++ % n)};
    int one = 1;
    return setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) == 0 &&
           bind(fd, (const struct sockaddr *)&src, sizeof(src)) == 0;
}

static void open_connection(struct lg_worker *w, struct lg_conn *c)
{
    const struct lg_run *run = w->run;
    c->fd = socket(run->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        lg_conn_fail(w, c, LG_FAIL_CONNECT);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!bind_source(w, c->fd)) {
        lg_conn_fail(w, c, LG_FAIL_CONNECT);
        return;
    }
    w->stats.connects++;
    c->answers_on_fd = 0;
    c->state = LG_CONN_CONNECTING;
    if (connect(c->fd, (const struct sockaddr *)&run->addr, run->addr_len) != 0 &&
        errno != EINPROGRESS) {
        lg_conn_fail(w, c, LG_FAIL_CONNECT);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        lg_conn_fail(w, c, LG_FAIL_CONNECT);
    /* The request goes out on the first EPOLLOUT, once the connect completed. */
}

/* Begins the next handshake on c, or retires c when the run is over. Iterative, not recursive:
 * a failure while starting loops here rather than nesting calls. */
static void next_handshake(struct lg_worker *w, struct lg_conn *c)
{
    while (c->state == LG_CONN_IDLE && !c->parked) {
        uint64_t t0;
        enum lg_start start = may_start(w, c, &t0);
        if (start == LG_START_LATER)
            return;
        if (start == LG_START_NEVER) {
            finish(w, c);
            return;
        }
        if (!take_token(w, c)) {
            bool spent = atomic_load(&w->run->pool_exhausted);
            if (!spent) {
                w->stats.fail[LG_FAIL_CLIENT_TOKEN]++;
                atomic_fetch_add_explicit(&w->stats.failed, 1, memory_order_relaxed);
            }
            end_handshake(w, c);
            if (spent) {
                finish(w, c);
                return;
            }
            continue;
        }
        c->legs = 0;
        c->retried = false;
        c->challenge_pending = w->o->challenge;
        c->t0_ns = t0;
        c->deadline_ns = lg_now_ns() + (uint64_t)(w->o->timeout_s * 1e9);
        if (c->fd < 0)
            open_connection(w, c); /* failures come back through lg_conn_fail → IDLE */
        else
            lg_hs_send_leg(w, c);
    }
}

void lg_conn_start(struct lg_worker *w, struct lg_conn *c)
{
    next_handshake(w, c);
}

void lg_conn_fail(struct lg_worker *w, struct lg_conn *c, enum lg_failure why)
{
    w->stats.fail[why]++;
    lg_class_record_failed(&w->stats.classes[c->tok->klass]);
    atomic_fetch_add_explicit(&w->stats.failed, 1, memory_order_relaxed);
    close_fd(c); /* the connection's state is unknown: never reuse it */
    end_handshake(w, c);
}

void lg_conn_succeed(struct lg_worker *w, struct lg_conn *c, bool keep_alive)
{
    uint64_t now = lg_now_ns();
    uint64_t latency = now - c->t0_ns;
    w->stats.last_done_ns = now;
    lg_hist_record(&w->stats.latency_ns, latency);
    lg_class_record_ok(&w->stats.classes[c->tok->klass], latency);
    atomic_fetch_add_explicit(&w->stats.ok, 1, memory_order_relaxed);
    if (!keep_alive || w->o->fresh)
        close_fd(c);
    end_handshake(w, c);
}

void lg_conn_next_leg(struct lg_worker *w, struct lg_conn *c)
{
    if (w->o->hold_s <= 0 || c->hold_counted) {
        lg_hs_send_leg(w, c);
        return;
    }
    c->state = LG_CONN_HOLDING;
    c->deadline_ns = UINT64_MAX; /* a new one is set when it resumes */
    w->holding++;
    atomic_fetch_add(&w->run->holding, 1);
    count_held(w, c);
}

/* --hold: once the hold period is over, every parked handshake sends its next leg. */
static void release_held(struct lg_worker *w, uint64_t now)
{
    uint64_t at = atomic_load_explicit(&w->run->release_ns, memory_order_relaxed);
    if (w->holding == 0 || at == 0 || now < at)
        return;
    for (unsigned i = 0; i < w->nconns && w->holding > 0; i++) {
        struct lg_conn *c = &w->conns[i];
        if (c->state != LG_CONN_HOLDING)
            continue;
        w->holding--;
        atomic_fetch_sub(&w->run->holding, 1);
        c->deadline_ns = now + (uint64_t)(w->o->timeout_s * 1e9);
        lg_hs_send_leg(w, c);
        if (c->state == LG_CONN_IDLE)
            next_handshake(w, c);
    }
}

void lg_conn_reconnect(struct lg_worker *w, struct lg_conn *c)
{
    close_fd(c);
    open_connection(w, c);
}

/* RFC 9112 §9.3.1: a server may close an idle persistent connection just as a request goes out;
 * the client then retries on a new connection. Done once per handshake, on its first leg, only
 * on a reused connection and only when nothing of the answer arrived. A server that did read
 * the token before closing sees it again and refuses it as a replay: that shows as "rejected",
 * never as a success. */
void lg_conn_closed(struct lg_worker *w, struct lg_conn *c)
{
    bool nothing_back = c->in_len == 0 && !c->head_done;
    if (c->answers_on_fd > 0 && nothing_back && !c->retried && c->legs == 0) {
        c->retried = true;
        w->stats.retries++;
        lg_conn_reconnect(w, c);
        return;
    }
    lg_conn_fail(w, c, LG_FAIL_CLOSED);
}

static void write_pending(struct lg_worker *w, struct lg_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = lg_io_send(c->fd, c->ssl, c->out + c->out_off, c->out_len - c->out_off);
        if (n == LG_IO_AGAIN)
            return; /* the next EPOLLOUT edge resumes */
        if (n <= 0) {
            lg_conn_closed(w, c);
            return;
        }
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    c->state = LG_CONN_RECEIVING;
}

void lg_conn_send(struct lg_worker *w, struct lg_conn *c, const void *buf, size_t n)
{
    w->stats.requests++;
    ssize_t sent = lg_io_send(c->fd, c->ssl, buf, n);
    if (sent == (ssize_t)n) {
        c->state = LG_CONN_RECEIVING;
        return;
    }
    if (sent != LG_IO_AGAIN && sent <= 0) {
        lg_conn_closed(w, c);
        return;
    }
    size_t done = sent > 0 ? (size_t)sent : 0;
    c->out = malloc(n - done);
    if (c->out == NULL) {
        lg_conn_fail(w, c, LG_FAIL_CLIENT_TOKEN);
        return;
    }
    memcpy(c->out, (const uint8_t *)buf + done, n - done);
    c->out_len = n - done;
    c->out_off = 0;
    c->state = LG_CONN_SENDING;
}

/* https: the TLS handshake, as far as the socket lets it go; then the first leg. */
static void tls_progress(struct lg_worker *w, struct lg_conn *c)
{
    int r = lg_tls_handshake(c->ssl);
    if (r < 0) {
        lg_conn_fail(w, c, LG_FAIL_TLS);
        return;
    }
    if (r == 0)
        return; /* the next edge resumes */
    if (SSL_session_reused(c->ssl))
        w->stats.tls_resumed++;
    else
        w->stats.tls_full++;
    lg_hs_send_leg(w, c);
}

static void connected(struct lg_worker *w, struct lg_conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        lg_conn_fail(w, c, LG_FAIL_CONNECT);
        return;
    }
    if (!w->o->tls) {
        lg_hs_send_leg(w, c);
        return;
    }
    c->ssl = lg_tls_new(&w->run->tls, w->o, c->fd, w->o->tls_resume ? c->session : NULL);
    if (c->ssl == NULL) {
        lg_conn_fail(w, c, LG_FAIL_TLS);
        return;
    }
    c->state = LG_CONN_TLS;
    tls_progress(w, c);
}

/* Reads everything available (edge-triggered) and lets the protocol consume it. */
static void read_input(struct lg_worker *w, struct lg_conn *c)
{
    while (c->state == LG_CONN_RECEIVING) {
        if (c->in_cap - c->in_len < 1024) {
            size_t cap = c->in_cap ? c->in_cap * 2 : IN_INITIAL;
            uint8_t *grown = cap <= IN_MAX ? realloc(c->in, cap) : NULL;
            if (grown == NULL) {
                lg_conn_fail(w, c, LG_FAIL_PROTOCOL);
                return;
            }
            c->in = grown;
            c->in_cap = cap;
        }
        ssize_t n = lg_io_recv(c->fd, c->ssl, c->in + c->in_len, c->in_cap - c->in_len);
        if (n == LG_IO_AGAIN)
            return;
        if (n == LG_IO_ERROR) {
            lg_conn_closed(w, c);
            return;
        }
        if (n == LG_IO_EOF) {
            lg_hs_eof(w, c);
            return;
        }
        c->in_len += (size_t)n;
        lg_hs_input(w, c);
    }
}

static void on_event(struct lg_worker *w, struct lg_conn *c, uint32_t events)
{
    if (c->state == LG_CONN_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        connected(w, c);
    else if (c->state == LG_CONN_TLS)
        tls_progress(w, c);
    if (c->state == LG_CONN_SENDING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        write_pending(w, c);
    if (c->state == LG_CONN_RECEIVING && (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
        read_input(w, c);
    if (c->state == LG_CONN_IDLE)
        next_handshake(w, c);
}

static void expire(struct lg_worker *w, uint64_t now)
{
    for (unsigned i = 0; i < w->nconns; i++) {
        struct lg_conn *c = &w->conns[i];
        bool busy = c->state != LG_CONN_IDLE && c->state != LG_CONN_FINISHED;
        if (busy && now >= c->deadline_ns) {
            lg_conn_fail(w, c, LG_FAIL_TIMEOUT);
            next_handshake(w, c);
        }
    }
}

/* Duration over: whatever is still in flight is abandoned, counted apart. */
static void abandon_all(struct lg_worker *w)
{
    for (unsigned i = 0; i < w->nconns; i++) {
        struct lg_conn *c = &w->conns[i];
        if (c->state == LG_CONN_FINISHED)
            continue;
        if (c->state != LG_CONN_IDLE)
            w->stats.abandoned++;
        close_fd(c);
        if (c->tok)
            end_handshake(w, c);
        c->state = LG_CONN_FINISHED;
    }
    w->active = 0;
}

/* Waits for events no longer than a tick, than the end of a -d run, or than the next scheduled
 * start (--rate) in nanoseconds: a millisecond's rounding would make every start late. */
static int wait_events(struct lg_worker *w, struct epoll_event *events, int max)
{
    uint64_t now = lg_now_ns();
    uint64_t wait = lg_open_loop_wait_ns(w, now);
    if (wait > TICK_MS * 1000000u)
        wait = TICK_MS * 1000000u;
    if (w->o->duration_s > 0) {
        uint64_t left = w->run->t_end_ns > now ? w->run->t_end_ns - now : 0;
        if (left < wait)
            wait = left;
    }
    struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
    return epoll_pwait2(w->epfd, events, max, &ts, NULL);
}

static void *worker_main(void *arg)
{
    struct lg_worker *w = arg;
    for (unsigned i = 0; i < w->nconns; i++)
        next_handshake(w, &w->conns[i]);
    struct epoll_event events[256];
    uint64_t next_tick = lg_now_ns() + TICK_MS * 1000000u;
    while (w->active > 0) {
        int n = wait_events(w, events, 256);
        for (int i = 0; i < n; i++)
            on_event(w, events[i].data.ptr, events[i].events);
        uint64_t now = lg_now_ns();
        if (w->o->duration_s > 0 && now >= w->run->t_end_ns) {
            atomic_store(&w->run->stop, true);
            lg_open_loop_count_overdue(w, w->run->t_end_ns);
            abandon_all(w);
            break;
        }
        lg_open_loop_release(w, now);
        release_held(w, now);
        if (now >= next_tick) {
            expire(w, now);
            next_tick = now + TICK_MS * 1000000u;
        }
    }
    return NULL;
}

static struct lg_worker *worker_new(struct lg_run *run, unsigned nconns)
{
    struct lg_worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->run = run;
    w->o = run->o;
    w->nconns = w->active = nconns;
    w->conns = calloc(nconns, sizeof(*w->conns));
    w->scratch_cap = SCRATCH_SIZE;
    w->scratch = malloc(w->scratch_cap);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->conns == NULL || w->scratch == NULL || w->epfd < 0) {
        free(w->conns);
        free(w->scratch);
        if (w->epfd >= 0)
            close(w->epfd);
        free(w);
        return NULL;
    }
    for (unsigned i = 0; i < nconns; i++)
        w->conns[i].fd = -1;
    lg_hist_init(&w->stats.latency_ns);
    lg_hist_init(&w->stats.start_lag_ns);
    for (int k = 0; k < LG_CLASS_COUNT; k++)
        lg_class_stats_init(&w->stats.classes[k]);
    return w;
}

static void worker_free(struct lg_worker *w)
{
    for (unsigned i = 0; i < w->nconns; i++) {
        close_fd(&w->conns[i]);
        SSL_SESSION_free(w->conns[i].session);
        free(w->conns[i].in);
        lg_token_release(&w->conns[i].live);
    }
    close(w->epfd);
    lg_open_loop_free(w);
    free(w->conns);
    free(w->scratch);
    free(w);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void progress(const struct lg_run *run, uint64_t now, uint64_t *last_ok, uint64_t *last_t)
{
    uint64_t ok = 0, failed = 0;
    for (unsigned i = 0; i < run->nworkers; i++) {
        ok += atomic_load_explicit(&run->workers[i]->stats.ok, memory_order_relaxed);
        failed += atomic_load_explicit(&run->workers[i]->stats.failed, memory_order_relaxed);
    }
    double dt = (double)(now - *last_t) / 1e9;
    fprintf(stderr, "\r%7.1f s  %10llu ok  %8llu failed  %9.0f/s   ",
            (double)(now - run->t_start_ns) / 1e9, (unsigned long long)ok,
            (unsigned long long)failed, dt > 0 ? (double)(ok - *last_ok) / dt : 0.0);
    *last_ok = ok;
    *last_t = now;
}

bool lg_engine_run(struct lg_run *run)
{
    const struct lg_options *o = run->o;
    run->nworkers = o->threads;
    run->workers = calloc(run->nworkers, sizeof(*run->workers));
    if (run->workers == NULL)
        return false;
    uint64_t budgeted = 0, conns_before = 0;
    for (unsigned i = 0; i < run->nworkers; i++) {
        unsigned share = o->connections / run->nworkers + (i < o->connections % run->nworkers);
        run->workers[i] = worker_new(run, share);
        if (run->workers[i] == NULL) {
            fprintf(stderr, "negring-load: cannot set up worker %u\n", i);
            return false;
        }
        /* -n split by connections; cumulative rounding makes the shares add up to -n exactly. */
        conns_before += share;
        uint64_t upto = (uint64_t)((double)o->handshakes * (double)conns_before / o->connections);
        if (i + 1 == run->nworkers)
            upto = o->handshakes;
        run->workers[i]->budget = upto - budgeted;
        budgeted = upto;
    }
    double cpu_start = cpu_seconds();
    run->t_start_ns = lg_now_ns();
    run->t_end_ns = run->t_start_ns + (uint64_t)(o->duration_s * 1e9);
    for (unsigned i = 0; i < run->nworkers; i++)
        if (!lg_open_loop_init(run->workers[i], i))
            return false;
    unsigned started = 0;
    for (; started < run->nworkers; started++)
        if (pthread_create(&run->workers[started]->tid, NULL, worker_main, run->workers[started]) !=
            0)
            break;
    bool tty = !o->quiet && isatty(STDERR_FILENO);
    uint64_t last_ok = 0, last_t = run->t_start_ns, last_print = run->t_start_ns;
    /* Join the workers in order, printing progress while waiting for each. */
    unsigned joined = 0;
    while (joined < started) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        while (joined < started && pthread_tryjoin_np(run->workers[joined]->tid, NULL) == 0)
            joined++;
        uint64_t now = lg_now_ns();
        if (tty && now - last_print >= 1000000000u) {
            progress(run, now, &last_ok, &last_t);
            last_print = now;
        }
    }
    run->t_end_ns = lg_now_ns();
    run->cpu_s = cpu_seconds() - cpu_start;
    if (tty)
        fputc('\n', stderr);
    return started == run->nworkers;
}

void lg_engine_totals(const struct lg_run *run, struct lg_stats *out)
{
    memset(out, 0, sizeof(*out));
    lg_hist_init(&out->latency_ns);
    lg_hist_init(&out->start_lag_ns);
    for (int k = 0; k < LG_CLASS_COUNT; k++)
        lg_class_stats_init(&out->classes[k]);
    for (unsigned i = 0; i < run->nworkers; i++) {
        const struct lg_stats *s = &run->workers[i]->stats;
        atomic_fetch_add(&out->ok, atomic_load(&s->ok));
        atomic_fetch_add(&out->failed, atomic_load(&s->failed));
        for (int k = 0; k < LG_FAIL_COUNT; k++)
            out->fail[k] += s->fail[k];
        for (int k = 0; k < 6; k++)
            out->status[k] += s->status[k];
        out->requests += s->requests;
        out->connects += s->connects;
        out->server_tokens += s->server_tokens;
        out->verified += s->verified;
        out->abandoned += s->abandoned;
        out->retries += s->retries;
        out->tls_full += s->tls_full;
        out->tls_resumed += s->tls_resumed;
        lg_hist_merge(&out->latency_ns, &s->latency_ns);
        for (int k = 0; k < LG_CLASS_COUNT; k++)
            lg_class_stats_merge(&out->classes[k], &s->classes[k]);
        lg_hist_merge(&out->start_lag_ns, &s->start_lag_ns);
        out->overdue += s->overdue;
        if (s->last_done_ns > out->last_done_ns)
            out->last_done_ns = s->last_done_ns;
        out->late_starts += s->late_starts;
    }
}

void lg_engine_free(struct lg_run *run)
{
    for (unsigned i = 0; run->workers && i < run->nworkers; i++)
        if (run->workers[i])
            worker_free(run->workers[i]);
    free(run->workers);
    run->workers = NULL;
}
