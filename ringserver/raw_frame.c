#include "raw_frame.h"

struct rs_raw_frame rs_raw_frame_parse(const uint8_t *data, size_t len, size_t max_token)
{
    struct rs_raw_frame f = {RS_RAW_NEED_MORE, {NULL, 0}, 0, 0};
    struct rs_cursor cur = rs_cursor_make(data, len);
    uint32_t n = rs_cursor_be32(&cur);
    if (cur.error)
        return f;
    f.length = n;
    if ((size_t)n > max_token) {
        f.kind = RS_RAW_TOO_LARGE;
        return f;
    }
    struct rs_slice tok = rs_cursor_take(&cur, n);
    if (cur.error)
        return f;
    f.kind = RS_RAW_FRAME;
    f.token = tok;
    f.consumed = 4 + (size_t)n;
    return f;
}
