/* What one worker thread counts; merged by report.c at the end. The two atomics are read by
 * the progress line while the run goes on; everything else only after the workers stopped. */
#ifndef NEGRING_LOADGEN_STATS_H
#define NEGRING_LOADGEN_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "class_stats.h"
#include "histogram.h"

enum lg_failure {
    LG_FAIL_CONNECT,      /* connect() refused, unreachable or out of ports */
    LG_FAIL_TIMEOUT,      /* the handshake passed its deadline */
    LG_FAIL_CLOSED,       /* the server closed or reset the connection mid-handshake */
    LG_FAIL_PROTOCOL,     /* a malformed HTTP response or raw frame */
    LG_FAIL_HTTP_STATUS,  /* a status other than 200/401 */
    LG_FAIL_REJECTED,     /* 401 ending the handshake (no token, or an error token) */
    LG_FAIL_NO_CHALLENGE, /* --challenge: the first 401 did not offer our scheme */
    LG_FAIL_BAD_TOKEN,    /* the server's token did not decode or verify (mutual auth, MIC) */
    LG_FAIL_CLIENT_TOKEN, /* our own initiator could not make the next token */
    LG_FAIL_TLS,          /* https: the TLS handshake failed */
    LG_FAIL_COUNT
};

extern const char *const lg_failure_names[LG_FAIL_COUNT];

struct lg_stats {
    _Atomic uint64_t ok;
    _Atomic uint64_t failed;
    uint64_t fail[LG_FAIL_COUNT];
    uint64_t status[6];             /* failing HTTP statuses by class: [1] = 1xx ... [5] = 5xx */
    uint64_t requests;              /* HTTP requests (or raw token frames) sent */
    uint64_t connects;              /* TCP connections opened */
    uint64_t server_tokens;         /* final answers that carried a token (mutual auth) */
    uint64_t verified;              /* of those, verified by our initiator (--verify / live) */
    uint64_t abandoned;             /* in flight when a -d run ended (not counted either way) */
    uint64_t retries;               /* requests resent after a keep-alive connection was closed */
    uint64_t tls_full, tls_resumed; /* TLS handshakes done, resumed sessions apart */
    uint64_t last_done_ns;          /* when the last handshake succeeded (lg_now_ns) */
    struct lg_histogram latency_ns;
    struct lg_class_stats classes[LG_CLASS_COUNT]; /* the same handshakes, by class */
    /* --rate: how far behind its schedule each handshake began, the starts that fell due but
     * had not begun when a -d run ended, and the starts more than LG_LATE_NS behind */
    struct lg_histogram start_lag_ns;
    uint64_t overdue;
    uint64_t late_starts;
};

/* A start this far behind its schedule counts as late. */
#define LG_LATE_NS 1000000u

#endif
