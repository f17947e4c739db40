/* The daemon's shared state (struct rs_server), its workers (one thread and one io_uring each)
 * and their connections. Ownership: main owns the server; each worker owns its ring, its
 * receive buffers, its listener sockets and its connections, and is the only thread touching
 * them. Cross-worker state is atomics (counts, drain flag), the shared SSPI credentials, the
 * sharded result cache, the secrets (sequence locks) and the revocation snapshot (epochs). */
#ifndef RINGSERVER_SERVER_H
#define RINGSERVER_SERVER_H

#include <liburing.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "metrics.h"
#include "protocol.h"
#include "result_cache.h"
#include "revocation.h"
#include "secret.h"
#include "shared_revocations.h"
#include "shared_state.h"
#include "timer_wheel.h"
#include "tls_context.h"
#include "tls_session.h"

struct rs_server {
    struct rs_config cfg;
    struct rs_creds creds;
    struct rs_result_cache *cache;
    struct rs_secret cookie_key, frontend_secret;
    /* Replaced by SIGHUP; a worker reads it within one turn of its loop only. The main thread
     * frees a replaced snapshot once every worker's `seen_epoch` has reached the epoch it bumped
     * after the swap (worker.c: each stores the epoch at the top of its loop). */
    _Atomic(struct rs_revocation *) revocation;
    _Atomic uint64_t epoch;
    /* Per TLS listener (by its index in cfg.listeners), replaced by SIGHUP under the same epochs:
     * the main thread's reference goes once every worker has turned its loop; a connection's
     * SSL holds its own. */
    _Atomic(SSL_CTX *) tls_ctx[RS_MAX_LISTENERS];
    struct rs_ticket_keys tickets;
    struct rs_worker **workers;
    unsigned n_workers;
    _Atomic long connections, pending;
    _Atomic bool draining;
    _Atomic bool health_failing;     /* SIGTERM seen: /healthz answers 503 (set before draining) */
    _Atomic long store_up;           /* workers whose shared store connection is up */
    struct rs_secret store_password; /* shared-store-password-file; empty: no AUTH */
    struct rs_shared_revocations shared_revoked; /* main thread only: the farm's, last read */
    _Atomic long shared_revocations;             /* their count, for /metrics */
    _Atomic uint64_t reloads_ok, reloads_failed;
    _Atomic unsigned workers_prepared; /* workers past their thread preparation (worker.c) */
    bool log_via_rings;                /* rs_log_stderr_takes_ring_writes(), at start */
};

/* Accepts kept in flight per listener and worker: each has its own address buffer, which the
 * kernel fills with the client's address (a multishot accept would share one). */
#define RS_ACCEPTS_PER_LISTENER 32

struct rs_accept {
    struct rs_listener *l;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool armed;
};

struct rs_listener {
    const struct rs_listener_config *cfg;
    const struct rs_protocol *proto; /* what it speaks, from cfg->mode (listener.c) */
    struct rs_worker *w;
    int fd;
    struct rs_out refusal; /* the answer to a connection refused at accept (proto->refusal) */
    struct rs_accept accepts[RS_ACCEPTS_PER_LISTENER];
};

/* What a connection's first bytes must be, before its protocol (or TLS) sees any. */
enum rs_preamble {
    RS_PREAMBLE_PROXY_HEADER, /* proxy-protocol listener: a PROXY v2 header, buffered in `in` */
    RS_PREAMBLE_NO_PROXY,     /* any other listener: no PROXY header (refused if one comes) */
    RS_PREAMBLE_DONE,
};

/* The client a connection logged in as, kept until it closes or sends a new Authorization. */
struct rs_bound_login {
    char user[256];
    char package[32];
    char user_sid[96], primary_group_sid[96]; /* sid-headers; the group SIDs are not kept */
};

struct rs_conn {
    struct rs_worker *w;
    struct rs_listener *lis;
    struct rs_conn *prev, *next; /* the worker's list of live connections */
    unsigned slot; /* the socket: an index in the worker's table of io_uring direct descriptors */
    bool recv_armed, send_armed, shutdown_armed, cancel_sent, closing, close_after_send;
    bool needs_rearm;
    bool consuming; /* inside conn.c's consume loop: not freed until it returns */
    uint8_t *in;    /* bytes received and not yet consumed; NULL when there are none */
    size_t in_len, in_cap;
    struct rs_out out;            /* the response being built or sent; freed once sent */
    const struct rs_out *sending; /* &out, or the listener's refusal when out could not be built;
                                   * on TLS connections &wire */
    struct rs_tls_session *tls;   /* TLS listeners: the record layer; NULL on plain ones */
    struct rs_out wire;           /* TLS: the ciphertext being sent */
    size_t out_off;
    struct rs_handshake hs;
    struct rs_bound_login *bound; /* a login kept on this connection (conn-login), or NULL */
    struct rs_timer timer;
    enum rs_timeout_label timer_kind;
    uint64_t opened_ms, partial_since_ms, last_leg_ms, send_since_ms;
    bool served; /* answered at least one request or frame */
    /* The protocol's progress over the pending input, so a trickled request is not searched
     * again from its start on every read. */
    size_t parse_scanned; /* bytes of the pending request already searched */
    size_t parse_need;    /* whole size of a request whose head is parsed, 0: unknown */
    struct rs_conn *rearm_next;
    uint64_t serial; /* unique per worker: with the worker index, names this connection */
    enum rs_preamble preamble;
    struct rs_conn_claim claim; /* the farm's replay check of its login (shared_state.h) */
    char peer[64];              /* "addr:port" of the client (the PROXY header's on proxy-protocol
                                 * listeners), for logs */
};

struct rs_worker {
    struct rs_server *srv;
    struct rs_redis *redis; /* the shared store's client (redis_client.h), NULL without one */
    unsigned index;
    _Atomic uint64_t seen_epoch; /* srv->epoch at the top of the last turn; UINT64_MAX: ended */
    pthread_t thread;
    struct io_uring ring;
    /* Accepted sockets are io_uring direct descriptors, not process file descriptors: the
     * descriptor limit (RLIMIT_NOFILE) bounds each worker's table, not the whole process. */
    unsigned nslots, slots_used, accepts_armed;
    struct io_uring_buf_ring *br;
    uint8_t *bufs;
    unsigned nbufs, buf_size;
    struct rs_listener listeners[RS_MAX_LISTENERS];
    unsigned n_listeners;
    struct rs_metrics metrics;
    struct rs_wheel wheel;
    struct rs_conn *conns; /* live connections (closing ones included) */
    unsigned n_conns;
    struct rs_conn *rearm; /* connections whose receive ran out of buffers */
    uint8_t *token;        /* decoded client token, cfg.max_token_bytes */
    uint8_t *answer;       /* AcceptSecurityContext output, RS_ANSWER_MAX */
    uint8_t *plain;        /* TLS: one record's plaintext, RS_TLS_RECORD_MAX */
    uint64_t now_ms;
    unsigned log_inflight; /* log lines queued as io_uring writes */
    uint64_t conn_serial;  /* last connection serial handed out */
    uint64_t accept_warned_ms;
    bool draining;
    uint64_t drain_deadline_ms;
};

#define RS_ANSWER_MAX 65536

#endif
