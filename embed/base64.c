/* Strict base64 (see base64.h). Decoding is our own table-driven loop over 4-character groups:
 * every token that reaches ringserver or negring-squid-auth as text goes through it, and a
 * branch per character (nettle's decoder, or the helpers' first loops) cost 7 % of ringserver's
 * time with fresh connections and a fifth of the helper's (docs/benchmarks.md). Encoding is
 * nettle's codec. */
#include "base64.h"

#include <nettle/base64.h>

/* Each byte's 6-bit value in the alphabet of RFC 4648 §4 (table 1) or §5 (table 2, base64url);
 * BAD (bit 7 set) for every other byte, '=' included, so OR-ing the values of a group shows a
 * stray byte anywhere in it with one test. */
#define BAD 0xff

/* clang-format off */
static const uint8_t std_value[256] = {
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
static const uint8_t url_value[256] = {
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, 62, BAD, BAD,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, BAD, BAD, BAD, BAD, BAD, BAD,
    BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, BAD, BAD, BAD, BAD, 63,
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

/* 3 bytes from 4 characters; false if any is outside the alphabet. */
static inline bool group(const uint8_t *val, const uint8_t *in, uint8_t *out)
{
    uint32_t a = val[in[0]], b = val[in[1]], c = val[in[2]], d = val[in[3]];
    uint32_t w = a << 18 | b << 12 | c << 6 | d;
    out[0] = (uint8_t)(w >> 16);
    out[1] = (uint8_t)(w >> 8);
    out[2] = (uint8_t)w;
    return ((a | b | c | d) & 0x80) == 0;
}

/* The last group with its padding (RFC 4648 §3.3, §4): "xx==" is one byte, "xxx=" two; the
 * bits the padding leaves over must be zero (§3.5), so each byte string has one encoding. */
static bool last_group(const uint8_t *val, const uint8_t *in, size_t pad, uint8_t *out)
{
    uint32_t a = val[in[0]], b = val[in[1]];
    if (((a | b) & 0x80) != 0)
        return false;
    out[0] = (uint8_t)(a << 2 | b >> 4);
    if (pad == 2)
        return in[2] == '=' && (b & 0x0f) == 0;
    uint32_t c = val[in[2]];
    if ((c & 0x80) != 0 || (c & 0x03) != 0)
        return false;
    out[1] = (uint8_t)(b << 4 | c >> 2);
    return true;
}

/* Whether n characters are all in the alphabet. */
static bool all_in_alphabet(const uint8_t *val, const uint8_t *in, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= val[in[i]];
    return (acc & 0x80) == 0;
}

enum ne_b64_result ne_b64_decode(const void *text, size_t len, bool url, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    const uint8_t *in = text;
    if (len % 4 != 0)
        return NE_B64_BAD;
    if (len == 0) {
        *out_len = 0;
        return NE_B64_OK;
    }
    const uint8_t *val = url ? url_value : std_value;
    size_t pad = in[len - 1] != '=' ? 0 : in[len - 2] != '=' ? 1 : 2;
    size_t need = len / 4 * 3 - pad;
    if (need > cap) /* a bad token is reported as bad even when it is also too big */
        return all_in_alphabet(val, in, len - pad) ? NE_B64_TOO_LONG : NE_B64_BAD;
    size_t full = pad ? len - 4 : len; /* groups without padding */
    bool ok = true;
    for (size_t i = 0, o = 0; i < full; i += 4, o += 3)
        ok &= group(val, in + i, out + o);
    if (pad)
        ok &= last_group(val, in + full, pad, out + full / 4 * 3);
    if (!ok)
        return NE_B64_BAD;
    *out_len = need;
    return NE_B64_OK;
}

size_t ne_b64_encode(const uint8_t *in, size_t len, bool url, char *out)
{
    struct base64_encode_ctx ctx;
    if (url)
        base64url_encode_init(&ctx);
    else
        base64_encode_init(&ctx);
    size_t done = base64_encode_update(&ctx, out, len, in);
    return done + base64_encode_final(&ctx, out + done);
}
