/* ringserver's HTTP/1.1 request-head parser (ringserver/http_parser.c, RFC 9112) and the
 * base64 of the Authorization token (ringserver/b64.c): the first bytes of every connection.
 * Besides no crash:
 *   - a finished head has head_len <= the input and every slice inside it; an error carries one
 *     of the documented statuses;
 *   - headers split across reads: every proper prefix of a finished head parses as
 *     RS_HTTP_INCOMPLETE (never an error, never done), and the head alone parses to the same
 *     request;
 *   - a token that base64-decodes encodes back to the same characters (strict RFC 4648). */
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "fuzz_check.h"
#include "http_parser.h"

static const struct rs_http_limits limits = {8192, 64, 1u << 20, "X-Client-Id", "X-Frontend"};

static int inside(struct rs_slice s, const uint8_t *data, size_t size)
{
    return fuzz_inside(ng_slice_of(s.ptr, s.len), data, size);
}

static void check_token(struct rs_slice auth)
{
    static const char *const schemes[] = {"Negotiate ", "NTLM "};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(schemes[i]);
        if (auth.len <= n || memcmp(auth.ptr, schemes[i], n) != 0)
            continue;
        static uint8_t out[8192];
        size_t out_len = 0;
        const uint8_t *b64 = auth.ptr + n;
        size_t b64_len = auth.len - n;
        if (ne_b64_decode(b64, b64_len, false, out, sizeof(out), &out_len) != NE_B64_OK)
            return;
        FUZZ_CHECK(out_len <= sizeof(out) && out_len <= b64_len);
        struct rs_out o = {0};
        rs_out_b64(&o, out, out_len, false);
        FUZZ_CHECK(!o.failed && o.len == b64_len && memcmp(o.data, b64, b64_len) == 0);
        rs_out_free(&o);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rs_http_request req;
    enum rs_http_result r = rs_http_parse(data, size, &limits, &req);
    if (r == RS_HTTP_ERROR) {
        int s = req.error_status;
        FUZZ_CHECK(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
        return 0;
    }
    if (r == RS_HTTP_INCOMPLETE)
        return 0;
    FUZZ_CHECK(r == RS_HTTP_DONE);
    size_t head = req.head_len;
    FUZZ_CHECK(head > 0 && head <= size && head <= limits.max_header_bytes);
    const struct rs_slice fields[5] = {req.method, req.target, req.authorization, req.cookie,
                                       req.client_id};
    for (size_t i = 0; i < 5; i++)
        FUZZ_CHECK(inside(fields[i], data, head));
    FUZZ_CHECK(req.minor_version == 0 || req.minor_version == 1);
    if (req.has_authorization)
        check_token(req.authorization);
    struct rs_http_request again;
    FUZZ_CHECK(rs_http_parse(data, head, &limits, &again) == RS_HTTP_DONE);
    FUZZ_CHECK(again.head_len == head && again.keep_alive == req.keep_alive &&
               again.content_length == req.content_length);
    /* Every split point for short heads, a spread of them for long ones. */
    size_t stride = head <= 512 ? 1 : head / 256;
    for (size_t p = 0; p < head; p += stride) {
        struct rs_http_request part;
        enum rs_http_result pr = rs_http_parse(data, p, &limits, &part);
        if (pr != RS_HTTP_INCOMPLETE) {
            fprintf(stderr, "head of %zu bytes, prefix %zu: result %d status %d (%s)\n", head, p,
                    (int)pr, part.error_status, part.error_reason ? part.error_reason : "");
            abort();
        }
    }
    return 0;
}
