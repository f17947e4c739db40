/* ringserver configuration: defaults, the configuration file (`key = value` lines) and
 * command-line flags (`--key=value` / `--key value`, the same names). Flags win over the file;
 * `listen` given on the command line replaces the file's listeners. See docs/ringserver.md. */
#ifndef RINGSERVER_CONFIG_H
#define RINGSERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

enum rs_mode {
    RS_MODE_HTTP,         /* RFC 4559 with a JSON answer */
    RS_MODE_AUTH_REQUEST, /* nginx auth_request: 200 + X-Remote-* headers or 401 + challenge */
    RS_MODE_RAW,          /* length-prefixed token frames (docs/ringserver.md) */
};

enum rs_mechs {
    RS_MECHS_NEGOTIATE, /* Negotiate (Kerberos, and NTLM when the library has it) + NTLM scheme */
    RS_MECHS_KERBEROS,  /* Negotiate scheme, Kerberos only */
    RS_MECHS_NTLM,      /* NTLM scheme only */
};

/* Extended Protection (RFC 5929 tls-server-end-point channel bindings), as IIS sets it. */
enum rs_bindings {
    RS_BINDINGS_OFF,           /* none passed to AcceptSecurityContext: clients' are ignored */
    RS_BINDINGS_WHEN_SUPPLIED, /* a client's bindings must match; a client without is accepted */
    RS_BINDINGS_REQUIRE,       /* every client must send matching bindings */
};

#define RS_MAX_LISTENERS 16

/* Which logins stay on their connection (conn-login=): the connection's later requests without
 * an Authorization header are answered as that client, as IIS does (NTLM always, Kerberos when
 * authPersistNonNTLM is set) and mod_auth_gssapi's GssapiConnectionBound. */
enum rs_conn_login {
    RS_CONN_LOGIN_NTLM, /* NTLM logins (the default: browsers send NTLM once per connection) */
    RS_CONN_LOGIN_ALL,  /* Kerberos logins too */
    RS_CONN_LOGIN_NONE,
};

struct rs_listener_config {
    char text[128]; /* as written, for logs and metrics */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    enum rs_mode mode;
    enum rs_mechs mechs;
    enum rs_conn_login conn_login; /* mode=http only: auth_request's connection is nginx's */
    /* What a session cookie is bound to, with the mechanisms: service=NAME, by default the
     * address (text). Cookies from another listener's service or mechanisms are refused. */
    char service[128];
    /* TLS (tls_context.h): certificate chain and key files (PEM), and client-ca: clients must
     * present a certificate it signed (a front-end proving itself to an auth_request listener). */
    bool tls;
    char cert[256], key[256], client_ca[256];
    enum rs_bindings bindings; /* Extended Protection, TLS listeners only */
    bool bindings_set;         /* bindings= was given */
    /* proxy-protocol: every connection starts with a PROXY protocol v2 header from the load
     * balancer naming the client (proxy_protocol.h); elsewhere such a header is refused. */
    bool proxy_protocol;
};

/* What a worker does with a Kerberos login when the shared store cannot answer. */
enum rs_store_policy {
    RS_POLICY_FAIL_CLOSED, /* refuse it (503): no login the farm did not see first */
    RS_POLICY_LOCAL_ONLY,  /* take this node's replay cache's word for it */
};

struct rs_config {
    struct rs_listener_config listeners[RS_MAX_LISTENERS];
    unsigned n_listeners;
    unsigned workers; /* 0: one per online CPU */
    char keytab[512]; /* "": KRB5_KTNAME or the default keytab */
    char principal[256];
    char user_db[512];         /* NTLM account file; "": $NEGRING_USER_DB, else no NTLM */
    char ntlm_domain[64];      /* NetBIOS domain in the NTLM CHALLENGE; "": the file's first */
    char ntlm_target_name[16]; /* with a principal: when-supplied, required or off (ntlm.md) */
    unsigned clock_skew;       /* seconds; 0: the krb5 profile's */

    unsigned max_connections;
    unsigned max_pending; /* handshakes waiting for their next leg, all workers together */
    size_t max_header_bytes;
    unsigned max_headers;
    size_t max_token_bytes; /* decoded token, both protocols */
    size_t max_body_bytes;

    unsigned header_timeout_ms, leg_timeout_ms, handshake_timeout_ms, idle_timeout_ms;
    unsigned drain_timeout_ms;
    unsigned drain_grace_ms; /* SIGTERM: /healthz fails this long before the listeners close */

    unsigned ring_entries;
    unsigned recv_buffers; /* per worker, a power of two */
    unsigned recv_buffer_size;

    unsigned result_cache_ttl_s; /* 0: off */
    unsigned result_cache_entries;
    char client_id_header[64]; /* auth_request listeners: header naming the client connection */
    /* auth_request listeners: the front-end proves itself with this header holding the secret
     * of the file; only then is client_id_header trusted. */
    char frontend_secret_file[512];
    char frontend_secret_header[64];
    char revocation_file[512]; /* "UNIX-SECONDS USER" lines: sessions revoked (--revoke) */

    char cookie_key_file[512]; /* "": no session cookie */
    char cookie_name[64];
    unsigned cookie_ttl_s;
    bool cookie_secure;

    char tls_ciphers[512];      /* TLS 1.2 cipher list (OpenSSL syntax) */
    char tls_ciphersuites[256]; /* TLS 1.3 suites */
    unsigned tls_ticket_rotation_s;

    /* The farm's shared state in Redis (shared_state.h): "HOST:PORT" with a numeric address (no
     * name lookup on a ring thread); "": none, every node on its own. */
    char shared_store[128];
    struct sockaddr_storage shared_store_addr; /* parsed from shared_store */
    socklen_t shared_store_addr_len;
    char shared_store_policy[16]; /* fail-closed, local-only */
    enum rs_store_policy store_policy;
    unsigned shared_store_timeout_ms; /* for a reply, and for a connection to be made */
    unsigned shared_store_poll_ms;    /* how often the farm's revocations are read */
    char shared_store_prefix[64];     /* before every key: one farm per prefix */
    char shared_store_user[64];       /* Redis ACL user; "": the default user */
    char shared_store_password_file[512];

    char metrics_path[64]; /* "": no metrics on HTTP listeners */
    bool log_success;
    bool sid_headers; /* the PAC's SIDs in HTTP answers */
};

/* Fills defaults, reads --config FILE if given, then applies the flags (--check and --revoke
 * are the caller's). On error writes a message to err and returns -1; returns 1 when --help or
 * --version was handled (exit 0). */
int rs_config_load(struct rs_config *cfg, int argc, char **argv, char *err, size_t errlen);
void rs_config_usage(FILE *f);
/* "127.0.0.1:8080" or "[::1]:8080" from the listener's address. */
void rs_listener_name(const struct rs_listener_config *l, char *out, size_t len);
const char *rs_mode_name(enum rs_mode m);
/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool rs_listener_is_loopback(const struct rs_listener_config *l);
const char *rs_mechs_name(enum rs_mechs m);
const char *rs_bindings_name(enum rs_bindings b);

#endif
