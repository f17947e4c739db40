/* SetCredentialsAttributes(SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD): a thread prepared while
 * krb5.conf is good accepts a Kerberos ticket after krb5.conf has become unreadable, because its
 * krb5_context (and the profile) was made by the preparation; an unprepared thread's first
 * accept reads krb5.conf then and fails. Also: NTLM-only credentials need nothing, a broken
 * krb5.conf is reported by the preparation itself, stale handles are refused. */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "gss_peer.h"
#include "realm.h"

static struct ng_test_realm realm;
static CredHandle server;
static char broken[400], db[400];

/* A raw Kerberos AP-REQ from MIT's initiator (one leg, no mutual authentication). */
static size_t mit_token(uint8_t *out, size_t cap)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_krb5, 0, NULL) == 0);
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)));
    REQUIRE(tok.length <= cap);
    memcpy(out, tok.value, tok.length);
    size_t len = tok.length;
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
    ng_gss_initiator_free(&c);
    return len;
}

static SECURITY_STATUS accept_token(const uint8_t *tok, size_t len)
{
    static _Thread_local struct ng_accept_leg leg;
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = &server, .ctx_out = &ctx, .in = tok, .in_len = len}, &leg);
    if (leg.status == SEC_E_OK)
        DeleteSecurityContext(&ctx);
    return leg.status;
}

/* A worker: optionally prepared, then waits for the go and accepts its token. */
struct worker {
    bool prepare;
    SECURITY_STATUS prepared, accepted;
    const uint8_t *tok;
    size_t len;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *phase; /* 1: prepared, 2: go */
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    w->prepared =
        w->prepare
            ? SetCredentialsAttributesA(&server, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0)
            : SEC_E_OK;
    pthread_mutex_lock(w->mu);
    *w->phase = 1;
    pthread_cond_broadcast(w->cv);
    while (*w->phase != 2)
        pthread_cond_wait(w->cv, w->mu);
    pthread_mutex_unlock(w->mu);
    w->accepted = accept_token(w->tok, w->len);
    return NULL;
}

/* Runs a worker whose krb5.conf turns unreadable between its preparation and its accept. */
static void run_worker(struct worker *w, const char *broken_conf)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int phase = 0;
    w->mu = &mu;
    w->cv = &cv;
    w->phase = &phase;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, worker_run, w) == 0);
    pthread_mutex_lock(&mu);
    while (phase != 1)
        pthread_cond_wait(&cv, &mu);
    setenv("KRB5_CONFIG", broken_conf, 1); /* the worker waits on the condition variable */
    phase = 2;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    setenv("KRB5_CONFIG", realm.krb5_config, 1);
}

static void test_prepared_thread_does_not_read_krb5_conf_on_accept(void)
{
    static uint8_t tok1[NG_PEER_MAX_TOKEN], tok2[NG_PEER_MAX_TOKEN];
    struct worker prepared = {.prepare = true, .tok = tok1};
    struct worker unprepared = {.prepare = false, .tok = tok2};
    prepared.len = mit_token(tok1, sizeof(tok1));
    unprepared.len = mit_token(tok2, sizeof(tok2));
    run_worker(&prepared, broken);
    CHECK_EQ(prepared.prepared, SEC_E_OK);
    CHECK_EQ(prepared.accepted, SEC_E_OK);
    run_worker(&unprepared, broken);
    CHECK_EQ(unprepared.accepted, SEC_E_INTERNAL_ERROR); /* its krb5_context was made now */
}

static void *prepare_only(void *arg)
{
    *(SECURITY_STATUS *)arg =
        SetCredentialsAttributesA(&server, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0);
    return NULL;
}

static void test_preparation_reports_a_broken_krb5_conf(void)
{
    SECURITY_STATUS st = 0;
    pthread_t t;
    setenv("KRB5_CONFIG", broken, 1);
    REQUIRE(pthread_create(&t, NULL, prepare_only, &st) == 0);
    pthread_join(t, NULL);
    setenv("KRB5_CONFIG", realm.krb5_config, 1);
    CHECK_EQ(st, SEC_E_INTERNAL_ERROR);
}

static void test_ntlm_only_and_bad_handles(void)
{
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .Keytab = "FILE:/nonexistent/keytab",
                                        .UserDatabase = db};
    CredHandle ntlm;
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_INBOUND, NULL, &data, NULL, NULL,
                                      &ntlm, NULL) == SEC_E_OK);
    CHECK_EQ(SetCredentialsAttributesA(&ntlm, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0),
             SEC_E_OK);
    FreeCredentialsHandle(&ntlm);
    CHECK_EQ(SetCredentialsAttributesA(&ntlm, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0),
             SEC_E_INVALID_HANDLE);
    CHECK_EQ(SetCredentialsAttributesA(NULL, SECPKG_CRED_ATTR_NEGRING_PREPARE_THREAD, NULL, 0),
             SEC_E_INVALID_HANDLE);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    snprintf(broken, sizeof(broken), "%s/broken-krb5.conf", realm.dir);
    snprintf(db, sizeof(db), "%s/ntlm-users", realm.dir);
    FILE *f = fopen(broken, "w");
    REQUIRE(f != NULL);
    fputs("[libdefaults\n default_realm = \n", f); /* a profile syntax error */
    fclose(f);
    f = fopen(db, "w");
    REQUIRE(f != NULL);
    fputs("EXAMPLE:alice:8846F7EAEE8FB117AD06BDD830B7586C:\n", f);
    fclose(f);
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", realm.keytab, 0, &server) == SEC_E_OK);
    RUN(test_prepared_thread_does_not_read_krb5_conf_on_accept);
    RUN(test_preparation_reports_a_broken_krb5_conf);
    RUN(test_ntlm_only_and_bad_handles);
    FreeCredentialsHandle(&server);
    ng_test_realm_stop(&realm);
    return check_report();
}
