/* Acceptor credentials and handshake legs for the embeddings (see acceptor.h). */
#include "acceptor.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "authenticator_key.h"
#include "sec_status_text.h"

/* `packages`: Negotiate's package list (Windows' PackageList), or NULL for all. */
static SECURITY_STATUS acquire(const struct ne_acceptor_config *cfg, const char *package,
                               const char *packages, const char *user_db, CredHandle *out)
{
    NEGRING_ACCEPTOR_AUTH_DATA3 data = {
        .Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_3,
        .Keytab = cfg->keytab,
        .ClockSkewSeconds = cfg->clock_skew,
        .UserDatabase = user_db,
        .NtlmDomain = cfg->ntlm_domain,
        .PackageList = packages,
    };
    TimeStamp expiry;
    return AcquireCredentialsHandleA((LPSTR)cfg->principal, (LPSTR)package, SECPKG_CRED_INBOUND,
                                     NULL, &data, NULL, NULL, out, &expiry);
}

static int acquire_failed(char *err, size_t errlen, const char *what,
                          const struct ne_acceptor_config *cfg, SECURITY_STATUS s)
{
    snprintf(err, errlen, "cannot acquire %s credentials (keytab %s, account file %s): %s (0x%08x)",
             what, cfg->keytab ? cfg->keytab : "from KRB5_KTNAME or the default",
             cfg->user_db ? cfg->user_db : "none", ne_status_reason(s), (unsigned)s);
    return -1;
}

int ne_acceptor_acquire(struct ne_acceptor *a, const struct ne_acceptor_config *cfg, char *err,
                        size_t errlen)
{
    *a = (struct ne_acceptor){.clock_skew = cfg->clock_skew};
    SECURITY_STATUS s;
    if (cfg->mechs == NE_MECHS_NTLM || (cfg->mechs == NE_MECHS_NEGOTIATE && cfg->user_db)) {
        if (cfg->user_db == NULL) {
            snprintf(err, errlen, "NTLM needs an account file (made with negring-user)");
            return -1;
        }
        s = acquire(cfg, "NTLM", NULL, cfg->user_db, &a->ntlm);
        if (s != SEC_E_OK)
            return acquire_failed(err, errlen, "NTLM", cfg, s);
        a->has_ntlm = true;
    }
    if (cfg->mechs == NE_MECHS_NTLM)
        return 0;
    /* Without an account file, Kerberos alone: the library would otherwise take one from
     * $NEGRING_USER_DB, which an embedding's configuration does not name. */
    bool kerberos_only = cfg->mechs == NE_MECHS_KERBEROS || cfg->user_db == NULL;
    s = acquire(cfg, "Negotiate", kerberos_only ? "Kerberos" : NULL,
                kerberos_only ? NULL : cfg->user_db, &a->negotiate);
    if (s != SEC_E_OK) {
        ne_acceptor_free(a);
        return acquire_failed(err, errlen, "Negotiate", cfg, s);
    }
    a->has_negotiate = true;
    return 0;
}

void ne_acceptor_free(struct ne_acceptor *a)
{
    if (a->has_negotiate)
        FreeCredentialsHandle(&a->negotiate);
    if (a->has_ntlm)
        FreeCredentialsHandle(&a->ntlm);
    a->has_negotiate = a->has_ntlm = false;
}

SECURITY_STATUS ne_acceptor_prepare_thread(struct ne_acceptor *a)
{
    /* Every credential shares the thread's Kerberos state: preparing one prepares all. */
    return a->has_negotiate ? SetCredentialsAttributesA(
                                  &a->negotiate, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0)
                            : SEC_E_OK;
}

bool ne_acceptor_takes(const struct ne_acceptor *a, enum ne_scheme scheme)
{
    return scheme == NE_SCHEME_NTLM ? a->has_ntlm : a->has_negotiate;
}

void ne_handshake_reset(struct ne_handshake *hs)
{
    if (hs->active)
        DeleteSecurityContext(&hs->ctx);
    *hs = (struct ne_handshake){0};
}

/* A GSS InitialContextToken (RFC 2743 §3.1) or an NTLM NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1)
 * opens a new handshake: RFC 4559 §5 lets a client start over on the same connection. */
static bool starts_handshake(const uint8_t *tok, size_t len)
{
    static const uint8_t ntlm_negotiate[12] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0};
    if (len >= 1 && tok[0] == 0x60)
        return true;
    return len >= sizeof(ntlm_negotiate) && memcmp(tok, ntlm_negotiate, 12) == 0;
}

/* Remembers the Kerberos authenticator a token carries (authenticator_key.h), by its hash: the
 * token does not outlive the leg, and the login may complete on a later one. */
static void note_authenticator(struct ne_handshake *hs, const uint8_t *in, size_t in_len)
{
    const uint8_t *key;
    size_t key_len;
    if (!ne_authenticator_key(in, in_len, &key, &key_len))
        return;
    struct sha256_ctx sha;
    sha256_init(&sha);
    sha256_update(&sha, key_len, key);
    sha256_digest(&sha, sizeof(hs->authenticator), hs->authenticator);
    hs->has_authenticator = true;
}

/* The package the exchange chose: Negotiate's NEGOTIATION_INFO, or the package itself. */
static SECURITY_STATUS query_package(CtxtHandle *ctx, char *out, size_t out_len)
{
    SecPkgContext_NegotiationInfoA nego = {0};
    SecPkgContext_PackageInfoA pkg = {0};
    SECURITY_STATUS s = QueryContextAttributesA(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &nego);
    PSecPkgInfoA info = nego.PackageInfo;
    if (s != SEC_E_OK) {
        s = QueryContextAttributesA(ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg);
        info = pkg.PackageInfo;
    }
    if (s != SEC_E_OK || info == NULL)
        return s != SEC_E_OK ? s : SEC_E_INTERNAL_ERROR;
    int n = snprintf(out, out_len, "%s", info->Name);
    FreeContextBuffer(info);
    return n > 0 && (size_t)n < out_len ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

/* A Kerberos login must be new to every process sharing the replay table. */
static SECURITY_STATUS check_replay(const struct ne_handshake *hs, const struct ne_acceptor *a,
                                    struct ne_replay_table *replay, int64_t now, struct ne_leg *leg)
{
    if (replay == NULL || strcmp(leg->package, "Kerberos") != 0)
        return SEC_E_OK;
    if (!hs->has_authenticator) {
        leg->reason = "no authenticator found in the Kerberos token";
        return SEC_E_LOGON_DENIED;
    }
    /* Accepted now, the authenticator's time is within now +- skew, so no process can accept
     * it again after now + 2 x skew. */
    int64_t expires = now + 2 * (int64_t)(a->clock_skew ? a->clock_skew : 300);
    switch (ne_replay_insert(replay, hs->authenticator, sizeof(hs->authenticator), now, expires)) {
    case NE_REPLAY_FRESH:
        return SEC_E_OK;
    case NE_REPLAY_SEEN:
        leg->reason = "replayed authenticator (accepted before by this or another process)";
        return SEC_E_LOGON_DENIED;
    case NE_REPLAY_FULL:
        break;
    }
    leg->reason = "replay table full";
    return SEC_E_INSUFFICIENT_MEMORY;
}

static SECURITY_STATUS finish(struct ne_handshake *hs, const struct ne_acceptor *a,
                              struct ne_replay_table *replay, int64_t now, struct ne_leg *leg)
{
    SecPkgContext_NamesA names = {0};
    SECURITY_STATUS s = QueryContextAttributesA(&hs->ctx, SECPKG_ATTR_NAMES, &names);
    if (s != SEC_E_OK)
        return s;
    int n = snprintf(leg->user, sizeof(leg->user), "%s", names.sUserName ? names.sUserName : "");
    FreeContextBuffer(names.sUserName);
    if (n <= 0 || (size_t)n >= sizeof(leg->user))
        return SEC_E_INTERNAL_ERROR; /* never report a truncated (= another) user */
    s = query_package(&hs->ctx, leg->package, sizeof(leg->package));
    return s == SEC_E_OK ? check_replay(hs, a, replay, now, leg) : s;
}

static const CredHandle *credentials_for(const struct ne_acceptor *a, enum ne_scheme scheme)
{
    return scheme == NE_SCHEME_NTLM ? &a->ntlm : &a->negotiate;
}

void ne_handshake_leg(struct ne_handshake *hs, const struct ne_acceptor *a,
                      struct ne_replay_table *replay, enum ne_scheme scheme, const uint8_t *in,
                      size_t in_len, int64_t now, struct ne_leg *leg)
{
    *leg = (struct ne_leg){.out = leg->out, .out_cap = leg->out_cap};
    if (hs->active && (hs->scheme != scheme || (hs->had_input && starts_handshake(in, in_len))))
        ne_handshake_reset(hs);
    if (!ne_acceptor_takes(a, scheme)) {
        leg->status = SEC_E_SECPKG_NOT_FOUND;
        leg->reason = "scheme not offered";
        return;
    }
    if (!hs->active)
        *hs = (struct ne_handshake){.scheme = scheme};
    note_authenticator(hs, in, in_len);
    SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc idesc = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {(ULONG)leg->out_cap, SECBUFFER_TOKEN, leg->out};
    SecBufferDesc odesc = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    TimeStamp expiry;
    CtxtHandle next;
    leg->status =
        AcceptSecurityContext((PCredHandle)credentials_for(a, scheme), hs->active ? &hs->ctx : NULL,
                              &idesc, ASC_REQ_CONNECTION, SECURITY_NATIVE_DREP,
                              hs->active ? &hs->ctx : &next, &odesc, &attrs, &expiry);
    hs->legs++;
    if (!hs->active && (leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED)) {
        hs->ctx = next;
        hs->active = true;
    }
    hs->had_input = hs->had_input || in_len > 0;
    if (leg->status == SEC_E_OK || leg->status == SEC_I_CONTINUE_NEEDED)
        leg->out_len = ob.cbBuffer;
    if (leg->status == SEC_E_OK)
        leg->status = finish(hs, a, replay, now, leg);
    if (leg->status != SEC_E_OK && leg->status != SEC_I_CONTINUE_NEEDED) {
        leg->out_len = 0;
        if (leg->reason == NULL)
            leg->reason = ne_status_reason(leg->status);
    }
    if (leg->status != SEC_I_CONTINUE_NEEDED)
        ne_handshake_reset(hs);
}

const char *ne_user_realm(const char *user, const char *package, size_t *len)
{
    if (strcmp(package, "NTLM") == 0) {
        const char *backslash = strchr(user, '\\');
        *len = backslash ? (size_t)(backslash - user) : 0;
        return user;
    }
    const char *at = strrchr(user, '@');
    if (at == NULL) {
        *len = 0;
        return "";
    }
    *len = strlen(at + 1);
    return at + 1;
}
