/* A worker's listening sockets, one per configured listener (SO_REUSEPORT: every worker has its
 * own, and the kernel spreads connections with no shared accept lock), each with the protocol it
 * speaks and its ready-made refusal. */
#ifndef RINGSERVER_LISTENER_H
#define RINGSERVER_LISTENER_H

#include <stddef.h>

#include "server.h"

/* Opens the worker's listeners (a port 0 takes the port the first worker got; worker 0 writes
 * the bound address into the configuration's text). 0, or -1 with a message; the listeners
 * opened so far are left for rs_listeners_free. */
int rs_listeners_open(struct rs_worker *w, char *err, size_t errlen);
/* Closes the sockets still open and frees the refusals. */
void rs_listeners_free(struct rs_worker *w);

#endif
