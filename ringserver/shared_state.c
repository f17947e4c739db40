/* The farm's replay check (see shared_state.h). */
#include "shared_state.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "authenticator_key.h"
#include "conn.h"
#include "log.h"
#include "redis_client.h"

void rs_shared_note_token(struct rs_conn *c, bool new_handshake, const uint8_t *tok, size_t len)
{
    struct rs_conn_claim *s = &c->claim;
    if (c->w->redis == NULL)
        return;
    if (new_handshake)
        s->has_authenticator = false;
    const uint8_t *key;
    size_t key_len;
    if (!ne_authenticator_key(tok, len, &key, &key_len))
        return;
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, key_len, key);
    sha256_digest(&h, sizeof(s->authenticator), s->authenticator);
    s->has_authenticator = true;
}

static void count(struct rs_conn *c, enum rs_claim_label label)
{
    rs_count(&c->w->metrics.claims[label]);
}

/* The store could not be asked or did not answer: the configured policy decides. */
static enum rs_claim unavailable(struct rs_conn *c)
{
    if (c->w->srv->cfg.store_policy == RS_POLICY_LOCAL_ONLY) {
        count(c, RS_CLAIM_LABEL_LOCAL_ONLY);
        return RS_CLAIM_ACCEPTED;
    }
    count(c, RS_CLAIM_LABEL_REFUSED);
    return RS_CLAIM_UNAVAILABLE;
}

/* SET ... NX answers +OK when it set the key, nil when the key existed. */
static void claimed(void *arg, enum rs_redis_outcome outcome, const struct rs_resp_value *reply)
{
    struct rs_conn *c = arg;
    struct rs_conn_claim *s = &c->claim;
    s->ticket = 0;
    if (outcome != RS_REDIS_REPLY) {
        s->verdict = unavailable(c);
    } else if (reply->type == RS_RESP_SIMPLE) {
        count(c, RS_CLAIM_LABEL_FRESH);
        s->verdict = RS_CLAIM_ACCEPTED;
    } else if (reply->type == RS_RESP_NIL) {
        count(c, RS_CLAIM_LABEL_REPLAY);
        s->verdict = RS_CLAIM_REPLAY;
    } else { /* an answer SET never gives: take the store as unavailable */
        s->verdict = unavailable(c);
    }
    rs_shared_resume(c);
}

/* Accepted now, the authenticator's time is within now +- skew, so no node can accept it again
 * after now + 2 x skew (MIT's default skew when clock-skew is 0). */
static unsigned key_lifetime_ms(const struct rs_config *cfg)
{
    return 2u * (cfg->clock_skew ? cfg->clock_skew : 300u) * 1000u;
}

void rs_shared_claim(struct rs_conn *c)
{
    struct rs_redis *r = c->w->redis;
    struct rs_conn_claim *s = &c->claim;
    if (r == NULL)
        return;
    if (!s->has_authenticator) {
        s->verdict = RS_CLAIM_REPLAY;
        count(c, RS_CLAIM_LABEL_NO_KEY);
        return;
    }
    const struct rs_config *cfg = &c->w->srv->cfg;
    char key[64 + 7 + 2 * SHA256_DIGEST_SIZE + 1], px[16];
    int n = snprintf(key, sizeof(key), "%sreplay:", cfg->shared_store_prefix);
    for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
        n += snprintf(key + n, sizeof(key) - (size_t)n, "%02x", s->authenticator[i]);
    snprintf(px, sizeof(px), "%u", key_lifetime_ms(cfg));
    struct rs_slice argv[] = {{(const uint8_t *)"SET", 3}, {(const uint8_t *)key, strlen(key)},
                              {(const uint8_t *)"1", 1},   {(const uint8_t *)"NX", 2},
                              {(const uint8_t *)"PX", 2},  {(const uint8_t *)px, strlen(px)}};
    s->has_authenticator = false; /* one claim per authenticator */
    s->ticket = rs_redis_send(r, RS_STORE_CMD_CLAIM, 6, argv, claimed, c);
    s->verdict = s->ticket != 0 ? RS_CLAIM_PENDING : unavailable(c);
}

static void drop_kept(struct rs_conn_claim *s)
{
    free(s->kept);
    s->kept = NULL;
}

static void put_kept(struct rs_conn_claim *s)
{
    if (s->kept != NULL)
        rs_result_cache_put(s->kept->cache, s->kept->key, &s->kept->result);
    drop_kept(s);
}

/* The login is refused after all: the answer built for it goes, and what it left behind. */
static void refuse(struct rs_conn *c, enum rs_claim verdict)
{
    drop_kept(&c->claim);
    free(c->bound);
    c->bound = NULL;
    rs_out_free(&c->out);
    bool busy = verdict == RS_CLAIM_UNAVAILABLE;
    rs_handshake_outcome(c, "-", busy ? SEC_E_INTERNAL_ERROR : SEC_E_LOGON_DENIED, "Kerberos", "",
                         busy ? RS_RESULT_ERROR : RS_RESULT_DENIED,
                         busy ? "shared store unavailable (fail-closed)"
                              : "authenticator accepted before by another node");
    c->lis->proto->refuse_held(c, busy);
    c->close_after_send = true;
}

bool rs_shared_hold(struct rs_conn *c)
{
    struct rs_conn_claim *s = &c->claim;
    enum rs_claim verdict = s->verdict;
    if (verdict == RS_CLAIM_NONE)
        return false;
    if (verdict == RS_CLAIM_PENDING) {
        s->held = true;
        return true;
    }
    s->verdict = RS_CLAIM_NONE;
    if (verdict == RS_CLAIM_ACCEPTED)
        put_kept(s);
    else
        refuse(c, verdict);
    return false;
}

bool rs_shared_resume(struct rs_conn *c)
{
    struct rs_conn_claim *s = &c->claim;
    if (!s->held || s->verdict == RS_CLAIM_PENDING || c->send_armed)
        return false;
    s->held = false;
    rs_conn_send(c);
    return true;
}

bool rs_shared_held(const struct rs_conn *c)
{
    return c->claim.held;
}

void rs_shared_cache_put(struct rs_conn *c, struct rs_result_cache *cache,
                         const uint8_t key[RS_RESULT_KEY_LEN],
                         const struct rs_cached_result *result)
{
    struct rs_conn_claim *s = &c->claim;
    if (s->verdict == RS_CLAIM_NONE) {
        rs_result_cache_put(cache, key, result);
        return;
    }
    drop_kept(s);
    s->kept = malloc(sizeof(*s->kept));
    if (s->kept == NULL)
        return;
    s->kept->cache = cache;
    memcpy(s->kept->key, key, sizeof(s->kept->key));
    s->kept->result = *result;
}

void rs_shared_forget(struct rs_conn *c)
{
    struct rs_conn_claim *s = &c->claim;
    if (s->ticket != 0)
        rs_redis_forget(c->w->redis, s->ticket);
    s->ticket = 0;
    s->held = false;
    s->verdict = RS_CLAIM_NONE;
    drop_kept(s);
}
