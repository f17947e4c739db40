/* Reading newline-terminated lines from a descriptor into a fixed buffer: memory stays bounded
 * whatever the peer sends. A line longer than the buffer is skipped to its newline and
 * reported once, so the caller can answer it and go on. */
#ifndef NEGRING_SQUID_LINE_READER_H
#define NEGRING_SQUID_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>

struct ne_line_reader {
    int fd;
    char *buf; /* the caller's, cap bytes */
    size_t cap;
    size_t start, end; /* unread bytes are buf[start..end) */
    bool skipping;     /* inside a line that did not fit */
};

enum ne_line {
    NE_LINE_OK,           /* *line, *len: one line, without its newline */
    NE_LINE_TOO_LONG,     /* a line longer than the buffer ended (its bytes are gone) */
    NE_LINE_UNTERMINATED, /* end of input inside a line */
    NE_LINE_EOF,          /* end of input between lines */
    NE_LINE_ERROR,        /* read(2) failed (errno) */
};

/* The line stays valid until the next call. */
enum ne_line ne_line_next(struct ne_line_reader *r, const char **line, size_t *len);

#endif
