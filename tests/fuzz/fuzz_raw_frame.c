/* ringserver's raw protocol framing (ringserver/raw_frame.c): u32 length | token, the first
 * bytes of every raw connection. The input's first byte picks the max-token limit, the rest is
 * the bytes received. Besides no crash:
 *   - a frame lies inside the input, consumes 4 + its length and respects the limit;
 *   - too large is decided by the length field alone, and only when it exceeds the limit;
 *   - split reads: every proper prefix of a frame needs more, and a longer input (the next
 *     frame's bytes) yields the same frame;
 *   - walking the input frame by frame always advances and ends in need-more or too-large. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "raw_frame.h"

static int inside(struct rs_slice s, const uint8_t *data, size_t size)
{
    return fuzz_inside(ng_slice_of(s.ptr, s.len), data, size);
}

static void check_one(const uint8_t *data, size_t size, size_t max)
{
    struct rs_raw_frame f = rs_raw_frame_parse(data, size, max);
    switch (f.kind) {
    case RS_RAW_NEED_MORE:
        FUZZ_CHECK(f.consumed == 0);
        FUZZ_CHECK(size < 4 || (f.length <= max && size < 4 + (size_t)f.length));
        return;
    case RS_RAW_TOO_LARGE:
        FUZZ_CHECK(size >= 4 && f.consumed == 0 && f.length > max);
        FUZZ_CHECK(rs_raw_frame_parse(data, 4, max).kind == RS_RAW_TOO_LARGE);
        return;
    case RS_RAW_FRAME:
        FUZZ_CHECK(inside(f.token, data, size) && f.token.len == f.length && f.length <= max);
        FUZZ_CHECK(f.consumed == 4 + f.token.len && f.consumed <= size);
        FUZZ_CHECK(f.token.len == 0 || f.token.ptr == data + 4);
        for (size_t i = 0; i < f.consumed; i++)
            FUZZ_CHECK(rs_raw_frame_parse(data, i, max).kind == RS_RAW_NEED_MORE);
        struct rs_raw_frame exact = rs_raw_frame_parse(data, f.consumed, max);
        FUZZ_CHECK(exact.kind == RS_RAW_FRAME && exact.consumed == f.consumed);
        return;
    }
    FUZZ_CHECK(0); /* not a kind */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const size_t limits[] = {0, 1, 16, 255, 65536, SIZE_MAX};
    size_t max = limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];
    data++;
    size--;
    size_t off = 0;
    for (;;) {
        check_one(data + off, size - off, max);
        struct rs_raw_frame f = rs_raw_frame_parse(data + off, size - off, max);
        if (f.kind != RS_RAW_FRAME)
            break;
        FUZZ_CHECK(f.consumed > 0);
        off += f.consumed;
    }
    return 0;
}
