/* Output with a known capacity. A writer either fills a caller's fixed buffer (overflow is
 * sticky and `needed` tells how much room the whole output wants, for SEC_E_BUFFER_TOO_SMALL)
 * or grows: in a heap buffer of its own (ng_alloc'd; the caller takes it with ng_writer_take),
 * possibly starting in a caller's buffer it leaves once the output outgrows it. */
#ifndef NEGRING_CORE_WRITER_H
#define NEGRING_CORE_WRITER_H

#include "slice.h"
#include "status.h"

struct ng_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;    /* bytes that would have been written; may exceed cap when fixed */
    bool growable; /* the output may outgrow cap: buf is then replaced by a larger one */
    bool owned;    /* buf is the writer's own heap buffer (NULL or ng_alloc'd) */
    ng_status error;
};

struct ng_writer ng_writer_fixed(void *buf, size_t cap);
struct ng_writer ng_writer_growable(void);
/* Growable, starting in the caller's buffer (usually on its stack): no allocation for an output
 * that fits, the whole output moved to the heap once it does not. */
struct ng_writer ng_writer_spilling(void *buf, size_t cap);
void ng_writer_free(struct ng_writer *w);

/* ng_writer_reserve when the bytes do not fit as they are: grows a growable buffer, records
 * overflow of a fixed one or an earlier error. */
uint8_t *ng_writer_make_room(struct ng_writer *w, size_t n);

/* Makes room for n more bytes and returns where they go, or NULL (error set). Inline for the
 * common case (they fit), as ng_write_u8: an encoder calls them for every few bytes. */
static inline uint8_t *ng_writer_reserve(struct ng_writer *w, size_t n)
{
    if (w->error == NG_OK && w->len <= w->cap && n <= w->cap - w->len) {
        uint8_t *at = w->buf + w->len;
        w->len += n;
        return at;
    }
    return ng_writer_make_room(w, n);
}

/* Makes room for n more bytes without writing them, for an encoder that knows its size before
 * it writes: a growable buffer grows once instead of doubling along the way. A fixed writer is
 * left as it is (its writes report what does not fit). */
void ng_writer_expect(struct ng_writer *w, size_t n);

static inline void ng_write_u8(struct ng_writer *w, uint8_t v)
{
    uint8_t *at = ng_writer_reserve(w, 1);
    if (at != NULL)
        *at = v;
}

void ng_write_bytes(struct ng_writer *w, const void *data, size_t n);
void ng_write_slice(struct ng_writer *w, struct ng_slice s);
/* A little-endian integer of n (constant) bytes. Inline, as ng_write_u8: the compiler makes
 * each one store (NTLM's messages are mostly 16- and 32-bit fields). */
static inline void ng_write_le(struct ng_writer *w, uint64_t v, size_t n)
{
    uint8_t *at = ng_writer_reserve(w, n);
    for (size_t i = 0; at != NULL && i < n; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}
static inline void ng_write_le16(struct ng_writer *w, uint16_t v)
{
    ng_write_le(w, v, 2);
}
static inline void ng_write_le32(struct ng_writer *w, uint32_t v)
{
    ng_write_le(w, v, 4);
}
static inline void ng_write_le64(struct ng_writer *w, uint64_t v)
{
    ng_write_le(w, v, 8);
}
void ng_write_be16(struct ng_writer *w, uint16_t v);
void ng_write_be32(struct ng_writer *w, uint32_t v);
void ng_write_be64(struct ng_writer *w, uint64_t v);

static inline ng_status ng_writer_status(const struct ng_writer *w)
{
    return w->error;
}

static inline struct ng_slice ng_writer_slice(const struct ng_writer *w)
{
    return (struct ng_slice){w->buf, w->error == NG_OK ? w->len : 0};
}

/* Hands the output to the caller in a heap buffer (ng_alloc'd, the caller frees it with ng_free):
 * a growable writer's own, or a copy of what a spilling writer still holds in its caller's
 * buffer (NULL when that copy cannot be made). */
uint8_t *ng_writer_take(struct ng_writer *w, size_t *len);

#endif
