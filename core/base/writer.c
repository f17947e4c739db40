#include "writer.h"

#include <string.h>

#include "alloc.h"

struct ng_writer ng_writer_fixed(void *buf, size_t cap)
{
    return (struct ng_writer){buf, cap, 0, false, false, NG_OK};
}

struct ng_writer ng_writer_spilling(void *buf, size_t cap)
{
    return (struct ng_writer){buf, cap, 0, true, false, NG_OK};
}

struct ng_writer ng_writer_growable(void)
{
    return (struct ng_writer){NULL, 0, 0, true, true, NG_OK};
}

void ng_writer_free(struct ng_writer *w)
{
    if (w->owned)
        ng_free(w->buf);
    *w = ng_writer_growable();
}

static bool grow(struct ng_writer *w, size_t need)
{
    size_t cap = w->cap ? w->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    uint8_t *buf = w->owned ? ng_realloc(w->buf, cap) : ng_alloc(cap);
    if (buf == NULL)
        return false;
    if (!w->owned && w->len > 0)
        memcpy(buf, w->buf, w->len); /* a spilling writer leaves its caller's buffer */
    w->buf = buf;
    w->cap = cap;
    w->owned = true;
    return true;
}

uint8_t *ng_writer_make_room(struct ng_writer *w, size_t n)
{
    if (w->error != NG_OK && w->error != NG_ERR_BUFFER_TOO_SMALL)
        return NULL;
    if (n > SIZE_MAX - w->len) {
        w->error = NG_ERR_NOMEM;
        return NULL;
    }
    size_t need = w->len + n;
    if (need > w->cap) {
        if (!w->growable) {
            w->len = need; /* keep counting so the caller learns the size wanted */
            w->error = NG_ERR_BUFFER_TOO_SMALL;
            return NULL;
        }
        if (!grow(w, need)) {
            w->error = NG_ERR_NOMEM;
            return NULL;
        }
    }
    if (w->error != NG_OK) {
        w->len = need;
        return NULL;
    }
    uint8_t *at = w->buf + w->len;
    w->len = need;
    return at;
}

void ng_writer_expect(struct ng_writer *w, size_t n)
{
    if (!w->growable || w->error != NG_OK || n <= w->cap - w->len)
        return;
    if (n > SIZE_MAX - w->len || !grow(w, w->len + n))
        w->error = NG_ERR_NOMEM;
}

void ng_write_bytes(struct ng_writer *w, const void *data, size_t n)
{
    uint8_t *at = ng_writer_reserve(w, n);
    if (at != NULL && n > 0)
        memcpy(at, data, n);
}

void ng_write_slice(struct ng_writer *w, struct ng_slice s)
{
    ng_write_bytes(w, s.ptr, s.len);
}

static void write_be(struct ng_writer *w, uint64_t v, size_t n)
{
    uint8_t *at = ng_writer_reserve(w, n);
    for (size_t i = 0; at != NULL && i < n; i++)
        at[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

void ng_write_be16(struct ng_writer *w, uint16_t v)
{
    write_be(w, v, 2);
}
void ng_write_be32(struct ng_writer *w, uint32_t v)
{
    write_be(w, v, 4);
}

void ng_write_be64(struct ng_writer *w, uint64_t v)
{
    write_be(w, v, 8);
}

uint8_t *ng_writer_take(struct ng_writer *w, size_t *len)
{
    uint8_t *buf = w->owned ? w->buf : ng_memdup(w->buf, w->len);
    *len = buf != NULL ? w->len : 0;
    *w = ng_writer_growable();
    return buf;
}
