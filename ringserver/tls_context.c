/* TLS listener contexts (see tls_context.h). */
#include "tls_context.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What a context carries for us, through one ex_data slot freed with it. */
struct ctx_data {
    struct rs_ticket_keys *keys;
    struct ne_channel_bindings bindings;
};

static int data_index = -1;
static pthread_once_t data_once = PTHREAD_ONCE_INIT;

static void free_data(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    OPENSSL_free(ptr);
}

static void make_index(void)
{
    data_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_data);
}

static const struct ctx_data *data_of(const SSL_CTX *ctx)
{
    return SSL_CTX_get_ex_data(ctx, data_index);
}

struct rs_ticket_keys *rs_tls_ticket_keys(const SSL_CTX *ctx)
{
    return data_of(ctx)->keys;
}

const struct ne_channel_bindings *rs_tls_bindings(const SSL_CTX *ctx)
{
    return &data_of(ctx)->bindings;
}

/* RFC 7301: http/1.1 when the client offers it; a client offering only others (h2) gets the
 * no_application_protocol alert rather than a protocol it did not ask for. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *chosen = NULL;
    (void)ssl, (void)arg;
    if (SSL_select_next_proto(&chosen, outlen, ours, sizeof(ours) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *fail(SSL_CTX *ctx, char *err, size_t errlen, const char *what, const char *file)
{
    char reason[256] = "";
    unsigned long e = ERR_peek_last_error();
    if (e != 0)
        ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    snprintf(err, errlen, "%s %s: %s", what, file, reason[0] ? reason : strerror(errno));
    SSL_CTX_free(ctx);
    return NULL;
}

static bool settings(SSL_CTX *ctx, const struct rs_config *cfg, const struct rs_listener_config *l)
{
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS); /* an idle connection holds no records */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* tickets: stateless, any worker */
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, rs_ticket_key_cb);
    if (l->mode != RS_MODE_RAW)
        SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    static const unsigned char sid_ctx[] = "ringserver";
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
           SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers) == 1 &&
           SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites) == 1 &&
           SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) == 1;
}

/* A front-end proving itself: a certificate signed by client-ca, or no handshake. */
static bool client_certificates(SSL_CTX *ctx, const char *ca_file)
{
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
    if (names == NULL || SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return false;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return true;
}

SSL_CTX *rs_tls_context_new(const struct rs_config *cfg, const struct rs_listener_config *l,
                            struct rs_ticket_keys *keys, char *err, size_t errlen)
{
    pthread_once(&data_once, make_index);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    struct ctx_data *d = OPENSSL_zalloc(sizeof(*d));
    if (ctx == NULL || d == NULL || data_index < 0 ||
        SSL_CTX_set_ex_data(ctx, data_index, d) != 1) {
        OPENSSL_free(d);
        return fail(ctx, err, errlen, "TLS context for", l->text);
    }
    d->keys = keys;
    if (!settings(ctx, cfg, l))
        return fail(ctx, err, errlen, "tls-ciphers / tls-ciphersuites of", l->text);
    if (SSL_CTX_use_certificate_chain_file(ctx, l->cert) != 1)
        return fail(ctx, err, errlen, "certificate", l->cert);
    if (SSL_CTX_use_PrivateKey_file(ctx, l->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
        return fail(ctx, err, errlen, "private key (or not the certificate's)", l->key);
    if (l->client_ca[0] && !client_certificates(ctx, l->client_ca))
        return fail(ctx, err, errlen, "client-ca", l->client_ca);
    if (!ne_tls_end_point_bindings(SSL_CTX_get0_certificate(ctx), &d->bindings))
        return fail(ctx, err, errlen, "channel bindings of the certificate", l->cert);
    return ctx;
}

/* TCP_ULP "tls" on a connected loopback socket: ENOENT when the kernel has no tls module. */
bool rs_tls_ktls_available(char *why, size_t len)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    bool ok = false;
    if (lfd >= 0 && cfd >= 0 && bind(lfd, (struct sockaddr *)&a, al) == 0 && listen(lfd, 1) == 0 &&
        getsockname(lfd, (struct sockaddr *)&a, &al) == 0 &&
        connect(cfd, (struct sockaddr *)&a, al) == 0) {
        ok = setsockopt(cfd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) == 0;
        if (ok)
            snprintf(why, len, "the kernel has the tls ULP");
        else
            snprintf(why, len, "no tls ULP in this kernel (TCP_ULP tls: %s)", strerror(errno));
    } else {
        snprintf(why, len, "cannot probe the tls ULP: %s", strerror(errno));
    }
    if (lfd >= 0)
        close(lfd);
    if (cfd >= 0)
        close(cfd);
    return ok;
}
