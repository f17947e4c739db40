/* In-process NTLM accept (issue 5's NTLM target): the acceptor's share of a complete
 * three-message handshake, the initiator's work excluded. One iteration = one handshake's
 * acceptor work: AcceptSecurityContext("NTLM") on a NEGOTIATE (-> CHALLENGE), on the
 * AUTHENTICATE that answers it (-> SEC_E_OK) and DeleteSecurityContext. The client is our own
 * NTLM initiator (NTLMv2, extended session security, key exchange, MIC, as Windows and curl
 * send it) against an account file of ACCOUNTS users, one CredHandle shared by all threads.
 *
 * How the initiator is kept out of the time: the AUTHENTICATE depends on the server challenge,
 * so the initiator cannot run before the timed phase. Instead the handshakes run in batches of
 * BATCH slots, pipelined: iteration i (slot s) answers the AUTHENTICATE of the handshake begun
 * in slot s during the previous batch (second leg, then delete) and begins a new handshake in
 * slot s (first leg). Between batches the timer is paused while the initiator answers every
 * slot's CHALLENGE and makes the next NEGOTIATEs. So the timed loop holds exactly the acceptor's
 * work, one handshake per iteration, and the pause/resume clock reads cost 1/BATCH of an
 * iteration each. Before the loop (untimed) the first batch's first legs are run, so every timed
 * iteration completes a handshake.
 *
 * ntlm_accept/negotiate_spnego does the same through the Negotiate package on both sides: NTLM
 * inside SPNEGO as HTTP "Negotiate" clients without Kerberos send it, the acceptor's last leg
 * also verifying the client's mechListMIC and signing its own (MS-SPNG §3.3.5.1).
 * ntlm_handshake/both_sides runs the NTLM loop without pausing: the whole handshake, both sides;
 * the initiator's share is the difference. */
#include <negring/sspi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchmarks.h"
#include "negring_internal.h"

enum { BATCH = 32, ACCOUNTS = 1000, TOKEN_MAX = 2888 /* Windows' NTLM cbMaxToken */ };

static const char password[] = "Secret1", target[] = "HTTP/localhost";
/* Credentials of each package (both made once, shared by every run and thread). */
enum package { PKG_NTLM, PKG_NEGOTIATE, PKG_COUNT };
static const char *const package_names[PKG_COUNT] = {"NTLM", "Negotiate"};
static CredHandle server_cred[PKG_COUNT], client_cred[PKG_COUNT];
static bool creds_ready;

struct variant {
    enum package package;
    bool pause_initiator;
};
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/* One handshake in flight: its first leg was accepted, the initiator has yet to answer. */
struct slot {
    CtxtHandle client, server;
    bool begun;    /* both legs 1 done: client and server hold contexts */
    bool answered; /* the initiator wrote the AUTHENTICATE into auth */
    ULONG chal_len, auth_len, neg_len;
    uint8_t neg[TOKEN_MAX], chal[TOKEN_MAX], auth[TOKEN_MAX];
};

/* An account file of ACCOUNTS users of domain EXAMPLE ("alice" among them), in a fresh
 * directory under $TMPDIR. Returns false when it cannot be written. */
static bool write_accounts(char *path, size_t size)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/negring-bench-ntlm.XXXXXX", tmp);
    if (mkdtemp(dir) == NULL)
        return false;
    snprintf(path, size, "%s/users", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    struct negring_account e = {.domain = "EXAMPLE"};
    bool ok = negring_nt_hash(password, strlen(password), e.nt_hash) == 0;
    for (int i = 0; ok && i < ACCOUNTS; i++) {
        char line[NEGRING_ACCOUNT_LINE_MAX];
        if (i == ACCOUNTS / 2)
            snprintf(e.user, sizeof(e.user), "alice");
        else
            snprintf(e.user, sizeof(e.user), "user%04d", i);
        negring_account_format(&e, line, sizeof(line));
        ok = fprintf(f, "%s\n", line) > 0;
    }
    return fclose(f) == 0 && ok;
}

static void setup(void)
{
    static char path[300];
    if (!write_accounts(path, sizeof(path)))
        return;
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .UserDatabase = path};
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",    5,
                                    (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    /* Negotiate: no keytab on the acceptor, and no KDC for the client's domain, so both sides
     * take NTLM (inside SPNEGO), as Windows' Negotiate does without a domain controller. The
     * acceptor names the principal the client targets: our initiator refuses a challenge from
     * an acceptor of its own process that names none (reflection, docs/ntlm.md). */
    creds_ready = true;
    for (int p = 0; p < PKG_COUNT; p++) {
        char *name = (char *)package_names[p];
        creds_ready =
            creds_ready &&
            AcquireCredentialsHandleA((char *)target, name, SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                      NULL, &server_cred[p], NULL) == SEC_E_OK &&
            AcquireCredentialsHandleA(NULL, name, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                      &client_cred[p], NULL) == SEC_E_OK;
    }
    /* The file is read; the directory goes now so an interrupted run leaves nothing behind. */
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
}

static const ULONG isc_flags = ISC_REQ_CONNECTION | ISC_REQ_INTEGRITY | ISC_REQ_CONFIDENTIALITY |
                               ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT;
static const ULONG asc_flags = ASC_REQ_CONNECTION | ASC_REQ_INTEGRITY | ASC_REQ_CONFIDENTIALITY |
                               ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT;

static SECURITY_STATUS initiate(const struct variant *v, CtxtHandle *ctx, bool first,
                                const uint8_t *in, ULONG in_len, uint8_t *out, ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    SECURITY_STATUS s = InitializeSecurityContextA(
        &client_cred[v->package], first ? NULL : ctx, (char *)target, isc_flags, 0,
        SECURITY_NATIVE_DREP, first ? NULL : &id, 0, ctx, &od, &attrs, NULL);
    *out_len = ob.cbBuffer;
    return s;
}

static SECURITY_STATUS accept_leg(const struct variant *v, CtxtHandle *ctx, bool first,
                                  const uint8_t *in, ULONG in_len, uint8_t *out, ULONG out_cap,
                                  ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {out_cap, SECBUFFER_TOKEN, out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    ULONG attrs;
    TimeStamp expiry;
    SECURITY_STATUS s =
        AcceptSecurityContext(&server_cred[v->package], first ? NULL : ctx, &id, asc_flags,
                              SECURITY_NATIVE_DREP, ctx, &od, &attrs, &expiry);
    *out_len = ob.cbBuffer;
    return s;
}

/* Untimed, between batches: the initiator answers every begun handshake (its client context is
 * then done). Returns the number of failures. */
static int64_t initiator_turn(const struct variant *v, struct slot *slots)
{
    int64_t failed = 0;
    for (int s = 0; s < BATCH; s++) {
        struct slot *sl = &slots[s];
        if (sl->begun) {
            /* Through Negotiate the client would still check the acceptor's mechListMIC: not
             * needed for the acceptor's work, so its context goes here too. */
            SECURITY_STATUS st =
                initiate(v, &sl->client, false, sl->chal, sl->chal_len, sl->auth, &sl->auth_len);
            sl->answered = st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED;
            DeleteSecurityContext(&sl->client);
            if (!sl->answered) {
                DeleteSecurityContext(&sl->server);
                failed++;
            }
        }
        sl->begun = false;
    }
    return failed;
}

/* The acceptor's part for one slot (timed): finish the answered handshake, begin a new one.
 * The slot's new client context and NEGOTIATE are made by begin_clients beforehand. */
static int64_t acceptor_turn(const struct variant *v, struct slot *sl, CtxtHandle *new_client)
{
    int64_t failed = 0;
    if (sl->answered) {
        ULONG len;
        uint8_t out[256]; /* no token for raw NTLM; SPNEGO's final NegTokenResp with a MIC */
        failed += accept_leg(v, &sl->server, false, sl->auth, sl->auth_len, out, sizeof(out),
                             &len) != SEC_E_OK;
        DeleteSecurityContext(&sl->server);
        sl->answered = false;
    }
    if (accept_leg(v, &sl->server, true, sl->neg, sl->neg_len, sl->chal, TOKEN_MAX,
                   &sl->chal_len) == SEC_I_CONTINUE_NEEDED) {
        sl->client = *new_client;
        sl->begun = true;
    } else {
        DeleteSecurityContext(new_client);
        failed++;
    }
    return failed;
}

/* Untimed: the initiator's first leg for every slot (a fresh client context each). */
static int64_t begin_clients(const struct variant *v, struct slot *slots, CtxtHandle *clients)
{
    int64_t failed = 0;
    for (int s = 0; s < BATCH; s++)
        failed += initiate(v, &clients[s], true, NULL, 0, slots[s].neg, &slots[s].neg_len) !=
                  SEC_I_CONTINUE_NEEDED;
    return failed;
}

static void cleanup(struct slot *slots)
{
    for (int s = 0; s < BATCH; s++) {
        if (slots[s].begun) {
            DeleteSecurityContext(&slots[s].client);
            DeleteSecurityContext(&slots[s].server);
        }
        if (slots[s].answered)
            DeleteSecurityContext(&slots[s].server);
    }
}

static void bench_ntlm(struct ng_bench_state *st, void *arg)
{
    const struct variant *v = arg;
    pthread_once(&setup_once, setup);
    struct slot *slots = calloc(BATCH, sizeof(*slots));
    CtxtHandle clients[BATCH];
    if (!creds_ready || slots == NULL) {
        ng_bench_fail(st, "cannot write the account file or acquire the NTLM credentials");
        free(slots);
        return;
    }
    /* Untimed: the first batch's first legs, so every timed iteration completes a handshake. */
    int64_t failed = begin_clients(v, slots, clients);
    for (int s = 0; s < BATCH; s++)
        failed += acceptor_turn(v, &slots[s], &clients[s]);
    int s = 0;
    while (ng_bench_running(st)) {
        if (s == 0) {
            if (v->pause_initiator)
                ng_bench_pause(st);
            failed += initiator_turn(v, slots);
            failed += begin_clients(v, slots, clients);
            if (v->pause_initiator)
                ng_bench_resume(st);
        }
        failed += acceptor_turn(v, &slots[s], &clients[s]);
        s = (s + 1) % BATCH;
    }
    /* Slots past s got a fresh client context this batch that no acceptor turn took over. */
    for (int t = s; s != 0 && t < BATCH; t++)
        DeleteSecurityContext(&clients[t]);
    cleanup(slots);
    free(slots);
    /* Items (handshakes) and counters are summed over the threads by Google Benchmark. */
    ng_bench_set_items(st, (int64_t)ng_bench_iterations(st));
    ng_bench_counter(st, "failed", (double)failed);
    if (failed > 0)
        ng_bench_fail(st, "some NTLM handshakes failed");
}

void bench_register_ntlm_accept(int max_threads)
{
    static const struct variant ntlm = {PKG_NTLM, true}, negotiate = {PKG_NEGOTIATE, true},
                                both_sides = {PKG_NTLM, false};
    struct ng_bench_opts one = {0};
    struct ng_bench_opts mt = {.min_threads = 1, .max_threads = max_threads, .real_time = true};
    ng_bench_register("ntlm_accept/negring", bench_ntlm, (void *)&ntlm, &one);
    ng_bench_register("ntlm_accept/negotiate_spnego", bench_ntlm, (void *)&negotiate, &one);
    ng_bench_register("ntlm_accept_threads/negring", bench_ntlm, (void *)&ntlm, &mt);
    ng_bench_register("ntlm_handshake/both_sides", bench_ntlm, (void *)&both_sides, &one);
}
