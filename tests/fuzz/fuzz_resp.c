/* ringserver's RESP2 reply parser (ringserver/resp.c): what a shared store (or whoever answers
 * in its place) sends back. The first input byte picks the limits. Besides no crash:
 *   - a parsed reply lies in the input and its length is what the caller skips;
 *   - every proper prefix of a parsed reply needs more, and bytes after it change nothing;
 *   - an array's elements walk to exactly its count, each inside the input. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "resp.h"

static int inside(struct rs_slice s, const uint8_t *data, size_t size)
{
    return fuzz_inside(ng_slice_of(s.ptr, s.len), data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const struct rs_resp_limits limits[] = {{512, 4096, 1u << 20}, {4, 4, 2}, {0, 0, 0}};
    const struct rs_resp_limits *lim = &limits[data[0] % 3];
    data++;
    size--;
    struct rs_resp_value v;
    size_t used = 0;
    enum rs_resp_result r = rs_resp_parse(data, size, lim, &v, &used);
    if (r != RS_RESP_DONE)
        return 0;
    FUZZ_CHECK(used > 0 && used <= size);
    if (v.type == RS_RESP_SIMPLE || v.type == RS_RESP_ERROR || v.type == RS_RESP_BULK)
        FUZZ_CHECK(inside(v.str, data, used));
    for (size_t k = 0; k < used; k++)
        FUZZ_CHECK(rs_resp_parse(data, k, lim, &v, &(size_t){0}) == RS_RESP_NEED_MORE);
    FUZZ_CHECK(rs_resp_parse(data, used, lim, &v, &used) == RS_RESP_DONE);
    if (v.type == RS_RESP_ARRAY) {
        FUZZ_CHECK(inside(v.body, data, used));
        struct rs_slice it = v.body;
        struct rs_resp_value e;
        size_t n = 0;
        while (rs_resp_array_next(&it, &e)) {
            FUZZ_CHECK(e.type != RS_RESP_ARRAY);
            n++;
        }
        FUZZ_CHECK(n == v.count);
    }
    return 0;
}
