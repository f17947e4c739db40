/* ringserver: authenticates clients with Negotiate (Kerberos, NTLM) over HTTP (RFC 4559), as
 * an nginx auth_request backend, and over a raw token protocol, on io_uring workers.
 *
 * Threads: the main thread owns start-up, signals and key reloads (blocking file I/O stays off
 * the ring threads); each worker runs one io_uring loop. See docs/ringserver.md. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "sec_status.h"
#include "server.h"
#include "service_notify.h"
#include "shared_revocations.h"
#include "session_cookie.h"
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

/* An auth_request listener answers "who is this?" and, for an authenticated front-end, keys
 * its result cache on the client the front-end names: reachable by anyone, it would hand a
 * captured token's answer to whoever names the victim's connection. */
static int check_frontend(const struct rs_config *cfg, const struct rs_listener_config *l,
                          char *err, size_t errlen)
{
    if (l->mode != RS_MODE_AUTH_REQUEST || rs_listener_is_loopback(l) ||
        cfg->frontend_secret_file[0] || (l->tls && l->client_ca[0]))
        return 0;
    snprintf(err, errlen,
             "listener %s: mode=auth_request off loopback needs the front-end to authenticate "
             "itself: set frontend-secret-file (nginx sends it in %s, docs/ringserver.md), or "
             "tls with client-ca=FILE, or listen on 127.0.0.1",
             l->text, cfg->frontend_secret_header);
    return -1;
}

static int check_listeners(struct rs_server *srv, char *err, size_t errlen)
{
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++) {
        const struct rs_listener_config *l = &srv->cfg.listeners[i];
        if (l->mechs == RS_MECHS_NTLM && !srv->creds.has_ntlm) {
            snprintf(err, errlen,
                     "listener %s wants mechs=ntlm but libnegring has no NTLM "
                     "package (or its credentials could not be acquired)",
                     l->text);
            return -1;
        }
        if (check_frontend(&srv->cfg, l, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Tokens and cookies in clear on a network anyone may watch can be captured and replayed (and
 * NTLM relayed): allowed, but said. */
static void warn_plain(const struct rs_config *cfg)
{
    for (unsigned i = 0; i < cfg->n_listeners; i++) {
        const struct rs_listener_config *l = &cfg->listeners[i];
        if (l->mode != RS_MODE_RAW && !l->tls && !rs_listener_is_loopback(l))
            rs_log(RS_LOG_WARN, "plain_http",
                   "listener=%s mode=%s reason=\"plain HTTP off "
                   "loopback: tokens and cookies can be captured; use TLS\"",
                   l->text, rs_mode_name(l->mode));
    }
}

/* Every TLS listener's context, into ctx[] (NULL for the others). */
static int load_tls(struct rs_server *srv, SSL_CTX *ctx[RS_MAX_LISTENERS], char *err, size_t errlen)
{
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++) {
        const struct rs_listener_config *l = &srv->cfg.listeners[i];
        ctx[i] = l->tls ? rs_tls_context_new(&srv->cfg, l, &srv->tickets, err, errlen) : NULL;
        if (l->tls && ctx[i] == NULL) {
            while (i-- > 0)
                SSL_CTX_free(ctx[i]);
            return -1;
        }
    }
    return 0;
}

static void tls_start(struct rs_server *srv)
{
    char why[160];
    bool ktls = rs_tls_ktls_available(why, sizeof(why));
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++)
        if (srv->cfg.listeners[i].tls)
            rs_log(RS_LOG_INFO, "tls",
                   "listener=%s bindings=%s client_ca=%s record_layer=userspace "
                   "ktls=%s reason=\"%s%s\"",
                   srv->cfg.listeners[i].text, rs_bindings_name(srv->cfg.listeners[i].bindings),
                   srv->cfg.listeners[i].client_ca[0] ? "yes" : "no",
                   ktls ? "unused" : "unavailable", why,
                   ktls ? "; ringserver's kernel record layer is not implemented" : "");
}

/* The secrets and the revocation snapshot, at start and on SIGHUP. */
static int load_cookie_key(struct rs_server *srv, char *err, size_t errlen)
{
    return srv->cfg.cookie_key_file[0] == '\0'
               ? 0
               : rs_secret_load(&srv->cookie_key, srv->cfg.cookie_key_file, RS_COOKIE_KEY_MIN,
                                RS_SECRET_BYTES, err, errlen);
}

static int load_frontend_secret(struct rs_server *srv, char *err, size_t errlen)
{
    return srv->cfg.frontend_secret_file[0] == '\0'
               ? 0
               : rs_secret_load(&srv->frontend_secret, srv->cfg.frontend_secret_file, 16,
                                RS_SECRET_TEXT, err, errlen);
}

/* The shared store's AUTH password: printable, without blanks, as redis.conf's requirepass. */
static int load_store_password(struct rs_server *srv, char *err, size_t errlen)
{
    return srv->cfg.shared_store_password_file[0] == '\0'
               ? 0
               : rs_secret_load(&srv->store_password, srv->cfg.shared_store_password_file, 1,
                                RS_SECRET_TEXT, err, errlen);
}

/* The CPUs this process may run on (its affinity: a container's cpuset, taskset, systemd's
 * CPUAffinity=), which are fewer than the machine's when it is given a share of them. */
static unsigned allowed_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (unsigned)cpus : 1;
}

/* Rings first: without io_uring nothing else matters, and its message says how to fix it. */
static int start(struct rs_server *srv, char *err, size_t errlen)
{
    srv->n_workers = srv->cfg.workers ? srv->cfg.workers : allowed_cpus();
    srv->log_via_rings = rs_log_stderr_takes_ring_writes();
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
    struct rs_revocation *r = NULL;
    SSL_CTX *ctx[RS_MAX_LISTENERS];
    if (load_cookie_key(srv, err, errlen) != 0 || load_frontend_secret(srv, err, errlen) != 0 ||
        load_store_password(srv, err, errlen) != 0 || rs_ticket_keys_rotate(&srv->tickets) != 0 ||
        load_tls(srv, ctx, err, errlen) != 0)
        return -1;
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++)
        atomic_store(&srv->tls_ctx[i], ctx[i]);
    if (rs_revocation_load(&srv->cfg, &r, err, errlen) != 0)
        return -1;
    atomic_store(&srv->revocation, r);
    if (srv->cfg.shared_store[0] != '\0') /* the store may be down: its failure is logged */
        rs_shared_revocations_poll(&srv->shared_revoked, &srv->cfg, &srv->store_password);
    if (rs_shared_revocations_apply(&srv->shared_revoked, r) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    atomic_store(&srv->shared_revocations, (long)srv->shared_revoked.n);
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

/* Returns once every worker has started a new turn of its loop: none still reads what was
 * replaced before the call. */
static void wait_workers(struct rs_server *srv)
{
    uint64_t epoch = atomic_fetch_add(&srv->epoch, 1) + 1;
    for (unsigned i = 0; i < srv->n_workers; i++)
        while (atomic_load(&srv->workers[i]->seen_epoch) < epoch)
            usleep(1000);
}

/* New revocations and TLS contexts; the old ones go once no worker can be reading them. */
static void publish(struct rs_server *srv, struct rs_revocation *r, SSL_CTX *ctx[])
{
    struct rs_revocation *old = r ? atomic_exchange(&srv->revocation, r) : NULL;
    SSL_CTX *old_ctx[RS_MAX_LISTENERS] = {0};
    for (unsigned i = 0; ctx != NULL && i < srv->cfg.n_listeners; i++)
        old_ctx[i] = atomic_exchange(&srv->tls_ctx[i], ctx[i]);
    wait_workers(srv);
    rs_revocation_free(old);
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++)
        SSL_CTX_free(old_ctx[i]); /* connections still on it hold their own reference */
}

static void reload_failed(const char *err, const char *unchanged)
{
    char q[600];
    rs_log_quote(q, sizeof(q), err);
    rs_log(RS_LOG_ERROR, "reload", "result=failed reason=%s %s=unchanged", q, unchanged);
}

/* A failed part keeps its old state; the other parts still take their new ones. The result
 * cache is emptied whatever happened: an account disabled since must not find its answers. */
static void reload(struct rs_server *srv)
{
    SECURITY_STATUS s = rs_creds_reload(&srv->creds);
    char err[512] = "";
    bool ok = s == SEC_E_OK;
    if (!ok)
        rs_log(RS_LOG_ERROR, "reload", "result=failed status=0x%08x reason=\"%s\" keys=unchanged",
               (unsigned)s, rs_status_reason(s));
    rs_result_cache_clear(srv->cache);
    if (load_cookie_key(srv, err, sizeof(err)) != 0)
        ok = false, reload_failed(err, "cookie_key");
    if (load_frontend_secret(srv, err, sizeof(err)) != 0)
        ok = false, reload_failed(err, "frontend_secret");
    if (load_store_password(srv, err, sizeof(err)) != 0)
        ok = false, reload_failed(err, "shared_store_password");
    struct rs_revocation *r = NULL;
    SSL_CTX *ctx[RS_MAX_LISTENERS];
    if (rs_revocation_load(&srv->cfg, &r, err, sizeof(err)) != 0 ||
        rs_shared_revocations_apply(&srv->shared_revoked, r) != 0)
        ok = false, rs_revocation_free(r), r = NULL, reload_failed(err, "revocations");
    bool tls_ok = load_tls(srv, ctx, err, sizeof(err)) == 0;
    if (!tls_ok)
        ok = false, reload_failed(err, "tls");
    publish(srv, r, tls_ok ? ctx : NULL);
    atomic_fetch_add(ok ? &srv->reloads_ok : &srv->reloads_failed, 1);
    if (ok)
        rs_log(RS_LOG_INFO, "reload", "result=ok");
}

/* The farm's revocations moved: a new snapshot of the file's and the farm's. The file is read
 * again too (the snapshot is built whole); if it cannot be, the old snapshot stays. The farm
 * asked for a reload: as on SIGHUP (which builds the snapshot too). */
static void poll_shared_revocations(struct rs_server *srv)
{
    int found = rs_shared_revocations_poll(&srv->shared_revoked, &srv->cfg, &srv->store_password);
    if (found & RS_FARM_RELOAD) {
        rs_log(RS_LOG_INFO, "reload", "trigger=farm generation=%" PRId64,
               srv->shared_revoked.reload_generation);
        reload(srv);
        atomic_store(&srv->shared_revocations, (long)srv->shared_revoked.n);
        return;
    }
    if (!(found & RS_FARM_REVOKED))
        return;
    char err[512];
    struct rs_revocation *r = NULL;
    if (rs_revocation_load(&srv->cfg, &r, err, sizeof(err)) != 0 ||
        rs_shared_revocations_apply(&srv->shared_revoked, r) != 0) {
        rs_revocation_free(r);
        reload_failed(err, "revocations");
        return;
    }
    atomic_store(&srv->shared_revocations, (long)srv->shared_revoked.n);
    publish(srv, r, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* drain-grace: /healthz fails while everything else is still served, so a load balancer's
 * health check takes the node out before its listeners close. A second SIGTERM or SIGINT cuts
 * the grace short; a SIGHUP in it is not acted on (the node is going). */
static void drain_grace(struct rs_server *srv, const sigset_t *set, int sig)
{
    atomic_store(&srv->health_failing, true);
    if (srv->cfg.drain_grace_ms == 0)
        return;
    rs_log(RS_LOG_INFO, "drain_grace", "signal=%d grace_ms=%u", sig, srv->cfg.drain_grace_ms);
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += srv->cfg.drain_grace_ms / 1000;
    end.tv_nsec += (long)(srv->cfg.drain_grace_ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L)
        end.tv_sec++, end.tv_nsec -= 1000000000L;
    for (;;) {
        struct timespec now, left;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = end.tv_sec - now.tv_sec;
        left.tv_nsec = end.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0)
            left.tv_sec--, left.tv_nsec += 1000000000L;
        if (left.tv_sec < 0)
            return;
        int next = sigtimedwait(set, NULL, &left);
        if (next == SIGTERM || next == SIGINT)
            return;
    }
}

/* Signals arrive here only (blocked in every worker): SIGHUP reloads, SIGTERM/SIGINT drain.
 * Between them, a new session ticket key every tls-ticket-rotation. */
static void signal_loop(struct rs_server *srv, const sigset_t *set)
{
    time_t next_rotation = time(NULL) + srv->cfg.tls_ticket_rotation_s;
    bool polls = srv->cfg.shared_store[0] != '\0';
    int64_t next_poll = mono_ms() + srv->cfg.shared_store_poll_ms;
    for (;;) {
        time_t now = time(NULL);
        if (srv->cfg.tls_ticket_rotation_s > 0 && now >= next_rotation) {
            if (rs_ticket_keys_rotate(&srv->tickets) != 0)
                rs_log(RS_LOG_ERROR, "ticket_rotation", "result=failed reason=\"RAND_bytes\"");
            else
                rs_log(RS_LOG_INFO, "ticket_rotation", "result=ok");
            next_rotation = now + srv->cfg.tls_ticket_rotation_s;
        }
        if (polls && mono_ms() >= next_poll) {
            poll_shared_revocations(srv);
            next_poll = mono_ms() + srv->cfg.shared_store_poll_ms;
        }
        int64_t wait_ms = srv->cfg.tls_ticket_rotation_s == 0
                              ? 3600000
                              : (next_rotation > now ? (int64_t)(next_rotation - now) : 1) * 1000;
        if (polls && next_poll - mono_ms() < wait_ms)
            wait_ms = next_poll - mono_ms() > 0 ? next_poll - mono_ms() : 0;
        struct timespec wait = {(time_t)(wait_ms / 1000), (long)(wait_ms % 1000) * 1000000L};
        int sig = sigtimedwait(set, NULL, &wait);
        if (sig < 0)
            continue; /* the rotation's time, or EINTR */
        if (sig == SIGHUP) {
            rs_notify_reloading();
            reload(srv);
            rs_notify("READY=1");
            continue;
        }
        rs_notify("STOPPING=1");
        drain_grace(srv, set, sig);
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
    rs_revocation_free(atomic_load(&srv->revocation));
    rs_secret_wipe(&srv->cookie_key);
    rs_secret_wipe(&srv->frontend_secret);
    rs_secret_wipe(&srv->store_password);
    rs_shared_revocations_free(&srv->shared_revoked);
    rs_ticket_keys_wipe(&srv->tickets);
    for (unsigned i = 0; i < srv->cfg.n_listeners; i++)
        SSL_CTX_free(atomic_load(&srv->tls_ctx[i]));
    rs_creds_free(&srv->creds);
}

/* --revoke USER or --revoke=USER, else NULL. */
static const char *revoke_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--revoke") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--revoke=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

/* With shared-store, the farm's revocation: every node takes it within shared-store-poll. */
static int revoke_shared(struct rs_server *srv, const char *user, uint64_t now)
{
    char err[600];
    if (load_store_password(srv, err, sizeof(err)) != 0 ||
        rs_shared_revoke(&srv->cfg, &srv->store_password, user, now, err, sizeof(err)) != 0) {
        fprintf(stderr, "ringserver: %s\n", err);
        rs_secret_wipe(&srv->store_password);
        return 1;
    }
    rs_secret_wipe(&srv->store_password);
    printf("ringserver: sessions of %s issued until %llu revoked in the shared store %s; every "
           "node applies it within %u ms\n",
           user, (unsigned long long)now, srv->cfg.shared_store, srv->cfg.shared_store_poll_ms);
    return 0;
}

/* --reload-farm: every node of the farm reloads within shared-store-poll. */
static int reload_farm(struct rs_server *srv)
{
    char err[600];
    if (srv->cfg.shared_store[0] == '\0') {
        fprintf(stderr, "ringserver: --reload-farm needs shared-store in the configuration\n");
        return 2;
    }
    int rc = load_store_password(srv, err, sizeof(err)) != 0 ||
                     rs_shared_reload_farm(&srv->cfg, &srv->store_password, err, sizeof(err)) != 0
                 ? 1
                 : 0;
    rs_secret_wipe(&srv->store_password);
    if (rc != 0)
        fprintf(stderr, "ringserver: %s\n", err);
    else
        printf("ringserver: every node of the farm in %s reloads within %u ms\n",
               srv->cfg.shared_store, srv->cfg.shared_store_poll_ms);
    return rc;
}

/* Appends the revocation; the running server takes it on its next SIGHUP. */
static int revoke_user(struct rs_server *srv, const char *user)
{
    const struct rs_config *cfg = &srv->cfg;
    char err[600];
    time_t now = time(NULL);
    if (cfg->shared_store[0] != '\0')
        return revoke_shared(srv, user, (uint64_t)now);
    if (cfg->revocation_file[0] == '\0') {
        fprintf(stderr, "ringserver: --revoke needs revocation-file or shared-store in the "
                        "configuration\n");
        return 2;
    }
    if (rs_revocation_append(cfg->revocation_file, user, (uint64_t)now, err, sizeof(err)) != 0) {
        fprintf(stderr, "ringserver: %s\n", err);
        return 1;
    }
    printf("ringserver: sessions of %s issued until %lld revoked in %s; send SIGHUP to apply\n",
           user, (long long)now, cfg->revocation_file);
    return 0;
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
    const char *revoke = revoke_arg(argc, argv);
    if (revoke != NULL)
        return revoke_user(&srv, revoke);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--reload-farm") == 0)
            return reload_farm(&srv);

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
        warn_plain(&srv.cfg);
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
    warn_plain(&srv.cfg);
    tls_start(&srv);
    signal_loop(&srv, &set);
    for (unsigned i = 0; i < srv.n_workers; i++)
        rs_worker_join(srv.workers[i]);
    rs_log(RS_LOG_INFO, "stopped", "connections_left=%ld", atomic_load(&srv.connections));
    teardown(&srv);
    return 0;
}
