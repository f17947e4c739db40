/* Queuing a worker's io_uring submissions: accepts, receives, sends, cancels, shutdowns, closes
 * of direct descriptors and log writes. Nothing here waits or reads a completion: the event loop
 * (worker.c) submits the whole queue with its next wait (submissions are batched) and hands each
 * completion on by the operation its user_data names.
 *
 * user_data of every SQE is a pointer with the operation in its low 3 bits. A full submission
 * queue is flushed (never waiting) and the helper retries once. */
#ifndef RINGSERVER_SUBMIT_H
#define RINGSERVER_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* RS_OP_IGNORED: a cancel or a refusal send, whose completion needs nothing. RS_OP_STORE: an
 * operation of the shared store's connection (redis_client.c), whose user_data points at the
 * operation's slot (never NULL). */
enum rs_op {
    RS_OP_STORE = 0,
    RS_OP_ACCEPT = 1,
    RS_OP_RECV = 2,
    RS_OP_SEND = 3,
    RS_OP_IGNORED = 4,
    RS_OP_LOG = 5,
    RS_OP_CLOSE = 6,
    RS_OP_SHUTDOWN = 7
};
#define RS_OP_MASK   ((uintptr_t)7)
#define RS_BUF_GROUP 0 /* the worker's ring of provided receive buffers */

/* Arms every accept of the listener that has a free table slot waiting for it. */
void rs_submit_accepts(struct rs_listener *l);
void rs_submit_cancel_accepts(struct rs_listener *l);
/* A multishot receive into the worker's provided buffers; sets c->recv_armed. false: no room in
 * the queue, nothing armed (the caller closes the connection). */
bool rs_submit_recv(struct rs_conn *c);
/* Sends what is left of c->sending from c->out_off; sets c->send_armed. false: no room in the
 * queue, nothing armed (the caller closes the connection). */
bool rs_submit_send(struct rs_conn *c);
void rs_submit_cancel_recv(struct rs_conn *c);
/* FIN after the answer already queued; sets c->shutdown_armed. */
void rs_submit_shutdown(struct rs_conn *c);
/* Closes a direct descriptor (an accepted socket); called once nothing is in flight on it. */
void rs_submit_close(struct rs_worker *w, unsigned slot);
/* The listener's ready-made refusal on a just-accepted socket (not on TLS listeners), then its
 * close. */
void rs_submit_refusal(struct rs_listener *l, unsigned slot);
/* The shared store's connection (redis_client.c) is an ordinary blocking socket, not a direct
 * descriptor (io_uring waits on it, the thread never does); `op` is the operation's slot,
 * handed back with the completion. false: no room in the queue, nothing queued. */
bool rs_submit_store_connect(struct rs_worker *w, int fd, const struct sockaddr *addr,
                             socklen_t addr_len, void *op);
bool rs_submit_store_send(struct rs_worker *w, int fd, const void *data, size_t len, void *op);
bool rs_submit_store_recv(struct rs_worker *w, int fd, void *buf, size_t len, void *op);
/* Cancels the store operation whose slot is `op` (its completion still comes, -ECANCELED). */
void rs_submit_store_cancel(struct rs_worker *w, void *op);
/* A log sink (log.h) for the worker `arg`: the line goes out as an io_uring write to stderr. */
bool rs_submit_log(void *arg, const char *line, size_t len);

#endif
