/* Growable output buffer (see buf.h). */
#include "buf.h"

#include "base64.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool rs_out_reserve(struct rs_out *o, size_t extra)
{
    if (o->failed)
        return false;
    if (extra <= o->cap - o->len)
        return true;
    size_t need = o->len + extra;
    if (need < o->len || (o->max != 0 && need > o->max)) {
        o->failed = true;
        return false;
    }
    size_t cap = o->cap ? o->cap : 512;
    while (cap < need)
        cap *= 2;
    if (o->max != 0 && cap > o->max)
        cap = o->max;
    uint8_t *p = realloc(o->data, cap);
    if (p == NULL) {
        o->failed = true;
        return false;
    }
    o->data = p;
    o->cap = cap;
    return true;
}

void rs_out_put(struct rs_out *o, const void *p, size_t n)
{
    if (n == 0 || !rs_out_reserve(o, n))
        return;
    memcpy(o->data + o->len, p, n);
    o->len += n;
}

void rs_out_str(struct rs_out *o, const char *s)
{
    rs_out_put(o, s, strlen(s));
}

void rs_out_strs(struct rs_out *o, ...)
{
    va_list ap;
    va_start(ap, o);
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *))
        rs_out_str(o, s);
    va_end(ap);
}

void rs_out_uint(struct rs_out *o, uint64_t v)
{
    char digits[20];
    size_t at = sizeof(digits);
    do {
        digits[--at] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    rs_out_put(o, digits + at, sizeof(digits) - at);
}

void rs_out_b64(struct rs_out *o, const uint8_t *in, size_t len, bool url)
{
    size_t n = ne_b64_encoded_len(len);
    if (!rs_out_reserve(o, n))
        return;
    o->len += ne_b64_encode(in, len, url, (char *)o->data + o->len);
}

void rs_out_printf(struct rs_out *o, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        rs_out_put(o, small, (size_t)n);
        return;
    }
    if (!rs_out_reserve(o, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)o->data + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

void rs_out_be32(struct rs_out *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    rs_out_put(o, b, 4);
}

void rs_out_be16(struct rs_out *o, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    rs_out_put(o, b, 2);
}

void rs_out_free(struct rs_out *o)
{
    free(o->data);
    *o = (struct rs_out){.max = o->max};
}
