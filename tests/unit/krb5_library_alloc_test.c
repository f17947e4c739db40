/* Allocation failures inside MIT krb5 itself on the accept path (tests/harness/krb5_alloc_hook.h:
 * libkrb5's, libk5crypto's and libkrb5support's own malloc/calloc/realloc), which
 * ng_alloc_fail_after cannot reach. For n = 1, 2, ... only the n-th of them fails, until an
 * accept sees fewer than n; each accept must end in SEC_E_OK (the failure was absorbed, e.g. by
 * falling back from the ticket cache to krb5_rd_req) or SEC_E_INSUFFICIENT_MEMORY, never
 * another status, and the ASan build finds no leak.
 *
 * The cached-ticket path (core/kerberos/krb5_cached_accept.c, mutual authentication, as a client
 * reusing its service ticket) does its crypto on nettle (krb5_aes.h) and makes no libkrb5
 * allocation at all, which this test holds it to, while the first accept of a ticket (through
 * krb5_rd_req) shows the hook does count libkrb5's. That path is not walked: there libkrb5's
 * krb5_is_permitted_enctype answers "not permitted" when its own allocation fails, so an
 * out-of-memory ticket looks like a refused enctype (KRB5_NOPERM_ETYPE) and cannot be told
 * apart (docs/hostile-input.md). */
#include <negring/sspi.h>
#include <stdatomic.h>

#include "check.h"
#include "gss_peer.h"
#include "krb5_alloc_hook.h"
#include "realm.h"

enum { MAX_POINTS = 2000 };

static struct ng_test_realm realm;
static atomic_ulong fail_at, seen;

static bool nth_fails(void)
{
    unsigned long at = atomic_load(&fail_at);
    return at != 0 && atomic_fetch_add(&seen, 1) + 1 == at;
}

static gss_buffer_desc mit_token(gss_OID mech)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", mech, GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG,
                                  NULL) == 0);
    gss_buffer_desc tok;
    if (GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)))
        ng_gss_initiator_report(&c, "mit_token");
    REQUIRE(!GSS_ERROR(c.major));
    ng_gss_initiator_free(&c);
    return tok;
}

/* One accept of a fresh MIT token with libkrb5's allocation `n` failing (0: none). */
static SECURITY_STATUS accept_once(PCredHandle cred, gss_OID mech, unsigned long n,
                                   unsigned long *allocations)
{
    static uint8_t out_bytes[NG_PEER_MAX_TOKEN];
    gss_buffer_desc t = mit_token(mech); /* the initiator's own libkrb5 calls are not counted */
    SecBuffer in_buf = {(ULONG)t.length, SECBUFFER_TOKEN, t.value};
    SecBufferDesc in_desc = {SECBUFFER_VERSION, 1, &in_buf};
    SecBuffer out_buf = {sizeof(out_bytes), SECBUFFER_TOKEN, out_bytes};
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out_buf};
    ULONG attrs = 0;
    CtxtHandle ctx;
    atomic_store(&seen, 0);
    atomic_store(&fail_at, n);
    SECURITY_STATUS st = AcceptSecurityContext(cred, NULL, &in_desc, ASC_REQ_MUTUAL_AUTH,
                                               SECURITY_NATIVE_DREP, &ctx, &out_desc, &attrs, NULL);
    atomic_store(&fail_at, 0);
    *allocations = atomic_load(&seen);
    if (st == SEC_E_OK) {
        CHECK(out_buf.cbBuffer > 0); /* the AP-REP of mutual authentication */
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    }
    OM_uint32 minor;
    gss_release_buffer(&minor, &t);
    return st;
}

static void cached_accept_uses_no_libkrb5_memory(const char *name, const char *package,
                                                 gss_OID mech)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor(NULL, package, NULL, 0, &cred) == SEC_E_OK);
    unsigned long first, cached;
    /* Failing the MAX_POINTS-th allocation fails none (an accept makes far fewer): all counted. */
    CHECK_EQ(accept_once(&cred, mech, MAX_POINTS, &first), SEC_E_OK); /* caches the ticket */
    CHECK(first > 0); /* krb5_rd_req: the hook reaches libkrb5 */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(accept_once(&cred, mech, 1, &cached), SEC_E_OK);
        CHECK_EQ(cached, 0);
    }
    fprintf(stderr, "%s: first accept %lu libkrb5 allocations, cached accepts %lu\n", name, first,
            cached);
    FreeCredentialsHandle(&cred);
}

static void test_kerberos_cached_accept(void)
{
    cached_accept_uses_no_libkrb5_memory("kerberos cached accept", "Kerberos", gss_mech_krb5);
}

static void test_negotiate_cached_accept(void)
{
    cached_accept_uses_no_libkrb5_memory("negotiate cached accept", "Negotiate", gss_mech_spnego);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_test_hook_krb5_allocs(nth_fails) > 0);
    RUN(test_kerberos_cached_accept);
    RUN(test_negotiate_cached_accept);
    ng_test_realm_stop(&realm);
    return check_report();
}
