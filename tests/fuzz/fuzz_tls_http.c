/* ringserver's TLS-to-HTTP glue (ringserver/tls_session.c: OpenSSL over our memory BIO, whole
 * records only, the stash of a record still arriving, sealing answers) with a real OpenSSL
 * client on the other side, after a real handshake (TLS 1.2 or 1.3, by the first byte), on a
 * context made by ringserver's own tls_context.c. The rest of the input is a script of steps:
 *   0 LEN BYTES  the client sends LEN bytes of plaintext (one record per step)
 *   1 N          N bytes (mod what is pending) of the client's ciphertext reach the server,
 *                which decrypts into a stream that the strict HTTP parser consumes request by
 *                request, as ringserver does
 *   2 POS BIT    a bit of the ciphertext not yet delivered flips
 *   3 LEN BYTES  LEN garbage bytes join the ciphertext not yet delivered
 *   4 LEN        the server seals an answer of LEN bytes, which the client must read back
 * Invariants: the server's plaintext is always a prefix of what the client sent (altered or
 * injected bytes never come out as plaintext); untouched, everything sent comes out, in order,
 * whatever the delivery splits; answers arrive intact; no crash or leak. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_check.h"
#include "http_parser.h"
#include "tls_context.h"
#include "tls_session.h"

#define MAX_STREAM (65536 + RS_TLS_RECORD_MAX)

static SSL_CTX *server_ctx, *client_ctx;
static struct rs_ticket_keys keys;
static const struct rs_http_limits limits = {8192, 64, 4096, "", ""};

/* A P-256 certificate for localhost in two temporary files, for rs_tls_context_new. */
static void make_files(char *cert, char *key)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FUZZ_CHECK(pk != NULL && x != NULL);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    FUZZ_CHECK(X509_set_pubkey(x, pk) == 1 && X509_sign(x, pk, EVP_sha256()) > 0);
    strcpy(cert, "/tmp/fuzz-tls-cert.XXXXXX");
    strcpy(key, "/tmp/fuzz-tls-key.XXXXXX");
    FILE *c = fdopen(mkstemp(cert), "w"), *k = fdopen(mkstemp(key), "w");
    FUZZ_CHECK(c != NULL && k != NULL && PEM_write_X509(c, x) == 1 &&
               PEM_write_PrivateKey(k, pk, NULL, NULL, 0, NULL, NULL) == 1);
    fclose(c);
    fclose(k);
    X509_free(x);
    EVP_PKEY_free(pk);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static struct rs_config cfg;
    char *args[] = {"fuzz", NULL}, err[256];
    FUZZ_CHECK(rs_config_load(&cfg, 1, args, err, sizeof(err)) == 0); /* the defaults */
    struct rs_listener_config l = {.mode = RS_MODE_HTTP, .tls = true};
    strcpy(l.text, "fuzz");
    make_files(l.cert, l.key);
    FUZZ_CHECK(rs_ticket_keys_rotate(&keys) == 0);
    server_ctx = rs_tls_context_new(&cfg, &l, &keys, err, sizeof(err));
    unlink(l.cert);
    unlink(l.key);
    client_ctx = SSL_CTX_new(TLS_client_method());
    FUZZ_CHECK(server_ctx != NULL && client_ctx != NULL);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_alpn_protos(client_ctx, (const unsigned char *)"\x08http/1.1", 9);
    return 0;
}

struct run {
    struct rs_tls_session *server;
    SSL *client;
    BIO *to_client, *from_client; /* the client's read and write BIOs */
    uint8_t wire[MAX_STREAM];     /* client ciphertext not yet delivered */
    size_t wire_len;
    uint8_t sent[MAX_STREAM], got[MAX_STREAM];
    size_t sent_len, got_len, parsed;
    bool tampered, failed;
};

static void pull_client_output(struct run *r)
{
    int n;
    while (r->wire_len < sizeof(r->wire) &&
           (n = BIO_read(r->from_client, r->wire + r->wire_len,
                         (int)(sizeof(r->wire) - r->wire_len))) > 0)
        r->wire_len += (size_t)n;
}

/* As conn.c: each whole request the stream holds goes to the parser; an error ends it. */
static void consume_requests(struct run *r)
{
    while (r->parsed < r->got_len) {
        struct rs_http_request req;
        const uint8_t *p = r->got + r->parsed;
        size_t n = r->got_len - r->parsed;
        enum rs_http_result res = rs_http_parse(p, n, &limits, &req);
        if (res == RS_HTTP_INCOMPLETE)
            return;
        if (res == RS_HTTP_ERROR) {
            r->parsed = r->got_len;
            return;
        }
        size_t total = req.head_len + (size_t)req.content_length;
        FUZZ_CHECK(req.head_len > 0 && req.head_len <= n);
        if (total > n)
            return;
        r->parsed += total;
    }
}

/* Server output to the client; the server's reads of `n` delivered bytes. */
static void deliver(struct run *r, size_t n)
{
    if (n > r->wire_len)
        n = r->wire_len;
    if (!r->failed && rs_tls_offer(r->server, r->wire, n)) {
        for (;;) {
            size_t got;
            uint8_t *buf = r->got + r->got_len;
            size_t cap = sizeof(r->got) - r->got_len;
            if (cap < RS_TLS_RECORD_MAX) /* the client cannot send more than fits */
                break;
            enum rs_tls_read res = rs_tls_read(r->server, buf, cap, &got);
            if (res != RS_TLS_PLAINTEXT) {
                r->failed = res == RS_TLS_FAILED || res == RS_TLS_CLOSED;
                break;
            }
            FUZZ_CHECK(r->got_len + got <= r->sent_len &&
                       memcmp(buf, r->sent + r->got_len, got) == 0);
            r->got_len += got;
        }
    } else {
        r->failed = true;
    }
    memmove(r->wire, r->wire + n, r->wire_len - n);
    r->wire_len -= n;
    struct rs_out out = {0};
    if (rs_tls_take_output(r->server, &out))
        BIO_write(r->to_client, out.data, (int)out.len);
    rs_out_free(&out);
    consume_requests(r);
}

static bool handshake(struct run *r)
{
    for (int i = 0; i < 10 && !rs_tls_established(r->server); i++) {
        SSL_do_handshake(r->client);
        pull_client_output(r);
        deliver(r, r->wire_len);
    }
    SSL_do_handshake(r->client); /* the server's last flight, and TLS 1.3 tickets */
    return rs_tls_established(r->server) && SSL_is_init_finished(r->client);
}

static void answer(struct run *r, size_t len)
{
    static uint8_t msg[4096], back[4096];
    memset(msg, 'a' + (int)(len % 26), len);
    if (r->failed || !rs_tls_seal(r->server, msg, len, false))
        return;
    struct rs_out out = {0};
    FUZZ_CHECK(rs_tls_take_output(r->server, &out) || len == 0);
    BIO_write(r->to_client, out.data, (int)out.len);
    rs_out_free(&out);
    size_t have = 0, n;
    while (have < len && SSL_read_ex(r->client, back + have, len - have, &n) == 1)
        have += n;
    FUZZ_CHECK(have == len && memcmp(back, msg, len) == 0);
}

static void step(struct run *r, const uint8_t *data, size_t size, size_t *i)
{
    uint8_t op = data[(*i)++] % 5, arg = *i < size ? data[(*i)++] : 0;
    switch (op) {
    case 0: {
        size_t n = arg < size - *i ? arg : size - *i;
        size_t written = 0;
        if (n > 0 && r->sent_len + n <= sizeof(r->sent) - RS_TLS_RECORD_MAX &&
            SSL_write_ex(r->client, data + *i, n, &written) == 1) {
            memcpy(r->sent + r->sent_len, data + *i, written);
            r->sent_len += written;
            pull_client_output(r);
        }
        *i += n;
        break;
    }
    case 1:
        deliver(r, r->wire_len == 0 ? 0 : (size_t)arg * 64 % (r->wire_len + 1));
        break;
    case 2:
        if (r->wire_len > 0) {
            r->wire[(size_t)arg * 131 % r->wire_len] ^= (uint8_t)(1u << (arg % 8));
            r->tampered = true;
        }
        break;
    case 3: {
        size_t n = arg < size - *i ? arg : size - *i;
        if (n > 0 && r->wire_len + n <= sizeof(r->wire)) {
            memcpy(r->wire + r->wire_len, data + *i, n);
            r->wire_len += n;
            r->tampered = true;
        }
        *i += n;
        break;
    }
    default:
        answer(r, (size_t)arg * 16);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run r;
    if (size < 1)
        return 0;
    memset(&r, 0, sizeof(r));
    r.server = rs_tls_session_new(server_ctx);
    r.client = SSL_new(client_ctx);
    r.to_client = BIO_new(BIO_s_mem());
    r.from_client = BIO_new(BIO_s_mem());
    FUZZ_CHECK(r.server && r.client && r.to_client && r.from_client);
    SSL_set_bio(r.client, r.to_client, r.from_client);
    SSL_set_tlsext_host_name(r.client, "localhost");
    int version = data[0] & 1 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_set_min_proto_version(r.client, version);
    SSL_set_max_proto_version(r.client, version);
    SSL_set_connect_state(r.client);
    FUZZ_CHECK(handshake(&r));
    for (size_t i = 1; i < size;)
        step(&r, data, size, &i);
    deliver(&r, r.wire_len);
    if (!r.tampered)
        FUZZ_CHECK(!r.failed && r.got_len == r.sent_len);
    rs_tls_session_free(r.server);
    SSL_free(r.client);
    ERR_clear_error();
    return 0;
}
