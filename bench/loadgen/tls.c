/* negring-load over TLS (see tls.h). */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool lg_tls_init(struct lg_tls *t, const struct lg_options *o)
{
    memset(t, 0, sizeof(*t));
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (t->ctx == NULL || SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_alpn_protos(t->ctx, (const unsigned char *)"\x08http/1.1", 9) != 0) {
        fprintf(stderr, "negring-load: cannot make the TLS client context\n");
        return false;
    }
    /* A partial write retried with the same bytes from another address (c->out). */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (o->cacert[0] == '\0') {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
        return true;
    }
    if (SSL_CTX_load_verify_locations(t->ctx, o->cacert, NULL) != 1) {
        fprintf(stderr, "negring-load: cannot read --cacert %s\n", o->cacert);
        return false;
    }
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    return true;
}

void lg_tls_free(struct lg_tls *t)
{
    SSL_CTX_free(t->ctx);
    t->ctx = NULL;
}

SSL *lg_tls_new(const struct lg_tls *t, const struct lg_options *o, int fd, SSL_SESSION *session)
{
    SSL *ssl = SSL_new(t->ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, o->host) != 1 ||
        (o->cacert[0] && SSL_set1_host(ssl, o->host) != 1) ||
        (session != NULL && SSL_set_session(ssl, session) != 1)) {
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

int lg_tls_handshake(SSL *ssl)
{
    int rc = SSL_do_handshake(ssl);
    if (rc == 1)
        return 1;
    int e = SSL_get_error(ssl, rc);
    ERR_clear_error();
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

SSL_SESSION *lg_tls_close(SSL *ssl, bool keep_session)
{
    SSL_SESSION *s = keep_session && SSL_is_init_finished(ssl) ? SSL_get1_session(ssl) : NULL;
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl);
    return s;
}

static ssize_t tls_result(SSL *ssl, int rc, size_t n)
{
    if (rc == 1)
        return (ssize_t)n;
    int e = SSL_get_error(ssl, rc);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return LG_IO_AGAIN;
    return e == SSL_ERROR_ZERO_RETURN ? LG_IO_EOF : LG_IO_ERROR;
}

ssize_t lg_io_send(int fd, SSL *ssl, const void *buf, size_t n)
{
    if (ssl != NULL) {
        size_t done = 0;
        int rc = SSL_write_ex(ssl, buf, n, &done);
        return tls_result(ssl, rc, done);
    }
    ssize_t r;
    do
        r = send(fd, buf, n, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r >= 0 ? r : errno == EAGAIN ? LG_IO_AGAIN : LG_IO_ERROR;
}

ssize_t lg_io_recv(int fd, SSL *ssl, void *buf, size_t n)
{
    if (ssl != NULL) {
        size_t done = 0;
        int rc = SSL_read_ex(ssl, buf, n, &done);
        return tls_result(ssl, rc, done);
    }
    ssize_t r;
    do
        r = recv(fd, buf, n, 0);
    while (r < 0 && errno == EINTR);
    return r >= 0 ? r : errno == EAGAIN ? LG_IO_AGAIN : LG_IO_ERROR;
}

bool lg_tls_probe_bindings(struct lg_tls *t, const struct lg_options *o,
                           const struct sockaddr *addr, socklen_t addr_len)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SSL *ssl = NULL;
    bool ok = fd >= 0 && connect(fd, addr, addr_len) == 0 &&
              (ssl = lg_tls_new(t, o, fd, NULL)) != NULL && SSL_connect(ssl) == 1 &&
              ne_tls_end_point_bindings(SSL_get0_peer_certificate(ssl), &t->bindings);
    if (!ok)
        fprintf(stderr,
                "negring-load: cannot learn the server certificate's bindings (TLS to "
                "%s:%s failed)\n",
                o->host, o->port);
    if (ssl != NULL)
        lg_tls_close(ssl, false);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
    return ok;
}
