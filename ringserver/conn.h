/* Connection lifecycle on a worker: creation after accept, input buffering (an idle
 * connection holds no buffer), sending an answer, deadlines, and closing — a handshake
 * pending on a closing connection is deleted at once. */
#ifndef RINGSERVER_CONN_H
#define RINGSERVER_CONN_H

#include "auth.h"
#include "server.h"

/* `slot`: the accepted socket's direct descriptor; `peer`: its address, for logs. */
struct rs_conn *rs_conn_new(struct rs_worker *w, struct rs_listener *lis, unsigned slot,
                            const struct sockaddr *peer, socklen_t peer_len);
/* Feeds received bytes (from a provided buffer, which the caller recycles afterwards). */
void rs_conn_received(struct rs_conn *c, const uint8_t *data, size_t len);
/* The answer in c->out is complete: send it (and close afterwards if close_after_send). */
void rs_conn_send(struct rs_conn *c);
/* A send finished (res bytes or -errno). */
void rs_conn_sent(struct rs_conn *c, int res);
/* Starts closing: deletes any pending handshake, cancels the receive; the memory goes once the
 * kernel has returned every operation. `why` is for the pending-handshake metric. */
void rs_conn_close(struct rs_conn *c, enum rs_result_label why);
/* Frees the connection if closing and no operation is in flight. */
void rs_conn_maybe_free(struct rs_conn *c);
/* The shutdown rs_submit_shutdown queued has finished. */
void rs_conn_shutdown_done(struct rs_conn *c);
/* Recomputes the connection's deadline after a state change. */
void rs_conn_schedule(struct rs_conn *c);
/* The wheel fired for this connection. */
void rs_conn_expired(struct rs_timer *t, void *arg);
/* Runs one authentication leg (rs_auth_leg) for the connection's handshake, keeping the
 * server-wide pending-handshake count. false: the leg would leave more handshakes pending than
 * max-pending allows, so the handshake was dropped, counted and logged, and the caller answers
 * with its protocol's refusal. */
bool rs_conn_auth_leg(struct rs_conn *c, enum rs_package pkg, const char *scheme,
                      const uint8_t *tok, size_t len, struct rs_leg *leg);
/* Immediately frees everything (worker exit after the ring is gone). */
void rs_conn_destroy(struct rs_conn *c);

#endif
