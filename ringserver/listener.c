/* Listening sockets (see listener.h). */
#include "listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_listener.h"
#include "raw_listener.h"

#define LISTEN_BACKLOG 4096

/* The one place a listener's mode picks its protocol; everything after calls through l->proto. */
static const struct rs_protocol *protocol_of(enum rs_mode mode)
{
    return mode == RS_MODE_RAW ? &rs_raw_protocol : &rs_http_protocol;
}

/* TCP_NODELAY is inherited by the accepted sockets: an answer written right after another
 * write (a TLS session ticket, then the HTTP answer) must not wait for the peer's delayed ACK. */
static int make_listener(const struct rs_listener_config *lc, char *err, size_t errlen)
{
    int fd = socket(lc->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)&lc->addr, lc->addr_len) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", lc->text, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Port 0: the first worker's kernel-chosen port is shared by the others (SO_REUSEPORT). */
static void keep_bound_port(int fd, struct rs_listener_config *lc)
{
    struct sockaddr_storage bound;
    socklen_t bl = sizeof(bound);
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) != 0)
        return;
    if (bound.ss_family == AF_INET)
        ((struct sockaddr_in *)&lc->addr)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
    else
        ((struct sockaddr_in6 *)&lc->addr)->sin6_port = ((struct sockaddr_in6 *)&bound)->sin6_port;
}

int rs_listeners_open(struct rs_worker *w, char *err, size_t errlen)
{
    struct rs_config *cfg = &w->srv->cfg;
    for (unsigned i = 0; i < cfg->n_listeners; i++) {
        struct rs_listener_config *lc = &cfg->listeners[i];
        struct rs_listener *l = &w->listeners[i];
        *l = (struct rs_listener){.cfg = lc, .proto = protocol_of(lc->mode), .w = w, .fd = -1};
        for (unsigned a = 0; a < RS_ACCEPTS_PER_LISTENER; a++)
            l->accepts[a].l = l;
        l->proto->refusal(&l->refusal);
        w->n_listeners++;
        l->fd = make_listener(lc, err, errlen);
        if (l->fd < 0)
            return -1;
        keep_bound_port(l->fd, lc);
        if (w->index == 0)
            rs_listener_name(lc, lc->text, sizeof(lc->text)); /* with the port actually bound */
    }
    return 0;
}

void rs_listeners_free(struct rs_worker *w)
{
    for (unsigned i = 0; i < w->n_listeners; i++) {
        if (w->listeners[i].fd >= 0)
            close(w->listeners[i].fd);
        rs_out_free(&w->listeners[i].refusal);
    }
}
