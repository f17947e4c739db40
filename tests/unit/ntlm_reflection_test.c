/* NTLM reflection (the CVE-2008-4037 family, docs/hostile-input.md): an attacker opens a
 * session to our server, takes the CHALLENGE our acceptor issued, hands it to our own initiator
 * (which the attacker made connect to it), and relays the AUTHENTICATE back, so that the server
 * authenticates to itself. Both the "NTLM" and "Negotiate" packages.
 *
 * An acceptor with a principal: the client's target name (MsvAvTargetName, MS-NLMP §2.2.2.1)
 * sits inside the NTLMv2 blob that NTProofStr covers, so the relay cannot change it and the
 * acceptor refuses it (§3.2.5.1.2). The control: the same relay with the initiator aimed at the
 * server's own SPN is a knowing loopback and succeeds, so the refusal comes from the target
 * name and nothing else. Its challenges are recorded as name-checked, so our initiator answers
 * them only with a target name to send: a victim without one (the default policy accepts that)
 * is refused by our initiator; an acceptor that requires the name records nothing.
 *
 * An acceptor with no principal: its challenge is in the process's set of outstanding challenges
 * (core/ntlm/ntlm_issued_challenges.h) until the AUTHENTICATE is processed or the context deleted,
 * and our initiator refuses to answer it (SEC_E_WRONG_PRINCIPAL, no AUTHENTICATE made). The
 * control: the same acceptor authenticates our initiator run in a child process (an independent
 * client: its set is its own). The exception is a genuine local loopback (ntlm_loopback.h): an
 * acceptor naming this machine and an initiator aimed at this machine complete. A full set refuses
 * the NEGOTIATE rather than issue an untracked challenge. The concurrent side is in
 * ntlm_issued_challenges_test.c (also under TSan). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "ntlm_crypto.h"
#include "ntlm_issued_challenges.h"
#include "ntlm_message.h"
#include "security_context.h"
#include "spnego.h"

#define TOKEN_MAX 12000
#define OURS      "HTTP/server.example.test"

static char db_path[128];

static void write_db(void)
{
    uint8_t h[16];
    REQUIRE(ng_nt_hash("Secret1", 7, h) == NG_OK);
    FILE *f = fopen(db_path, "w");
    REQUIRE(f != NULL);
    fprintf(f, "EXAMPLE:alice:");
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", h[i]);
    fprintf(f, ":\n");
    REQUIRE(fclose(f) == 0);
}

/* `principal` NULL: an acceptor that names none. `options`: its NtlmOptions (target name
 * policy). With `own_names`, its CHALLENGE names this machine (the defaults: the host name and
 * its first label) instead of server.example.test. */
static CredHandle acceptor(const char *package, const char *principal, ULONG options,
                           bool own_names)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        "FILE:/nonexistent/keytab",
                                        0,
                                        NULL,
                                        db_path,
                                        NULL,
                                        own_names ? NULL : "SERVER",
                                        "example.test",
                                        own_names ? NULL : "server.example.test",
                                        options};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA((LPSTR)principal, (LPSTR)package, SECPKG_CRED_INBOUND, NULL,
                                      &data, NULL, NULL, &h, NULL) == SEC_E_OK);
    return h;
}

static CredHandle server_cred(const char *package, const char *principal)
{
    return acceptor(package, principal, 0, false);
}

static CredHandle client_cred(const char *package)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",   5, (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)"Secret1", 7, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, (LPSTR)package, SECPKG_CRED_OUTBOUND, NULL, &id, NULL,
                                      NULL, &h, NULL) == SEC_E_OK);
    return h;
}

/* The server challenge in an acceptor's CHALLENGE, raw or inside a NegTokenResp. */
static bool challenge_of(const uint8_t *token, ULONG len, uint8_t out[8])
{
    struct ng_slice msg = ng_slice_of(token, len);
    struct ng_spnego_token t;
    if (!ng_ntlm_is_message(msg)) {
        if (ng_spnego_parse(msg, &t) != NG_OK || t.kind != NG_SPNEGO_RESP ||
            !t.resp.has_response_token)
            return false;
        msg = t.resp.response_token;
    }
    struct ng_ntlm_challenge c;
    if (ng_ntlm_parse_challenge(msg, &c) != NG_OK)
        return false;
    memcpy(out, c.server_challenge, 8);
    return true;
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

static SECURITY_STATUS initiate_token(CredHandle *cred, CtxtHandle *ctx, bool first,
                                      const char *target, const uint8_t *in, ULONG in_len,
                                      uint8_t *out, ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS st = InitializeSecurityContextA(cred, first ? NULL : ctx, (SEC_CHAR *)target, 0,
                                                    0, SECURITY_NATIVE_DREP, first ? NULL : &id, 0,
                                                    ctx, &od, &attrs, NULL);
    *out_len = ob.cbBuffer;
    return st;
}

struct outcome {
    SECURITY_STATUS victim, server; /* each side's last status */
    ULONG victim_refusal_len;       /* what the victim wrote when it refused */
    bool challenge_seen;            /* the acceptor issued a CHALLENGE ... */
    bool outstanding;               /* ... which was in the set when the relay ended ... */
    bool outstanding_after_delete;  /* ... and after the acceptor's context was deleted */
};

/* The victim's initiator, aimed at `target`, talks to the attacker; every token it makes goes
 * on to our acceptor `server` (freed here) and every answer comes back unchanged. */
static struct outcome relay_to(const char *package, CredHandle server, const char *target)
{
    CredHandle victim = client_cred(package);
    CtxtHandle c, s;
    bool have_c = false, have_s = false;
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    uint8_t challenge[8];
    ULONG alen, blen = 0;
    struct outcome o = {SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED, 0, false, false, false};
    for (int leg = 0; leg < 4 && o.victim == SEC_I_CONTINUE_NEEDED; leg++) {
        o.victim = initiate_token(&victim, &c, !have_c, target, b, blen, a, &alen);
        have_c = have_c || o.victim == SEC_I_CONTINUE_NEEDED || o.victim == SEC_E_OK;
        if (o.victim != SEC_E_OK && o.victim != SEC_I_CONTINUE_NEEDED)
            o.victim_refusal_len = alen;
        if ((o.victim != SEC_E_OK && o.victim != SEC_I_CONTINUE_NEEDED) || alen == 0)
            break;
        o.server = accept_token(&server, &s, !have_s, a, alen, b, &blen);
        have_s = have_s || o.server == SEC_I_CONTINUE_NEEDED || o.server == SEC_E_OK;
        if (!o.challenge_seen && o.server == SEC_I_CONTINUE_NEEDED)
            o.challenge_seen = challenge_of(b, blen, challenge);
        if (o.server != SEC_I_CONTINUE_NEEDED)
            break;
    }
    o.outstanding = o.challenge_seen && ng_ntlm_challenge_outstanding(challenge);
    if (have_c)
        DeleteSecurityContext(&c);
    if (have_s)
        DeleteSecurityContext(&s);
    o.outstanding_after_delete = o.challenge_seen && ng_ntlm_challenge_outstanding(challenge);
    FreeCredentialsHandle(&victim);
    FreeCredentialsHandle(&server);
    return o;
}

static struct outcome relay(const char *package, const char *principal, const char *target)
{
    return relay_to(package, server_cred(package, principal), target);
}

static void test_reflection_refused_by_the_target_name(void)
{
    static const char *const packages[] = {"NTLM", "Negotiate"};
    for (size_t i = 0; i < 2; i++) {
        struct outcome o = relay(packages[i], OURS, "HTTP/attacker.example.test");
        /* The victim answered (Negotiate's then waits for the server's mechListMIC): the
         * acceptor checks target names, and the victim sends one. */
        CHECK(o.victim == SEC_E_OK || o.victim == SEC_I_CONTINUE_NEEDED);
        CHECK_EQ(o.server, SEC_E_WRONG_PRINCIPAL);
        CHECK(o.challenge_seen && !o.outstanding); /* processed: withdrawn */
        /* Control: a knowing loopback to a named acceptor works. */
        o = relay(packages[i], OURS, OURS);
        CHECK_EQ(o.server, SEC_E_OK);
        /* An acceptor that requires the name keeps no record: the relay reaches it, refused. */
        o = relay_to(packages[i],
                     acceptor(packages[i], OURS, NEGRING_NTLM_TARGET_NAME_REQUIRED, false),
                     "HTTP/attacker.example.test");
        CHECK_EQ(o.server, SEC_E_WRONG_PRINCIPAL);
        CHECK(o.challenge_seen && !o.outstanding);
        /* A victim with no target name (Negotiate too goes to NTLM without one, as Windows'):
         * the acceptor's default policy would accept an AUTHENTICATE without one, so our
         * initiator refuses to answer its challenge and makes no AUTHENTICATE. */
        o = relay(packages[i], OURS, NULL);
        CHECK_EQ(o.victim, SEC_E_WRONG_PRINCIPAL);
        CHECK_EQ(o.victim_refusal_len, 0);
        CHECK_EQ(o.server, SEC_I_CONTINUE_NEEDED);
        /* With the check off, the named acceptor is as one that names nothing. */
        o = relay_to(packages[i], acceptor(packages[i], OURS, NEGRING_NTLM_TARGET_NAME_OFF, false),
                     OURS);
        CHECK_EQ(o.victim, SEC_E_WRONG_PRINCIPAL);
    }
}

/* Genuine local loopback (core/ntlm/ntlm_loopback.h): an acceptor that names no principal but
 * names this machine in its CHALLENGE (its defaults), and our initiator in the same process
 * aimed at this machine — "localhost" or the host name — completes, for both packages. Aimed
 * elsewhere, or at nothing, the same exchange is refused by the initiator: reflection. */
static void test_local_loopback_completes(void)
{
    char host[256], spn[300];
    REQUIRE(gethostname(host, sizeof(host)) == 0);
    host[sizeof(host) - 1] = '\0';
    static const char *const packages[] = {"NTLM", "Negotiate"};
    for (size_t i = 0; i < 2; i++) {
        struct outcome o =
            relay_to(packages[i], acceptor(packages[i], NULL, 0, true), "HTTP/localhost");
        CHECK_EQ(o.server, SEC_E_OK);
        snprintf(spn, sizeof(spn), "HTTP/%s:8080", host);
        o = relay_to(packages[i], acceptor(packages[i], NULL, 0, true), spn);
        CHECK_EQ(o.server, SEC_E_OK);
        o = relay_to(packages[i], acceptor(packages[i], NULL, 0, true),
                     "HTTP/attacker.example.test");
        CHECK_EQ(o.victim, SEC_E_WRONG_PRINCIPAL);
        CHECK_EQ(o.victim_refusal_len, 0);
        o = relay_to(packages[i], acceptor(packages[i], NULL, 0, true), NULL);
        CHECK_EQ(o.victim, SEC_E_WRONG_PRINCIPAL);
    }
}

/* The relay to an acceptor with no principal: our initiator recognises the challenge as one of
 * its own process's and makes no AUTHENTICATE; the acceptor is left waiting for one. Deleting
 * the acceptor's context takes the challenge out of the set. */
static void test_reflection_refused_without_a_principal(void)
{
    static const char *const packages[] = {"NTLM", "Negotiate"};
    static const char *const targets[] = {"HTTP/attacker.example.test", OURS, NULL};
    for (size_t i = 0; i < 2; i++) {
        for (size_t t = 0; t < (i == 0 ? 3u : 2u); t++) {
            struct outcome o = relay(packages[i], NULL, targets[t]);
            CHECK_EQ(o.victim, SEC_E_WRONG_PRINCIPAL);
            CHECK_EQ(o.victim_refusal_len, 0);
            CHECK_EQ(o.server, SEC_I_CONTINUE_NEEDED);
            CHECK(o.challenge_seen && o.outstanding);
            CHECK(!o.outstanding_after_delete);
        }
    }
}

static void send_token(int fd, const uint8_t *p, ULONG len)
{
    REQUIRE(write(fd, &len, sizeof(len)) == (ssize_t)sizeof(len));
    for (ULONG done = 0; done < len;) {
        ssize_t n = write(fd, p + done, len - done);
        REQUIRE(n > 0);
        done += (ULONG)n;
    }
}

/* 0 at the end of the stream. */
static ULONG recv_token(int fd, uint8_t *p)
{
    ULONG len = 0;
    ssize_t n = read(fd, &len, sizeof(len));
    if (n == 0)
        return 0;
    REQUIRE(n == (ssize_t)sizeof(len) && len <= TOKEN_MAX);
    for (ULONG done = 0; done < len;) {
        n = read(fd, p + done, len - done);
        REQUIRE(n > 0);
        done += (ULONG)n;
    }
    return len;
}

/* Our initiator in a child process: an independent client for the parent's acceptor, since the
 * child's set of outstanding challenges is a copy taken at the fork, before the acceptor issued
 * this challenge. Exits 0 once its side of the handshake is complete. */
static void child_client(const char *package, const char *target, int in, int out)
{
    CredHandle cred = client_cred(package);
    CtxtHandle ctx;
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG alen, blen = 0;
    for (bool first = true;; first = false) {
        SECURITY_STATUS st = initiate_token(&cred, &ctx, first, target, b, blen, a, &alen);
        if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
            fprintf(stderr, "child initiator: 0x%x\n", (unsigned)st);
            _exit(2);
        }
        if (alen > 0)
            send_token(out, a, alen);
        if (st == SEC_E_OK)
            _exit(0);
        if ((blen = recv_token(in, b)) == 0)
            _exit(3);
    }
}

/* The acceptor with no principal against the child's initiator: it still authenticates a client
 * that is not itself (NTLM with no target name at all, Negotiate with one). Its challenge is in
 * the set while the handshake waits for the AUTHENTICATE and leaves it once that is processed. */
static void authenticate_independent_client(const char *package, const char *target)
{
    CredHandle server = server_cred(package, NULL);
    int down[2], up[2];
    REQUIRE(pipe(down) == 0 && pipe(up) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        child_client(package, target, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    static uint8_t a[TOKEN_MAX], b[TOKEN_MAX];
    uint8_t challenge[8];
    bool seen = false;
    CtxtHandle s;
    SECURITY_STATUS ss = SEC_I_CONTINUE_NEEDED;
    ULONG alen, blen;
    for (bool first = true; ss == SEC_I_CONTINUE_NEEDED && (alen = recv_token(up[0], a)) > 0;
         first = false) {
        ss = accept_token(&server, &s, first, a, alen, b, &blen);
        if (first && ss == SEC_I_CONTINUE_NEEDED) {
            seen = challenge_of(b, blen, challenge);
            CHECK(seen && ng_ntlm_challenge_outstanding(challenge));
        }
        if (blen > 0)
            send_token(down[1], b, blen);
    }
    CHECK_EQ(ss, SEC_E_OK);
    CHECK(seen && !ng_ntlm_challenge_outstanding(challenge)); /* finished: out of the set */
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(&s, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, "EXAMPLE\\alice") == 0);
    FreeContextBuffer(names.sUserName);
    DeleteSecurityContext(&s);
    close(down[1]);
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(up[0]);
    FreeCredentialsHandle(&server);
}

static void test_acceptor_without_principal_still_authenticates_others(void)
{
    authenticate_independent_client("NTLM", NULL);
    authenticate_independent_client("Negotiate", OURS);
}

/* A NEGOTIATE as a client would send it, and an AUTHENTICATE that fails (an NTLMv1 answer). */
static void write_negotiate(struct ng_writer *w)
{
    *w = ng_writer_growable();
    ng_ntlm_write_negotiate(w, NG_NTLMSSP_NEGOTIATE_UNICODE | NG_NTLMSSP_NEGOTIATE_NTLM);
    REQUIRE(ng_writer_status(w) == NG_OK);
}

static void write_failing_authenticate(struct ng_writer *w)
{
    static const uint8_t v1[24] = {1};
    *w = ng_writer_growable();
    struct ng_ntlm_authenticate a = {.flags = NG_NTLMSSP_NEGOTIATE_UNICODE,
                                     .nt_response = ng_slice_of(v1, 24),
                                     .domain = ng_slice_of("E\0X\0", 4),
                                     .user = ng_slice_of("a\0", 2)};
    ng_ntlm_write_authenticate(w, &a);
    REQUIRE(ng_writer_status(w) == NG_OK);
}

/* A refused AUTHENTICATE also ends the challenge: out of the set before the context is deleted,
 * and the context takes no second AUTHENTICATE. */
static void test_failed_authenticate_withdraws_the_challenge(void)
{
    CredHandle server = server_cred("NTLM", NULL);
    struct ng_writer neg, auth;
    write_negotiate(&neg);
    write_failing_authenticate(&auth);
    static uint8_t out[TOKEN_MAX];
    ULONG out_len;
    uint8_t challenge[8];
    CtxtHandle s;
    REQUIRE(accept_token(&server, &s, true, neg.buf, (ULONG)neg.len, out, &out_len) ==
            SEC_I_CONTINUE_NEEDED);
    REQUIRE(challenge_of(out, out_len, challenge));
    CHECK(ng_ntlm_challenge_outstanding(challenge));
    CHECK_EQ(accept_token(&server, &s, false, auth.buf, (ULONG)auth.len, out, &out_len),
             SEC_E_LOGON_DENIED);
    CHECK(!ng_ntlm_challenge_outstanding(challenge));
    CHECK(accept_token(&server, &s, false, auth.buf, (ULONG)auth.len, out, &out_len) != SEC_E_OK);
    DeleteSecurityContext(&s);
    ng_writer_free(&neg);
    ng_writer_free(&auth);
    FreeCredentialsHandle(&server);
}

enum { TINY_LOG2 = 4, TINY_SLOTS = 1 << TINY_LOG2 };

/* In a child whose set is made with 2^4 slots (one window): 16 handshakes waiting for their
 * AUTHENTICATE fill it, and the 17th NEGOTIATE is refused with SEC_E_INSUFFICIENT_MEMORY, by
 * the NTLM package and by Negotiate taking raw NTLMSSP, rather than answered with a challenge
 * the set does not hold. An acceptor that requires a target name it checks, which needs no
 * entry, still answers; a processed
 * AUTHENTICATE or a deleted context makes room again. */
static void full_set_child(void)
{
    REQUIRE(setenv("NEGRING_NTLM_CHALLENGE_SET_LOG2", "4", 1) == 0);
    CredHandle ntlm = server_cred("NTLM", NULL), negotiate = server_cred("Negotiate", NULL),
               named = acceptor("NTLM", OURS, NEGRING_NTLM_TARGET_NAME_REQUIRED, false);
    struct ng_writer neg, auth;
    write_negotiate(&neg);
    write_failing_authenticate(&auth);
    static uint8_t out[TOKEN_MAX];
    ULONG out_len;
    CtxtHandle held[TINY_SLOTS], extra;
    for (int i = 0; i < TINY_SLOTS; i++)
        CHECK_EQ(accept_token(&ntlm, &held[i], true, neg.buf, (ULONG)neg.len, out, &out_len),
                 SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(accept_token(&ntlm, &extra, true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_E_INSUFFICIENT_MEMORY);
    CHECK_EQ(out_len, 0);
    CHECK_EQ(accept_token(&negotiate, &extra, true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_E_INSUFFICIENT_MEMORY);
    CHECK_EQ(accept_token(&named, &extra, true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_I_CONTINUE_NEEDED);
    DeleteSecurityContext(&extra);
    /* A refused AUTHENTICATE on one waiting handshake frees its slot at once; deleting that
     * context later frees nothing more. */
    CHECK_EQ(accept_token(&ntlm, &held[0], false, auth.buf, (ULONG)auth.len, out, &out_len),
             SEC_E_LOGON_DENIED);
    CtxtHandle replacement;
    CHECK_EQ(accept_token(&ntlm, &replacement, true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_I_CONTINUE_NEEDED);
    CHECK_EQ(accept_token(&ntlm, &extra, true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_E_INSUFFICIENT_MEMORY);
    DeleteSecurityContext(&held[0]);
    held[0] = replacement;
    CHECK_EQ(accept_token(&ntlm, &extra, true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_E_INSUFFICIENT_MEMORY);
    /* So does a deleted context. */
    DeleteSecurityContext(&held[1]);
    CHECK_EQ(accept_token(&negotiate, &held[1], true, neg.buf, (ULONG)neg.len, out, &out_len),
             SEC_I_CONTINUE_NEEDED);
    for (int i = 0; i < TINY_SLOTS; i++)
        DeleteSecurityContext(&held[i]);
    ng_writer_free(&neg);
    ng_writer_free(&auth);
    FreeCredentialsHandle(&ntlm);
    FreeCredentialsHandle(&negotiate);
    FreeCredentialsHandle(&named);
    _exit(check_failures == 0 && check_passes > 0 ? 0 : 1);
}

/* A first NEGOTIATE with its allocations failing in turn: each refusal clean, the number of
 * the attempt that succeeded returned (its context in *s, its CHALLENGE in out). */
static unsigned long accept_under_allocation_failures(CredHandle *cred, const struct ng_writer *neg,
                                                      CtxtHandle *s, uint8_t *out, ULONG *out_len)
{
    SECURITY_STATUS st = SEC_E_INSUFFICIENT_MEMORY;
    unsigned long n = 0;
    while (st == SEC_E_INSUFFICIENT_MEMORY && n < 100) {
        ng_alloc_fail_after(++n);
        st = accept_token(cred, s, true, neg->buf, (ULONG)neg->len, out, out_len);
        unsigned long seen = ng_alloc_fail_after(0);
        if (st == SEC_E_INSUFFICIENT_MEMORY)
            CHECK(seen >= n); /* refused only where an allocation failed */
    }
    CHECK_EQ(st, SEC_I_CONTINUE_NEEDED);
    return n;
}

/* In a child with no set yet: an unnamed acceptor's first NEGOTIATE also makes the set (once,
 * when it draws the challenge). The attempt whose set creation fails is refused cleanly like the
 * others, and the set's allocation counts once more in the attempt that makes it, so the unnamed
 * acceptor succeeds at most one attempt later than a named one, recording its challenge; after
 * that it needs exactly what a named one does: a failed creation is retried, never left half
 * made, and a made set is not made again. */
static void set_creation_child(void)
{
    CredHandle ntlm = server_cred("NTLM", NULL),
               named = acceptor("NTLM", OURS, NEGRING_NTLM_TARGET_NAME_REQUIRED, false);
    struct ng_writer neg;
    write_negotiate(&neg);
    static uint8_t out[TOKEN_MAX];
    ULONG out_len;
    uint8_t challenge[8];
    CtxtHandle s;
    /* One named accept first, so one-time allocations of the library are out of the count. */
    REQUIRE(accept_token(&named, &s, true, neg.buf, (ULONG)neg.len, out, &out_len) ==
            SEC_I_CONTINUE_NEEDED);
    DeleteSecurityContext(&s);
    unsigned long without_set = accept_under_allocation_failures(&named, &neg, &s, out, &out_len);
    DeleteSecurityContext(&s);
    unsigned long making_set = accept_under_allocation_failures(&ntlm, &neg, &s, out, &out_len);
    CHECK(making_set == without_set || making_set == without_set + 1);
    CHECK(challenge_of(out, out_len, challenge) && ng_ntlm_challenge_outstanding(challenge));
    DeleteSecurityContext(&s);
    CHECK(!ng_ntlm_challenge_outstanding(challenge));
    CHECK_EQ(accept_under_allocation_failures(&ntlm, &neg, &s, out, &out_len), without_set);
    CHECK(challenge_of(out, out_len, challenge) && ng_ntlm_challenge_outstanding(challenge));
    DeleteSecurityContext(&s);
    ng_writer_free(&neg);
    FreeCredentialsHandle(&ntlm);
    FreeCredentialsHandle(&named);
    _exit(check_failures == 0 && check_passes > 0 ? 0 : 1);
}

static void run_child(void (*child)(void))
{
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        child();
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* These run first: the set is made once per process, so each child must be forked before this
 * process has issued any challenge (it would otherwise inherit a full-size set). */
static void test_full_set_refuses_the_negotiate(void)
{
    run_child(full_set_child);
}

static void test_failed_set_creation_is_retried(void)
{
    run_child(set_creation_child);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a child that died early shows in its exit status */
    char dir[] = "/tmp/ntlm_reflection.XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    write_db();
    RUN(test_full_set_refuses_the_negotiate);
    RUN(test_failed_set_creation_is_retried);
    RUN(test_reflection_refused_by_the_target_name);
    RUN(test_reflection_refused_without_a_principal);
    RUN(test_local_loopback_completes);
    RUN(test_acceptor_without_principal_still_authenticates_others);
    RUN(test_failed_authenticate_withdraws_the_challenge);
    unlink(db_path);
    rmdir(dir);
    return check_report();
}
