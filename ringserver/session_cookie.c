/* Signed session cookie (see session_cookie.h); HMAC-SHA256 from nettle. */
#include "session_cookie.h"

#include <errno.h>
#include <inttypes.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#define PAYLOAD_MAX 560

static void mac(const struct rs_secret *k, const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint64_t key[RS_SECRET_MAX / 8];
    struct hmac_sha256_ctx h;
    hmac_sha256_set_key(&h, rs_secret_snapshot(k, key), (const uint8_t *)key);
    hmac_sha256_update(&h, len, msg);
    hmac_sha256_digest(&h, 32, out);
    explicit_bzero(&h, sizeof(h));
    explicit_bzero(key, sizeof(key));
}

void rs_cookie_make(struct rs_out *o, const struct rs_secret *key, const struct rs_cookie_claims *c)
{
    char payload[PAYLOAD_MAX];
    int n = snprintf(payload, sizeof(payload), "2|%" PRIu64 "|%" PRIu64 "|%s|%s|%s", c->issued,
                     c->expires, c->scope, c->package, c->user);
    if (n < 0 || (size_t)n >= sizeof(payload) || strchr(c->scope, '|') != NULL ||
        strchr(c->package, '|') != NULL) {
        o->failed = true;
        return;
    }
    uint8_t m[32];
    mac(key, (const uint8_t *)payload, (size_t)n, m);
    rs_out_b64(o, (const uint8_t *)payload, (size_t)n, true);
    rs_out_put(o, ".", 1);
    rs_out_b64(o, m, sizeof(m), true);
}

/* The value of cookie `name` in "a=1; b=2" (RFC 6265 §5.4 cookie-string). */
static bool find_cookie(struct rs_slice h, const char *name, struct rs_slice *value)
{
    size_t nlen = strlen(name), i = 0;
    while (i < h.len) {
        while (i < h.len && (h.ptr[i] == ' ' || h.ptr[i] == ';'))
            i++;
        size_t start = i;
        while (i < h.len && h.ptr[i] != ';')
            i++;
        if (i - start > nlen && memcmp(h.ptr + start, name, nlen) == 0 &&
            h.ptr[start + nlen] == '=') {
            *value = (struct rs_slice){h.ptr + start + nlen + 1, i - start - nlen - 1};
            return true;
        }
    }
    return false;
}

/* The next '|'-ended field of the payload cursor, copied into out (size cap). */
static bool take_field(struct rs_cursor *c, char *out, size_t cap)
{
    ptrdiff_t bar = rs_cursor_find(c, '|');
    if (bar < 0 || (size_t)bar >= cap)
        return false;
    struct rs_slice f = rs_cursor_take(c, (size_t)bar + 1);
    memcpy(out, f.ptr, (size_t)bar);
    out[bar] = '\0';
    return true;
}

static bool take_u64(struct rs_cursor *c, uint64_t *v)
{
    char digits[24], *end;
    if (!take_field(c, digits, sizeof(digits)) || digits[0] < '0' || digits[0] > '9')
        return false;
    errno = 0;
    unsigned long long x = strtoull(digits, &end, 10);
    *v = x;
    return errno == 0 && *end == '\0';
}

/* "2|issued|expires|scope|package|user": the user is the rest, not empty. */
static bool parse_payload(const uint8_t *p, size_t len, struct rs_cookie_claims *out)
{
    struct rs_cursor c = rs_cursor_make(p, len);
    char version[4];
    if (!take_field(&c, version, sizeof(version)) || strcmp(version, "2") != 0 ||
        !take_u64(&c, &out->issued) || !take_u64(&c, &out->expires) ||
        !take_field(&c, out->scope, sizeof(out->scope)) ||
        !take_field(&c, out->package, sizeof(out->package)) || c.len == 0 ||
        c.len >= sizeof(out->user) || memchr(c.ptr, '\0', c.len) != NULL)
        return false;
    memcpy(out->user, c.ptr, c.len);
    out->user[c.len] = '\0';
    return true;
}

bool rs_cookie_verify(const struct rs_secret *key, const char *name, struct rs_slice header,
                      uint64_t now, struct rs_cookie_claims *out)
{
    struct rs_slice v;
    if (atomic_load(&key->len) == 0 || !find_cookie(header, name, &v))
        return false;
    const uint8_t *dot = memchr(v.ptr, '.', v.len);
    if (dot == NULL)
        return false;
    uint8_t payload[PAYLOAD_MAX], m[33], want[32];
    size_t plen, mlen;
    if (ne_b64_decode(v.ptr, (size_t)(dot - v.ptr), true, payload, sizeof(payload), &plen) !=
            NE_B64_OK ||
        ne_b64_decode(dot + 1, v.len - (size_t)(dot - v.ptr) - 1, true, m, sizeof(m), &mlen) !=
            NE_B64_OK ||
        mlen != 32)
        return false;
    mac(key, payload, plen, want);
    if (!memeql_sec(want, m, 32))
        return false;
    return parse_payload(payload, plen, out) && out->expires > now;
}
