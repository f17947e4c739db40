/* The cached-ticket accept path under concurrency: WORKERS threads accept MIT tokens that all
 * carry the same service ticket through one CredHandle while another thread reloads the
 * credentials' keys over and over (each reload swaps in a keystore with an empty ticket cache
 * and clears the old one under the workers' feet). Proves: every accept succeeds, both paths
 * run (cached and libkrb5), and nothing races (also built with ThreadSanitizer:
 * cached_accept_reload_tsan, tests/tsan.cmake). */
#include <negring/sspi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "gss_peer.h"
#include "krb5_cached_accept.h"
#include "realm.h"

#define WORKERS 4
#define TOKENS  150

static struct ng_test_realm realm;
static CredHandle cred;
static gss_buffer_desc tokens[WORKERS][TOKENS];
static atomic_int ok, failed, reloads, workers_left = WORKERS;
static atomic_long cached;

static void *worker(void *arg)
{
    gss_buffer_desc *mine = arg;
    static _Thread_local unsigned char out[NG_PEER_MAX_TOKEN];
    for (int i = 0; i < TOKENS; i++) {
        SecBuffer ib = {(ULONG)mine[i].length, SECBUFFER_TOKEN, mine[i].value};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
        SecBuffer ob = {sizeof(out), SECBUFFER_TOKEN, out};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle ctx;
        ULONG attrs;
        SECURITY_STATUS s = AcceptSecurityContext(&cred, NULL, &id, ASC_REQ_MUTUAL_AUTH,
                                                  SECURITY_NATIVE_DREP, &ctx, &od, &attrs, NULL);
        if (s == SEC_E_OK && ob.cbBuffer > 0 && (attrs & ASC_RET_MUTUAL_AUTH)) {
            atomic_fetch_add(&ok, 1);
        } else {
            atomic_fetch_add(&failed, 1);
            fprintf(stderr, "accept %d: 0x%08x\n", i, (unsigned)s);
        }
        if (s == SEC_E_OK)
            DeleteSecurityContext(&ctx);
        if (i % 10 == 9)
            usleep(1000); /* spread the accepts over the reloads' 2 ms cadence */
    }
    atomic_fetch_add(&cached, (long)ng_krb5_cached_accept_count());
    atomic_fetch_sub(&workers_left, 1);
    return NULL;
}

static void *reloader(void *arg)
{
    while (atomic_load(&workers_left) > 0) {
        if (SetCredentialsAttributesA(&cred, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0) ==
            SEC_E_OK)
            atomic_fetch_add(&reloads, 1);
        usleep(2000);
    }
    return NULL;
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", realm.keytab, 0, &cred) == SEC_E_OK);
    for (int w = 0; w < WORKERS; w++)
        for (int i = 0; i < TOKENS; i++) {
            struct ng_gss_initiator c;
            REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego,
                                          GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, NULL) == 0);
            REQUIRE(ng_gss_initiator_step(&c, NULL, 0, &tokens[w][i]) == GSS_S_CONTINUE_NEEDED);
            ng_gss_initiator_free(&c);
        }
    pthread_t th[WORKERS], rl;
    REQUIRE(pthread_create(&rl, NULL, reloader, NULL) == 0);
    for (int w = 0; w < WORKERS; w++)
        REQUIRE(pthread_create(&th[w], NULL, worker, tokens[w]) == 0);
    for (int w = 0; w < WORKERS; w++)
        pthread_join(th[w], NULL);
    pthread_join(rl, NULL);
    CHECK_EQ(atomic_load(&ok), WORKERS * TOKENS);
    CHECK_EQ(atomic_load(&failed), 0);
    CHECK(atomic_load(&reloads) > 0);
    CHECK(atomic_load(&cached) > 0);                /* the cached path ran */
    CHECK(atomic_load(&cached) < WORKERS * TOKENS); /* and so did libkrb5 after reloads */
    fprintf(stderr, "accepts %d, from the ticket cache %ld, reloads %d\n", atomic_load(&ok),
            atomic_load(&cached), atomic_load(&reloads));
    OM_uint32 minor;
    for (int w = 0; w < WORKERS; w++)
        for (int i = 0; i < TOKENS; i++)
            gss_release_buffer(&minor, &tokens[w][i]);
    FreeCredentialsHandle(&cred);
    ng_test_realm_stop(&realm);
    return check_report();
}
