/* Blocking shared-store conversations (see store_sync.h). */
#include "store_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REPLY (4u << 20) /* a revocation list of some 50,000 users */

static int failed(char *err, size_t errlen, const char *what, int e)
{
    snprintf(err, errlen, "shared store: %s%s%s", what, e ? ": " : "", e ? strerror(e) : "");
    return -1;
}

/* A non-blocking connect, waited for at most the timeout; the socket is blocking afterwards
 * with the timeout on every send and receive. */
static int connect_within(struct rs_store_sync *s, const struct rs_config *cfg)
{
    s->fd = socket(cfg->shared_store_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd < 0)
        return errno;
    int rc = connect(s->fd, (const struct sockaddr *)&cfg->shared_store_addr,
                     cfg->shared_store_addr_len);
    if (rc != 0 && errno != EINPROGRESS)
        return errno;
    struct pollfd p = {s->fd, POLLOUT, 0};
    if (rc != 0 && poll(&p, 1, (int)s->timeout_ms) != 1)
        return ETIMEDOUT;
    int e = 0;
    socklen_t elen = sizeof(e);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0)
        return e ? e : errno;
    struct timeval tv = {(time_t)(s->timeout_ms / 1000), (long)(s->timeout_ms % 1000) * 1000};
    int one = 1;
    if (fcntl(s->fd, F_SETFL, 0) != 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        return errno;
    return 0;
}

int rs_store_sync_open(struct rs_store_sync *s, const struct rs_config *cfg,
                       const struct rs_secret *password, char *err, size_t errlen)
{
    *s = (struct rs_store_sync){.fd = -1, .timeout_ms = cfg->shared_store_timeout_ms};
    int e = connect_within(s, cfg);
    if (e != 0) {
        rs_store_sync_close(s);
        return failed(err, errlen, "cannot connect", e);
    }
    uint64_t words[RS_SECRET_MAX / 8];
    size_t n = rs_secret_snapshot(password, words);
    if (n == 0)
        return 0;
    struct rs_slice argv[3] = {{(const uint8_t *)"AUTH", 4}};
    unsigned argc = 1;
    if (cfg->shared_store_user[0] != '\0')
        argv[argc++] = (struct rs_slice){(const uint8_t *)cfg->shared_store_user,
                                         strlen(cfg->shared_store_user)};
    argv[argc++] = (struct rs_slice){(const uint8_t *)words, n};
    struct rs_resp_value reply;
    int rc = rs_store_sync_call(s, argc, argv, &reply, err, errlen);
    explicit_bzero(words, sizeof(words));
    if (rc != 0)
        rs_store_sync_close(s);
    return rc;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return k == 0 ? EPIPE : errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads until one whole reply is buffered. */
static int read_reply(struct rs_store_sync *s, struct rs_resp_value *reply, char *err,
                      size_t errlen)
{
    static const struct rs_resp_limits limits = {512, 4096, 1u << 20};
    s->in_len = 0;
    for (;;) {
        size_t used;
        enum rs_resp_result r = rs_resp_parse(s->in, s->in_len, &limits, reply, &used);
        if (r == RS_RESP_DONE && used == s->in_len)
            return 0;
        if (r != RS_RESP_NEED_MORE)
            return failed(err, errlen, "malformed, oversized or unasked-for reply", 0);
        if (s->in_cap - s->in_len < 4096) {
            size_t cap = s->in_cap ? s->in_cap * 2 : 16384;
            uint8_t *p = cap <= MAX_REPLY ? realloc(s->in, cap) : NULL;
            if (p == NULL)
                return failed(err, errlen, "reply too large", 0);
            s->in = p;
            s->in_cap = cap;
        }
        ssize_t k = recv(s->fd, s->in + s->in_len, s->in_cap - s->in_len, 0);
        if (k <= 0)
            return failed(err, errlen, k == 0 ? "connection closed" : "no reply in time",
                          k == 0 ? 0 : errno);
        s->in_len += (size_t)k;
    }
}

int rs_store_sync_call(struct rs_store_sync *s, unsigned argc, const struct rs_slice *argv,
                       struct rs_resp_value *reply, char *err, size_t errlen)
{
    struct rs_out o = {0};
    rs_resp_command(&o, argc, argv);
    int e = o.failed ? ENOMEM : send_all(s->fd, o.data, o.len);
    if (o.data != NULL)
        explicit_bzero(o.data, o.len); /* AUTH's password */
    rs_out_free(&o);
    if (e != 0)
        return failed(err, errlen, "cannot send", e);
    if (read_reply(s, reply, err, errlen) != 0)
        return -1;
    if (reply->type == RS_RESP_ERROR) {
        snprintf(err, errlen, "shared store: error reply: %.*s", (int)reply->str.len,
                 (const char *)reply->str.ptr);
        return -1;
    }
    return 0;
}

void rs_store_sync_close(struct rs_store_sync *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->in);
    *s = (struct rs_store_sync){.fd = -1};
}
