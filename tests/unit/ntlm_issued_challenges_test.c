/* The process's set of outstanding NTLM server challenges (core/ntlm/ntlm_issued_challenges.c),
 * under concurrency and alone. Threads run at once, from the set's first use on (so its lazy
 * creation races too): acceptors with no principal issue challenges and finish them (a refused
 * AUTHENTICATE, or DeleteSecurityContext), each checking its challenge is in the set while it
 * waits and gone after; loopback handshakes against a named acceptor look every challenge up
 * and succeed; a reflection is refused every time; and a thread works the set directly. With
 * 2^10 slots the windows of different challenges overlap, so inserts and removals race on the
 * same slots. Built with TSan too (tests/tsan.cmake: ntlm_issued_challenges_tsan). The
 * end-to-end refusals are in ntlm_reflection_test.c. */
#include <negring/sspi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "ntlm_crypto.h"
#include "ntlm_issued_challenges.h"
#include "ntlm_message.h"
#include "random.h"

#define TOKEN_MAX  4096
#define ITERATIONS 200
#define HELD       8 /* challenges the direct thread keeps outstanding at once */
#define OURS       "HTTP/server.example.test"

static char dir[64], db_path[128];
static CredHandle named, unnamed; /* acceptors: with the principal OURS, and with none */
static atomic_int failures;

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);                     \
            atomic_fetch_add(&failures, 1);                                                        \
        }                                                                                          \
    } while (0)

static void write_db(void)
{
    uint8_t hash[16];
    REQUIRE(ng_nt_hash("Secret1", 7, hash) == NG_OK);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fputs("EXAMPLE:alice:", f);
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", hash[i]);
    fputs(":\n", f);
    REQUIRE(fclose(f) == 0);
}

static CredHandle client_cred(void)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",   5, (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h,
                                      NULL) == SEC_E_OK);
    return h;
}

static SECURITY_STATUS initiate(CredHandle *cred, CtxtHandle *ctx, bool first, const uint8_t *in,
                                ULONG in_len, uint8_t *out, ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS st =
        InitializeSecurityContextA(cred, first ? NULL : ctx, OURS, 0, 0, SECURITY_NATIVE_DREP,
                                   first ? NULL : &id, 0, ctx, &od, &attrs, NULL);
    *out_len = ob.cbBuffer;
    return st;
}

static SECURITY_STATUS accept_token(CredHandle *cred, CtxtHandle *ctx, bool first,
                                    const uint8_t *in, ULONG in_len, uint8_t *out, ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS st = AcceptSecurityContext(cred, first ? NULL : ctx, &id, 0,
                                               SECURITY_NATIVE_DREP, ctx, &od, &attrs, NULL);
    *out_len = ob.cbBuffer;
    return st;
}

static bool challenge_of(const uint8_t *token, ULONG len, uint8_t out[8])
{
    struct ng_ntlm_challenge c;
    if (ng_ntlm_parse_challenge(ng_slice_of(token, len), &c) != NG_OK)
        return false;
    memcpy(out, c.server_challenge, 8);
    return true;
}

/* Our initiator against `server` (NEGOTIATE, CHALLENGE, AUTHENTICATE); the AUTHENTICATE it made
 * is left in auth. The initiator's status if it refused, else the acceptor's last. */
static SECURITY_STATUS handshake(CredHandle *client, CredHandle *server, uint8_t *auth,
                                 ULONG *auth_len)
{
    uint8_t neg[TOKEN_MAX], chal[TOKEN_MAX];
    ULONG neg_len, chal_len;
    CtxtHandle c, s;
    SECURITY_STATUS st = initiate(client, &c, true, NULL, 0, neg, &neg_len);
    if (st != SEC_I_CONTINUE_NEEDED)
        return st;
    SECURITY_STATUS ss = accept_token(server, &s, true, neg, neg_len, chal, &chal_len);
    if (ss == SEC_I_CONTINUE_NEEDED) {
        st = initiate(client, &c, false, chal, chal_len, auth, auth_len);
        ss =
            st == SEC_E_OK ? accept_token(server, &s, false, auth, *auth_len, chal, &chal_len) : st;
        DeleteSecurityContext(&s);
    }
    DeleteSecurityContext(&c);
    return ss;
}

/* Loopback to the named acceptor (works), then a challenge from the unnamed one, finished by a
 * wrong AUTHENTICATE (the loopback's, made for another challenge) or by deleting the context. */
static void *acceptor_thread(void *arg)
{
    CredHandle client = client_cred();
    uint8_t neg[TOKEN_MAX], chal[TOKEN_MAX], auth[TOKEN_MAX], out[TOKEN_MAX], challenge[8];
    ULONG neg_len, chal_len, auth_len = 0, out_len;
    for (int i = 0; i < ITERATIONS; i++) {
        EXPECT(handshake(&client, &named, auth, &auth_len) == SEC_E_OK);
        CtxtHandle c, s;
        EXPECT(initiate(&client, &c, true, NULL, 0, neg, &neg_len) == SEC_I_CONTINUE_NEEDED);
        DeleteSecurityContext(&c);
        if (accept_token(&unnamed, &s, true, neg, neg_len, chal, &chal_len) !=
            SEC_I_CONTINUE_NEEDED) {
            EXPECT(!"the unnamed acceptor issued no challenge");
            continue;
        }
        EXPECT(challenge_of(chal, chal_len, challenge));
        EXPECT(ng_ntlm_challenge_outstanding(challenge));
        if (i % 2 == 0) {
            EXPECT(accept_token(&unnamed, &s, false, auth, auth_len, out, &out_len) ==
                   SEC_E_LOGON_DENIED);
            EXPECT(!ng_ntlm_challenge_outstanding(challenge));
            DeleteSecurityContext(&s);
        } else {
            DeleteSecurityContext(&s);
            EXPECT(!ng_ntlm_challenge_outstanding(challenge));
        }
    }
    FreeCredentialsHandle(&client);
    return arg;
}

/* Our initiator handed the unnamed acceptor's challenge: refused, every time. */
static void *reflector_thread(void *arg)
{
    CredHandle client = client_cred();
    uint8_t auth[TOKEN_MAX];
    ULONG auth_len = 0;
    for (int i = 0; i < ITERATIONS; i++)
        EXPECT(handshake(&client, &unnamed, auth, &auth_len) == SEC_E_WRONG_PRINCIPAL);
    FreeCredentialsHandle(&client);
    return arg;
}

/* The set itself: HELD challenges outstanding at a time, each seen while held, gone after. */
static void *direct_thread(void *arg)
{
    uint8_t held[HELD][8];
    for (int i = 0; i < ITERATIONS * 4; i++) {
        int k = i % HELD;
        if (i >= HELD) {
            EXPECT(ng_ntlm_challenge_outstanding(held[k]));
            ng_ntlm_challenge_withdraw(held[k], NG_NTLM_CHALLENGE_UNNAMED);
            EXPECT(!ng_ntlm_challenge_outstanding(held[k]));
        }
        EXPECT(ng_ntlm_challenge_draw(held[k]) == NG_OK);
        EXPECT(ng_ntlm_challenge_issue(held[k], NG_NTLM_CHALLENGE_UNNAMED) == NG_OK);
        EXPECT(ng_ntlm_challenge_outstanding(held[k]));
    }
    for (int k = 0; k < HELD; k++)
        ng_ntlm_challenge_withdraw(held[k], NG_NTLM_CHALLENGE_UNNAMED);
    return arg;
}

static void test_concurrent_issue_finish_and_look_up(void)
{
    void *(*const roles[])(void *) = {acceptor_thread, acceptor_thread, reflector_thread,
                                      direct_thread};
    enum { THREADS = sizeof(roles) / sizeof(roles[0]) };
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, roles[i], NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&failures), 0);
}

static void test_issue_look_up_withdraw(void)
{
    uint8_t c[32][8], zero[8] = {0}, never[8];
    for (int i = 0; i < 32; i++) {
        REQUIRE(ng_ntlm_challenge_draw(c[i]) == NG_OK);
        REQUIRE(ng_ntlm_challenge_issue(c[i], NG_NTLM_CHALLENGE_UNNAMED) == NG_OK);
        CHECK(memcmp(c[i], zero, 8) != 0); /* 0 marks a free slot: never issued */
    }
    for (int i = 0; i < 32; i++)
        CHECK(ng_ntlm_challenge_outstanding(c[i]));
    REQUIRE(ng_random_bytes(never, 8) == NG_OK);
    CHECK(!ng_ntlm_challenge_outstanding(never));
    CHECK(!ng_ntlm_challenge_outstanding(zero));
    ng_ntlm_challenge_withdraw(never, NG_NTLM_CHALLENGE_UNNAMED); /* not ours: nothing happens */
    ng_ntlm_challenge_withdraw(zero, NG_NTLM_CHALLENGE_UNNAMED);
    for (int i = 0; i < 32; i += 2)
        ng_ntlm_challenge_withdraw(c[i], NG_NTLM_CHALLENGE_UNNAMED);
    for (int i = 0; i < 32; i++)
        CHECK_EQ(ng_ntlm_challenge_outstanding(c[i]), i % 2 == 1);
    for (int i = 1; i < 32; i += 2)
        ng_ntlm_challenge_withdraw(c[i], NG_NTLM_CHALLENGE_UNNAMED);
    for (int i = 0; i < 32; i++)
        CHECK(!ng_ntlm_challenge_outstanding(c[i]));
}

/* A record says how its acceptor checks target names; withdrawing it takes the same kind. */
static void test_kind_kept_and_withdrawn_by_kind(void)
{
    uint8_t checked[8], unchecked[8];
    REQUIRE(ng_ntlm_challenge_draw(checked) == NG_OK && ng_ntlm_challenge_draw(unchecked) == NG_OK);
    REQUIRE(ng_ntlm_challenge_issue(checked, NG_NTLM_CHALLENGE_NAME_CHECKED) == NG_OK);
    REQUIRE(ng_ntlm_challenge_issue(unchecked, NG_NTLM_CHALLENGE_UNNAMED) == NG_OK);
    CHECK_EQ(ng_ntlm_challenge_lookup(checked), NG_NTLM_CHALLENGE_NAME_CHECKED);
    CHECK_EQ(ng_ntlm_challenge_lookup(unchecked), NG_NTLM_CHALLENGE_UNNAMED);
    CHECK(ng_ntlm_challenge_outstanding(checked));
    ng_ntlm_challenge_withdraw(checked, NG_NTLM_CHALLENGE_UNNAMED); /* the wrong kind: stays */
    CHECK_EQ(ng_ntlm_challenge_lookup(checked), NG_NTLM_CHALLENGE_NAME_CHECKED);
    ng_ntlm_challenge_withdraw(checked, NG_NTLM_CHALLENGE_NAME_CHECKED);
    ng_ntlm_challenge_withdraw(unchecked, NG_NTLM_CHALLENGE_UNNAMED);
    CHECK_EQ(ng_ntlm_challenge_lookup(checked), NG_NTLM_CHALLENGE_NOT_OURS);
    CHECK_EQ(ng_ntlm_challenge_lookup(unchecked), NG_NTLM_CHALLENGE_NOT_OURS);
}

int main(void)
{
    REQUIRE(setenv("NEGRING_NTLM_CHALLENGE_SET_LOG2", "10", 1) == 0);
    snprintf(dir, sizeof(dir), "/tmp/ntlm-issued-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    write_db();
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .UserDatabase = db_path};
    REQUIRE(AcquireCredentialsHandleA(OURS, "NTLM", SECPKG_CRED_INBOUND, NULL, &data, NULL, NULL,
                                      &named, NULL) == SEC_E_OK);
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_INBOUND, NULL, &data, NULL, NULL,
                                      &unnamed, NULL) == SEC_E_OK);
    RUN(test_concurrent_issue_finish_and_look_up);
    RUN(test_issue_look_up_withdraw);
    RUN(test_kind_kept_and_withdrawn_by_kind);
    FreeCredentialsHandle(&named);
    FreeCredentialsHandle(&unnamed);
    unlink(db_path);
    rmdir(dir);
    return check_report();
}
