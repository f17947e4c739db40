/* Strict HTTP/1.1 request head parser (see http_parser.h). */
#include "http_parser.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_METHOD       32
#define MAX_TARGET       8192
#define MAX_LEADING_CRLF 4 /* RFC 9112 §2.2: ignore at least one empty line before a request */

/* RFC 9110 §5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 §5.5 field-value characters: VCHAR, obs-text, SP, HTAB. */
static bool is_field_char(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Whether every byte of a field value is a field-value character. Sixteen bytes a step where
 * SSE2 is there (every x86-64): an Authorization value is kilobytes long, checked on every
 * request, and a byte at a time this was ringserver's costliest function. */
static bool all_field_chars(const uint8_t *p, size_t n)
{
    size_t k = 0;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20), tab = _mm_set1_epi8('\t');
    const __m128i del = _mm_set1_epi8(0x7f), minus_one = _mm_set1_epi8(-1);
    for (; k + 16 <= n; k += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
        /* The compares are signed: obs-text (0x80..0xff) is negative, and not a control. */
        __m128i control = _mm_and_si128(_mm_cmplt_epi8(x, space), _mm_cmpgt_epi8(x, minus_one));
        __m128i bad =
            _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), control), _mm_cmpeq_epi8(x, del));
        if (_mm_movemask_epi8(bad) != 0)
            return false;
    }
#endif
    for (; k < n; k++)
        if (!is_field_char(p[k]))
            return false;
    return true;
}

static enum rs_http_result fail(struct rs_http_request *req, int status, const char *reason)
{
    req->error_status = status;
    req->error_reason = reason;
    return RS_HTTP_ERROR;
}

/* The next line without its CRLF; sticky error on a bare CR or LF. */
static bool next_line(struct rs_cursor *c, struct rs_slice *line, bool *bad)
{
    ptrdiff_t lf = rs_cursor_find(c, '\n');
    if (lf < 0)
        return false;
    struct rs_slice raw = rs_cursor_take(c, (size_t)lf + 1);
    if (raw.len < 2 || raw.ptr[raw.len - 2] != '\r') {
        *bad = true;
        return false;
    }
    *line = (struct rs_slice){raw.ptr, raw.len - 2};
    if (memchr(line->ptr, '\r', line->len) != NULL) {
        *bad = true;
        return false;
    }
    return true;
}

static enum rs_http_result parse_request_line(struct rs_slice line, struct rs_http_request *req)
{
    size_t i = 0;
    while (i < line.len && is_tchar(line.ptr[i]))
        i++;
    if (i == 0 || i > MAX_METHOD || i >= line.len || line.ptr[i] != ' ')
        return fail(req, 400, "bad method");
    req->method = (struct rs_slice){line.ptr, i};
    size_t t = ++i;
    while (i < line.len && line.ptr[i] > 0x20 && line.ptr[i] < 0x7f)
        i++;
    if (i - t > MAX_TARGET)
        return fail(req, 414, "request target too long");
    if (i == t || i >= line.len || line.ptr[i] != ' ')
        return fail(req, 400, "bad request target");
    req->target = (struct rs_slice){line.ptr + t, i - t};
    struct rs_slice v = {line.ptr + i + 1, line.len - i - 1};
    if (v.len != 8 || memcmp(v.ptr, "HTTP/", 5) != 0 || v.ptr[6] != '.' || v.ptr[5] < '0' ||
        v.ptr[5] > '9' || v.ptr[7] < '0' || v.ptr[7] > '9')
        return fail(req, 400, "bad HTTP version");
    if (v.ptr[5] != '1' || (v.ptr[7] != '0' && v.ptr[7] != '1'))
        return fail(req, 505, "HTTP version not supported");
    req->minor_version = v.ptr[7] - '0';
    req->keep_alive = req->minor_version == 1;
    return RS_HTTP_DONE;
}

static bool parse_content_length(struct rs_slice v, uint64_t *out)
{
    if (v.len == 0 || v.len > 15)
        return false;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return false;
        n = n * 10 + (uint64_t)(v.ptr[i] - '0');
    }
    *out = n;
    return true;
}

/* RFC 9112 §9.3: Connection options are a comma list of tokens. */
static void parse_connection(struct rs_slice v, struct rs_http_request *req)
{
    size_t i = 0;
    while (i < v.len) {
        while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t' || v.ptr[i] == ','))
            i++;
        size_t s = i;
        while (i < v.len && v.ptr[i] != ',' && v.ptr[i] != ' ' && v.ptr[i] != '\t')
            i++;
        struct rs_slice opt = {v.ptr + s, i - s};
        if (rs_slice_eq_nocase(opt, "close"))
            req->keep_alive = false;
        else if (rs_slice_eq_nocase(opt, "keep-alive") && req->minor_version == 0)
            req->keep_alive = true;
    }
}

struct seen {
    unsigned host, content_length, transfer_encoding, connection_close;
};

static enum rs_http_result field(struct rs_http_request *req, const struct rs_http_limits *lim,
                                 struct rs_slice name, struct rs_slice value, struct seen *seen)
{
    if (rs_slice_eq_nocase(name, "host")) {
        seen->host++;
    } else if (rs_slice_eq_nocase(name, "content-length")) {
        if (seen->content_length++ || !parse_content_length(value, &req->content_length))
            return fail(req, 400, "bad or repeated Content-Length");
    } else if (rs_slice_eq_nocase(name, "transfer-encoding")) {
        seen->transfer_encoding++;
    } else if (rs_slice_eq_nocase(name, "authorization")) {
        if (req->has_authorization)
            return fail(req, 400, "repeated Authorization");
        req->has_authorization = true;
        req->authorization = value;
    } else if (rs_slice_eq_nocase(name, "connection")) {
        parse_connection(value, req);
    } else if (rs_slice_eq_nocase(name, "cookie")) {
        if (!req->has_cookie) {
            req->has_cookie = true;
            req->cookie = value;
        }
    } else if (lim->client_id_header[0] != '\0' &&
               rs_slice_eq_nocase(name, lim->client_id_header)) {
        if (req->has_client_id)
            return fail(req, 400, "repeated client id header");
        req->has_client_id = true;
        req->client_id = value;
    } else if (lim->frontend_header[0] != '\0' && rs_slice_eq_nocase(name, lim->frontend_header)) {
        if (req->has_frontend)
            return fail(req, 400, "repeated front-end header");
        req->has_frontend = true;
        req->frontend = value;
    }
    return RS_HTTP_DONE;
}

static enum rs_http_result parse_field_line(struct rs_slice line, struct rs_http_request *req,
                                            const struct rs_http_limits *lim, struct seen *seen)
{
    if (line.ptr[0] == ' ' || line.ptr[0] == '\t')
        return fail(req, 400, "obsolete line folding");
    size_t i = 0;
    while (i < line.len && is_tchar(line.ptr[i]))
        i++;
    if (i == 0 || i >= line.len || line.ptr[i] != ':')
        return fail(req, 400, "bad header field name");
    struct rs_slice name = {line.ptr, i};
    size_t s = i + 1, e = line.len;
    while (s < e && (line.ptr[s] == ' ' || line.ptr[s] == '\t'))
        s++;
    while (e > s && (line.ptr[e - 1] == ' ' || line.ptr[e - 1] == '\t'))
        e--;
    if (!all_field_chars(line.ptr + s, e - s))
        return fail(req, 400, "control character in header value");
    return field(req, lim, name, (struct rs_slice){line.ptr + s, e - s}, seen);
}

static enum rs_http_result check_framing(struct rs_http_request *req,
                                         const struct rs_http_limits *lim, const struct seen *seen)
{
    if (seen->transfer_encoding && seen->content_length)
        return fail(req, 400, "both Transfer-Encoding and Content-Length");
    if (seen->transfer_encoding)
        return fail(req, req->minor_version == 0 ? 400 : 501, "Transfer-Encoding not accepted");
    if (req->minor_version == 1 && seen->host != 1)
        return fail(req, 400, "HTTP/1.1 needs exactly one Host");
    if (seen->host > 1)
        return fail(req, 400, "repeated Host");
    if (req->content_length > lim->max_body_bytes)
        return fail(req, 413, "body too large");
    return RS_HTTP_DONE;
}

enum rs_http_result rs_http_parse(const uint8_t *buf, size_t len, const struct rs_http_limits *lim,
                                  struct rs_http_request *req)
{
    *req = (struct rs_http_request){0};
    size_t scan = len < lim->max_header_bytes ? len : lim->max_header_bytes;
    struct rs_cursor c = rs_cursor_make(buf, scan);
    struct rs_slice line;
    bool bad = false;
    unsigned empty = 0;
    for (;;) {
        if (!next_line(&c, &line, &bad))
            goto need_more;
        if (line.len != 0)
            break;
        if (++empty > MAX_LEADING_CRLF)
            return fail(req, 400, "empty lines before the request");
    }
    if (parse_request_line(line, req) != RS_HTTP_DONE)
        return RS_HTTP_ERROR;
    struct seen seen = {0};
    for (unsigned fields = 0;; fields++) {
        if (!next_line(&c, &line, &bad))
            goto need_more;
        if (line.len == 0)
            break;
        if (fields >= lim->max_headers)
            return fail(req, 431, "too many header fields");
        if (parse_field_line(line, req, lim, &seen) != RS_HTTP_DONE)
            return RS_HTTP_ERROR;
    }
    req->head_len = scan - c.len;
    return check_framing(req, lim, &seen);

need_more:
    if (bad)
        return fail(req, 400, "line not ended by CRLF");
    if (len >= lim->max_header_bytes)
        return fail(req, 431, "request head too large");
    return RS_HTTP_INCOMPLETE;
}
