/* What an established Kerberos context answers about itself (mechanism.h): per-message sizes,
 * the session key and its algorithms, the realm, delegated tickets, and the client's local
 * account and PAC SIDs. */
#include "krb5_attributes.h"

#include <string.h>

#include "access_token.h"
#include "alloc.h"
#include "krb5_state.h"
#include "krb5_thread.h"
#include "pac_identity.h"
#include "pac_logon_info.h"

/* Per-message token sizes for each enctype. RFC 4121 §4.2.6: a MIC token is a 16-byte header
 * plus the checksum; a Wrap token with confidentiality is the header, a 16-byte confounder, the
 * encrypted copy of the header and the checksum. RC4 (RFC 4757 §7.2/§7.3) uses RFC 1964-style
 * tokens inside the RFC 2743 §3.1 framing (13 bytes for the 9-byte krb5 OID). */
struct enctype_info {
    krb5_enctype enctype;
    krb5_cksumtype cksumtype;
    ULONG key_bits;
    ULONG max_signature;
    ULONG security_trailer;
    const char *encrypt_name;
    const char *signature_name;
};

static const struct enctype_info enctypes[] = {
    {ENCTYPE_AES128_CTS_HMAC_SHA1_96, CKSUMTYPE_HMAC_SHA1_96_AES128, 128, 16 + 12, 48 + 12,
     "AES128-CTS-HMAC-SHA1-96", "HMAC-SHA1-96-AES128"},
    {ENCTYPE_AES256_CTS_HMAC_SHA1_96, CKSUMTYPE_HMAC_SHA1_96_AES256, 256, 16 + 12, 48 + 12,
     "AES256-CTS-HMAC-SHA1-96", "HMAC-SHA1-96-AES256"},
    {ENCTYPE_AES128_CTS_HMAC_SHA256_128, CKSUMTYPE_HMAC_SHA256_128_AES128, 128, 16 + 16, 48 + 16,
     "AES128-CTS-HMAC-SHA256-128", "HMAC-SHA256-128-AES128"},
    {ENCTYPE_AES256_CTS_HMAC_SHA384_192, CKSUMTYPE_HMAC_SHA384_192_AES256, 256, 16 + 24, 48 + 24,
     "AES256-CTS-HMAC-SHA384-192", "HMAC-SHA384-192-AES256"},
    /* RC4's trailer allows for the framing's length field of a message of any size. */
    {ENCTYPE_ARCFOUR_HMAC, CKSUMTYPE_HMAC_MD5_ARCFOUR, 128, 13 + 24, 17 + 32, "RSADSI RC4-HMAC",
     "HMAC-MD5"},
};

static ng_status enctype_of(const struct ng_context *ctx, const struct enctype_info **out)
{
    const struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    for (size_t i = 0; st != NULL && i < sizeof enctypes / sizeof enctypes[0]; i++) {
        if (enctypes[i].enctype == st->session.enctype) {
            *out = &enctypes[i];
            return NG_OK;
        }
    }
    return NG_ERR_INTERNAL; /* an established context always has a supported enctype */
}

ng_status ng_krb5_sizes(const struct ng_context *ctx, SecPkgContext_Sizes *out)
{
    const struct enctype_info *et;
    NG_GUARD(enctype_of(ctx, &et));
    out->cbMaxSignature = et->max_signature;
    out->cbBlockSize = 1;
    out->cbSecurityTrailer = et->security_trailer;
    return NG_OK;
}

/* The context key (the acceptor subkey when there is one), as Windows returns it. */
ng_status ng_krb5_session_key_attr(const struct ng_context *ctx, struct ng_slice *key)
{
    const struct enctype_info *et;
    NG_GUARD(enctype_of(ctx, &et));
    const struct ng_krb5_session *s = &ng_krb5_state_of(ctx)->session;
    if (s->key_len == 0 || s->key_len > sizeof s->key)
        return NG_ERR_INTERNAL;
    *key = ng_slice_of(s->key, s->key_len);
    return NG_OK;
}

/* SignatureAlgorithm / EncryptAlgorithm are the krb5 numbers (negative ones as two's
 * complement, as Windows does for KERB_CHECKSUM_HMAC_MD5). */
ng_status ng_krb5_key_info(const struct ng_context *ctx, struct ng_key_info *out)
{
    const struct enctype_info *et;
    NG_GUARD(enctype_of(ctx, &et));
    *out = (struct ng_key_info){et->signature_name, et->encrypt_name, et->key_bits,
                                (ULONG)et->cksumtype, (ULONG)et->enctype};
    return NG_OK;
}

/* The realm of a krb5 principal name: after its first unescaped '@' (RFC 1964 §2.1.1). */
ng_status ng_krb5_authority(const struct ng_context *ctx, struct ng_slice *out)
{
    for (const char *p = ctx->client_name; p != NULL && *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == '@') {
            *out = ng_slice_of(p + 1, strlen(p + 1));
            return NG_OK;
        }
    }
    return NG_ERR_INTERNAL; /* an established context always has its names */
}

const char *ng_krb5_delegated_ccache(const struct ng_context *ctx)
{
    const struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    return st != NULL ? st->delegated_ccache : NULL;
}

/* krb5.conf's auth_to_local rules; no mapping is no account, not an error. */
static ng_status map_local_name(const char *principal, char **out)
{
    krb5_context kctx;
    krb5_principal p = NULL;
    char name[256];
    *out = NULL;
    NG_GUARD(ng_krb5_thread_context(&kctx));
    if (krb5_parse_name(kctx, principal, &p) != 0)
        return NG_OK;
    krb5_error_code code = krb5_aname_to_localname(kctx, p, sizeof(name), name);
    krb5_free_principal(kctx, p);
    if (code != 0)
        return NG_OK;
    *out = ng_strdup(name);
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}

/* "DOMAIN\\account" */
static ng_status logon_name(const struct ng_pac_logon *l, char **out)
{
    size_t d = strlen(l->domain), a = strlen(l->account);
    if ((*out = ng_alloc(d + a + 2)) == NULL)
        return NG_ERR_NOMEM;
    memcpy(*out, l->domain, d);
    (*out)[d] = '\\';
    memcpy(*out + d + 1, l->account, a);
    return NG_OK;
}

/* What the (verified) PAC says: group SIDs, the user's and primary group's SIDs, the names. */
static ng_status fill_from_pac(struct ng_slice pac, struct ng_access_token *t)
{
    struct ng_slice info;
    struct ng_pac_identity id;
    if (ng_pac_buffer(pac, NG_PAC_LOGON_INFO, &info))
        NG_GUARD(ng_pac_group_sids(info, &t->sids, &t->n_sids));
    NG_GUARD(ng_pac_identity_read(pac, &id));
    ng_status status = NG_OK;
    if (id.logon.account != NULL) {
        status = logon_name(&id.logon, &t->logon_name);
        t->user_sid = id.logon.user_sid;
        t->primary_group_sid = id.logon.primary_group_sid;
        id.logon.user_sid = id.logon.primary_group_sid = NULL;
    }
    t->upn = id.upn;
    id.upn = NULL;
    ng_pac_identity_free(&id);
    return status;
}

ng_status ng_krb5_fill_access_token(const struct ng_context *ctx, struct ng_access_token *t)
{
    char *local = NULL;
    NG_GUARD(map_local_name(t->principal, &local));
    const char *names[] = {local};
    ng_status status = local != NULL ? ng_access_token_find_account(t, names, 1) : NG_OK;
    ng_free(local);
    const struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    if (status == NG_OK && st->pac != NULL)
        status = fill_from_pac(ng_slice_of(st->pac, st->pac_len), t);
    return status;
}
