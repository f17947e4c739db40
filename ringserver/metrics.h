/* Prometheus counters. Each worker owns one struct rs_metrics and is its only writer (relaxed
 * atomic adds, no shared cache line between workers); the /metrics answer sums all of them. */
#ifndef RINGSERVER_METRICS_H
#define RINGSERVER_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"

enum rs_mech_label { RS_MECH_KERBEROS, RS_MECH_NTLM, RS_MECH_UNKNOWN, RS_MECH_COUNT };
enum rs_result_label {
    RS_RESULT_OK,
    RS_RESULT_DENIED,  /* the library refused the credentials */
    RS_RESULT_INVALID, /* malformed token */
    RS_RESULT_TIMEOUT, /* no next leg in time */
    RS_RESULT_ABORTED, /* client closed mid-handshake */
    RS_RESULT_REFUSED, /* over max-pending */
    RS_RESULT_ERROR,   /* server-side failure */
    RS_RESULT_COUNT
};
enum rs_refusal_label {
    RS_REFUSE_CONNECTIONS, /* over max-connections */
    RS_REFUSE_PENDING,     /* over max-pending */
    RS_REFUSE_MEMORY,      /* no memory for a new connection */
    RS_REFUSE_COUNT
};
enum rs_timeout_label {
    RS_TIMEOUT_HEADER,
    RS_TIMEOUT_LEG,
    RS_TIMEOUT_HANDSHAKE,
    RS_TIMEOUT_IDLE,
    RS_TIMEOUT_SEND,
    RS_TIMEOUT_COUNT
};

/* PROXY protocol v2 headers (proxy_protocol.h), by what became of them. */
enum rs_proxy_label {
    RS_PROXY_LABEL_CLIENT,     /* a client's address, now the connection's peer */
    RS_PROXY_LABEL_LOCAL,      /* the balancer's own connection (a health check) */
    RS_PROXY_LABEL_MALFORMED,  /* refused on a proxy-protocol listener */
    RS_PROXY_LABEL_UNEXPECTED, /* refused on a listener without proxy-protocol */
    RS_PROXY_LABEL_COUNT
};

/* The shared store (redis_client.c, shared_state.c). */
enum rs_store_command_label {
    RS_STORE_CMD_CLAIM, /* SET replay-key 1 NX PX: one per Kerberos login */
    RS_STORE_CMD_AUTH,  /* AUTH, once per connection with shared-store-password-file */
    RS_STORE_CMD_COUNT
};
enum rs_store_failure_label {
    RS_STORE_FAIL_CONNECT,  /* could not connect (refused, unreachable) */
    RS_STORE_FAIL_TIMEOUT,  /* no connection or no reply within shared-store-timeout */
    RS_STORE_FAIL_CLOSED,   /* the store closed the connection, or a send or receive failed */
    RS_STORE_FAIL_PROTOCOL, /* a reply that is not RESP2 as expected, too large, or unasked */
    RS_STORE_FAIL_ERROR,    /* an error reply (NOAUTH, READONLY, OOM, ...) */
    RS_STORE_FAIL_FULL,     /* too many requests waiting, no memory, no room in the ring */
    RS_STORE_FAIL_COUNT
};
enum rs_claim_label {
    RS_CLAIM_LABEL_FRESH,      /* first acceptance anywhere in the farm */
    RS_CLAIM_LABEL_REPLAY,     /* accepted before by another node: refused */
    RS_CLAIM_LABEL_REFUSED,    /* store unavailable, fail-closed: refused (503) */
    RS_CLAIM_LABEL_LOCAL_ONLY, /* store unavailable, local-only: accepted on this node's word */
    RS_CLAIM_LABEL_NO_KEY,     /* no authenticator found in the token: refused */
    RS_CLAIM_LABEL_COUNT
};

#define RS_LATENCY_BUCKETS 16
#define RS_FAILURE_REASONS 20 /* NEGRING_REASON_* values counted; more land in the last */

struct rs_metrics {
    _Atomic uint64_t handshakes[RS_MECH_COUNT][RS_RESULT_COUNT];
    _Atomic uint64_t auth_failures[RS_MECH_COUNT][RS_FAILURE_REASONS]; /* by NEGRING_REASON_* */
    _Atomic uint64_t latency_bucket[RS_LATENCY_BUCKETS]; /* cumulative at render time */
    _Atomic uint64_t latency_count, latency_sum_us;
    _Atomic uint64_t accepted, refusals[RS_REFUSE_COUNT], timeouts[RS_TIMEOUT_COUNT];
    _Atomic uint64_t http_status[6]; /* by class: index 1..5 */
    _Atomic uint64_t bad_requests, result_cache_hits, cookie_logins, raw_frames;
    _Atomic uint64_t connection_logins; /* requests answered by a connection-bound login */
    _Atomic uint64_t tls_handshakes[2]; /* [0] full, [1] resumed */
    _Atomic uint64_t tls_failures;      /* handshakes or records refused */
    _Atomic uint64_t proxy_headers[RS_PROXY_LABEL_COUNT];
    _Atomic uint64_t store_commands[RS_STORE_CMD_COUNT], store_failures[RS_STORE_FAIL_COUNT];
    _Atomic uint64_t store_bytes_out, store_bytes_in;
    _Atomic uint64_t claims[RS_CLAIM_LABEL_COUNT];
} __attribute__((aligned(64)));

struct rs_gauges {
    long connections, pending, workers;
    uint64_t reloads_ok, reloads_failed;
    bool draining; /* SIGTERM seen: /healthz fails (drain-grace), then the listeners close */
    bool store_configured;
    long store_up;           /* workers whose store connection is up */
    long shared_revocations; /* the farm's revocations in the current snapshot */
};

static inline void rs_count(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void rs_metrics_handshake(struct rs_metrics *m, enum rs_mech_label mech,
                          enum rs_result_label result, uint64_t latency_us);
void rs_metrics_auth_failure(struct rs_metrics *m, enum rs_mech_label mech, unsigned long reason);
void rs_metrics_render(struct rs_out *o, struct rs_metrics *const *workers, unsigned n,
                       const struct rs_gauges *g);
enum rs_mech_label rs_mech_label_of(const char *package_name);

#endif
