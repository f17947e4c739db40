/* Many complete handshakes at once through one shared acceptor CredHandle and one shared
 * initiator CredHandle: WORKERS threads each run ROUNDS handshakes (our initiator -> our
 * acceptor, every context its own), while an attacker thread forges handles from live ones,
 * replays handles already deleted, and queries live handles of other threads as they are being
 * deleted (so the last release, and the free, often happens on the attacker's thread).
 *
 * Proves: every handshake authenticates alice to the service that thread asked for; a context
 * handle is refused once deleted; a forged or stale handle never reaches a context; and no handle
 * ever yields another handshake's context — each context's session key (fresh per handshake) is
 * checked against the one both sides agreed on. Also built with ThreadSanitizer
 * (concurrent_accept_tsan, tests/tsan.cmake). */
#include "check.h"
#include "realm.h"

#include <negring/sspi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#ifndef WORKERS
#define WORKERS 8
#endif
#ifndef ROUNDS
#define ROUNDS 500
#endif
#define TOKEN_MAX 12288
#define RING      64
#define KEY_MAX   64

static struct ng_test_realm realm;
static CredHandle client_cred, server_cred;

/* The shared CHECK counters of check.h are not atomic; threads count here. */
static atomic_int failures, handshakes, forged_refused, stale_refused, live_hits;
static atomic_bool workers_done;

#define T_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            atomic_fetch_add(&failures, 1);                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

static const char *const services[2] = {"HTTP/localhost", "host/localhost"};

/* A context handle and what it must yield, shared between threads under `ring_lock`. */
struct entry {
    CtxtHandle handle;
    unsigned char key[KEY_MAX];
    ULONG key_len;
    bool used;
};

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry live_ring[RING], stale_ring[RING];
static unsigned live_next, stale_next;

static void ring_push(struct entry *ring, unsigned *next, const CtxtHandle *h,
                      const unsigned char *key, ULONG key_len)
{
    pthread_mutex_lock(&ring_lock);
    struct entry *e = &ring[(*next)++ % RING];
    e->handle = *h;
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    e->used = true;
    pthread_mutex_unlock(&ring_lock);
}

static bool ring_pick(const struct entry *ring, unsigned pick, struct entry *out)
{
    pthread_mutex_lock(&ring_lock);
    *out = ring[pick % RING];
    pthread_mutex_unlock(&ring_lock);
    return out->used;
}

/* ---- one handshake ----------------------------------------------------------------------- */

struct pair {
    CtxtHandle client, server;
    bool have_client, have_server;
    ULONG client_attrs, server_attrs;
};

static SECURITY_STATUS isc(struct pair *p, const char *spn, ULONG req, const void *in, ULONG in_len,
                           unsigned char *out, ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS s = InitializeSecurityContextA(
        &client_cred, p->have_client ? &p->client : NULL, (SEC_CHAR *)spn, req, 0,
        SECURITY_NATIVE_DREP, in_len ? &id : NULL, 0, &p->client, &od, &p->client_attrs, NULL);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED)
        p->have_client = true;
    *out_len = ob.cbBuffer;
    return s;
}

static SECURITY_STATUS asc(struct pair *p, const void *in, ULONG in_len, unsigned char *out,
                           ULONG *out_len)
{
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {TOKEN_MAX, SECBUFFER_TOKEN, out};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS s = AcceptSecurityContext(&server_cred, p->have_server ? &p->server : NULL, &id,
                                              ASC_REQ_CONNECTION, SECURITY_NATIVE_DREP, &p->server,
                                              &od, &p->server_attrs, NULL);
    if (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED)
        p->have_server = true;
    *out_len = ob.cbBuffer;
    return s;
}

/* Negotiate, mutual or not: ISC -> ASC -> ISC. Both sides must finish with SEC_E_OK. */
static bool handshake(struct pair *p, const char *spn, bool mutual)
{
    unsigned char a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG a_len = 0, b_len = 0;
    ULONG req = ISC_REQ_CONNECTION | (mutual ? ISC_REQ_MUTUAL_AUTH : 0);
    memset(p, 0, sizeof(*p));
    SECURITY_STATUS s = isc(p, spn, req, NULL, 0, a, &a_len);
    T_CHECK(s == SEC_I_CONTINUE_NEEDED);
    if (s != SEC_I_CONTINUE_NEEDED)
        return false;
    s = asc(p, a, a_len, b, &b_len);
    T_CHECK(s == SEC_E_OK);
    if (s != SEC_E_OK)
        return false;
    s = isc(p, spn, req, b, b_len, a, &a_len);
    T_CHECK(s == SEC_E_OK);
    T_CHECK(a_len == 0);
    T_CHECK(((p->client_attrs & ISC_RET_MUTUAL_AUTH) != 0) == mutual);
    return s == SEC_E_OK;
}

static bool get_key(CtxtHandle *h, unsigned char *key, ULONG *len)
{
    SecPkgContext_SessionKey k = {0};
    if (QueryContextAttributesA(h, SECPKG_ATTR_SESSION_KEY, &k) != SEC_E_OK)
        return false;
    bool ok = k.SessionKeyLength > 0 && k.SessionKeyLength <= KEY_MAX;
    if (ok) {
        memcpy(key, k.SessionKey, k.SessionKeyLength);
        *len = k.SessionKeyLength;
    }
    FreeContextBuffer(k.SessionKey);
    return ok;
}

static bool names_are(CtxtHandle *h, const char *spn)
{
    SecPkgContext_NamesA n = {0};
    SecPkgContext_NativeNamesA nn = {0};
    if (QueryContextAttributesA(h, SECPKG_ATTR_NAMES, &n) != SEC_E_OK)
        return false;
    bool ok = strcmp(n.sUserName, realm.user) == 0;
    FreeContextBuffer(n.sUserName);
    if (QueryContextAttributesA(h, SECPKG_ATTR_NATIVE_NAMES, &nn) != SEC_E_OK)
        return false;
    char want[128];
    snprintf(want, sizeof(want), "%s@%s", spn, realm.realm);
    ok = ok && strcmp(nn.sClientName, realm.user) == 0 && strcmp(nn.sServerName, want) == 0;
    FreeContextBuffer(nn.sClientName);
    FreeContextBuffer(nn.sServerName);
    return ok;
}

static void check_refused(CtxtHandle *h)
{
    SecPkgContext_Flags f;
    T_CHECK(QueryContextAttributesA(h, SECPKG_ATTR_FLAGS, &f) == SEC_E_INVALID_HANDLE);
    T_CHECK(DeleteSecurityContext(h) == SEC_E_INVALID_HANDLE);
}

/* One round: a handshake, both sides checked against each other, published for the attacker,
 * deleted, and refused afterwards. */
static void worker_round(int id, int round)
{
    const char *spn = services[(id + round) % 2];
    struct pair p;
    bool done = handshake(&p, spn, round % 2 == 0);
    unsigned char ck[KEY_MAX], sk[KEY_MAX];
    ULONG ck_len = 0, sk_len = 0;
    if (done) {
        T_CHECK(get_key(&p.client, ck, &ck_len));
        T_CHECK(get_key(&p.server, sk, &sk_len));
        bool same = ck_len == sk_len && ck_len > 0 && memcmp(ck, sk, ck_len) == 0;
        T_CHECK(same);
        if (same) { /* published while still alive, so the attacker races the delete below */
            ring_push(live_ring, &live_next, &p.client, ck, ck_len);
            ring_push(live_ring, &live_next, &p.server, sk, sk_len);
        }
        bool named = names_are(&p.server, spn) && names_are(&p.client, spn);
        T_CHECK(named);
        if (same && named)
            atomic_fetch_add(&handshakes, 1);
    }
    if (p.have_client)
        T_CHECK(DeleteSecurityContext(&p.client) == SEC_E_OK);
    if (p.have_server)
        T_CHECK(DeleteSecurityContext(&p.server) == SEC_E_OK);
    if (!done)
        return;
    check_refused(&p.client);
    check_refused(&p.server);
    ring_push(stale_ring, &stale_next, &p.client, ck, ck_len);
    ring_push(stale_ring, &stale_next, &p.server, sk, sk_len);
}

/* Every tenth round: a context deleted between the legs (it holds the AP-REQ's auth context) is
 * refused for the next leg. */
static void worker_abandon(int id)
{
    struct pair p;
    unsigned char a[TOKEN_MAX], b[TOKEN_MAX];
    ULONG a_len = 0, b_len = 0;
    memset(&p, 0, sizeof(p));
    const char *spn = services[id % 2];
    T_CHECK(isc(&p, spn, ISC_REQ_MUTUAL_AUTH, NULL, 0, a, &a_len) == SEC_I_CONTINUE_NEEDED);
    T_CHECK(asc(&p, a, a_len, b, &b_len) == SEC_E_OK);
    if (p.have_client) {
        T_CHECK(DeleteSecurityContext(&p.client) == SEC_E_OK);
        T_CHECK(isc(&p, spn, ISC_REQ_MUTUAL_AUTH, b, b_len, a, &a_len) == SEC_E_INVALID_HANDLE);
        check_refused(&p.client);
    }
    if (p.have_server)
        T_CHECK(DeleteSecurityContext(&p.server) == SEC_E_OK);
}

/* ---- handoffs: a context's second leg on another thread than its first ------------------ */

/* The attacker starts a mutual handshake (ISC leg 1 and ASC) and leaves the in-progress client
 * context with the acceptor's reply in a worker's mailbox; the worker runs ISC leg 2 on its own
 * thread while the attacker goes on using its own krb5_context. */
struct mailbox {
    bool full;
    struct pair p;
    const char *spn;
    unsigned char reply[TOKEN_MAX];
    ULONG reply_len;
};

static struct mailbox mailboxes[WORKERS];
static atomic_int handoffs;

static void handoff_prepare(struct mailbox *box, const char *spn)
{
    struct mailbox fresh = {.spn = spn};
    unsigned char a[TOKEN_MAX];
    ULONG a_len = 0;
    SECURITY_STATUS s = isc(&fresh.p, spn, ISC_REQ_MUTUAL_AUTH, NULL, 0, a, &a_len);
    T_CHECK(s == SEC_I_CONTINUE_NEEDED);
    if (s == SEC_I_CONTINUE_NEEDED) {
        s = asc(&fresh.p, a, a_len, fresh.reply, &fresh.reply_len);
        T_CHECK(s == SEC_E_OK);
    }
    fresh.full = s == SEC_E_OK;
    pthread_mutex_lock(&ring_lock);
    bool taken = box->full;
    if (!taken)
        *box = fresh;
    pthread_mutex_unlock(&ring_lock);
    if (taken || !fresh.full) {
        if (fresh.p.have_client)
            T_CHECK(DeleteSecurityContext(&fresh.p.client) == SEC_E_OK);
        if (fresh.p.have_server)
            T_CHECK(DeleteSecurityContext(&fresh.p.server) == SEC_E_OK);
    }
}

static void handoff_finish(struct mailbox *box)
{
    pthread_mutex_lock(&ring_lock);
    struct mailbox *m = box->full ? malloc(sizeof(*m)) : NULL;
    if (m != NULL) {
        *m = *box;
        box->full = false;
    }
    pthread_mutex_unlock(&ring_lock);
    if (m == NULL)
        return;
    unsigned char a[TOKEN_MAX], ck[KEY_MAX], sk[KEY_MAX];
    ULONG a_len = 0, ck_len = 0, sk_len = 0;
    SECURITY_STATUS s = isc(&m->p, m->spn, ISC_REQ_MUTUAL_AUTH, m->reply, m->reply_len, a, &a_len);
    T_CHECK(s == SEC_E_OK);
    T_CHECK(m->p.client_attrs & ISC_RET_MUTUAL_AUTH);
    T_CHECK(get_key(&m->p.client, ck, &ck_len) && get_key(&m->p.server, sk, &sk_len));
    T_CHECK(ck_len == sk_len && memcmp(ck, sk, ck_len) == 0);
    T_CHECK(names_are(&m->p.client, m->spn));
    if (s == SEC_E_OK)
        atomic_fetch_add(&handoffs, 1);
    T_CHECK(DeleteSecurityContext(&m->p.client) == SEC_E_OK);
    T_CHECK(DeleteSecurityContext(&m->p.server) == SEC_E_OK);
    free(m);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int round = 0; round < ROUNDS; round++) {
        handoff_finish(&mailboxes[id]);
        worker_round(id, round);
        if (round % 10 == 5)
            worker_abandon(id);
    }
    return NULL;
}

/* ---- the attacker ------------------------------------------------------------------------- */

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Variants of a real handle that must never be valid: another MAC, another generation, another
 * slot with the same MAC, the handle of a credential kind. */
static void forge(const CtxtHandle *real, uint64_t *rng)
{
    CtxtHandle f[5];
    for (int i = 0; i < 5; i++)
        f[i] = *real;
    f[0].dwUpper ^= (ULONG_PTR)1 << (next_random(rng) % 64);
    f[1].dwLower += 1;                     /* generation + 1 */
    f[2].dwLower += (ULONG_PTR)1 << 32;    /* next slot, same generation */
    f[3].dwLower ^= (ULONG_PTR)0xff << 56; /* another kind tag */
    f[4].dwLower = next_random(rng);
    f[4].dwUpper = next_random(rng);
    for (int i = 0; i < 5; i++) {
        SecPkgContext_Flags flags;
        SECURITY_STATUS q = QueryContextAttributesA(&f[i], SECPKG_ATTR_FLAGS, &flags);
        SECURITY_STATUS d = DeleteSecurityContext(&f[i]);
        T_CHECK(q == SEC_E_INVALID_HANDLE);
        T_CHECK(d == SEC_E_INVALID_HANDLE);
        if (q == SEC_E_INVALID_HANDLE && d == SEC_E_INVALID_HANDLE)
            atomic_fetch_add(&forged_refused, 1);
    }
}

/* A handle seen live may have been deleted since; if it still answers, it must be the very
 * context it was (same session key), never a newer one in a reused slot. */
static void probe_live(const struct entry *e)
{
    CtxtHandle h = e->handle;
    unsigned char key[KEY_MAX];
    ULONG len = 0;
    SecPkgContext_SessionKey k = {0};
    SECURITY_STATUS s = QueryContextAttributesA(&h, SECPKG_ATTR_SESSION_KEY, &k);
    T_CHECK(s == SEC_E_OK || s == SEC_E_INVALID_HANDLE);
    if (s != SEC_E_OK)
        return;
    len = k.SessionKeyLength;
    if (len <= KEY_MAX)
        memcpy(key, k.SessionKey, len);
    FreeContextBuffer(k.SessionKey);
    T_CHECK(len == e->key_len && memcmp(key, e->key, len) == 0);
    atomic_fetch_add(&live_hits, 1);
}

static void probe_stale(const struct entry *e)
{
    CtxtHandle h = e->handle;
    SecPkgContext_SessionKey k;
    SECURITY_STATUS q = QueryContextAttributesA(&h, SECPKG_ATTR_SESSION_KEY, &k);
    SECURITY_STATUS d = DeleteSecurityContext(&h);
    T_CHECK(q == SEC_E_INVALID_HANDLE);
    T_CHECK(d == SEC_E_INVALID_HANDLE);
    if (q == SEC_E_OK)
        FreeContextBuffer(k.SessionKey);
    if (q == SEC_E_INVALID_HANDLE && d == SEC_E_INVALID_HANDLE)
        atomic_fetch_add(&stale_refused, 1);
}

static void *attacker(void *arg)
{
    uint64_t rng = 0x9e3779b97f4a7c15u;
    CtxtHandle invalid;
    SecInvalidateHandle(&invalid);
    CtxtHandle zero = {0, 0};
    for (unsigned long loop = 0; !atomic_load(&workers_done); loop++) {
        struct entry e;
        if (loop % 64 == 0) {
            unsigned box = (unsigned)(next_random(&rng) % WORKERS);
            handoff_prepare(&mailboxes[box], services[box % 2]);
        }
        if (ring_pick(live_ring, (unsigned)next_random(&rng), &e)) {
            probe_live(&e);
            forge(&e.handle, &rng);
        }
        if (ring_pick(stale_ring, (unsigned)next_random(&rng), &e))
            probe_stale(&e);
        check_refused(&invalid);
        check_refused(&zero);
        /* A credential handle is not a context handle. */
        check_refused((CtxtHandle *)&server_cred);
    }
    return arg;
}

static void test_concurrent_handshakes(void)
{
    TimeStamp expiry;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &client_cred, &expiry) == SEC_E_OK);
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL, NULL, NULL,
                                      NULL, &server_cred, &expiry) == SEC_E_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t workers[WORKERS], bad;
    REQUIRE(pthread_create(&bad, NULL, attacker, NULL) == 0);
    for (int i = 0; i < WORKERS; i++)
        REQUIRE(pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    atomic_store(&workers_done, true);
    pthread_join(bad, NULL);
    for (int i = 0; i < WORKERS; i++)
        handoff_finish(&mailboxes[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr,
            "%d handshakes by %d threads in %.1f s; attacker: %d forged and %d stale handles "
            "refused, %d live hits; %d second legs on another thread\n",
            atomic_load(&handshakes), WORKERS, secs, atomic_load(&forged_refused),
            atomic_load(&stale_refused), atomic_load(&live_hits), atomic_load(&handoffs));
    CHECK_EQ(atomic_load(&failures), 0);
    CHECK_EQ(atomic_load(&handshakes), WORKERS * ROUNDS);
    CHECK(atomic_load(&forged_refused) > 0);
    CHECK(atomic_load(&stale_refused) > 0);
    CHECK(atomic_load(&handoffs) > 0);

    /* The shared credentials outlived every context made from them and still work. */
    struct pair p;
    CHECK(handshake(&p, services[0], true));
    if (p.have_client)
        CHECK_EQ(DeleteSecurityContext(&p.client), SEC_E_OK);
    if (p.have_server)
        CHECK_EQ(DeleteSecurityContext(&p.server), SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&client_cred), SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&server_cred), SEC_E_OK);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    RUN(test_concurrent_handshakes);
    ng_test_realm_stop(&realm);
    return check_report() || atomic_load(&failures) != 0;
}
