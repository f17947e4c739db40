/* ringserver/proxy_protocol.c: PROXY protocol v2 headers as HAProxy sends them (IPv4, IPv6,
 * LOCAL, TLVs, a CRC32C TLV), every truncation of a good one, and each kind of bad one. */
#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "proxy_protocol.h"

static const uint8_t signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                      0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

struct header {
    uint8_t b[RS_PROXY_MAX_HEADER + 64];
    size_t len;
};

static void put(struct header *h, const void *p, size_t n)
{
    memcpy(h->b + h->len, p, n);
    h->len += n;
}

static void put_be16(struct header *h, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(h, b, 2);
}

/* The fixed part; the length field is filled by finish(). */
static void begin(struct header *h, uint8_t ver_cmd, uint8_t family)
{
    h->len = 0;
    put(h, signature, sizeof(signature));
    put(h, &ver_cmd, 1);
    put(h, &family, 1);
    put_be16(h, 0);
}

static void put_ipv4(struct header *h, const char *src, const char *dst, uint16_t sport,
                     uint16_t dport)
{
    uint8_t a[4];
    inet_pton(AF_INET, src, a);
    put(h, a, 4);
    inet_pton(AF_INET, dst, a);
    put(h, a, 4);
    put_be16(h, sport);
    put_be16(h, dport);
}

static void put_tlv(struct header *h, uint8_t type, const void *value, uint16_t n)
{
    put(h, &type, 1);
    put_be16(h, n);
    put(h, value, n);
}

static void finish(struct header *h)
{
    uint16_t n = (uint16_t)(h->len - 16);
    h->b[14] = (uint8_t)(n >> 8);
    h->b[15] = (uint8_t)n;
}

/* A CRC32C TLV (§2.2.5) as the last TLV, its value computed over the finished header. */
static void put_crc_and_finish(struct header *h)
{
    static const uint8_t zero[4];
    put_tlv(h, 0x03, zero, 4);
    finish(h);
    uint32_t crc = rs_crc32c(0, h->b, h->len);
    uint8_t v[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    memcpy(h->b + h->len - 4, v, 4);
}

static enum rs_proxy_result parse(const struct header *h, struct rs_proxy_header *out)
{
    return rs_proxy_parse(h->b, h->len, out);
}

static void test_crc32c_vector(void)
{
    const char *v = "123456789";
    CHECK_EQ(rs_crc32c(0, (const uint8_t *)v, 9), 0xE3069283u);
    /* In pieces, and past the 8-byte steps of the instruction path. */
    uint32_t crc = rs_crc32c(0, (const uint8_t *)v, 4);
    CHECK_EQ(rs_crc32c(crc, (const uint8_t *)v + 4, 5), 0xE3069283u);
    CHECK_EQ(rs_crc32c(0, NULL, 0), 0);
    /* RFC 3720 §B.4: 32 bytes of zeros. */
    uint8_t zeros[32] = {0};
    CHECK_EQ(rs_crc32c(0, zeros, 32), 0x8A9136AAu);
}

static void test_ipv4_client(void)
{
    struct header h;
    struct rs_proxy_header out;
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "203.0.113.7", "127.0.0.1", 51234, 8080);
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_CLIENT);
    CHECK_EQ(out.length, 28);
    const struct sockaddr_in *s = (const struct sockaddr_in *)&out.source;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &s->sin_addr, text, sizeof(text));
    CHECK(s->sin_family == AF_INET && strcmp(text, "203.0.113.7") == 0);
    CHECK_EQ(ntohs(s->sin_port), 51234);
    CHECK_EQ(out.source_len, sizeof(struct sockaddr_in));
    const struct sockaddr_in *d = (const struct sockaddr_in *)&out.destination;
    CHECK_EQ(ntohs(d->sin_port), 8080);
    /* The payload after the header is not the parser's: the length says where it starts. */
    put(&h, "GET / HTTP/1.1\r\n", 16);
    CHECK_EQ(parse(&h, &out), RS_PROXY_CLIENT);
    CHECK_EQ(out.length, 28);
}

static void test_ipv6_client(void)
{
    struct header h;
    struct rs_proxy_header out;
    uint8_t a[16];
    begin(&h, 0x21, 0x21);
    inet_pton(AF_INET6, "2001:db8::42", a);
    put(&h, a, 16);
    inet_pton(AF_INET6, "::1", a);
    put(&h, a, 16);
    put_be16(&h, 40000);
    put_be16(&h, 443);
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_CLIENT);
    CHECK_EQ(out.length, 52);
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&out.source;
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof(text));
    CHECK(s->sin6_family == AF_INET6 && strcmp(text, "2001:db8::42") == 0);
    CHECK_EQ(ntohs(s->sin6_port), 40000);
    CHECK_EQ(out.source_len, sizeof(struct sockaddr_in6));
}

/* HAProxy's health checks: LOCAL, no address (UNSPEC), or an address to ignore. */
static void test_local(void)
{
    struct header h;
    struct rs_proxy_header out;
    begin(&h, 0x20, 0x00);
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_LOCAL);
    CHECK_EQ(out.length, 16);
    begin(&h, 0x20, 0x11);
    put_ipv4(&h, "10.0.0.1", "10.0.0.2", 1, 2);
    put_crc_and_finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_LOCAL);
    CHECK_EQ(out.length, 35);
    /* LOCAL for a UNIX socket: the block is skipped, not read. */
    begin(&h, 0x20, 0x31);
    uint8_t unix_block[216] = {0};
    put(&h, unix_block, sizeof(unix_block));
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_LOCAL);
    /* TLVs after a LOCAL header are checked too. */
    begin(&h, 0x20, 0x00);
    put(&h, "\x04\x00", 2); /* a TLV cut after its type and half its length */
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
}

static void test_tlvs(void)
{
    struct header h;
    struct rs_proxy_header out;
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "198.51.100.9", "127.0.0.1", 1000, 80);
    put_tlv(&h, 0x01, "http/1.1", 8);         /* ALPN */
    put_tlv(&h, 0x02, "www.example.com", 15); /* authority */
    put_tlv(&h, 0x04, "", 0);                 /* NOOP, empty */
    put_crc_and_finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_CLIENT);
    CHECK_EQ(out.length, h.len);

    /* Each byte of a CRC-protected header altered: refused (the CRC, or what the byte means).
     * Not the CRC TLV's own type byte: altered, the TLV is another one and the header has no
     * checksum at all (§2.2.5 protects against corruption, not against an attacker). */
    size_t crc_type_at = h.len - 7;
    for (size_t i = 16; i < h.len; i++) {
        if (i == crc_type_at)
            continue;
        struct header bad = h;
        bad.b[i] ^= 0x01;
        CHECK_EQ(parse(&bad, &out), RS_PROXY_REFUSED);
    }

    /* A TLV running past the header, and one that stops short of filling it. */
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "198.51.100.9", "127.0.0.1", 1000, 80);
    put_tlv(&h, 0x01, "h2", 2);
    finish(&h);
    h.b[h.len - 3] = 3; /* the TLV says 3 bytes, 2 remain */
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
    CHECK(out.reason != NULL && strstr(out.reason, "TLV") != NULL);
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "198.51.100.9", "127.0.0.1", 1000, 80);
    put(&h, "\x01", 1); /* a lone type byte */
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);

    /* A CRC TLV of the wrong size, and two of them. */
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "198.51.100.9", "127.0.0.1", 1000, 80);
    put_tlv(&h, 0x03, "abc", 3);
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "198.51.100.9", "127.0.0.1", 1000, 80);
    put_tlv(&h, 0x03, "\0\0\0\0", 4);
    put_crc_and_finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
}

/* Every strict prefix of a valid header is NEED_MORE, never a verdict on missing bytes. */
static void test_truncations(void)
{
    struct header h;
    struct rs_proxy_header out;
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "203.0.113.7", "127.0.0.1", 51234, 8080);
    put_tlv(&h, 0x01, "http/1.1", 8);
    put_crc_and_finish(&h);
    for (size_t n = 0; n < h.len; n++)
        CHECK_EQ(rs_proxy_parse(h.b, n, &out), RS_PROXY_NEED_MORE);
    CHECK_EQ(rs_proxy_parse(h.b, h.len, &out), RS_PROXY_CLIENT);
}

static void test_refusals(void)
{
    struct header h;
    struct rs_proxy_header out;
    /* Not the signature: refused as soon as a byte differs, even before 12 have come. */
    CHECK_EQ(rs_proxy_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &out), RS_PROXY_REFUSED);
    CHECK_EQ(rs_proxy_parse((const uint8_t *)"\r\n\r\nX", 5, &out), RS_PROXY_REFUSED);
    CHECK_EQ(rs_proxy_parse((const uint8_t *)"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 32, &out),
             RS_PROXY_REFUSED);
    CHECK_EQ(rs_proxy_parse((const uint8_t *)"\x16\x03\x01\x02\x00", 5, &out), RS_PROXY_REFUSED);

    static const struct {
        uint8_t ver_cmd, family;
    } bad_fixed[] = {
        {0x11, 0x11},               /* version 1 in the binary form */
        {0x31, 0x11},               /* version 3 */
        {0x22, 0x11},               /* command 2 */
        {0x2f, 0x11},               /* command 15 */
        {0x21, 0x12},               /* PROXY over UDP */
        {0x21, 0x22}, {0x21, 0x31}, /* PROXY for a UNIX socket */
        {0x21, 0x00},               /* PROXY, unspecified */
        {0x21, 0x13},               /* transport 3 */
        {0x21, 0x41},               /* family 4 */
        {0x20, 0x41},               /* the same with LOCAL */
    };
    for (size_t i = 0; i < sizeof(bad_fixed) / sizeof(bad_fixed[0]); i++) {
        begin(&h, bad_fixed[i].ver_cmd, bad_fixed[i].family);
        put_ipv4(&h, "203.0.113.7", "127.0.0.1", 1, 2);
        finish(&h);
        CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
        CHECK(out.reason != NULL);
    }

    /* A length shorter than the address block, refused before the rest arrives. */
    begin(&h, 0x21, 0x21);
    put_ipv4(&h, "203.0.113.7", "127.0.0.1", 1, 2); /* 12 bytes where IPv6 needs 36 */
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
    CHECK_EQ(rs_proxy_parse(h.b, 16, &out), RS_PROXY_REFUSED);

    /* Longer than ringserver accepts: refused from the fixed part alone. */
    begin(&h, 0x21, 0x11);
    h.b[14] = 0xff;
    h.b[15] = 0xff;
    CHECK_EQ(rs_proxy_parse(h.b, 16, &out), RS_PROXY_REFUSED);
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "203.0.113.7", "127.0.0.1", 1, 2);
    uint8_t filler[RS_PROXY_MAX_HEADER] = {0};
    put_tlv(&h, 0x04, filler, (uint16_t)(RS_PROXY_MAX_HEADER - h.len - 3)); /* exactly the max */
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_CLIENT);
    CHECK_EQ(out.length, RS_PROXY_MAX_HEADER);
    begin(&h, 0x21, 0x11);
    put_ipv4(&h, "203.0.113.7", "127.0.0.1", 1, 2);
    put_tlv(&h, 0x04, filler, (uint16_t)(RS_PROXY_MAX_HEADER - h.len - 2)); /* one past it */
    finish(&h);
    CHECK_EQ(parse(&h, &out), RS_PROXY_REFUSED);
}

static void test_header_like(void)
{
    CHECK(rs_proxy_header_like(signature, sizeof(signature)));
    CHECK(!rs_proxy_header_like(signature, sizeof(signature) - 1));
    CHECK(rs_proxy_header_like((const uint8_t *)"PROXY TCP4 ", 11));
    CHECK(!rs_proxy_header_like((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
    CHECK(!rs_proxy_header_like((const uint8_t *)"PROXYZ", 6));
}

int main(void)
{
    test_crc32c_vector();
    test_ipv4_client();
    test_ipv6_client();
    test_local();
    test_tlvs();
    test_truncations();
    test_refusals();
    test_header_like();
    return check_report();
}
