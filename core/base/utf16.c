#include "utf16.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

#define MAX_CODE_POINT 0x10FFFFu

static int is_surrogate(uint32_t cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

/* Decodes one code point at in[*pos] (RFC 3629 §3/§4): the shortest form only, no surrogates,
 * nothing above U+10FFFF, no U+0000. Advances *pos past it. */
static ng_status utf8_next(const uint8_t *in, size_t len, size_t *pos, uint32_t *cp)
{
    uint8_t lead = in[*pos];
    size_t extra;
    uint32_t min, value;

    if (lead < 0x80) {
        extra = 0, min = 0x01, value = lead;
    } else if ((lead & 0xE0) == 0xC0) {
        extra = 1, min = 0x80, value = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        extra = 2, min = 0x800, value = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        extra = 3, min = 0x10000, value = lead & 0x07;
    } else {
        return NG_ERR_INVALID_PARAM; /* a continuation byte or 0xF8..0xFF as a lead */
    }
    if (len - *pos - 1 < extra)
        return NG_ERR_INVALID_PARAM; /* truncated sequence */
    for (size_t i = 1; i <= extra; i++) {
        uint8_t c = in[*pos + i];
        if ((c & 0xC0) != 0x80)
            return NG_ERR_INVALID_PARAM;
        value = (value << 6) | (c & 0x3F);
    }
    if (value < min || value > MAX_CODE_POINT || is_surrogate(value))
        return NG_ERR_INVALID_PARAM; /* overlong, out of range, or CESU-style surrogate */
    *pos += extra + 1;
    *cp = value;
    return NG_OK;
}

/* Decodes one code point at in[*pos] (RFC 2781 §2.2): surrogates only as a high-low pair. */
static ng_status utf16_next(const SEC_WCHAR *in, size_t len, size_t *pos, uint32_t *cp)
{
    uint32_t hi = in[*pos];

    if (hi == 0)
        return NG_ERR_INVALID_PARAM;
    if (!is_surrogate(hi)) {
        *pos += 1;
        *cp = hi;
        return NG_OK;
    }
    if (hi >= 0xDC00 || len - *pos < 2)
        return NG_ERR_INVALID_PARAM; /* a low surrogate first, or a high one at the end */
    uint32_t lo = in[*pos + 1];
    if (lo < 0xDC00 || lo > 0xDFFF)
        return NG_ERR_INVALID_PARAM;
    *pos += 2;
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return NG_OK;
}

/* Two passes over the input: the first (out == NULL) validates and counts, the second writes. */
static ng_status utf8_to_utf16_pass(const uint8_t *in, size_t len, SEC_WCHAR *out, size_t *units)
{
    size_t pos = 0, n = 0;
    uint32_t cp;

    while (pos < len) {
        NG_GUARD(utf8_next(in, len, &pos, &cp));
        if (cp >= 0x10000) {
            if (out != NULL) {
                out[n] = (SEC_WCHAR)(0xD800 + ((cp - 0x10000) >> 10));
                out[n + 1] = (SEC_WCHAR)(0xDC00 + ((cp - 0x10000) & 0x3FF));
            }
            n += 2;
        } else {
            if (out != NULL)
                out[n] = (SEC_WCHAR)cp;
            n += 1;
        }
    }
    *units = n;
    return NG_OK;
}

ng_status ng_utf8_to_utf16(const char *in, size_t len, SEC_WCHAR **out, size_t *out_len)
{
    size_t units;

    if (out == NULL)
        return NG_ERR_INVALID_PARAM;
    *out = NULL;
    if (in == NULL && len > 0)
        return NG_ERR_INVALID_PARAM;
    NG_GUARD(utf8_to_utf16_pass((const uint8_t *)in, len, NULL, &units));
    /* units <= len, so (units + 1) * 2 overflows only for len near SIZE_MAX / 2. */
    if (units >= SIZE_MAX / sizeof(SEC_WCHAR))
        return NG_ERR_NOMEM;
    SEC_WCHAR *buf = ng_alloc((units + 1) * sizeof(SEC_WCHAR));
    if (buf == NULL)
        return NG_ERR_NOMEM;
    (void)utf8_to_utf16_pass((const uint8_t *)in, len, buf, &units);
    buf[units] = 0;
    *out = buf;
    if (out_len != NULL)
        *out_len = units;
    return NG_OK;
}

ng_status ng_utf8z_to_utf16(const char *in, SEC_WCHAR **out, size_t *out_len)
{
    if (in == NULL) {
        if (out != NULL)
            *out = NULL;
        return NG_ERR_INVALID_PARAM;
    }
    return ng_utf8_to_utf16(in, strlen(in), out, out_len);
}

static size_t utf8_put(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static ng_status utf16_to_utf8_pass(const SEC_WCHAR *in, size_t len, uint8_t *out, size_t *bytes)
{
    size_t pos = 0, n = 0;
    uint32_t cp;
    uint8_t scratch[4];

    while (pos < len) {
        NG_GUARD(utf16_next(in, len, &pos, &cp));
        n += utf8_put(out != NULL ? out + n : scratch, cp);
    }
    *bytes = n;
    return NG_OK;
}

ng_status ng_utf16_to_utf8(const SEC_WCHAR *in, size_t len, char **out, size_t *out_len)
{
    size_t bytes;

    if (out == NULL)
        return NG_ERR_INVALID_PARAM;
    *out = NULL;
    if (in == NULL && len > 0)
        return NG_ERR_INVALID_PARAM;
    /* At most 3 bytes per unit: guard the count before the counting pass can overflow. */
    if (len > (SIZE_MAX - 1) / 3)
        return NG_ERR_NOMEM;
    NG_GUARD(utf16_to_utf8_pass(in, len, NULL, &bytes));
    char *buf = ng_alloc(bytes + 1);
    if (buf == NULL)
        return NG_ERR_NOMEM;
    (void)utf16_to_utf8_pass(in, len, (uint8_t *)buf, &bytes);
    buf[bytes] = '\0';
    *out = buf;
    if (out_len != NULL)
        *out_len = bytes;
    return NG_OK;
}

ng_status ng_utf16z_to_utf8(const SEC_WCHAR *in, char **out, size_t *out_len)
{
    if (in == NULL) {
        if (out != NULL)
            *out = NULL;
        return NG_ERR_INVALID_PARAM;
    }
    return ng_utf16_to_utf8(in, ng_wcslen16(in), out, out_len);
}

size_t ng_wcslen16(const SEC_WCHAR *s)
{
    size_t n = 0;
    while (s[n] != 0)
        n++;
    return n;
}
