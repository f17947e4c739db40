/* A connection's TLS record layer over memory (see tls_session.h). */
#include "tls_session.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rs_tls_session {
    SSL_CTX *ctx; /* a reference: the context this connection started on */
    SSL *ssl;     /* made with the first whole record */
    BIO *bio;
    const uint8_t *in; /* offered ciphertext not yet read by OpenSSL: whole records only */
    size_t in_len;
    struct rs_out stash;  /* a record not yet whole (freed when empty) */
    size_t stash_offered; /* its first bytes, offered: dropped at the next offer */
    struct rs_out out;    /* ciphertext OpenSSL wrote, not yet taken */
    bool established, failed;
    char failure[120];
};

/* The BIO: reads come from the offered bytes, writes go to `out`; no socket. */
static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static int bio_read(BIO *b, char *buf, int len)
{
    struct rs_tls_session *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (s->in_len == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = s->in_len < (size_t)len ? s->in_len : (size_t)len;
    memcpy(buf, s->in, n);
    s->in += n;
    s->in_len -= n;
    return (int)n;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    struct rs_tls_session *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    rs_out_put(&s->out, buf, (size_t)len);
    return s->out.failed ? -1 : len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct rs_tls_session *s = BIO_get_data(b);
    (void)num, (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return (long)s->in_len;
    case BIO_CTRL_WPENDING:
        return (long)s->out.len;
    default:
        return 0;
    }
}

static void make_method(void)
{
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringserver-memory");
    if (method != NULL &&
        (BIO_meth_set_read(method, bio_read) != 1 || BIO_meth_set_write(method, bio_write) != 1 ||
         BIO_meth_set_ctrl(method, bio_ctrl) != 1)) {
        BIO_meth_free(method);
        method = NULL;
    }
}

struct rs_tls_session *rs_tls_session_new(SSL_CTX *ctx)
{
    struct rs_tls_session *s = calloc(1, sizeof(*s));
    if (s == NULL || SSL_CTX_up_ref(ctx) != 1) {
        free(s);
        return NULL;
    }
    s->ctx = ctx;
    return s;
}

/* The SSL and its BIO, once there is a record for them: a client that sends nothing, or
 * trickles its first record, costs no SSL (some 8 KiB). */
static bool make_ssl(struct rs_tls_session *s)
{
    pthread_once(&method_once, make_method);
    if (method == NULL || (s->ssl = SSL_new(s->ctx)) == NULL ||
        (s->bio = BIO_new(method)) == NULL) {
        ERR_clear_error();
        return false; /* a session without its SSL: freed whole by rs_tls_session_free */
    }
    BIO_set_data(s->bio, s);
    BIO_set_init(s->bio, 1);
    SSL_set_bio(s->ssl, s->bio, s->bio); /* one BIO both ways: the SSL takes its one reference */
    SSL_set_accept_state(s->ssl);
    return true;
}

void rs_tls_session_free(struct rs_tls_session *s)
{
    if (s == NULL)
        return;
    SSL_free(s->ssl); /* and its BIO (a BIO made without its SSL cannot be: see make_ssl) */
    SSL_CTX_free(s->ctx);
    rs_out_free(&s->out);
    rs_out_free(&s->stash);
    free(s);
}

/* RFC 8446 §5.1 TLSPlaintext / TLSCiphertext headers: a content type (20..24) and a version
 * whose first byte is 3; anything else cannot be TLS. */
static bool plausible(const uint8_t *h)
{
    return h[0] >= 20 && h[0] <= 24 && h[1] == 3;
}

/* The bytes of the whole records at the start of data. What cannot be a record, or is longer
 * than TLS allows, counts as whole, so OpenSSL refuses it at once. */
static size_t whole_records(const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (len - off >= 2) {
        if (!plausible(data + off))
            return len;
        if (len - off < 5)
            break;
        size_t n = (size_t)data[off + 3] << 8 | data[off + 4];
        if (n > RS_TLS_RECORD_LIMIT)
            return len;
        if (len - off - 5 < n)
            break;
        off += 5 + n;
    }
    return off;
}

/* OpenSSL is offered whole records only: a record still arriving waits here, in a buffer of
 * its size, rather than in OpenSSL's 16 KiB read buffer (a client trickling its ClientHello
 * costs its bytes, not a record buffer). */
bool rs_tls_offer(struct rs_tls_session *s, const uint8_t *data, size_t len)
{
    if (s->stash_offered > 0) {
        s->stash.len -= s->stash_offered;
        memmove(s->stash.data, s->stash.data + s->stash_offered, s->stash.len);
        s->stash_offered = 0;
    }
    if (s->stash.len == 0) {
        size_t whole = whole_records(data, len);
        rs_out_free(&s->stash);
        rs_out_put(&s->stash, data + whole, len - whole);
        s->in = data, s->in_len = whole;
    } else {
        rs_out_put(&s->stash, data, len);
        s->stash_offered = whole_records(s->stash.data, s->stash.len);
        s->in = s->stash.data, s->in_len = s->stash_offered;
    }
    if (s->stash.failed) {
        s->failed = true;
        snprintf(s->failure, sizeof(s->failure), "out of memory");
    }
    return !s->failed;
}

static enum rs_tls_read failed(struct rs_tls_session *s, int rc)
{
    int e = SSL_get_error(s->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return RS_TLS_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN)
        return RS_TLS_CLOSED;
    unsigned long code = ERR_peek_last_error();
    if (!s->failed) {
        if (code != 0)
            ERR_error_string_n(code, s->failure, sizeof(s->failure));
        else
            snprintf(s->failure, sizeof(s->failure), "%s",
                     s->out.failed ? "out of memory" : "TLS failure");
    }
    ERR_clear_error();
    s->failed = true;
    s->in_len = 0;
    return RS_TLS_FAILED;
}

enum rs_tls_read rs_tls_read(struct rs_tls_session *s, uint8_t *buf, size_t cap, size_t *n)
{
    *n = 0;
    if (s->failed)
        return RS_TLS_FAILED;
    /* Nothing offered: nothing for OpenSSL to do (and, before the first record, no reason for
     * it to make its buffers). A record is read whole, so no plaintext waits inside it. */
    if (s->in_len == 0)
        return RS_TLS_AGAIN;
    if (s->ssl == NULL && !make_ssl(s)) {
        snprintf(s->failure, sizeof(s->failure), "out of memory");
        s->failed = true;
        return RS_TLS_FAILED;
    }
    if (!s->established) {
        int rc = SSL_do_handshake(s->ssl);
        if (rc != 1)
            return failed(s, rc);
        s->established = true;
    }
    size_t got = 0;
    int rc = SSL_read_ex(s->ssl, buf, cap, &got);
    if (rc != 1)
        return failed(s, rc);
    *n = got;
    return RS_TLS_PLAINTEXT;
}

bool rs_tls_seal(struct rs_tls_session *s, const uint8_t *p, size_t n, bool last)
{
    size_t written = 0;
    if (s->failed || !s->established)
        return false;
    if ((n > 0 && SSL_write_ex(s->ssl, p, n, &written) != 1) || written != n) {
        failed(s, 0);
        return false;
    }
    if (last)
        SSL_shutdown(s->ssl); /* close_notify after the answer */
    ERR_clear_error();
    return !s->out.failed;
}

bool rs_tls_take_output(struct rs_tls_session *s, struct rs_out *wire)
{
    if (s->out.failed || s->out.len == 0)
        return false;
    rs_out_free(wire);
    *wire = s->out;
    s->out = (struct rs_out){0};
    return true;
}

bool rs_tls_established(const struct rs_tls_session *s)
{
    return s->established;
}

bool rs_tls_resumed(const struct rs_tls_session *s)
{
    return s->established && SSL_session_reused(s->ssl) == 1;
}

const struct ne_channel_bindings *rs_tls_session_bindings(const struct rs_tls_session *s)
{
    return rs_tls_bindings(s->ctx);
}

bool rs_tls_peer_verified(const struct rs_tls_session *s)
{
    if (!s->established)
        return false;
    X509 *peer = SSL_get0_peer_certificate(s->ssl);
    return peer != NULL && SSL_get_verify_result(s->ssl) == X509_V_OK;
}

const char *rs_tls_failure(const struct rs_tls_session *s)
{
    return s->failure;
}
