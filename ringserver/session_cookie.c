/* Signed session cookie (see session_cookie.h); HMAC-SHA256 from nettle. */
#include "session_cookie.h"

#include <errno.h>
#include <inttypes.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

static void publish(struct rs_cookie_key *k, const uint64_t words[RS_COOKIE_KEY_MAX / 8],
                    size_t len)
{
    atomic_fetch_add_explicit(&k->seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < RS_COOKIE_KEY_MAX / 8; i++)
        atomic_store_explicit(&k->words[i], words[i], memory_order_relaxed);
    atomic_store_explicit(&k->len, len, memory_order_relaxed);
    atomic_fetch_add_explicit(&k->seq, 1, memory_order_release);
}

/* The key as of one moment; its length (0: none). */
static size_t snapshot(const struct rs_cookie_key *k, uint64_t words[RS_COOKIE_KEY_MAX / 8])
{
    for (;;) {
        unsigned before = atomic_load_explicit(&k->seq, memory_order_acquire);
        for (size_t i = 0; i < RS_COOKIE_KEY_MAX / 8; i++)
            words[i] = atomic_load_explicit(&k->words[i], memory_order_relaxed);
        size_t len = atomic_load_explicit(&k->len, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if ((before & 1) == 0 && atomic_load_explicit(&k->seq, memory_order_relaxed) == before)
            return len;
    }
}

int rs_cookie_key_load(struct rs_cookie_key *k, const char *path, char *err, size_t errlen)
{
    uint64_t words[RS_COOKIE_KEY_MAX / 8] = {0};
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open cookie key file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(words, 1, sizeof(words), f);
    fclose(f);
    if (n < 32) {
        explicit_bzero(words, sizeof(words));
        snprintf(err, errlen,
                 "cookie key file %s holds %zu bytes; want at least 32 random bytes "
                 "(head -c 32 /dev/urandom > FILE)",
                 path, n);
        return -1;
    }
    publish(k, words, n);
    explicit_bzero(words, sizeof(words));
    return 0;
}

void rs_cookie_key_wipe(struct rs_cookie_key *k)
{
    uint64_t zero[RS_COOKIE_KEY_MAX / 8] = {0};
    publish(k, zero, 0);
}

static void mac(const struct rs_cookie_key *k, const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint64_t key[RS_COOKIE_KEY_MAX / 8];
    struct hmac_sha256_ctx h;
    hmac_sha256_set_key(&h, snapshot(k, key), (const uint8_t *)key);
    hmac_sha256_update(&h, len, msg);
    hmac_sha256_digest(&h, 32, out);
    explicit_bzero(&h, sizeof(h));
    explicit_bzero(key, sizeof(key));
}

void rs_cookie_make(struct rs_out *o, const struct rs_cookie_key *k, uint64_t expires,
                    const char *package, const char *user)
{
    char payload[400];
    int n = snprintf(payload, sizeof(payload), "1|%" PRIu64 "|%s|%s", expires, package, user);
    if (n < 0 || (size_t)n >= sizeof(payload)) {
        o->failed = true;
        return;
    }
    uint8_t m[32];
    mac(k, (const uint8_t *)payload, (size_t)n, m);
    rs_b64_encode(o, (const uint8_t *)payload, (size_t)n, true);
    rs_out_put(o, ".", 1);
    rs_b64_encode(o, m, sizeof(m), true);
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

static bool parse_payload(const char *p, uint64_t now, char *user, size_t user_len, char *package,
                          size_t pkg_len)
{
    if (strncmp(p, "1|", 2) != 0)
        return false;
    char *end;
    errno = 0;
    unsigned long long expires = strtoull(p + 2, &end, 10);
    if (errno != 0 || *end != '|' || expires <= now)
        return false;
    const char *pkg = end + 1, *bar = strchr(pkg, '|');
    if (bar == NULL || (size_t)(bar - pkg) >= pkg_len || strlen(bar + 1) >= user_len ||
        bar[1] == '\0')
        return false;
    memcpy(package, pkg, (size_t)(bar - pkg));
    package[bar - pkg] = '\0';
    strcpy(user, bar + 1);
    return true;
}

bool rs_cookie_verify(const struct rs_cookie_key *k, const char *name, struct rs_slice header,
                      uint64_t now, char *user, size_t user_len, char *package, size_t pkg_len)
{
    struct rs_slice v;
    if (k->len == 0 || !find_cookie(header, name, &v))
        return false;
    const uint8_t *dot = memchr(v.ptr, '.', v.len);
    if (dot == NULL)
        return false;
    uint8_t payload[401], m[33], want[32];
    size_t plen, mlen;
    if (rs_b64_decode(v.ptr, (size_t)(dot - v.ptr), true, payload, sizeof(payload) - 1, &plen) !=
            RS_B64_OK ||
        rs_b64_decode(dot + 1, v.len - (size_t)(dot - v.ptr) - 1, true, m, sizeof(m), &mlen) !=
            RS_B64_OK ||
        mlen != 32)
        return false;
    mac(k, payload, plen, want);
    if (!memeql_sec(want, m, 32))
        return false;
    payload[plen] = '\0';
    if (memchr(payload, '\0', plen) != NULL)
        return false;
    return parse_payload((const char *)payload, now, user, user_len, package, pkg_len);
}
