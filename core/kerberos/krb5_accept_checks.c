#include "krb5_accept_checks.h"

#include <stdatomic.h>
#include <string.h>

#include "constant_time.h"
#include "env_setting.h"

/* 2^22 slots (32 MiB reserved) keep the accepted window whole up to about 7,000
 * accepts/s with the default 300 s skew (slots >= 2 x rate x skew: replay_cache.h). */
enum { REPLAY_CACHE_LOG2 = 22, REPLAY_CACHE_MIN_LOG2 = 10, REPLAY_CACHE_MAX_LOG2 = 32 };

static _Atomic(struct ng_replay_cache *) replay_cache;

/* Made on first use. A failed attempt (out of memory) is retried by the next accept instead of
 * leaving the process without a replay cache, and so unable to accept, for good. */
static ng_status get_replay_cache(struct ng_replay_cache **out)
{
    struct ng_replay_cache *rc = atomic_load_explicit(&replay_cache, memory_order_acquire);
    if (rc == NULL) {
        NG_GUARD(ng_replay_cache_create(
            &rc, ng_env_log2("NEGRING_REPLAY_CACHE_LOG2", REPLAY_CACHE_MIN_LOG2,
                             REPLAY_CACHE_MAX_LOG2, REPLAY_CACHE_LOG2)));
        struct ng_replay_cache *winner = NULL;
        if (!atomic_compare_exchange_strong(&replay_cache, &winner, rc)) {
            ng_replay_cache_destroy(rc); /* another thread was first */
            rc = winner;
        }
    }
    *out = rc;
    return NG_OK;
}

ng_status ng_krb5_replay_cache_prepare(void)
{
    struct ng_replay_cache *rc;
    NG_GUARD(get_replay_cache(&rc));
    ng_replay_cache_commit(rc);
    return NG_OK;
}

ng_status ng_krb5_check_gss_checksum(const struct ng_context *ctx, bool present, int32_t type,
                                     struct ng_slice contents, struct ng_slice bindings,
                                     struct ng_gss_checksum *gss)
{
    if (!present || type != NG_GSS_CHECKSUM_TYPE)
        return NG_ERR_INVALID_TOKEN;
    NG_GUARD(ng_gss_checksum_parse(contents, gss));
    bool unbound = bindings.len == 0 || ng_bindings_hash_is_zero(gss->bindings_hash);
    if (unbound && atomic_load_explicit(&ctx->creds->require_bindings, memory_order_relaxed))
        return NG_ERR_BAD_BINDINGS; /* Extended Protection required (credentials.h) */
    if (unbound)
        return NG_OK; /* bindings missing on one side: accepted, as Windows does by default */
    uint8_t expected[16];
    NG_GUARD(ng_channel_bindings_hash(bindings, expected));
    return ng_ct_equal(expected, gss->bindings_hash, sizeof(expected)) ? NG_OK
                                                                       : NG_ERR_BAD_BINDINGS;
}

/* The replay cache's owner of an authenticator: its client, as realm and name components
 * (each NUL-terminated; a name past the buffer is cut, the same way every time). */
static struct ng_slice owner_of(krb5_const_principal client, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    for (krb5_int32 i = -1; client != NULL && i < client->length; i++) {
        const krb5_data *d = i < 0 ? &client->realm : &client->data[i];
        size_t n = d->length < cap - len ? d->length : cap - len;
        memcpy(buf + len, d->data, n);
        len += n;
        if (len == cap)
            break;
        buf[len++] = 0;
    }
    return ng_slice_of(buf, len);
}

/* The authenticator ciphertext is unique per AP-REQ; seen again while ctime is within the skew
 * it is a replay. Its expiry is a function of the authenticator alone, as the cache's watermark
 * requires of every attempt with one key. The client is the key's owner: an account flooding
 * the cache evicts its own entries. */
void ng_krb5_replay_locate(const struct ng_context *ctx, const struct ng_krb5_ap_req *req,
                           krb5_const_principal client, atomic_uint *class_memo,
                           struct ng_krb5_replay *out)
{
    out->rc = NULL;
    out->status = NG_OK;
    if (ctx->req_flags & ASC_REQ_ALLOW_CONTEXT_REPLAY)
        return;
    out->status = get_replay_cache(&out->rc);
    if (out->status != NG_OK) {
        out->rc = NULL;
        return;
    }
    /* The process has one replay cache, made once: a class kept from an earlier accept is the
     * class in this one. Any thread may write it; each writes the same value. */
    unsigned kept = class_memo ? atomic_load_explicit(class_memo, memory_order_relaxed) : 0;
    unsigned cls = kept - 1;
    if (kept == 0) {
        uint8_t owner[256];
        cls = ng_replay_cache_owner_class(out->rc, owner_of(client, owner, sizeof owner));
        if (class_memo != NULL)
            atomic_store_explicit(class_memo, cls + 1, memory_order_relaxed);
    }
    ng_replay_cache_locate_in_class(out->rc, req->authenticator_cipher, cls, &out->key);
}

/* NG_ERR_TIME_SKEW from the cache: under overload it can no longer vouch for an authenticator
 * this old (KRB_AP_ERR_SKEW is what Windows answers for an authenticator outside its window).
 * The cache is per process: an authenticator first accepted under a smaller skew is held only
 * for that skew, so credentials with a larger one could take it again after that (skews rarely
 * differ). */
ng_status ng_krb5_check_located_replay(const struct ng_context *ctx,
                                       const struct ng_krb5_replay *located, int64_t ctime,
                                       int64_t now)
{
    int64_t skew = ctx->creds->clock_skew;
    if (ctime > now + skew || ctime < now - skew)
        return NG_ERR_TIME_SKEW;
    NG_GUARD(located->status);
    if (located->rc == NULL)
        return NG_OK; /* context replay allowed */
    ng_status status =
        ng_replay_cache_check_and_insert_located(located->rc, &located->key, now, ctime + skew);
    return status == NG_ERR_FULL ? NG_ERR_NOMEM : status;
}

ng_status ng_krb5_check_replay(const struct ng_context *ctx, const struct ng_krb5_ap_req *req,
                               krb5_const_principal client, int64_t ctime, int64_t now)
{
    int64_t skew = ctx->creds->clock_skew;
    if (ctime > now + skew || ctime < now - skew)
        return NG_ERR_TIME_SKEW; /* before the cache is made or hashed into */
    struct ng_krb5_replay located;
    ng_krb5_replay_locate(ctx, req, client, NULL, &located);
    return ng_krb5_check_located_replay(ctx, &located, ctime, now);
}

ULONG ng_krb5_accept_ret_flags(ULONG req, uint32_t gss_flags, bool mutual)
{
    ULONG ret = 0;
    if (mutual)
        ret |= ASC_RET_MUTUAL_AUTH;
    if ((gss_flags & NG_GSS_C_REPLAY_FLAG) || (req & ASC_REQ_REPLAY_DETECT))
        ret |= ASC_RET_REPLAY_DETECT;
    if ((gss_flags & NG_GSS_C_SEQUENCE_FLAG) || (req & ASC_REQ_SEQUENCE_DETECT))
        ret |= ASC_RET_SEQUENCE_DETECT;
    if (gss_flags & NG_GSS_C_CONF_FLAG)
        ret |= ASC_RET_CONFIDENTIALITY;
    if (gss_flags & NG_GSS_C_INTEG_FLAG)
        ret |= ASC_RET_INTEGRITY;
    if (gss_flags & NG_GSS_C_IDENTIFY_FLAG)
        ret |= ASC_RET_IDENTIFY;
    ret |= req & (ASC_REQ_CONNECTION | ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOW_CONTEXT_REPLAY);
    return ret;
}

bool ng_krb5_wants_delegation(const struct ng_context *ctx, const struct ng_gss_checksum *gss)
{
    return (ctx->req_flags & ASC_REQ_DELEGATE) && (gss->flags & NG_GSS_C_DELEG_FLAG) &&
           gss->delegation.len > 0;
}
