/* PROXY protocol v2 header parser (see proxy_protocol.h). */
#include "proxy_protocol.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"

static const uint8_t signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                      0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

enum { CMD_LOCAL = 0x0, CMD_PROXY = 0x1 };
enum {
    FAMILY_UNSPEC = 0x00,
    TCP_OVER_IPV4 = 0x11,
    UDP_OVER_IPV4 = 0x12,
    TCP_OVER_IPV6 = 0x21,
    UDP_OVER_IPV6 = 0x22,
    STREAM_OVER_UNIX = 0x31,
    DGRAM_OVER_UNIX = 0x32,
};
enum { PP2_TYPE_CRC32C = 0x03 };

/* Bit by bit: the fallback for CPUs without a CRC32C instruction; a header is at most 2 KiB. */
static uint32_t crc32c_portable(uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* SSE 4.2's CRC32 instruction computes exactly CRC-32C, eight bytes a step. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p,
                                                               size_t n)
{
    uint64_t c = crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
    }
    crc = (uint32_t)c;
    for (; n > 0; p++, n--)
        crc = _mm_crc32_u8(crc, *p);
    return crc;
}

static bool have_sse42(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t n)
{
    return crc32c_portable(crc, p, n);
}

static bool have_sse42(void)
{
    return false;
}
#endif

uint32_t rs_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    crc = have_sse42() ? crc32c_sse42(crc, p, n) : crc32c_portable(crc, p, n);
    return ~crc;
}

static enum rs_proxy_result refuse(struct rs_proxy_header *out, const char *why)
{
    out->reason = why;
    return RS_PROXY_REFUSED;
}

static uint16_t be16(struct rs_cursor *c)
{
    struct rs_slice s = rs_cursor_take(c, 2);
    return s.ptr == NULL ? 0 : (uint16_t)(s.ptr[0] << 8 | s.ptr[1]);
}

/* §2.2: src_addr, dst_addr, src_port, dst_port, network byte order. */
static void read_inet(struct rs_cursor *c, int family, struct rs_proxy_header *out)
{
    size_t alen = family == AF_INET ? 4 : 16;
    struct rs_slice src = rs_cursor_take(c, alen), dst = rs_cursor_take(c, alen);
    uint16_t sport = be16(c), dport = be16(c);
    if (c->error)
        return;
    memset(&out->source, 0, sizeof(out->source));
    memset(&out->destination, 0, sizeof(out->destination));
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&out->source,
                           *d = (struct sockaddr_in *)&out->destination;
        s->sin_family = d->sin_family = AF_INET;
        memcpy(&s->sin_addr, src.ptr, 4);
        memcpy(&d->sin_addr, dst.ptr, 4);
        s->sin_port = htons(sport), d->sin_port = htons(dport);
        out->source_len = sizeof(*s);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->source,
                            *d = (struct sockaddr_in6 *)&out->destination;
        s->sin6_family = d->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, src.ptr, 16);
        memcpy(&d->sin6_addr, dst.ptr, 16);
        s->sin6_port = htons(sport), d->sin6_port = htons(dport);
        out->source_len = sizeof(*s);
    }
}

/* §2.2.x: type, 16-bit length, value, until the header's end exactly. A CRC32C TLV must hold
 * four bytes and the checksum of the whole header with those four bytes zero. */
static const char *check_tlvs(struct rs_cursor tlvs, const uint8_t *header, size_t header_len)
{
    bool seen_crc = false;
    while (tlvs.len > 0) {
        struct rs_slice type = rs_cursor_take(&tlvs, 1);
        uint16_t n = be16(&tlvs);
        struct rs_slice value = rs_cursor_take(&tlvs, n);
        if (tlvs.error)
            return "TLV runs past the header";
        if (type.ptr[0] != PP2_TYPE_CRC32C)
            continue;
        if (n != 4 || seen_crc)
            return "malformed CRC32C TLV";
        seen_crc = true;
        size_t at = (size_t)(value.ptr - header);
        uint32_t want = (uint32_t)value.ptr[0] << 24 | (uint32_t)value.ptr[1] << 16 |
                        (uint32_t)value.ptr[2] << 8 | value.ptr[3];
        static const uint8_t zero[4];
        uint32_t crc = rs_crc32c(0, header, at);
        crc = rs_crc32c(crc, zero, 4);
        crc = rs_crc32c(crc, header + at + 4, header_len - at - 4);
        if (crc != want)
            return "CRC32C does not match";
    }
    return NULL;
}

/* The fixed part (§2.2): signature, version and command, family and transport, length. */
static enum rs_proxy_result parse_fixed(struct rs_cursor *c, uint8_t *command, uint8_t *family,
                                        uint16_t *length, struct rs_proxy_header *out)
{
    size_t have = c->len < sizeof(signature) ? c->len : sizeof(signature);
    if (memcmp(c->ptr, signature, have) != 0)
        return refuse(out, "no PROXY protocol v2 signature");
    if (c->len < 16)
        return RS_PROXY_NEED_MORE;
    rs_cursor_take(c, sizeof(signature));
    uint8_t ver_cmd = rs_cursor_take(c, 1).ptr[0];
    *family = rs_cursor_take(c, 1).ptr[0];
    *length = be16(c);
    *command = ver_cmd & 0x0f;
    if (ver_cmd >> 4 != 2)
        return refuse(out, "not version 2");
    if (*command != CMD_LOCAL && *command != CMD_PROXY)
        return refuse(out, "unknown command");
    if (16 + (size_t)*length > RS_PROXY_MAX_HEADER)
        return refuse(out, "header longer than ringserver accepts");
    return RS_PROXY_CLIENT;
}

/* §2.2: the size of the address block each family and transport byte implies; -1 for a byte
 * the specification does not define. */
static long address_block_size(uint8_t family)
{
    switch (family) {
    case FAMILY_UNSPEC:
        return 0;
    case TCP_OVER_IPV4:
    case UDP_OVER_IPV4:
        return 12;
    case TCP_OVER_IPV6:
    case UDP_OVER_IPV6:
        return 36;
    case STREAM_OVER_UNIX:
    case DGRAM_OVER_UNIX:
        return 216;
    default:
        return -1;
    }
}

enum rs_proxy_result rs_proxy_parse(const uint8_t *buf, size_t len, struct rs_proxy_header *out)
{
    struct rs_cursor c = rs_cursor_make(buf, len);
    uint8_t command, family;
    uint16_t length;
    *out = (struct rs_proxy_header){0};
    if (len == 0)
        return RS_PROXY_NEED_MORE;
    enum rs_proxy_result r = parse_fixed(&c, &command, &family, &length, out);
    if (r != RS_PROXY_CLIENT)
        return r;
    long addr_len = address_block_size(family);
    if (addr_len < 0)
        return refuse(out, "unknown address family or transport");
    if (command == CMD_PROXY && family != TCP_OVER_IPV4 && family != TCP_OVER_IPV6)
        return refuse(out, "PROXY for a transport other than TCP over IPv4 or IPv6");
    if (length < (size_t)addr_len)
        return refuse(out, "length shorter than the address block");
    if (c.len < length)
        return RS_PROXY_NEED_MORE;
    struct rs_cursor rest = rs_cursor_make(rs_cursor_take(&c, length).ptr, length);
    out->length = 16 + (size_t)length;
    /* LOCAL (§2.2): the addresses mean nothing, the socket's peer stays; the TLVs still must
     * be well formed. */
    if (command == CMD_PROXY)
        read_inet(&rest, family == TCP_OVER_IPV4 ? AF_INET : AF_INET6, out);
    else
        rs_cursor_take(&rest, (size_t)addr_len);
    const char *bad = check_tlvs(rest, buf, out->length);
    if (bad != NULL)
        return refuse(out, bad);
    return command == CMD_PROXY ? RS_PROXY_CLIENT : RS_PROXY_LOCAL;
}

bool rs_proxy_header_like(const uint8_t *buf, size_t len)
{
    static const char v1[] = "PROXY ";
    return (len >= sizeof(signature) && memcmp(buf, signature, sizeof(signature)) == 0) ||
           (len >= sizeof(v1) - 1 && memcmp(buf, v1, sizeof(v1) - 1) == 0);
}
