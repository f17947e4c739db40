/* What a listener speaks, as a table of operations (nginx's ls->handler): each listener gets its
 * protocol once, at start, from its configured mode (listener.c), and the connection code calls
 * through the table without knowing which protocol it is. */
#ifndef RINGSERVER_PROTOCOL_H
#define RINGSERVER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rs_conn;
struct rs_out;

struct rs_protocol {
    /* Handles at most one request (or frame) at the start of `data`: returns the bytes it used
     * (0: incomplete, wait for more) and leaves an answer in c->out sent with rs_conn_send, or
     * closes the connection. */
    size_t (*consume)(struct rs_conn *c, const uint8_t *data, size_t len);
    /* Writes the answer to a connection refused at accept (over max-connections, or no memory
     * for its state). Made once per listener at start, so refusing allocates nothing. */
    void (*refusal)(struct rs_out *o);
    /* Writes into c->out the refusal of a login the farm's replay check turned down after its
     * answer was built (shared_state.h): a replay, or, with `unavailable`, no store to ask
     * under fail-closed. The connection closes after it. */
    void (*refuse_held)(struct rs_conn *c, bool unavailable);
};

#endif
