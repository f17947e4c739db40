/* Unit tests of ringserver's parsers and small modules, compiled against their sources:
 * the strict HTTP parser (RFC 9112 cases, every prefix of valid requests is "incomplete",
 * random mutations never crash or read out of bounds under ASan), strict base64, the session
 * cookie (round trip, tampering, expiry, wrong key, its claims), the secrets, revocations, the
 * result cache, the timer wheel, the raw protocol's framing, loopback listeners, the
 * tls-server-end-point channel bindings and the SECURITY_STATUS table. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/base64.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64.h"
#include "check.h"
#include "config.h"
#include "http_answer.h"
#include "http_parser.h"
#include "raw_frame.h"
#include "result_cache.h"
#include "revocation.h"
#include "sec_status.h"
#include "secret.h"
#include "session_cookie.h"
#include "timer_wheel.h"
#include "tls_context.h"

static const struct rs_http_limits limits = {8192, 20, 100, "X-Client-Connection",
                                             "X-Negring-Frontend"};

static enum rs_http_result parse(const char *s, struct rs_http_request *req)
{
    return rs_http_parse((const uint8_t *)s, strlen(s), &limits, req);
}

static int status_of(const char *s)
{
    struct rs_http_request req;
    enum rs_http_result r = parse(s, &req);
    return r == RS_HTTP_DONE ? 0 : r == RS_HTTP_INCOMPLETE ? -1 : req.error_status;
}

static void test_http_valid(void)
{
    struct rs_http_request req;
    const char *s = "GET /a?b HTTP/1.1\r\nHost: x\r\nAuthorization:  Negotiate YWJj  \r\n"
                    "Cookie: a=1\r\nX-Client-Connection: c1\r\nContent-Length: 3\r\n\r\nabc";
    CHECK_EQ(parse(s, &req), RS_HTTP_DONE);
    CHECK(req.has_authorization && req.authorization.len == 14);
    CHECK_MEM(req.authorization.ptr, "Negotiate YWJj", 14);
    CHECK(req.has_cookie && req.has_client_id && req.keep_alive && !req.has_frontend);
    CHECK_EQ(req.content_length, 3);
    CHECK_EQ(req.head_len, strlen(s) - 3);
    CHECK(rs_slice_eq_nocase(req.method, "get") && req.target.len == 4);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nX-Negring-Frontend: s\r\n\r\n", &req),
             RS_HTTP_DONE);
    CHECK(req.has_frontend && req.frontend.len == 1);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-Negring-Frontend: s\r\n"
                       "x-negring-frontend: t\r\n\r\n"),
             400);
    CHECK_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 0);
    CHECK_EQ(status_of("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n", &req) ==
              RS_HTTP_DONE &&
          !req.keep_alive);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req) == RS_HTTP_DONE &&
          req.keep_alive);
    /* Every strict prefix of a valid request is incomplete, never an error. */
    for (size_t n = 0; n < strlen(s) - 3; n++) {
        char buf[512];
        memcpy(buf, s, n);
        CHECK_EQ(rs_http_parse((const uint8_t *)buf, n, &limits, &req), RS_HTTP_INCOMPLETE);
    }
}

static void test_http_refusals(void)
{
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: "
                       "chunked\r\n\r\n"),
             400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"), 413);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nA : b\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\nHost: x\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\x01\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/3.0\r\nHost: x\r\n\r\n"), 505);
    CHECK_EQ(status_of("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    CHECK_EQ(status_of("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET / HTTP/1.1\r\nHost: x\r\nX-Client-Connection: a\r\n"
                       "X-Client-Connection: b\r\n\r\n"),
             400);
    char many[2048] = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 25; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    CHECK_EQ(status_of(many), 431);
    char *big = malloc(9000);
    memset(big, 'a', 9000);
    memcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nA: ", 28);
    struct rs_http_request req;
    CHECK_EQ(rs_http_parse((const uint8_t *)big, 9000, &limits, &req), RS_HTTP_ERROR);
    CHECK_EQ(req.error_status, 431);
    free(big);
}

/* Every byte value at every place of a header value long enough for the 16-byte steps and the
 * tail after them: refused exactly when RFC 9110 §5.5 does not allow it (controls but HTAB, and
 * DEL; obs-text 0x80..0xff is allowed). */
static void test_http_field_value_bytes(void)
{
    const char *head = "GET / HTTP/1.1\r\nHost: x\r\nA: ";
    enum { VALUE = 37 };
    char req[128];
    size_t at = strlen(head);
    for (unsigned byte = 0; byte < 256; byte++) {
        if (byte == '\r' || byte == '\n')
            continue; /* line ends: refused as bare CR/LF, another rule */
        bool allowed = byte == '\t' || (byte >= 0x20 && byte != 0x7f);
        for (size_t pos = 1; pos + 1 < VALUE; pos++) { /* inside: trimming does not apply */
            memcpy(req, head, at);
            memset(req + at, 'v', VALUE);
            req[at + pos] = (char)byte;
            memcpy(req + at + VALUE, "\r\n\r\n", 4);
            struct rs_http_request r;
            enum rs_http_result got =
                rs_http_parse((const uint8_t *)req, at + VALUE + 4, &limits, &r);
            CHECK_EQ(got, allowed ? RS_HTTP_DONE : RS_HTTP_ERROR);
            if (!allowed && got == RS_HTTP_ERROR)
                CHECK_EQ(r.error_status, 400);
        }
    }
}

/* Mutations of a valid request: each result is a clean status; ASan checks the bounds. */
static void test_http_mutations(void)
{
    const char *s = "POST /x HTTP/1.1\r\nHost: x\r\nAuthorization: NTLM QUJD\r\n"
                    "Content-Length: 2\r\nCookie: a=b\r\n\r\nhi";
    size_t len = strlen(s);
    srand(4559);
    int outcomes[3] = {0};
    for (int i = 0; i < 20000; i++) {
        uint8_t *buf = malloc(len);
        memcpy(buf, s, len);
        for (int k = 0; k < 1 + rand() % 4; k++)
            buf[rand() % len] = (uint8_t)rand();
        size_t n = (size_t)rand() % (len + 1);
        struct rs_http_request req;
        enum rs_http_result r = rs_http_parse(buf, n, &limits, &req);
        outcomes[r]++;
        if (r == RS_HTTP_DONE)
            CHECK(req.head_len <= n);
        if (r == RS_HTTP_ERROR)
            CHECK(req.error_status >= 400 && req.error_status < 600);
        free(buf);
    }
    CHECK(outcomes[RS_HTTP_DONE] > 0 && outcomes[RS_HTTP_ERROR] > 0);
}

static void test_out_numbers_and_strings(void)
{
    struct rs_out o = {0};
    rs_out_uint(&o, 0);
    rs_out_strs(&o, " ", "a", "", "bc", NULL);
    rs_out_uint(&o, 7);
    rs_out_str(&o, " ");
    rs_out_uint(&o, 1234567890);
    rs_out_str(&o, " ");
    rs_out_uint(&o, UINT64_MAX);
    const char *want = "0 abc7 1234567890 18446744073709551615";
    CHECK(!o.failed && o.len == strlen(want) && memcmp(o.data, want, o.len) == 0);
    rs_out_free(&o);
}

/* A login's headers and JSON body, byte for byte: names with what JSON escapes (an NTLM name's
 * backslash, a quote), SIDs in headers and body, the group SIDs in the body only. */
static void test_identity_answer(void)
{
    struct rs_out head = {0}, body = {0};
    struct rs_identity id = {"EX\\o\"k",   "NTLM",       "handshake",
                             "S-1-5-21-1", "S-1-5-21-2", "S-1-5-21-3,S-1-18-1"};
    REQUIRE(rs_http_identity(&head, &body, &id));
    rs_http_end(&head, false, false, "application/json", body.data, body.len);
    const char *want_body = "{\"user\":\"EX\\\\o\\\"k\",\"realm\":\"EX\",\"mechanism\":\"NTLM\","
                            "\"source\":\"handshake\",\"user_sid\":\"S-1-5-21-1\","
                            "\"primary_group_sid\":\"S-1-5-21-2\","
                            "\"group_sids\":[\"S-1-5-21-3\",\"S-1-18-1\"]}\n";
    CHECK(body.len == strlen(want_body) && memcmp(body.data, want_body, body.len) == 0);
    char want_head[512];
    snprintf(want_head, sizeof(want_head),
             "X-Remote-User: EX\\o\"k\r\nX-Remote-Realm: EX\r\nX-Auth-Mechanism: NTLM\r\n"
             "X-Auth-Source: handshake\r\nX-Remote-User-SID: S-1-5-21-1\r\n"
             "X-Remote-Primary-Group-SID: S-1-5-21-2\r\nConnection: close\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(want_body), want_body);
    CHECK(head.len == strlen(want_head) && memcmp(head.data, want_head, head.len) == 0);
    struct rs_identity bad = {"a\rb", "NTLM", "handshake", NULL, NULL, NULL};
    CHECK(!rs_http_identity(&head, &body, &bad)); /* never a header split */
    rs_out_free(&head);
    rs_out_free(&body);
    struct rs_out line = {0};
    rs_http_begin(&line, 401);
    const char *want_line =
        "HTTP/1.1 401 Unauthorized\r\nServer: negring-ringserver\r\nCache-Control: no-store\r\n";
    CHECK(line.len == strlen(want_line) && memcmp(line.data, want_line, line.len) == 0);
    rs_out_free(&line);
}

static void test_b64(void)
{
    uint8_t out[16];
    size_t n;
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YWJj", 4, false, out, sizeof(out), &n), NE_B64_OK);
    CHECK(n == 3 && memcmp(out, "abc", 3) == 0);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YWI=", 4, false, out, sizeof(out), &n), NE_B64_OK);
    CHECK_EQ(n, 2);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YWI", 3, false, out, sizeof(out), &n), NE_B64_BAD);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"Y=Jj", 4, false, out, sizeof(out), &n), NE_B64_BAD);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YW j", 4, false, out, sizeof(out), &n), NE_B64_BAD);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YW-_", 4, false, out, sizeof(out), &n), NE_B64_BAD);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YW-_", 4, true, out, sizeof(out), &n), NE_B64_OK);
    CHECK_EQ(
        ne_b64_decode((const uint8_t *)"YWJjYWJjYWJjYWJjYWJjYWJj", 24, false, out, sizeof(out), &n),
        NE_B64_TOO_LONG);
    CHECK_EQ(ne_b64_decode((const uint8_t *)"", 0, false, out, sizeof(out), &n), NE_B64_OK);
}

static enum ne_b64_result b64(const char *s, bool url, uint8_t *out, size_t cap, size_t *n)
{
    return ne_b64_decode((const uint8_t *)s, strlen(s), url, out, cap, n);
}

/* RFC 4648: padding only at the end, never more than needed, its left-over bits zero (§3.5);
 * no whitespace, no byte outside the alphabet; the capacity is exact. */
static void test_b64_strictness(void)
{
    uint8_t out[16];
    size_t n;
    const char *bad[] = {"YQ=",      "YWJ=",    "YR==",      "YQ=a",  "Y===",     "====",
                         "YQ==YWJj", "YWJjYQ=", "YWJjYWI==", "YW\nj", "YWJj\r\n", " YWJ",
                         "YW%j",     "YW.j",    "YWJjYW=j",  "=YWJ",  "YQ=\0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(b64(bad[i], false, out, sizeof(out), &n), NE_B64_BAD);
        CHECK_EQ(b64(bad[i], true, out, sizeof(out), &n), NE_B64_BAD);
    }
    CHECK_EQ(ne_b64_decode((const uint8_t *)"YW\0j", 4, false, out, sizeof(out), &n), NE_B64_BAD);
    for (int c = 0; c < 256; c++) { /* every byte in every position of a group */
        bool std = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '+' || c == '/';
        bool url = std ? (c != '+' && c != '/') : (c == '-' || c == '_');
        for (int pos = 0; pos < 4; pos++) {
            uint8_t g[4] = {'Y', 'W', 'J', 'j'};
            g[pos] = (uint8_t)c;
            /* "YWJ=" is no exception: 'J' leaves non-zero bits over */
            CHECK_EQ(ne_b64_decode(g, 4, false, out, sizeof(out), &n) == NE_B64_OK, std);
            CHECK_EQ(ne_b64_decode(g, 4, true, out, sizeof(out), &n) == NE_B64_OK, url);
        }
    }
    /* "QUI=" decodes to 2 bytes: room for exactly 2 is enough, for 1 it is too long. */
    CHECK_EQ(b64("QUI=", false, out, 2, &n), NE_B64_OK);
    CHECK(n == 2 && memcmp(out, "AB", 2) == 0);
    CHECK_EQ(b64("QUI=", false, out, 1, &n), NE_B64_TOO_LONG);
    CHECK_EQ(b64("QUJD", false, out, 3, &n), NE_B64_OK);
    CHECK_EQ(b64("QUJD", false, out, 2, &n), NE_B64_TOO_LONG);
    CHECK_EQ(b64("Q UJ", false, out, 2, &n), NE_B64_BAD); /* bad beats too long */
    CHECK_EQ(b64("QQ==", false, out, 1, &n), NE_B64_OK);
    CHECK(n == 1 && out[0] == 'A');
}

/* Reference for the differential test: the alphabet checked first, then nettle's decoder (which
 * refuses misplaced padding and non-zero left-over bits itself). */
static bool nettle_strict(const uint8_t *in, size_t len, bool url, uint8_t *out, size_t *n)
{
    if (len % 4 != 0)
        return false;
    size_t pad = len >= 1 && in[len - 1] == '=' ? (len >= 2 && in[len - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < len - pad; i++) {
        uint8_t c = in[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alpha && !(url ? (c == '-' || c == '_') : (c == '+' || c == '/')))
            return false;
    }
    struct base64_decode_ctx ctx;
    if (url)
        base64url_decode_init(&ctx);
    else
        base64_decode_init(&ctx);
    *n = BASE64_DECODE_LENGTH(len);
    return base64_decode_update(&ctx, n, out, len, (const char *)in) && base64_decode_final(&ctx);
}

/* Round trip of random data of every length up to 300 in both alphabets, and random mutations
 * of the encodings, decoded by ne_b64_decode and by the nettle reference: same verdict, same
 * bytes. */
static void test_b64_against_nettle(void)
{
    uint8_t data[300], got[300], want[400];
    char enc[420];
    srand(4648);
    int refused = 0, accepted = 0;
    for (size_t len = 0; len <= sizeof(data); len++) {
        for (int url = 0; url < 2; url++) {
            for (size_t i = 0; i < len; i++)
                data[i] = (uint8_t)rand();
            struct base64_encode_ctx e;
            if (url)
                base64url_encode_init(&e);
            else
                base64_encode_init(&e);
            size_t elen = base64_encode_update(&e, enc, len, data);
            elen += base64_encode_final(&e, enc + elen);
            size_t n = 0;
            CHECK_EQ(ne_b64_decode((uint8_t *)enc, elen, url, got, sizeof(got), &n), NE_B64_OK);
            CHECK(n == len && memcmp(got, data, len) == 0);
            for (int m = 0; m < 20 && elen > 0; m++) {
                char mut[420];
                memcpy(mut, enc, elen);
                static const char pick[] = "=+/-_ \r\nAZaz09\x80\xff";
                size_t at = (size_t)rand() % elen;
                mut[at] = (m & 1) ? (char)rand() : pick[(size_t)rand() % (sizeof(pick) - 1)];
                size_t mlen = (m % 5 == 4) ? elen - 1 : elen;
                size_t rn = 0, wn = 0;
                bool r =
                    ne_b64_decode((uint8_t *)mut, mlen, url, got, sizeof(got), &rn) == NE_B64_OK;
                bool w = nettle_strict((uint8_t *)mut, mlen, url, want, &wn);
                CHECK_EQ(r, w);
                if (r && w)
                    CHECK(rn == wn && memcmp(got, want, rn) == 0);
                if (r)
                    accepted++;
                else
                    refused++;
            }
        }
    }
    CHECK(accepted > 1000 && refused > 1000); /* both verdicts exercised */
}

/* Writes `n` bytes of `byte` to a fresh file; its path goes to `path` (PATH_MAX). */
static void write_key_file(char *path, int byte, size_t n)
{
    strcpy(path, "/tmp/ringserver-cookie-key.XXXXXX");
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    uint8_t b[80];
    memset(b, byte, sizeof(b));
    REQUIRE(write(fd, b, n) == (ssize_t)n);
    close(fd);
}

static bool load_key(struct rs_secret *k, int byte, size_t n)
{
    char path[64], err[256];
    write_key_file(path, byte, n);
    bool ok = rs_secret_load(k, path, RS_COOKIE_KEY_MIN, RS_SECRET_BYTES, err, sizeof(err)) == 0;
    unlink(path);
    return ok;
}

static const struct rs_cookie_claims alice_claims = {.issued = 900,
                                                     .expires = 2000,
                                                     .scope = "kerberos@1.2.3.4:80",
                                                     .package = "Kerberos",
                                                     .user = "alice@R"};

static bool verifies(const struct rs_secret *k, struct rs_slice h)
{
    struct rs_cookie_claims c;
    return rs_cookie_verify(k, "negring_session", h, 1000, &c);
}

/* SIGHUP reloads the key: a new one replaces the old; a bad file keeps the old one. */
static void test_cookie_key_reload(void)
{
    struct rs_secret k = {0};
    CHECK(!load_key(&k, 1, 31)); /* too short */
    CHECK(k.len == 0);
    REQUIRE(load_key(&k, 1, 32));
    struct rs_out o = {0};
    rs_out_str(&o, "negring_session=");
    rs_cookie_make(&o, &k, &alice_claims);
    REQUIRE(!o.failed);
    struct rs_slice h = {o.data, o.len};
    CHECK(verifies(&k, h));
    CHECK(!load_key(&k, 2, 10));
    CHECK(!load_key(&k, 2, 65)); /* too long */
    CHECK(verifies(&k, h));      /* the refused files left the key as it was */
    char err[256];
    CHECK(rs_secret_load(&k, "/nonexistent/cookie.key", 32, RS_SECRET_BYTES, err, sizeof(err)) !=
          0);
    CHECK(verifies(&k, h));
    REQUIRE(load_key(&k, 2, 64));
    CHECK(k.len == 64);
    CHECK(!verifies(&k, h)); /* signed with the old key */
    rs_secret_wipe(&k);
    CHECK(k.len == 0 && !verifies(&k, h));
    rs_out_free(&o);
}

static void test_cookie(void)
{
    struct rs_secret k = {0}, other = {0};
    REQUIRE(load_key(&k, 7, 32));
    REQUIRE(load_key(&other, 8, 32));
    struct rs_out o = {0};
    rs_out_str(&o, "x=1; negring_session=");
    rs_cookie_make(&o, &k, &alice_claims);
    rs_out_str(&o, "; y=2");
    REQUIRE(!o.failed);
    struct rs_slice h = {o.data, o.len};
    struct rs_cookie_claims c;
    CHECK(rs_cookie_verify(&k, "negring_session", h, 1000, &c));
    CHECK(strcmp(c.user, "alice@R") == 0 && strcmp(c.package, "Kerberos") == 0);
    CHECK(strcmp(c.scope, "kerberos@1.2.3.4:80") == 0 && c.issued == 900 && c.expires == 2000);
    CHECK(!rs_cookie_verify(&k, "negring_session", h, 2000, &c)); /* expired */
    CHECK(!rs_cookie_verify(&other, "negring_session", h, 1000, &c));
    CHECK(!rs_cookie_verify(&k, "other", h, 1000, &c));
    for (size_t i = 21; i < o.len - 5; i++) { /* any changed byte of the value is refused */
        o.data[i] ^= 1;
        CHECK(!rs_cookie_verify(&k, "negring_session", h, 1000, &c));
        o.data[i] ^= 1;
    }
    struct rs_cookie_claims bad = alice_claims; /* '|' would shift the fields */
    strcpy(bad.scope, "kerberos|x");
    struct rs_out b = {0};
    rs_cookie_make(&b, &k, &bad);
    CHECK(b.failed);
    rs_out_free(&b);
    rs_out_free(&o);
}

/* The front-end secret: text, a final newline dropped, compared exactly. */
static void test_frontend_secret(void)
{
    char path[] = "/tmp/ringserver-secret.XXXXXX", err[256];
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "0123456789abcdefXYZ\n", 20) == 20);
    close(fd);
    struct rs_secret s = {0};
    CHECK(!rs_secret_equals(&s, (struct rs_slice){(const uint8_t *)"", 0})); /* none set */
    REQUIRE(rs_secret_load(&s, path, 16, RS_SECRET_TEXT, err, sizeof(err)) == 0);
    CHECK(rs_secret_equals(&s, (struct rs_slice){(const uint8_t *)"0123456789abcdefXYZ", 19}));
    CHECK(!rs_secret_equals(&s, (struct rs_slice){(const uint8_t *)"0123456789abcdefXYz", 19}));
    CHECK(!rs_secret_equals(&s, (struct rs_slice){(const uint8_t *)"0123456789abcdefXY", 18}));
    fd = open(path, O_WRONLY | O_TRUNC);
    REQUIRE(fd >= 0 && write(fd, "0123456789 abcdefXYZ", 20) == 20); /* a blank */
    close(fd);
    CHECK(rs_secret_load(&s, path, 16, RS_SECRET_TEXT, err, sizeof(err)) != 0);
    CHECK(rs_secret_equals(&s, (struct rs_slice){(const uint8_t *)"0123456789abcdefXYZ", 19}));
    unlink(path);
    rs_secret_wipe(&s);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* Revoked sessions by time, and NTLM sessions of accounts gone or disabled. */
static void test_revocation(void)
{
    char dir[] = "/tmp/ringserver-revocation.XXXXXX", rev[64], users[64], err[256];
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(rev, sizeof(rev), "%s/revoked", dir);
    snprintf(users, sizeof(users), "%s/users", dir);
    struct rs_config cfg = {0};
    strcpy(cfg.revocation_file, rev);
    strcpy(cfg.user_db, users);
    write_file(users, "EX:alice:31D6CFE0D16AE931B73C59D7E0C089C0:\n"
                      "EX:bob:31D6CFE0D16AE931B73C59D7E0C089C0:disabled\n");
    struct rs_revocation *r = NULL;
    REQUIRE(rs_revocation_load(&cfg, &r, err, sizeof(err)) == 0); /* no revocation file yet */
    CHECK(rs_revocation_allows(r, "Kerberos", "carol@R", 1));
    CHECK(rs_revocation_allows(r, "NTLM", "EX\\alice", 1));
    CHECK(rs_revocation_allows(r, "NTLM", "ex\\ALICE", 1));
    CHECK(!rs_revocation_allows(r, "NTLM", "EX\\bob", 1));   /* disabled */
    CHECK(!rs_revocation_allows(r, "NTLM", "EX\\carol", 1)); /* removed */
    rs_revocation_free(r);
    REQUIRE(rs_revocation_append(rev, "carol@R", 1000, err, sizeof(err)) == 0);
    REQUIRE(rs_revocation_append(rev, "carol@R", 500, err, sizeof(err)) == 0);
    REQUIRE(rs_revocation_append(rev, "EX\\alice", 700, err, sizeof(err)) == 0);
    CHECK(rs_revocation_append(rev, "bad\nname", 1, err, sizeof(err)) != 0);
    REQUIRE(rs_revocation_load(&cfg, &r, err, sizeof(err)) == 0);
    CHECK(!rs_revocation_allows(r, "Kerberos", "carol@R", 1000)); /* the latest revocation */
    CHECK(!rs_revocation_allows(r, "Kerberos", "CAROL@r", 999));
    CHECK(rs_revocation_allows(r, "Kerberos", "carol@R", 1001)); /* a login after it */
    CHECK(rs_revocation_allows(r, "Kerberos", "dave@R", 1));
    CHECK(!rs_revocation_allows(r, "NTLM", "EX\\alice", 700));
    CHECK(rs_revocation_allows(r, "NTLM", "EX\\alice", 701));
    rs_revocation_free(r);
    write_file(rev, "12 carol@R\nnot a line\n");
    r = NULL;
    CHECK(rs_revocation_load(&cfg, &r, err, sizeof(err)) != 0 && r == NULL);
    CHECK(strstr(err, "revoked:2") != NULL);
    CHECK(rs_revocation_allows(NULL, "NTLM", "anyone", 0));
    unlink(rev);
    unlink(users);
    rmdir(dir);
}

/* A self-signed certificate over a fresh key, signed with `md`: P-256, or RSA for MD5 (ECDSA
 * has no MD5). */
static X509 *self_signed(const EVP_MD *md)
{
    EVP_PKEY *key = md == EVP_md5() ? EVP_RSA_gen(1024) : EVP_EC_gen("P-256");
    X509 *x = X509_new();
    REQUIRE(key != NULL && x != NULL);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    REQUIRE(X509_set_pubkey(x, key) == 1 && X509_sign(x, key, md) > 0);
    EVP_PKEY_free(key);
    return x;
}

/* RFC 5929 §4.1 as Windows computes it: the signature's hash, but SHA-256 for MD5 and SHA-1. */
static void test_tls_server_end_point(void)
{
    struct {
        const EVP_MD *sign, *hash;
    } cases[] = {{EVP_sha256(), EVP_sha256()},
                 {EVP_sha384(), EVP_sha384()},
                 {EVP_sha512(), EVP_sha512()},
                 {EVP_sha1(), EVP_sha256()},
                 {EVP_md5(), EVP_sha256()}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X509 *x = self_signed(cases[i].sign);
        struct ne_channel_bindings b;
        REQUIRE(ne_tls_end_point_bindings(x, &b));
        uint8_t want[EVP_MAX_MD_SIZE];
        unsigned want_len = 0;
        REQUIRE(X509_digest(x, cases[i].hash, want, &want_len) == 1);
        SEC_CHANNEL_BINDINGS head;
        memcpy(&head, b.buf, sizeof(head));
        CHECK_EQ(head.dwApplicationDataOffset, sizeof(head));
        CHECK_EQ(head.cbApplicationDataLength, 21 + want_len);
        CHECK_EQ(b.len, sizeof(head) + 21 + want_len);
        CHECK_MEM(b.buf + sizeof(head), "tls-server-end-point:", 21);
        CHECK_MEM(b.buf + sizeof(head) + 21, want, want_len);
        CHECK_EQ(head.cbInitiatorLength + head.cbAcceptorLength, 0);
        X509_free(x);
    }
}

static void test_loopback(void)
{
    struct rs_config cfg;
    char err[256];
    char *argv[] = {"ringserver",
                    "--listen",
                    "127.0.0.2:1",
                    "--listen",
                    "10.0.0.1:1",
                    "--listen",
                    "[::1]:1",
                    "--listen",
                    "[::ffff:127.0.0.1]:1",
                    "--listen",
                    "[::]:1",
                    "--listen",
                    "0.0.0.0:1 service=a.b/c@R"};
    REQUIRE(rs_config_load(&cfg, 13, argv, err, sizeof(err)) == 0);
    CHECK(rs_listener_is_loopback(&cfg.listeners[0]));
    CHECK(!rs_listener_is_loopback(&cfg.listeners[1]));
    CHECK(rs_listener_is_loopback(&cfg.listeners[2]));
    CHECK(rs_listener_is_loopback(&cfg.listeners[3]));
    CHECK(!rs_listener_is_loopback(&cfg.listeners[4]));
    CHECK(!rs_listener_is_loopback(&cfg.listeners[5]));
    CHECK(strcmp(cfg.listeners[5].service, "a.b/c@R") == 0);
    char *bad[] = {"ringserver", "--listen", "0.0.0.0:1 service=a|b"};
    CHECK(rs_config_load(&cfg, 3, bad, err, sizeof(err)) != 0);
}

static void test_result_cache(void)
{
    struct rs_result_cache *c = rs_result_cache_create(1024, 60);
    REQUIRE(c != NULL);
    enum { K = RS_RESULT_KEY_LEN };
    uint8_t k1[K], k2[K], k3[K], again[K];
    rs_result_cache_key(c, "tcp:1.2.3.4:5", (const uint8_t *)"tok", 3, k1);
    rs_result_cache_key(c, "tcp:1.2.3.4:6", (const uint8_t *)"tok", 3, k2);
    rs_result_cache_key(c, "tcp:1.2.3.4:", (const uint8_t *)"5tok", 4, k3);
    CHECK(memcmp(k1, k2, K) != 0 && memcmp(k1, k3, K) != 0);
    rs_result_cache_key(c, "tcp:1.2.3.4:5", (const uint8_t *)"tok", 3, again);
    CHECK(memcmp(k1, again, K) == 0);
    /* keyed: another cache (another secret) gives the same input another key */
    struct rs_result_cache *other = rs_result_cache_create(1024, 60);
    REQUIRE(other != NULL);
    rs_result_cache_key(other, "tcp:1.2.3.4:5", (const uint8_t *)"tok", 3, again);
    CHECK(memcmp(k1, again, K) != 0);
    rs_result_cache_free(other);
    /* any bit of a token as long as a Kerberos one changes its key */
    uint8_t tok[1600], base_key[K], flipped[K];
    for (size_t i = 0; i < sizeof(tok); i++)
        tok[i] = (uint8_t)(i * 7);
    rs_result_cache_key(c, "id", tok, sizeof(tok), base_key);
    unsigned same = 0;
    for (size_t bit = 0; bit < 8 * sizeof(tok); bit += 13) {
        tok[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rs_result_cache_key(c, "id", tok, sizeof(tok), flipped);
        same += memcmp(base_key, flipped, K) == 0;
        tok[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_EQ(same, 0);
    struct rs_cached_result r = {.status = 0, .token_len = 2, .token = {0xa1, 0x00}}, got;
    strcpy(r.user, "alice@R");
    strcpy(r.package, "Kerberos");
    CHECK_EQ(rs_result_cache_get(c, k1, &got), 0);
    rs_result_cache_put(c, k1, &r);
    memset(&got, 0x5a, sizeof(got));
    CHECK_EQ(rs_result_cache_get(c, k1, &got), 1);
    CHECK(strcmp(got.user, "alice@R") == 0 && strcmp(got.package, "Kerberos") == 0);
    CHECK(got.status == 0 && got.token_len == 2 && got.token[0] == 0xa1 && got.token[1] == 0x00);
    struct rs_cached_result full = {.status = (SECURITY_STATUS)0x8009030c,
                                    .token_len = sizeof(full.token)};
    memset(full.user, 'u', sizeof(full.user) - 1);
    memset(full.package, 'p', sizeof(full.package) - 1);
    memset(full.token, 0xee, sizeof(full.token));
    rs_result_cache_put(c, k2, &full); /* every field at its largest comes back whole */
    CHECK_EQ(rs_result_cache_get(c, k2, &got), 1);
    CHECK(got.status == full.status && memcmp(got.user, full.user, sizeof(got.user)) == 0);
    CHECK(memcmp(got.package, full.package, sizeof(got.package)) == 0);
    CHECK(got.token_len == sizeof(got.token) &&
          memcmp(got.token, full.token, sizeof(got.token)) == 0);
    rs_result_cache_clear(c);
    CHECK_EQ(rs_result_cache_get(c, k2, &got), 0);
    rs_result_cache_clear(c); /* SIGHUP */
    CHECK_EQ(rs_result_cache_get(c, k1, &got), 0);
    rs_result_cache_put(c, k1, &r);
    CHECK_EQ(rs_result_cache_get(c, k1, &got), 1);
    for (int i = 0; i < 5000; i++) { /* eviction keeps it bounded and working */
        uint8_t k[K];
        rs_result_cache_key(c, "x", (const uint8_t *)&i, sizeof(i), k);
        rs_result_cache_put(c, k, &r);
    }
    rs_result_cache_free(c);
    CHECK(rs_result_cache_create(0, 60) == NULL);
}

static int fired;
static void on_fire(struct rs_timer *t, void *arg)
{
    (void)t;
    (void)arg;
    fired++;
}

static void test_timer_wheel(void)
{
    struct rs_wheel w;
    struct rs_timer a = {0}, b = {0}, far = {0};
    rs_wheel_init(&w, 1000);
    rs_wheel_set(&w, &a, 1100);
    rs_wheel_set(&w, &b, 1500);
    rs_wheel_set(&w, &far, 1000 + RS_WHEEL_SLOTS * RS_WHEEL_TICK_MS * 3);
    rs_wheel_advance(&w, 1099, on_fire, NULL);
    CHECK_EQ(fired, 0);
    rs_wheel_advance(&w, 1200, on_fire, NULL);
    CHECK_EQ(fired, 1);
    rs_wheel_clear(&b);
    rs_wheel_advance(&w, 2000, on_fire, NULL);
    CHECK_EQ(fired, 1);
    rs_wheel_advance(&w, 1000 + RS_WHEEL_SLOTS * RS_WHEEL_TICK_MS * 2, on_fire, NULL);
    CHECK_EQ(fired, 1); /* the far timer survived two turns */
    rs_wheel_advance(&w, 1000 + RS_WHEEL_SLOTS * RS_WHEEL_TICK_MS * 3, on_fire, NULL);
    CHECK_EQ(fired, 2);
}

/* The raw protocol's client framing (ringserver/raw_frame.c): every prefix of a frame needs
 * more, the whole frame (with trailing bytes of the next) is one token, length 0 is the empty
 * token, and a length over the limit is refused from the four length bytes alone. */
static void test_raw_frame(void)
{
    static const uint8_t two[] = {0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0, 0, 0, 1, 'z'};
    for (size_t i = 0; i < 7; i++)
        CHECK_EQ(rs_raw_frame_parse(two, i, 100).kind, RS_RAW_NEED_MORE);
    struct rs_raw_frame f = rs_raw_frame_parse(two, sizeof(two), 100);
    CHECK_EQ(f.kind, RS_RAW_FRAME);
    CHECK_EQ(f.consumed, 7);
    CHECK(f.token.ptr == two + 4 && f.token.len == 3);
    f = rs_raw_frame_parse(two + 7, sizeof(two) - 7, 100); /* the empty token */
    CHECK_EQ(f.kind, RS_RAW_FRAME);
    CHECK_EQ(f.consumed, 4);
    CHECK_EQ(f.token.len, 0);
    f = rs_raw_frame_parse(two + 11, sizeof(two) - 11, 100);
    CHECK(f.kind == RS_RAW_FRAME && f.consumed == 5 && f.token.ptr[0] == 'z');
    CHECK_EQ(rs_raw_frame_parse(two, 7, 3).kind, RS_RAW_FRAME); /* exactly the limit */
    CHECK_EQ(rs_raw_frame_parse(two, 4, 2).kind, RS_RAW_TOO_LARGE);
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
    f = rs_raw_frame_parse(huge, sizeof(huge), 65536);
    CHECK(f.kind == RS_RAW_TOO_LARGE && f.length == UINT32_MAX && f.consumed == 0);
    CHECK_EQ(rs_raw_frame_parse(huge, 3, 65536).kind, RS_RAW_NEED_MORE);
    CHECK_EQ(rs_raw_frame_parse(NULL, 0, 65536).kind, RS_RAW_NEED_MORE);
}

/* Whose fault a failure was picks the status class: the client's (401 with a new challenge,
 * 400 for a malformed token on plain listeners), the server's room (503, retry) or the
 * server's own error (500). */
static void test_failure_status(void)
{
    CHECK_EQ(rs_status_http(SEC_E_LOGON_DENIED, RS_MODE_HTTP), 401);
    CHECK_EQ(rs_status_http(SEC_E_TIME_SKEW, RS_MODE_AUTH_REQUEST), 401);
    CHECK_EQ(rs_status_http(SEC_E_INVALID_TOKEN, RS_MODE_HTTP), 400);
    CHECK_EQ(rs_status_http(SEC_E_INVALID_TOKEN, RS_MODE_AUTH_REQUEST), 401);
    CHECK_EQ(rs_status_http(SEC_E_INSUFFICIENT_MEMORY, RS_MODE_HTTP), 503);
    CHECK_EQ(rs_status_http(SEC_E_INSUFFICIENT_MEMORY, RS_MODE_AUTH_REQUEST), 503);
    CHECK_EQ(rs_status_http(SEC_E_INTERNAL_ERROR, RS_MODE_HTTP), 500);
    CHECK_EQ(rs_status_http(SEC_E_BUFFER_TOO_SMALL, RS_MODE_AUTH_REQUEST), 500);
    CHECK_EQ(rs_status_http(SEC_E_SECPKG_NOT_FOUND, RS_MODE_HTTP), 500);
    CHECK_EQ(rs_status_http(SEC_E_NO_CREDENTIALS, RS_MODE_HTTP), 401);
    CHECK_EQ(rs_status_http(SEC_E_OUT_OF_SEQUENCE, RS_MODE_HTTP), 401); /* not in the table */
    /* The metrics label follows the same split: out of memory is the server's error. */
    CHECK_EQ(rs_status_result(SEC_E_OK), RS_RESULT_OK);
    CHECK_EQ(rs_status_result(SEC_E_INVALID_TOKEN), RS_RESULT_INVALID);
    CHECK_EQ(rs_status_result(SEC_E_LOGON_DENIED), RS_RESULT_DENIED);
    CHECK_EQ(rs_status_result(SEC_E_INSUFFICIENT_MEMORY), RS_RESULT_ERROR);
    CHECK_EQ(rs_status_result(SEC_E_INTERNAL_ERROR), RS_RESULT_ERROR);
    CHECK_EQ(rs_status_result(SEC_E_SECPKG_NOT_FOUND), RS_RESULT_ERROR);
    CHECK_EQ(rs_status_result(SEC_E_BUFFER_TOO_SMALL), RS_RESULT_ERROR);
    CHECK_EQ(rs_status_result(SEC_E_TIME_SKEW), RS_RESULT_DENIED);
    CHECK_EQ(rs_status_result(SEC_E_OUT_OF_SEQUENCE), RS_RESULT_DENIED);
}

/* The reason texts reach logs, raw 'E' frames and JSON errors, where operators and tests read
 * them: each one exactly. */
static void test_status_reasons(void)
{
    static const struct {
        SECURITY_STATUS s;
        const char *reason;
    } want[] = {
        {SEC_E_OK, "ok"},
        {SEC_E_INVALID_TOKEN, "malformed token"},
        {SEC_E_LOGON_DENIED, "logon denied"},
        {SEC_E_NO_AUTHENTICATING_AUTHORITY, "no key for the ticket's realm"},
        {SEC_E_WRONG_PRINCIPAL, "ticket for another service"},
        {SEC_E_TIME_SKEW, "clock skew too great"},
        {SEC_E_CONTEXT_EXPIRED, "ticket expired"},
        {SEC_E_BAD_BINDINGS, "channel bindings differ"},
        {SEC_E_MESSAGE_ALTERED, "mechListMIC did not verify"},
        {SEC_E_INSUFFICIENT_MEMORY, "out of memory or table full"},
        {SEC_E_INVALID_HANDLE, "stale context"},
        {SEC_E_SECPKG_NOT_FOUND, "package not available"},
        {SEC_E_INTERNAL_ERROR, "internal error"},
        {SEC_E_BUFFER_TOO_SMALL, "answer larger than the token limit"},
        {SEC_E_NO_CREDENTIALS, "no usable keys (keytab missing, empty or unreadable?)"},
        {SEC_E_UNKNOWN_CREDENTIALS, "unknown credentials"},
        {SEC_E_INVALID_PARAMETER, "invalid parameter (a malformed NTLM account file?)"},
        {SEC_E_OUT_OF_SEQUENCE, "refused"},
        {SEC_I_CONTINUE_NEEDED, "refused"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK(strcmp(rs_status_reason(want[i].s), want[i].reason) == 0);
}

int main(void)
{
    test_http_valid();
    test_http_refusals();
    test_http_field_value_bytes();
    test_http_mutations();
    test_out_numbers_and_strings();
    test_identity_answer();
    test_b64();
    test_b64_strictness();
    test_b64_against_nettle();
    test_cookie();
    test_cookie_key_reload();
    test_frontend_secret();
    test_revocation();
    test_loopback();
    test_tls_server_end_point();
    test_result_cache();
    test_timer_wheel();
    test_raw_frame();
    test_failure_status();
    test_status_reasons();
    return check_report();
}
