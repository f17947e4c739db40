#include "ntlm_acceptor.h"

#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "constant_time.h"
#include "channel_bindings.h"
#include "ntlm_credentials.h"
#include "ntlm_issued_challenges.h"
#include "ntlm_message.h"
#include "ntlm_response.h"
#include "ntlm_state.h"
#include "random.h"
#include "user_database.h"

static atomic_ulong refused_lm, refused_v1, refused_anonymous;

void ng_ntlm_refusal_counts(struct ng_ntlm_refusals *out)
{
    out->lm = atomic_load(&refused_lm);
    out->ntlm_v1 = atomic_load(&refused_v1);
    out->anonymous = atomic_load(&refused_anonymous);
}

/* What we grant of what the client asked (§3.2.5.1.1): NTLMv2 always, extended session
 * security always (the pre-ESS LM_KEY scheme is never offered). */
static uint32_t challenge_flags(uint32_t asked)
{
    const uint32_t echoed = NG_NTLMSSP_NEGOTIATE_SIGN | NG_NTLMSSP_NEGOTIATE_SEAL |
                            NG_NTLMSSP_NEGOTIATE_128 | NG_NTLMSSP_NEGOTIATE_56 |
                            NG_NTLMSSP_NEGOTIATE_KEY_EXCH | NG_NTLMSSP_REQUEST_TARGET |
                            NG_NTLMSSP_NEGOTIATE_IDENTIFY;
    uint32_t flags = (asked & echoed) | NG_NTLMSSP_NEGOTIATE_NTLM |
                     NG_NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION |
                     NG_NTLMSSP_NEGOTIATE_TARGET_INFO | NG_NTLMSSP_NEGOTIATE_VERSION |
                     NG_NTLMSSP_TARGET_TYPE_DOMAIN;
    flags |= (asked & NG_NTLMSSP_NEGOTIATE_UNICODE) ? NG_NTLMSSP_NEGOTIATE_UNICODE
                                                    : NG_NTLM_NEGOTIATE_OEM;
    return flags;
}

static const char *served_domain(const struct ng_ntlm_credentials *nc)
{
    const char *first = ng_user_db_first_domain(atomic_load(&nc->users));
    return nc->domain ? nc->domain : first ? first : "WORKGROUP";
}

/* TargetInfo (§3.2.5.1.1) in Windows' order, with MsvAvTimestamp so clients send a MIC. The
 * host's names were formatted when the credentials were acquired; the domain may change with a
 * reload of the accounts. */
static ng_status write_target_info(const struct ng_ntlm_credentials *nc, struct ng_writer *w)
{
    NG_GUARD(ng_av_pair_write_name(w, NG_AV_NB_DOMAIN_NAME, served_domain(nc)));
    ng_write_bytes(w, nc->host_av_pairs, nc->host_av_pairs_len);
    uint64_t now = ng_ntlm_filetime_now();
    uint8_t ts[8];
    for (int i = 0; i < 8; i++)
        ts[i] = (uint8_t)(now >> (8 * i));
    ng_av_pair_write(w, NG_AV_TIMESTAMP, ng_slice_of(ts, 8));
    ng_av_pair_write_eol(w);
    return ng_writer_status(w);
}

/* What the acceptor does with the client's MsvAvTargetName (MS-NLMP §3.2.5.1.2). */
enum target_policy {
    TARGET_UNCHECKED,     /* no principal to compare with, or NEGRING_NTLM_TARGET_NAME_OFF */
    TARGET_WHEN_SUPPLIED, /* a supplied name must name our service; none is accepted */
    TARGET_REQUIRED,      /* a name must be supplied and name our service */
};

static enum target_policy target_policy(const struct ng_credentials *creds)
{
    ULONG options = ng_ntlm_credentials_of(creds)->options;
    if (creds->acceptor_principal == NULL || (options & NEGRING_NTLM_TARGET_NAME_OFF))
        return TARGET_UNCHECKED;
    return (options & NEGRING_NTLM_TARGET_NAME_REQUIRED) ? TARGET_REQUIRED : TARGET_WHEN_SUPPLIED;
}

/* The server challenge (§3.2.5.1.1). Unless every AUTHENTICATE must carry a target name we check
 * (TARGET_REQUIRED), a relayed AUTHENTICATE might not be told by its name, so the challenge is
 * recorded, with what we check, for this process's initiator to refuse reflection
 * (ntlm_issued_challenges.h); with no room to record it, no challenge goes out (NG_ERR_FULL,
 * SEC_E_INSUFFICIENT_MEMORY) rather than an untracked one. */
static ng_status draw_challenge(const struct ng_credentials *creds, uint8_t challenge[8])
{
    if (target_policy(creds) == TARGET_REQUIRED)
        return ng_random_bytes(challenge, 8);
    return ng_ntlm_challenge_draw(challenge);
}

/* `st->server_challenge` holds what draw_challenge drew, and then what was recorded. */
static ng_status issue_challenge(const struct ng_credentials *creds, struct ng_ntlm_state *st)
{
    enum target_policy policy = target_policy(creds);
    if (policy == TARGET_REQUIRED)
        return NG_OK;
    enum ng_ntlm_challenge_kind kind =
        policy == TARGET_WHEN_SUPPLIED ? NG_NTLM_CHALLENGE_NAME_CHECKED : NG_NTLM_CHALLENGE_UNNAMED;
    NG_GUARD(ng_ntlm_challenge_issue(st->server_challenge, kind));
    st->challenge_kind = kind;
    return NG_OK;
}

/* Room for the CHALLENGE's target name and TargetInfo: five names of DNS length (255
 * characters, 510 bytes in UTF-16) with their AV headers, the time stamp and the end. */
enum { CHALLENGE_NAMES_MAX = 4096 };

/* The CHALLENGE goes straight into `out`; the copies the MIC needs of it and of the NEGOTIATE
 * are taken from there and from `token`, together. */
static ng_status accept_negotiate(struct ng_context *ctx, struct ng_slice token,
                                  struct ng_writer *out)
{
    struct ng_ntlm_negotiate neg;
    const struct ng_ntlm_credentials *nc = ng_ntlm_credentials_of(ctx->creds);
    NG_GUARD(ng_ntlm_parse_negotiate(token, &neg));
    if (ng_ntlm_accounts(ctx->creds) == NULL)
        return NG_ERR_NO_CREDENTIALS;
    uint8_t challenge[8];
    NG_GUARD(draw_challenge(ctx->creds, challenge));
    struct ng_ntlm_state *st;
    NG_GUARD(ng_ntlm_state_new(&st));
    ctx->mech_state = st;
    memcpy(st->server_challenge, challenge, sizeof(challenge));
    st->flags = challenge_flags(neg.flags);

    uint8_t buf[CHALLENGE_NAMES_MAX];
    struct ng_writer names = ng_writer_fixed(buf, sizeof(buf));
    NG_GUARD(
        ng_ntlm_write_name(&names, served_domain(nc), st->flags & NG_NTLMSSP_NEGOTIATE_UNICODE));
    size_t target_len = names.len;
    NG_GUARD(write_target_info(nc, &names));
    if (ng_writer_status(&names) != NG_OK)
        return NG_ERR_INVALID_PARAM;           /* configured names too long for a CHALLENGE */
    NG_GUARD(issue_challenge(ctx->creds, st)); /* its slot fetched while the above ran */
    struct ng_ntlm_challenge c = {st->flags,
                                  ng_slice_of(buf, target_len),
                                  {0},
                                  ng_slice_of(buf + target_len, names.len - target_len)};
    memcpy(c.server_challenge, st->server_challenge, 8);
    size_t start = out->len;
    ng_ntlm_write_challenge(out, &c);
    NG_GUARD(ng_writer_status(out));
    NG_GUARD(ng_ntlm_state_keep(st, token, ng_slice_of(out->buf + start, out->len - start)));
    return NG_CONTINUE;
}

/* The names the client sent, as UTF-8. */
struct client_names {
    struct ng_ntlm_name user, domain;
};

static void client_names_free(struct client_names *n)
{
    ng_ntlm_name_free(&n->user);
    ng_ntlm_name_free(&n->domain);
}

/* §3.2.5.1.2: an empty user with empty (or one-byte LM) responses is the anonymous logon. */
static bool is_anonymous(const struct ng_ntlm_authenticate *a)
{
    return (a->flags & NG_NTLMSSP_ANONYMOUS) ||
           (a->user.len == 0 && a->nt_response.len == 0 && a->lm_response.len <= 1);
}

/* LM, NTLMv1 and anonymous answers (§3.2.5.1.2): refused by policy, and counted. */
static ng_status refuse_legacy(struct ng_context *ctx, const struct ng_ntlm_authenticate *a)
{
    atomic_ulong *counter = NULL;
    const char *what = NULL;
    if (is_anonymous(a)) {
        counter = &refused_anonymous;
        what = "an anonymous logon";
    } else if (a->nt_response.len == 0) {
        counter = &refused_lm;
        what = "an LM response";
    } else if (a->nt_response.len == 24) {
        counter = &refused_v1;
        what = "an NTLMv1 response";
    }
    if (counter == NULL)
        return NG_OK;
    atomic_fetch_add(counter, 1);
    ng_context_note_detail(ctx, "the client sent %s; only NTLMv2 is accepted", what);
    return NG_ERR_POLICY;
}

/* The account to check, and its ResponseKeyNT as a keyed HMAC state (secret). */
struct account {
    const struct ng_user_entry *entry; /* the account, or the stand-in of an unknown user */
    bool exists;
    struct ng_hmac_md5 response_key;
};

/* The account: an empty domain or our own computer name means the default domain; a domain
 * with no accounts here is not ours to judge. */
static ng_status find_account(const struct ng_ntlm_credentials *nc, const struct ng_user_db *db,
                              const struct client_names *n, struct account *out)
{
    const char *domain = n->domain.str;
    if (domain[0] == '\0' || strcasecmp(domain, nc->computer) == 0 ||
        (nc->domain != NULL && strcasecmp(domain, nc->domain) == 0) ||
        (nc->dns_domain != NULL && strcasecmp(domain, nc->dns_domain) == 0))
        domain = served_domain(nc);
    struct ng_user_match m;
    ng_user_db_lookup(db, domain, n->user.str, &m);
    if (m.domain_spelling == NULL)
        return NG_ERR_NO_AUTHORITY;
    /* An unknown user is checked against a disabled stand-in, so the answer takes as long as
     * for a real account and cannot tell which names exist. */
    out->entry = m.checked;
    out->exists = m.entry != NULL;
    /* The snapshot's precomputed key serves when the client spelled the domain as it did (a
     * user found differs from its entry in ASCII case at most, which NTOWFv2's uppercasing
     * takes away); the rule does not look at whether the user exists (the stand-in has a key
     * too), so neither does the time taken. */
    if (m.response_key != NULL && strcmp(n->domain.str, m.domain_spelling) == 0) {
        out->response_key = *m.response_key;
        return NG_OK;
    }
    return ng_ntowfv2_keyed(out->entry->nt_hash, n->user.str, n->domain.str, &out->response_key);
}

static ng_status check_time(const struct ng_credentials *creds, uint64_t client_time)
{
    uint64_t now = ng_ntlm_filetime_now();
    uint64_t window = (uint64_t)creds->clock_skew * 10000000u;
    uint64_t diff = client_time > now ? client_time - now : now - client_time;
    return diff <= window ? NG_OK : NG_ERR_TIME_SKEW;
}

/* The service an SPN names: its service class and host, up to ASCII case. An SPN's realm
 * ("HTTP/host@REALM": a configured Kerberos principal) and port ("HTTP/host:8080": Chromium
 * sends the URL's port) do not change the service; a name without a '/' is compared whole. */
static bool same_service(const char *a, const char *b)
{
    size_t class_a = strcspn(a, "/@"), class_b = strcspn(b, "/@");
    if (class_a != class_b || strncasecmp(a, b, class_a) != 0 || a[class_a] != b[class_b])
        return false;
    if (a[class_a] != '/')
        return true;
    a += class_a + 1;
    b += class_b + 1;
    size_t host_a = strcspn(a, ":/@"), host_b = strcspn(b, ":/@");
    return host_a == host_b && strncasecmp(a, b, host_a) == 0;
}

/* MsvAvTargetName (§3.2.5.1.2) against the principal, as the target name policy says. */
static ng_status check_target(struct ng_context *ctx, const struct ng_av_pairs *av)
{
    enum target_policy policy = target_policy(ctx->creds);
    bool supplied = av->present[NG_AV_TARGET_NAME] && av->value[NG_AV_TARGET_NAME].len > 0;
    if (policy == TARGET_UNCHECKED || (!supplied && policy == TARGET_WHEN_SUPPLIED))
        return NG_OK;
    if (!supplied) {
        ng_context_note_detail(ctx, "no target name (MsvAvTargetName); the policy requires one");
        return NG_ERR_WRONG_PRINCIPAL;
    }
    struct ng_ntlm_name target;
    NG_GUARD(ng_ntlm_name_decode(av->value[NG_AV_TARGET_NAME], true, &target));
    bool same = same_service(target.str, ctx->creds->acceptor_principal);
    if (!same)
        ng_context_note_detail(ctx, "target name '%s' names another service than %s", target.str,
                               ctx->creds->acceptor_principal);
    ng_ntlm_name_free(&target);
    return same ? NG_OK : NG_ERR_WRONG_PRINCIPAL;
}

/* MsvAvChannelBindings (§3.2.5.1.2): the MD5 of gss_channel_bindings_struct, as Kerberos.
 * `required`: Extended Protection required (NtlmOptions or the credentials' policy). */
static ng_status check_bindings(bool required, const struct ng_av_pairs *av,
                                struct ng_slice bindings)
{
    uint8_t zero[16] = {0}, ours[16];
    const uint8_t *theirs =
        av->present[NG_AV_CHANNEL_BINDINGS] ? av->value[NG_AV_CHANNEL_BINDINGS].ptr : zero;
    if (ng_bindings_hash_is_zero(theirs))
        return required ? NG_ERR_BAD_BINDINGS : NG_OK;
    if (bindings.len == 0) /* the client bound to a channel we were not told about */
        return required ? NG_ERR_BAD_BINDINGS : NG_OK;
    NG_GUARD(ng_channel_bindings_hash(bindings, ours));
    return ng_ct_equal(ours, theirs, 16) ? NG_OK : NG_ERR_BAD_BINDINGS;
}

static ng_status decode_names(const struct ng_ntlm_authenticate *a, bool unicode,
                              struct client_names *n)
{
    NG_GUARD(ng_ntlm_name_decode(a->user, unicode, &n->user));
    return ng_ntlm_name_decode(a->domain, unicode, &n->domain);
}

/* The proof, then the keys (§3.2.5.1.2). *exported receives the ExportedSessionKey. */
static ng_status verify_proof(struct ng_ntlm_state *st, const struct ng_ntlm_authenticate *a,
                              const struct ng_ntlmv2_response *r, const struct account *acct,
                              uint8_t exported[16])
{
    uint8_t proof[16], base[16];
    ng_ntlmv2_proof_keyed(&acct->response_key, st->server_challenge, r->blob, proof);
    bool ok = ng_ct_equal(proof, r->proof.ptr, 16);
    ng_ntlmv2_session_base_key_keyed(&acct->response_key, proof, base);
    if (ok && (st->flags & NG_NTLMSSP_NEGOTIATE_KEY_EXCH) && a->encrypted_session_key.len == 16)
        ng_ntlm_rc4_key(base, a->encrypted_session_key.ptr, exported);
    else
        memcpy(exported, base, 16);
    explicit_bzero(base, sizeof(base));
    if (ok)
        return NG_OK;
    /* Told apart only now, after the same work for both (find_account's stand-in). */
    return acct->exists ? NG_ERR_WRONG_PASSWORD : NG_ERR_UNKNOWN_USER;
}

/* A MIC promised by MsvAvFlags must be there and cover the three messages (§3.2.5.1.2). */
static ng_status check_mic(struct ng_ntlm_state *st, const struct ng_ntlm_authenticate *a,
                           const struct ng_ntlmv2_response *r, struct ng_slice token,
                           const uint8_t exported[16])
{
    if (!(r->av.flags & NG_AV_FLAG_MIC_PRESENT))
        return NG_OK;
    if (a->mic.len != NG_NTLM_MIC_LEN)
        return NG_ERR_INVALID_TOKEN;
    uint8_t mic[16];
    ng_ntlm_mic(exported, ng_ntlm_state_negotiate(st), ng_ntlm_state_challenge(st), token, mic);
    st->mic_sent = true;
    return ng_ct_equal(mic, a->mic.ptr, 16) ? NG_OK : NG_ERR_LOGON_DENIED;
}

static ULONG accept_ret_flags(uint32_t flags)
{
    ULONG ret = ASC_RET_CONNECTION;
    if (flags & (NG_NTLMSSP_NEGOTIATE_SIGN | NG_NTLMSSP_NEGOTIATE_SEAL))
        ret |= ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT;
    if (flags & NG_NTLMSSP_NEGOTIATE_SEAL)
        ret |= ASC_RET_CONFIDENTIALITY;
    if (flags & NG_NTLMSSP_NEGOTIATE_IDENTIFY)
        ret |= ASC_RET_IDENTIFY;
    return ret;
}

static ng_status set_names(struct ng_context *ctx, const struct ng_user_entry *e)
{
    size_t domain = strnlen(e->domain, sizeof(e->domain) - 1);
    size_t user = strnlen(e->user, sizeof(e->user) - 1);
    char client[sizeof(e->domain) + sizeof(e->user)]; /* DOMAIN\user and the terminator */
    memcpy(client, e->domain, domain);
    client[domain] = '\\';
    memcpy(client + domain + 1, e->user, user);
    client[domain + 1 + user] = '\0';
    const char *server = ctx->creds->acceptor_principal
                             ? ctx->creds->acceptor_principal
                             : ng_ntlm_credentials_of(ctx->creds)->dns_computer;
    return ng_context_set_names(ctx, client, server ? server : "");
}

static void establish(struct ng_context *ctx, struct ng_ntlm_state *st, const uint8_t exported[16])
{
    ng_ntlm_session_init(&st->session, st->flags, exported, false);
    st->established = true;
    ng_ntlm_state_drop_messages(st);
    ctx->ret_flags = accept_ret_flags(st->flags);
    ng_ntlm_set_lifetime(ctx);
}

/* An allowed anonymous logon (NEGRING_NTLM_ALLOW_ANONYMOUS): a name and no session key, so no
 * message protection and no mechListMIC. */
static ng_status establish_anonymous(struct ng_context *ctx, struct ng_ntlm_state *st)
{
    static const struct ng_user_entry anonymous = {"NT AUTHORITY", "ANONYMOUS LOGON", {0}, false};
    NG_GUARD(set_names(ctx, &anonymous));
    st->anonymous = true;
    st->established = true;
    st->flags = 0; /* no session security without a key */
    ng_ntlm_state_drop_messages(st);
    ctx->ret_flags = ASC_RET_CONNECTION | ASC_RET_NULL_SESSION;
    ng_ntlm_set_lifetime(ctx);
    return NG_OK;
}

/* The refused client as it named itself, "DOMAIN\\user", and what failed in NTLM's terms. */
static void note_refusal(struct ng_context *ctx, const struct client_names *n, ng_status status)
{
    if (n->user.str != NULL && n->domain.str != NULL) {
        char name[NG_NOTE_NAME_MAX];
        snprintf(name, sizeof(name), "%s\\%s", n->domain.str, n->user.str);
        ng_context_note_user(ctx, name);
    }
    switch (status) {
    case NG_ERR_NO_AUTHORITY:
        ng_context_note_detail(ctx, "no accounts of domain '%s' here", n->domain.str);
        break;
    case NG_ERR_LOGON_DENIED:
        ng_context_note_detail(ctx, "the AUTHENTICATE's MIC does not verify");
        break;
    case NG_ERR_TIME_SKEW:
        ng_context_note_detail(ctx, "the NTLMv2 time stamp is outside the clock-skew window");
        break;
    default:
        break;
    }
}

static ng_status accept_authenticate(struct ng_context *ctx, struct ng_ntlm_state *st,
                                     struct ng_slice token, struct ng_slice bindings)
{
    const struct ng_ntlm_credentials *nc = ng_ntlm_credentials_of(ctx->creds);
    struct ng_ntlm_authenticate a;
    struct ng_ntlmv2_response r;
    struct client_names names = {0};
    struct account acct = {0};
    uint8_t exported[16] = {0};
    ng_status status = NG_OK;
    NG_GUARD(ng_ntlm_parse_authenticate(token, &a));
    bool allow_anonymous = (nc->options & NEGRING_NTLM_ALLOW_ANONYMOUS) ||
                           (ctx->req_flags & ASC_REQ_ALLOW_NULL_SESSION);
    if (is_anonymous(&a) && allow_anonymous)
        return establish_anonymous(ctx, st);
    NG_GUARD(refuse_legacy(ctx, &a));
    NG_GUARD(ng_ntlmv2_parse(a.nt_response, &r));
    bool unicode = st->flags & NG_NTLMSSP_NEGOTIATE_UNICODE;
    /* §3.2.5.1.2: the AUTHENTICATE's flags are the ones in force, within what we offered. */
    st->flags &= a.flags;
    NG_GUARD_CLEANUP(decode_names(&a, unicode, &names));
    /* One snapshot for the whole check: a reload meanwhile affects the next handshake. */
    const struct ng_user_db *db = ng_ntlm_accounts(ctx->creds);
    NG_GUARD_CLEANUP(find_account(nc, db, &names, &acct));
    NG_GUARD_CLEANUP(verify_proof(st, &a, &r, &acct, exported));
    if (acct.entry->disabled)
        NG_FAIL_CLEANUP(NG_ERR_ACCOUNT_DISABLED);
    NG_GUARD_CLEANUP(check_mic(st, &a, &r, token, exported));
    NG_GUARD_CLEANUP(check_time(ctx->creds, r.timestamp));
    NG_GUARD_CLEANUP(check_target(ctx, &r.av));
    NG_GUARD_CLEANUP(check_bindings((nc->options & NEGRING_NTLM_REQUIRE_BINDINGS) ||
                                        atomic_load(&ctx->creds->require_bindings),
                                    &r.av, bindings));
    NG_GUARD_CLEANUP(set_names(ctx, acct.entry));
    establish(ctx, st, exported);
cleanup:
    if (status != NG_OK)
        note_refusal(ctx, &names, status);
    explicit_bzero(exported, sizeof(exported));
    explicit_bzero(&acct.response_key, sizeof(acct.response_key));
    client_names_free(&names);
    return status;
}

ng_status ng_ntlm_accept(struct ng_context *ctx, struct ng_slice token, struct ng_slice bindings,
                         struct ng_writer *out)
{
    uint32_t type;
    NG_GUARD(ng_ntlm_message_type(token, &type));
    struct ng_ntlm_state *st = ng_ntlm_state_of(ctx);
    if (st == NULL) /* an AUTHENTICATE (or CHALLENGE) with no CHALLENGE of ours */
        return type == NG_NTLM_NEGOTIATE ? accept_negotiate(ctx, token, out) : NG_ERR_INVALID_TOKEN;
    if (type != NG_NTLM_AUTHENTICATE || st->established || st->answered)
        return NG_ERR_INVALID_TOKEN;
    /* One AUTHENTICATE per CHALLENGE, whatever its fate: then the challenge is spent and no
     * longer outstanding, so our initiator may meet it again without harm. */
    st->answered = true;
    ng_status status = accept_authenticate(ctx, st, token, bindings);
    ng_ntlm_state_withdraw_challenge(st);
    return status;
}
