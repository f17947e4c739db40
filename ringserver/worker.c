/* Worker event loop on liburing (see worker.h).
 *
 * user_data of every SQE is a pointer with the operation in its low 3 bits. Receives are
 * multishot with buffer selection from the worker's buffer ring, so a connection waiting for
 * its client holds no receive buffer; each buffer goes back to the ring as soon as its bytes
 * were parsed (or copied, for a request still incomplete).
 *
 * Accepted sockets live only in the ring's table of direct descriptors: no process descriptor,
 * no fd-table lock, and accept, receive, send, shutdown and close are all ring operations. */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "protocol.h"

/* OP_IGNORED: a cancel or a refusal send, whose completion needs nothing. */
enum op {
    OP_ACCEPT = 1,
    OP_RECV = 2,
    OP_SEND = 3,
    OP_IGNORED = 4,
    OP_LOG = 5,
    OP_CLOSE = 6,
    OP_SHUTDOWN = 7
};
#define OP_MASK        ((uintptr_t)7)
#define BUF_GROUP      0
#define LISTEN_BACKLOG 4096

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct io_uring_sqe *get_sqe(struct rs_worker *w)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    if (sqe == NULL) { /* queue full: flush what we have (never waits) and retry */
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
    }
    return sqe;
}

/* Every armed accept has a free table slot waiting for it, so an accept never takes a client
 * off the backlog only to drop it for want of a slot; a full worker leaves clients in the
 * backlog until a connection closes. */
static void arm_accepts(struct rs_listener *l)
{
    struct rs_worker *w = l->w;
    for (unsigned i = 0; i < RS_ACCEPTS_PER_LISTENER; i++) {
        struct rs_accept *a = &l->accepts[i];
        if (a->armed)
            continue;
        if (w->slots_used + w->accepts_armed >= w->nslots)
            return;
        struct io_uring_sqe *sqe = get_sqe(w);
        if (sqe == NULL)
            return;
        a->addr_len = sizeof(a->addr);
        io_uring_prep_accept(sqe, l->fd, (struct sockaddr *)&a->addr, &a->addr_len, 0);
        /* "any free slot", written directly: liburing 2.3's accept_direct turns it into 0,
         * which asks for a plain descriptor */
        sqe->file_index = IORING_FILE_INDEX_ALLOC;
        io_uring_sqe_set_data64(sqe, (uintptr_t)a | OP_ACCEPT);
        a->armed = true;
        w->accepts_armed++;
    }
}

static void cancel_accepts(struct rs_listener *l)
{
    for (unsigned i = 0; i < RS_ACCEPTS_PER_LISTENER; i++) {
        struct io_uring_sqe *sqe = l->accepts[i].armed ? get_sqe(l->w) : NULL;
        if (sqe != NULL) {
            io_uring_prep_cancel64(sqe, (uintptr_t)&l->accepts[i] | OP_ACCEPT, 0);
            io_uring_sqe_set_data64(sqe, OP_IGNORED);
        }
    }
}

/* The slot is free again once the close completes (OP_CLOSE). Without a ring (worker exit)
 * there is nothing to do: the ring's end released every slot. */
static void close_slot(struct rs_worker *w, unsigned slot)
{
    if (w->ring.ring_fd < 0)
        return;
    struct io_uring_sqe *sqe = get_sqe(w);
    if (sqe == NULL) { /* no room in the queue: the same, synchronously */
        int none = -1;
        io_uring_register_files_update(&w->ring, slot, &none, 1);
        w->slots_used--;
        return;
    }
    io_uring_prep_close_direct(sqe, slot);
    io_uring_sqe_set_data64(sqe, OP_CLOSE);
}

void rs_worker_arm_recv(struct rs_conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL) {
        rs_conn_close(c, RS_RESULT_ERROR);
        return;
    }
    io_uring_prep_recv_multishot(sqe, (int)c->slot, NULL, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUF_GROUP;
    io_uring_sqe_set_data64(sqe, (uintptr_t)c | OP_RECV);
    c->recv_armed = true;
}

void rs_worker_arm_send(struct rs_conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL) {
        c->send_armed = false;
        rs_conn_close(c, RS_RESULT_ERROR);
        return;
    }
    io_uring_prep_send(sqe, (int)c->slot, c->sending->data + c->out_off,
                       c->sending->len - c->out_off, MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, (uintptr_t)c | OP_SEND);
}

void rs_worker_cancel_recv(struct rs_conn *c)
{
    uint64_t recv = (uintptr_t)c | OP_RECV;
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL) { /* no room in the queue: the same, synchronously */
        struct io_uring_sync_cancel_reg reg = {.addr = recv, .timeout = {-1, -1}};
        io_uring_register_sync_cancel(&c->w->ring, &reg);
        return;
    }
    io_uring_prep_cancel64(sqe, recv, 0);
    io_uring_sqe_set_data64(sqe, OP_IGNORED);
}

/* The kernel runs a shutdown on a worker thread and may look its slot up only there, so the
 * slot stays the connection's (not closed, not reused) until the shutdown reports back. */
void rs_worker_shutdown_send(struct rs_conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL)
        return; /* the close that follows ends the connection all the same */
    io_uring_prep_shutdown(sqe, (int)c->slot, SHUT_WR);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, (uintptr_t)c | OP_SHUTDOWN);
    c->shutdown_armed = true;
}

void rs_worker_close_conn_slot(struct rs_conn *c)
{
    close_slot(c->w, c->slot);
}

static void recycle(struct rs_worker *w, unsigned bid)
{
    io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * w->buf_size, w->buf_size,
                          (unsigned short)bid, io_uring_buf_ring_mask(w->nbufs), 0);
    io_uring_buf_ring_advance(w->br, 1);
}

/* Over max-connections or out of memory: the listener's ready-made short answer, then close,
 * so the client sees why. The send is issued before the close and holds the socket until it
 * is done; on a fresh socket it completes at once. */
static void refuse(struct rs_listener *l, unsigned slot, enum rs_refusal_label why)
{
    struct rs_worker *w = l->w;
    struct io_uring_sqe *sqe = l->refusal.failed ? NULL : get_sqe(w);
    if (sqe != NULL) {
        io_uring_prep_send(sqe, (int)slot, l->refusal.data, l->refusal.len, MSG_NOSIGNAL);
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, OP_IGNORED);
    }
    close_slot(w, slot);
    rs_count(&w->metrics.refusals[why]);
}

static void on_accept(struct rs_accept *a, struct io_uring_cqe *cqe)
{
    struct rs_listener *l = a->l;
    struct rs_worker *w = l->w;
    a->armed = false;
    w->accepts_armed--;
    if (cqe->res < 0) {
        /* A failure that repeats each turn (out of memory, say): one line a second. */
        if (cqe->res != -ECANCELED && cqe->res != -EINTR && cqe->res != -ECONNABORTED &&
            w->now_ms >= w->accept_warned_ms + 1000) {
            w->accept_warned_ms = w->now_ms;
            rs_log(RS_LOG_WARN, "accept_failed", "listener=%s errno=%d", l->cfg->text, -cqe->res);
        }
        return;
    }
    unsigned slot = (unsigned)cqe->res;
    w->slots_used++;
    if (w->draining) {
        close_slot(w, slot);
        return;
    }
    rs_count(&w->metrics.accepted);
    long n = atomic_fetch_add_explicit(&w->srv->connections, 1, memory_order_relaxed);
    if (n >= (long)w->srv->cfg.max_connections) {
        atomic_fetch_sub_explicit(&w->srv->connections, 1, memory_order_relaxed);
        refuse(l, slot, RS_REFUSE_CONNECTIONS);
        return;
    }
    struct rs_conn *c = rs_conn_new(w, l, slot, (const struct sockaddr *)&a->addr, a->addr_len);
    if (c == NULL) {
        atomic_fetch_sub_explicit(&w->srv->connections, 1, memory_order_relaxed);
        refuse(l, slot, RS_REFUSE_MEMORY);
        return;
    }
    rs_worker_arm_recv(c);
}

static void on_recv(struct rs_conn *c, struct io_uring_cqe *cqe)
{
    struct rs_worker *w = c->w;
    bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    /* recv_armed stays set while the data is processed, so a close it causes cannot free c
     * under us; the connection goes below, once the receive is known to be over. */
    if (cqe->flags & IORING_CQE_F_BUFFER) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        if (cqe->res > 0)
            rs_conn_received(c, w->bufs + (size_t)bid * w->buf_size, (size_t)cqe->res);
        recycle(w, bid);
    }
    if (!more)
        c->recv_armed = false;
    if (c->closing) {
        rs_conn_maybe_free(c);
        return;
    }
    if (cqe->res == -ENOBUFS) { /* every buffer in use: retry once some come back */
        if (!c->needs_rearm) {
            c->needs_rearm = true;
            c->rearm_next = w->rearm;
            w->rearm = c;
        }
        return;
    }
    if (cqe->res <= 0) { /* EOF or error */
        rs_conn_close(c, RS_RESULT_ABORTED);
        return;
    }
    if (!more && !c->recv_armed)
        rs_worker_arm_recv(c);
}

static void dispatch(struct rs_worker *w, struct io_uring_cqe *cqe)
{
    uintptr_t ud = (uintptr_t)io_uring_cqe_get_data64(cqe);
    void *ptr = (void *)(ud & ~OP_MASK);
    switch (ud & OP_MASK) {
    case OP_ACCEPT:
        on_accept(ptr, cqe);
        break;
    case OP_RECV:
        on_recv(ptr, cqe);
        break;
    case OP_SEND:
        rs_conn_sent(ptr, cqe->res);
        break;
    case OP_LOG:
        free(ptr);
        w->log_inflight--;
        break;
    case OP_CLOSE:
        w->slots_used--;
        break;
    case OP_SHUTDOWN:
        rs_conn_shutdown_done(ptr);
        break;
    default: /* OP_IGNORED: e.g. a cancelled receive reports on its own */
        break;
    }
}

static void rearm_starved(struct rs_worker *w)
{
    struct rs_conn *c = w->rearm;
    w->rearm = NULL;
    while (c != NULL) {
        struct rs_conn *next = c->rearm_next;
        c->needs_rearm = false;
        if (!c->closing && !c->recv_armed)
            rs_worker_arm_recv(c);
        c = next;
    }
}

static void start_drain(struct rs_worker *w)
{
    w->draining = true;
    w->drain_deadline_ms = w->now_ms + w->srv->cfg.drain_timeout_ms;
    for (unsigned i = 0; i < w->n_listeners; i++) {
        if (w->listeners[i].fd >= 0) {
            cancel_accepts(&w->listeners[i]);
            /* New clients are refused by the kernel from now on (once the last worker's
             * socket of this port is gone) instead of waiting in a backlog nobody reads. */
            close(w->listeners[i].fd);
            w->listeners[i].fd = -1;
        }
    }
    /* Idle connections go now; those in a handshake or a request get drain-timeout. */
    for (struct rs_conn *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (!c->closing && !c->hs.active && !c->send_armed && c->in_len == 0)
            rs_conn_close(c, RS_RESULT_ABORTED);
    }
}

/* Log lines go out as io_uring writes to stderr (a heap copy per line, freed on completion). */
static bool log_sink(void *arg, const char *line, size_t len)
{
    struct rs_worker *w = arg;
    char *copy = malloc(len);
    struct io_uring_sqe *sqe = copy ? get_sqe(w) : NULL;
    if (sqe == NULL) {
        free(copy);
        return false;
    }
    memcpy(copy, line, len);
    io_uring_prep_write(sqe, STDERR_FILENO, copy, (unsigned)len, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, (uintptr_t)copy | OP_LOG);
    w->log_inflight++;
    return true;
}

/* At exit: the last log lines reach stderr before the ring goes. */
static void flush_logs(struct rs_worker *w)
{
    rs_log_set_thread_sink(NULL, NULL);
    while (w->log_inflight > 0) {
        struct io_uring_cqe *cqe;
        if (io_uring_submit_and_wait(&w->ring, 1) < 0 || io_uring_peek_cqe(&w->ring, &cqe) != 0)
            break;
        dispatch(w, cqe);
        io_uring_cqe_seen(&w->ring, cqe);
    }
}

static void *run(void *arg)
{
    struct rs_worker *w = arg;
    rs_log_set_thread_sink(log_sink, w);
    /* krb5.conf is read now, before the ring serves anyone, not on the first accept. */
    SECURITY_STATUS prepared = rs_creds_prepare_thread(&w->srv->creds);
    if (prepared != SEC_E_OK)
        rs_log(RS_LOG_WARN, "prepare_failed", "worker=%u status=0x%08x reason=\"%s\"", w->index,
               (unsigned)prepared, rs_status_reason(prepared));
    atomic_fetch_add(&w->srv->workers_prepared, 1);
    w->now_ms = mono_ms();
    rs_wheel_init(&w->wheel, w->now_ms);
    for (;;) {
        if (!w->draining && atomic_load(&w->srv->draining))
            start_drain(w);
        /* Done once every connection is gone and every accept has reported its cancellation:
         * an accept still armed keeps the listening socket open (and taking clients). */
        bool drained = w->n_conns == 0 && w->accepts_armed == 0;
        if (w->draining && (drained || w->now_ms >= w->drain_deadline_ms)) {
            io_uring_submit(&w->ring); /* the closes just queued */
            break;
        }
        if (!w->draining)
            for (unsigned i = 0; i < w->n_listeners; i++)
                arm_accepts(&w->listeners[i]);
        rearm_starved(w);
        struct __kernel_timespec ts = {0, RS_WHEEL_TICK_MS * 1000000LL};
        struct io_uring_cqe *cqe;
        int rc = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
        if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
            rs_log(RS_LOG_ERROR, "ring_failed", "worker=%u errno=%d action=shutdown", w->index,
                   -rc);
            atomic_store(&w->srv->draining, true);
            kill(getpid(), SIGTERM); /* wakes the main thread's signal loop */
            break;
        }
        w->now_ms = mono_ms();
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&w->ring, head, cqe)
        {
            dispatch(w, cqe);
            seen++;
        }
        io_uring_cq_advance(&w->ring, seen);
        rs_wheel_advance(&w->wheel, w->now_ms, rs_conn_expired, w);
    }
    flush_logs(w);
    return NULL;
}

static int make_listener(struct rs_worker *w, const struct rs_listener_config *lc,
                         struct sockaddr_storage *addr, socklen_t addr_len, char *err,
                         size_t errlen)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)addr, addr_len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", lc->text, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Port 0: the first worker's kernel-chosen port is shared by the others (SO_REUSEPORT). */
static int open_listeners(struct rs_server *srv, struct rs_worker *w, char *err, size_t errlen)
{
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++) {
        struct rs_listener_config *lc = &srv->cfg.listeners[i];
        struct rs_listener *l = &w->listeners[i];
        *l = (struct rs_listener){.cfg = lc, .w = w, .fd = -1};
        for (unsigned a = 0; a < RS_ACCEPTS_PER_LISTENER; a++)
            l->accepts[a].l = l;
        if (lc->mode == RS_MODE_RAW)
            rs_raw_refusal(&l->refusal);
        else
            rs_http_refusal(&l->refusal);
        w->n_listeners++;
        l->fd = make_listener(w, lc, &lc->addr, lc->addr_len, err, errlen);
        if (l->fd < 0)
            return -1;
        struct sockaddr_storage bound;
        socklen_t bl = sizeof(bound);
        if (getsockname(l->fd, (struct sockaddr *)&bound, &bl) == 0) {
            if (bound.ss_family == AF_INET)
                ((struct sockaddr_in *)&lc->addr)->sin_port =
                    ((struct sockaddr_in *)&bound)->sin_port;
            else
                ((struct sockaddr_in6 *)&lc->addr)->sin6_port =
                    ((struct sockaddr_in6 *)&bound)->sin6_port;
        }
        if (w->index == 0)
            rs_listener_name(lc, lc->text, sizeof(lc->text)); /* with the port actually bound */
    }
    return 0;
}

static int ring_init(struct rs_worker *w, char *err, size_t errlen)
{
    struct io_uring_params p = {0};
    /* Not SINGLE_ISSUER: the ring is made here on the main thread (so start-up errors are
     * reported before anything runs) and used by the worker thread. */
    p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    unsigned entries = w->srv->cfg.ring_entries;
    int rc = io_uring_queue_init_params(entries, &w->ring, &p);
    if (rc == -EINVAL) { /* an older kernel without those flags */
        memset(&p, 0, sizeof(p));
        rc = io_uring_queue_init_params(entries, &w->ring, &p);
    }
    if (rc == 0)
        return 0;
    w->ring.ring_fd = -1;
    if (rc == -EPERM || rc == -ENOSYS || rc == -EACCES)
        snprintf(err, errlen,
                 "io_uring is not available (%s). Check the sysctl kernel.io_uring_disabled "
                 "(0 enables it: sysctl -w kernel.io_uring_disabled=0; 2 disables it for "
                 "everyone, 1 for processes outside kernel.io_uring_group) and any seccomp "
                 "filter of the container runtime (Docker's default profile blocks io_uring_setup: "
                 "run with a profile that allows io_uring_setup, io_uring_enter and "
                 "io_uring_register). ringserver needs io_uring and cannot fall back.",
                 strerror(-rc));
    else if (rc == -ENOMEM)
        snprintf(err, errlen,
                 "io_uring_queue_init(%u) failed: %s (locked memory limit? raise ulimit -l or "
                 "lower --ring-entries)",
                 entries, strerror(-rc));
    else
        snprintf(err, errlen, "io_uring_queue_init(%u) failed: %s", entries, strerror(-rc));
    return -1;
}

/* One slot per connection this worker may hold, plus one per armed accept; the kernel caps a
 * table at RLIMIT_NOFILE entries (raised to the hard limit at start). */
static int slots_init(struct rs_worker *w, char *err, size_t errlen)
{
    const struct rs_config *cfg = &w->srv->cfg;
    struct rlimit rl;
    unsigned long want = (unsigned long)cfg->max_connections +
                         (unsigned long)cfg->n_listeners * RS_ACCEPTS_PER_LISTENER;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
        want = rl.rlim_cur;
    w->nslots = (unsigned)want;
    int rc = io_uring_register_files_sparse(&w->ring, w->nslots);
    if (rc != 0) {
        snprintf(err, errlen,
                 "io_uring_register_files_sparse(%u) failed: %s (kernel 5.19+ needed; the "
                 "descriptor limit, ulimit -n, bounds each worker's connections)",
                 w->nslots, strerror(-rc));
        return -1;
    }
    return 0;
}

static int buffers_init(struct rs_worker *w, char *err, size_t errlen)
{
    w->nbufs = w->srv->cfg.recv_buffers;
    w->buf_size = w->srv->cfg.recv_buffer_size;
    size_t ring_bytes = (size_t)w->nbufs * sizeof(struct io_uring_buf);
    void *mem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    w->bufs = malloc((size_t)w->nbufs * w->buf_size);
    if (mem == MAP_FAILED || w->bufs == NULL) {
        if (mem != MAP_FAILED)
            munmap(mem, ring_bytes);
        snprintf(err, errlen, "cannot allocate receive buffers");
        return -1;
    }
    w->br = mem;
    struct io_uring_buf_reg reg = {
        .ring_addr = (uintptr_t)mem, .ring_entries = w->nbufs, .bgid = BUF_GROUP};
    int rc = io_uring_register_buf_ring(&w->ring, &reg, 0);
    if (rc != 0) {
        snprintf(err, errlen, "io_uring_register_buf_ring failed: %s (kernel 5.19+ needed)",
                 strerror(-rc));
        return -1;
    }
    io_uring_buf_ring_init(w->br);
    for (unsigned i = 0; i < w->nbufs; i++)
        io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * w->buf_size, w->buf_size,
                              (unsigned short)i, io_uring_buf_ring_mask(w->nbufs), (int)i);
    io_uring_buf_ring_advance(w->br, (int)w->nbufs);
    return 0;
}

int rs_worker_create(struct rs_server *srv, unsigned index, struct rs_worker **out, char *err,
                     size_t errlen)
{
    struct rs_worker *w = aligned_alloc(64, (sizeof(*w) + 63) / 64 * 64);
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(w, 0, sizeof(*w));
    w->srv = srv;
    w->index = index;
    w->ring.ring_fd = -1;
    *out = w;
    if (ring_init(w, err, errlen) != 0)
        return -1;
    if (slots_init(w, err, errlen) != 0 || buffers_init(w, err, errlen) != 0)
        return -1;
    w->token = malloc(srv->cfg.max_token_bytes);
    w->answer = malloc(RS_ANSWER_MAX);
    if (w->token == NULL || w->answer == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return open_listeners(srv, w, err, errlen);
}

int rs_worker_start(struct rs_worker *w)
{
    return pthread_create(&w->thread, NULL, run, w);
}

void rs_worker_join(struct rs_worker *w)
{
    pthread_join(w->thread, NULL);
}

void rs_worker_destroy(struct rs_worker *w)
{
    if (w == NULL)
        return;
    for (unsigned i = 0; i < w->n_listeners; i++) {
        if (w->listeners[i].fd >= 0)
            close(w->listeners[i].fd);
        rs_out_free(&w->listeners[i].refusal);
    }
    if (w->ring.ring_fd >= 0) {
        io_uring_queue_exit(&w->ring); /* ends every operation still in the kernel */
        w->ring.ring_fd = -1;
    }
    while (w->conns != NULL)
        rs_conn_destroy(w->conns);
    if (w->br != NULL)
        munmap(w->br, (size_t)w->nbufs * sizeof(struct io_uring_buf));
    free(w->bufs);
    free(w->token);
    free(w->answer);
    free(w);
}
