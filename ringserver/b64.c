/* Strict base64 over nettle's codec (see b64.h). */
#include "b64.h"

#include <nettle/base64.h>

static bool in_alphabet(uint8_t c, bool url)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return url ? (c == '-' || c == '_') : (c == '+' || c == '/');
}

enum rs_b64_result rs_b64_decode(const uint8_t *in, size_t len, bool url, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    if (len % 4 != 0)
        return RS_B64_BAD;
    size_t pad = 0;
    if (len >= 1 && in[len - 1] == '=')
        pad = (len >= 2 && in[len - 2] == '=') ? 2 : 1;
    for (size_t i = 0; i < len - pad; i++)
        if (!in_alphabet(in[i], url))
            return RS_B64_BAD;
    size_t need = len / 4 * 3 - pad;
    if (need > cap)
        return RS_B64_TOO_LONG;
    struct base64_decode_ctx ctx;
    if (url)
        base64url_decode_init(&ctx);
    else
        base64_decode_init(&ctx);
    size_t n = cap;
    if (!base64_decode_update(&ctx, &n, out, len, (const char *)in) || !base64_decode_final(&ctx))
        return RS_B64_BAD;
    if (n != need)
        return RS_B64_BAD;
    *out_len = n;
    return RS_B64_OK;
}

void rs_b64_encode(struct rs_out *o, const uint8_t *in, size_t len, bool url)
{
    size_t n = BASE64_ENCODE_LENGTH(len) + BASE64_ENCODE_FINAL_LENGTH;
    if (!rs_out_reserve(o, n))
        return;
    struct base64_encode_ctx ctx;
    if (url)
        base64url_encode_init(&ctx);
    else
        base64_encode_init(&ctx);
    char *dst = (char *)o->data + o->len;
    size_t done = base64_encode_update(&ctx, dst, len, in);
    done += base64_encode_final(&ctx, dst + done);
    o->len += done;
}
