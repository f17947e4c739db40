/* Strict HTTP/1.1 request head parser (RFC 9112 §2-§7, RFC 9110 §5): one request at a time
 * from a byte buffer, zero-copy (slices point into the buffer and live as long as it).
 *
 * Strict on purpose, since this daemon sits behind and beside proxies (request smuggling):
 * lines end in CRLF only; no obs-fold (§5.2); no whitespace between a field name and its colon
 * (§5.1); no control characters in values; Content-Length must be digits, once; any
 * Transfer-Encoding is refused (with Content-Length too: 400, RFC 9112 §6.3; alone: 501, this
 * endpoint takes no chunked bodies); HTTP/1.1 needs exactly one Host (RFC 9112 §3.2); a
 * second Authorization is refused rather than guessed at. */
#ifndef RINGSERVER_HTTP_PARSER_H
#define RINGSERVER_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum rs_http_result { RS_HTTP_INCOMPLETE, RS_HTTP_DONE, RS_HTTP_ERROR };

struct rs_http_limits {
    size_t max_header_bytes; /* request line + fields + final CRLF */
    unsigned max_headers;
    size_t max_body_bytes;
    const char *client_id_header; /* extra fields to capture, or "" */
    const char *frontend_header;
};

struct rs_http_request {
    struct rs_slice method, target, authorization, cookie, client_id, frontend;
    bool has_authorization, has_cookie, has_client_id, has_frontend;
    int minor_version; /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive;
    uint64_t content_length;
    size_t head_len;  /* bytes of the request head, including the blank line */
    int error_status; /* on RS_HTTP_ERROR: 400, 413, 414, 431, 501 or 505 */
    const char *error_reason;
};

enum rs_http_result rs_http_parse(const uint8_t *buf, size_t len, const struct rs_http_limits *lim,
                                  struct rs_http_request *req);

#endif
