/* The farm's revocations in the shared store (see shared_revocations.h). */
#include "shared_revocations.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "store_sync.h"

static struct rs_slice key(char *buf, size_t len, const struct rs_config *cfg, const char *name)
{
    int n = snprintf(buf, len, "%s%s", cfg->shared_store_prefix, name);
    return (struct rs_slice){(const uint8_t *)buf, n > 0 ? (size_t)n : 0};
}

static struct rs_slice lit(const char *s)
{
    return (struct rs_slice){(const uint8_t *)s, strlen(s)};
}

static void free_entries(struct rs_shared_revoked *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].user);
    free(e);
}

/* ZRANGE key 0 -1 WITHSCORES: member, score, member, score... */
static int read_set(const struct rs_resp_value *reply, struct rs_shared_revoked **out, size_t *n,
                    char *err, size_t errlen)
{
    if (reply->type != RS_RESP_ARRAY || reply->count % 2 != 0) {
        snprintf(err, errlen, "shared store: revocations are not a sorted set with scores");
        return -1;
    }
    struct rs_shared_revoked *e = calloc(reply->count / 2 + 1, sizeof(*e));
    size_t k = 0;
    struct rs_slice it = reply->body;
    struct rs_resp_value user, score;
    int64_t before;
    while (e != NULL && rs_resp_array_next(&it, &user) && rs_resp_array_next(&it, &score)) {
        if (user.type != RS_RESP_BULK || score.type != RS_RESP_BULK ||
            !rs_resp_slice_int(score.str, &before) || before < 0 || user.str.len == 0 ||
            memchr(user.str.ptr, '\0', user.str.len) != NULL ||
            (e[k].user = strndup((const char *)user.str.ptr, user.str.len)) == NULL) {
            free_entries(e, k);
            snprintf(err, errlen, "shared store: a revocation that is not USER with a time");
            return -1;
        }
        e[k++].before = (uint64_t)before;
    }
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = e;
    *n = k;
    return 0;
}

/* What the store holds joins what was read before, the later time per user winning: a store
 * that restarted empty (no persistence) or lost a key does not lift a revocation. */
static int merge(struct rs_shared_revocations *s, const struct rs_shared_revoked *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < s->n && strcasecmp(s->entries[j].user, e[i].user) != 0)
            j++;
        if (j < s->n) {
            if (e[i].before > s->entries[j].before)
                s->entries[j].before = e[i].before;
            continue;
        }
        struct rs_shared_revoked *grown = realloc(s->entries, (s->n + 1) * sizeof(*grown));
        char *user = strdup(e[i].user);
        if (grown == NULL || user == NULL) {
            free(user);
            if (grown != NULL)
                s->entries = grown;
            return -1;
        }
        s->entries = grown;
        s->entries[s->n++] = (struct rs_shared_revoked){user, e[i].before};
    }
    return 0;
}

/* MGET's element: a counter INCR made, or nil (never bumped: 0). */
static bool generation_of(const struct rs_resp_value *v, int64_t *out)
{
    *out = 0;
    return v->type == RS_RESP_NIL ||
           (v->type == RS_RESP_BULK && rs_resp_slice_int(v->str, out) && *out >= 0);
}

static int read_generations(struct rs_store_sync *c, const struct rs_config *cfg, int64_t *revoked,
                            int64_t *reload, char *err, size_t errlen)
{
    char k1[96], k2[96];
    struct rs_slice mget[] = {lit("MGET"), key(k1, sizeof(k1), cfg, "revoked:generation"),
                              key(k2, sizeof(k2), cfg, "reload:generation")};
    struct rs_resp_value v, a, b;
    if (rs_store_sync_call(c, 3, mget, &v, err, errlen) != 0)
        return -1;
    struct rs_slice it = v.body;
    if (v.type != RS_RESP_ARRAY || v.count != 2 || !rs_resp_array_next(&it, &a) ||
        !rs_resp_array_next(&it, &b) || !generation_of(&a, revoked) || !generation_of(&b, reload)) {
        snprintf(err, errlen, "shared store: the generations are not counters");
        return -1;
    }
    return 0;
}

static int fetch(struct rs_shared_revocations *s, const struct rs_config *cfg,
                 const struct rs_secret *password, char *err, size_t errlen)
{
    struct rs_store_sync c;
    if (rs_store_sync_open(&c, cfg, password, err, errlen) != 0)
        return -1;
    int64_t generation, reload;
    if (read_generations(&c, cfg, &generation, &reload, err, errlen) != 0) {
        rs_store_sync_close(&c);
        return -1;
    }
    int found = s->known && reload != s->reload_generation ? RS_FARM_RELOAD : 0;
    s->reload_generation = reload;
    if (s->known && generation == s->generation) {
        rs_store_sync_close(&c);
        s->known = true;
        return found;
    }
    char k[96];
    struct rs_slice range[] = {lit("ZRANGE"), key(k, sizeof(k), cfg, "revoked"), lit("0"),
                               lit("-1"), lit("WITHSCORES")};
    struct rs_resp_value v;
    struct rs_shared_revoked *e = NULL;
    size_t n = 0;
    int rc = rs_store_sync_call(&c, 5, range, &v, err, errlen);
    if (rc == 0)
        rc = read_set(&v, &e, &n, err, errlen);
    rs_store_sync_close(&c);
    if (rc != 0)
        return -1;
    rc = merge(s, e, n);
    free_entries(e, n);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->generation = generation;
    s->known = true;
    return found | RS_FARM_REVOKED;
}

int rs_shared_revocations_poll(struct rs_shared_revocations *s, const struct rs_config *cfg,
                               const struct rs_secret *password)
{
    char err[300];
    int rc = fetch(s, cfg, password, err, sizeof(err));
    if (rc < 0 && !s->failing) {
        char q[320];
        rs_log_quote(q, sizeof(q), err);
        rs_log(RS_LOG_ERROR, "shared_revocations", "result=failed reason=%s entries=unchanged", q);
    } else if (rc >= 0 && s->failing) {
        rs_log(RS_LOG_INFO, "shared_revocations", "result=ok again");
    }
    s->failing = rc < 0;
    if (rc > 0 && (rc & RS_FARM_REVOKED))
        rs_log(RS_LOG_INFO, "shared_revocations", "generation=%" PRId64 " entries=%zu",
               s->generation, s->n);
    return rc > 0 ? rc : 0;
}

int rs_shared_revocations_apply(const struct rs_shared_revocations *s, struct rs_revocation *r)
{
    for (size_t i = 0; i < s->n; i++)
        if (rs_revocation_add(r, s->entries[i].user, strlen(s->entries[i].user),
                              s->entries[i].before) != 0)
            return -1;
    rs_revocation_seal(r);
    return 0;
}

void rs_shared_revocations_free(struct rs_shared_revocations *s)
{
    free_entries(s->entries, s->n);
    *s = (struct rs_shared_revocations){0};
}

int rs_shared_reload_farm(const struct rs_config *cfg, const struct rs_secret *password, char *err,
                          size_t errlen)
{
    struct rs_store_sync c;
    char k[96];
    if (rs_store_sync_open(&c, cfg, password, err, errlen) != 0)
        return -1;
    struct rs_resp_value v;
    struct rs_slice incr[] = {lit("INCR"), key(k, sizeof(k), cfg, "reload:generation")};
    int rc = rs_store_sync_call(&c, 2, incr, &v, err, errlen);
    rs_store_sync_close(&c);
    return rc;
}

int rs_shared_revoke(const struct rs_config *cfg, const struct rs_secret *password,
                     const char *user, uint64_t now, char *err, size_t errlen)
{
    struct rs_store_sync c;
    char k1[96], k2[96], score[24];
    snprintf(score, sizeof(score), "%" PRIu64, now);
    if (rs_store_sync_open(&c, cfg, password, err, errlen) != 0)
        return -1;
    struct rs_resp_value v;
    struct rs_slice zadd[] = {lit("ZADD"), key(k1, sizeof(k1), cfg, "revoked"), lit("GT"),
                              lit(score), lit(user)};
    struct rs_slice incr[] = {lit("INCR"), key(k2, sizeof(k2), cfg, "revoked:generation")};
    int rc = rs_store_sync_call(&c, 5, zadd, &v, err, errlen);
    if (rc == 0)
        rc = rs_store_sync_call(&c, 2, incr, &v, err, errlen);
    rs_store_sync_close(&c);
    return rc;
}
