/* One client connection and the worker that owns it (engine.c drives the I/O, handshake.c the
 * protocol on top). A connection carries one handshake at a time; with keep-alive the next one
 * reuses it. Only its worker thread touches it. */
#ifndef NEGRING_LOADGEN_CONN_H
#define NEGRING_LOADGEN_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "http_response.h"
#include "schedule.h"
#include "stats.h"
#include "tls.h"
#include "tokens.h"

enum lg_conn_state {
    LG_CONN_IDLE,       /* no handshake (between two, or finished) */
    LG_CONN_CONNECTING, /* non-blocking connect in progress */
    LG_CONN_TLS,        /* https: the TLS handshake in progress */
    LG_CONN_SENDING,    /* part of a request still to write */
    LG_CONN_RECEIVING,  /* request sent, waiting for the answer */
    LG_CONN_HOLDING,    /* --hold: between two legs, until the run releases it */
    LG_CONN_FINISHED,   /* nothing more to start */
};

struct lg_conn {
    int fd;               /* -1: not connected */
    SSL *ssl;             /* https: the connection's TLS, NULL before and after */
    SSL_SESSION *session; /* --tls-resume: the last session of this connection slot */
    enum lg_conn_state state;
    bool challenge_pending; /* --challenge: the current request carries no token */
    unsigned legs;          /* answers with a token so far in this handshake */
    unsigned answers_on_fd; /* complete answers received on this connection */
    bool retried;           /* this handshake was already resent once (lg_conn_closed) */
    bool hold_counted;      /* --hold: counted in run->held (held once, failed, or never ran) */
    bool parked;            /* --rate: idle until its next scheduled start (open_loop.h) */
    uint64_t t0_ns;         /* latency runs from here: the first byte, or the scheduled start */
    uint64_t deadline_ns;
    struct lg_token *tok; /* the handshake's token and context: a pool entry or &live */
    struct lg_token live;
    uint8_t *out; /* unsent rest of a request (only after a partial write) */
    size_t out_len, out_off;
    uint8_t *in; /* received bytes not yet consumed */
    size_t in_len, in_cap;
    bool head_done; /* HTTP: the current response's head is parsed */
    struct lg_http_head head;
    uint64_t body_left;
    struct lg_chunked chunked;
    uint8_t *server_token; /* the decoded token of the current answer */
    size_t server_token_len;
};

struct lg_worker {
    struct lg_run *run;
    const struct lg_options *o;
    int epfd;
    struct lg_conn *conns;
    unsigned nconns;
    unsigned active;      /* connections not yet FINISHED */
    unsigned holding;     /* connections in LG_CONN_HOLDING */
    uint64_t budget;      /* count mode: this worker's share of -n */
    uint64_t started;     /* handshakes it began */
    unsigned next_source; /* --source-ips: the address of its next connection */
    struct lg_stats stats;
    pthread_t tid;
    char *scratch; /* request building */
    size_t scratch_cap;

    /* --rate (open_loop.h): this worker's share of the schedule, and its idle connections
     * waiting for a start to fall due */
    struct lg_schedule schedule;
    struct lg_conn **parked;
    unsigned nparked;
};

/* engine.c, for handshake.c and open_loop.c */
/* Begins the next handshake on an idle c, or retires c when the run is over for it. */
void lg_conn_start(struct lg_worker *w, struct lg_conn *c);
void lg_conn_send(struct lg_worker *w, struct lg_conn *c, const void *buf, size_t n);
void lg_conn_fail(struct lg_worker *w, struct lg_conn *c, enum lg_failure why);
void lg_conn_succeed(struct lg_worker *w, struct lg_conn *c, bool keep_alive);
/* Closes the connection and opens a new one for the same handshake (the server closed it
 * between two legs that need no connection affinity, e.g. after a --challenge 401). */
void lg_conn_reconnect(struct lg_worker *w, struct lg_conn *c);
/* Sends the handshake's next leg, or with --hold parks c first (its first handshake only). */
void lg_conn_next_leg(struct lg_worker *w, struct lg_conn *c);
/* The server closed or reset the connection before answering the current request. */
void lg_conn_closed(struct lg_worker *w, struct lg_conn *c);

/* handshake.c */
void lg_hs_send_leg(struct lg_worker *w, struct lg_conn *c);
/* Consumes c->in; calls back into engine.c when an answer completes the handshake or fails. */
void lg_hs_input(struct lg_worker *w, struct lg_conn *c);
/* The server closed its side while c was receiving. */
void lg_hs_eof(struct lg_worker *w, struct lg_conn *c);
void lg_hs_reset(struct lg_conn *c);

#endif
