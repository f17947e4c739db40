/* Worker event loop on liburing (see worker.h).
 *
 * Every completion is dispatched by the operation its user_data names (submit.h). Receives are
 * multishot with buffer selection from the worker's buffer ring, so a connection waiting for
 * its client holds no receive buffer; each buffer goes back to the ring as soon as its bytes
 * were parsed (or copied, for a request still incomplete). */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "listener.h"
#include "log.h"
#include "redis_client.h"
#include "sec_status.h"
#include "shared_state.h"
#include "submit.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void recycle(struct rs_worker *w, unsigned bid)
{
    io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * w->buf_size, w->buf_size,
                          (unsigned short)bid, io_uring_buf_ring_mask(w->nbufs), 0);
    io_uring_buf_ring_advance(w->br, 1);
}

/* Over max-connections or out of memory: the listener's ready-made short answer, then close,
 * so the client sees why. */
static void refuse(struct rs_listener *l, unsigned slot, enum rs_refusal_label why)
{
    rs_submit_refusal(l, slot);
    rs_count(&l->w->metrics.refusals[why]);
}

/* A receive that cannot be queued ends the connection. */
static void arm_recv(struct rs_conn *c)
{
    if (!rs_submit_recv(c))
        rs_conn_close(c, RS_RESULT_ERROR);
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
        rs_submit_close(w, slot);
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
    arm_recv(c);
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
        arm_recv(c);
}

static void dispatch(struct rs_worker *w, struct io_uring_cqe *cqe)
{
    uintptr_t ud = (uintptr_t)io_uring_cqe_get_data64(cqe);
    void *ptr = (void *)(ud & ~RS_OP_MASK);
    switch (ud & RS_OP_MASK) {
    case RS_OP_STORE:
        if (ptr != NULL)
            rs_redis_complete(ptr, cqe->res);
        break;
    case RS_OP_ACCEPT:
        on_accept(ptr, cqe);
        break;
    case RS_OP_RECV:
        on_recv(ptr, cqe);
        break;
    case RS_OP_SEND:
        rs_conn_sent(ptr, cqe->res);
        break;
    case RS_OP_LOG:
        free(ptr);
        w->log_inflight--;
        break;
    case RS_OP_CLOSE:
        w->slots_used--;
        break;
    case RS_OP_SHUTDOWN:
        rs_conn_shutdown_done(ptr);
        break;
    default: /* RS_OP_IGNORED: e.g. a cancelled receive reports on its own */
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
            arm_recv(c);
        c = next;
    }
}

static void start_drain(struct rs_worker *w)
{
    w->draining = true;
    w->drain_deadline_ms = w->now_ms + w->srv->cfg.drain_timeout_ms;
    for (unsigned i = 0; i < w->n_listeners; i++) {
        if (w->listeners[i].fd >= 0) {
            rs_submit_cancel_accepts(&w->listeners[i]);
            /* New clients are refused by the kernel from now on (once the last worker's
             * socket of this port is gone) instead of waiting in a backlog nobody reads. */
            close(w->listeners[i].fd);
            w->listeners[i].fd = -1;
        }
    }
    /* Idle connections go now; those in a handshake or a request get drain-timeout. */
    for (struct rs_conn *c = w->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (!c->closing && !c->hs.active && !c->send_armed && !rs_shared_held(c) && c->in_len == 0)
            rs_conn_close(c, RS_RESULT_ABORTED);
    }
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
    if (w->srv->log_via_rings)
        rs_log_set_thread_sink(rs_submit_log, w);
    /* krb5.conf is read now, before the ring serves anyone, not on the first accept. */
    SECURITY_STATUS prepared = rs_creds_prepare_thread(&w->srv->creds);
    if (prepared != SEC_E_OK)
        rs_log(RS_LOG_WARN, "prepare_failed", "worker=%u status=0x%08x reason=\"%s\"", w->index,
               (unsigned)prepared, rs_status_reason(prepared));
    atomic_fetch_add(&w->srv->workers_prepared, 1);
    w->now_ms = mono_ms();
    rs_wheel_init(&w->wheel, w->now_ms);
    for (;;) {
        /* Nothing read from a replaced revocation snapshot survives a turn (server.h). */
        atomic_store(&w->seen_epoch, atomic_load(&w->srv->epoch));
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
                rs_submit_accepts(&w->listeners[i]);
        rearm_starved(w);
        if (w->redis != NULL) {
            rs_redis_tick(w->redis, w->now_ms);
            rs_redis_flush(w->redis);
        }
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
    atomic_store(&w->seen_epoch, UINT64_MAX);
    flush_logs(w);
    return NULL;
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
        .ring_addr = (uintptr_t)mem, .ring_entries = w->nbufs, .bgid = RS_BUF_GROUP};
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
    w->plain = malloc(RS_TLS_RECORD_MAX);
    if (w->token == NULL || w->answer == NULL || w->plain == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (srv->cfg.shared_store[0] != '\0' && (w->redis = rs_redis_new(w)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return rs_listeners_open(w, err, errlen);
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
    rs_listeners_free(w);
    if (w->ring.ring_fd >= 0) {
        io_uring_queue_exit(&w->ring); /* ends every operation still in the kernel */
        w->ring.ring_fd = -1;
    }
    while (w->conns != NULL)
        rs_conn_destroy(w->conns);
    rs_redis_free(w->redis);
    if (w->br != NULL)
        munmap(w->br, (size_t)w->nbufs * sizeof(struct io_uring_buf));
    free(w->bufs);
    free(w->token);
    free(w->answer);
    free(w->plain);
    free(w);
}
