/* NTLM under concurrency: many threads running whole handshakes against one set of acceptor
 * credentials while another thread keeps reloading the account database (the snapshot swap
 * must never hand a handshake a freed database), then many threads sealing on one shared
 * context at once (the session's RC4 stream and sequence numbers are serialised: sorted by
 * sequence number, every message unseals). Built with TSan too (tests/tsan.cmake). */
#include <negring/sspi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "ntlm_crypto.h"

#define THREADS    4
#define HANDSHAKES 60
#define MESSAGES   50

static char dir[64], db_path[128];
static CredHandle server;
static atomic_bool stop;
static atomic_int failures, accepted, reloads;

static void write_db(void)
{
    uint8_t hash[16];
    REQUIRE(ng_nt_hash("Secret1", 7, hash) == NG_OK);
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.%lu", db_path, (unsigned long)pthread_self());
    FILE *f = fopen(tmp, "w");
    REQUIRE(f != NULL);
    fputs("EXAMPLE:alice:", f);
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x", hash[i]);
    fputs(":\n", f);
    fclose(f);
    REQUIRE(rename(tmp, db_path) == 0);
}

static SECURITY_STATUS one_handshake(CredHandle *client, CtxtHandle *cc, CtxtHandle *sc)
{
    uint8_t a[4096], b[4096];
    ULONG attrs, blen = 0;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    for (int leg = 0; leg < 2; leg++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {sizeof(a), SECBUFFER_TOKEN, a};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        cs = InitializeSecurityContextA(client, leg ? cc : NULL, "HTTP/x", 0, 0,
                                        SECURITY_NATIVE_DREP, leg ? &id : NULL, 0, cc, &od, &attrs,
                                        NULL);
        if (cs != SEC_E_OK && cs != SEC_I_CONTINUE_NEEDED)
            return cs;
        SecBuffer sib = {ob.cbBuffer, SECBUFFER_TOKEN, a}, sob = {sizeof(b), SECBUFFER_TOKEN, b};
        SecBufferDesc sid = {SECBUFFER_VERSION, 1, &sib}, sod = {SECBUFFER_VERSION, 1, &sob};
        TimeStamp ts;
        ss = AcceptSecurityContext(&server, leg ? sc : NULL, &sid, 0, SECURITY_NATIVE_DREP, sc,
                                   &sod, &attrs, &ts);
        if (ss != SEC_E_OK && ss != SEC_I_CONTINUE_NEEDED)
            break;
        blen = sob.cbBuffer;
    }
    if (cs == SEC_E_OK)
        DeleteSecurityContext(cc);
    return ss;
}

static CredHandle client_cred(const char *password)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",    5,
                                    (unsigned char *)"EXAMPLE",  7,
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    CredHandle h;
    REQUIRE(AcquireCredentialsHandleA(NULL, "NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &h,
                                      NULL) == SEC_E_OK);
    return h;
}

static void *handshakes(void *arg)
{
    CredHandle good = client_cred("Secret1"), bad = client_cred("Secret2");
    for (int i = 0; i < HANDSHAKES; i++) {
        bool wrong = i % 5 == 4;
        CtxtHandle cc, sc;
        SECURITY_STATUS st = one_handshake(wrong ? &bad : &good, &cc, &sc);
        if (st != (wrong ? SEC_E_LOGON_DENIED : SEC_E_OK))
            atomic_fetch_add(&failures, 1);
        else if (!wrong)
            atomic_fetch_add(&accepted, 1);
        DeleteSecurityContext(&sc);
    }
    FreeCredentialsHandle(&good);
    FreeCredentialsHandle(&bad);
    return arg;
}

static void *reloader(void *arg)
{
    while (!atomic_load(&stop)) {
        write_db();
        if (SetCredentialsAttributesA(&server, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0) !=
            SEC_E_OK)
            atomic_fetch_add(&failures, 1);
        atomic_fetch_add(&reloads, 1);
        usleep(200);
    }
    return arg;
}

static void test_handshakes_while_reloading(void)
{
    pthread_t t[THREADS], r;
    REQUIRE(pthread_create(&r, NULL, reloader, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, handshakes, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&stop, true);
    pthread_join(r, NULL);
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK_EQ(atomic_load(&accepted), THREADS * (HANDSHAKES - HANDSHAKES / 5));
    CHECK(atomic_load(&reloads) > 0);
}

struct sealed {
    uint8_t sig[16];
    uint8_t data[24];
};

static CtxtHandle shared_client, shared_server;
static struct sealed sealed[THREADS * MESSAGES];
static atomic_int next_slot;

static void *sealer(void *arg)
{
    for (int i = 0; i < MESSAGES; i++) {
        struct sealed *m = &sealed[atomic_fetch_add(&next_slot, 1)];
        snprintf((char *)m->data, sizeof(m->data), "message %d %d", *(int *)arg, i);
        SecBuffer b[2] = {{sizeof(m->data), SECBUFFER_DATA, m->data},
                          {16, SECBUFFER_TOKEN, m->sig}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if (EncryptMessage(&shared_client, 0, &d, 0) != SEC_E_OK)
            atomic_fetch_add(&failures, 1);
    }
    return arg;
}

static int by_sequence(const void *x, const void *y)
{
    const struct sealed *a = x, *b = y;
    uint32_t sa = a->sig[12] | a->sig[13] << 8, sb = b->sig[12] | b->sig[13] << 8;
    return sa < sb ? -1 : sa > sb;
}

static void test_sealing_from_many_threads_on_one_context(void)
{
    CredHandle c = client_cred("Secret1");
    uint8_t a[4096], b[4096];
    ULONG attrs, blen = 0;
    for (int leg = 0; leg < 2; leg++) {
        SecBuffer ib = {blen, SECBUFFER_TOKEN, b}, ob = {sizeof(a), SECBUFFER_TOKEN, a};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        InitializeSecurityContextA(&c, leg ? &shared_client : NULL, "HTTP/x",
                                   ISC_REQ_CONFIDENTIALITY, 0, SECURITY_NATIVE_DREP,
                                   leg ? &id : NULL, 0, &shared_client, &od, &attrs, NULL);
        SecBuffer sib = {ob.cbBuffer, SECBUFFER_TOKEN, a}, sob = {sizeof(b), SECBUFFER_TOKEN, b};
        SecBufferDesc sid = {SECBUFFER_VERSION, 1, &sib}, sod = {SECBUFFER_VERSION, 1, &sob};
        TimeStamp ts;
        AcceptSecurityContext(&server, leg ? &shared_server : NULL, &sid, 0, SECURITY_NATIVE_DREP,
                              &shared_server, &sod, &attrs, &ts);
        blen = sob.cbBuffer;
    }
    pthread_t t[THREADS];
    static int ids[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ids[i] = i;
        REQUIRE(pthread_create(&t[i], NULL, sealer, &ids[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    qsort(sealed, THREADS * MESSAGES, sizeof(sealed[0]), by_sequence);
    int ok = 0;
    for (int i = 0; i < THREADS * MESSAGES; i++) {
        SecBuffer bb[2] = {{sizeof(sealed[i].data), SECBUFFER_DATA, sealed[i].data},
                           {16, SECBUFFER_TOKEN, sealed[i].sig}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, bb};
        ULONG qop;
        ok += DecryptMessage(&shared_server, &d, 0, &qop) == SEC_E_OK &&
              memcmp(sealed[i].data, "message ", 8) == 0;
    }
    CHECK_EQ(ok, THREADS * MESSAGES);
    CHECK_EQ(atomic_load(&failures), 0);
    DeleteSecurityContext(&shared_client);
    DeleteSecurityContext(&shared_server);
    FreeCredentialsHandle(&c);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ntlm-concurrent-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/users", dir);
    write_db();
    NEGRING_ACCEPTOR_AUTH_DATA2 data = {.Version = NEGRING_ACCEPTOR_AUTH_DATA_VERSION_2,
                                        .UserDatabase = db_path};
    /* Named as the clients' target: our initiator refuses a challenge from an acceptor of its
     * own process that names no principal (reflection, ntlm_reflection_test.c). */
    REQUIRE(AcquireCredentialsHandleA("HTTP/x", "NTLM", SECPKG_CRED_INBOUND, NULL, &data, NULL,
                                      NULL, &server, NULL) == SEC_E_OK);
    RUN(test_handshakes_while_reloading);
    RUN(test_sealing_from_many_threads_on_one_context);
    FreeCredentialsHandle(&server);
    unlink(db_path);
    rmdir(dir);
    return check_report();
}
