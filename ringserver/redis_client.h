/* A worker's connection to Redis, on the worker's own io_uring: connect, send and receive are
 * ring operations, so nothing here blocks the ring thread. Commands are pipelined: whatever a
 * turn of the event loop queued goes out in one send (rs_redis_flush), and replies are matched
 * to requests in the order they were sent (RESP2 answers in order on one connection).
 *
 * Every request has a deadline (shared-store-timeout from when it was queued); the connection
 * must be made within the same time. A connection that fails (refused, closed, a reply late,
 * malformed, oversized or unasked-for, an error reply such as NOAUTH or READONLY) fails every
 * request waiting on it and is made again after a backoff: 100 ms, doubling to 2 s, plus 10 ms
 * per worker index so a farm's workers do not reconnect in step. While there is no connection
 * a request is refused at once, so a caller applies its policy without waiting.
 *
 * A request's callback runs exactly once: with the reply (its strings valid during the call
 * only), or with none when the request failed, unless the waiter called rs_redis_forget
 * first. A callback may queue new requests; it must not free the client.
 *
 * Why our own client rather than hiredis: hiredis' async API expects an event library that
 * owns the socket (its adapters read and write with read(2)/write(2) on readiness); driving it
 * from io_uring completions means feeding it bytes through its reader and taking bytes from its
 * output buffer, i.e. using only its RESP codec, which is the small part (resp.c, bounded,
 * unit-tested and fuzzed, zero-copy). The client needs a few commands and RESP2 only.
 *
 * Single-threaded: one per worker, used by that worker's thread only (its metrics are the
 * worker's atomics, which /metrics reads from any worker). */
#ifndef RINGSERVER_REDIS_CLIENT_H
#define RINGSERVER_REDIS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "metrics.h"
#include "resp.h"

struct rs_worker;
struct rs_redis;

enum rs_redis_outcome {
    RS_REDIS_REPLY,       /* the store answered (never with an error reply: those fail) */
    RS_REDIS_UNAVAILABLE, /* no answer: no connection, a deadline, a failure */
};

typedef void (*rs_redis_done_fn)(void *arg, enum rs_redis_outcome outcome,
                                 const struct rs_resp_value *reply);

/* A client for the worker's store (cfg->shared_store_addr); it connects on its first tick.
 * NULL: out of memory. The worker owns it. */
struct rs_redis *rs_redis_new(struct rs_worker *w);
/* After the worker's ring is gone (nothing of the client is in flight any more). */
void rs_redis_free(struct rs_redis *r);

/* Queues one command; returns its ticket, or 0 when it could not be queued (no connection, too
 * many waiting, no memory): the callback will not run, the caller decides now. */
uint64_t rs_redis_send(struct rs_redis *r, enum rs_store_command_label what, unsigned argc,
                       const struct rs_slice *argv, rs_redis_done_fn done, void *arg);
/* The waiter of `ticket` is gone: its callback will not run (the command may still execute). */
void rs_redis_forget(struct rs_redis *r, uint64_t ticket);

/* Each turn of the worker's loop: connects when the backoff is over, enforces deadlines. */
void rs_redis_tick(struct rs_redis *r, uint64_t now_ms);
/* Before the worker waits: sends what this turn queued. */
void rs_redis_flush(struct rs_redis *r);
/* A completion of one of the client's operations (submit.h RS_OP_STORE; `op` its slot). */
void rs_redis_complete(void *op, int res);
/* The connection is made and not failed since. */
bool rs_redis_up(const struct rs_redis *r);

#endif
