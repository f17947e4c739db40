/* The NTLM mechanism's table of operations (mechanism.h), and what an established NTLM context
 * answers about itself, as Windows' NTLM package does. */
#include "ntlm_mech.h"

#include <string.h>

#include "access_token.h"
#include "alloc.h"
#include "ntlm_acceptor.h"
#include "ntlm_credentials.h"
#include "ntlm_initiator.h"
#include "ntlm_message.h"
#include "ntlm_protection.h"
#include "ntlm_state.h"

static bool established(const struct ng_context *ctx)
{
    const struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    return st != NULL && st->established;
}

/* MS-SPNG §3.2.5.1: an AUTHENTICATE with a MIC obliges both mechListMICs. */
static bool obliges_mic(const struct ng_context *ctx)
{
    const struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    return st != NULL && st->mic_sent;
}

static ng_status get_mic(struct ng_context *ctx, struct ng_slice message, struct ng_writer *out)
{
    return ng_ntlm_get_mic(ng_ntlm_state_of(ctx), message, out);
}

static ng_status verify_mic(struct ng_context *ctx, struct ng_slice message, struct ng_slice mic)
{
    return ng_ntlm_verify_mic(ng_ntlm_state_of(ctx), message, mic);
}

/* A 16-byte NTLMSSP_MESSAGE_SIGNATURE; RC4 is a stream (no blocks). */
static ng_status sizes(const struct ng_context *ctx, SecPkgContext_Sizes *out)
{
    out->cbMaxSignature = NG_NTLM_SIGNATURE_LEN;
    out->cbBlockSize = 0;
    out->cbSecurityTrailer = NG_NTLM_SIGNATURE_LEN;
    return NG_OK;
}

/* The ExportedSessionKey (MS-NLMP §3.1.5.1.2), as Windows returns it. */
static ng_status session_key(const struct ng_context *ctx, struct ng_slice *key)
{
    const struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    if (st == NULL || !st->established)
        return NG_ERR_UNSUPPORTED;
    *key = ng_slice_of(st->session.exported_key, sizeof st->session.exported_key);
    return NG_OK;
}

/* NTLMv2 with extended session security (the only NTLM negring speaks) signs with HMAC-MD5
 * (KERB_CHECKSUM_HMAC_MD5, -138, as two's complement) and seals with RC4 (CALG_RC4), as
 * Windows' NTLM reports. */
static ng_status key_info(const struct ng_context *ctx, struct ng_key_info *out)
{
    enum { KERB_CHECKSUM_HMAC_MD5 = -138, CALG_RC4 = 0x6801 };
    if (!established(ctx))
        return NG_ERR_UNSUPPORTED;
    *out = (struct ng_key_info){"HMAC-MD5", "RSADSI RC4", 128, (ULONG)KERB_CHECKSUM_HMAC_MD5,
                                CALG_RC4};
    return NG_OK;
}

/* The domain of "DOMAIN\user". */
static ng_status authority(const struct ng_context *ctx, struct ng_slice *out)
{
    const char *sep = ctx->client_name == NULL ? NULL : strchr(ctx->client_name, '\\');
    if (sep == NULL)
        return NG_ERR_UNSUPPORTED;
    *out = ng_slice_of(ctx->client_name, (size_t)(sep - ctx->client_name));
    return NG_OK;
}

/* "DOMAIN\user" (the account file's spelling) to a local account, the first NSS knows of:
 *   1. "DOMAIN\user" whole — how winbind and SSSD name domain users;
 *   2. "user" — every NTLM account is one of the server's own account file, whose domains are
 *      this server's own (there is no domain controller and no trust): its user names are the
 *      local ones, as for a Windows machine's local accounts;
 *   3. "user" in ASCII lower case — NTLM names are case-insensitive, Linux ones are not.
 * An anonymous logon ("NT AUTHORITY\ANONYMOUS LOGON") has no account. NTLM has no PAC: no SIDs. */
static ng_status fill_access_token(const struct ng_context *ctx, struct ng_access_token *t)
{
    const struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    const char *sep = strchr(t->principal, '\\');
    if (st == NULL || st->anonymous || sep == NULL || sep[1] == '\0')
        return NG_OK;
    char *lower = ng_strdup(sep + 1);
    if (lower == NULL)
        return NG_ERR_NOMEM;
    for (char *c = lower; *c != '\0'; c++)
        *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
    const char *names[] = {t->principal, sep + 1, lower};
    ng_status status = ng_access_token_find_account(t, names, strcmp(lower, sep + 1) != 0 ? 3 : 2);
    ng_free(lower);
    return status;
}

static void free_state(void *state)
{
    ng_ntlm_state_free(state);
}

const struct ng_mech_ops ng_ntlm_mech = {
    .package = NG_PKG_NTLM,
    .oid = NG_MECH_NTLM,
    .needs_target = false, /* then no MsvAvTargetName is sent, as on Windows */
    .acquire_inbound = ng_ntlm_acquire_inbound,
    .acquire_outbound = ng_ntlm_acquire_outbound,
    .can_accept = ng_ntlm_can_accept,
    .can_initiate = ng_ntlm_can_initiate,
    .reload = ng_ntlm_reload,
    .owns_raw_token = ng_ntlm_is_message,
    .accept = ng_ntlm_accept,
    .initiate = ng_ntlm_initiate,
    .established = established,
    .obliges_mic = obliges_mic,
    .get_mic = get_mic,
    .verify_mic = verify_mic,
    .sizes = sizes,
    .session_key = session_key,
    .key_info = key_info,
    .authority = authority,
    .sign = ng_ntlm_msg_sign,
    .verify = ng_ntlm_msg_verify,
    .seal = ng_ntlm_msg_seal,
    .unseal = ng_ntlm_msg_unseal,
    .export_state = ng_ntlm_export_state,
    .import_state = ng_ntlm_import_state,
    .fill_access_token = fill_access_token,
    .free_state = free_state,
};
