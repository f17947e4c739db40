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
 *   - what the context's mechanism does not have (an NTLM session key of an anonymous logon,
 *     delegated tickets): SEC_E_UNSUPPORTED_FUNCTION, SEC_E_NO_CREDENTIALS for the latter.
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
#include "package_api.h"
#include "security_context.h"
#include "sspi_status.h"
#include "timestamp.h"
#include "utf16.h"

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
    const struct ng_package *pkg = ng_package_get(ctx->package);
    SecPkgContext_Sizes sizes = {0};
    if (pkg == NULL)
        return NG_ERR_INTERNAL;
    NG_GUARD(ctx->ops->sizes(ctx, &sizes));
    sizes.cbMaxToken = pkg->max_token;
    *(SecPkgContext_Sizes *)buf = sizes;
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

static ng_status attr_lifespan(const struct ng_context *ctx, bool wide, void *buf)
{
    SecPkgContext_Lifespan *life = buf;

    life->tsStart = ng_timestamp_from_unix(ctx->start_time);
    life->tsExpiry = ng_timestamp_from_unix(ctx->end_time);
    return NG_OK;
}

/* The session key Windows returns for the mechanism. The block is a secret: FreeContextBuffer
 * wipes it. */
static ng_status attr_session_key(const struct ng_context *ctx, bool wide, void *buf)
{
    struct ng_slice secret;
    NG_GUARD(ctx->ops->session_key(ctx, &secret));
    unsigned char *key = ng_memdup(secret.ptr, secret.len);
    if (key == NULL)
        return NG_ERR_NOMEM;
    *(SecPkgContext_SessionKey *)buf = (SecPkgContext_SessionKey){(ULONG)secret.len, key};
    return NG_OK;
}

static ng_status attr_key_info(const struct ng_context *ctx, bool wide, void *buf)
{
    struct ng_key_info info;
    void *sig, *enc;

    NG_GUARD(ctx->ops->key_info(ctx, &info));
    NG_GUARD(dup_string(info.signature_name, wide, &sig));
    ng_status status = dup_string(info.encrypt_name, wide, &enc);
    if (status != NG_OK) {
        ng_free(sig);
        return status;
    }
    if (wide) {
        *(SecPkgContext_KeyInfoW *)buf = (SecPkgContext_KeyInfoW){
            sig, enc, info.key_bits, info.signature_algorithm, info.encrypt_algorithm};
    } else {
        *(SecPkgContext_KeyInfoA *)buf = (SecPkgContext_KeyInfoA){
            sig, enc, info.key_bits, info.signature_algorithm, info.encrypt_algorithm};
    }
    return NG_OK;
}

/* The realm (Kerberos) or domain (NTLM) that vouched for the client. */
static ng_status attr_authority(const struct ng_context *ctx, bool wide, void *buf)
{
    struct ng_slice authority;
    NG_GUARD(ctx->ops->authority(ctx, &authority));
    char *name = ng_alloc(authority.len + 1);
    if (name == NULL)
        return NG_ERR_NOMEM;
    memcpy(name, authority.ptr, authority.len);
    void *realm;
    ng_status status = dup_string(name, wide, &realm);
    ng_free(name);
    NG_GUARD(status);
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
    return ctx->ops != NULL ? ctx->ops->package : ctx->package;
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
    const char *ccache = ctx->ops != NULL && ctx->ops->delegated_ccache != NULL
                             ? ctx->ops->delegated_ccache(ctx)
                             : NULL;
    if (wide || ccache == NULL)
        return wide ? NG_ERR_UNSUPPORTED : NG_ERR_NO_CREDENTIALS;
    char *name = ng_strdup(ccache);
    if (name == NULL)
        return NG_ERR_NOMEM;
    ((SecPkgContext_NegringDelegatedCcacheA *)buf)->sCcacheName = name;
    return NG_OK;
}

static SECURITY_STATUS query_attributes(PCtxtHandle handle, ULONG number, void *buf, bool wide)
{
    struct ng_context *ctx;
    ng_status status;

    if (ng_context_hold(handle, &ctx) != NG_OK) /* bad, or a leg is changing it right now */
        return SEC_E_INVALID_HANDLE;
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
    ng_context_unhold(handle, ctx);
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
