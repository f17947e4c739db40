/* Bounded byte handling for ringserver: a read cursor with a sticky error over untrusted bytes
 * (s2n stuffer / krb5 k5input style) and a growable output buffer that fails closed.
 *
 * Slices returned by the cursor point into the input and live as long as it. */
#ifndef RINGSERVER_BUF_H
#define RINGSERVER_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rs_slice {
    const uint8_t *ptr;
    size_t len;
};

struct rs_cursor {
    const uint8_t *ptr;
    size_t len;
    bool error; /* sticky: once set every read returns nothing */
};

static inline struct rs_cursor rs_cursor_make(const void *p, size_t len)
{
    return (struct rs_cursor){(const uint8_t *)p, len, false};
}

static inline struct rs_slice rs_cursor_take(struct rs_cursor *c, size_t n)
{
    if (c->error || n > c->len) {
        c->error = true;
        return (struct rs_slice){NULL, 0};
    }
    struct rs_slice s = {c->ptr, n};
    c->ptr += n;
    c->len -= n;
    return s;
}

static inline uint32_t rs_cursor_be32(struct rs_cursor *c)
{
    struct rs_slice s = rs_cursor_take(c, 4);
    if (s.ptr == NULL)
        return 0;
    return (uint32_t)s.ptr[0] << 24 | (uint32_t)s.ptr[1] << 16 | (uint32_t)s.ptr[2] << 8 | s.ptr[3];
}

/* Offset of the first occurrence of `b` in the remaining bytes, or -1. */
static inline ptrdiff_t rs_cursor_find(const struct rs_cursor *c, uint8_t b)
{
    if (c->error)
        return -1;
    const uint8_t *p = memchr(c->ptr, b, c->len);
    return p == NULL ? -1 : p - c->ptr;
}

static inline bool rs_slice_eq_nocase(struct rs_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t a = s.ptr[i], b = (uint8_t)lit[i];
        if (a >= 'A' && a <= 'Z')
            a += 32;
        if (b >= 'A' && b <= 'Z')
            b += 32;
        if (a != b)
            return false;
    }
    return true;
}

/* Growable output buffer; `failed` is sticky after an allocation failure or a cap overrun.
 * The owner frees `data` with rs_out_free. */
struct rs_out {
    uint8_t *data;
    size_t len, cap, max;
    bool failed;
};

bool rs_out_reserve(struct rs_out *o, size_t extra);
void rs_out_put(struct rs_out *o, const void *p, size_t n);
void rs_out_str(struct rs_out *o, const char *s);
void rs_out_printf(struct rs_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Several strings in a row (NULL ends the list): what every answer's headers are made of, at
 * a fraction of a printf's cost. */
void rs_out_strs(struct rs_out *o, ...) __attribute__((sentinel));
/* A number in decimal. */
void rs_out_uint(struct rs_out *o, uint64_t v);
/* Bytes in strict base64 (embed/base64.h), the URL alphabet when `url`. */
void rs_out_b64(struct rs_out *o, const uint8_t *in, size_t len, bool url);
void rs_out_be32(struct rs_out *o, uint32_t v);
void rs_out_be16(struct rs_out *o, uint16_t v);
void rs_out_free(struct rs_out *o);

#endif
