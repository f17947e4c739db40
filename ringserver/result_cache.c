/* Result cache (see result_cache.h): shards of 4-way buckets, entries replaced oldest first. */
#include "result_cache.h"

#include <nettle/umac.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define SHARDS 64
#define WAYS   4

/* A result as stored: its strings and token back to back, in one allocation of the size they
 * need. A full rs_cached_result is 816 bytes of mostly padding, and copying it into fresh memory
 * on every final answer (nearly all never asked for again) was a tenth of ringserver's time on
 * keep-alive Kerberos. */
struct stored {
    SECURITY_STATUS status;
    uint16_t user_len, package_len, token_len;
    uint8_t bytes[]; /* user, package, token; no terminators */
};

struct entry {
    uint8_t key[RS_RESULT_KEY_LEN];
    uint64_t expires_ms; /* 0: empty */
    struct stored *r;
};

struct shard {
    pthread_mutex_t lock;
    struct entry *entries; /* buckets * WAYS */
    unsigned buckets;
} __attribute__((aligned(64)));

struct rs_result_cache {
    unsigned ttl_ms;
    /* UMAC-128 keyed once at creation (its key schedule is most of its cost); each key is made
     * from a copy, so that workers share it read-only. The nonce is fixed: the keys are never
     * seen outside the process, so UHASH's collision bound is what matters. */
    struct umac128_ctx keyed;
    struct shard shards[SHARDS];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct rs_result_cache *rs_result_cache_create(unsigned entries, unsigned ttl_s)
{
    if (entries == 0 || ttl_s == 0)
        return NULL;
    struct rs_result_cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->ttl_ms = ttl_s * 1000u;
    uint8_t secret[UMAC_KEY_SIZE];
    if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
        free(c);
        return NULL;
    }
    umac128_set_key(&c->keyed, secret);
    explicit_bzero(secret, sizeof(secret));
    unsigned buckets = (entries + SHARDS * WAYS - 1) / (SHARDS * WAYS);
    for (unsigned i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&c->shards[i].lock, NULL);
        c->shards[i].buckets = buckets;
        c->shards[i].entries = calloc((size_t)buckets * WAYS, sizeof(struct entry));
        if (c->shards[i].entries == NULL) {
            rs_result_cache_free(c);
            return NULL;
        }
    }
    return c;
}

void rs_result_cache_free(struct rs_result_cache *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < SHARDS; i++) {
        struct shard *s = &c->shards[i];
        for (size_t e = 0; s->entries && e < (size_t)s->buckets * WAYS; e++)
            free(s->entries[e].r);
        free(s->entries);
        pthread_mutex_destroy(&s->lock);
    }
    free(c);
}

void rs_result_cache_key(const struct rs_result_cache *c, const char *client_id, const uint8_t *tok,
                         size_t len, uint8_t key[RS_RESULT_KEY_LEN])
{
    struct umac128_ctx h = c->keyed;
    uint8_t n[4];
    size_t id_len = strlen(client_id);
    n[0] = (uint8_t)(id_len >> 24), n[1] = (uint8_t)(id_len >> 16);
    n[2] = (uint8_t)(id_len >> 8), n[3] = (uint8_t)id_len;
    umac128_update(&h, sizeof(n), n); /* length prefix: ids and tokens cannot run into each other */
    umac128_update(&h, id_len, (const uint8_t *)client_id);
    umac128_update(&h, len, tok);
    umac128_digest(&h, RS_RESULT_KEY_LEN, key);
    explicit_bzero(&h, sizeof(h));
}

static struct entry *bucket(struct rs_result_cache *c, const uint8_t key[RS_RESULT_KEY_LEN],
                            struct shard **sh)
{
    uint32_t a, b;
    memcpy(&a, key, 4);
    memcpy(&b, key + 4, 4);
    *sh = &c->shards[a % SHARDS];
    return &(*sh)->entries[(size_t)(b % (*sh)->buckets) * WAYS];
}

static struct stored *pack(const struct rs_cached_result *r)
{
    size_t user = strnlen(r->user, sizeof(r->user) - 1);
    size_t package = strnlen(r->package, sizeof(r->package) - 1);
    size_t token = r->token_len < sizeof(r->token) ? r->token_len : sizeof(r->token);
    struct stored *st = malloc(sizeof(*st) + user + package + token);
    if (st == NULL)
        return NULL;
    st->status = r->status;
    st->user_len = (uint16_t)user;
    st->package_len = (uint16_t)package;
    st->token_len = (uint16_t)token;
    memcpy(st->bytes, r->user, user);
    memcpy(st->bytes + user, r->package, package);
    memcpy(st->bytes + user + package, r->token, token);
    return st;
}

static void unpack(const struct stored *st, struct rs_cached_result *out)
{
    out->status = st->status;
    memcpy(out->user, st->bytes, st->user_len);
    out->user[st->user_len] = '\0';
    memcpy(out->package, st->bytes + st->user_len, st->package_len);
    out->package[st->package_len] = '\0';
    memcpy(out->token, st->bytes + st->user_len + st->package_len, st->token_len);
    out->token_len = st->token_len;
}

int rs_result_cache_get(struct rs_result_cache *c, const uint8_t key[RS_RESULT_KEY_LEN],
                        struct rs_cached_result *out)
{
    if (c == NULL)
        return 0;
    struct shard *s;
    struct entry *b = bucket(c, key, &s);
    uint64_t now = now_ms();
    int hit = 0;
    pthread_mutex_lock(&s->lock);
    for (unsigned w = 0; w < WAYS; w++)
        if (b[w].expires_ms > now && memcmp(b[w].key, key, RS_RESULT_KEY_LEN) == 0) {
            unpack(b[w].r, out);
            hit = 1;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

void rs_result_cache_put(struct rs_result_cache *c, const uint8_t key[RS_RESULT_KEY_LEN],
                         const struct rs_cached_result *r)
{
    if (c == NULL)
        return;
    struct stored *copy = pack(r);
    if (copy == NULL)
        return;
    struct shard *s;
    struct entry *b = bucket(c, key, &s);
    uint64_t now = now_ms();
    pthread_mutex_lock(&s->lock);
    struct entry *victim = &b[0];
    for (unsigned w = 0; w < WAYS; w++) {
        if (b[w].expires_ms <= now || memcmp(b[w].key, key, RS_RESULT_KEY_LEN) == 0) {
            victim = &b[w];
            break;
        }
        if (b[w].expires_ms < victim->expires_ms)
            victim = &b[w];
    }
    struct stored *old = victim->r;
    memcpy(victim->key, key, RS_RESULT_KEY_LEN);
    victim->expires_ms = now + c->ttl_ms;
    victim->r = copy;
    pthread_mutex_unlock(&s->lock);
    free(old);
}

void rs_result_cache_clear(struct rs_result_cache *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < SHARDS; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_lock(&s->lock);
        for (size_t e = 0; e < (size_t)s->buckets * WAYS; e++)
            s->entries[e].expires_ms = 0;
        pthread_mutex_unlock(&s->lock);
    }
}
