/* The load: worker threads, each with its own epoll loop and share of the connections, driving
 * handshakes until the count or the duration is reached. */
#ifndef NEGRING_LOADGEN_ENGINE_H
#define NEGRING_LOADGEN_ENGINE_H

#include <netdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "stats.h"
#include "tls.h"
#include "tokens.h"

struct lg_run {
    const struct lg_options *o;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct lg_tls tls; /* https:// only */
    struct lg_auth auth;
    struct lg_pool pool; /* pool mode only */
    _Atomic bool stop;   /* duration over or pool spent: begin no more */
    _Atomic bool pool_exhausted;
    /* --hold: connections that reached their first hold point, failed or finished before it;
     * once it equals -c, release_ns is set (0 until then) and the held legs go out then. */
    _Atomic unsigned held;
    _Atomic unsigned holding; /* handshakes parked right now */
    _Atomic uint64_t release_ns;
    double held_at_s;      /* when all were held, from the start of the timed phase (0: never) */
    unsigned held_pending; /* handshakes parked at that moment */
    uint64_t t_start_ns, t_end_ns; /* the timed phase */
    double cpu_s;                  /* this process's CPU time (user + system) during it */
    unsigned nworkers;
    struct lg_worker **workers;
};

uint64_t lg_now_ns(void);

/* Runs the timed phase: starts the workers, prints progress on a TTY, joins them. */
bool lg_engine_run(struct lg_run *run);
/* The merged counters of all workers (after lg_engine_run). */
void lg_engine_totals(const struct lg_run *run, struct lg_stats *out);
void lg_engine_free(struct lg_run *run);

#endif
