/* An HTTP/1.1 response head parser (RFC 9112 §4, §6) and body framing, bounded: everything is
 * read through (pointer, length) and a malformed or oversized head is an error, never an
 * overrun. Only what a Negotiate client needs is kept. */
#ifndef NEGRING_LOADGEN_HTTP_RESPONSE_H
#define NEGRING_LOADGEN_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lg_body { LG_BODY_NONE, LG_BODY_LENGTH, LG_BODY_CHUNKED, LG_BODY_UNTIL_CLOSE };

struct lg_http_head {
    int status;
    bool keep_alive;
    enum lg_body body;
    uint64_t content_length;
    bool offered;     /* a WWW-Authenticate challenge for our scheme was present */
    size_t token_off; /* its token (base64), as an offset into the parsed buffer; 0 length: none */
    size_t token_len;
};

/* Parses the head at buf[0..len). Returns the head's length (> 0) when complete, 0 when more
 * bytes are needed, -1 when malformed. scheme: the auth scheme to look for ("Negotiate"). */
long lg_http_parse_head(const char *buf, size_t len, const char *scheme, struct lg_http_head *h);

/* RFC 9112 §7.1 chunked body, decoded byte by byte (the data itself is discarded). */
struct lg_chunked {
    int state;
    uint64_t remaining;
    unsigned line_len;
};

void lg_chunked_init(struct lg_chunked *c);
/* Consumes up to n bytes; returns how many were used, with *done set once the body (and its
 * trailer) ended, or -1 on malformed framing. */
long lg_chunked_feed(struct lg_chunked *c, const uint8_t *p, size_t n, bool *done);

#endif
