/* ringserver's PROXY protocol v2 parser (ringserver/proxy_protocol.c): the first bytes of every
 * connection on a proxy-protocol listener, from whoever reaches it. Besides no crash:
 *   - a verdict on a header (LOCAL, CLIENT) covers 16 + its length field, within the input and
 *     RS_PROXY_MAX_HEADER, and bytes after it (the request) do not change it;
 *   - every proper prefix of an accepted header needs more (never a verdict on missing bytes);
 *   - a CLIENT is IPv4 or IPv6 with the matching address length; a refusal says why;
 *   - the hardware and the portable CRC32C agree (rs_crc32c in pieces equals it whole). */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "proxy_protocol.h"

static void check_crc(const uint8_t *data, size_t size)
{
    size_t half = size / 2;
    uint32_t whole = rs_crc32c(0, data, size);
    FUZZ_CHECK(rs_crc32c(rs_crc32c(0, data, half), data + half, size - half) == whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rs_proxy_header h;
    enum rs_proxy_result r = rs_proxy_parse(data, size, &h);
    check_crc(data, size < 64 ? size : 64);
    switch (r) {
    case RS_PROXY_NEED_MORE:
        FUZZ_CHECK(size < RS_PROXY_MAX_HEADER);
        return 0;
    case RS_PROXY_REFUSED:
        FUZZ_CHECK(h.reason != NULL);
        return 0;
    case RS_PROXY_LOCAL:
    case RS_PROXY_CLIENT:
        break;
    default:
        FUZZ_CHECK(0); /* not a result */
    }
    FUZZ_CHECK(h.length >= 16 && h.length <= size && h.length <= RS_PROXY_MAX_HEADER);
    FUZZ_CHECK(h.length == 16 + ((size_t)data[14] << 8 | data[15]));
    if (r == RS_PROXY_CLIENT) {
        int family = h.source.ss_family;
        FUZZ_CHECK((family == AF_INET && h.source_len == sizeof(struct sockaddr_in)) ||
                   (family == AF_INET6 && h.source_len == sizeof(struct sockaddr_in6)));
    }
    struct rs_proxy_header exact;
    FUZZ_CHECK(rs_proxy_parse(data, h.length, &exact) == r && exact.length == h.length);
    FUZZ_CHECK(memcmp(&exact.source, &h.source, sizeof(h.source)) == 0);
    for (size_t n = 0; n < h.length; n++)
        FUZZ_CHECK(rs_proxy_parse(data, n, &exact) == RS_PROXY_NEED_MORE);
    return 0;
}
