/* Allocation-failure injection over whole operations (core/base/alloc.h ng_alloc_fail_after): for
 * n = 1, 2, ... the n-th allocation and every later one fail, until a run sees fewer than n
 * allocations, i.e. every allocation point has been made to fail once. Each failing run must end
 * in SEC_E_INSUFFICIENT_MEMORY (or, where a failure is absorbed, success), never a crash, a
 * wrong status or a leak (the ASan build runs with leak detection), and the run with nothing
 * failing must succeed, so state left behind by a failure never breaks the next operation.
 *
 * accept_status_test covers a single-leg SPNEGO accept this way; here: the raw Kerberos package,
 * delegation into a MEMORY ccache, each leg of the three-leg mechListMIC exchange, the
 * NegTokenInit2 offer, AcquireCredentialsHandle, context attribute queries, and the initiator's
 * two legs. */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <negring/sspi.h>
#include <stdint.h>

#include "alloc.h"
#include "check.h"
#include "gss_peer.h"
#include "mech_oid.h"
#include "realm.h"
#include "spnego.h"
#include "writer.h"

enum { MAX_POINTS = 3000 };

static struct ng_test_realm realm;
static CredHandle negotiate, kerberos;
static const OM_uint32 mutual = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG;

/* One run of an operation with allocation `fail_at` failing; returns the status of the call
 * under injection and the allocations it saw. */
typedef SECURITY_STATUS (*scenario_fn)(unsigned long fail_at, unsigned long *seen);

static void every_allocation(const char *name, scenario_fn run, SECURITY_STATUS success)
{
    unsigned long n, nomem = 0;
    for (n = 1; n < MAX_POINTS; n++) {
        unsigned long seen = 0;
        SECURITY_STATUS st = run(n, &seen);
        if (seen < n) { /* nothing failed: the operation as a whole must work */
            CHECK_EQ(st, success);
            break;
        }
        if (st == SEC_E_INSUFFICIENT_MEMORY) {
            nomem++;
        } else if (st != success) {
            fprintf(stderr, "%s: allocation %lu failing gave 0x%08x\n", name, n, (unsigned)st);
            CHECK_EQ(st, SEC_E_INSUFFICIENT_MEMORY);
        }
    }
    CHECK(n < MAX_POINTS);
    CHECK(n == 1 || nomem > 0); /* a leg may allocate nothing (the last MIC leg does not) */
    fprintf(stderr, "%s: %lu allocation points, %lu gave SEC_E_INSUFFICIENT_MEMORY\n", name, n - 1,
            nomem);
}

static gss_buffer_desc mit_token(gss_OID mech, OM_uint32 flags)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", mech, flags, NULL) == 0);
    gss_buffer_desc tok;
    if (GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)))
        ng_gss_initiator_report(&c, "mit_token");
    REQUIRE(!GSS_ERROR(c.major));
    ng_gss_initiator_free(&c);
    return tok;
}

static void release(gss_buffer_desc *b)
{
    OM_uint32 minor;
    gss_release_buffer(&minor, b);
}

/* One accept leg under injection, with an ALLOCATE_MEMORY output freed whatever the status. */
static SECURITY_STATUS accept_injected(PCredHandle cred, PCtxtHandle ctx_in, PCtxtHandle ctx_out,
                                       const void *in, size_t in_len, ULONG req,
                                       unsigned long fail_at, unsigned long *seen)
{
    static uint8_t out_bytes[NG_PEER_MAX_TOKEN];
    bool allocate = (req & ASC_REQ_ALLOCATE_MEMORY) != 0;
    SecBuffer in_buf = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc in_desc = {SECBUFFER_VERSION, 1, &in_buf};
    SecBuffer out_buf = {allocate ? 0 : sizeof(out_bytes), SECBUFFER_TOKEN,
                         allocate ? NULL : out_bytes};
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out_buf};
    ULONG attrs = 0;
    ng_alloc_fail_after(fail_at);
    SECURITY_STATUS st = AcceptSecurityContext(cred, ctx_in, &in_desc, req, SECURITY_NATIVE_DREP,
                                               ctx_out, &out_desc, &attrs, NULL);
    *seen = ng_alloc_fail_after(0);
    if (allocate) {
        CHECK_EQ((attrs & ASC_RET_ALLOCATED_MEMORY) != 0, out_buf.pvBuffer != NULL);
        if (out_buf.pvBuffer != NULL)
            CHECK_EQ(FreeContextBuffer(out_buf.pvBuffer), SEC_E_OK);
    }
    return st;
}

/* ---- accept ------------------------------------------------------------------------------- */

static SECURITY_STATUS kerberos_raw(unsigned long fail_at, unsigned long *seen)
{
    gss_buffer_desc t = mit_token(gss_mech_krb5, mutual);
    CtxtHandle ctx;
    SECURITY_STATUS st =
        accept_injected(&kerberos, NULL, &ctx, t.value, t.length, 0, fail_at, seen);
    if (st == SEC_E_OK)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    release(&t);
    return st;
}

static void test_kerberos_package_accept(void)
{
    every_allocation("kerberos raw accept", kerberos_raw, SEC_E_OK);
}

/* A forwarded TGT stored into a MEMORY ccache (ASC_REQ_DELEGATE), output allocated. */
static SECURITY_STATUS negotiate_delegate(unsigned long fail_at, unsigned long *seen)
{
    gss_buffer_desc t = mit_token(gss_mech_spnego, mutual | GSS_C_DELEG_FLAG);
    CtxtHandle ctx;
    SECURITY_STATUS st = accept_injected(&negotiate, NULL, &ctx, t.value, t.length,
                                         ASC_REQ_DELEGATE | ASC_REQ_ALLOCATE_MEMORY, fail_at, seen);
    if (st == SEC_E_OK)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    release(&t);
    return st;
}

static void test_delegation_accept(void)
{
    every_allocation("negotiate delegation accept", negotiate_delegate, SEC_E_OK);
}

static SECURITY_STATUS init2_offer(unsigned long fail_at, unsigned long *seen)
{
    CtxtHandle ctx;
    SECURITY_STATUS st = accept_injected(&negotiate, NULL, &ctx, NULL, 0, 0, fail_at, seen);
    if (st == SEC_I_CONTINUE_NEEDED)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    return st;
}

static void test_negtokeninit2_offer(void)
{
    every_allocation("NegTokenInit2 offer", init2_offer, SEC_I_CONTINUE_NEEDED);
}

/* The three-leg exchange of RFC 4178 §5 (Kerberos chosen second): NegTokenInit {NEGOEX, krb5},
 * NegTokenResp {AP-REQ} answered with our MIC, NegTokenResp {client MIC}. Injection hits only
 * leg `mic_leg`; the legs before it run clean and the context is deleted whatever happens. */
static int mic_leg;

static SECURITY_STATUS mic_exchange(unsigned long fail_at, unsigned long *seen)
{
    static const enum ng_mech mechs[] = {NG_MECH_NEGOEX, NG_MECH_KRB5};
    static const SECURITY_STATUS clean[3] = {SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED,
                                             SEC_E_OK};
    struct ng_gss_initiator c;
    gss_buffer_desc krb, mic;
    OM_uint32 minor;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_krb5, GSS_C_INTEG_FLAG, NULL) ==
            0);
    REQUIRE(ng_gss_initiator_step(&c, NULL, 0, &krb) == GSS_S_COMPLETE);
    struct ng_writer legs[3] = {ng_writer_growable(), ng_writer_growable(), ng_writer_growable()};
    struct ng_writer list = ng_writer_growable();
    REQUIRE(ng_spnego_write_mech_list(&list, mechs, 2) == NG_OK);
    gss_buffer_desc list_buf = {list.len, list.buf};
    REQUIRE(gss_get_mic(&minor, c.ctx, GSS_C_QOP_DEFAULT, &list_buf, &mic) == GSS_S_COMPLETE);
    REQUIRE(ng_spnego_write_init(&legs[0], mechs, 2, NG_SLICE_EMPTY, NG_SLICE_EMPTY) == NG_OK);
    REQUIRE(ng_spnego_write_resp(&legs[1], NG_NEG_STATE_ABSENT, NG_MECH_NONE,
                                 ng_slice_of(krb.value, krb.length), NG_SLICE_EMPTY) == NG_OK);
    REQUIRE(ng_spnego_write_resp(&legs[2], NG_NEG_STATE_ACCEPT_COMPLETED, NG_MECH_NONE,
                                 NG_SLICE_EMPTY, ng_slice_of(mic.value, mic.length)) == NG_OK);
    CtxtHandle ctx;
    bool have_ctx = false;
    SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
    for (int i = 0; i <= mic_leg; i++) {
        unsigned long unused;
        bool injected = i == mic_leg;
        st = accept_injected(&negotiate, have_ctx ? &ctx : NULL, &ctx, legs[i].buf, legs[i].len,
                             ASC_REQ_ALLOCATE_MEMORY, injected ? fail_at : 0,
                             injected ? seen : &unused);
        if (!injected)
            REQUIRE(st == clean[i]);
        if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
            have_ctx = true;
    }
    if (have_ctx)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    for (int i = 0; i < 3; i++)
        ng_writer_free(&legs[i]);
    ng_writer_free(&list);
    release(&krb);
    release(&mic);
    ng_gss_initiator_free(&c);
    return st;
}

static void test_mic_exchange_each_leg(void)
{
    static const SECURITY_STATUS success[3] = {SEC_I_CONTINUE_NEEDED, SEC_I_CONTINUE_NEEDED,
                                               SEC_E_OK};
    static const char *const names[3] = {"mic exchange leg 1", "mic exchange leg 2",
                                         "mic exchange leg 3"};
    for (mic_leg = 0; mic_leg < 3; mic_leg++)
        every_allocation(names[mic_leg], mic_exchange, success[mic_leg]);
}

/* ---- credentials and attributes ----------------------------------------------------------- */

static SECURITY_STATUS acquire_inbound(unsigned long fail_at, unsigned long *seen)
{
    NEGRING_ACCEPTOR_AUTH_DATA data = {NEGRING_ACCEPTOR_AUTH_DATA_VERSION, realm.keytab, 0, NULL};
    CredHandle cred;
    TimeStamp expiry;
    ng_alloc_fail_after(fail_at);
    SECURITY_STATUS st = AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_INBOUND, NULL,
                                                   &data, NULL, NULL, &cred, &expiry);
    *seen = ng_alloc_fail_after(0);
    if (st == SEC_E_OK)
        CHECK_EQ(FreeCredentialsHandle(&cred), SEC_E_OK);
    return st;
}

static void test_acquire_credentials(void)
{
    every_allocation("AcquireCredentialsHandle inbound", acquire_inbound, SEC_E_OK);
}

static SECURITY_STATUS query_names(unsigned long fail_at, unsigned long *seen)
{
    gss_buffer_desc t = mit_token(gss_mech_spnego, mutual);
    struct ng_accept_leg *l = calloc(1, sizeof(*l));
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){
            .cred = &negotiate, .ctx_out = &ctx, .in = t.value, .in_len = t.length},
        l);
    REQUIRE(l->status == SEC_E_OK);
    SecPkgContext_NamesA names = {0};
    ng_alloc_fail_after(fail_at);
    SECURITY_STATUS st = QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names);
    *seen = ng_alloc_fail_after(0);
    if (st == SEC_E_OK)
        CHECK_EQ(FreeContextBuffer(names.sUserName), SEC_E_OK);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(l);
    release(&t);
    return st;
}

static void test_query_names(void)
{
    every_allocation("QueryContextAttributes NAMES", query_names, SEC_E_OK);
}

/* ---- initiator ---------------------------------------------------------------------------- */

/* Our initiator (Negotiate, mutual) against our acceptor; injection in client leg `isc_leg`
 * (0: the first token, 1: consuming the AP-REP). */
static int isc_leg;
static CredHandle outbound;

static SECURITY_STATUS initiator(unsigned long fail_at, unsigned long *seen)
{
    static uint8_t tok[NG_PEER_MAX_TOKEN];
    struct ng_accept_leg *l = calloc(1, sizeof(*l));
    CtxtHandle client, server;
    bool have_client = false, have_server = false;
    SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
    ULONG attrs;
    for (int i = 0; i <= isc_leg; i++) {
        bool injected = i == isc_leg;
        SecBuffer in_buf = {l->out_len, SECBUFFER_TOKEN, l->out};
        SecBufferDesc in_desc = {SECBUFFER_VERSION, 1, &in_buf};
        SecBuffer out_buf = {sizeof(tok), SECBUFFER_TOKEN, tok};
        SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out_buf};
        unsigned long unused;
        ng_alloc_fail_after(injected ? fail_at : 0);
        st = InitializeSecurityContextA(&outbound, have_client ? &client : NULL, "HTTP/localhost",
                                        ISC_REQ_MUTUAL_AUTH, 0, SECURITY_NATIVE_DREP,
                                        i ? &in_desc : NULL, 0, &client, &out_desc, &attrs, NULL);
        *(injected ? seen : &unused) = ng_alloc_fail_after(0);
        if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
            have_client = true;
        if (!injected) {
            REQUIRE(st == SEC_I_CONTINUE_NEEDED);
            ng_accept_leg_run(
                &(struct ng_accept_call){
                    .cred = &negotiate, .ctx_out = &server, .in = tok, .in_len = out_buf.cbBuffer},
                l);
            REQUIRE(l->status == SEC_E_OK);
            have_server = true;
        }
    }
    if (have_client)
        CHECK_EQ(DeleteSecurityContext(&client), SEC_E_OK);
    if (have_server)
        CHECK_EQ(DeleteSecurityContext(&server), SEC_E_OK);
    free(l);
    return st;
}

static void test_initiator_each_leg(void)
{
    TimeStamp expiry;
    REQUIRE(AcquireCredentialsHandleA(NULL, "Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                      NULL, &outbound, &expiry) == SEC_E_OK);
    isc_leg = 0;
    every_allocation("initiator first leg", initiator, SEC_I_CONTINUE_NEEDED);
    isc_leg = 1;
    every_allocation("initiator AP-REP leg", initiator, SEC_E_OK);
    CHECK_EQ(FreeCredentialsHandle(&outbound), SEC_E_OK);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 0, &negotiate) == SEC_E_OK);
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", NULL, 0, &kerberos) == SEC_E_OK);
    RUN(test_kerberos_package_accept);
    RUN(test_delegation_accept);
    RUN(test_negtokeninit2_offer);
    RUN(test_mic_exchange_each_leg);
    RUN(test_acquire_credentials);
    RUN(test_query_names);
    RUN(test_initiator_each_leg);
    FreeCredentialsHandle(&negotiate);
    FreeCredentialsHandle(&kerberos);
    ng_test_realm_stop(&realm);
    return check_report();
}
