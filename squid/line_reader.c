/* Bounded line reading (see line_reader.h). */
#include "line_reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Makes room at the end of the buffer: moves the unread bytes to its start, or, when a whole
 * buffer holds no newline, drops them and skips the rest of that line. */
static void make_room(struct ne_line_reader *r)
{
    if (r->skipping || (r->start == 0 && r->end == r->cap)) {
        r->skipping = true;
        r->start = r->end = 0;
        return;
    }
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
}

enum ne_line ne_line_next(struct ne_line_reader *r, const char **line, size_t *len)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl != NULL) {
            *line = r->buf + r->start;
            *len = (size_t)(nl - *line);
            r->start += *len + 1;
            if (!r->skipping)
                return NE_LINE_OK;
            r->skipping = false;
            return NE_LINE_TOO_LONG;
        }
        make_room(r);
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return NE_LINE_ERROR;
        if (n == 0) {
            bool partial = r->skipping || r->end > r->start;
            r->skipping = false;
            r->start = r->end = 0;
            return partial ? NE_LINE_UNTERMINATED : NE_LINE_EOF;
        }
        r->end += (size_t)n;
    }
}
