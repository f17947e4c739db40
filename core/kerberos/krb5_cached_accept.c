#include "krb5_cached_accept.h"

#include <errno.h>
#include <profile.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "krb5_accept_checks.h"
#include "krb5_ap_rep.h"
#include "krb5_authenticator.h"
#include "krb5_session.h"
#include "krb5_token.h"
#include "random.h"

enum {
    THREAD_KEYS = 64,         /* session keys (with their derived keys) kept per thread */
    MAX_AUTHENTICATOR = 4096, /* longer authenticators take the libkrb5 path */
    MAX_KEY = 64,
    MAX_AP_REP = 512,
    SEQ_MASK = 0x3fffffff, /* initial sequence numbers below 2^30, as MIT makes them */
    MAX_PERMITTED = 32,
};

/* ---- what krb5_rd_req takes from the thread's krb5_context --------------------------------
 * The permitted enctypes and libdefaults clockskew, read once per krb5_context, so the cached
 * path applies exactly the configuration the libkrb5 path would on this thread. */

struct thread_config {
    krb5_context kctx; /* the context these were read from */
    int64_t skew;
    size_t npermitted;
    krb5_enctype permitted[MAX_PERMITTED];
};

static _Thread_local struct thread_config config;

static int64_t library_skew(krb5_context kctx)
{
    profile_t profile = NULL;
    int skew = NG_DEFAULT_CLOCK_SKEW;
    if (krb5_get_profile(kctx, &profile) == 0) {
        (void)profile_get_integer(profile, "libdefaults", "clockskew", NULL, skew, &skew);
        profile_release(profile);
    }
    return skew;
}

/* NULL when the configuration cannot be read or is longer than we keep: no cached path. */
static const struct thread_config *thread_config(krb5_context kctx)
{
    if (config.kctx == kctx)
        return &config;
    krb5_enctype *etypes = NULL;
    size_t n = 0;
    if (krb5_get_permitted_enctypes(kctx, &etypes) != 0)
        return NULL;
    while (etypes[n] != ENCTYPE_NULL)
        n++;
    if (n <= MAX_PERMITTED) {
        memcpy(config.permitted, etypes, n * sizeof(*etypes));
        config.npermitted = n;
        config.skew = library_skew(kctx);
        config.kctx = kctx;
    }
    krb5_free_enctypes(kctx, etypes);
    return config.kctx == kctx ? &config : NULL;
}

void ng_krb5_cached_accept_prepare(krb5_context kctx)
{
    (void)thread_config(kctx); /* without it the cached path is off: nothing to report */
}

/* ---- per-thread session keys ---------------------------------------------------------------
 * A krb5_key caches the keys derived from it (RFC 3961 §5.1), but libkrb5 updates that cache
 * and its reference counts without locks, so a krb5_key is never shared between threads: each
 * thread keeps its own for the tickets it serves, tagged with the cache entry's id. */

struct thread_key {
    uint64_t id;
    krb5_key key;
};

static _Thread_local struct thread_key thread_keys[THREAD_KEYS];
static _Thread_local uint64_t thread_accepts;
static _Thread_local bool thread_keys_registered;
static pthread_key_t thread_keys_exit;
static pthread_once_t thread_keys_once = PTHREAD_ONCE_INIT;

static void free_thread_keys(void *arg)
{
    struct thread_key *keys = arg;
    for (size_t i = 0; i < THREAD_KEYS; i++) {
        krb5_k_free_key(NULL, keys[i].key); /* wipes the key */
        keys[i] = (struct thread_key){0};
    }
}

static void create_exit_key(void)
{
    (void)pthread_key_create(&thread_keys_exit, free_thread_keys);
}

static krb5_key session_key(krb5_context kctx, const struct ng_ticket_entry *e)
{
    struct thread_key *k = &thread_keys[e->id % THREAD_KEYS];
    if (k->id == e->id)
        return k->key;
    if (!thread_keys_registered) { /* frees this thread's keys when it exits */
        pthread_once(&thread_keys_once, create_exit_key);
        thread_keys_registered = pthread_setspecific(thread_keys_exit, thread_keys) == 0;
    }
    krb5_key key;
    if (krb5_k_create_key(kctx, &e->session, &key) != 0)
        return NULL;
    krb5_k_free_key(kctx, k->key);
    *k = (struct thread_key){e->id, key};
    return key;
}

/* ---- crypto through libkrb5, in caller buffers ---------------------------------------------- */

struct layout {
    unsigned header, trailer;
};

static bool crypto_layout(krb5_context kctx, krb5_enctype enctype, struct layout *l)
{
    unsigned padding = 0;
    return krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_HEADER, &l->header) == 0 &&
           krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_TRAILER, &l->trailer) == 0 &&
           krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_PADDING, &padding) == 0 &&
           padding == 0;
}

static void layout_iov(const struct layout *l, uint8_t *buf, size_t data_len,
                       krb5_crypto_iov iov[3])
{
    iov[0] = (krb5_crypto_iov){KRB5_CRYPTO_TYPE_HEADER, {KV5M_DATA, l->header, (char *)buf}};
    iov[1] = (krb5_crypto_iov){KRB5_CRYPTO_TYPE_DATA,
                               {KV5M_DATA, (unsigned)data_len, (char *)buf + l->header}};
    iov[2] = (krb5_crypto_iov){KRB5_CRYPTO_TYPE_TRAILER,
                               {KV5M_DATA, l->trailer, (char *)buf + l->header + data_len}};
}

/* RFC 4120 §5.5.1: the authenticator is encrypted in the ticket session key, key usage 11. */
static bool decrypt_authenticator(krb5_context kctx, krb5_key key, const struct layout *l,
                                  struct ng_slice cipher, uint8_t *buf, struct ng_slice *plain)
{
    if (cipher.len > MAX_AUTHENTICATOR || cipher.len < (size_t)l->header + l->trailer)
        return false;
    size_t data_len = cipher.len - l->header - l->trailer;
    memcpy(buf, cipher.ptr, cipher.len);
    krb5_crypto_iov iov[3];
    layout_iov(l, buf, data_len, iov);
    if (krb5_k_decrypt_iov(kctx, key, KRB5_KEYUSAGE_AP_REQ_AUTH, NULL, iov, 3) != 0)
        return false;
    *plain = ng_slice_of(buf + l->header, data_len);
    return true;
}

/* ---- the checks krb5_rd_req makes ------------------------------------------------------------ */

static bool same_principal(krb5_const_principal p, const struct ng_principal_ref *r)
{
    if ((size_t)p->length != r->ncomponents ||
        !ng_slice_eq(ng_slice_of(p->realm.data, p->realm.length), r->realm))
        return false;
    for (size_t i = 0; i < r->ncomponents; i++)
        if (!ng_slice_eq(ng_slice_of(p->data[i].data, p->data[i].length), r->components[i]))
            return false;
    return true;
}

static bool permitted(const struct thread_config *c, int32_t etype)
{
    for (size_t i = 0; i < c->npermitted; i++)
        if (c->permitted[i] == etype)
            return true;
    return false;
}

/* RFC 4537 as krb5_rd_req applies it: the subkey's and session key's enctypes must be permitted;
 * the first permitted enctype (in our order of preference) the client listed wins. */
static bool negotiate_etype(const struct thread_config *c, const struct ng_ticket_entry *e,
                            const struct ng_krb5_authenticator *a, krb5_enctype *out)
{
    int32_t desired[NG_AUTHENTICATOR_MAX_ETYPES + 2];
    size_t n = a->netypes, mandatory = a->netypes;
    memcpy(desired, a->etypes, n * sizeof(desired[0]));
    if (a->has_subkey)
        desired[n++] = a->subkey_type;
    desired[n++] = e->session.enctype;
    for (size_t i = mandatory; i < n; i++)
        if (!permitted(c, desired[i]))
            return false;
    for (size_t j = 0; j < c->npermitted; j++)
        for (size_t i = 0; i < n; i++)
            if (desired[i] == c->permitted[j]) {
                *out = c->permitted[j];
                return true;
            }
    return false;
}

/* Everything krb5_rd_req checks beyond decryption, on a ticket it accepted before. */
static bool rd_req_checks(const struct thread_config *c, const struct ng_ticket_entry *e,
                          const struct ng_krb5_authenticator *a, int64_t now,
                          krb5_enctype *negotiated)
{
    return !a->other_authdata && same_principal(e->client, &a->client) &&
           e->start_time <= now + c->skew && now <= e->end_time + c->skew &&
           a->ctime <= now + c->skew && a->ctime >= now - c->skew &&
           negotiate_etype(c, e, a, negotiated) && *negotiated > 0 &&
           ng_krb5_enctype_is_cfx(*negotiated);
}

/* ---- the AP-REP ----------------------------------------------------------------------------- */

struct acceptor_subkey {
    krb5_keyblock block;
    uint8_t bytes[MAX_KEY];
    uint32_t seq_number;
};

/* A random key of the negotiated enctype (what krb5_mk_rep makes with USE_SUBKEY) and a random
 * initial sequence number. */
static ng_status make_subkey(krb5_context kctx, krb5_enctype enctype, struct acceptor_subkey *k)
{
    size_t keybytes, keylength;
    uint8_t random[MAX_KEY + 4];
    if (krb5_c_keylengths(kctx, enctype, &keybytes, &keylength) != 0 || keybytes > MAX_KEY ||
        keylength > MAX_KEY)
        return NG_ERR_UNSUPPORTED;
    NG_GUARD(ng_random_bytes(random, keybytes + 4));
    k->block = (krb5_keyblock){KV5M_KEYBLOCK, enctype, (unsigned)keylength, k->bytes};
    krb5_data seed = {KV5M_DATA, (unsigned)keybytes, (char *)random};
    krb5_error_code code = krb5_c_random_to_key(kctx, enctype, &seed, &k->block);
    memcpy(&k->seq_number, random + keybytes, 4);
    explicit_bzero(random, sizeof(random));
    k->seq_number &= SEQ_MASK;
    if (k->seq_number == 0)
        k->seq_number = 1;
    return code == 0 ? NG_OK : NG_ERR_INTERNAL;
}

static ng_status write_ap_rep(krb5_context kctx, krb5_key key, const struct layout *l,
                              krb5_enctype etype, const struct ng_krb5_authenticator *a,
                              const struct acceptor_subkey *sub, struct ng_writer *out)
{
    uint8_t cipher[MAX_AP_REP], rep[MAX_AP_REP];
    size_t room = sizeof(cipher) - l->header - l->trailer;
    struct ng_writer part = ng_writer_fixed(cipher + l->header, room);
    ng_status status =
        ng_krb5_enc_ap_rep_part_write(&part, a->ctime_der, a->cusec, (uint32_t)sub->block.enctype,
                                      ng_slice_of(sub->bytes, sub->block.length), sub->seq_number);
    krb5_crypto_iov iov[3];
    layout_iov(l, cipher, part.len, iov);
    if (status == NG_OK) {
        /* With a key that just decrypted the authenticator, libk5crypto fails only for want
         * of memory: say so, so that the client is told to retry (503), not that we broke. */
        krb5_error_code code =
            krb5_k_encrypt_iov(kctx, key, KRB5_KEYUSAGE_AP_REP_ENCPART, NULL, iov, 3);
        if (code != 0)
            status = code == ENOMEM ? NG_ERR_NOMEM : NG_ERR_INTERNAL;
    }
    struct ng_writer msg = ng_writer_fixed(rep, sizeof(rep));
    if (status == NG_OK)
        status = ng_krb5_ap_rep_write(
            &msg, (uint32_t)etype, ng_slice_of(cipher, (size_t)l->header + part.len + l->trailer));
    explicit_bzero(cipher, sizeof(cipher));
    if (status != NG_OK)
        return status;
    ng_krb5_frame(out, NG_KRB5_TOK_AP_REP, ng_writer_slice(&msg));
    return ng_writer_status(out);
}

/* ---- the accept ----------------------------------------------------------------------------- */

static ng_status complete(struct ng_context *ctx, struct ng_krb5_state *st,
                          const struct ng_ticket_entry *e, const struct ng_krb5_authenticator *a,
                          const struct ng_gss_checksum *gss, bool mutual,
                          const struct acceptor_subkey *sub)
{
    struct ng_krb5_session *s = &st->session;
    uint32_t remote_seq = a->has_seq_number ? a->seq_number : 0;
    if (mutual)
        NG_GUARD(ng_krb5_session_set_key(s, sub->block.enctype,
                                         ng_slice_of(sub->bytes, sub->block.length), true));
    else if (a->has_subkey)
        NG_GUARD(ng_krb5_session_set_key(s, a->subkey_type, a->subkey, false));
    else
        NG_GUARD(ng_krb5_session_set_key(
            s, e->session.enctype, ng_slice_of(e->session.contents, e->session.length), false));
    /* krb5_rd_req starts our sequence number from the peer's unless an AP-REP carries ours */
    s->send_seq = mutual ? sub->seq_number : remote_seq;
    s->recv_seq = remote_seq;
    s->auth_time = e->auth_time;
    ctx->start_time = e->start_time;
    ctx->end_time = e->end_time;
    s->gss_flags = gss->flags;
    ctx->client_name = ng_strdup(e->client_name);
    ctx->server_name = ng_strdup(e->server_name);
    if (ctx->client_name == NULL || ctx->server_name == NULL)
        return NG_ERR_NOMEM;
    if (e->pac != NULL) {
        st->pac = ng_memdup(e->pac, e->pac_len);
        if (st->pac == NULL)
            return NG_ERR_NOMEM;
        st->pac_len = e->pac_len;
    }
    ctx->ret_flags = ng_krb5_accept_ret_flags(ctx->req_flags, gss->flags, mutual);
    thread_accepts++;
    return NG_OK;
}

/* Decrypts and checks what krb5_rd_req would; false leaves the AP-REQ to libkrb5. */
static bool verify_authenticator(krb5_context kctx, const struct thread_config *c, krb5_key key,
                                 const struct layout *l, const struct ng_ticket_entry *e,
                                 const struct ng_krb5_ap_req *req, int64_t now, uint8_t *buf,
                                 struct ng_krb5_authenticator *a, krb5_enctype *negotiated)
{
    struct ng_slice plain;
    return req->authenticator_etype == e->session.enctype &&
           decrypt_authenticator(kctx, key, l, req->authenticator_cipher, buf, &plain) &&
           ng_krb5_authenticator_parse(plain, a) == NG_OK &&
           rd_req_checks(c, e, a, now, negotiated);
}

static ng_status accept_entry(struct ng_context *ctx, struct ng_krb5_state *st, krb5_context kctx,
                              const struct thread_config *c, const struct ng_ticket_entry *e,
                              const struct ng_krb5_ap_req *req, struct ng_slice bindings,
                              struct ng_writer *out, bool *handled)
{
    static _Thread_local uint8_t plain_buf[MAX_AUTHENTICATOR];
    struct ng_krb5_authenticator a;
    struct ng_gss_checksum gss;
    struct acceptor_subkey sub = {0};
    struct layout l;
    krb5_enctype negotiated = ENCTYPE_NULL;
    int64_t now = time(NULL);
    bool mutual = (req->ap_options & NG_AP_OPTS_MUTUAL_REQUIRED) != 0;
    krb5_key key = session_key(kctx, e);
    ng_status status = NG_OK;
    if (key == NULL || !crypto_layout(kctx, e->session.enctype, &l) ||
        !verify_authenticator(kctx, c, key, &l, e, req, now, plain_buf, &a, &negotiated))
        goto cleanup; /* not handled */
    status = ng_krb5_check_gss_checksum(ctx, a.has_checksum, a.checksum_type, a.checksum, bindings,
                                        &gss);
    if (status == NG_OK && ng_krb5_wants_delegation(ctx, &gss))
        goto cleanup; /* forwarded tickets need libkrb5's auth context: not handled */
    if (status == NG_OK && mutual && make_subkey(kctx, negotiated, &sub) != NG_OK)
        goto cleanup; /* left to krb5_mk_rep */
    *handled = true;
    if (status == NG_OK)
        status = ng_krb5_check_replay(ctx, req, e->client, a.ctime, now);
    if (status == NG_OK && mutual)
        status = write_ap_rep(kctx, key, &l, e->session.enctype, &a, &sub, out);
    if (status == NG_OK)
        status = complete(ctx, st, e, &a, &gss, mutual, &sub);
cleanup:
    explicit_bzero(plain_buf, req->authenticator_cipher.len < sizeof(plain_buf)
                                  ? req->authenticator_cipher.len
                                  : sizeof(plain_buf));
    explicit_bzero(&sub, sizeof(sub));
    return *handled ? status : NG_OK;
}

uint64_t ng_krb5_cached_accept_count(void)
{
    return thread_accepts;
}

ng_status ng_krb5_cached_accept(struct ng_context *ctx, struct ng_krb5_state *st, krb5_context kctx,
                                struct ng_ticket_cache *tc, const struct ng_krb5_ap_req *req,
                                struct ng_slice bindings, struct ng_writer *out, bool *handled)
{
    *handled = false;
    const struct thread_config *c = thread_config(kctx);
    if (tc == NULL || c == NULL || (req->ap_options & NG_AP_OPTS_USE_SESSION_KEY))
        return NG_OK;
    struct ng_ticket_entry *e = ng_ticket_cache_get(tc, req->ticket, time(NULL), c->skew);
    if (e == NULL)
        return NG_OK;
    ng_status status = NG_OK;
    if (e->session.enctype > 0 && ng_krb5_enctype_is_cfx(e->session.enctype))
        status = accept_entry(ctx, st, kctx, c, e, req, bindings, out, handled);
    ng_ticket_entry_release(e);
    return status;
}

void ng_krb5_cache_ticket(krb5_context kctx, struct ng_ticket_cache *tc,
                          const struct ng_krb5_ap_req *req, const krb5_ticket *ticket,
                          struct ng_slice pac_logon_info)
{
    const struct thread_config *c = thread_config(kctx);
    struct ng_ticket_entry *e = NULL;
    if (tc == NULL || c == NULL || (req->ap_options & NG_AP_OPTS_USE_SESSION_KEY) ||
        ng_ticket_entry_new(kctx, req->ticket, ticket, pac_logon_info, &e) != NG_OK)
        return;
    ng_ticket_cache_put(tc, e, time(NULL), c->skew);
    ng_ticket_entry_release(e);
}
