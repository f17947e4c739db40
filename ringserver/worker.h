/* A worker: one thread, one io_uring, its own SO_REUSEPORT listener sockets, a ring of
 * provided receive buffers, and the connections it accepted. Submissions are batched: the
 * helpers below only queue SQEs; the loop submits them all with its next wait. */
#ifndef RINGSERVER_WORKER_H
#define RINGSERVER_WORKER_H

#include <stddef.h>

#include "server.h"

/* Sets up the ring, its table of direct descriptors, buffers and listener sockets of worker `index`
 * (listeners whose port is 0 take the port the first worker got). 0, or -1 with a message (naming
 * the cause and the fix when io_uring itself is unavailable). */
int rs_worker_create(struct rs_server *srv, unsigned index, struct rs_worker **out, char *err,
                     size_t errlen);
int rs_worker_start(struct rs_worker *w);
void rs_worker_join(struct rs_worker *w);
void rs_worker_destroy(struct rs_worker *w);

void rs_worker_arm_recv(struct rs_conn *c);
void rs_worker_arm_send(struct rs_conn *c);
void rs_worker_cancel_recv(struct rs_conn *c);
/* FIN after the answer already queued. */
void rs_worker_shutdown_send(struct rs_conn *c);
/* Closes the connection's socket (its direct descriptor); called once nothing is in flight. */
void rs_worker_close_conn_slot(struct rs_conn *c);

#endif
