/* negring-load's command line. */
#ifndef NEGRING_LOADGEN_OPTIONS_H
#define NEGRING_LOADGEN_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum lg_protocol { LG_PROTO_HTTP, LG_PROTO_RAW };
enum lg_mech { LG_MECH_KERBEROS, LG_MECH_NTLM };
enum lg_token_mode { LG_TOKENS_POOL, LG_TOKENS_LIVE };

struct lg_options {
    enum lg_protocol protocol;
    char host[256];
    char port[16];
    char path[1024];
    char host_header[300];
    unsigned connections;
    unsigned threads;
    uint64_t handshakes; /* 0: run for duration_s */
    double duration_s;
    bool fresh; /* a new TCP connection for every handshake */
    /* --source-ips: connections from 127.0.0.1 .. 127.0.0.N in turn (a loopback target), so
     * that the client's TIME_WAIT sockets do not crowd one address's ephemeral ports */
    unsigned source_ips;
    bool challenge; /* start each handshake with an unauthenticated request (expects 401) */
    enum lg_mech mech;
    enum lg_token_mode tokens;
    const char *scheme;  /* HTTP auth scheme: "Negotiate" or "NTLM" */
    const char *package; /* SSPI package for the initiator: "Negotiate", "Kerberos" or "NTLM" */
    bool package_given;
    char service[300];
    uint64_t pool_size;
    unsigned pool_threads;
    bool mutual;
    bool verify;
    double timeout_s;
    double hold_s;                        /* --hold: 0 = off */
    const char *user, *domain, *password; /* NTLM identity */
    uint32_t users;            /* --users: a population of Kerberos users (0: the default ccache) */
    const char *user_format;   /* their names, with %u for 1..users */
    const char *user_password; /* their password */
    double first_use_pct;      /* share of handshakes with a ticket the server never saw */
    double rate;               /* --rate: open loop at this many handshakes/s (0: closed loop) */
    int server_pid;            /* --server-pid: the server's CPU time is reported (0: not) */
    bool json;
    bool quiet;
    bool tls;              /* https:// */
    bool tls_resume;       /* --tls-resume: each new connection resumes the last session */
    bool channel_bindings; /* --channel-bindings: tokens bound to the server certificate */
    char cacert[512];      /* --cacert: verify the server against it ("": no verification) */
};

/* Parses argv into o; on a usage error prints it and returns false. */
bool lg_options_parse(int argc, char **argv, struct lg_options *o);

#endif
