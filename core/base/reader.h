/* A bounded cursor over untrusted bytes, with a sticky error (after MIT krb5's k5input).
 * No read can go past `end`: a short read sets `failed`, returns zeros/empty slices, and every
 * later read fails too, so a parser may read a whole structure and check once at the end. */
#ifndef NEGRING_CORE_READER_H
#define NEGRING_CORE_READER_H

#include "slice.h"
#include "status.h"

struct ng_reader {
    const uint8_t *ptr;
    size_t len; /* bytes left */
    bool failed;
};

static inline struct ng_reader ng_reader_of(struct ng_slice s)
{
    return (struct ng_reader){s.ptr, s.len, false};
}

static inline bool ng_reader_done(const struct ng_reader *r)
{
    return !r->failed && r->len == 0;
}

static inline ng_status ng_reader_status(const struct ng_reader *r)
{
    return r->failed ? NG_ERR_INVALID_TOKEN : NG_OK;
}

/* A parser found the bytes malformed: the sticky error is set and nothing more can be read. */
static inline void ng_reader_fail(struct ng_reader *r)
{
    r->failed = true;
    r->len = 0;
}

/* The next n bytes. Inline, as ng_read_u8: a DER walk calls them for nearly every byte of a
 * token, and out of line they were a fifth of a cached Kerberos accept. */
static inline struct ng_slice ng_read_slice(struct ng_reader *r, size_t n)
{
    if (r->failed || n > r->len) {
        ng_reader_fail(r);
        return NG_SLICE_EMPTY;
    }
    struct ng_slice s = {r->ptr, n};
    r->ptr += n;
    r->len -= n;
    return s;
}

static inline uint8_t ng_read_u8(struct ng_reader *r)
{
    struct ng_slice s = ng_read_slice(r, 1);
    return s.len ? s.ptr[0] : 0;
}

static inline struct ng_slice ng_read_rest(struct ng_reader *r)
{
    return ng_read_slice(r, r->len);
}

/* A sub-reader over the next n bytes; the parent moves past them. */
struct ng_reader ng_read_sub(struct ng_reader *r, size_t n);
void ng_read_skip(struct ng_reader *r, size_t n);
/* A little-endian integer of n (constant) bytes; 0 after a failure. Inline, as the reads above:
 * an NTLM message is mostly 16- and 32-bit fields, and the compiler makes each one load. */
static inline uint64_t ng_read_le(struct ng_reader *r, size_t n)
{
    struct ng_slice s = ng_read_slice(r, n);
    uint64_t v = 0;
    for (size_t i = s.len; i > 0; i--)
        v = (v << 8) | s.ptr[i - 1];
    return v;
}
static inline uint16_t ng_read_le16(struct ng_reader *r)
{
    return (uint16_t)ng_read_le(r, 2);
}
static inline uint32_t ng_read_le32(struct ng_reader *r)
{
    return (uint32_t)ng_read_le(r, 4);
}
static inline uint64_t ng_read_le64(struct ng_reader *r)
{
    return ng_read_le(r, 8);
}
uint16_t ng_read_be16(struct ng_reader *r);
uint32_t ng_read_be32(struct ng_reader *r);
uint64_t ng_read_be64(struct ng_reader *r);
/* Peek without consuming; 0 and failed when empty. */
uint8_t ng_peek_u8(struct ng_reader *r);
/* Bytes [offset, offset+len) of a whole message, as used by NTLM offset/length fields. */
struct ng_slice ng_slice_at(struct ng_slice whole, uint64_t offset, uint64_t len, bool *ok);

#endif
