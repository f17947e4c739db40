/* negring-load: drives Negotiate (Kerberos/NTLM) handshakes against an HTTP server or
 * ringserver's raw protocol and reports handshakes/s, failures by reason and latency
 * percentiles. See docs/benchmarks.md ("HTTP handshakes") and `negring-load --help`. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ccache.h"
#include "engine.h"
#include "population.h"
#include "report.h"
#include "server_cpu.h"

/* Each connection is a descriptor; keep room for the rest of the process (krb5 files,
 * epoll sets). Root may go past the hard limit, up to fs.nr_open. */
static bool raise_fd_limit(unsigned connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)connections + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    if (rl.rlim_cur >= want)
        return true;
    rl.rlim_cur = want;
    if (rl.rlim_max < want)
        rl.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        return true;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    fprintf(stderr, "negring-load: only %llu descriptors allowed for %u connections\n",
            (unsigned long long)rl.rlim_cur, connections);
    return false;
}

static bool resolve(struct lg_run *run)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(run->o->host, run->o->port, &hints, &res);
    if (rc != 0 || res == NULL) {
        fprintf(stderr, "negring-load: cannot resolve %s:%s: %s\n", run->o->host, run->o->port,
                gai_strerror(rc));
        return false;
    }
    memcpy(&run->addr, res->ai_addr, res->ai_addrlen);
    run->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&run->addr;
    if (run->o->source_ips > 0 &&
        (run->addr.ss_family != AF_INET || (ntohl(v4->sin_addr.s_addr) >> 24) != 127)) {
        fprintf(stderr, "negring-load: --source-ips needs an IPv4 loopback target (127.0.0.0/8)\n");
        return false;
    }
    return true;
}

/* --users: shows the server each user's ticket once, untimed, before the timed phase (the warm
 * pool, population.h), closed loop on the run's connections. False, with a message, when any
 * of those handshakes failed: its user's repeats would not be repeats. */
static bool warm_up(const struct lg_run *run, struct lg_run *warm, struct lg_stats *totals)
{
    static struct lg_options o;
    o = *run->o;
    o.handshakes = warm->pool.size;
    o.duration_s = 0;
    o.rate = 0;
    o.hold_s = 0;
    o.quiet = true;
    warm->o = &o;
    memcpy(&warm->addr, &run->addr, sizeof(run->addr));
    warm->addr_len = run->addr_len;
    warm->auth = run->auth; /* a copy: freed with run */
    bool ran = lg_engine_run(warm);
    if (ran)
        lg_engine_totals(warm, totals);
    lg_engine_free(warm);
    lg_pool_free(&warm->pool);
    if (ran && totals->failed == 0)
        return true;
    fprintf(stderr, "negring-load: warm-up (each user's ticket once): %llu of %llu failed\n",
            (unsigned long long)totals->failed, (unsigned long long)o.handshakes);
    return false;
}

/* --users: the users signed in, the warm-up done, the timed phase's pool made. */
static bool prepare_population(struct lg_run *run, struct lg_population *pop, struct lg_run *warm,
                               struct lg_stats *warm_totals)
{
    const struct lg_options *o = run->o;
    return lg_population_sign_in(pop, o, &run->auth, &warm->pool) &&
           warm_up(run, warm, warm_totals) &&
           lg_population_make_pool(pop, &run->pool, o->pool_size);
}

int main(int argc, char **argv)
{
    static struct lg_options o;
    if (!lg_options_parse(argc, argv, &o))
        return 2;
    static struct lg_run run;
    run.o = &o;
    if (!raise_fd_limit(o.connections) || !resolve(&run))
        return 2;
    if (o.mech == LG_MECH_KERBEROS && o.users == 0 && !lg_ccache_to_memory())
        return 2;
    if (o.tls &&
        (!lg_tls_init(&run.tls, &o) ||
         (o.channel_bindings &&
          !lg_tls_probe_bindings(&run.tls, &o, (struct sockaddr *)&run.addr, run.addr_len))))
        return 2;
    if (!lg_auth_init(&run.auth, &o))
        return 2;
    if (run.tls.bindings.len > 0) {
        run.auth.bindings = run.tls.bindings.buf;
        run.auth.bindings_len = run.tls.bindings.len;
    }
    double pool_seconds = 0;
    static struct lg_population pop;
    static struct lg_run warm;
    static struct lg_stats warm_totals;
    if (o.users > 0) {
        if (!prepare_population(&run, &pop, &warm, &warm_totals))
            return 2;
        pool_seconds = pop.pool_s;
    } else if (o.tokens == LG_TOKENS_POOL) {
        uint64_t t0 = lg_now_ns();
        /* Without --verify nothing continues a pool token: drop its context at once. */
        if (!lg_pool_make(&run.pool, &run.auth, o.pool_size, o.pool_threads, o.verify,
                          !o.quiet && isatty(STDERR_FILENO)))
            return 2;
        pool_seconds = (double)(lg_now_ns() - t0) / 1e9;
    }
    double server_cpu[2] = {0, 0};
    if (o.server_pid && !lg_server_cpu_s(o.server_pid, &server_cpu[0])) {
        fprintf(stderr, "negring-load: no process %d to measure (--server-pid)\n", o.server_pid);
        return 2;
    }
    if (!lg_engine_run(&run))
        return 2;
    if (o.server_pid && !lg_server_cpu_s(o.server_pid, &server_cpu[1]))
        fprintf(stderr, "negring-load: process %d is gone (--server-pid)\n", o.server_pid);
    static struct lg_stats totals;
    lg_engine_totals(&run, &totals);
    struct lg_report r = {
        .run = &run,
        .totals = &totals,
        .pool_seconds = pool_seconds,
        .url = argv[argc - 1],
        .server_cpu_s = server_cpu[1] - server_cpu[0],
    };
    if (o.users > 0) {
        r.population = &pop;
        r.warm_up = &warm;
        r.warm_totals = &warm_totals;
    }
    if (o.json)
        lg_report_json(stdout, &r);
    else
        lg_report_text(stdout, &r);
    if (run.pool_exhausted)
        fprintf(stderr, "negring-load: the token pool ran out before the end (--pool)\n");
    lg_engine_free(&run);
    lg_pool_free(&run.pool);
    lg_population_free(&pop);
    lg_auth_free(&run.auth);
    lg_tls_free(&run.tls);
    return totals.failed == 0 && totals.ok > 0 ? 0 : 1;
}
