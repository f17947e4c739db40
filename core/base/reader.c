#include "reader.h"

struct ng_reader ng_read_sub(struct ng_reader *r, size_t n)
{
    struct ng_slice s = ng_read_slice(r, n);
    return (struct ng_reader){s.ptr, s.len, r->failed};
}

void ng_read_skip(struct ng_reader *r, size_t n)
{
    (void)ng_read_slice(r, n);
}

uint8_t ng_peek_u8(struct ng_reader *r)
{
    if (r->failed || r->len == 0) {
        r->failed = true;
        return 0;
    }
    return r->ptr[0];
}

static uint64_t read_be(struct ng_reader *r, size_t n)
{
    struct ng_slice s = ng_read_slice(r, n);
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++)
        v = (v << 8) | s.ptr[i];
    return v;
}

uint16_t ng_read_be16(struct ng_reader *r)
{
    return (uint16_t)read_be(r, 2);
}
uint32_t ng_read_be32(struct ng_reader *r)
{
    return (uint32_t)read_be(r, 4);
}

uint64_t ng_read_be64(struct ng_reader *r)
{
    return read_be(r, 8);
}

struct ng_slice ng_slice_at(struct ng_slice whole, uint64_t offset, uint64_t len, bool *ok)
{
    if (offset > whole.len || len > whole.len - offset) {
        *ok = false;
        return NG_SLICE_EMPTY;
    }
    return (struct ng_slice){whole.ptr + offset, (size_t)len};
}
