/* Queuing io_uring submissions (see submit.h).
 *
 * Accepted sockets live only in the ring's table of direct descriptors: no process descriptor,
 * no fd-table lock, and accept, receive, send, shutdown and close are all ring operations. */
#include "submit.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
void rs_submit_accepts(struct rs_listener *l)
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
        io_uring_sqe_set_data64(sqe, (uintptr_t)a | RS_OP_ACCEPT);
        a->armed = true;
        w->accepts_armed++;
    }
}

void rs_submit_cancel_accepts(struct rs_listener *l)
{
    for (unsigned i = 0; i < RS_ACCEPTS_PER_LISTENER; i++) {
        struct io_uring_sqe *sqe = l->accepts[i].armed ? get_sqe(l->w) : NULL;
        if (sqe != NULL) {
            io_uring_prep_cancel64(sqe, (uintptr_t)&l->accepts[i] | RS_OP_ACCEPT, 0);
            io_uring_sqe_set_data64(sqe, RS_OP_IGNORED);
        }
    }
}

/* The slot is free again once the close completes (RS_OP_CLOSE). Without a ring (worker exit)
 * there is nothing to do: the ring's end released every slot. */
void rs_submit_close(struct rs_worker *w, unsigned slot)
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
    io_uring_sqe_set_data64(sqe, RS_OP_CLOSE);
}

bool rs_submit_recv(struct rs_conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL)
        return false;
    io_uring_prep_recv_multishot(sqe, (int)c->slot, NULL, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = RS_BUF_GROUP;
    io_uring_sqe_set_data64(sqe, (uintptr_t)c | RS_OP_RECV);
    c->recv_armed = true;
    return true;
}

bool rs_submit_send(struct rs_conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL)
        return false;
    io_uring_prep_send(sqe, (int)c->slot, c->sending->data + c->out_off,
                       c->sending->len - c->out_off, MSG_NOSIGNAL);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, (uintptr_t)c | RS_OP_SEND);
    c->send_armed = true;
    return true;
}

void rs_submit_cancel_recv(struct rs_conn *c)
{
    uint64_t recv = (uintptr_t)c | RS_OP_RECV;
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL) { /* no room in the queue: the same, synchronously */
        struct io_uring_sync_cancel_reg reg = {.addr = recv, .timeout = {-1, -1}};
        io_uring_register_sync_cancel(&c->w->ring, &reg);
        return;
    }
    io_uring_prep_cancel64(sqe, recv, 0);
    io_uring_sqe_set_data64(sqe, RS_OP_IGNORED);
}

/* The kernel runs a shutdown on a worker thread and may look its slot up only there, so the
 * slot stays the connection's (not closed, not reused) until the shutdown reports back. */
void rs_submit_shutdown(struct rs_conn *c)
{
    struct io_uring_sqe *sqe = get_sqe(c->w);
    if (sqe == NULL)
        return; /* the close that follows ends the connection all the same */
    io_uring_prep_shutdown(sqe, (int)c->slot, SHUT_WR);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, (uintptr_t)c | RS_OP_SHUTDOWN);
    c->shutdown_armed = true;
}

/* The send is queued before the close and holds the socket until it is done; on a fresh socket
 * it completes at once. A TLS client would read plaintext as a broken record: it is only
 * closed. */
void rs_submit_refusal(struct rs_listener *l, unsigned slot)
{
    struct io_uring_sqe *sqe = l->refusal.failed || l->cfg->tls ? NULL : get_sqe(l->w);
    if (sqe != NULL) {
        io_uring_prep_send(sqe, (int)slot, l->refusal.data, l->refusal.len, MSG_NOSIGNAL);
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, RS_OP_IGNORED);
    }
    rs_submit_close(l->w, slot);
}

bool rs_submit_store_connect(struct rs_worker *w, int fd, const struct sockaddr *addr,
                             socklen_t addr_len, void *op)
{
    struct io_uring_sqe *sqe = get_sqe(w);
    if (sqe == NULL)
        return false;
    io_uring_prep_connect(sqe, fd, addr, addr_len);
    io_uring_sqe_set_data64(sqe, (uintptr_t)op | RS_OP_STORE);
    return true;
}

bool rs_submit_store_send(struct rs_worker *w, int fd, const void *data, size_t len, void *op)
{
    struct io_uring_sqe *sqe = get_sqe(w);
    if (sqe == NULL)
        return false;
    io_uring_prep_send(sqe, fd, data, len, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, (uintptr_t)op | RS_OP_STORE);
    return true;
}

bool rs_submit_store_recv(struct rs_worker *w, int fd, void *buf, size_t len, void *op)
{
    struct io_uring_sqe *sqe = get_sqe(w);
    if (sqe == NULL)
        return false;
    io_uring_prep_recv(sqe, fd, buf, len, 0);
    io_uring_sqe_set_data64(sqe, (uintptr_t)op | RS_OP_STORE);
    return true;
}

void rs_submit_store_cancel(struct rs_worker *w, void *op)
{
    struct io_uring_sqe *sqe = get_sqe(w);
    if (sqe == NULL) { /* no room in the queue: the same, synchronously */
        struct io_uring_sync_cancel_reg reg = {.addr = (uintptr_t)op | RS_OP_STORE,
                                               .timeout = {-1, -1}};
        io_uring_register_sync_cancel(&w->ring, &reg);
        return;
    }
    io_uring_prep_cancel64(sqe, (uintptr_t)op | RS_OP_STORE, 0);
    io_uring_sqe_set_data64(sqe, RS_OP_IGNORED);
}

/* A heap copy per line, freed on completion (RS_OP_LOG), so a slow log reader (a full pipe)
 * never blocks the ring thread. */
bool rs_submit_log(void *arg, const char *line, size_t len)
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
    io_uring_sqe_set_data64(sqe, (uintptr_t)copy | RS_OP_LOG);
    w->log_inflight++;
    return true;
}
