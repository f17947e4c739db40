/* Acceptor credentials and handshake legs over the SSPI API (see auth.h). */
#include "auth.h"

#include <negring/access_token.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sec_status.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The target name policy (docs/ntlm.md) as NtlmOptions; false for an unknown name. */
static bool target_name_policy(const char *name, ULONG *options)
{
    *options = 0;
    if (strcmp(name, "when-supplied") == 0)
        return true;
    if (strcmp(name, "required") == 0)
        *options = NEGRING_NTLM_TARGET_NAME_REQUIRED;
    else if (strcmp(name, "off") == 0)
        *options = NEGRING_NTLM_TARGET_NAME_OFF;
    return *options != 0;
}

/* `packages`: Negotiate's package list (Windows' PackageList), or NULL for all. */
static SECURITY_STATUS acquire(const struct rs_config *cfg, const char *package,
                               const char *packages, CredHandle *out)
{
    ULONG ntlm_options;
    if (!target_name_policy(cfg->ntlm_target_name, &ntlm_options))
        return SEC_E_INVALID_PARAMETER; /* rs_creds_acquire names the option first */
    /* Version 2 added the NTLM account file (docs/ntlm.md; NULL: $NEGRING_USER_DB), Version 3
     * the package list. */
    NEGRING_ACCEPTOR_AUTH_DATA3 data = {
        .Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3,
        .Keytab = cfg->keytab[0] ? cfg->keytab : NULL,
        .ClockSkewSeconds = cfg->clock_skew,
        .UserDatabase = cfg->user_db[0] ? cfg->user_db : NULL,
        .NtlmDomain = cfg->ntlm_domain[0] ? cfg->ntlm_domain : NULL,
        .NtlmOptions = ntlm_options,
        .PackageList = packages,
    };
    TimeStamp expiry;
    return AcquireCredentialsHandleA(cfg->principal[0] ? (LPSTR)cfg->principal : NULL,
                                     (LPSTR)package, SECPKG_CRED_INBOUND, NULL, &data, NULL, NULL,
                                     out, &expiry);
}

static bool package_available(const char *name)
{
    PSecPkgInfoA info = NULL;
    if (QuerySecurityPackageInfoA((LPSTR)name, &info) != SEC_E_OK)
        return false;
    FreeContextBuffer(info);
    return true;
}

static bool wants_kind(const struct rs_config *cfg, enum rs_cred_kind kind, bool require)
{
    for (unsigned i = 0; i < cfg->n_listeners; i++) {
        const struct rs_listener_config *l = &cfg->listeners[i];
        if (require && !(l->tls && l->bindings == RS_BINDINGS_REQUIRE))
            continue;
        if (kind != RS_CRED_KERBEROS || l->mechs == RS_MECHS_KERBEROS)
            return true;
    }
    return false;
}

/* One kind of credentials, with bindings required or not. */
static SECURITY_STATUS acquire_kind(const struct rs_config *cfg, enum rs_cred_kind kind,
                                    bool require, CredHandle *out)
{
    static const char *const package[] = {"Negotiate", "NTLM", "Negotiate"};
    SECURITY_STATUS s =
        acquire(cfg, package[kind], kind == RS_CRED_KERBEROS ? "Kerberos" : NULL, out);
    ULONG policy = NEGRING_CHANNEL_BINDINGS_REQUIRED;
    if (s == SEC_E_OK && require) {
        s = SetCredentialsAttributesA(out, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, &policy,
                                      sizeof(policy));
        if (s != SEC_E_OK)
            FreeCredentialsHandle(out);
    }
    return s;
}

int rs_creds_acquire(struct rs_creds *c, const struct rs_config *cfg, char *err, size_t errlen)
{
    *c = (struct rs_creds){0};
    ULONG ignored;
    if (!target_name_policy(cfg->ntlm_target_name, &ignored)) {
        snprintf(err, errlen, "ntlm-target-name: want when-supplied, required or off, got '%s'",
                 cfg->ntlm_target_name);
        return -1;
    }
    bool ntlm = package_available("NTLM");
    for (int req = 0; req < 2; req++) {
        for (int kind = 0; kind < RS_CRED_KINDS; kind++) {
            if ((kind != RS_CRED_NEGOTIATE || req) && !wants_kind(cfg, kind, req))
                continue;
            if (kind == RS_CRED_NTLM && !ntlm)
                continue;
            SECURITY_STATUS s = acquire_kind(cfg, kind, req, &c->h[req][kind]);
            c->have[req][kind] = s == SEC_E_OK;
            if (s == SEC_E_OK || kind == RS_CRED_NTLM)
                continue; /* without an account file there is no NTLM, and that is fine */
            snprintf(err, errlen,
                     "cannot acquire %s acceptor credentials%s from keytab %s (0x%08x: %s)",
                     kind == RS_CRED_KERBEROS ? "Kerberos-only Negotiate" : "Negotiate",
                     req ? " (bindings required)" : "",
                     cfg->keytab[0] ? cfg->keytab : "(KRB5_KTNAME or default)", (unsigned)s,
                     rs_status_reason(s));
            rs_creds_free(c);
            return -1;
        }
    }
    c->has_ntlm = c->have[0][RS_CRED_NTLM];
    return 0;
}

SECURITY_STATUS rs_creds_prepare_thread(struct rs_creds *c)
{
    /* The credentials share the thread's krb5 state: preparing one prepares all. */
    return c->have[0][RS_CRED_NEGOTIATE]
               ? SetCredentialsAttributesA(&c->h[0][RS_CRED_NEGOTIATE],
                                           SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0)
               : SEC_E_OK;
}

/* Every set reloads; the first failure is the answer. */
SECURITY_STATUS rs_creds_reload(struct rs_creds *c)
{
    SECURITY_STATUS first = SEC_E_OK;
    for (int req = 0; req < 2; req++)
        for (int kind = 0; kind < RS_CRED_KINDS; kind++) {
            if (!c->have[req][kind])
                continue;
            SECURITY_STATUS s = SetCredentialsAttributesA(
                &c->h[req][kind], SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0);
            if (first == SEC_E_OK)
                first = s;
        }
    return first;
}

void rs_creds_free(struct rs_creds *c)
{
    for (int req = 0; req < 2; req++)
        for (int kind = 0; kind < RS_CRED_KINDS; kind++)
            if (c->have[req][kind])
                FreeCredentialsHandle(&c->h[req][kind]);
    *c = (struct rs_creds){0};
}

bool rs_token_starts_handshake(const uint8_t *tok, size_t len)
{
    static const uint8_t ntlm_negotiate[12] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0};
    if (len >= 1 && tok[0] == 0x60) /* RFC 2743 §3.1 [APPLICATION 0] InitialContextToken */
        return true;
    return len >= sizeof(ntlm_negotiate) && memcmp(tok, ntlm_negotiate, 12) == 0; /* MS-NLMP */
}

void rs_handshake_reset(struct rs_handshake *hs)
{
    if (hs->active)
        DeleteSecurityContext(&hs->ctx);
    *hs = (struct rs_handshake){0};
}

/* The package the exchange chose: Negotiate's NEGOTIATION_INFO, or the package itself. Out of
 * memory fails the leg: an answer naming no mechanism would be a wrong answer. */
static SECURITY_STATUS query_package(CtxtHandle *ctx, char *out, size_t out_len)
{
    SecPkgContext_NegotiationInfoA nego;
    SecPkgContext_PackageInfoA pkg;
    out[0] = '\0';
    SECURITY_STATUS s = QueryContextAttributesA(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &nego);
    if (s == SEC_E_OK) {
        if (nego.PackageInfo != NULL) {
            snprintf(out, out_len, "%s", nego.PackageInfo->Name);
            FreeContextBuffer(nego.PackageInfo);
        }
        return SEC_E_OK;
    }
    if (s == SEC_E_INSUFFICIENT_MEMORY)
        return s;
    s = QueryContextAttributesA(ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg);
    if (s == SEC_E_OK && pkg.PackageInfo != NULL) {
        snprintf(out, out_len, "%s", pkg.PackageInfo->Name);
        FreeContextBuffer(pkg.PackageInfo);
    }
    return s == SEC_E_INSUFFICIENT_MEMORY ? s : SEC_E_OK;
}

static SECURITY_STATUS finish(CtxtHandle *ctx, struct rs_leg *leg)
{
    SecPkgContext_NamesA names;
    SECURITY_STATUS s = QueryContextAttributesA(ctx, SECPKG_ATTR_NAMES, &names);
    if (s != SEC_E_OK)
        return s;
    int n = snprintf(leg->user, sizeof(leg->user), "%s", names.sUserName ? names.sUserName : "");
    FreeContextBuffer(names.sUserName);
    if (n <= 0 || (size_t)n >= sizeof(leg->user))
        return SEC_E_INTERNAL_ERROR; /* never report a truncated (= wrong) user */
    return query_package(ctx, leg->package, sizeof(leg->package));
}

/* "S-1-..,S-1-.." of `n` SIDs, malloc'd; NULL when there are none or no memory (*ok false). */
static char *join_sids(const char *const *sids, size_t n, bool *ok)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(sids[i]) + 1;
    if (n == 0)
        return NULL;
    char *out = malloc(len), *p = out;
    if (out == NULL) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(sids[i]);
        memcpy(p, sids[i], l);
        p[l] = i + 1 < n ? ',' : '\0';
        p += l + 1;
    }
    return out;
}

/* The PAC's SIDs through the access token (include/negring/access_token.h). Out of memory
 * fails the leg: an answer leaving out a group could grant less, or let a deny rule miss. */
static SECURITY_STATUS query_sids(CtxtHandle *ctx, struct rs_leg *leg)
{
    void *token = NULL;
    SECURITY_STATUS s = QuerySecurityContextToken(ctx, &token);
    if (s != SEC_E_OK)
        return s;
    const char *user = negring_token_user_sid(token),
               *primary = negring_token_primary_group_sid(token);
    snprintf(leg->user_sid, sizeof(leg->user_sid), "%s", user ? user : "");
    snprintf(leg->primary_group_sid, sizeof(leg->primary_group_sid), "%s", primary ? primary : "");
    const char *const *sids;
    size_t n = negring_token_sids(token, &sids);
    bool ok = true;
    leg->group_sids = join_sids(sids, n, &ok);
    negring_token_close(token);
    return ok ? SEC_E_OK : SEC_E_INSUFFICIENT_MEMORY;
}

/* A refused leg names the mechanism it failed in and the client it had learned. */
static void name_failure(struct rs_leg *leg)
{
    const NEGRING_FAILURE_INFO *f = &leg->failure;
    if (f->MechanismRpcId == RPC_C_AUTHN_GSS_KERBEROS)
        snprintf(leg->package, sizeof(leg->package), "Kerberos");
    else if (f->MechanismRpcId == RPC_C_AUTHN_WINNT)
        snprintf(leg->package, sizeof(leg->package), "NTLM");
    snprintf(leg->user, sizeof(leg->user), "%s", f->UserName);
}

void rs_auth_leg(struct rs_handshake *hs, const struct rs_creds *creds,
                 const struct rs_leg_policy *policy, const uint8_t *in, size_t in_len,
                 uint8_t *scratch, size_t scratch_len, struct rs_leg *leg)
{
    enum rs_package pkg = policy->pkg;
    *leg = (struct rs_leg){0};
    if (hs->active && (hs->pkg != pkg || (hs->had_input && rs_token_starts_handshake(in, in_len))))
        rs_handshake_reset(hs);
    enum rs_cred_kind kind = pkg == RS_PKG_NTLM      ? RS_CRED_NTLM
                             : policy->kerberos_only ? RS_CRED_KERBEROS
                                                     : RS_CRED_NEGOTIATE;
    if (!creds->have[policy->require_bindings][kind]) {
        leg->status = SEC_E_SECPKG_NOT_FOUND;
        return;
    }
    const CredHandle *cred = &creds->h[policy->require_bindings][kind];
    if (!hs->active) {
        *hs = (struct rs_handshake){.pkg = pkg, .start_us = now_us()};
    }
    SecBuffer ib[2] = {
        {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in},
        {(ULONG)policy->bindings_len, SECBUFFER_CHANNEL_BINDINGS, (void *)policy->bindings}};
    SecBufferDesc idesc = {SECBUFFER_VERSION, policy->bindings_len > 0 ? 2 : 1, ib};
    SecBuffer ob[2] = {{(ULONG)scratch_len, SECBUFFER_TOKEN, scratch},
                       {sizeof(leg->failure), SECBUFFER_NEGRING_FAILURE, &leg->failure}};
    SecBufferDesc odesc = {SECBUFFER_VERSION, 2, ob};
    ULONG attrs = 0;
    TimeStamp expiry;
    CtxtHandle next;
    leg->status = AcceptSecurityContext((PCredHandle)cred, hs->active ? &hs->ctx : NULL, &idesc,
                                        ASC_REQ_CONNECTION, SECURITY_NATIVE_DREP,
                                        hs->active ? &hs->ctx : &next, &odesc, &attrs, &expiry);
    hs->legs++;
    if (!hs->active && (leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED)) {
        hs->ctx = next;
        hs->active = true;
    }
    hs->had_input = hs->had_input || in_len > 0;
    leg->out_len =
        (leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED) ? ob[0].cbBuffer : 0;
    if (leg->status == SEC_E_OK) {
        SECURITY_STATUS s = finish(&hs->ctx, leg);
        if (s == SEC_E_OK && policy->want_sids)
            s = query_sids(&hs->ctx, leg);
        if (s != SEC_E_OK)
            leg->status = s;
    } else if (leg->status != SEC_I_CONTINUE_NEEDED) {
        name_failure(leg);
    }
    if (leg->status != SEC_I_CONTINUE_NEEDED) {
        uint64_t start = hs->start_us;
        unsigned legs = hs->legs;
        rs_handshake_reset(hs);
        hs->start_us = start;
        hs->legs = legs;
    }
}
