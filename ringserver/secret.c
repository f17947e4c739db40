/* Secrets replaced under a sequence lock (see secret.h). */
#include "secret.h"

#include <errno.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <string.h>

static void publish(struct rs_secret *s, const uint64_t words[RS_SECRET_MAX / 8], size_t len)
{
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < RS_SECRET_MAX / 8; i++)
        atomic_store_explicit(&s->words[i], words[i], memory_order_relaxed);
    atomic_store_explicit(&s->len, len, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

size_t rs_secret_snapshot(const struct rs_secret *s, uint64_t words[RS_SECRET_MAX / 8])
{
    for (;;) {
        unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire);
        for (size_t i = 0; i < RS_SECRET_MAX / 8; i++)
            words[i] = atomic_load_explicit(&s->words[i], memory_order_relaxed);
        size_t len = atomic_load_explicit(&s->len, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if ((before & 1) == 0 && atomic_load_explicit(&s->seq, memory_order_relaxed) == before)
            return len;
    }
}

/* A header value: printable, no blanks (nginx and our parser trim them); a final newline, as
 * `echo` writes, is not part of it. */
static bool text_ok(const uint8_t *p, size_t *n)
{
    if (*n > 0 && p[*n - 1] == '\n')
        (*n)--;
    for (size_t i = 0; i < *n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return true;
}

int rs_secret_load(struct rs_secret *s, const char *path, size_t min, enum rs_secret_kind kind,
                   char *err, size_t errlen)
{
    uint64_t words[RS_SECRET_MAX / 8 + 1] = {0}; /* one more: a file too long is refused */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open secret file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(words, 1, sizeof(words), f);
    fclose(f);
    bool ok = kind == RS_SECRET_BYTES || text_ok((const uint8_t *)words, &n);
    if (!ok || n < min || n > RS_SECRET_MAX) {
        explicit_bzero(words, sizeof(words));
        snprintf(err, errlen,
                 "secret file %s: want %zu to %d %s (head -c 32 /dev/urandom%s > FILE)", path, min,
                 RS_SECRET_MAX,
                 kind == RS_SECRET_TEXT ? "printable characters without blanks" : "bytes",
                 kind == RS_SECRET_TEXT ? " | base64" : "");
        return -1;
    }
    publish(s, words, n);
    explicit_bzero(words, sizeof(words));
    return 0;
}

void rs_secret_wipe(struct rs_secret *s)
{
    uint64_t zero[RS_SECRET_MAX / 8] = {0};
    publish(s, zero, 0);
}

bool rs_secret_equals(const struct rs_secret *s, struct rs_slice value)
{
    uint64_t words[RS_SECRET_MAX / 8];
    size_t len = rs_secret_snapshot(s, words);
    bool same = len > 0 && value.len == len && memeql_sec(words, value.ptr, len);
    explicit_bzero(words, sizeof(words));
    return same;
}
