/* In-process Kerberos accept through SPNEGO: negring's AcceptSecurityContext (Negotiate, keys
 * from the realm's keytab) against MIT's gss_accept_sec_context (SPNEGO, the same keytab on
 * disk, its default file replay cache), on the same pre-made tokens, each acceptor seeing each
 * token exactly once. One iteration = one complete accept of one initial token, including
 * building the reply (AP-REP inside NegTokenResp) and deleting the context.
 *
 * All tokens carry the same service ticket (one client, as an HTTP client reuses its ticket),
 * so after the first accept negring takes its cached-ticket path; negring_uncached empties the
 * ticket cache before every accept, for the cost of a ticket seen for the first time. Before its
 * first timed run each acceptor may accept `warmup` tokens untimed, so both are measured in steady
 * state (the replay caches' memory touched, negring's ticket cache filled). */
#include "benchmarks.h"

#include <gssapi/gssapi.h>
#include <negring/sspi.h>
#include <stdatomic.h>
#include <stdio.h>

#include "gss_peer.h"
#include "negring_internal.h"
#include "realm.h"
#include "token_pool.h"

struct consumer {
    size_t next; /* first pool token this acceptor has not seen */
    bool warm;
};

/* Both negring benchmarks share one cursor: negring's replay cache is process-wide. */
static struct consumer negring_consumer, mit_consumer;
static size_t warmup_tokens;

/* Untimed: makes sure the pool holds the tokens this run will use (after the warm-up ones on the
 * first run); returns the first index. */
static bool take_tokens(struct ng_bench_state *st, struct consumer *c, size_t *first,
                        size_t *warmup)
{
    size_t n = (size_t)ng_bench_max_iterations(st);
    *warmup = c->warm ? 0 : warmup_tokens;
    c->warm = true;
    if (bench_pool_ensure(c->next + *warmup + n) != 0) {
        ng_bench_fail(st, "cannot make the token pool (realm or gss_init_sec_context failed)");
        return false;
    }
    *first = c->next;
    c->next += *warmup + n;
    return true;
}

static void report(struct ng_bench_state *st, const char *who, int64_t ok, int64_t failed)
{
    ng_bench_set_items(st, ok + failed);
    ng_bench_counter(st, "failed", (double)failed);
    if (failed > 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: %lld of %lld accepts failed", who, (long long)failed,
                 (long long)(ok + failed));
        ng_bench_fail(st, msg);
    }
}

static bool negring_accept_one(CredHandle *cred, const struct bench_token *t)
{
    static unsigned char out[NG_PEER_MAX_TOKEN];
    SecBuffer ib = {(ULONG)t->len, SECBUFFER_TOKEN, t->data};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {sizeof(out), SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS s = AcceptSecurityContext(cred, NULL, &id,
                                              ASC_REQ_MUTUAL_AUTH | ASC_REQ_REPLAY_DETECT |
                                                  ASC_REQ_SEQUENCE_DETECT |
                                                  ASC_REQ_CONFIDENTIALITY | ASC_REQ_CONNECTION,
                                              SECURITY_NATIVE_DREP, &ctx, &od, &attrs, NULL);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED)
        DeleteSecurityContext(&ctx);
    return s == SEC_E_OK && ob.cbBuffer > 0;
}

/* negring's acceptor as a server sets it up (ringserver does the same on each worker): inbound
 * credentials over the realm's keytab, the thread prepared (krb5.conf read, the replay cache's
 * memory backed), so that a fresh process accepts at steady-state speed. */
static bool acquire_server(struct ng_bench_state *st, CredHandle *cred)
{
    if (ng_acquire_acceptor(NULL, "Negotiate", bench_realm()->keytab, 0, cred) != SEC_E_OK) {
        ng_bench_fail(st, "AcquireCredentialsHandle failed");
        return false;
    }
    if (SetCredentialsAttributesA(cred, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0) !=
        SEC_E_OK) {
        FreeCredentialsHandle(cred);
        ng_bench_fail(st, "preparing the thread failed");
        return false;
    }
    return true;
}

/* Untimed accepts before the first run; a function of its own so profiles can leave it out. */
static __attribute__((noinline)) int64_t negring_warm_up(CredHandle *cred, size_t first, size_t n)
{
    int64_t failed = 0;
    for (size_t i = first; i < first + n; i++)
        failed += !negring_accept_one(cred, bench_pool_token(i));
    return failed;
}

static void bench_negring_accept(struct ng_bench_state *st, void *arg)
{
    size_t i, warmup;
    CredHandle cred;
    if (!take_tokens(st, &negring_consumer, &i, &warmup) || !acquire_server(st, &cred))
        return;
    int64_t ok = 0, failed = negring_warm_up(&cred, i, warmup);
    i += warmup;
    while (ng_bench_running(st)) {
        if (negring_accept_one(&cred, bench_pool_token(i++)))
            ok++;
        else
            failed++;
    }
    FreeCredentialsHandle(&cred);
    report(st, "negring", ok, failed);
}

/* Every accept a ticket-cache miss: the credentials' ticket cache is emptied (untimed) before
 * each one, so each accept is a ticket's first use (the ordinary ticket's path without
 * krb5_rd_req, krb5_first_use.h) in a warm server, and fills the cache. (A key reload would
 * empty it too, but with new keys and a new cache table each time: the accept would pay for
 * cold keys and the fresh table's page faults, which a running server pays once per reload.) */
static void bench_negring_uncached(struct ng_bench_state *st, void *arg)
{
    size_t i, warmup;
    CredHandle cred;
    if (!take_tokens(st, &negring_consumer, &i, &warmup) || !acquire_server(st, &cred))
        return;
    int64_t ok = 0, failed = negring_warm_up(&cred, i, warmup);
    i += warmup;
    while (ng_bench_running(st)) {
        ng_bench_pause(st);
        failed += negring_forget_tickets(&cred) != 0;
        ng_bench_resume(st);
        if (negring_accept_one(&cred, bench_pool_token(i++)))
            ok++;
        else
            failed++;
    }
    FreeCredentialsHandle(&cred);
    report(st, "negring (uncached)", ok, failed);
}

/* negring from 1..N threads at once over one CredHandle (one keystore, one ticket cache, one
 * replay cache), each thread on its own slice of the pool; wall-clock time, total accepts/s.
 * Thread 0 prepares everything before the start barrier of the timed loop. */
static CredHandle mt_cred;
static size_t mt_first;
static bool mt_ready;
static atomic_long mt_failed;

static void mt_prepare(struct ng_bench_state *st, size_t n)
{
    size_t warmup;
    atomic_store(&mt_failed, 0);
    mt_ready = false;
    if (!take_tokens(st, &negring_consumer, &mt_first, &warmup))
        return;
    negring_consumer.next += n * (size_t)(ng_bench_threads(st) - 1); /* the others' slices */
    if (bench_pool_ensure(negring_consumer.next) != 0) {
        ng_bench_fail(st, "token pool failed");
        return;
    }
    if (!acquire_server(st, &mt_cred))
        return;
    atomic_fetch_add(&mt_failed, negring_warm_up(&mt_cred, mt_first, warmup));
    mt_first += warmup;
    mt_ready = true;
}

static void bench_negring_threads(struct ng_bench_state *st, void *arg)
{
    size_t n = (size_t)ng_bench_max_iterations(st), i = 0;
    if (ng_bench_thread_index(st) == 0)
        mt_prepare(st, n);
    int64_t ok = 0;
    while (ng_bench_running(st)) {
        size_t at = mt_first + (size_t)ng_bench_thread_index(st) * n + i++;
        if (!mt_ready)
            continue; /* thread 0 failed and reported it */
        if (negring_accept_one(&mt_cred, bench_pool_token(at)))
            ok++;
        else
            atomic_fetch_add(&mt_failed, 1);
    }
    ng_bench_set_items(st, ok); /* summed over the threads */
    if (ng_bench_thread_index(st) == 0 && mt_ready) {
        FreeCredentialsHandle(&mt_cred);
        long failed = atomic_load(&mt_failed);
        ng_bench_counter(st, "failed", (double)failed);
        if (failed > 0)
            ng_bench_fail(st, "negring (threads): some accepts failed");
    }
}

static bool mit_accept_one(gss_cred_id_t cred, const struct bench_token *t)
{
    OM_uint32 minor, flags = 0;
    gss_buffer_desc in = {t->len, t->data}, out = GSS_C_EMPTY_BUFFER;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_name_t src = GSS_C_NO_NAME;
    OM_uint32 major = gss_accept_sec_context(&minor, &ctx, cred, &in, GSS_C_NO_CHANNEL_BINDINGS,
                                             &src, NULL, &out, &flags, NULL, NULL);
    bool ok = major == GSS_S_COMPLETE && out.length > 0;
    gss_release_buffer(&minor, &out);
    gss_release_name(&minor, &src);
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    return ok;
}

static __attribute__((noinline)) int64_t mit_warm_up(gss_cred_id_t cred, size_t first, size_t n)
{
    int64_t failed = 0;
    for (size_t i = first; i < first + n; i++)
        failed += !mit_accept_one(cred, bench_pool_token(i));
    return failed;
}

static void bench_mit_accept(struct ng_bench_state *st, void *arg)
{
    size_t i, warmup;
    if (!take_tokens(st, &mit_consumer, &i, &warmup))
        return;
    OM_uint32 major, minor;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    gss_OID_set_desc mechs = {1, gss_mech_spnego};
    /* One acceptor credential for the whole run (KRB5_KTNAME names the keytab): MIT's best case. */
    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &cred,
                             NULL, NULL);
    if (GSS_ERROR(major)) {
        ng_bench_fail(st, "gss_acquire_cred failed");
        return;
    }
    int64_t ok = 0, failed = mit_warm_up(cred, i, warmup);
    i += warmup;
    while (ng_bench_running(st)) {
        if (mit_accept_one(cred, bench_pool_token(i++)))
            ok++;
        else
            failed++;
    }
    gss_release_cred(&minor, &cred);
    report(st, "mit", ok, failed);
}

void bench_register_krb5_accept(uint64_t tokens, uint64_t warmup, int max_threads)
{
    struct ng_bench_opts mt = {
        .iterations = tokens, .min_threads = 1, .max_threads = max_threads, .real_time = true};
    struct ng_bench_opts opts = {.iterations = tokens};
    warmup_tokens = (size_t)warmup;
    ng_bench_register("krb5_accept/negring", bench_negring_accept, NULL, &opts);
    ng_bench_register("krb5_accept/negring_uncached", bench_negring_uncached, NULL, &opts);
    ng_bench_register("krb5_accept/mit", bench_mit_accept, NULL, &opts);
    ng_bench_register("krb5_accept_threads/negring", bench_negring_threads, NULL, &mt);
}
