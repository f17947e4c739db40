/* NTLM through the public SSPI API: our initiator against our acceptor, as the "NTLM" package
 * and inside "Negotiate" (SPNEGO with mechListMIC, raw NTLMSSP, NegTokenInit2), with the account
 * database's outcomes (wrong password, disabled, unknown user and domain), channel bindings,
 * target names, replays, tampered and malformed messages, a reload in mid-handshake, and
 * sign/seal round trips over the established session keys. */
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "ntlm_acceptor.h"
#include "ntlm_av_pairs.h"
#include "ntlm_crypto.h"
#include "ntlm_message.h"
#include "ntlm_response.h"
#include "ntlm_state.h"
#include "security_context.h"
#include "spnego.h"

#define TOKEN_MAX 12000
/* The acceptor's principal, which the initiator targets: our initiator refuses a challenge from
 * an acceptor of its own process that names none (reflection, ntlm_reflection_test.c). */
#define OURS "HTTP/server.example.test"

static char dir[64], db_path[128];

static void write_db(const char *alice_password)
{
    uint8_t alice[16], bob[16];
    REQUIRE(ng_nt_hash(alice_password, strlen(alice_password), alice) == NG_OK);
    REQUIRE(ng_nt_hash("Bobpass1", 8, bob) == NG_OK);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.new", db_path);
    FILE *f = fopen(tmp, "w");
    REQUIRE(f != NULL);
    fprintf(f, "# test accounts\nEXAMPLE:alice:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", alice[i]);
    fprintf(f, ":\nEXAMPLE:bob:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02X", bob[i]);
    fprintf(f, ":disabled\nOTHER:carol:31d6cfe0d16ae931b73c59d7e0c089c0:\n");
    fclose(f);
    REQUIRE(rename(tmp, db_path) == 0);
}

static CredHandle server_cred_of_host(const char *package, const char *principal, ULONG options,
                                      const char *dns_domain, const char *dns_computer)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        "FILE:/nonexistent/keytab",
                                        0,
                                        NULL,
                                        db_path,
                                        NULL,
                                        "SERVER",
                                        dns_domain,
                                        dns_computer,
                                        options};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA((LPSTR)principal, (LPSTR)package, SECPKG_CRED_INBOUND, NULL,
                                      &data, NULL, NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static CredHandle server_cred(const char *package, const char *principal, ULONG options)
{
    return server_cred_of_host(package, principal, options, "example.test", "server.example.test");
}

static SECURITY_STATUS client_cred(const char *package, const char *user, const char *domain,
                                   const char *password, CredHandle *h)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       (ULONG)strlen(user),
                                    (unsigned char *)domain,     (ULONG)strlen(domain),
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    return AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                     NULL, h, NULL);
}

/* Called on each client token before the server sees it; may change it. */
typedef void (*tamper_fn)(int leg, uint8_t *token, ULONG *len);

struct run {
    CtxtHandle c, s;
    bool have_c, have_s;
    SECURITY_STATUS cs, ss; /* last client and server status */
    int legs;
    uint8_t last_client_token[TOKEN_MAX];
    ULONG last_client_len;
    SEC_CHANNEL_BINDINGS *client_cb, *server_cb;
    ULONG client_cb_len, server_cb_len;
};

static SECURITY_STATUS step(PCredHandle cred, PCtxtHandle cur, bool acceptor, const char *target,
                            const uint8_t *in, ULONG in_len, void *cb, ULONG cb_len,
                            PCtxtHandle out_ctx, uint8_t *out, ULONG *out_len)
{
    SecBuffer ib[2] = {{in_len, SECBUFFER_TOKEN, (void *)in},
                       {cb_len, SECBUFFER_CHANNEL_BINDINGS, cb}};
    SecBufferDesc id = {SECBUFFER_VERSION, cb ? 2 : 1, ib};
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    TimeStamp ts;
    SECURITY_STATUS st;
    if (acceptor)
        st = AcceptSecurityContext(cred, cur, &id, 0, SECURITY_NATIVE_DREP, out_ctx, &od, &attrs,
                                   &ts);
    else
        st = InitializeSecurityContextA(cred, cur, (SEC_CHAR *)target, ISC_REQ_CONFIDENTIALITY, 0,
                                        SECURITY_NATIVE_DREP, in_len || cb ? &id : NULL, 0, out_ctx,
                                        &od, &attrs, &ts);
    *out_len = ob.cbBuffer;
    return st;
}

/* Runs client and server until both are done or one fails. */
static void handshake(struct run *r, CredHandle *client, CredHandle *server, const char *target,
                      tamper_fn tamper)
{
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG alen = 0, blen = 0;
    r->cs = r->ss = SEC_I_CONTINUE_NEEDED;
    for (r->legs = 0; r->legs < 6; r->legs++) {
        if (r->cs == SEC_I_CONTINUE_NEEDED) {
            r->cs = step(client, r->have_c ? &r->c : NULL, false, target, b, blen, r->client_cb,
                         r->client_cb_len, &r->c, a, &alen);
            r->have_c = r->have_c || r->cs == SEC_I_CONTINUE_NEEDED || r->cs == SEC_E_OK;
            if (r->cs != SEC_E_OK && r->cs != SEC_I_CONTINUE_NEEDED)
                return;
        }
        if (alen == 0)
            return;
        if (tamper)
            tamper(r->legs, a, &alen);
        memcpy(r->last_client_token, a, alen);
        r->last_client_len = alen;
        r->ss = step(server, r->have_s ? &r->s : NULL, true, NULL, a, alen, r->server_cb,
                     r->server_cb_len, &r->s, b, &blen);
        r->have_s = r->have_s || r->ss == SEC_I_CONTINUE_NEEDED || r->ss == SEC_E_OK;
        alen = 0;
        if (r->ss != SEC_E_OK && r->ss != SEC_I_CONTINUE_NEEDED)
            return;
        if (blen == 0 && r->ss == SEC_E_OK)
            return;
    }
}

static void finish(struct run *r)
{
    if (r->have_c)
        DeleteSecurityContext(&r->c);
    if (r->have_s)
        DeleteSecurityContext(&r->s);
}

static SECURITY_STATUS server_outcome(const char *pkg_c, const char *pkg_s, const char *user,
                                      const char *domain, const char *password)
{
    CredHandle c, s = server_cred(pkg_s, OURS, 0);
    REQUIRE(client_cred(pkg_c, user, domain, password, &c) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, OURS, NULL);
    SECURITY_STATUS out = r.ss;
    finish(&r);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
    return out;
}

/* AUTHORITY is the NTLM domain; SESSION_KEY the 16-byte exported key, the same on both sides;
 * KEY_INFO names HMAC-MD5 and RC4 as Windows' NTLM does. */
static void check_session_attributes(CtxtHandle *h)
{
    SecPkgContext_AuthorityA authority = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_AUTHORITY, &authority), SEC_E_OK);
    CHECK(authority.sAuthorityName != NULL && strcmp(authority.sAuthorityName, "EXAMPLE") == 0);
    FreeContextBuffer(authority.sAuthorityName);

    SecPkgContext_SessionKey key = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_SESSION_KEY, &key), SEC_E_OK);
    CHECK_EQ(key.SessionKeyLength, 16);
    struct ng_context *ctx;
    REQUIRE(ng_context_acquire(h, &ctx) == NG_OK);
    CHECK(key.SessionKey != NULL &&
          memcmp(key.SessionKey, ng_ntlm_state_of(ctx)->session.exported_key, 16) == 0);
    ng_context_release(h);
    FreeContextBuffer(key.SessionKey);

    SecPkgContext_KeyInfoA info = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_KEY_INFO, &info), SEC_E_OK);
    CHECK(info.sSignatureAlgorithmName && strcmp(info.sSignatureAlgorithmName, "HMAC-MD5") == 0);
    CHECK(info.sEncryptAlgorithmName && strcmp(info.sEncryptAlgorithmName, "RSADSI RC4") == 0);
    CHECK_EQ(info.KeySize, 128);
    CHECK_EQ(info.SignatureAlgorithm, 0xffffff76u);
    CHECK_EQ(info.EncryptAlgorithm, 0x6801);
    FreeContextBuffer(info.sSignatureAlgorithmName);
    FreeContextBuffer(info.sEncryptAlgorithmName);
}

static void check_names_and_sizes(CtxtHandle *h, const char *want_name, const char *want_pkg)
{
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, want_name) == 0);
    FreeContextBuffer(names.sUserName);
    SecPkgContext_Sizes sizes = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK_EQ(sizes.cbMaxSignature, 16);
    CHECK_EQ(sizes.cbSecurityTrailer, 16);
    CHECK_EQ(sizes.cbBlockSize, 0);
    SecPkgContext_NegotiationInfoA info = {0};
    CHECK_EQ(QueryContextAttributesA(h, SECPKG_ATTR_NEGOTIATION_INFO, &info), SEC_E_OK);
    REQUIRE(info.PackageInfo != NULL);
    CHECK(strcmp(info.PackageInfo->Name, want_pkg) == 0);
    CHECK_EQ(info.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    FreeContextBuffer(info.PackageInfo);
    check_session_attributes(h);
}

/* Seal on one side, unseal on the other, both ways, with the contexts' own session keys. */
static void check_seal_round_trip(CtxtHandle *client, CtxtHandle *server)
{
    struct ng_context *c, *s;
    REQUIRE(ng_context_acquire(client, &c) == NG_OK);
    REQUIRE(ng_context_acquire(server, &s) == NG_OK);
    REQUIRE(ng_ntlm_state_of(c) != NULL && ng_ntlm_state_of(s) != NULL);
    uint8_t msg[32] = "a message from client to server", sig[16];
    ng_ntlm_seal(&ng_ntlm_state_of(c)->session, msg, sizeof(msg), sig);
    CHECK(memcmp(msg, "a message", 9) != 0);
    CHECK_EQ(ng_ntlm_unseal(&ng_ntlm_state_of(s)->session, msg, sizeof(msg), sig), NG_OK);
    CHECK(memcmp(msg, "a message from client to server", 32) == 0);
    ng_ntlm_sign(&ng_ntlm_state_of(s)->session, ng_slice_of("reply", 5), sig);
    CHECK_EQ(ng_ntlm_verify(&ng_ntlm_state_of(c)->session, ng_slice_of("reply", 5), sig), NG_OK);
    ng_ntlm_sign(&ng_ntlm_state_of(s)->session, ng_slice_of("reply", 5), sig);
    CHECK_EQ(ng_ntlm_verify(&ng_ntlm_state_of(c)->session, ng_slice_of("replY", 5), sig),
             NG_ERR_MESSAGE_ALTERED);
    CHECK_EQ(ng_ntlm_verify(&ng_ntlm_state_of(c)->session, ng_slice_of("reply", 5), sig), NG_OK);
    ng_context_release(client);
    ng_context_release(server);
}

/* The four SSPI message functions on NTLM contexts (message_protection.c + ntlm_protection.c):
 * several DATA buffers, a sign-only header, a STREAM, a replay and a tampered byte. */
static void check_sspi_messages(CtxtHandle *client, CtxtHandle *server)
{
    uint8_t header[8] = "HEADER:", body[12] = "hello world", sig[16];
    SecBuffer b[3] = {{sizeof(header), SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, header},
                      {sizeof(body), SECBUFFER_DATA, body},
                      {sizeof(sig), SECBUFFER_TOKEN, sig}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    CHECK_EQ(EncryptMessage(client, 0, &d, 0), SEC_E_OK);
    CHECK_EQ(b[2].cbBuffer, 16);
    CHECK(memcmp(body, "hello world", 12) != 0 && memcmp(header, "HEADER:", 8) == 0);
    ULONG qop = 99;
    CHECK_EQ(DecryptMessage(server, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ(qop, 0);
    CHECK(memcmp(body, "hello world", 12) == 0);
    /* Server to client as one STREAM: signature || ciphertext. */
    uint8_t stream[16 + 5];
    memcpy(stream + 16, "reply", 5);
    SecBuffer e[2] = {{5, SECBUFFER_DATA, stream + 16}, {16, SECBUFFER_TOKEN, stream}};
    SecBufferDesc ed = {SECBUFFER_VERSION, 2, e};
    CHECK_EQ(EncryptMessage(server, 0, &ed, 0), SEC_E_OK);
    SecBuffer sb[2] = {{sizeof(stream), SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, sb};
    CHECK_EQ(DecryptMessage(client, &sd, 0, &qop), SEC_E_OK);
    CHECK(sb[1].cbBuffer == 5 && sb[1].pvBuffer != NULL && memcmp(sb[1].pvBuffer, "reply", 5) == 0);
    /* Signatures: good, replayed, tampered; a short token buffer. */
    uint8_t msg[4] = "data", s2[16];
    SecBuffer m[2] = {{4, SECBUFFER_DATA, msg}, {16, SECBUFFER_TOKEN, s2}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
    CHECK_EQ(MakeSignature(client, 0, &md, 0), SEC_E_OK);
    CHECK_EQ(VerifySignature(server, &md, 0, &qop), SEC_E_OK);
    /* A replay: under key exchange its RC4'd checksum no longer matches the stream. */
    CHECK_EQ(VerifySignature(server, &md, 0, &qop), SEC_E_MESSAGE_ALTERED);
    CHECK_EQ(MakeSignature(client, 0, &md, 0), SEC_E_OK);
    msg[0] ^= 1;
    CHECK_EQ(VerifySignature(server, &md, 0, &qop), SEC_E_MESSAGE_ALTERED);
    msg[0] ^= 1; /* the refusals left the session intact: the genuine message still verifies */
    CHECK_EQ(VerifySignature(server, &md, 0, &qop), SEC_E_OK);
    m[1].cbBuffer = 15;
    CHECK_EQ(MakeSignature(client, 0, &md, 0), SEC_E_BUFFER_TOO_SMALL);
    m[1].cbBuffer = 16;
    CHECK_EQ(EncryptMessage(client, SECQOP_WRAP_NO_ENCRYPT, &md, 0), SEC_E_UNSUPPORTED_FUNCTION);
}

static void test_ntlm_package_round_trip(void)
{
    CredHandle c, s = server_cred("NTLM", OURS, 0);
    REQUIRE(client_cred("NTLM", "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, OURS, NULL);
    CHECK_EQ(r.cs, SEC_E_OK);
    CHECK_EQ(r.ss, SEC_E_OK);
    CHECK_EQ(r.legs, 1); /* NEGOTIATE, CHALLENGE, AUTHENTICATE: two accepts */
    check_names_and_sizes(&r.s, "EXAMPLE\\alice", "NTLM");
    check_names_and_sizes(&r.c, "EXAMPLE\\alice", "NTLM");
    check_seal_round_trip(&r.c, &r.s);
    check_sspi_messages(&r.c, &r.s);
    /* The same AUTHENTICATE again on the finished context: refused, the context untouched. */
    uint8_t out[TOKEN_MAX];
    ULONG out_len;
    CHECK_EQ(step(&s, &r.s, true, NULL, r.last_client_token, r.last_client_len, NULL, 0, &r.s, out,
                  &out_len),
             SEC_E_INVALID_HANDLE);
    /* ... and on a new context: an AUTHENTICATE with no CHALLENGE of ours. */
    CtxtHandle fresh;
    CHECK_EQ(step(&s, NULL, true, NULL, r.last_client_token, r.last_client_len, NULL, 0, &fresh,
                  out, &out_len),
             SEC_E_INVALID_TOKEN);
    /* ... and after a fresh NEGOTIATE: another server challenge, so the proof fails. */
    struct ng_writer neg = ng_writer_growable();
    ng_ntlm_write_negotiate(&neg, NG_NTLMSSP_NEGOTIATE_UNICODE | NG_NTLMSSP_NEGOTIATE_NTLM |
                                      NG_NTLMSSP_NEGOTIATE_EXTENDED_SESSION |
                                      NG_NTLMSSP_NEGOTIATE_KEY_EXCH);
    REQUIRE(step(&s, NULL, true, NULL, neg.buf, (ULONG)neg.len, NULL, 0, &fresh, out, &out_len) ==
            SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(step(&s, &fresh, true, NULL, r.last_client_token, r.last_client_len, NULL, 0, &fresh,
                  out, &out_len),
             SEC_E_LOGON_DENIED);
    DeleteSecurityContext(&fresh);
    ng_writer_free(&neg);
    finish(&r);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
}

static void test_account_outcomes(void)
{
    CHECK_EQ(server_outcome("NTLM", "NTLM", "alice", "EXAMPLE", "Secret1"), SEC_E_OK);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "ALICE", "example", "Secret1"), SEC_E_OK);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "alice", "", "Secret1"), SEC_E_OK); /* default */
    CHECK_EQ(server_outcome("NTLM", "NTLM", "alice", "SERVER", "Secret1"), SEC_E_OK);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "alice", "EXAMPLE", "secret1"), SEC_E_LOGON_DENIED);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "bob", "EXAMPLE", "Bobpass1"), SEC_E_LOGON_DENIED);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "mallory", "EXAMPLE", "x"), SEC_E_LOGON_DENIED);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "alice", "ELSEWHERE", "Secret1"),
             SEC_E_NO_AUTHENTICATING_AUTHORITY);
    CHECK_EQ(server_outcome("NTLM", "NTLM", "carol", "OTHER", ""), SEC_E_OK); /* empty password */
}

static void test_unicode_identity(void)
{
    SEC_WCHAR user[] = {'a', 'l', 'i', 'c', 'e'}, domain[] = {'E', 'X', 'A', 'M', 'P', 'L', 'E'},
              password[] = {'S', 'e', 'c', 'r', 'e', 't', '1'};
    SEC_WINNT_AUTH_IDENTITY_W id = {
        user, 5, domain, 7, password, 7, SEC_WINNT_AUTH_IDENTITY_UNICODE};
    CredHandle c, s = server_cred("NTLM", OURS, 0);
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &c,
                                      NULL) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, OURS, NULL);
    CHECK_EQ(r.ss, SEC_E_OK);
    finish(&r);
    /* Neither or both of the ANSI/UNICODE flags: not an identity. */
    id.Flags = 0;
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                       &c, NULL),
             SEC_E_UNKNOWN_CREDENTIALS);
    CHECK_EQ(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                       &c, NULL),
             SEC_E_NO_CREDENTIALS);
    FreeCredentialsHandle(&s);
}

static void test_negotiate_round_trip_with_mech_list_mic(void)
{
    CredHandle c, s = server_cred("Negotiate", OURS, 0);
    /* No KDC for EXAMPLE (KRB5_CONFIG has no realms): Negotiate falls back to NTLM. */
    REQUIRE(client_cred("Negotiate", "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, OURS, NULL);
    CHECK_EQ(r.cs, SEC_E_OK);
    CHECK_EQ(r.ss, SEC_E_OK);
    /* NegTokenInit, then a NegTokenResp carrying AUTHENTICATE and mechListMIC; the server's
     * accept-completed (with its MIC) is the third token, the client's third call ends it. */
    CHECK_EQ(r.legs, 2);
    CHECK_EQ(r.last_client_token[0], 0xa1);
    struct ng_spnego_token last;
    REQUIRE(ng_spnego_parse(ng_slice_of(r.last_client_token, r.last_client_len), &last) == NG_OK);
    CHECK(last.resp.has_mech_list_mic && last.resp.mech_list_mic.len == 16);
    CHECK(last.resp.has_response_token && ng_ntlm_is_message(last.resp.response_token));
    check_names_and_sizes(&r.s, "EXAMPLE\\alice", "NTLM");
    check_names_and_sizes(&r.c, "EXAMPLE\\alice", "NTLM");
    check_seal_round_trip(&r.c, &r.s);
    check_sspi_messages(&r.c, &r.s);
    finish(&r);
    FreeCredentialsHandle(&c);
    CHECK_EQ(client_cred("Negotiate", "alice", "EXAMPLE", "wrong", &c), SEC_E_OK);
    struct run bad = {0};
    handshake(&bad, &c, &s, OURS, NULL);
    CHECK_EQ(bad.ss, SEC_E_LOGON_DENIED);
    finish(&bad);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
}

static void test_negotiate_accepts_raw_ntlmssp_and_offers_ntlm(void)
{
    CHECK_EQ(server_outcome("NTLM", "Negotiate", "alice", "EXAMPLE", "Secret1"), SEC_E_OK);
    CHECK_EQ(server_outcome("NTLM", "Negotiate", "alice", "EXAMPLE", "nope"), SEC_E_LOGON_DENIED);
    CredHandle s = server_cred("Negotiate", NULL, 0);
    CtxtHandle h;
    uint8_t out[TOKEN_MAX];
    ULONG out_len = 0;
    CHECK_EQ(step(&s, NULL, true, NULL, NULL, 0, NULL, 0, &h, out, &out_len),
             SEC_I_CONTINUE_NEEDED);
    struct ng_spnego_token tok;
    REQUIRE(ng_spnego_parse(ng_slice_of(out, out_len), &tok) == NG_OK);
    CHECK_EQ(tok.kind, NG_SPNEGO_INIT);
    CHECK_EQ(tok.init.nmechs, 1); /* no keytab here: NTLM alone */
    CHECK_EQ(tok.init.mechs[0], NG_MECH_NTLM);
    DeleteSecurityContext(&h);
    FreeCredentialsHandle(&s);
}

static struct ng_slice nt_response_of(uint8_t *token, ULONG len)
{
    struct ng_ntlm_authenticate a;
    REQUIRE(ng_ntlm_parse_authenticate(ng_slice_of(token, len), &a) == NG_OK);
    return a.nt_response;
}

static void zero_mic(int leg, uint8_t *token, ULONG *len)
{
    if (leg == 1)
        memset(token + NG_NTLM_MIC_OFFSET, 0, NG_NTLM_MIC_LEN);
}

/* The MIC field cut out of the message (offsets moved down 16), while the client's AV pairs
 * still promise it: a downgrade attempt, refused without even checking a MIC. */
static void cut_mic(int leg, uint8_t *token, ULONG *len)
{
    if (leg != 1)
        return;
    memmove(token + NG_NTLM_MIC_OFFSET, token + NG_NTLM_MIC_OFFSET + NG_NTLM_MIC_LEN,
            *len - NG_NTLM_MIC_OFFSET - NG_NTLM_MIC_LEN);
    *len -= NG_NTLM_MIC_LEN;
    for (int field = 0; field < 6; field++) {
        uint8_t *off = token + 12 + 8 * field + 4;
        uint32_t v = off[0] | off[1] << 8 | (uint32_t)off[2] << 16 | (uint32_t)off[3] << 24;
        v -= NG_NTLM_MIC_LEN;
        off[0] = (uint8_t)v, off[1] = (uint8_t)(v >> 8), off[2] = (uint8_t)(v >> 16),
        off[3] = (uint8_t)(v >> 24);
    }
}

static void truncate_authenticate(int leg, uint8_t *token, ULONG *len)
{
    if (leg == 1)
        *len = 60;
}

static void offset_outside(int leg, uint8_t *token, ULONG *len)
{
    if (leg == 1) { /* NtChallengeResponseFields.BufferOffset */
        token[24] = 0xf0;
        token[25] = 0xff;
    }
}

static void flip_proof(int leg, uint8_t *token, ULONG *len)
{
    if (leg == 1)
        ((uint8_t *)nt_response_of(token, *len).ptr)[3] ^= 1;
}

static void truncate_negotiate(int leg, uint8_t *token, ULONG *len)
{
    if (leg == 0)
        *len = 10;
}

static SECURITY_STATUS tampered(tamper_fn fn)
{
    CredHandle c, s = server_cred("NTLM", OURS, 0);
    REQUIRE(client_cred("NTLM", "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, OURS, fn);
    SECURITY_STATUS out = r.ss;
    finish(&r);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
    return out;
}

static void test_tampered_and_malformed_messages(void)
{
    CHECK_EQ(tampered(zero_mic), SEC_E_LOGON_DENIED);
    CHECK_EQ(tampered(cut_mic), SEC_E_INVALID_TOKEN);
    CHECK_EQ(tampered(truncate_authenticate), SEC_E_INVALID_TOKEN);
    CHECK_EQ(tampered(offset_outside), SEC_E_INVALID_TOKEN);
    CHECK_EQ(tampered(flip_proof), SEC_E_LOGON_DENIED);
    CHECK_EQ(tampered(truncate_negotiate), SEC_E_INVALID_TOKEN);
}

static ULONG crafted_options; /* NtlmOptions of the acceptor in accept_crafted */
static char crafted_name[64]; /* the client name when accept_crafted succeeded */

/* A hand-made AUTHENTICATE after a real NEGOTIATE/CHALLENGE: `nt` is its NtChallengeResponse. */
static SECURITY_STATUS accept_crafted(struct ng_slice nt, struct ng_slice lm, uint32_t flags)
{
    CredHandle s = server_cred("NTLM", NULL, crafted_options);
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_negotiate(&w, NG_NTLMSSP_NEGOTIATE_UNICODE | NG_NTLMSSP_NEGOTIATE_NTLM);
    CtxtHandle h;
    uint8_t out[TOKEN_MAX];
    ULONG out_len;
    REQUIRE(step(&s, NULL, true, NULL, w.buf, (ULONG)w.len, NULL, 0, &h, out, &out_len) ==
            SEC_I_CONTINUE_NEEDED);
    ng_writer_free(&w);
    w = ng_writer_growable();
    bool anonymous = flags & NG_NTLMSSP_ANONYMOUS;
    struct ng_ntlm_authenticate a = {.flags = flags | NG_NTLMSSP_NEGOTIATE_UNICODE,
                                     .lm_response = lm,
                                     .nt_response = nt,
                                     .domain = ng_slice_of("E\0X\0", anonymous ? 0 : 4),
                                     .user = ng_slice_of("a\0", anonymous ? 0 : 2)};
    ng_ntlm_write_authenticate(&w, &a);
    REQUIRE(ng_writer_status(&w) == NG_OK);
    SECURITY_STATUS st = step(&s, &h, true, NULL, w.buf, (ULONG)w.len, NULL, 0, &h, out, &out_len);
    ng_writer_free(&w);
    crafted_name[0] = '\0';
    SecPkgContext_NamesA names = {0};
    if (st == SEC_E_OK && QueryContextAttributesA(&h, SECPKG_ATTR_NAMES, &names) == SEC_E_OK) {
        snprintf(crafted_name, sizeof(crafted_name), "%s", names.sUserName);
        FreeContextBuffer(names.sUserName);
    }
    DeleteSecurityContext(&h);
    FreeCredentialsHandle(&s);
    return st;
}

static void test_legacy_answers_are_refused_and_counted(void)
{
    struct ng_ntlm_refusals before, after;
    uint8_t v1[24] = {1}, lm[24] = {2};
    ng_ntlm_refusal_counts(&before);
    CHECK_EQ(accept_crafted(ng_slice_of(v1, 24), ng_slice_of(lm, 24), 0), SEC_E_LOGON_DENIED);
    CHECK_EQ(accept_crafted(NG_SLICE_EMPTY, ng_slice_of(lm, 24), 0), SEC_E_LOGON_DENIED);
    CHECK_EQ(accept_crafted(NG_SLICE_EMPTY, NG_SLICE_EMPTY, NG_NTLMSSP_ANONYMOUS),
             SEC_E_LOGON_DENIED);
    ng_ntlm_refusal_counts(&after);
    CHECK_EQ(after.ntlm_v1, before.ntlm_v1 + 1);
    CHECK_EQ(after.lm, before.lm + 1);
    CHECK_EQ(after.anonymous, before.anonymous + 1);
    /* Anonymous is accepted only when configured; v1 never. */
    uint8_t one = 0;
    crafted_options = NEGRING_NTLM_ALLOW_ANONYMOUS;
    CHECK_EQ(accept_crafted(NG_SLICE_EMPTY, ng_slice_of(&one, 1), NG_NTLMSSP_ANONYMOUS), SEC_E_OK);
    CHECK(strcmp(crafted_name, "NT AUTHORITY\\ANONYMOUS LOGON") == 0);
    CHECK_EQ(accept_crafted(ng_slice_of(v1, 24), ng_slice_of(lm, 24), 0), SEC_E_LOGON_DENIED);
    crafted_options = 0;
}

static void test_huge_av_list_is_refused(void)
{
    struct ng_writer w = ng_writer_growable();
    uint8_t proof[16] = {0}, cc[8] = {0};
    ng_write_bytes(&w, proof, 16);
    struct ng_writer list = ng_writer_growable();
    for (int i = 0; i < 200; i++)
        ng_av_pair_write(&list, 0x7f, ng_slice_of("xx", 2));
    ng_av_pair_write_eol(&list);
    ng_ntlmv2_write_blob(&w, ng_ntlm_filetime_now(), cc, ng_writer_slice(&list));
    CHECK_EQ(accept_crafted(ng_writer_slice(&w), NG_SLICE_EMPTY, 0), SEC_E_INVALID_TOKEN);
    /* A list with no MsvAvEOL (cut short) too. */
    w.len = 16 + 28 + 12;
    CHECK_EQ(accept_crafted(ng_writer_slice(&w), NG_SLICE_EMPTY, 0), SEC_E_INVALID_TOKEN);
    ng_writer_free(&w);
    ng_writer_free(&list);
}

static SEC_CHANNEL_BINDINGS *make_bindings(const char *app, ULONG *len)
{
    size_t n = strlen(app);
    SEC_CHANNEL_BINDINGS *cb = calloc(1, sizeof(*cb) + n);
    REQUIRE(cb != NULL);
    cb->cbApplicationDataLength = (ULONG)n;
    cb->dwApplicationDataOffset = sizeof(*cb);
    memcpy((uint8_t *)cb + sizeof(*cb), app, n);
    *len = (ULONG)(sizeof(*cb) + n);
    return cb;
}

/* `policy`: SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS of the acceptor. */
static SECURITY_STATUS with_bindings(const char *client_app, const char *server_app, ULONG options,
                                     ULONG policy)
{
    CredHandle c, s = server_cred("NTLM", OURS, options);
    REQUIRE(client_cred("NTLM", "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
    REQUIRE(SetCredentialsAttributesA(&s, SECPKG_CRED_ATTR_NEGRING_CHANNEL_BINDINGS, &policy,
                                      sizeof(policy)) == SEC_E_OK);
    struct run r = {0};
    if (client_app)
        r.client_cb = make_bindings(client_app, &r.client_cb_len);
    if (server_app)
        r.server_cb = make_bindings(server_app, &r.server_cb_len);
    handshake(&r, &c, &s, OURS, NULL);
    SECURITY_STATUS out = r.ss;
    free(r.client_cb);
    free(r.server_cb);
    finish(&r);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
    return out;
}

static void test_channel_bindings(void)
{
    const char *a = "tls-server-end-point:AAAA", *b = "tls-server-end-point:BBBB";
    const ULONG when = NEGRING_CHANNEL_BINDINGS_WHEN_SUPPLIED,
                req = NEGRING_CHANNEL_BINDINGS_REQUIRED;
    CHECK_EQ(with_bindings(a, a, 0, when), SEC_E_OK);
    CHECK_EQ(with_bindings(a, b, 0, when), SEC_E_BAD_BINDINGS);
    CHECK_EQ(with_bindings(NULL, a, 0, when), SEC_E_OK);
    CHECK_EQ(with_bindings(a, NULL, 0, when), SEC_E_OK);
    CHECK_EQ(with_bindings(NULL, a, NEGRING_NTLM_REQUIRE_BINDINGS, when), SEC_E_BAD_BINDINGS);
    /* Extended Protection required through the credentials' policy, as for Kerberos */
    CHECK_EQ(with_bindings(a, a, 0, req), SEC_E_OK);
    CHECK_EQ(with_bindings(a, b, 0, req), SEC_E_BAD_BINDINGS);
    CHECK_EQ(with_bindings(NULL, a, 0, req), SEC_E_BAD_BINDINGS);
    CHECK_EQ(with_bindings(a, NULL, 0, req), SEC_E_BAD_BINDINGS);
}

/* Our initiator aimed at `target` against an acceptor named `principal` with the target name
 * policy in `options`: the first refusal, the initiator's or the acceptor's. */
static SECURITY_STATUS with_target(const char *principal, ULONG options, const char *target)
{
    CredHandle c, s = server_cred("NTLM", principal, options);
    REQUIRE(client_cred("NTLM", "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, target, NULL);
    SECURITY_STATUS out = r.cs != SEC_E_OK && r.cs != SEC_I_CONTINUE_NEEDED ? r.cs : r.ss;
    finish(&r);
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
    return out;
}

/* The default policy, "when supplied": a supplied name must name the principal's service (class
 * and host up to case; realm and port aside). A client that supplies none is accepted — from an
 * independent client (ntlm_target_policy_test.c); our own initiator, in the process of an
 * acceptor that would accept it, refuses to answer without one (reflection). */
static void test_target_name_check(void)
{
    CHECK_EQ(with_target(OURS, 0, "HTTP/server.example.test"), SEC_E_OK);
    CHECK_EQ(with_target(OURS, 0, "http/SERVER.example.test"), SEC_E_OK);
    CHECK_EQ(with_target("HTTP/server.example.test@EXAMPLE.TEST", 0, "HTTP/server.example.test"),
             SEC_E_OK);
    CHECK_EQ(with_target(OURS, 0, "HTTP/server.example.test@EXAMPLE.TEST"), SEC_E_OK);
    CHECK_EQ(with_target(OURS, 0, "HTTP/server.example.test:8443"), SEC_E_OK);
    CHECK_EQ(with_target(OURS, 0, "HTTP/server.example.testing"), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(with_target(OURS, 0, "HOST/server.example.test"), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(with_target(OURS, 0, "HTTP/evil.example.test"), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(with_target(OURS, 0, NULL), SEC_E_WRONG_PRINCIPAL); /* refused by our initiator */
    /* Required: a missing name is the acceptor's refusal. */
    CHECK_EQ(with_target(OURS, NEGRING_NTLM_TARGET_NAME_REQUIRED, NULL), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(with_target(OURS, NEGRING_NTLM_TARGET_NAME_REQUIRED, "HTTP/server.example.test:80"),
             SEC_E_OK);
    CHECK_EQ(with_target(OURS, NEGRING_NTLM_TARGET_NAME_REQUIRED, "HTTP/evil.example.test"),
             SEC_E_WRONG_PRINCIPAL);
    /* Both flags at once is no policy. */
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .Keytab = "FILE:/nonexistent/keytab",
                                        .UserDatabase = db_path,
                                        .NtlmOptions = NEGRING_NTLM_TARGET_NAME_OFF |
                                                       NEGRING_NTLM_TARGET_NAME_REQUIRED};
    CredHandle h;
    CHECK_EQ(AcquireCredentialsHandleA(OURS, "NTLM", SECPKG_CRED_INBOUND, NULL, &data, NULL, NULL,
                                       &h, NULL),
             SEC_E_INVALID_PARAMETER);
}

static void test_reload_keeps_handshakes_in_flight(void)
{
    CredHandle c, s = server_cred("NTLM", OURS, 0);
    REQUIRE(client_cred("NTLM", "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
    uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG alen, blen;
    CtxtHandle cc, sc;
    REQUIRE(step(&c, NULL, false, OURS, NULL, 0, NULL, 0, &cc, a, &alen) == SEC_I_CONTINUE_NEEDED);
    REQUIRE(step(&s, NULL, true, NULL, a, alen, NULL, 0, &sc, b, &blen) == SEC_I_CONTINUE_NEEDED);
    /* The password changes and the server reloads between CHALLENGE and AUTHENTICATE. */
    write_db("Secret2");
    CHECK_EQ(SetCredentialsAttributesA(&s, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_OK);
    REQUIRE(step(&c, &cc, false, OURS, b, blen, NULL, 0, &cc, a, &alen) == SEC_E_OK);
    /* The handshake is not dropped; it is judged by the accounts as they are now. */
    CHECK_EQ(step(&s, &sc, true, NULL, a, alen, NULL, 0, &sc, b, &blen), SEC_E_LOGON_DENIED);
    DeleteSecurityContext(&cc);
    DeleteSecurityContext(&sc);
    FreeCredentialsHandle(&c);
    REQUIRE(client_cred("NTLM", "alice", "EXAMPLE", "Secret2", &c) == SEC_E_OK);
    struct run r = {0};
    handshake(&r, &c, &s, OURS, NULL);
    CHECK_EQ(r.ss, SEC_E_OK);
    finish(&r);
    /* A broken file is refused and the current accounts stay. */
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fputs("EXAMPLE:alice:nothex:\n", f);
    fclose(f);
    CHECK_EQ(SetCredentialsAttributesA(&s, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_INVALID_PARAMETER);
    struct run again = {0};
    handshake(&again, &c, &s, OURS, NULL);
    CHECK_EQ(again.ss, SEC_E_OK);
    finish(&again);
    write_db("Secret1");
    FreeCredentialsHandle(&c);
    FreeCredentialsHandle(&s);
}

/* The CHALLENGE an acceptor answers `flags` with, parsed; its bytes stay in `out`. */
static struct ng_ntlm_challenge challenge_for(CredHandle *s, uint32_t flags, uint8_t *out)
{
    struct ng_writer w = ng_writer_growable();
    ng_ntlm_write_negotiate(&w, flags | NG_NTLMSSP_NEGOTIATE_NTLM);
    CtxtHandle h;
    ULONG out_len;
    REQUIRE(step(s, NULL, true, NULL, w.buf, (ULONG)w.len, NULL, 0, &h, out, &out_len) ==
            SEC_I_CONTINUE_NEEDED);
    ng_writer_free(&w);
    DeleteSecurityContext(&h);
    struct ng_ntlm_challenge c;
    REQUIRE(ng_ntlm_parse_challenge(ng_slice_of(out, out_len), &c) == NG_OK);
    return c;
}

/* The pairs of a TargetInfo, in order, as "id=value" (names narrowed from UTF-16LE) and "7=now"
 * for a time stamp within a minute of now. */
static void describe_target_info(struct ng_slice info, char *out, size_t size)
{
    struct ng_reader r = ng_reader_of(info);
    uint16_t id;
    struct ng_slice v;
    size_t used = 0;
    out[0] = '\0';
    while (ng_av_pairs_next(&r, &id, &v) && used < size) {
        char value[300] = "";
        if (id == NG_AV_TIMESTAMP) {
            struct ng_av_pairs av;
            REQUIRE(ng_av_pairs_parse(info, &av) == NG_OK);
            uint64_t now = ng_ntlm_filetime_now(), minute = UINT64_C(600000000);
            snprintf(value, sizeof(value), "%s",
                     av.timestamp + minute > now && av.timestamp < now + minute ? "now" : "off");
        } else {
            for (size_t i = 0; 2 * i + 1 < v.len && i < sizeof(value) - 1; i++)
                value[i] = (char)v.ptr[2 * i];
        }
        used += (size_t)snprintf(out + used, size - used, "%s%u=%s", used ? " " : "", id, value);
    }
    CHECK(!r.failed);
}

/* Windows' order: the NetBIOS domain (the account file's first unless configured), the
 * computer, the DNS domain and computer, the time stamp. The host's pairs are formatted once
 * per credentials; the domain follows a reload that changes the file's first domain. The
 * TargetName is the domain, in UTF-16LE or OEM as the client asked. */
static void test_challenge_names_the_domain_and_host(void)
{
    CredHandle s = server_cred("NTLM", OURS, 0);
    static uint8_t out[TOKEN_MAX];
    char got[512];
    struct ng_ntlm_challenge c = challenge_for(&s, NG_NTLMSSP_NEGOTIATE_UNICODE, out);
    describe_target_info(c.target_info, got, sizeof(got));
    CHECK(strcmp(got, "2=EXAMPLE 1=SERVER 4=example.test 3=server.example.test 7=now") == 0);
    CHECK(c.target_name.len == 14 && memcmp(c.target_name.ptr, "E\0X\0A\0M\0P\0L\0E\0", 14) == 0);
    c = challenge_for(&s, 0, out); /* an OEM client */
    CHECK(c.target_name.len == 7 && memcmp(c.target_name.ptr, "EXAMPLE", 7) == 0);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fputs("NEWDOM:dave:31d6cfe0d16ae931b73c59d7e0c089c0:\n", f);
    fclose(f);
    REQUIRE(SetCredentialsAttributesA(&s, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0) ==
            SEC_E_OK);
    c = challenge_for(&s, NG_NTLMSSP_NEGOTIATE_UNICODE, out);
    describe_target_info(c.target_info, got, sizeof(got));
    CHECK(strcmp(got, "2=NEWDOM 1=SERVER 4=example.test 3=server.example.test 7=now") == 0);
    write_db("Secret1");
    FreeCredentialsHandle(&s);
}

/* Host names long enough that the NEGOTIATE and CHALLENGE outgrow the state's room for the
 * copies the MIC covers: they are kept in an allocation instead, and both packages still log
 * in with the MIC (and, through Negotiate, the mechListMICs) verified. */
static void test_long_host_names_outgrow_the_messages_room(void)
{
    char domain[201], computer[sizeof(domain) + 7];
    memset(domain, 'd', sizeof(domain) - 1);
    domain[sizeof(domain) - 1] = '\0';
    snprintf(computer, sizeof(computer), "server.%s", domain);
    static const char *packages[] = {"NTLM", "Negotiate"};
    for (size_t p = 0; p < 2; p++) {
        CredHandle c, s = server_cred_of_host(packages[p], OURS, 0, domain, computer);
        static uint8_t out[TOKEN_MAX];
        struct ng_ntlm_challenge ch = challenge_for(&s, NG_NTLMSSP_NEGOTIATE_UNICODE, out);
        CHECK(ch.target_info.len > NG_NTLM_MESSAGES_ROOM);
        REQUIRE(client_cred(packages[p], "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
        struct run r = {0};
        handshake(&r, &c, &s, OURS, NULL);
        CHECK_EQ(r.cs, SEC_E_OK);
        CHECK_EQ(r.ss, SEC_E_OK);
        check_names_and_sizes(&r.s, "EXAMPLE\\alice", "NTLM");
        check_sspi_messages(&r.c, &r.s);
        finish(&r);
        FreeCredentialsHandle(&c);
        FreeCredentialsHandle(&s);
    }
}

/* Every allocation of an NTLM handshake failing in turn: a clean SEC_E_INSUFFICIENT_MEMORY from
 * whichever side hit it, never a crash, a leak (ASan) or a wrong success. */
static void test_allocation_failures_fail_cleanly(void)
{
    static const char *packages[] = {"NTLM", "Negotiate"};
    for (size_t p = 0; p < 2; p++) {
        CredHandle c, s = server_cred(packages[p], OURS, 0);
        REQUIRE(client_cred(packages[p], "alice", "EXAMPLE", "Secret1", &c) == SEC_E_OK);
        unsigned long n = 1;
        for (; n < 1000; n++) {
            struct run r = {0};
            ng_alloc_fail_after(n);
            handshake(&r, &c, &s, OURS, NULL);
            unsigned long seen = ng_alloc_fail_after(0);
            finish(&r);
            if (seen < n) { /* nothing failed: the handshake must have succeeded */
                CHECK_EQ(r.ss, SEC_E_OK);
                break;
            }
            bool clean = r.cs == SEC_E_INSUFFICIENT_MEMORY || r.ss == SEC_E_INSUFFICIENT_MEMORY;
            if (!clean)
                fprintf(stderr, "%s, allocation %lu: client 0x%x server 0x%x\n", packages[p], n,
                        (unsigned)r.cs, (unsigned)r.ss);
            CHECK(clean);
        }
        CHECK(n > 5 && n < 1000);
        FreeCredentialsHandle(&c);
        FreeCredentialsHandle(&s);
    }
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ntlm-roundtrip-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    char krb5_conf[128];
    snprintf(krb5_conf, sizeof(krb5_conf), "%s/krb5.conf", dir);
    FILE *f = fopen(krb5_conf, "w");
    REQUIRE(f != NULL);
    fputs("[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n", f);
    fclose(f);
    setenv("KRB5_CONFIG", krb5_conf, 1);
    write_db("Secret1");

    RUN(test_ntlm_package_round_trip);
    RUN(test_challenge_names_the_domain_and_host);
    RUN(test_account_outcomes);
    RUN(test_unicode_identity);
    RUN(test_negotiate_round_trip_with_mech_list_mic);
    RUN(test_negotiate_accepts_raw_ntlmssp_and_offers_ntlm);
    RUN(test_tampered_and_malformed_messages);
    RUN(test_legacy_answers_are_refused_and_counted);
    RUN(test_huge_av_list_is_refused);
    RUN(test_channel_bindings);
    RUN(test_target_name_check);
    RUN(test_reload_keeps_handshakes_in_flight);
    RUN(test_long_host_names_outgrow_the_messages_room);
    RUN(test_allocation_failures_fail_cleanly);

    unlink(db_path);
    unlink(krb5_conf);
    rmdir(dir);
    return check_report();
}
