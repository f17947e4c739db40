/* embed/authenticator_key.c: the Kerberos authenticator in a client's token, which the nginx
 * module and the Squid helper read from untrusted bytes. Besides no crash:
 *   - a key found is not empty and lies inside the input;
 *   - the input wrapped in a NegTokenResp (built here) yields the same key bytes, and when the
 *     input is a Kerberos token (not SPNEGO, which cannot nest) it still yields one. */
#include <stdint.h>
#include <string.h>

#include "authenticator_key.h"
#include "fuzz_check.h"

static uint8_t wrapped[65536 + 32];

/* tag, then a definite length in two octets: enough for anything wrapped here. */
static size_t tlv_header(uint8_t *p, uint8_t tag, size_t len)
{
    p[0] = tag;
    p[1] = 0x82;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    return 4;
}

/* RFC 4178 NegTokenResp [1] SEQUENCE { responseToken [2] OCTET STRING } around the input. */
static size_t negtokenresp(const uint8_t *data, size_t size)
{
    size_t n = size, at = sizeof(wrapped) - size;
    memcpy(wrapped + at, data, size);
    static const uint8_t tags[] = {0x04, 0xa2, 0x30, 0xa1};
    for (size_t i = 0; i < sizeof(tags); i++) {
        at -= 4;
        tlv_header(wrapped + at, tags[i], n);
        n += 4;
    }
    memmove(wrapped, wrapped + at, n);
    return n;
}

/* Whether the input is framed with the SPNEGO OID (0x60, a length, 06 06 2b 06 01 05 05 02). */
static int spnego_framed(const uint8_t *data, size_t size)
{
    static const uint8_t oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    if (size < 2 || data[0] != 0x60)
        return 0;
    size_t hdr = data[1] < 0x80 ? 2 : 2 + (data[1] & 0x7f);
    return size >= hdr + sizeof(oid) && memcmp(data + hdr, oid, sizeof(oid)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *key = NULL, *key2 = NULL;
    size_t len = 0, len2 = 0;
    int found = ne_authenticator_key(data, size, &key, &len);
    if (found)
        FUZZ_CHECK(len > 0 && fuzz_inside(ng_slice_of(key, len), data, size));
    if (size > 0xffff - 16)
        return 0;
    size_t n = negtokenresp(data, size);
    int found2 = ne_authenticator_key(wrapped, n, &key2, &len2);
    if (found2)
        FUZZ_CHECK(found && len2 == len && memcmp(key2, key, len) == 0);
    if (found && data[0] == 0x60 && !spnego_framed(data, size))
        FUZZ_CHECK(found2);
    return 0;
}
