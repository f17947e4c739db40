/* A worker: one thread, one io_uring, its own SO_REUSEPORT listener sockets (listener.h), a ring
 * of provided receive buffers, and the connections it accepted. Its event loop submits what
 * submit.h queued with its next wait and hands each completion to the connection or listener it
 * belongs to. */
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

#endif
