#include "krb5_cached_accept.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "krb5_accept_checks.h"
#include "krb5_accept_config.h"
#include "krb5_ap_rep.h"
#include "krb5_authenticator.h"
#include "krb5_session.h"
#include "krb5_token.h"
#include "random.h"

enum {
    MAX_AUTHENTICATOR = 4096,  /* longer authenticators take the libkrb5 path */
    MAX_KEY = 32,              /* AES-256 */
    MAX_ENC_AP_REP_PART = 512, /* ours is under a hundred octets */
    SEQ_MASK = 0x3fffffff,     /* initial sequence numbers below 2^30, as MIT makes them */
};

void ng_krb5_cached_accept_prepare(krb5_context kctx)
{
    (void)ng_krb5_accept_config(kctx); /* without it the cached path is off: nothing to report */
}

/* ---- crypto on nettle (krb5_aes.h), with the keys the ticket's entry derived once ---------- */

static _Thread_local uint64_t thread_accepts;

/* RFC 4120 §5.5.1: the authenticator is encrypted in the ticket session key, key usage 11. */
static bool decrypt_authenticator(const struct ng_ticket_keys *keys, struct ng_slice cipher,
                                  uint8_t *buf, struct ng_slice *plain)
{
    const struct ng_krb5_aes_keys *k = &keys->authenticator;
    if (cipher.len > MAX_AUTHENTICATOR || ng_krb5_aes_decrypt(k, cipher, buf) != NG_OK)
        return false;
    *plain = ng_slice_of(buf, cipher.len - ng_krb5_aes_overhead(k));
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

/* RFC 4537 as krb5_rd_req applies it: the subkey's and session key's enctypes must be permitted;
 * the first permitted enctype (in our order of preference) the client listed wins. */
static bool negotiate_etype(const struct ng_krb5_accept_config *c, const struct ng_ticket_entry *e,
                            const struct ng_krb5_authenticator *a, krb5_enctype *out)
{
    int32_t desired[NG_AUTHENTICATOR_MAX_ETYPES + 2];
    size_t n = a->netypes, mandatory = a->netypes;
    memcpy(desired, a->etypes, n * sizeof(desired[0]));
    if (a->has_subkey)
        desired[n++] = a->subkey_type;
    desired[n++] = e->session.enctype;
    for (size_t i = mandatory; i < n; i++)
        if (!ng_krb5_accept_config_permits(c, desired[i]))
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
static bool rd_req_checks(const struct ng_krb5_accept_config *c, const struct ng_ticket_entry *e,
                          const struct ng_krb5_authenticator *a, int64_t now,
                          krb5_enctype *negotiated)
{
    return !a->other_authdata && same_principal(e->client, &a->client) &&
           e->start_time <= now + c->skew && now <= e->end_time + c->skew &&
           a->ctime <= now + c->skew && a->ctime >= now - c->skew &&
           negotiate_etype(c, e, a, negotiated) && ng_krb5_aes_supported(*negotiated);
}

/* ---- the AP-REP ----------------------------------------------------------------------------- */

struct acceptor_subkey {
    krb5_keyblock block;
    uint8_t bytes[MAX_KEY];
    uint32_t seq_number;
};

/* A random key of the negotiated enctype (what krb5_mk_rep makes with USE_SUBKEY: random bytes
 * are an AES key as they are, RFC 3962 §6) and a random initial sequence number. */
static ng_status make_subkey(krb5_enctype enctype, struct acceptor_subkey *k)
{
    size_t len =
        enctype == ENCTYPE_AES128_CTS_HMAC_SHA1_96 || enctype == ENCTYPE_AES128_CTS_HMAC_SHA256_128
            ? 16
            : 32;
    uint8_t random[4];
    NG_GUARD(ng_random_bytes(k->bytes, len));
    NG_GUARD(ng_random_bytes(random, sizeof random));
    k->block = (krb5_keyblock){KV5M_KEYBLOCK, enctype, (unsigned)len, k->bytes};
    memcpy(&k->seq_number, random, 4);
    k->seq_number &= SEQ_MASK;
    if (k->seq_number == 0)
        k->seq_number = 1;
    return NG_OK;
}

/* The framed AP-REP, its EncAPRepPart encrypted straight into `out`. */
static ng_status write_ap_rep(const struct ng_ticket_keys *keys, krb5_enctype etype,
                              const struct ng_krb5_authenticator *a,
                              const struct acceptor_subkey *sub, struct ng_writer *out)
{
    uint8_t part_buf[MAX_ENC_AP_REP_PART], confounder[16];
    const struct ng_krb5_aes_keys *k = &keys->ap_rep;
    struct ng_writer part = ng_writer_fixed(part_buf, sizeof(part_buf));
    ng_status status =
        ng_krb5_enc_ap_rep_part_write(&part, a->ctime_der, a->cusec, (uint32_t)sub->block.enctype,
                                      ng_slice_of(sub->bytes, sub->block.length), sub->seq_number);
    if (status == NG_OK)
        status = ng_random_bytes(confounder, sizeof confounder);
    if (status == NG_OK) {
        size_t cipher_len = part.len + ng_krb5_aes_overhead(k);
        ng_krb5_frame_header(out, NG_KRB5_TOK_AP_REP,
                             ng_krb5_ap_rep_size((uint32_t)etype, cipher_len));
        ng_krb5_ap_rep_write_header(out, (uint32_t)etype, cipher_len);
        uint8_t *cipher = ng_writer_reserve(out, cipher_len); /* NULL: the error is set */
        if (cipher != NULL)
            ng_krb5_aes_encrypt(k, confounder, ng_writer_slice(&part), cipher);
        status = ng_writer_status(out);
    }
    explicit_bzero(part_buf, sizeof(part_buf));
    return status;
}

/* ---- the accept ----------------------------------------------------------------------------- */

static ng_status complete(struct ng_context *ctx, struct ng_krb5_state *st,
                          struct ng_ticket_entry *e, const struct ng_krb5_authenticator *a,
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
    NG_GUARD(ng_context_set_names(ctx, e->client_name, e->server_name));
    if (e->pac != NULL) { /* shared with the entry, which the state now holds (krb5_state.h) */
        ng_ticket_entry_hold(e);
        st->pac_entry = e;
        st->pac = e->pac;
        st->pac_len = e->pac_len;
    }
    ctx->ret_flags = ng_krb5_accept_ret_flags(ctx->req_flags, gss->flags, mutual);
    return NG_OK;
}

/* Decrypts and checks what krb5_rd_req would; false leaves the AP-REQ to libkrb5. */
static bool verify_authenticator(const struct ng_krb5_accept_config *c,
                                 const struct ng_ticket_entry *e, const struct ng_krb5_ap_req *req,
                                 int64_t now, uint8_t *buf, struct ng_krb5_authenticator *a,
                                 krb5_enctype *negotiated)
{
    struct ng_slice plain;
    return req->authenticator_etype == e->session.enctype &&
           decrypt_authenticator(e->keys, req->authenticator_cipher, buf, &plain) &&
           ng_krb5_authenticator_parse(plain, a) == NG_OK &&
           rd_req_checks(c, e, a, now, negotiated);
}

ng_status ng_krb5_accept_ticket_entry(struct ng_context *ctx, struct ng_krb5_state *st,
                                      krb5_context kctx, struct ng_ticket_entry *e,
                                      const struct ng_krb5_ap_req *req, struct ng_slice bindings,
                                      struct ng_writer *out, bool *handled)
{
    static _Thread_local uint8_t plain_buf[MAX_AUTHENTICATOR];
    struct ng_krb5_authenticator a;
    struct ng_gss_checksum gss;
    struct acceptor_subkey sub = {0};
    krb5_enctype negotiated = ENCTYPE_NULL;
    int64_t now = time(NULL);
    bool mutual = (req->ap_options & NG_AP_OPTS_MUTUAL_REQUIRED) != 0;
    ng_status status = NG_OK;
    const struct ng_krb5_accept_config *c = ng_krb5_accept_config(kctx);
    *handled = false;
    if (c == NULL || e->keys == NULL || (req->ap_options & NG_AP_OPTS_USE_SESSION_KEY))
        return NG_OK;
    /* Before the decryption, so the replay cache's words are in the CPU's cache by the check. */
    struct ng_krb5_replay replay;
    ng_krb5_replay_locate(ctx, req, e->client, &e->replay_class, &replay);
    if (!verify_authenticator(c, e, req, now, plain_buf, &a, &negotiated))
        goto cleanup; /* not handled */
    status = ng_krb5_check_gss_checksum(ctx, a.has_checksum, a.checksum_type, a.checksum, bindings,
                                        &gss);
    if (status == NG_OK && ng_krb5_wants_delegation(ctx, &gss))
        goto cleanup; /* forwarded tickets need libkrb5's auth context: not handled */
    if (status == NG_OK && mutual && make_subkey(negotiated, &sub) != NG_OK)
        goto cleanup; /* left to krb5_mk_rep */
    *handled = true;
    if (status == NG_OK)
        status = ng_krb5_check_located_replay(ctx, &replay, a.ctime, now);
    if (status == NG_OK && mutual)
        status = write_ap_rep(e->keys, e->session.enctype, &a, &sub, out);
    if (status == NG_OK)
        status = complete(ctx, st, e, &a, &gss, mutual, &sub);
cleanup:
    explicit_bzero(plain_buf, req->authenticator_cipher.len < sizeof(plain_buf)
                                  ? req->authenticator_cipher.len
                                  : sizeof(plain_buf));
    explicit_bzero(&sub, sizeof(sub));
    if (*handled && status != NG_OK)
        ng_context_note_user(ctx, e->client_name); /* the ticket opened: the failure names it */
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
    const struct ng_krb5_accept_config *c = ng_krb5_accept_config(kctx);
    if (tc == NULL || c == NULL || (req->ap_options & NG_AP_OPTS_USE_SESSION_KEY))
        return NG_OK;
    struct ng_ticket_entry *e = ng_ticket_cache_get(tc, req->ticket, time(NULL), c->skew);
    if (e == NULL)
        return NG_OK;
    ng_status status = ng_krb5_accept_ticket_entry(ctx, st, kctx, e, req, bindings, out, handled);
    if (*handled && status == NG_OK)
        thread_accepts++;
    ng_ticket_entry_release(e);
    return status;
}

void ng_krb5_cache_ticket(krb5_context kctx, struct ng_ticket_cache *tc,
                          const struct ng_krb5_ap_req *req, const krb5_ticket *ticket,
                          struct ng_slice pac)
{
    const struct ng_krb5_accept_config *c = ng_krb5_accept_config(kctx);
    struct ng_ticket_entry *e = NULL;
    if (tc == NULL || c == NULL || (req->ap_options & NG_AP_OPTS_USE_SESSION_KEY) ||
        ng_ticket_entry_new(kctx, req->ticket, ticket, pac, &e) != NG_OK)
        return;
    ng_ticket_cache_put(tc, e, time(NULL), c->skew);
    ng_ticket_entry_release(e);
}
