/* ringserver configuration: one table of options drives defaults, the file, the flags and
 * --help, so they cannot drift apart. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
    OPT_UINT,
    OPT_SIZE,
    OPT_DURATION_MS,
    OPT_DURATION_S,
    OPT_BOOL,
    OPT_STR,
    OPT_LISTEN
};

struct opt {
    const char *name;
    enum opt_type type;
    size_t offset, size;
    const char *def;
    const char *help;
};

#define O(field) offsetof(struct rs_config, field), sizeof(((struct rs_config *)0)->field)

static const struct opt options[] = {
    {"listen", OPT_LISTEN, 0, 0, "127.0.0.1:8080 mode=http mechs=negotiate",
     "ADDR:PORT [mode=http|auth_request|raw] [mechs=negotiate|kerberos|ntlm] "
     "[conn-login=ntlm|all|none] [service=NAME] "
     "[tls cert=FILE key=FILE [client-ca=FILE] [bindings=off|when-supplied|require]] "
     "[proxy-protocol]; repeatable"},
    {"workers", OPT_UINT, O(workers), "0",
     "worker threads, one io_uring each (0: one per CPU the process may run on)"},
    {"keytab", OPT_STR, O(keytab), "", "service keytab (default: KRB5_KTNAME or the system one)"},
    {"principal", OPT_STR, O(principal), "", "accept only tickets for this service principal"},
    {"user-db", OPT_STR, O(user_db), "",
     "NTLM account file (negring-user; default: $NEGRING_USER_DB, else no NTLM)"},
    {"ntlm-domain", OPT_STR, O(ntlm_domain), "", "NetBIOS domain for NTLM (default: the file's)"},
    {"ntlm-target-name", OPT_STR, O(ntlm_target_name), "when-supplied",
     "with a principal, the client's NTLM target name: when-supplied, required or off"},
    {"clock-skew", OPT_DURATION_S, O(clock_skew), "0", "Kerberos clock skew (0: krb5.conf's)"},
    {"max-connections", OPT_UINT, O(max_connections), "20000", "open connections, all workers"},
    {"max-pending", OPT_UINT, O(max_pending), "20000", "handshakes waiting for a next leg"},
    {"max-header-bytes", OPT_SIZE, O(max_header_bytes), "128k",
     "request line + headers (fits a 64 KiB PAC token in base64)"},
    {"max-headers", OPT_UINT, O(max_headers), "100", "header fields per request"},
    {"max-token-bytes", OPT_SIZE, O(max_token_bytes), "96k", "decoded token size"},
    {"max-body-bytes", OPT_SIZE, O(max_body_bytes), "64k", "request body (read and ignored)"},
    {"header-timeout", OPT_DURATION_MS, O(header_timeout_ms), "10s",
     "to receive a whole request (or frame) once it started, and a first one"},
    {"leg-timeout", OPT_DURATION_MS, O(leg_timeout_ms), "15s",
     "for the client's next leg of a pending handshake (and to take a response)"},
    {"handshake-timeout", OPT_DURATION_MS, O(handshake_timeout_ms), "30s",
     "for a whole multi-leg handshake"},
    {"idle-timeout", OPT_DURATION_MS, O(idle_timeout_ms), "60s", "keep-alive between requests"},
    {"drain-timeout", OPT_DURATION_MS, O(drain_timeout_ms), "10s",
     "SIGTERM: how long open handshakes may finish"},
    {"drain-grace", OPT_DURATION_MS, O(drain_grace_ms), "0s",
     "SIGTERM: /healthz answers 503 this long, while everything else is served, before the "
     "listeners close (a load balancer's health check sees the node go first)"},
    {"ring-entries", OPT_UINT, O(ring_entries), "4096", "submission queue size per worker"},
    {"recv-buffers", OPT_UINT, O(recv_buffers), "1024", "provided receive buffers per worker"},
    {"recv-buffer-size", OPT_SIZE, O(recv_buffer_size), "16k", "size of each receive buffer"},
    {"result-cache-ttl", OPT_DURATION_S, O(result_cache_ttl_s), "60s",
     "how long a re-sent token from the same client gets the same answer (0: off)"},
    {"result-cache-entries", OPT_UINT, O(result_cache_entries), "65536", "result cache size"},
    {"client-id-header", OPT_STR, O(client_id_header), "X-Client-Connection",
     "auth_request listeners: header naming the client's connection (result cache key), "
     "trusted only from an authenticated front-end"},
    {"frontend-secret-file", OPT_STR, O(frontend_secret_file), "",
     "auth_request listeners: the front-end must send this file's secret (16-64 printable "
     "characters) in frontend-secret-header; needed off loopback"},
    {"frontend-secret-header", OPT_STR, O(frontend_secret_header), "X-Negring-Frontend",
     "header carrying the front-end's secret"},
    {"revocation-file", OPT_STR, O(revocation_file), "",
     "revoked sessions, 'UNIX-SECONDS USER' lines (ringserver --revoke USER appends one)"},
    {"cookie-key-file", OPT_STR, O(cookie_key_file), "",
     "file with >= 32 secret bytes: enables the HMAC-SHA256 session cookie"},
    {"cookie-name", OPT_STR, O(cookie_name), "negring_session", "session cookie name"},
    {"cookie-ttl", OPT_DURATION_S, O(cookie_ttl_s), "1h", "session cookie lifetime"},
    {"cookie-secure", OPT_BOOL, O(cookie_secure), "yes", "mark the cookie Secure (HTTPS only)"},
    {"tls-ciphers", OPT_STR, O(tls_ciphers),
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
     "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
     "TLS 1.2 ciphers (forward secret AEAD only; TLS 1.1 and below are refused)"},
    {"tls-ciphersuites", OPT_STR, O(tls_ciphersuites),
     "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
     "TLS 1.3 suites"},
    {"tls-ticket-rotation", OPT_DURATION_S, O(tls_ticket_rotation_s), "1h",
     "session ticket keys: a new one this often; tickets of the one before still resume"},
    {"shared-store", OPT_STR, O(shared_store), "",
     "Redis at a numeric IPV4:PORT or [IPV6]:PORT holding the farm's Kerberos replay keys "
     "(\"\": none, this node on its own)"},
    {"shared-store-policy", OPT_STR, O(shared_store_policy), "fail-closed",
     "when the store cannot answer: fail-closed (Kerberos logins get 503) or local-only (this "
     "node's replay cache alone)"},
    {"shared-store-timeout", OPT_DURATION_MS, O(shared_store_timeout_ms), "500ms",
     "deadline for a store reply, and for connecting to it"},
    {"shared-store-poll", OPT_DURATION_MS, O(shared_store_poll_ms), "1s",
     "how often the farm's revocations are read from the store (their bound on every node)"},
    {"shared-store-prefix", OPT_STR, O(shared_store_prefix),
     "negring:", "prefix of every key in the store (one farm per prefix)"},
    {"shared-store-user", OPT_STR, O(shared_store_user), "",
     "Redis ACL user for AUTH (\"\": the default user)"},
    {"shared-store-password-file", OPT_STR, O(shared_store_password_file), "",
     "file holding the Redis password (AUTH on every connection), read at start and on SIGHUP"},
    {"metrics-path", OPT_STR, O(metrics_path), "/metrics",
     "Prometheus text metrics on HTTP listeners (\"\" to disable)"},
    {"log-success", OPT_BOOL, O(log_success), "no", "also log one line per successful login"},
    {"sid-headers", OPT_BOOL, O(sid_headers), "no",
     "HTTP answers name the user's and primary group's SIDs (headers, JSON) and the group SIDs "
     "(JSON) from the ticket's PAC"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

void rs_listener_name(const struct rs_listener_config *l, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (l->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&l->addr;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        snprintf(out, len, "%s:%u", host, ntohs(a->sin_port));
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&l->addr;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        snprintf(out, len, "[%s]:%u", host, ntohs(a->sin6_port));
    }
}

const char *rs_mode_name(enum rs_mode m)
{
    return m == RS_MODE_HTTP ? "http" : m == RS_MODE_AUTH_REQUEST ? "auth_request" : "raw";
}

const char *rs_bindings_name(enum rs_bindings b)
{
    return b == RS_BINDINGS_OFF ? "off" : b == RS_BINDINGS_REQUIRE ? "require" : "when-supplied";
}

const char *rs_mechs_name(enum rs_mechs m)
{
    return m == RS_MECHS_NEGOTIATE ? "negotiate" : m == RS_MECHS_KERBEROS ? "kerberos" : "ntlm";
}

bool rs_listener_is_loopback(const struct rs_listener_config *l)
{
    if (l->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&l->addr;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&l->addr)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_u64(const char *s, uint64_t *out, const char **rest)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    *out = v;
    *rest = end;
    return 0;
}

static int parse_scaled(const char *s, enum opt_type type, uint64_t *out)
{
    const char *rest;
    uint64_t v, mul = 1;
    if (parse_u64(s, &v, &rest) != 0)
        return -1;
    if (type == OPT_SIZE) {
        if (*rest == 'k' || *rest == 'K')
            mul = 1024, rest++;
        else if (*rest == 'm' || *rest == 'M')
            mul = 1024 * 1024, rest++;
    } else if (type == OPT_DURATION_MS || type == OPT_DURATION_S) {
        uint64_t ms = 1000;
        if (strcmp(rest, "ms") == 0)
            ms = 1, rest += 2;
        else if (*rest == 's')
            rest++;
        else if (*rest == 'm')
            ms = 60000, rest++;
        else if (*rest == 'h')
            ms = 3600000, rest++;
        if (type == OPT_DURATION_MS)
            mul = ms;
        else if (ms % 1000 == 0)
            mul = ms / 1000;
        else
            return -1;
    }
    if (*rest != '\0' || (v != 0 && mul > UINT64_MAX / v))
        return -1;
    *out = v * mul;
    return 0;
}

static int parse_addr(const char *text, struct sockaddr_storage *addr, socklen_t *addr_len)
{
    char host[80];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
        return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    const char *rest;
    uint64_t port;
    if (parse_u64(colon + 1, &port, &rest) != 0 || *rest != '\0' || port > 65535)
        return -1;
    memset(addr, 0, sizeof(*addr));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        host[strlen(host) - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        *addr_len = sizeof(*a);
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)addr;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a->sin_addr) != 1)
        return -1;
    *addr_len = sizeof(*a);
    return 0;
}

/* service=NAME: it goes into cookies between '|' separators, so a plain token. */
static bool service_ok(const char *s)
{
    if (*s == '\0' || strlen(s) >= sizeof(((struct rs_listener_config *)0)->service))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr(".-_:/@[]", *s) == NULL)
            return false;
    return true;
}

static int copy_path(char *dst, size_t size, const char *src)
{
    if (*src == '\0' || strlen(src) >= size)
        return -1;
    strcpy(dst, src);
    return 0;
}

/* tls, cert=, key=, client-ca=, bindings=. */
static int parse_tls_part(struct rs_listener_config *l, const char *part)
{
    if (strcmp(part, "tls") == 0)
        l->tls = true;
    else if (strncmp(part, "cert=", 5) == 0)
        return copy_path(l->cert, sizeof(l->cert), part + 5);
    else if (strncmp(part, "key=", 4) == 0)
        return copy_path(l->key, sizeof(l->key), part + 4);
    else if (strncmp(part, "client-ca=", 10) == 0)
        return copy_path(l->client_ca, sizeof(l->client_ca), part + 10);
    else if (strcmp(part, "bindings=off") == 0)
        l->bindings = RS_BINDINGS_OFF, l->bindings_set = true;
    else if (strcmp(part, "bindings=when-supplied") == 0)
        l->bindings = RS_BINDINGS_WHEN_SUPPLIED, l->bindings_set = true;
    else if (strcmp(part, "bindings=require") == 0)
        l->bindings = RS_BINDINGS_REQUIRE, l->bindings_set = true;
    else
        return -1;
    return 0;
}

/* The listener's TLS parts agree; without bindings= a TLS listener binds when supplied. */
static int check_listen(struct rs_config *cfg, struct rs_listener_config *l, char *err,
                        size_t errlen)
{
    bool tls_parts = l->cert[0] || l->key[0] || l->client_ca[0];
    if (l->tls && (!l->cert[0] || !l->key[0]))
        return fail(err, errlen, "listen %s: tls needs cert=FILE and key=FILE", l->text);
    if (!l->tls && (tls_parts || l->bindings_set))
        return fail(err, errlen, "listen %s: cert=, key=, client-ca= and bindings= need tls",
                    l->text);
    if (l->tls && !l->bindings_set)
        l->bindings = RS_BINDINGS_WHEN_SUPPLIED;
    cfg->n_listeners++;
    return 0;
}

/* "ADDR:PORT [mode=...] [mechs=...] [service=...] [tls ...]" (blanks or commas between). */
static int parse_listen(struct rs_config *cfg, const char *value, char *err, size_t errlen)
{
    if (cfg->n_listeners == RS_MAX_LISTENERS)
        return fail(err, errlen, "more than %d listeners", RS_MAX_LISTENERS);
    struct rs_listener_config *l = &cfg->listeners[cfg->n_listeners];
    *l = (struct rs_listener_config){.mode = RS_MODE_HTTP, .mechs = RS_MECHS_NEGOTIATE};
    char copy[1024];
    if (strlen(value) >= sizeof(copy))
        return fail(err, errlen, "listen value too long");
    strcpy(copy, value);
    char *save = NULL;
    char *part = strtok_r(copy, " \t,", &save);
    if (part == NULL || parse_addr(part, &l->addr, &l->addr_len) != 0)
        return fail(err, errlen, "listen: bad address '%s' (want HOST:PORT or [V6]:PORT)",
                    part ? part : "");
    snprintf(l->text, sizeof(l->text), "%s", part);
    while ((part = strtok_r(NULL, " \t,", &save)) != NULL) {
        if (strcmp(part, "mode=http") == 0)
            l->mode = RS_MODE_HTTP;
        else if (strcmp(part, "mode=auth_request") == 0)
            l->mode = RS_MODE_AUTH_REQUEST;
        else if (strcmp(part, "mode=raw") == 0)
            l->mode = RS_MODE_RAW;
        else if (strcmp(part, "mechs=negotiate") == 0)
            l->mechs = RS_MECHS_NEGOTIATE;
        else if (strcmp(part, "mechs=kerberos") == 0)
            l->mechs = RS_MECHS_KERBEROS;
        else if (strcmp(part, "mechs=ntlm") == 0)
            l->mechs = RS_MECHS_NTLM;
        else if (strcmp(part, "conn-login=ntlm") == 0)
            l->conn_login = RS_CONN_LOGIN_NTLM;
        else if (strcmp(part, "conn-login=all") == 0)
            l->conn_login = RS_CONN_LOGIN_ALL;
        else if (strcmp(part, "conn-login=none") == 0)
            l->conn_login = RS_CONN_LOGIN_NONE;
        else if (strncmp(part, "service=", 8) == 0 && service_ok(part + 8))
            strcpy(l->service, part + 8);
        else if (strcmp(part, "proxy-protocol") == 0)
            l->proxy_protocol = true;
        else if (parse_tls_part(l, part) != 0)
            return fail(err, errlen, "listen: unknown part '%s'", part);
    }
    return check_listen(cfg, l, err, errlen);
}

static const struct opt *find_opt(const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

static int set_opt(struct rs_config *cfg, const struct opt *o, const char *value, char *err,
                   size_t errlen)
{
    char *field = (char *)cfg + o->offset;
    uint64_t v;
    switch (o->type) {
    case OPT_LISTEN:
        return parse_listen(cfg, value, err, errlen);
    case OPT_STR:
        if (strlen(value) >= o->size)
            return fail(err, errlen, "%s: value too long", o->name);
        strcpy(field, value);
        return 0;
    case OPT_BOOL:
        if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            *(bool *)field = true;
        else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(bool *)field = false;
        else
            return fail(err, errlen, "%s: want yes or no, got '%s'", o->name, value);
        return 0;
    default:
        if (parse_scaled(value, o->type, &v) != 0)
            return fail(err, errlen, "%s: bad value '%s'", o->name, value);
        if (o->size == sizeof(unsigned)) {
            if (v > UINT_MAX)
                return fail(err, errlen, "%s: value too large", o->name);
            *(unsigned *)field = (unsigned)v;
        } else {
            *(size_t *)field = (size_t)v;
        }
        return 0;
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int load_file(struct rs_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(err, errlen, "cannot open config %s: %s", path, strerror(errno));
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            rc = fail(err, errlen, "%s:%d: want 'key = value'", path, lineno);
            break;
        }
        *eq = '\0';
        const struct opt *o = find_opt(trim(s));
        if (o == NULL) {
            rc = fail(err, errlen, "%s:%d: unknown key '%s'", path, lineno, trim(s));
            break;
        }
        char sub[512];
        rc = set_opt(cfg, o, trim(eq + 1), sub, sizeof(sub));
        if (rc != 0)
            fail(err, errlen, "%s:%d: %s", path, lineno, sub);
    }
    fclose(f);
    return rc;
}

static void set_defaults(struct rs_config *cfg)
{
    char err[128];
    *cfg = (struct rs_config){0};
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].type != OPT_LISTEN)
            (void)set_opt(cfg, &options[i], options[i].def, err, sizeof(err));
}

void rs_config_usage(FILE *f)
{
    fprintf(f, "usage: ringserver [--config FILE] [--OPTION=VALUE ...]\n\n"
               "Authenticates clients with Negotiate (Kerberos, NTLM) over HTTP (RFC 4559), as an\n"
               "nginx auth_request backend, or over a raw length-prefixed token protocol.\n"
               "Every option may also be written in the config file as 'option = value'.\n"
               "Sizes take k/m suffixes, durations ms/s/m/h (plain numbers are seconds).\n"
               "Signals: SIGHUP reloads keys, accounts, secrets and revocations and empties the\n"
               "result cache; SIGTERM/SIGINT drain and exit.\n\n"
               "  --config FILE              read options from FILE first\n"
               "  --check                    validate the configuration and exit\n"
               "  --revoke USER              revoke USER's sessions (revocation-file, then SIGHUP; "
               "or shared-store)\n"
               "  --reload-farm              with shared-store: every node reloads as on SIGHUP\n"
               "  --help, --version\n");
    for (size_t i = 0; i < N_OPTIONS; i++)
        fprintf(f, "  --%-24s %s (default: %s)\n", options[i].name, options[i].help,
                options[i].def[0] ? options[i].def : "none");
    fprintf(f, "\nExample (nginx on this host in front, docs/ringserver.md):\n"
               "  KRB5_KTNAME=/etc/http.keytab ringserver --listen '127.0.0.1:8081 "
               "mode=auth_request' --frontend-secret-file /etc/negring/frontend.secret\n"
               "Documentation: docs/ringserver.md\n");
}

/* The store's address is numeric: a worker connects without a name lookup. Port 0 would be
 * nobody's. */
static int check_shared_store(struct rs_config *cfg, char *err, size_t errlen)
{
    if (strcmp(cfg->shared_store_policy, "fail-closed") == 0)
        cfg->store_policy = RS_POLICY_FAIL_CLOSED;
    else if (strcmp(cfg->shared_store_policy, "local-only") == 0)
        cfg->store_policy = RS_POLICY_LOCAL_ONLY;
    else
        return fail(err, errlen, "shared-store-policy: want fail-closed or local-only, got '%s'",
                    cfg->shared_store_policy);
    if (cfg->shared_store[0] == '\0')
        return 0;
    if (parse_addr(cfg->shared_store, &cfg->shared_store_addr, &cfg->shared_store_addr_len) != 0 ||
        ((struct sockaddr_in *)&cfg->shared_store_addr)->sin_port == 0)
        return fail(err, errlen, "shared-store: want a numeric IPV4:PORT or [IPV6]:PORT, got '%s'",
                    cfg->shared_store);
    if (cfg->shared_store_timeout_ms == 0 || cfg->shared_store_poll_ms == 0)
        return fail(err, errlen, "shared-store-timeout and shared-store-poll must be > 0");
    return 0;
}

static int check(struct rs_config *cfg, char *err, size_t errlen)
{
    if (cfg->recv_buffers == 0 || (cfg->recv_buffers & (cfg->recv_buffers - 1)) != 0 ||
        cfg->recv_buffers > 32768)
        return fail(err, errlen, "recv-buffers must be a power of two, at most 32768");
    if (cfg->recv_buffer_size < 1024)
        return fail(err, errlen, "recv-buffer-size must be at least 1k");
    if (cfg->max_header_bytes < 1024 || cfg->max_token_bytes < 64)
        return fail(err, errlen, "max-header-bytes / max-token-bytes too small");
    if (cfg->max_connections == 0 || cfg->ring_entries < 64)
        return fail(err, errlen, "max-connections must be > 0 and ring-entries >= 64");
    if (cfg->header_timeout_ms == 0 || cfg->leg_timeout_ms == 0 || cfg->handshake_timeout_ms == 0 ||
        cfg->idle_timeout_ms == 0)
        return fail(err, errlen, "timeouts must be > 0");
    return check_shared_store(cfg, err, errlen);
}

/* Flags: --name=value, --name value; --config and --check handled by the caller's scan. */
static int apply_flags(struct rs_config *cfg, int argc, char **argv, bool *listen_seen, char *err,
                       size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0)
            return fail(err, errlen, "unexpected argument '%s' (see --help)", arg);
        char name[64];
        const char *value = strchr(arg, '=');
        size_t n = value ? (size_t)(value - arg - 2) : strlen(arg + 2);
        if (n >= sizeof(name))
            return fail(err, errlen, "unknown option '%s'", arg);
        memcpy(name, arg + 2, n);
        name[n] = '\0';
        if (strcmp(name, "check") == 0 || strcmp(name, "reload-farm") == 0)
            continue;
        if (strcmp(name, "revoke") == 0) { /* the caller's, with its user */
            i += value == NULL;
            continue;
        }
        if (value == NULL) {
            if (i + 1 >= argc)
                return fail(err, errlen, "--%s needs a value", name);
            value = argv[++i];
        } else {
            value++;
        }
        if (strcmp(name, "config") == 0)
            continue;
        const struct opt *o = find_opt(name);
        if (o == NULL)
            return fail(err, errlen, "unknown option --%s (see --help)", name);
        if (o->type == OPT_LISTEN && !*listen_seen) {
            cfg->n_listeners = 0; /* flags replace the file's listeners */
            *listen_seen = true;
        }
        if (set_opt(cfg, o, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int rs_config_load(struct rs_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    set_defaults(cfg);
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            rs_config_usage(stdout);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("ringserver (negring) 0.1.0\n");
            return 1;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file != NULL && load_file(cfg, file, err, errlen) != 0)
        return -1;
    bool listen_seen = false;
    if (apply_flags(cfg, argc, argv, &listen_seen, err, errlen) != 0)
        return -1;
    if (cfg->n_listeners == 0 && parse_listen(cfg, options[0].def, err, errlen) != 0)
        return -1;
    return check(cfg, err, errlen);
}
