/* Strict base64 (see base64.h). */
#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each byte's 6-bit value in the alphabet of RFC 4648 §4; BAD (bit 7 set) for every other
 * byte, '=' included, so OR-ing the values of a group shows a stray byte with one test: the
 * helper decodes every token Squid passes it, and a branch per character cost a fifth of its
 * time (docs/benchmarks.md, Squid helper). */
#define BAD 0xff

/* clang-format off */
static const uint8_t value_of[256] = {
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, 62, BAD, BAD, BAD, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, BAD, BAD, BAD, BAD, BAD,
    BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
};
/* clang-format on */

/* The 24 bits of the 4-character group at in, or a value with bit 31 set for a stray byte. */
static uint32_t group(const char *in)
{
    const uint8_t *u = (const uint8_t *)in;
    uint32_t a = value_of[u[0]], b = value_of[u[1]], c = value_of[u[2]], d = value_of[u[3]];
    return (a | b | c | d) & 0x80 ? UINT32_MAX : a << 18 | b << 12 | c << 6 | d;
}

bool ne_b64_decode(const char *src, size_t len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (len % 4 != 0)
        return false;
    size_t pad = len >= 1 && src[len - 1] == '=' ? (len >= 2 && src[len - 2] == '=' ? 2 : 1) : 0;
    if (len / 4 * 3 - pad > out_cap)
        return false;
    size_t o = 0, full = pad ? len - 4 : len;
    for (size_t i = 0; i < full; i += 4) {
        uint32_t w = group(src + i);
        if (w == UINT32_MAX)
            return false;
        out[o++] = (uint8_t)(w >> 16);
        out[o++] = (uint8_t)(w >> 8);
        out[o++] = (uint8_t)w;
    }
    if (pad != 0) { /* the last group: "xx==" (12 bits) or "xxx=" (18), unused bits zero */
        char last[4] = {src[len - 4], src[len - 3], pad == 2 ? 'A' : src[len - 2], 'A'};
        uint32_t w = group(last);
        if (w == UINT32_MAX || (w & (pad == 2 ? 0xffff : 0xff)) != 0)
            return false;
        out[o++] = (uint8_t)(w >> 16);
        if (pad == 1)
            out[o++] = (uint8_t)(w >> 8);
    }
    *out_len = o;
    return true;
}

size_t ne_b64_encode(const uint8_t *src, size_t len, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < len ? (uint32_t)src[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}
