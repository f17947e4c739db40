#include "http_response.h"

#include <string.h>
#include <strings.h>

/* A head larger than this is refused (a Kerberos mutual token with a PAC fits many times). */
#define HEAD_MAX (64 * 1024)

struct span {
    const char *p;
    size_t n;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
    while (s.n > 0 && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool equals(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Does a comma-separated list (Connection, Transfer-Encoding) contain the token? */
static bool list_has(struct span value, const char *token)
{
    while (value.n > 0) {
        const char *comma = memchr(value.p, ',', value.n);
        size_t n = comma ? (size_t)(comma - value.p) : value.n;
        if (equals(trim((struct span){value.p, n}), token))
            return true;
        if (comma == NULL)
            break;
        value.p += n + 1;
        value.n -= n + 1;
    }
    return false;
}

static bool parse_decimal(struct span s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 18)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return true;
}

/* "HTTP/1.x SSS reason" (RFC 9112 §4). */
static bool parse_status_line(struct span line, struct lg_http_head *h)
{
    if (line.n < 12 || strncmp(line.p, "HTTP/1.", 7) != 0 || line.p[8] != ' ')
        return false;
    h->keep_alive = line.p[7] == '1'; /* HTTP/1.1 persists by default, 1.0 does not */
    uint64_t status;
    if (!parse_decimal((struct span){line.p + 9, 3}, &status) || status < 100 ||
        (line.n > 12 && line.p[12] != ' '))
        return false;
    h->status = (int)status;
    return true;
}

/* WWW-Authenticate: <scheme> [token] — RFC 4559 §4 puts one base64 token after "Negotiate".
 * A header listing several challenges ("Negotiate, NTLM") is searched for ours. */
static void parse_challenge(struct span v, const char *scheme, size_t base, struct lg_http_head *h)
{
    size_t sl = strlen(scheme);
    for (size_t i = 0; i + sl <= v.n; i++) {
        bool at_start = i == 0 || v.p[i - 1] == ',' || is_space(v.p[i - 1]);
        if (!at_start || strncasecmp(v.p + i, scheme, sl) != 0)
            continue;
        size_t end = i + sl;
        if (end < v.n && !is_space(v.p[end]) && v.p[end] != ',')
            continue;
        h->offered = true;
        while (end < v.n && is_space(v.p[end]))
            end++;
        size_t tok = end;
        while (end < v.n && !is_space(v.p[end]) && v.p[end] != ',')
            end++;
        if (end > tok) {
            h->token_off = base + tok;
            h->token_len = end - tok;
        }
        return;
    }
}

static bool parse_header(struct span line, const char *buf, const char *scheme,
                         struct lg_http_head *h)
{
    const char *colon = memchr(line.p, ':', line.n);
    if (colon == NULL || colon == line.p || is_space(colon[-1]))
        return false; /* RFC 9112 §5.1: no whitespace before the colon */
    struct span name = {line.p, (size_t)(colon - line.p)};
    struct span value = trim((struct span){colon + 1, line.n - name.n - 1});
    if (equals(name, "Content-Length")) {
        uint64_t n;
        if (!parse_decimal(value, &n) || (h->body == LG_BODY_LENGTH && n != h->content_length))
            return false;
        if (h->body != LG_BODY_CHUNKED) {
            h->body = LG_BODY_LENGTH;
            h->content_length = n;
        }
    } else if (equals(name, "Transfer-Encoding")) {
        if (!list_has(value, "chunked"))
            return false; /* no other coding can be framed by the client */
        h->body = LG_BODY_CHUNKED;
    } else if (equals(name, "Connection")) {
        if (list_has(value, "close"))
            h->keep_alive = false;
        else if (list_has(value, "keep-alive"))
            h->keep_alive = true;
    } else if (equals(name, "WWW-Authenticate") && !h->offered) {
        parse_challenge(value, scheme, (size_t)(value.p - buf), h);
    }
    return true;
}

long lg_http_parse_head(const char *buf, size_t len, const char *scheme, struct lg_http_head *h)
{
    memset(h, 0, sizeof(*h));
    h->body = LG_BODY_UNTIL_CLOSE;
    size_t pos = 0;
    bool first = true;
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (nl == NULL)
            return len > HEAD_MAX ? -1 : 0;
        size_t end = (size_t)(nl - buf);
        if (end + 1 > HEAD_MAX)
            return -1;
        struct span line = {buf + pos, end - pos};
        if (line.n > 0 && line.p[line.n - 1] == '\r')
            line.n--;
        pos = end + 1;
        if (first) {
            if (!parse_status_line(line, h))
                return -1;
            first = false;
        } else if (line.n == 0) {
            break;
        } else if (is_space(line.p[0]) || !parse_header(line, buf, scheme, h)) {
            return -1; /* obsolete line folding is refused too (RFC 9112 §5.2) */
        }
    }
    /* RFC 9112 §6.3: these never have a body, whatever the headers say. */
    if (h->status < 200 || h->status == 204 || h->status == 304)
        h->body = LG_BODY_NONE;
    if (h->body == LG_BODY_UNTIL_CLOSE)
        h->keep_alive = false;
    return (long)pos;
}

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

void lg_chunked_init(struct lg_chunked *c)
{
    memset(c, 0, sizeof(*c));
}

static int hex_value(uint8_t b)
{
    if (b >= '0' && b <= '9')
        return b - '0';
    if ((b | 0x20) >= 'a' && (b | 0x20) <= 'f')
        return (b | 0x20) - 'a' + 10;
    return -1;
}

/* One byte outside a chunk's data; false when malformed. */
static bool chunk_byte(struct lg_chunked *c, uint8_t b)
{
    switch (c->state) {
    case CH_SIZE:
        if (hex_value(b) >= 0 && c->line_len < 15) {
            c->remaining = c->remaining << 4 | (uint64_t)hex_value(b);
            c->line_len++;
            return true;
        }
        if (c->line_len == 0)
            return false;
        c->state = b == '\r' ? CH_SIZE_LF : CH_EXT;
        return b == '\r' || b == ';' || is_space((char)b);
    case CH_EXT: /* chunk extensions are ignored (RFC 9112 §7.1.1) */
        if (b == '\r')
            c->state = CH_SIZE_LF;
        return true;
    case CH_SIZE_LF:
        if (b != '\n')
            return false;
        c->line_len = 0;
        c->state = c->remaining ? CH_DATA : CH_TRAILER;
        return true;
    case CH_DATA_CR:
        c->state = CH_DATA_LF;
        return b == '\r';
    case CH_DATA_LF:
        c->state = CH_SIZE;
        return b == '\n';
    case CH_TRAILER: /* trailer lines until an empty one */
        if (b == '\n') {
            if (c->line_len == 0)
                c->state = CH_DONE;
            c->line_len = 0;
        } else if (b != '\r') {
            c->line_len = 1;
        }
        return true;
    default:
        return false;
    }
}

long lg_chunked_feed(struct lg_chunked *c, const uint8_t *p, size_t n, bool *done)
{
    size_t i = 0;
    while (i < n && c->state != CH_DONE) {
        if (c->state == CH_DATA) {
            size_t take = n - i < c->remaining ? n - i : (size_t)c->remaining;
            i += take;
            c->remaining -= take;
            if (c->remaining == 0)
                c->state = CH_DATA_CR;
            continue;
        }
        if (!chunk_byte(c, p[i++]))
            return -1;
    }
    *done = c->state == CH_DONE;
    return (long)i;
}
