/* ringserver: authenticates clients with Negotiate (Kerberos, NTLM) over HTTP (RFC 4559), as
 * an nginx auth_request backend, and over a raw token protocol, on io_uring workers.
 *
 * Threads: the main thread owns start-up, signals and key reloads (blocking file I/O stays off
 * the ring threads); each worker runs one io_uring loop. See docs/ringserver.md. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "sec_status.h"
#include "server.h"
#include "service_notify.h"
#include "worker.h"

#ifdef RS_WITH_JEMALLOC
#define ALLOCATOR "jemalloc"
#else
#define ALLOCATOR "libc"
#endif

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int check_listeners(struct rs_server *srv, char *err, size_t errlen)
{
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++)
        if (srv->cfg.listeners[i].mechs == RS_MECHS_NTLM && !srv->creds.has_ntlm) {
            snprintf(err, errlen,
                     "listener %s wants mechs=ntlm but libnegring has no NTLM "
                     "package (or its credentials could not be acquired)",
                     srv->cfg.listeners[i].text);
            return -1;
        }
    return 0;
}

/* Rings first: without io_uring nothing else matters, and its message says how to fix it. */
static int start(struct rs_server *srv, char *err, size_t errlen)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    srv->n_workers = srv->cfg.workers ? srv->cfg.workers : (unsigned)(cpus > 0 ? cpus : 1);
    srv->workers = calloc(srv->n_workers, sizeof(*srv->workers));
    if (srv->workers == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < srv->n_workers; i++)
        if (rs_worker_create(srv, i, &srv->workers[i], err, errlen) != 0)
            return -1;
    if (rs_creds_acquire(&srv->creds, &srv->cfg, err, errlen) != 0)
        return -1;
    if (check_listeners(srv, err, errlen) != 0)
        return -1;
    if (srv->cfg.cookie_key_file[0] &&
        rs_cookie_key_load(&srv->cookie, srv->cfg.cookie_key_file, err, errlen) != 0)
        return -1;
    srv->cache = rs_result_cache_create(srv->cfg.result_cache_entries, srv->cfg.result_cache_ttl_s);
    return 0;
}

static void announce(const struct rs_server *srv)
{
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++) {
        const char *a = srv->cfg.listeners[i].text;
        rs_log(RS_LOG_INFO, "listening",
               "address=%s mode=%s mechs=%s workers=%u ntlm=%s allocator=" ALLOCATOR, a,
               rs_mode_name(srv->cfg.listeners[i].mode), rs_mechs_name(srv->cfg.listeners[i].mechs),
               srv->n_workers, srv->creds.has_ntlm ? "yes" : "no");
    }
}

/* A failed part keeps its old keys; the other part still takes its new ones. */
static void reload(struct rs_server *srv)
{
    SECURITY_STATUS s = rs_creds_reload(&srv->creds);
    char err[512] = "";
    bool cookie_ok =
        srv->cfg.cookie_key_file[0] == '\0' ||
        rs_cookie_key_load(&srv->cookie, srv->cfg.cookie_key_file, err, sizeof(err)) == 0;
    if (s == SEC_E_OK && cookie_ok) {
        atomic_fetch_add(&srv->reloads_ok, 1);
        rs_log(RS_LOG_INFO, "reload", "result=ok");
        return;
    }
    atomic_fetch_add(&srv->reloads_failed, 1);
    if (s != SEC_E_OK)
        rs_log(RS_LOG_ERROR, "reload", "result=failed status=0x%08x reason=\"%s\" keys=unchanged",
               (unsigned)s, rs_status_reason(s));
    if (!cookie_ok) {
        char q[sizeof(err) + 64];
        rs_log_quote(q, sizeof(q), err);
        rs_log(RS_LOG_ERROR, "reload", "result=failed reason=%s cookie_key=unchanged", q);
    }
}

/* Signals arrive here only (blocked in every worker): SIGHUP reloads, SIGTERM/SIGINT drain. */
static void signal_loop(struct rs_server *srv, const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            rs_notify_reloading();
            reload(srv);
            rs_notify("READY=1");
            continue;
        }
        rs_notify("STOPPING=1");
        rs_log(RS_LOG_INFO, "draining", "signal=%d timeout_ms=%u", sig, srv->cfg.drain_timeout_ms);
        atomic_store(&srv->draining, true);
        return;
    }
}

static void teardown(struct rs_server *srv)
{
    for (unsigned i = 0; srv->workers != NULL && i < srv->n_workers; i++)
        rs_worker_destroy(srv->workers[i]);
    free(srv->workers);
    rs_result_cache_free(srv->cache);
    rs_cookie_key_wipe(&srv->cookie);
    rs_creds_free(&srv->creds);
}

int main(int argc, char **argv)
{
    static struct rs_server srv;
    char err[768];
    int rc = rs_config_load(&srv.cfg, argc, argv, err, sizeof(err));
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "ringserver: %s\n", err);
        return rc < 0 ? 2 : 0;
    }
    bool check_only = false;
    for (int i = 1; i < argc; i++)
        check_only = check_only || strcmp(argv[i], "--check") == 0;

    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by the workers */
    raise_fd_limit();

    if (start(&srv, err, sizeof(err)) != 0) {
        char q[sizeof(err) + 64];
        fprintf(stderr, "ringserver: %s\n", err);
        rs_log_quote(q, sizeof(q), err);
        rs_log(RS_LOG_ERROR, "startup_failed", "reason=%s", q);
        teardown(&srv);
        return 1;
    }
    if (check_only) {
        printf("ringserver: configuration OK (%u listeners, %u workers)\n", srv.cfg.n_listeners,
               srv.n_workers);
        teardown(&srv);
        return 0;
    }
    for (unsigned i = 0; i < srv.n_workers; i++)
        if (rs_worker_start(srv.workers[i]) != 0) {
            fprintf(stderr, "ringserver: cannot start worker thread %u\n", i);
            atomic_store(&srv.draining, true);
            for (unsigned j = 0; j < i; j++)
                rs_worker_join(srv.workers[j]);
            teardown(&srv);
            return 1;
        }
    /* "listening" means every worker is ready: its Kerberos state made, krb5.conf read. */
    while (atomic_load(&srv.workers_prepared) < srv.n_workers)
        usleep(1000);
    announce(&srv);
    rs_notify("READY=1\nSTATUS=listening");
    signal_loop(&srv, &set);
    for (unsigned i = 0; i < srv.n_workers; i++)
        rs_worker_join(srv.workers[i]);
    rs_log(RS_LOG_INFO, "stopped", "connections_left=%ld", atomic_load(&srv.connections));
    teardown(&srv);
    return 0;
}
