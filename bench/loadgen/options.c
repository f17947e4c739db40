#define _GNU_SOURCE /* sched_getaffinity */
#include "options.h"

#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "population_plan.h"

static const char usage_text[] =
    "usage: negring-load [options] URL\n"
    "  URL                http://HOST:PORT/PATH (HTTP Negotiate/NTLM, RFC 4559),\n"
    "                     https://HOST:PORT/PATH (the same over TLS 1.2/1.3) or\n"
    "                     raw://HOST:PORT (ringserver's length-prefixed token protocol)\n"
    "  -c, --connections N    concurrent connections, 1..1000000 (default 10)\n"
    "  -t, --threads N        worker threads, one epoll loop each (default: the CPUs it may run "
    "on)\n"
    "  -n, --handshakes N     stop after N handshakes (default 1000 unless -d)\n"
    "  -d, --duration SECS    run for SECS seconds instead\n"
    "  -F, --fresh            new TCP connection per handshake (default: keep-alive)\n"
    "      --source-ips N     connect from 127.0.0.1 .. 127.0.0.N in turn, 1..254 (a loopback\n"
    "                         target): with -F, spreads the client's TIME_WAIT sockets so that\n"
    "                         connect() need not search one address's ports past them\n"
    "      --challenge        begin each handshake with an unauthenticated request and\n"
    "                         expect 401 + WWW-Authenticate (default: send the token at once)\n"
    "  -m, --mech M           kerberos (default) or ntlm\n"
    "      --live             make tokens during the run (default for ntlm)\n"
    "      --pool N           Kerberos token pool size, made before the timed phase\n"
    "                         (default: -n; with -d, 100000, or enough for --rate); each\n"
    "                         token is used once\n"
    "      --pool-threads N   threads making the pool (default: the CPUs it may run on)\n"
    "      --service SPN      Kerberos service (default HTTP/HOST)\n"
    "      --package P        SSPI package for the initiator (default Negotiate; NTLM\n"
    "                         with --mech ntlm)\n"
    "      --scheme S         HTTP auth scheme, Negotiate (default) or NTLM\n"
    "      --no-mutual        do not request mutual authentication\n"
    "      --verify           verify the server's final token (mutual auth / SPNEGO MIC)\n"
    "      --timeout SECS     per-handshake deadline (default 10)\n"
    "      --hold SECS        stop the first handshake of every connection between two legs\n"
    "                         until all connections got that far (or failed), then SECS more,\n"
    "                         so that -c handshakes are pending at once; prints a line on\n"
    "                         stderr when they all are (for sampling the server's memory)\n"
    "      --user U --domain D --password P   NTLM identity (defaults: NEGRING_NTLM_USER,\n"
    "                         NEGRING_NTLM_DOMAIN, NEGRING_NTLM_PASSWORD)\n"
    "      --users N          a population of N Kerberos users, 1..1000000, each with its own\n"
    "                         TGT and service ticket (AS and TGS exchanges before the timed\n"
    "                         phase; scripts/realm.sh users makes them); each user's ticket is\n"
    "                         shown to the server once, untimed, before the timed phase\n"
    "      --user-format F    their names: F with %u for 1..N, @REALM optional (default user%u)\n"
    "      --user-password P  their password (all the same)\n"
    "      --first-use PCT    share of handshakes, 0..100 (default 0), whose service ticket is a\n"
    "                         new one the server has never seen (a sign-in and TGS exchange of\n"
    "                         its own, made in advance); the others reuse their user's ticket\n"
    "      --rate R           open loop: start R handshakes/s on a fixed schedule, whether or\n"
    "                         not earlier ones were answered; latency runs from each scheduled\n"
    "                         start (a start waiting for a free connection is late, not omitted)\n"
    "      --server-pid PID   also report the CPU time that process and its descendants spend\n"
    "                         in the timed phase, per handshake (a server on this machine)\n"
    "      --tls-resume       https: each new connection resumes its last TLS session\n"
    "                         (with -F: a resumed handshake per Negotiate handshake)\n"
    "      --channel-bindings https: bind every token to the server certificate (RFC 5929\n"
    "                         tls-server-end-point, learnt from one connection before the run)\n"
    "      --cacert FILE      https: verify the server's certificate and name against FILE\n"
    "                         (default: no verification)\n"
    "      --json             print the results as one JSON object on stdout\n"
    "  -q, --quiet            no progress line\n"
    "Kerberos tokens come from the default ccache (KRB5CCNAME, copied into memory once), or the\n"
    "users' sign-ins, through libnegring's InitializeSecurityContextA. Latency runs from a\n"
    "handshake's first byte (its connect with -F), or with --rate its scheduled start, to the\n"
    "final answer. Exit status: 0 when every handshake succeeded, 1 when any failed, 2 on a\n"
    "usage or setup error.\n";

/* The CPUs this process may run on (taskset, a cpuset): fewer than the machine's when the load
 * generator is kept apart from the server it measures. */
static unsigned allowed_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || *s == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v > 0 && v < 1e6))
        return false;
    *out = v;
    return true;
}

/* A non-negative real number up to max (rates, percentages). */
static bool parse_real(const char *s, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= 0 && v <= max))
        return false;
    *out = v;
    return true;
}

static bool copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

/* http(s)://HOST[:PORT][/PATH] or raw://HOST:PORT; HOST may be a [v6] literal. */
static bool parse_url(const char *url, struct lg_options *o)
{
    const char *rest;
    if (strncmp(url, "http://", 7) == 0) {
        o->protocol = LG_PROTO_HTTP;
        rest = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        o->protocol = LG_PROTO_HTTP;
        o->tls = true;
        rest = url + 8;
    } else if (strncmp(url, "raw://", 6) == 0) {
        o->protocol = LG_PROTO_RAW;
        rest = url + 6;
    } else {
        return false;
    }
    size_t authority = strcspn(rest, "/");
    const char *path = rest + authority;
    if (!copy(o->host_header, sizeof(o->host_header), rest, authority))
        return false;
    const char *host = rest, *colon;
    size_t host_len;
    if (*host == '[') {
        const char *close = memchr(host, ']', authority);
        if (close == NULL)
            return false;
        host++;
        host_len = (size_t)(close - host);
        colon = close + 1 < rest + authority && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(host, ':', authority);
        host_len = colon ? (size_t)(colon - host) : authority;
    }
    if (!copy(o->host, sizeof(o->host), host, host_len))
        return false;
    if (colon != NULL) {
        if (!copy(o->port, sizeof(o->port), colon + 1, (size_t)(rest + authority - colon - 1)))
            return false;
    } else if (o->protocol == LG_PROTO_HTTP) {
        strcpy(o->port, o->tls ? "443" : "80");
    } else {
        return false;
    }
    if (*path == '\0')
        path = "/";
    return copy(o->path, sizeof(o->path), path, strlen(path));
}

static void defaults(struct lg_options *o)
{
    memset(o, 0, sizeof(*o));
    o->connections = 10;
    o->threads = allowed_cpus();
    o->pool_threads = allowed_cpus();
    o->mutual = true;
    o->timeout_s = 10;
    o->scheme = "Negotiate";
    o->package = "Negotiate";
    o->user = getenv("NEGRING_NTLM_USER");
    o->domain = getenv("NEGRING_NTLM_DOMAIN");
    o->password = getenv("NEGRING_NTLM_PASSWORD");
    o->user_format = "user%u";
}

enum {
    OPT_CHALLENGE = 256,
    OPT_LIVE,
    OPT_POOL,
    OPT_POOL_THREADS,
    OPT_SERVICE,
    OPT_PACKAGE,
    OPT_SCHEME,
    OPT_NO_MUTUAL,
    OPT_VERIFY,
    OPT_TIMEOUT,
    OPT_HOLD,
    OPT_USER,
    OPT_DOMAIN,
    OPT_PASSWORD,
    OPT_JSON,
    OPT_USERS,
    OPT_USER_FORMAT,
    OPT_USER_PASSWORD,
    OPT_FIRST_USE,
    OPT_RATE,
    OPT_SERVER_PID,
    OPT_SOURCE_IPS,
    OPT_TLS_RESUME,
    OPT_CHANNEL_BINDINGS,
    OPT_CACERT,
};

static const struct option long_options[] = {
    {"connections", required_argument, NULL, 'c'},
    {"threads", required_argument, NULL, 't'},
    {"handshakes", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, 'd'},
    {"fresh", no_argument, NULL, 'F'},
    {"mech", required_argument, NULL, 'm'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"challenge", no_argument, NULL, OPT_CHALLENGE},
    {"live", no_argument, NULL, OPT_LIVE},
    {"pool", required_argument, NULL, OPT_POOL},
    {"pool-threads", required_argument, NULL, OPT_POOL_THREADS},
    {"service", required_argument, NULL, OPT_SERVICE},
    {"package", required_argument, NULL, OPT_PACKAGE},
    {"scheme", required_argument, NULL, OPT_SCHEME},
    {"no-mutual", no_argument, NULL, OPT_NO_MUTUAL},
    {"verify", no_argument, NULL, OPT_VERIFY},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"hold", required_argument, NULL, OPT_HOLD},
    {"user", required_argument, NULL, OPT_USER},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"json", no_argument, NULL, OPT_JSON},
    {"users", required_argument, NULL, OPT_USERS},
    {"user-format", required_argument, NULL, OPT_USER_FORMAT},
    {"user-password", required_argument, NULL, OPT_USER_PASSWORD},
    {"first-use", required_argument, NULL, OPT_FIRST_USE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"server-pid", required_argument, NULL, OPT_SERVER_PID},
    {"source-ips", required_argument, NULL, OPT_SOURCE_IPS},
    {"tls-resume", no_argument, NULL, OPT_TLS_RESUME},
    {"channel-bindings", no_argument, NULL, OPT_CHANNEL_BINDINGS},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {NULL, 0, NULL, 0},
};

static bool bad(const char *what)
{
    fprintf(stderr, "negring-load: %s\n%s", what, usage_text);
    return false;
}

/* Options with a numeric value; *handled false when c is not one of them. */
static bool apply_number(int c, const char *arg, struct lg_options *o, bool *handled)
{
    uint64_t v;
    *handled = true;
    switch (c) {
    case 'c':
        if (!parse_u64(arg, 1, 1000000, &v))
            return bad("-c wants 1..1000000");
        o->connections = (unsigned)v;
        return true;
    case 't':
        if (!parse_u64(arg, 1, 1024, &v))
            return bad("-t wants 1..1024");
        o->threads = (unsigned)v;
        return true;
    case 'n':
        return parse_u64(arg, 1, UINT64_MAX / 2, &o->handshakes) || bad("-n wants a count");
    case 'd':
        return parse_seconds(arg, &o->duration_s) || bad("-d wants seconds");
    case OPT_POOL:
        return parse_u64(arg, 1, 100000000, &o->pool_size) || bad("--pool wants a count");
    case OPT_POOL_THREADS:
        if (!parse_u64(arg, 1, 256, &v))
            return bad("--pool-threads wants 1..256");
        o->pool_threads = (unsigned)v;
        return true;
    case OPT_TIMEOUT:
        return parse_seconds(arg, &o->timeout_s) || bad("--timeout wants seconds");
    case OPT_HOLD:
        return parse_seconds(arg, &o->hold_s) || bad("--hold wants seconds");
    default:
        *handled = false;
        return true;
    }
}

/* The population, the open loop and the server's CPU (--users ... --server-pid); *handled false
 * when c is not one of them. */
static bool apply_load_shape(int c, const char *arg, struct lg_options *o, bool *handled)
{
    uint64_t v;
    *handled = true;
    switch (c) {
    case OPT_USERS:
        if (!parse_u64(arg, 1, 1000000, &v))
            return bad("--users wants 1..1000000");
        o->users = (uint32_t)v;
        return true;
    case OPT_USER_FORMAT:
        o->user_format = arg;
        return true;
    case OPT_USER_PASSWORD:
        o->user_password = arg;
        return true;
    case OPT_FIRST_USE:
        return parse_real(arg, 100, &o->first_use_pct) || bad("--first-use wants 0..100");
    case OPT_RATE:
        return (parse_real(arg, 1e7, &o->rate) && o->rate > 0) ||
               bad("--rate wants handshakes per second, above 0");
    case OPT_SERVER_PID:
        if (!parse_u64(arg, 1, 1u << 22, &v)) /* pid_max's ceiling on Linux */
            return bad("--server-pid wants a process id");
        o->server_pid = (int)v;
        return true;
    case OPT_SOURCE_IPS:
        if (!parse_u64(arg, 1, 254, &v))
            return bad("--source-ips wants 1..254");
        o->source_ips = (unsigned)v;
        return true;
    default:
        *handled = false;
        return true;
    }
}

/* Options naming something (mechanism, package, identity). */
static bool apply_name(int c, const char *arg, struct lg_options *o)
{
    switch (c) {
    case 'm':
        if (strcasecmp(arg, "kerberos") == 0)
            o->mech = LG_MECH_KERBEROS;
        else if (strcasecmp(arg, "ntlm") == 0)
            o->mech = LG_MECH_NTLM;
        else
            return bad("--mech wants kerberos or ntlm");
        return true;
    case OPT_SERVICE:
        return copy(o->service, sizeof(o->service), arg, strlen(arg)) || bad("bad --service");
    case OPT_PACKAGE:
        o->package = arg;
        o->package_given = true;
        return true;
    case OPT_SCHEME:
        o->scheme = arg;
        return true;
    case OPT_USER:
        o->user = arg;
        return true;
    case OPT_DOMAIN:
        o->domain = arg;
        return true;
    case OPT_PASSWORD:
        o->password = arg;
        return true;
    case OPT_CACERT:
        return copy(o->cacert, sizeof(o->cacert), arg, strlen(arg)) || bad("bad --cacert");
    default:
        return bad("unknown option");
    }
}

/* One option; false on a bad value. */
static bool apply(int c, const char *arg, struct lg_options *o)
{
    bool handled;
    bool ok = apply_number(c, arg, o, &handled);
    if (handled)
        return ok;
    ok = apply_load_shape(c, arg, o, &handled);
    if (handled)
        return ok;
    switch (c) {
    case 'F':
        o->fresh = true;
        return true;
    case 'q':
        o->quiet = true;
        return true;
    case OPT_CHALLENGE:
        o->challenge = true;
        return true;
    case OPT_LIVE:
        o->tokens = LG_TOKENS_LIVE;
        return true;
    case OPT_NO_MUTUAL:
        o->mutual = false;
        return true;
    case OPT_VERIFY:
        o->verify = true;
        return true;
    case OPT_JSON:
        o->json = true;
        return true;
    case OPT_TLS_RESUME:
        o->tls_resume = true;
        return true;
    case OPT_CHANNEL_BINDINGS:
        o->channel_bindings = true;
        return true;
    default:
        return apply_name(c, arg, o);
    }
}

/* --users, --first-use and --rate against the rest. */
static bool check_population_and_rate(const struct lg_options *o)
{
    if (o->first_use_pct > 0 && o->users == 0)
        return bad("--first-use needs --users (a ticket's first use is a user's new ticket)");
    if (o->rate > 0 && o->hold_s > 0)
        return bad("--rate and --hold do not go together (held handshakes keep no schedule)");
    if (o->users == 0)
        return true;
    if (o->mech != LG_MECH_KERBEROS || o->tokens == LG_TOKENS_LIVE)
        return bad("--users is for Kerberos tokens made in advance (not --live, not ntlm)");
    if (!lg_user_format_valid(o->user_format))
        return bad("--user-format wants one %u and no other %");
    if (o->user_password == NULL)
        return bad("--users needs --user-password");
    return true;
}

/* The pool's default size: one token per handshake, or per scheduled start of a -d run (each
 * worker's schedule may hold one more start than its share of rate x duration). */
static uint64_t default_pool_size(const struct lg_options *o)
{
    if (o->handshakes)
        return o->handshakes;
    if (o->rate > 0)
        return (uint64_t)ceil(o->rate * o->duration_s) + o->threads;
    return 100000;
}

/* Settings that follow from others. */
static bool finish(struct lg_options *o)
{
    if (o->handshakes == 0 && o->duration_s == 0)
        o->handshakes = 1000;
    if (o->handshakes != 0 && o->duration_s != 0)
        return bad("give -n or -d, not both");
    if (o->hold_s > 0 && o->duration_s > 0)
        return bad("--hold goes with -n (a count), not -d");
    if (!o->tls && (o->tls_resume || o->channel_bindings || o->cacert[0]))
        return bad("--tls-resume, --channel-bindings and --cacert need an https:// URL");
    if (o->challenge && o->protocol == LG_PROTO_RAW)
        return bad("--challenge is for HTTP (the raw protocol has no unauthenticated request)");
    if (o->service[0] == '\0')
        snprintf(o->service, sizeof(o->service), "HTTP/%s", o->host);
    if (o->mech == LG_MECH_NTLM) {
        /* An NTLM handshake answers the server's challenge: nothing to make in advance. */
        o->tokens = LG_TOKENS_LIVE;
        if (!o->package_given)
            o->package = "NTLM"; /* raw NTLMSSP; --package Negotiate wraps it in SPNEGO */
        if (o->user == NULL || o->password == NULL)
            return bad("--mech ntlm needs --user and --password (or NEGRING_NTLM_* variables)");
    }
    if (o->threads > o->connections)
        o->threads = o->connections;
    if (o->tokens == LG_TOKENS_POOL && o->pool_size == 0)
        o->pool_size = default_pool_size(o);
    return check_population_and_rate(o);
}

bool lg_options_parse(int argc, char **argv, struct lg_options *o)
{
    defaults(o);
    int c;
    while ((c = getopt_long(argc, argv, "c:t:n:d:Fm:qh", long_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (!apply(c, optarg, o))
            return false;
    }
    if (optind != argc - 1)
        return bad("one URL expected");
    if (!parse_url(argv[optind], o))
        return bad("URL must be http(s)://HOST[:PORT][/PATH] or raw://HOST:PORT");
    return finish(o);
}
