/* message_protection: the SecBufferDesc layouts of MakeSignature / VerifySignature /
 * EncryptMessage / DecryptMessage between our own initiator and acceptor (both directions,
 * TOKEN + DATA in place, STREAM, several DATA buffers, READONLY and READONLY_WITH_CHECKSUM,
 * SECQOP_WRAP_NO_ENCRYPT), the receive window (seq_window.c), and every refusal: bad handles,
 * contexts still negotiating, mechanisms without message support, malformed descriptors,
 * short and altered tokens. MIT interop is in tests/interop/mit_wrap_test.c. */
#include <negring/sspi.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "ntlm_mech.h"
#include "gss_peer.h"
#include "realm.h"
#include "security_context.h"
#include "seq_window.h"

static struct ng_test_realm realm;
static CtxtHandle client, server;
static ULONG trailer, max_sig;

static void test_seq_window(void)
{
    uint64_t next = 10, seen = 0;
    unsigned both = NG_SEQ_REPLAY | NG_SEQ_ORDER;
    CHECK_EQ(ng_seq_accept(&next, &seen, 10, both), NG_OK);
    CHECK_EQ(ng_seq_accept(&next, &seen, 10, both), NG_ERR_MESSAGE_ALTERED); /* replay */
    CHECK_EQ(ng_seq_accept(&next, &seen, 12, both), NG_ERR_OUT_OF_SEQUENCE); /* gap */
    CHECK_EQ(next, 11);
    CHECK_EQ(ng_seq_accept(&next, &seen, 9, both), NG_ERR_OUT_OF_SEQUENCE); /* late */
    CHECK_EQ(ng_seq_accept(&next, &seen, 11, both), NG_OK);
    /* Replay detection alone: gaps and late arrivals pass, duplicates do not. */
    CHECK_EQ(ng_seq_accept(&next, &seen, 14, NG_SEQ_REPLAY), NG_OK);
    CHECK_EQ(ng_seq_accept(&next, &seen, 13, NG_SEQ_REPLAY), NG_OK);
    CHECK_EQ(ng_seq_accept(&next, &seen, 13, NG_SEQ_REPLAY), NG_ERR_MESSAGE_ALTERED);
    CHECK_EQ(ng_seq_accept(&next, &seen, 14, NG_SEQ_REPLAY), NG_ERR_MESSAGE_ALTERED);
    CHECK_EQ(ng_seq_accept(&next, &seen, 12, NG_SEQ_REPLAY), NG_OK);
    /* Older than the 64-message window: cannot be proven fresh. */
    CHECK_EQ(ng_seq_accept(&next, &seen, 200, NG_SEQ_REPLAY), NG_OK);
    CHECK_EQ(ng_seq_accept(&next, &seen, 100, NG_SEQ_REPLAY), NG_ERR_OUT_OF_SEQUENCE);
    CHECK_EQ(ng_seq_accept(&next, &seen, 100, 0), NG_OK);
    CHECK_EQ(ng_seq_accept(&next, &seen, 100, 0), NG_OK); /* no checks asked: anything goes */
    /* Across 2^64. */
    next = UINT64_MAX;
    seen = 0;
    CHECK_EQ(ng_seq_accept(&next, &seen, UINT64_MAX, both), NG_OK);
    CHECK_EQ(next, 0);
    CHECK_EQ(ng_seq_accept(&next, &seen, UINT64_MAX, both), NG_ERR_MESSAGE_ALTERED);
    CHECK_EQ(ng_seq_accept(&next, &seen, 0, both), NG_OK);
}

/* Our initiator against our acceptor with every protection flag. */
static void handshake(void)
{
    CredHandle ccred, scred;
    TimeStamp ts;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &ccred, &ts) == SEC_E_OK);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &scred) == SEC_E_OK);
    static unsigned char a[NG_PEER_MAX_TOKEN], b[NG_PEER_MAX_TOKEN];
    ULONG a_len = 0, attrs;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    ULONG isc = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY |
                ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT;
    for (int leg = 0; leg < 4 && (cs == SEC_I_CONTINUE_NEEDED || ss == SEC_I_CONTINUE_NEEDED);
         leg++) {
        SecBuffer ib = {a_len, SECBUFFER_TOKEN, a}, ob = {sizeof(b), SECBUFFER_TOKEN, b};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        if (cs == SEC_I_CONTINUE_NEEDED) {
            cs = InitializeSecurityContextA(&ccred, leg ? &client : NULL, "HTTP/localhost", isc, 0,
                                            SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, &client, &od,
                                            &attrs, NULL);
            REQUIRE(cs == SEC_E_OK || cs == SEC_I_CONTINUE_NEEDED);
        }
        if (ob.cbBuffer == 0)
            break;
        SecBuffer sib = {ob.cbBuffer, SECBUFFER_TOKEN, b}, sob = {sizeof(a), SECBUFFER_TOKEN, a};
        SecBufferDesc sid = {SECBUFFER_VERSION, 1, &sib}, sod = {SECBUFFER_VERSION, 1, &sob};
        ss = AcceptSecurityContext(&scred, leg ? &server : NULL, &sid, ASC_REQ_REPLAY_DETECT,
                                   SECURITY_NATIVE_DREP, &server, &sod, &attrs, NULL);
        REQUIRE(ss == SEC_E_OK || ss == SEC_I_CONTINUE_NEEDED);
        a_len = sob.cbBuffer;
        if (a_len == 0)
            break;
    }
    REQUIRE(cs == SEC_E_OK && ss == SEC_E_OK);
    SecPkgContext_Sizes sizes;
    REQUIRE(QueryContextAttributesA(&server, SECPKG_ATTR_SIZES, &sizes) == SEC_E_OK);
    trailer = sizes.cbSecurityTrailer;
    max_sig = sizes.cbMaxSignature;
    FreeCredentialsHandle(&ccred);
    FreeCredentialsHandle(&scred);
}

/* Several DATA buffers, a signed-only header and a READONLY buffer, in place both ways. */
static void round_trip(PCtxtHandle from, PCtxtHandle to, ULONG qop)
{
    unsigned char token[128];
    char p1[] = "hello, ", hdr[] = "header", p2[] = "world", ro[] = "read-only";
    SecBuffer b[5] = {{(ULONG)strlen(p1), SECBUFFER_DATA, p1},
                      {(ULONG)strlen(hdr), SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, hdr},
                      {(ULONG)strlen(p2), SECBUFFER_DATA, p2},
                      {(ULONG)strlen(ro), SECBUFFER_DATA | SECBUFFER_READONLY, ro},
                      {sizeof(token), SECBUFFER_TOKEN, token}};
    SecBufferDesc d = {SECBUFFER_VERSION, 5, b};
    CHECK_EQ(EncryptMessage(from, qop, &d, 0), SEC_E_OK);
    CHECK_EQ(strcmp(p1, "hello, ") != 0, qop == 0);
    CHECK(strcmp(hdr, "header") == 0 && strcmp(ro, "read-only") == 0);
    CHECK_EQ(b[4].cbBuffer, qop == 0 ? trailer : max_sig);
    ro[0] = 'X'; /* not covered by anything */
    ULONG got = 0xdead;
    CHECK_EQ(DecryptMessage(to, &d, 0, &got), SEC_E_OK);
    CHECK_EQ(got, qop);
    CHECK(strcmp(p1, "hello, ") == 0 && strcmp(p2, "world") == 0);
}

static void test_token_and_data_both_directions(void)
{
    round_trip(&client, &server, 0);
    round_trip(&server, &client, 0);
    round_trip(&client, &server, SECQOP_WRAP_NO_ENCRYPT);
    round_trip(&server, &client, SECQOP_WRAP_NO_ENCRYPT);
}

/* The signed-only header is covered: changing it is detected, and the refused message does not
 * use up its sequence number. */
static void test_sign_only_buffer_is_covered(void)
{
    unsigned char token[128], saved[128];
    char data[] = "payload", hdr[] = "header";
    SecBuffer b[3] = {{sizeof(token), SECBUFFER_TOKEN, token},
                      {(ULONG)strlen(hdr), SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, hdr},
                      {(ULONG)strlen(data), SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    CHECK_EQ(EncryptMessage(&client, 0, &d, 0), SEC_E_OK);
    memcpy(saved, token, b[0].cbBuffer);
    char cipher[sizeof(data)];
    memcpy(cipher, data, sizeof(data));
    hdr[0] = 'H';
    ULONG qop;
    CHECK_EQ(DecryptMessage(&server, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    hdr[0] = 'h';
    memcpy(token, saved, b[0].cbBuffer);
    memcpy(data, cipher, sizeof(data));
    CHECK_EQ(DecryptMessage(&server, &d, 0, &qop), SEC_E_OK);
    CHECK(strcmp(data, "payload") == 0);
}

static void test_stream(void)
{
    unsigned char wire[256];
    const char *text = "a stream message";
    size_t len = strlen(text);
    memcpy(wire + trailer, text, len);
    SecBuffer b[2] = {{trailer, SECBUFFER_TOKEN, wire},
                      {(ULONG)len, SECBUFFER_DATA, wire + trailer}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_EQ(EncryptMessage(&server, 0, &d, 0), SEC_E_OK);
    size_t total = b[0].cbBuffer + len;
    SecBuffer s[2] = {{(ULONG)total, SECBUFFER_STREAM, wire}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, s};
    /* Truncated: refused without touching anything. */
    s[0].cbBuffer = 20;
    CHECK_EQ(DecryptMessage(&client, &sd, 0, NULL), SEC_E_INVALID_TOKEN);
    s[0].cbBuffer = (ULONG)total;
    CHECK_EQ(DecryptMessage(&client, &sd, 0, NULL), SEC_E_OK);
    CHECK_EQ(s[1].cbBuffer, len);
    CHECK(s[1].pvBuffer != NULL && memcmp(s[1].pvBuffer, text, len) == 0);
    CHECK((unsigned char *)s[1].pvBuffer >= wire && (unsigned char *)s[1].pvBuffer < wire + total);
}

static void test_signatures(void)
{
    unsigned char sig[64];
    char a[] = "part one", c[] = "part two", ro[] = "ignored";
    SecBuffer b[4] = {{(ULONG)strlen(a), SECBUFFER_DATA, a},
                      {sizeof(sig), SECBUFFER_TOKEN, sig},
                      {(ULONG)strlen(ro), SECBUFFER_DATA | SECBUFFER_READONLY, ro},
                      {(ULONG)strlen(c), SECBUFFER_DATA, c}};
    SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
    CHECK_EQ(MakeSignature(&server, 0, &d, 0), SEC_E_OK);
    CHECK_EQ(b[1].cbBuffer, max_sig);
    CHECK(strcmp(a, "part one") == 0);
    ro[0] = 'I';
    c[0] = 'P';
    ULONG qop = 5;
    CHECK_EQ(VerifySignature(&client, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    c[0] = 'p';
    CHECK_EQ(VerifySignature(&client, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ(qop, 0);
    CHECK_EQ(VerifySignature(&client, &d, 0, &qop), SEC_E_MESSAGE_ALTERED); /* replay */
    /* Reflected: our own signature is not accepted as the peer's. */
    CHECK_EQ(MakeSignature(&client, 0, &d, 0), SEC_E_OK);
    CHECK_EQ(VerifySignature(&client, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
    CHECK_EQ(VerifySignature(&server, &d, 0, &qop), SEC_E_OK);
}

/* Two signatures delivered in the wrong order, with sequence detection (the client asked). */
static void test_out_of_sequence(void)
{
    unsigned char s1[64], s2[64];
    char m[] = "ordered";
    SecBuffer b1[2] = {{sizeof(s1), SECBUFFER_TOKEN, s1}, {(ULONG)strlen(m), SECBUFFER_DATA, m}};
    SecBuffer b2[2] = {{sizeof(s2), SECBUFFER_TOKEN, s2}, {(ULONG)strlen(m), SECBUFFER_DATA, m}};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 2, b1}, d2 = {SECBUFFER_VERSION, 2, b2};
    CHECK_EQ(MakeSignature(&client, 0, &d1, 0), SEC_E_OK);
    CHECK_EQ(MakeSignature(&client, 0, &d2, 0), SEC_E_OK);
    CHECK_EQ(VerifySignature(&server, &d2, 0, NULL), SEC_E_OUT_OF_SEQUENCE);
    CHECK_EQ(VerifySignature(&server, &d1, 0, NULL), SEC_E_OK);
    CHECK_EQ(VerifySignature(&server, &d2, 0, NULL), SEC_E_OK);
}

static void test_refusals(void)
{
    unsigned char token[128];
    char data[] = "x";
    SecBuffer b[2] = {{sizeof(token), SECBUFFER_TOKEN, token}, {1, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CtxtHandle bad = {1, 2};
    CHECK_EQ(EncryptMessage(&bad, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_EQ(EncryptMessage(NULL, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_EQ(EncryptMessage(&bad, 3, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_EQ(EncryptMessage(&client, 3, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
    CHECK_EQ(EncryptMessage(&client, 0, NULL, 0), SEC_E_INVALID_PARAMETER);
    SecBufferDesc wrong_version = {1, 2, b};
    CHECK_EQ(EncryptMessage(&client, 0, &wrong_version, 0), SEC_E_INVALID_PARAMETER);
    SecBuffer null_data[2] = {{sizeof(token), SECBUFFER_TOKEN, token}, {4, SECBUFFER_DATA, NULL}};
    SecBufferDesc nd = {SECBUFFER_VERSION, 2, null_data};
    CHECK_EQ(EncryptMessage(&client, 0, &nd, 0), SEC_E_INVALID_PARAMETER);
    SecBufferDesc no_token = {SECBUFFER_VERSION, 1, &b[1]};
    CHECK_EQ(EncryptMessage(&client, 0, &no_token, 0), SEC_E_INVALID_TOKEN);
    CHECK_EQ(MakeSignature(&client, 0, &no_token, 0), SEC_E_INVALID_TOKEN);
    b[0].cbBuffer = trailer - 1;
    CHECK_EQ(EncryptMessage(&client, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
    CHECK_EQ(b[0].cbBuffer, trailer - 1);
    /* Garbage and short tokens. */
    memset(token, 0x05, sizeof(token));
    b[0].cbBuffer = 10;
    CHECK_EQ(DecryptMessage(&server, &d, 0, NULL), SEC_E_INVALID_TOKEN);
    b[0].cbBuffer = trailer;
    CHECK_EQ(DecryptMessage(&server, &d, 0, NULL), SEC_E_INVALID_TOKEN);
    CHECK_EQ(VerifySignature(&server, &d, 0, NULL), SEC_E_INVALID_TOKEN);
    /* STREAM without a DATA buffer for the result. */
    SecBuffer st = {sizeof(token), SECBUFFER_STREAM, token};
    SecBufferDesc sd = {SECBUFFER_VERSION, 1, &st};
    CHECK_EQ(DecryptMessage(&server, &sd, 0, NULL), SEC_E_INVALID_PARAMETER);
    /* A message for the other direction, then the real one still works (nothing consumed). */
    b[0].cbBuffer = sizeof(token);
    CHECK_EQ(EncryptMessage(&server, 0, &d, 0), SEC_E_OK);
    CHECK_EQ(DecryptMessage(&server, &d, 0, NULL), SEC_E_MESSAGE_ALTERED);
    CHECK_EQ(DecryptMessage(&client, &d, 0, NULL), SEC_E_OK);
    CHECK(data[0] == 'x');
}

/* Full duplex: one thread sends client -> server while another sends server -> client, on the
 * same two contexts, with sequence detection on: any lost update of a sequence number or of
 * the receive window would surface as SEC_E_OUT_OF_SEQUENCE or SEC_E_MESSAGE_ALTERED. */
struct direction {
    PCtxtHandle from, to;
    int failures;
};

static void *send_many(void *arg)
{
    struct direction *d = arg;
    for (int i = 0; i < 300; i++) {
        unsigned char token[128];
        char data[32];
        int len = snprintf(data, sizeof(data), "message %d", i);
        SecBuffer b[2] = {{sizeof(token), SECBUFFER_TOKEN, token},
                          {(ULONG)len, SECBUFFER_DATA, data}};
        SecBufferDesc desc = {SECBUFFER_VERSION, 2, b};
        char expect[32];
        memcpy(expect, data, sizeof(data));
        if (EncryptMessage(d->from, 0, &desc, 0) != SEC_E_OK ||
            DecryptMessage(d->to, &desc, 0, NULL) != SEC_E_OK || memcmp(data, expect, len) != 0)
            d->failures++;
    }
    return NULL;
}

static void test_full_duplex_threads(void)
{
    struct direction up = {&client, &server, 0}, down = {&server, &client, 0};
    pthread_t a, b;
    REQUIRE(pthread_create(&a, NULL, send_many, &up) == 0);
    REQUIRE(pthread_create(&b, NULL, send_many, &down) == 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK_EQ(up.failures, 0);
    CHECK_EQ(down.failures, 0);
}

/* A context still negotiating, and one whose mechanism has no session to protect messages with
 * (an NTLM context completed without a session key). */
static void test_unusable_contexts(void)
{
    struct ng_credentials *creds;
    REQUIRE(ng_credentials_new(NG_PKG_NEGOTIATE, SECPKG_CRED_INBOUND, &creds) == NG_OK);
    struct ng_context *pending, *ntlm;
    CtxtHandle hp, hn;
    ng_credentials_ref(creds); /* the context takes a reference */
    REQUIRE(ng_context_new(NG_ROLE_ACCEPTOR, NG_PKG_NEGOTIATE, creds, &pending) == NG_OK);
    REQUIRE(ng_context_publish(pending, &hp) == NG_OK);
    ng_credentials_ref(creds); /* the context takes a reference */
    REQUIRE(ng_context_new(NG_ROLE_ACCEPTOR, NG_PKG_NEGOTIATE, creds, &ntlm) == NG_OK);
    ng_context_set_mech(ntlm, NG_MECH_NTLM, &ng_ntlm_mech);
    ntlm->state = NG_CTX_COMPLETE;
    REQUIRE(ng_context_publish(ntlm, &hn) == NG_OK);
    unsigned char token[128];
    char data[] = "x";
    SecBuffer b[2] = {{sizeof(token), SECBUFFER_TOKEN, token}, {1, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_EQ(MakeSignature(&hp, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_EQ(EncryptMessage(&hp, 0, &d, 0), SEC_E_INVALID_HANDLE);
    CHECK_EQ(MakeSignature(&hn, 0, &d, 0), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(DecryptMessage(&hn, &d, 0, NULL), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_EQ(ng_context_delete(&hp), NG_OK);
    CHECK_EQ(ng_context_delete(&hn), NG_OK);
    CHECK_EQ(MakeSignature(&hn, 0, &d, 0), SEC_E_INVALID_HANDLE);
    ng_credentials_unref(creds);
}

int main(void)
{
    RUN(test_seq_window);
    REQUIRE(ng_test_realm_start(&realm) == 0);
    handshake();
    RUN(test_token_and_data_both_directions);
    RUN(test_sign_only_buffer_is_covered);
    RUN(test_stream);
    RUN(test_signatures);
    RUN(test_out_of_sequence);
    RUN(test_refusals);
    RUN(test_full_duplex_threads);
    RUN(test_unusable_contexts);
    DeleteSecurityContext(&client);
    DeleteSecurityContext(&server);
    return check_report();
}
