/* RESP2 codec (see resp.h). */
#include "resp.h"

#include <stdio.h>

const struct rs_resp_limits rs_resp_default_limits = {512, 4096, 1u << 20};

/* A line: the bytes up to CRLF, which must lie within `max` bytes. A lone CR or LF inside is
 * malformed (a simple string cannot hold one). */
static enum rs_resp_result read_line(struct rs_cursor *c, size_t max, struct rs_slice *line)
{
    size_t n = c->len < max + 1 ? c->len : max + 1; /* a CR at index max ends a full line */
    for (size_t i = 0; i < n; i++) {
        if (c->ptr[i] == '\n')
            return RS_RESP_MALFORMED;
        if (c->ptr[i] != '\r')
            continue;
        if (i + 1 == c->len)
            return RS_RESP_NEED_MORE;
        if (c->ptr[i + 1] != '\n')
            return RS_RESP_MALFORMED;
        *line = rs_cursor_take(c, i);
        rs_cursor_take(c, 2);
        return RS_RESP_DONE;
    }
    return c->len <= max ? RS_RESP_NEED_MORE : RS_RESP_TOO_LARGE;
}

bool rs_resp_slice_int(struct rs_slice s, int64_t *out)
{
    size_t i = 0;
    bool neg = s.len > 0 && s.ptr[0] == '-';
    i += neg;
    if (s.len == i || s.len - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0'); /* 19 digits cannot overflow 64 bits */
    }
    if (v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* A length line ($N or *N): -1 (nil) or 0..max. */
static enum rs_resp_result read_length(struct rs_cursor *c, size_t max, int64_t *n)
{
    struct rs_slice line;
    enum rs_resp_result r = read_line(c, 20, &line);
    if (r != RS_RESP_DONE)
        return r == RS_RESP_TOO_LARGE ? RS_RESP_MALFORMED : r;
    if (!rs_resp_slice_int(line, n) || *n < -1)
        return RS_RESP_MALFORMED;
    return (uint64_t)*n > max && *n != -1 ? RS_RESP_TOO_LARGE : RS_RESP_DONE;
}

static enum rs_resp_result read_bulk(struct rs_cursor *c, const struct rs_resp_limits *lim,
                                     struct rs_resp_value *v)
{
    int64_t n;
    enum rs_resp_result r = read_length(c, lim->max_bulk, &n);
    if (r != RS_RESP_DONE)
        return r;
    if (n == -1) {
        v->type = RS_RESP_NIL;
        return RS_RESP_DONE;
    }
    if (c->len < (size_t)n + 2)
        return RS_RESP_NEED_MORE;
    v->type = RS_RESP_BULK;
    v->str = rs_cursor_take(c, (size_t)n);
    struct rs_slice crlf = rs_cursor_take(c, 2);
    return crlf.ptr[0] == '\r' && crlf.ptr[1] == '\n' ? RS_RESP_DONE : RS_RESP_MALFORMED;
}

/* One value that is not an array. */
static enum rs_resp_result read_scalar(struct rs_cursor *c, const struct rs_resp_limits *lim,
                                       struct rs_resp_value *v)
{
    if (c->len == 0)
        return RS_RESP_NEED_MORE;
    uint8_t kind = rs_cursor_take(c, 1).ptr[0];
    *v = (struct rs_resp_value){0};
    enum rs_resp_result r;
    switch (kind) {
    case '+':
    case '-':
        v->type = kind == '+' ? RS_RESP_SIMPLE : RS_RESP_ERROR;
        return read_line(c, lim->max_line, &v->str);
    case ':':
        v->type = RS_RESP_INTEGER;
        r = read_line(c, 20, &v->str);
        if (r == RS_RESP_TOO_LARGE ||
            (r == RS_RESP_DONE && !rs_resp_slice_int(v->str, &v->integer)))
            return RS_RESP_MALFORMED;
        return r;
    case '$':
        return read_bulk(c, lim, v);
    default: /* '*' inside an array, RESP3 types, anything else */
        return RS_RESP_MALFORMED;
    }
}

static enum rs_resp_result read_array(struct rs_cursor *c, const struct rs_resp_limits *lim,
                                      struct rs_resp_value *v)
{
    int64_t n;
    enum rs_resp_result r = read_length(c, lim->max_elements, &n);
    if (r != RS_RESP_DONE)
        return r;
    if (n == -1) {
        *v = (struct rs_resp_value){.type = RS_RESP_NIL};
        return RS_RESP_DONE;
    }
    const uint8_t *start = c->ptr;
    for (int64_t i = 0; i < n; i++) {
        struct rs_resp_value elem;
        r = read_scalar(c, lim, &elem);
        if (r != RS_RESP_DONE)
            return r;
    }
    *v = (struct rs_resp_value){
        .type = RS_RESP_ARRAY, .count = (size_t)n, .body = {start, (size_t)(c->ptr - start)}};
    return RS_RESP_DONE;
}

enum rs_resp_result rs_resp_parse(const uint8_t *buf, size_t len, const struct rs_resp_limits *lim,
                                  struct rs_resp_value *out, size_t *consumed)
{
    struct rs_cursor c = rs_cursor_make(buf, len);
    if (len == 0)
        return RS_RESP_NEED_MORE;
    enum rs_resp_result r;
    if (buf[0] == '*') {
        rs_cursor_take(&c, 1);
        r = read_array(&c, lim, out);
    } else {
        r = read_scalar(&c, lim, out);
    }
    if (r == RS_RESP_DONE)
        *consumed = len - c.len;
    return r;
}

bool rs_resp_array_next(struct rs_slice *it, struct rs_resp_value *elem)
{
    if (it->len == 0)
        return false;
    struct rs_cursor c = rs_cursor_make(it->ptr, it->len);
    /* The body was parsed with these same rules under limits at least as wide: no limit here. */
    static const struct rs_resp_limits any = {SIZE_MAX - 2, SIZE_MAX - 2, SIZE_MAX};
    if (read_scalar(&c, &any, elem) != RS_RESP_DONE) {
        it->len = 0;
        return false;
    }
    *it = (struct rs_slice){c.ptr, c.len};
    return true;
}

void rs_resp_command(struct rs_out *o, unsigned argc, const struct rs_slice *argv)
{
    rs_out_printf(o, "*%u\r\n", argc);
    for (unsigned i = 0; i < argc; i++) {
        rs_out_printf(o, "$%zu\r\n", argv[i].len);
        rs_out_put(o, argv[i].ptr, argv[i].len);
        rs_out_put(o, "\r\n", 2);
    }
}
