/* negring-load: drives Negotiate (Kerberos/NTLM) handshakes against an HTTP server or
 * ringserver's raw protocol and reports handshakes/s, failures by reason and latency
 * percentiles. See docs/benchmarks.md ("HTTP handshakes") and `negring-load --help`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ccache.h"
#include "engine.h"
#include "report.h"

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
    return true;
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
    if (o.mech == LG_MECH_KERBEROS && !lg_ccache_to_memory())
        return 2;
    if (o.tls &&
        (!lg_tls_init(&run.tls, &o) ||
         (o.channel_bindings &&
          !lg_tls_probe_bindings(&run.tls, &o, (struct sockaddr *)&run.addr, run.addr_len))))
        return 2;
    if (!lg_auth_init(&run.auth, &o))
        return 2;
    if (run.tls.bindings_len > 0) {
        run.auth.bindings = run.tls.bindings;
        run.auth.bindings_len = run.tls.bindings_len;
    }
    double pool_seconds = 0;
    if (o.tokens == LG_TOKENS_POOL) {
        uint64_t t0 = lg_now_ns();
        /* Without --verify nothing continues a pool token: drop its context at once. */
        if (!lg_pool_make(&run.pool, &run.auth, o.pool_size, o.pool_threads, o.verify,
                          !o.quiet && isatty(STDERR_FILENO)))
            return 2;
        pool_seconds = (double)(lg_now_ns() - t0) / 1e9;
    }
    if (!lg_engine_run(&run))
        return 2;
    static struct lg_stats totals;
    lg_engine_totals(&run, &totals);
    struct lg_report r = {&run, &totals, pool_seconds, argv[argc - 1]};
    if (o.json)
        lg_report_json(stdout, &r);
    else
        lg_report_text(stdout, &r);
    if (run.pool_exhausted)
        fprintf(stderr, "negring-load: the token pool ran out before the end (--pool)\n");
    lg_engine_free(&run);
    lg_pool_free(&run.pool);
    lg_auth_free(&run.auth);
    lg_tls_free(&run.tls);
    return totals.failed == 0 && totals.ok > 0 ? 0 : 1;
}
