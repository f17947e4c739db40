#include "krb5_first_use.h"

#include <stdatomic.h>
#include <time.h>

#include "alloc.h"
#include "krb5_accept_config.h"
#include "krb5_aes.h"
#include "krb5_cached_accept.h"
#include "krb5_enc_ticket.h"
#include "pac_logon_info.h"
#include "pac_signature.h"
#include "pac_verify.h"
#include "ticket_cache.h"

enum {
    AD_IF_RELEVANT = 1,
    AD_WIN2K_PAC = 128,         /* MS-PAC §2.4: verified below, as on the libkrb5 path */
    AD_RESTRICTION_ENTRY = 141, /* MS-KILE §2.2.6: Windows' machine restrictions */
    AD_LOCAL = 142,             /* MS-KILE §2.2.5: opaque to every other machine */
    AD_AP_OPTIONS = 143,        /* MS-KILE §2.2.10 */
    MAX_INNER_AUTHDATA = 16,
};

static atomic_bool enabled = true;
static _Thread_local uint64_t thread_accepts;

void ng_krb5_first_use_enable(bool on)
{
    atomic_store(&enabled, on);
}

uint64_t ng_krb5_first_use_count(void)
{
    return thread_accepts;
}

/* ---- what makes a ticket ordinary --------------------------------------------------------- */

/* Inside AD-IF-RELEVANT: the PAC and what libkrb5 ignores as krb5_rd_req runs. Anything else
 * (CAMMAC, authentication indicators, a nested container) is for libkrb5's plugins. */
static bool ordinary_if_relevant(struct ng_slice contents)
{
    struct ng_krb5_authdata_ref inner[MAX_INNER_AUTHDATA];
    size_t n;
    if (ng_krb5_authdata_parse(contents, inner, MAX_INNER_AUTHDATA, &n) != NG_OK)
        return false;
    for (size_t i = 0; i < n; i++)
        if (inner[i].type != AD_WIN2K_PAC && inner[i].type != AD_RESTRICTION_ENTRY &&
            inner[i].type != AD_LOCAL && inner[i].type != AD_AP_OPTIONS)
            return false;
    return true;
}

static bool ordinary_authdata(const struct ng_krb5_enc_ticket *t)
{
    for (size_t i = 0; i < t->nauthdata; i++)
        if (t->authdata[i].type != AD_IF_RELEVANT || !ordinary_if_relevant(t->authdata[i].data))
            return false;
    return true;
}

static size_t aes_key_len(int32_t enctype)
{
    return enctype == ENCTYPE_AES128_CTS_HMAC_SHA1_96 ||
                   enctype == ENCTYPE_AES128_CTS_HMAC_SHA256_128
               ? 16
               : 32;
}

/* krb5_timestamp is an unsigned 32-bit count since MIT krb5 1.17: a time outside it is left to
 * libkrb5, which reads it its own way. */
static bool timestamp(int64_t t)
{
    return t >= 0 && t <= (int64_t)UINT32_MAX;
}

static int64_t start_time(const struct ng_krb5_enc_ticket *t)
{
    /* libkrb5 reads an absent starttime, and one of 0, as the authtime */
    return t->has_start_time && t->start_time != 0 ? t->start_time : t->auth_time;
}

static bool ordinary(const struct ng_krb5_enc_ticket *t, const struct ng_krb5_ap_req *req,
                     const struct ng_krb5_accept_config *c, int64_t now)
{
    return !(t->flags & (1u << NG_TICKET_FLAG_INVALID)) && t->transited.len == 0 &&
           !t->has_addresses && ng_slice_eq(t->client.realm, req->server.realm) &&
           ng_krb5_aes_supported(t->key_type) && t->key.len == aes_key_len(t->key_type) &&
           ng_krb5_accept_config_permits(c, t->key_type) && timestamp(t->auth_time) &&
           timestamp(start_time(t)) && timestamp(t->end_time) && start_time(t) <= now + c->skew &&
           now <= t->end_time + c->skew && ordinary_authdata(t);
}

/* ---- libkrb5's view of the ticket, for the PAC check and the cache entry --------------------- */

/* krb5 structures pointing into the plaintext and the AP-REQ: nothing copied, nothing to free. */
struct krb5_view {
    krb5_data client_names[8], server_names[8];
    krb5_principal_data client, server;
    krb5_keyblock session;
    krb5_authdata authdata[NG_ENC_TICKET_MAX_AUTHDATA];
    krb5_authdata *authdata_list[NG_ENC_TICKET_MAX_AUTHDATA + 1];
    krb5_enc_tkt_part part;
    krb5_ticket ticket;
};

static krb5_data data_of(struct ng_slice s)
{
    return (krb5_data){KV5M_DATA, (unsigned)s.len, (char *)s.ptr};
}

static void principal_view(const struct ng_principal_ref *ref, int32_t type, krb5_data *names,
                           krb5_principal_data *out)
{
    for (size_t i = 0; i < ref->ncomponents; i++)
        names[i] = data_of(ref->components[i]);
    *out = (krb5_principal_data){KV5M_PRINCIPAL, data_of(ref->realm), names,
                                 (krb5_int32)ref->ncomponents, type};
}

/* MIT numbers TicketFlags from the most significant bit (TKT_FLG_FORWARDABLE is 0x40000000). */
static krb5_flags krb5_ticket_flags(uint32_t named_bits)
{
    uint32_t flags = 0;
    for (unsigned n = 0; n < 32; n++)
        if (named_bits & (1u << n))
            flags |= UINT32_C(0x80000000) >> n;
    return (krb5_flags)flags;
}

static void make_view(const struct ng_krb5_enc_ticket *t, const struct ng_krb5_ap_req *req,
                      struct krb5_view *v)
{
    principal_view(&t->client, t->client_name_type, v->client_names, &v->client);
    principal_view(&req->server, KRB5_NT_PRINCIPAL, v->server_names, &v->server);
    v->session =
        (krb5_keyblock){KV5M_KEYBLOCK, t->key_type, (unsigned)t->key.len, (krb5_octet *)t->key.ptr};
    for (size_t i = 0; i < t->nauthdata; i++) {
        v->authdata[i] =
            (krb5_authdata){KV5M_AUTHDATA, t->authdata[i].type, (unsigned)t->authdata[i].data.len,
                            (krb5_octet *)t->authdata[i].data.ptr};
        v->authdata_list[i] = &v->authdata[i];
    }
    v->authdata_list[t->nauthdata] = NULL;
    v->part = (krb5_enc_tkt_part){
        .magic = KV5M_ENC_TKT_PART,
        .flags = krb5_ticket_flags(t->flags),
        .session = &v->session,
        .client = &v->client,
        .times = {(krb5_timestamp)(uint32_t)t->auth_time,
                  (krb5_timestamp)(uint32_t)(t->has_start_time ? t->start_time : 0),
                  (krb5_timestamp)(uint32_t)t->end_time, 0},
        .authorization_data = t->nauthdata > 0 ? v->authdata_list : NULL,
    };
    v->ticket = (krb5_ticket){.magic = KV5M_TICKET, .server = &v->server, .enc_part2 = &v->part};
}

/* ---- the accept --------------------------------------------------------------------------- */

/* The ticket's PAC once proven good and its contents checked as on the libkrb5 path
 * (*settled false: left to that path, which verifies it itself). No PAC: settled, empty. */
static ng_status proven_pac(const struct ng_krb5_enc_ticket *t, const struct krb5_view *v,
                            krb5_enctype enctype, const struct ng_service_key_schedule *schedule,
                            bool *settled, struct ng_slice *pac)
{
    char why[160];
    *settled = false;
    *pac = NG_SLICE_EMPTY;
    switch (ng_pac_find(v->part.authorization_data, pac)) {
    case NG_PAC_NONE:
        *settled = true;
        return NG_OK;
    case NG_PAC_ONE:
        if (!ng_pac_proven_good_keyed(*pac, enctype, &schedule->pac_server, &t->client,
                                      t->auth_time))
            return NG_OK;
        ng_status status = ng_pac_check_contents(*pac, why, sizeof(why));
        *settled = status == NG_OK;
        return status == NG_ERR_NOMEM ? status : NG_OK;
    case NG_PAC_SEVERAL:
        break;
    }
    return NG_OK;
}

/* The entry for the ticket in `plain` (decrypted), when it is ordinary and its PAC proven good. */
static ng_status entry_of(krb5_context kctx, const struct ng_krb5_accept_config *c,
                          const struct ng_krb5_ap_req *req,
                          const struct ng_service_key_schedule *schedule, struct ng_slice plain,
                          struct ng_ticket_entry **out)
{
    struct ng_krb5_enc_ticket t;
    struct krb5_view v;
    struct ng_slice pac;
    bool settled = false;
    *out = NULL;
    if (ng_krb5_enc_ticket_parse(plain, &t) != NG_OK || t.client.ncomponents > 8 ||
        !ordinary(&t, req, c, time(NULL)))
        return NG_OK;
    make_view(&t, req, &v);
    ng_status status = proven_pac(&t, &v, req->ticket_etype, schedule, &settled, &pac);
    if (status == NG_OK && settled)
        status = ng_ticket_entry_new(kctx, req->ticket, &v.ticket, pac, out);
    return status;
}

static ng_status decrypt_ticket(const struct ng_krb5_ap_req *req,
                                const struct ng_service_key_schedule *schedule, uint8_t **plain,
                                size_t *plain_len)
{
    *plain = NULL;
    size_t overhead = ng_krb5_aes_overhead(&schedule->ticket);
    if (req->ticket_cipher.len <= overhead)
        return NG_OK;
    *plain = ng_alloc(req->ticket_cipher.len);
    if (*plain == NULL)
        return NG_ERR_NOMEM;
    if (ng_krb5_aes_decrypt(&schedule->ticket, req->ticket_cipher, *plain) == NG_OK) {
        *plain_len = req->ticket_cipher.len - overhead;
    } else {
        ng_free_secret(*plain, req->ticket_cipher.len);
        *plain = NULL;
    }
    return NG_OK;
}

ng_status ng_krb5_first_use_accept(struct ng_context *ctx, struct ng_krb5_state *st,
                                   krb5_context kctx, const struct ng_keystore *ks,
                                   const struct ng_krb5_ap_req *req, struct ng_slice bindings,
                                   struct ng_writer *out, bool *handled)
{
    const struct ng_krb5_accept_config *c = ng_krb5_accept_config(kctx);
    struct ng_ticket_cache *tc = ng_keystore_tickets(ks);
    const krb5_keyblock *key = NULL;
    struct ng_key_query q = {&req->server, req->ticket_etype, req->ticket_has_kvno,
                             req->ticket_kvno, req->ticket_cipher};
    *handled = false;
    if (!atomic_load_explicit(&enabled, memory_order_relaxed) || c == NULL || tc == NULL ||
        (req->ap_options & NG_AP_OPTS_USE_SESSION_KEY) ||
        !ng_krb5_aes_supported(req->ticket_etype) ||
        !ng_krb5_accept_config_permits(c, req->ticket_etype) ||
        ng_keystore_find(kctx, ks, &q, &key, NULL, 0) != NG_OK || key->enctype != req->ticket_etype)
        return NG_OK;
    const struct ng_service_key_schedule *schedule = ng_keystore_schedule(ks, key);
    if (schedule == NULL)
        return NG_OK;
    uint8_t *plain;
    size_t plain_len = 0;
    struct ng_ticket_entry *e = NULL;
    NG_GUARD(decrypt_ticket(req, schedule, &plain, &plain_len));
    if (plain == NULL)
        return NG_OK;
    ng_status status = entry_of(kctx, c, req, schedule, ng_slice_of(plain, plain_len), &e);
    ng_free_secret(plain, req->ticket_cipher.len);
    if (e == NULL)
        return status;
    status = ng_krb5_accept_ticket_entry(ctx, st, kctx, e, req, bindings, out, handled);
    if (*handled && status == NG_OK) {
        ng_ticket_cache_put(tc, e, time(NULL), c->skew);
        thread_accepts++;
    }
    ng_ticket_entry_release(e);
    return status;
}
