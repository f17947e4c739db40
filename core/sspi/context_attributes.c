/* QueryContextAttributesA/W over struct ng_context.
 *
 * Status choices (Windows documents few of them for Negotiate/Kerberos):
 *   - a NULL, stale, forged or busy handle: SEC_E_INVALID_HANDLE (checked before anything else);
 *   - NULL pBuffer: SEC_E_INVALID_PARAMETER;
 *   - an attribute number Kerberos/Negotiate do not answer (STREAM_SIZES and the binding
 *     attributes are Schannel's, PASSWORD_EXPIRY, ...): SEC_E_UNSUPPORTED_FUNCTION, as Windows;
 *     so is an attribute that makes no sense for the context's role (ACCESS_TOKEN,
 *     CLIENT_SPECIFIED_TARGET and LAST_CLIENT_TOKEN_STATUS are the acceptor's;
 *     TARGET_INFORMATION is set only for an initiator, which names its target);
 *   - an attribute that only an established context has (sizes, names, lifespan, keys,
 *     authority) asked of a context still in progress or failed: SEC_E_INVALID_HANDLE, the
 *     edge value of NG_ERR_NO_CONTEXT — the handle does not (yet) denote a security context with
 *     those properties. FLAGS, PACKAGE_INFO and NEGOTIATION_INFO answer in any state: they are
 *     how a caller watches a negotiation in progress.
 *   - a mechanism without per-message support here yet (NTLM): SEC_E_UNSUPPORTED_FUNCTION.
 *
 * Ownership: every pointer written into pBuffer is its own ng_alloc block, freed by the caller
 * with FreeContextBuffer (SecPkgInfo and its strings form one block) — except ACCESS_TOKEN,
 * which, as on Windows, belongs to the context and lives as long as it does. On failure nothing is
 * written and nothing is left allocated. Thread-safe; the context is held (acquired) for the
 * duration of the call. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "access_token.h"
#include "alloc.h"
#include "ntlm_state.h"
#include "package_api.h"
#include "security_context.h"
#include "sspi_status.h"
#include "utf16.h"

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
    {ENCTYPE_ARCFOUR_HMAC, CKSUMTYPE_HMAC_MD5_ARCFOUR, 128, 13 + 24, 13 + 32, "RSADSI RC4-HMAC",
     "HMAC-MD5"},
};

/* The RFC 4121 session of an established Kerberos context. */
static ng_status krb5_session(const struct ng_context *ctx, const struct enctype_info **out)
{
    if (ctx->mech != NG_MECH_KRB5 && ctx->mech != NG_MECH_KRB5_MS)
        return NG_ERR_UNSUPPORTED; /* NTLM sessions arrive with the NTLM issue */
    for (size_t i = 0; i < sizeof enctypes / sizeof enctypes[0]; i++) {
        if (enctypes[i].enctype == ctx->krb.enctype) {
            *out = &enctypes[i];
            return NG_OK;
        }
    }
    return NG_ERR_INTERNAL; /* an established context always has a supported enctype */
}

/* A fresh copy for the caller: UTF-8 for the A forms, UTF-16 for the W forms. */
static ng_status dup_string(const char *s, bool wide, void **out)
{
    *out = NULL;
    if (s == NULL)
        return NG_ERR_INTERNAL; /* an established context always has its names */
    if (wide)
        return ng_utf8z_to_utf16(s, (SEC_WCHAR **)out, NULL);
    *out = ng_strdup(s);
    return *out != NULL ? NG_OK : NG_ERR_NOMEM;
}

static ng_status attr_sizes(const struct ng_context *ctx, bool wide, void *buf)
{
    const struct enctype_info *et;
    const struct ng_package *pkg = ng_package_get(ctx->package);

    if (pkg != NULL && ctx->mech == NG_MECH_NTLM) {
        /* NTLM as Windows: 16-byte NTLMSSP_MESSAGE_SIGNATURE, RC4 is a stream (no blocks). */
        *(SecPkgContext_Sizes *)buf = (SecPkgContext_Sizes){pkg->max_token, 16, 0, 16};
        return NG_OK;
    }
    NG_GUARD(krb5_session(ctx, &et));
    if (pkg == NULL)
        return NG_ERR_INTERNAL;
    *(SecPkgContext_Sizes *)buf =
        (SecPkgContext_Sizes){pkg->max_token, et->max_signature, 1, et->security_trailer};
    return NG_OK;
}

/* Windows reports the client for both roles: the initiator's own identity, or the user the
 * acceptor authenticated. */
static ng_status attr_names(const struct ng_context *ctx, bool wide, void *buf)
{
    void *name;

    NG_GUARD(dup_string(ctx->client_name, wide, &name));
    if (wide)
        ((SecPkgContext_NamesW *)buf)->sUserName = name;
    else
        ((SecPkgContext_NamesA *)buf)->sUserName = name;
    return NG_OK;
}

static ng_status attr_native_names(const struct ng_context *ctx, bool wide, void *buf)
{
    void *client, *server;
    /* An initiator may know only the SPN it asked for. */
    const char *server_name = ctx->server_name != NULL ? ctx->server_name : ctx->target_name;

    NG_GUARD(dup_string(ctx->client_name, wide, &client));
    ng_status status = dup_string(server_name, wide, &server);
    if (status != NG_OK) {
        ng_free(client);
        return status;
    }
    if (wide) {
        *(SecPkgContext_NativeNamesW *)buf = (SecPkgContext_NativeNamesW){client, server};
    } else {
        *(SecPkgContext_NativeNamesA *)buf = (SecPkgContext_NativeNamesA){client, server};
    }
    return NG_OK;
}

/* Unix seconds -> 100 ns ticks since 1601-01-01; out of range clamps to 0 / "never". */
static TimeStamp timestamp_from_unix(int64_t seconds)
{
    const int64_t epoch_delta = INT64_C(11644473600), ticks = INT64_C(10000000);
    TimeStamp ts;

    if (seconds <= -epoch_delta)
        ts.QuadPart = 0;
    else if (seconds >= INT64_MAX / ticks - epoch_delta)
        ts.QuadPart = INT64_MAX;
    else
        ts.QuadPart = (seconds + epoch_delta) * ticks;
    return ts;
}

static ng_status attr_lifespan(const struct ng_context *ctx, bool wide, void *buf)
{
    SecPkgContext_Lifespan *life = buf;

    life->tsStart = timestamp_from_unix(ctx->krb.start_time);
    life->tsExpiry = timestamp_from_unix(ctx->krb.end_time);
    return NG_OK;
}

/* The krb5 session key (the acceptor subkey when there is one), as Windows returns it. The block
 * is a secret: FreeContextBuffer wipes it. */
static ng_status attr_session_key(const struct ng_context *ctx, bool wide, void *buf)
{
    const uint8_t *secret;
    size_t len;

    if (ctx->mech == NG_MECH_NTLM) {
        /* NTLM: the ExportedSessionKey (MS-NLMP §3.1.5.1.2), as Windows returns it. */
        if (ctx->ntlm == NULL || !ctx->ntlm->established)
            return NG_ERR_UNSUPPORTED;
        secret = ctx->ntlm->session.exported_key;
        len = sizeof ctx->ntlm->session.exported_key;
    } else {
        const struct enctype_info *et;
        NG_GUARD(krb5_session(ctx, &et));
        if (ctx->krb.key_len == 0 || ctx->krb.key_len > sizeof ctx->krb.key)
            return NG_ERR_INTERNAL;
        secret = ctx->krb.key;
        len = ctx->krb.key_len;
    }
    unsigned char *key = ng_memdup(secret, len);
    if (key == NULL)
        return NG_ERR_NOMEM;
    *(SecPkgContext_SessionKey *)buf = (SecPkgContext_SessionKey){(ULONG)len, key};
    return NG_OK;
}

/* NTLMv2 with extended session security (the only NTLM negring speaks) signs with HMAC-MD5
 * (KERB_CHECKSUM_HMAC_MD5, -138) and seals with RC4 (CALG_RC4), as Windows' NTLM reports. */
static const struct enctype_info ntlm_key_info = {
    .cksumtype = -138, .key_bits = 128, .encrypt_name = "RSADSI RC4", .signature_name = "HMAC-MD5"};
enum { CALG_RC4 = 0x6801 };

static ng_status session_key_info(const struct ng_context *ctx, const struct enctype_info **out,
                                  ULONG *enc_alg)
{
    if (ctx->mech == NG_MECH_NTLM) {
        if (ctx->ntlm == NULL || !ctx->ntlm->established)
            return NG_ERR_UNSUPPORTED;
        *out = &ntlm_key_info;
        *enc_alg = CALG_RC4;
        return NG_OK;
    }
    NG_GUARD(krb5_session(ctx, out));
    *enc_alg = (ULONG)(*out)->enctype;
    return NG_OK;
}

static ng_status attr_key_info(const struct ng_context *ctx, bool wide, void *buf)
{
    const struct enctype_info *et;
    ULONG enc_alg;
    void *sig, *enc;

    NG_GUARD(session_key_info(ctx, &et, &enc_alg));
    NG_GUARD(dup_string(et->signature_name, wide, &sig));
    ng_status status = dup_string(et->encrypt_name, wide, &enc);
    if (status != NG_OK) {
        ng_free(sig);
        return status;
    }
    /* SignatureAlgorithm / EncryptAlgorithm are the krb5 numbers (negative ones as two's
     * complement, as Windows does for KERB_CHECKSUM_HMAC_MD5). */
    ULONG sig_alg = (ULONG)et->cksumtype;
    if (wide) {
        *(SecPkgContext_KeyInfoW *)buf =
            (SecPkgContext_KeyInfoW){sig, enc, et->key_bits, sig_alg, enc_alg};
    } else {
        *(SecPkgContext_KeyInfoA *)buf =
            (SecPkgContext_KeyInfoA){sig, enc, et->key_bits, sig_alg, enc_alg};
    }
    return NG_OK;
}

/* The realm of a krb5 principal name: after its first unescaped '@' (RFC 1964 §2.1.1). */
static const char *realm_of(const char *principal)
{
    for (const char *p = principal; p != NULL && *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '@')
            return p + 1;
    }
    return NULL;
}

/* The domain of an NTLM name, "DOMAIN\\user"; a NUL-terminated copy in `out`. */
static ng_status domain_of(const char *name, char **out)
{
    const char *sep = name == NULL ? NULL : strchr(name, '\\');
    if (sep == NULL)
        return NG_ERR_UNSUPPORTED;
    size_t len = (size_t)(sep - name);
    *out = ng_alloc(len + 1);
    if (*out == NULL)
        return NG_ERR_NOMEM;
    memcpy(*out, name, len);
    (*out)[len] = '\0';
    return NG_OK;
}

static ng_status attr_authority(const struct ng_context *ctx, bool wide, void *buf)
{
    void *realm;

    if (ctx->mech == NG_MECH_NTLM) {
        char *domain;
        NG_GUARD(domain_of(ctx->client_name, &domain));
        ng_status status = dup_string(domain, wide, &realm);
        ng_free(domain);
        NG_GUARD(status);
    } else {
        NG_GUARD(dup_string(realm_of(ctx->client_name), wide, &realm));
    }
    if (wide)
        ((SecPkgContext_AuthorityW *)buf)->sAuthorityName = realm;
    else
        ((SecPkgContext_AuthorityA *)buf)->sAuthorityName = realm;
    return NG_OK;
}

static ng_status attr_flags(const struct ng_context *ctx, bool wide, void *buf)
{
    ((SecPkgContext_Flags *)buf)->Flags = ctx->ret_flags;
    return NG_OK;
}

/* One SecPkgInfo block (package_api.c) for `id`. */
static ng_status package_info(enum ng_package_id id, bool wide, void **out)
{
    const struct ng_package *pkg = ng_package_get(id);

    if (pkg == NULL)
        return NG_ERR_INTERNAL;
    if (wide)
        return ng_package_info_w(&pkg, 1, (SecPkgInfoW **)out);
    return ng_package_info_a(&pkg, 1, (SecPkgInfoA **)out);
}

static ng_status attr_package_info(const struct ng_context *ctx, bool wide, void *buf)
{
    void *info;

    NG_GUARD(package_info(ctx->package, wide, &info));
    /* SecPkgContext_PackageInfoA and W are both one pointer. */
    ((SecPkgContext_PackageInfoA *)buf)->PackageInfo = info;
    return NG_OK;
}

/* The package of the mechanism Negotiate chose; until one is chosen, the context's own. */
static enum ng_package_id negotiated_package(const struct ng_context *ctx)
{
    switch (ctx->mech) {
    case NG_MECH_KRB5:
    case NG_MECH_KRB5_MS:
        return NG_PKG_KERBEROS;
    case NG_MECH_NTLM:
        return NG_PKG_NTLM;
    case NG_MECH_NONE:
    case NG_MECH_NEGOEX:
    case NG_MECH_UNKNOWN:
        break;
    }
    return ctx->package;
}

static ng_status attr_negotiation_info(const struct ng_context *ctx, bool wide, void *buf)
{
    void *info;
    /* A failed negotiation never completes; Windows has no "failed" state to report. */
    ULONG state = ctx->state == NG_CTX_COMPLETE ? SECPKG_NEGOTIATION_COMPLETE
                                                : SECPKG_NEGOTIATION_IN_PROGRESS;

    NG_GUARD(package_info(negotiated_package(ctx), wide, &info));
    if (wide) {
        *(SecPkgContext_NegotiationInfoW *)buf = (SecPkgContext_NegotiationInfoW){info, state};
    } else {
        *(SecPkgContext_NegotiationInfoA *)buf = (SecPkgContext_NegotiationInfoA){info, state};
    }
    return NG_OK;
}

/* Made on the first query and kept with the context (Windows: the caller must not close it).
 * Two first queries at once race on a CAS; the loser's token is freed. */
static ng_status attr_access_token(const struct ng_context *ctx, bool wide, void *buf)
{
    struct ng_context *cache = (struct ng_context *)ctx; /* only the atomic token slot changes */
    struct ng_access_token *t = atomic_load(&cache->access_token);
    if (t == NULL) {
        NG_GUARD(ng_access_token_create(ctx, &t));
        struct ng_access_token *none = NULL;
        if (!atomic_compare_exchange_strong(&cache->access_token, &none, t)) {
            ng_access_token_free(t);
            t = none;
        }
    }
    ((SecPkgContext_AccessToken *)buf)->AccessToken = t;
    return NG_OK;
}

/* What MSRPC asks of a security context for RpcBindingInqAuthClient: the client's name. */
static ng_status attr_dce_info(const struct ng_context *ctx, bool wide, void *buf)
{
    void *name;

    NG_GUARD(dup_string(ctx->client_name, wide, &name));
    *(SecPkgContext_DceInfo *)buf = (SecPkgContext_DceInfo){RPC_C_AUTHZ_NAME, name};
    return NG_OK;
}

/* The service principal the client's ticket named; UTF-16 in both forms, as Windows declares. */
static ng_status attr_client_specified_target(const struct ng_context *ctx, bool wide, void *buf)
{
    void *name;

    if (ctx->role != NG_ROLE_ACCEPTOR)
        return NG_ERR_UNSUPPORTED;
    NG_GUARD(dup_string(ctx->server_name, true, &name));
    ((SecPkgContext_ClientSpecifiedTarget *)buf)->sTargetName = name;
    return NG_OK;
}

/* The target an initiator named, marshalled as its text (UTF-8 for A, UTF-16LE for W). */
static ng_status attr_target_information(const struct ng_context *ctx, bool wide, void *buf)
{
    void *target;
    size_t len;

    if (ctx->target_name == NULL)
        return NG_ERR_UNSUPPORTED;
    NG_GUARD(dup_string(ctx->target_name, wide, &target));
    if (wide) {
        len = 0;
        while (((const SEC_WCHAR *)target)[len] != 0)
            len++;
        len *= sizeof(SEC_WCHAR);
    } else {
        len = strlen(target);
    }
    *(SecPkgContext_TargetInformation *)buf = (SecPkgContext_TargetInformation){(ULONG)len, target};
    return NG_OK;
}

/* Whether the client's last token ended the handshake (the acceptor's view). */
static ng_status attr_last_client_token(const struct ng_context *ctx, bool wide, void *buf)
{
    if (ctx->role != NG_ROLE_ACCEPTOR)
        return NG_ERR_UNSUPPORTED;
    ((SecPkgContext_LastClientTokenStatus *)buf)->LastClientTokenStatus =
        ctx->state == NG_CTX_COMPLETE ? SecPkgAttrLastClientTokenYes : SecPkgAttrLastClientTokenNo;
    return NG_OK;
}

struct attribute {
    ng_status (*query)(const struct ng_context *ctx, bool wide, void *buf);
    bool needs_complete;
};

static const struct attribute attributes[] = {
    [SECPKG_ATTR_SIZES] = {attr_sizes, true},
    [SECPKG_ATTR_NAMES] = {attr_names, true},
    [SECPKG_ATTR_LIFESPAN] = {attr_lifespan, true},
    [SECPKG_ATTR_KEY_INFO] = {attr_key_info, true},
    [SECPKG_ATTR_AUTHORITY] = {attr_authority, true},
    [SECPKG_ATTR_SESSION_KEY] = {attr_session_key, true},
    [SECPKG_ATTR_PACKAGE_INFO] = {attr_package_info, false},
    [SECPKG_ATTR_NEGOTIATION_INFO] = {attr_negotiation_info, false},
    [SECPKG_ATTR_NATIVE_NAMES] = {attr_native_names, true},
    [SECPKG_ATTR_FLAGS] = {attr_flags, false},
    [SECPKG_ATTR_DCE_INFO] = {attr_dce_info, true},
    [SECPKG_ATTR_TARGET_INFORMATION] = {attr_target_information, true},
    [SECPKG_ATTR_ACCESS_TOKEN] = {attr_access_token, true},
    [SECPKG_ATTR_CLIENT_SPECIFIED_TARGET] = {attr_client_specified_target, true},
    [SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS] = {attr_last_client_token, false},
};

static ng_status attr_delegated_ccache(const struct ng_context *ctx, bool wide, void *buf)
{
    if (wide || ctx->delegated_ccache == NULL)
        return wide ? NG_ERR_UNSUPPORTED : NG_ERR_NO_CREDENTIALS;
    char *name = ng_strdup(ctx->delegated_ccache);
    if (name == NULL)
        return NG_ERR_NOMEM;
    ((SecPkgContext_NegringDelegatedCcacheA *)buf)->sCcacheName = name;
    return NG_OK;
}

static SECURITY_STATUS query_attributes(PCtxtHandle handle, ULONG number, void *buf, bool wide)
{
    struct ng_context *ctx;
    ng_status status;

    if (handle == NULL || ng_context_acquire(handle, &ctx) != NG_OK)
        return SEC_E_INVALID_HANDLE;
    if (!ng_context_enter_shared(ctx)) { /* a leg is changing this context right now */
        ng_context_release(handle);
        return SEC_E_INVALID_HANDLE;
    }
    const struct attribute *attr =
        number < sizeof attributes / sizeof attributes[0] ? &attributes[number] : NULL;
    if (buf == NULL)
        status = NG_ERR_INVALID_PARAM;
    else if (number == SECPKG_ATTR_NEGRING_DELEGATED_CCACHE)
        status = attr_delegated_ccache(ctx, wide, buf);
    else if (attr == NULL || attr->query == NULL)
        status = NG_ERR_UNSUPPORTED;
    else if (attr->needs_complete && ctx->state != NG_CTX_COMPLETE)
        status = NG_ERR_NO_CONTEXT;
    else
        status = attr->query(ctx, wide, buf);
    ng_context_leave_shared(ctx);
    ng_context_release(handle);
    return ng_sec_status(status);
}

SECURITY_STATUS SEC_ENTRY QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute,
                                                  void *pBuffer)
{
    return query_attributes(phContext, ulAttribute, pBuffer, false);
}

SECURITY_STATUS SEC_ENTRY QueryContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute,
                                                  void *pBuffer)
{
    return query_attributes(phContext, ulAttribute, pBuffer, true);
}
