/* Scale: N clients (default 2000; NEGRING_SCALE_N=10000 in scripts/soak.sh) each open a raw-
 * protocol connection and start a SPNEGO handshake with an empty first token, so ringserver
 * holds N handshakes pending between legs at once (NegTokenInit2 sent, context in the table).
 * The test reports the server's memory per pending handshake, then completes every handshake
 * with an MIT GSSAPI token (alice and bob alternating) and checks each answer names the
 * connection's own user; finally no handshake is left
 * pending and the server exits cleanly on SIGTERM.
 *
 * Usage: ringserver_scale_test PATH_TO_RINGSERVER */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gss_peer.h"
#include "realm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_full(int fd, void *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = read(fd, (char *)buf + off, len - off);
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, (const char *)buf + off, len - off);
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int send_frame(int fd, const void *tok, uint32_t len)
{
    uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    return write_full(fd, h, 4) == 0 && write_full(fd, tok, len) == 0 ? 0 : -1;
}

/* Reads one server frame into buf; returns its type or -1. */
static int read_frame(int fd, uint8_t *buf, size_t cap, uint32_t *len)
{
    uint8_t h[4];
    if (read_full(fd, h, 4) != 0)
        return -1;
    *len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (*len == 0 || *len > cap || read_full(fd, buf, *len) != 0)
        return -1;
    return buf[0];
}

/* The name in an 'A' frame: type, u32 token length, token, u16 name length, name. */
static int accepted_name(const uint8_t *f, uint32_t len, char *out, size_t cap)
{
    if (len < 5)
        return -1;
    uint32_t tl = (uint32_t)f[1] << 24 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 8 | f[4];
    if (tl > len - 5 || len - 5 - tl < 2)
        return -1;
    const uint8_t *p = f + 5 + tl;
    size_t nl = (size_t)p[0] << 8 | p[1];
    if (nl >= cap || nl > len - 5 - tl - 2)
        return -1;
    memcpy(out, p + 2, nl);
    out[nl] = '\0';
    return 0;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kib;
}

/* Value of an unlabelled metric from GET /metrics on the HTTP listener. */
static long metric(int port, const char *name)
{
    int fd = connect_to(port);
    static char buf[1 << 16];
    const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (fd < 0 || write_full(fd, req, sizeof(req) - 1) != 0)
        return -1;
    size_t off = 0;
    ssize_t n;
    while (off < sizeof(buf) - 1 && (n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0)
        off += (size_t)n;
    close(fd);
    buf[off] = '\0';
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    char *p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static pid_t start_server(const char *bin, struct ng_test_realm *r, int *http, int *raw)
{
    char log[400];
    snprintf(log, sizeof(log), "%s/server.log", r->dir);
    pid_t pid = fork();
    if (pid == 0) {
        freopen(log, "w", stderr);
        execl(bin, bin, "--keytab", r->keytab, "--listen", "127.0.0.1:0", "--listen",
              "127.0.0.1:0 mode=raw", "--workers", "2", "--handshake-timeout", "120s",
              "--leg-timeout", "120s", "--header-timeout", "120s", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(log, "r");
        char line[512];
        int found = 0;
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            char *a = strstr(line, "event=listening address=127.0.0.1:");
            if (a != NULL) {
                int port = atoi(a + strlen("event=listening address=127.0.0.1:"));
                *(found++ == 0 ? http : raw) = port;
            }
        }
        if (f != NULL)
            fclose(f);
        if (found >= 2)
            return pid;
        usleep(10000);
    }
    fprintf(stderr, "ringserver did not start (see %s)\n", log);
    kill(pid, SIGKILL);
    return -1;
}

struct client {
    int fd;
    gss_buffer_desc tok;
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s RINGSERVER\n", argv[0]);
        return 2;
    }
    int n = getenv("NEGRING_SCALE_N") ? atoi(getenv("NEGRING_SCALE_N")) : 2000;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)n + 64 > rl.rlim_cur) {
        fprintf(stderr, "RLIMIT_NOFILE %llu too low for %d clients\n",
                (unsigned long long)rl.rlim_cur, n);
        return 1;
    }
    struct ng_test_realm r;
    if (ng_test_realm_start(&r) != 0)
        return 1;
    int http = 0, raw = 0, failures = 0;
    pid_t pid = start_server(argv[1], &r, &http, &raw);
    if (pid < 0)
        return 1;
    struct client *cl = calloc((size_t)n, sizeof(*cl));
    static uint8_t frame[1 << 16];
    uint32_t flen;
    long rss0 = rss_kib(pid);

    /* Leg 1 for everyone: N handshakes pending at once. */
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if ((cl[i].fd = connect_to(raw)) < 0 || send_frame(cl[i].fd, "", 0) != 0)
            return 1;
    for (int i = 0; i < n; i++)
        if (read_frame(cl[i].fd, frame, sizeof(frame), &flen) != 'C') {
            fprintf(stderr, "client %d: no continue frame\n", i);
            return 1;
        }
    double t1 = now_s();
    long pending = metric(http, "negring_pending_handshakes");
    long rss1 = rss_kib(pid);
    printf("pending handshakes held: %ld of %d (leg 1 for all in %.2f s)\n", pending, n, t1 - t0);
    printf("server RSS %ld KiB -> %ld KiB: %.1f KiB per pending handshake (connection included)\n",
           rss0, rss1, (double)(rss1 - rss0) / n);
    if (pending != n)
        failures++;

    /* Leg 2: MIT tokens made first (alice on even connections, bob on odd ones, so a mixed-up
     * answer shows), then sent to every connection and the answers read. */
    char bob[128], bob_cc[400], alice_cc[400];
    snprintf(bob, sizeof(bob), "bob@%s", r.realm);
    snprintf(bob_cc, sizeof(bob_cc), "FILE:%s/bob.ccache", r.dir);
    snprintf(alice_cc, sizeof(alice_cc), "%s", r.ccache);
    if (ng_test_realm_kinit(&r, bob, "bob-Pass-2", bob_cc, NULL) != 0)
        return 1;
    for (int i = 0; i < n; i++) {
        struct ng_gss_initiator c;
        if (ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, GSS_C_MUTUAL_FLAG,
                                  i % 2 ? bob_cc : alice_cc) != 0)
            return 1;
        OM_uint32 major = ng_gss_initiator_step(&c, NULL, 0, &cl[i].tok);
        if (major != GSS_S_CONTINUE_NEEDED) {
            ng_gss_initiator_report(&c, "gss_init_sec_context");
            return 1;
        }
        ng_gss_initiator_free(&c);
    }
    double t2 = now_s();
    for (int i = 0; i < n; i++)
        if (send_frame(cl[i].fd, cl[i].tok.value, (uint32_t)cl[i].tok.length) != 0)
            return 1;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        char name[256];
        int type = read_frame(cl[i].fd, frame, sizeof(frame), &flen);
        if (type == 'A' && accepted_name(frame, flen, name, sizeof(name)) == 0 &&
            strcmp(name, i % 2 ? bob : r.user) == 0)
            ok++;
        else if (failures++ < 5)
            fprintf(stderr, "client %d: frame type %d\n", i, type);
        OM_uint32 minor;
        gss_release_buffer(&minor, &cl[i].tok);
    }
    double t3 = now_s();
    printf("completed %d of %d handshakes, each as its own user (alice/bob): %.2f s, %.0f "
           "handshakes/s (server side, tokens made beforehand in %.2f s)\n",
           ok, n, t3 - t2, n / (t3 - t2), t2 - t1);
    long left = metric(http, "negring_pending_handshakes");
    printf("pending after completion: %ld\n", left);
    if (ok != n || left != 0)
        failures++;
    for (int i = 0; i < n; i++)
        close(cl[i].fd);
    free(cl);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "ringserver exit status %d (see %s/server.log)\n", status, r.dir);
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "tail -n 30 %s/server.log >&2", r.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "(no log)\n");
        failures++;
    }
    printf(failures ? "FAILED\n" : "all checks passed\n");
    return failures ? 1 : 0;
}
