#include "ntlm_initiator.h"

#include <time.h>

#include "alloc.h"
#include "channel_bindings.h"
#include "ntlm_credentials.h"
#include "ntlm_issued_challenges.h"
#include "ntlm_loopback.h"
#include "ntlm_message.h"
#include "ntlm_response.h"
#include "ntlm_state.h"
#include "random.h"

static const uint32_t our_flags =
    NG_NTLMSSP_NEGOTIATE_UNICODE | NG_NTLMSSP_REQUEST_TARGET | NG_NTLMSSP_NEGOTIATE_SIGN |
    NG_NTLMSSP_NEGOTIATE_SEAL | NG_NTLMSSP_NEGOTIATE_NTLM | NG_NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
    NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION | NG_NTLMSSP_NEGOTIATE_VERSION |
    NG_NTLMSSP_NEGOTIATE_128 | NG_NTLMSSP_NEGOTIATE_KEY_EXCH | NG_NTLMSSP_NEGOTIATE_56;

static ng_status send_negotiate(struct ng_context *ctx, struct ng_writer *out)
{
    struct ng_ntlm_state *st;
    NG_GUARD(ng_ntlm_state_new(&st));
    ctx->mech_state = st;
    struct ng_writer msg = ng_writer_growable();
    ng_ntlm_write_negotiate(&msg, our_flags);
    ng_status status = ng_writer_status(&msg);
    if (status == NG_OK)
        status = ng_ntlm_state_keep(st, ng_writer_slice(&msg), ng_slice_of(NULL, 0));
    ng_write_slice(out, ng_writer_slice(&msg));
    ng_writer_free(&msg);
    if (status == NG_OK)
        status = ng_writer_status(out);
    return status == NG_OK ? NG_CONTINUE : status;
}

/* The client's AV pairs (§3.1.5.1.2): the server's, then MsvAvFlags (MIC present),
 * MsvAvTargetName and MsvAvChannelBindings of our own. */
static ng_status write_client_av(struct ng_context *ctx, struct ng_slice target_info,
                                 struct ng_slice bindings, struct ng_writer *w)
{
    struct ng_reader r = ng_reader_of(target_info);
    uint16_t id;
    struct ng_slice value;
    while (ng_av_pairs_next(&r, &id, &value)) {
        if (id != NG_AV_FLAGS && id != NG_AV_TARGET_NAME && id != NG_AV_CHANNEL_BINDINGS)
            ng_av_pair_write(w, id, value);
    }
    if (r.failed)
        return NG_ERR_INVALID_TOKEN;
    uint8_t flags[4] = {NG_AV_FLAG_MIC_PRESENT, 0, 0, 0}, hash[16];
    ng_av_pair_write(w, NG_AV_FLAGS, ng_slice_of(flags, 4));
    if (ctx->target_name[0] != '\0') {
        uint8_t *spn = NULL;
        size_t spn_len = 0;
        NG_GUARD(ng_ntlm_utf16le(ctx->target_name, &spn, &spn_len));
        ng_av_pair_write(w, NG_AV_TARGET_NAME, ng_slice_of(spn, spn_len));
        ng_free(spn);
    }
    ng_status status = ng_channel_bindings_hash(bindings, hash);
    if (status != NG_OK)
        return status;
    ng_av_pair_write(w, NG_AV_CHANNEL_BINDINGS, ng_slice_of(hash, 16));
    ng_av_pair_write_eol(w);
    return ng_writer_status(w);
}

/* The UTF-16LE strings of the AUTHENTICATE; owned, freed by strings_free. */
struct strings {
    uint8_t *user, *domain, *workstation;
    size_t user_len, domain_len, workstation_len;
};

static void strings_free(struct strings *s)
{
    ng_free(s->user);
    ng_free(s->domain);
    ng_free(s->workstation);
}

static ng_status make_strings(const struct ng_ntlm_identity *id, struct strings *s)
{
    NG_GUARD(ng_ntlm_utf16le(id->user, &s->user, &s->user_len));
    NG_GUARD(ng_ntlm_utf16le(id->domain, &s->domain, &s->domain_len));
    return ng_ntlm_utf16le("", &s->workstation, &s->workstation_len);
}

/* Keys of §3.1.5.1.2 for the response in `nt`: *exported and, with key exchange, the
 * EncryptedRandomSessionKey. */
static ng_status make_keys(const uint8_t key[16], const uint8_t proof[16], uint32_t flags,
                           uint8_t exported[16], uint8_t encrypted[16])
{
    uint8_t base[16];
    ng_ntlmv2_session_base_key(key, proof, base);
    ng_status status = NG_OK;
    if (flags & NG_NTLMSSP_NEGOTIATE_KEY_EXCH) {
        status = ng_random_bytes(exported, 16);
        ng_ntlm_rc4_key(base, exported, encrypted);
    } else {
        memcpy(exported, base, 16);
    }
    explicit_bzero(base, sizeof(base));
    return status;
}

struct response {
    struct ng_writer nt; /* NTProofStr || temp */
    uint8_t exported[16];
    uint8_t encrypted[16];
};

static ng_status make_response(struct ng_context *ctx, const struct ng_ntlm_challenge *c,
                               uint32_t flags, struct ng_slice bindings, struct response *resp)
{
    const struct ng_ntlm_identity *id = ng_ntlm_credentials_of(ctx->creds)->identity;
    struct ng_av_pairs av;
    NG_GUARD(ng_av_pairs_parse(c->target_info, &av));
    uint64_t when = av.present[NG_AV_TIMESTAMP] ? av.timestamp : ng_ntlm_filetime_now();
    uint8_t client_challenge[8], key[16], proof[16];
    NG_GUARD(ng_random_bytes(client_challenge, 8));
    struct ng_writer list = ng_writer_growable(), blob = ng_writer_growable();
    ng_status status = write_client_av(ctx, c->target_info, bindings, &list);
    if (status == NG_OK) {
        ng_ntlmv2_write_blob(&blob, when, client_challenge, ng_writer_slice(&list));
        status = ng_writer_status(&blob);
    }
    if (status == NG_OK)
        status = ng_ntowfv2(id->nt_hash, id->user, id->domain, key);
    if (status == NG_OK) {
        ng_ntlmv2_proof(key, c->server_challenge, ng_writer_slice(&blob), proof);
        ng_write_bytes(&resp->nt, proof, 16);
        ng_write_slice(&resp->nt, ng_writer_slice(&blob));
        status = ng_writer_status(&resp->nt);
    }
    if (status == NG_OK)
        status = make_keys(key, proof, flags, resp->exported, resp->encrypted);
    explicit_bzero(key, sizeof(key));
    ng_writer_free(&list);
    ng_writer_free(&blob);
    return status;
}

/* The AUTHENTICATE with its MIC (over NEGOTIATE || CHALLENGE || AUTHENTICATE) filled in. */
static ng_status write_authenticate(struct ng_context *ctx, const struct ng_ntlm_state *st,
                                    struct ng_slice challenge, uint32_t flags,
                                    const struct response *resp, struct ng_writer *out)
{
    struct strings s = {0};
    struct ng_writer msg = ng_writer_growable();
    ng_status status = make_strings(ng_ntlm_credentials_of(ctx->creds)->identity, &s);
    if (status == NG_OK) {
        /* With MsvAvTimestamp the LM response is Z(24) (§3.1.5.1.2). */
        static const uint8_t no_lm[24];
        struct ng_ntlm_authenticate a = {
            .flags = flags,
            .lm_response = ng_slice_of(no_lm, 24),
            .nt_response = ng_writer_slice(&resp->nt),
            .domain = ng_slice_of(s.domain, s.domain_len),
            .user = ng_slice_of(s.user, s.user_len),
            .workstation = ng_slice_of(s.workstation, s.workstation_len),
            .encrypted_session_key = (flags & NG_NTLMSSP_NEGOTIATE_KEY_EXCH)
                                         ? ng_slice_of(resp->encrypted, 16)
                                         : NG_SLICE_EMPTY,
        };
        ng_ntlm_write_authenticate(&msg, &a);
        status = ng_writer_status(&msg);
    }
    if (status == NG_OK) {
        uint8_t mic[16];
        ng_ntlm_mic(resp->exported, ng_ntlm_state_negotiate(st), challenge, ng_writer_slice(&msg),
                    mic);
        memcpy(msg.buf + NG_NTLM_MIC_OFFSET, mic, 16);
        ng_write_slice(out, ng_writer_slice(&msg));
        status = ng_writer_status(out);
    }
    ng_writer_free(&msg);
    strings_free(&s);
    return status;
}

static ULONG initiate_ret_flags(uint32_t flags)
{
    ULONG ret = ISC_RET_CONNECTION | ISC_RET_USED_SUPPLIED_CREDS;
    if (flags & (NG_NTLMSSP_NEGOTIATE_SIGN | NG_NTLMSSP_NEGOTIATE_SEAL))
        ret |= ISC_RET_INTEGRITY | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT;
    if (flags & NG_NTLMSSP_NEGOTIATE_SEAL)
        ret |= ISC_RET_CONFIDENTIALITY;
    return ret;
}

/* Whether to answer a CHALLENGE (ntlm_issued_challenges.h): one of another process's, yes; one
 * of an acceptor here that checks target names, when we send one (it refuses a relay by it);
 * one of an acceptor here that cannot, only for a genuine local loopback (ntlm_loopback.h). */
static bool may_answer(const struct ng_context *ctx, const struct ng_ntlm_challenge *c)
{
    switch (ng_ntlm_challenge_lookup(c->server_challenge)) {
    case NG_NTLM_CHALLENGE_NOT_OURS:
        return true;
    case NG_NTLM_CHALLENGE_NAME_CHECKED:
        return ctx->target_name[0] != '\0';
    case NG_NTLM_CHALLENGE_UNNAMED:
        return ng_ntlm_local_loopback(ctx->target_name, c->target_info);
    }
    return false;
}

static ng_status answer_challenge(struct ng_context *ctx, struct ng_ntlm_state *st,
                                  struct ng_slice input, struct ng_slice bindings,
                                  struct ng_writer *out)
{
    struct ng_ntlm_challenge c;
    NG_GUARD(ng_ntlm_parse_challenge(input, &c));
    /* A challenge one of our own acceptors has outstanding may be reflection (CVE-2008-4037,
     * MS08-068): whoever handed it to us would relay our AUTHENTICATE to that acceptor and be
     * logged on as us. MS-NLMP §3.1.5.1.2 does not ask for this check; Windows' msv1_0 makes it
     * since MS08-068. No AUTHENTICATE is made (SEC_E_WRONG_PRINCIPAL: we are not talking to the
     * server we think). */
    if (!may_answer(ctx, &c))
        return NG_ERR_WRONG_PRINCIPAL;
    /* We speak NTLMv2 with extended session security only (§3.1.5.1.2); Unicode always. */
    if (!(c.flags & NG_NTLMSSP_NEGOTIATE_UNICODE) ||
        !(c.flags & NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION))
        return NG_ERR_UNSUPPORTED_MECH;
    uint32_t flags = (c.flags & our_flags) | NG_NTLMSSP_NEGOTIATE_VERSION;
    struct response resp = {.nt = ng_writer_growable()};
    ng_status status = make_response(ctx, &c, flags, bindings, &resp);
    if (status == NG_OK)
        status = write_authenticate(ctx, st, input, flags, &resp, out);
    if (status == NG_OK) {
        st->flags = flags;
        st->mic_sent = true;
        st->established = true;
        ng_ntlm_session_init(&st->session, flags, resp.exported, true);
        ng_ntlm_state_drop_messages(st);
        ctx->ret_flags = initiate_ret_flags(flags);
        ctx->client_name = ng_strdup(ctx->creds->principal_name);
        status = ctx->client_name ? NG_OK : NG_ERR_NOMEM;
        ng_ntlm_set_lifetime(ctx);
    }
    explicit_bzero(&resp.exported, sizeof(resp.exported));
    ng_writer_free(&resp.nt);
    return status;
}

ng_status ng_ntlm_initiate(struct ng_context *ctx, struct ng_slice input, struct ng_slice bindings,
                           struct ng_writer *out)
{
    if (!ng_ntlm_can_initiate(ctx->creds))
        return NG_ERR_NO_CREDENTIALS;
    struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    if (st == NULL)
        return send_negotiate(ctx, out);
    uint32_t type;
    NG_GUARD(ng_ntlm_message_type(input, &type));
    if (type != NG_NTLM_CHALLENGE || st->established)
        return NG_ERR_INVALID_TOKEN;
    return answer_challenge(ctx, st, input, bindings, out);
}
