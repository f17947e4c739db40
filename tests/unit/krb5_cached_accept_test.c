/* The cached-ticket accept path (core/kerberos/krb5_cached_accept.c) against MIT's GSSAPI initiator
 * and a real KDC: the first accept of a ticket goes through libkrb5 and fills the credentials'
 * ticket cache, the next ones are completed from the cache (MIT accepts the AP-REP it builds and
 * the session protects messages both ways), and every bad input gets exactly the status the
 * libkrb5 path gives it: each is presented both to credentials that hold the ticket in their
 * cache and to fresh credentials that do not. A key reload empties the cache; delegation is
 * left to libkrb5. */
#include <gssapi/gssapi.h>
#include <negring/sspi.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "credentials.h"
#include "gss_framing.h"
#include "gss_peer.h"
#include "keystore.h"
#include "krb5_ap_req.h"
#include "krb5_cached_accept.h"
#include "krb5_credentials.h"
#include "krb5_gss_checksum.h"
#include "krb5_state.h"
#include "krb5_token.h"
#include "mech_oid.h"
#include "realm.h"
#include "security_context.h"
#include "spnego.h"
#include "ticket_cache.h"

static struct ng_test_realm realm;
static CredHandle warm; /* HTTP/localhost's keytab; holds alice's ticket once the first test ran */

static const OM_uint32 client_flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |
                                      GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
static const ULONG req_flags =
    ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT;

static size_t cached_tickets(PCredHandle cred)
{
    struct ng_credentials *creds;
    REQUIRE(ng_credentials_from_handle(cred, &creds) == NG_OK);
    size_t n = ng_ticket_cache_count(ng_keystore_tickets(ng_krb5_acceptor_keys(creds)));
    ng_credentials_unref(creds);
    return n;
}

static CredHandle fresh_cred(const char *keytab, ULONG skew)
{
    CredHandle c;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", keytab, skew, &c) == SEC_E_OK);
    return c;
}

/* A first SPNEGO token from MIT for HTTP@host, optionally with channel bindings. */
static gss_buffer_desc client_token(const char *host, const char *bindings, OM_uint32 flags)
{
    struct ng_gss_initiator c;
    char service[128];
    snprintf(service, sizeof(service), "HTTP@%s", host);
    REQUIRE(ng_gss_initiator_init(&c, service, gss_mech_spnego, flags, NULL) == 0);
    if (bindings != NULL)
        ng_gss_initiator_set_bindings(&c, bindings, strlen(bindings));
    gss_buffer_desc tok;
    REQUIRE(!GSS_ERROR(ng_gss_initiator_step(&c, NULL, 0, &tok)));
    ng_gss_initiator_free(&c);
    return tok;
}

static SECURITY_STATUS accept_bytes(PCredHandle cred, const void *tok, size_t len,
                                    const char *bindings)
{
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    size_t blen = 0;
    unsigned char *b = bindings ? ng_sec_bindings_new(bindings, strlen(bindings), &blen) : NULL;
    CtxtHandle ctx;
    ng_accept_leg_run(&(struct ng_accept_call){.cred = cred,
                                               .ctx_out = &ctx,
                                               .in = tok,
                                               .in_len = len,
                                               .req = req_flags,
                                               .bindings = b,
                                               .bindings_len = blen},
                      leg);
    SECURITY_STATUS st = leg->status;
    if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    free(b);
    free(leg);
    return st;
}

/* `tok` (never accepted before) must get `expected` from credentials that have its ticket
 * cached and, in a copy of it, from credentials that start cold. Bad tokens fail before the
 * replay cache sees them, so the same bytes serve both. */
static void check_both_paths(const gss_buffer_desc *tok, const char *bindings,
                             SECURITY_STATUS expected)
{
    CredHandle cold = fresh_cred(realm.keytab, 0);
    CHECK_EQ(accept_bytes(&warm, tok->value, tok->length, bindings), expected);
    CHECK_EQ(accept_bytes(&cold, tok->value, tok->length, bindings), expected);
    FreeCredentialsHandle(&cold);
}

/* Where the AP-REQ's pieces sit inside a SPNEGO token. */
static void locate(const gss_buffer_desc *tok, struct ng_krb5_ap_req *req)
{
    struct ng_spnego_token sp;
    struct ng_slice ap_req;
    REQUIRE(ng_spnego_parse(ng_slice_of(tok->value, tok->length), &sp) == NG_OK);
    REQUIRE(ng_krb5_unframe(sp.init.mech_token, NG_KRB5_TOK_AP_REQ, &ap_req) == NG_OK);
    REQUIRE(ng_krb5_ap_req_parse(ap_req, req) == NG_OK);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void handshake_and_protect(void)
{
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, client_flags, NULL) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    int legs;
    CHECK_EQ(ng_handshake(&warm, &c, req_flags, NULL, 0, &ctx, leg, &legs), SEC_E_OK);
    CHECK_EQ(c.major, GSS_S_COMPLETE); /* MIT verified our AP-REP and took our subkey */
    CHECK(leg->attrs & ASC_RET_MUTUAL_AUTH);
    /* MIT seals, we open: the context key and sequence numbers agree */
    OM_uint32 minor;
    int conf = 0;
    const char *text = "sealed after a cached accept";
    gss_buffer_desc in = {strlen(text), (void *)text}, out = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_wrap(&minor, c.ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &out) == GSS_S_COMPLETE);
    SecBuffer b[2] = {{(ULONG)out.length, SECBUFFER_STREAM, out.value}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop;
    CHECK_EQ(DecryptMessage(&ctx, &d, 0, &qop), SEC_E_OK);
    CHECK(b[1].cbBuffer == strlen(text) && memcmp(b[1].pvBuffer, text, strlen(text)) == 0);
    gss_release_buffer(&minor, &out);
    SecPkgContext_NamesA names = {0};
    CHECK_EQ(QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK(names.sUserName != NULL && strcmp(names.sUserName, realm.user) == 0);
    FreeContextBuffer(names.sUserName);
    CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    ng_gss_initiator_free(&c);
    free(leg);
}

static void test_first_accept_fills_the_cache_then_hits(void)
{
    CHECK_EQ(cached_tickets(&warm), 0);
    uint64_t before = ng_krb5_cached_accept_count();
    handshake_and_protect(); /* libkrb5 path */
    CHECK_EQ(ng_krb5_cached_accept_count(), before);
    CHECK_EQ(cached_tickets(&warm), 1);
    for (int i = 0; i < 3; i++)
        handshake_and_protect(); /* cached path */
    CHECK_EQ(ng_krb5_cached_accept_count(), before + 3);
    CHECK_EQ(cached_tickets(&warm), 1);
}

static void test_replay_refused_on_both_paths(void)
{
    gss_buffer_desc tok = client_token("localhost", NULL, client_flags);
    CHECK_EQ(accept_bytes(&warm, tok.value, tok.length, NULL), SEC_E_OK);
    check_both_paths(&tok, NULL, SEC_E_LOGON_DENIED);
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
}

static void test_tampered_authenticator(void)
{
    gss_buffer_desc tok = client_token("localhost", NULL, client_flags);
    struct ng_krb5_ap_req req;
    locate(&tok, &req);
    size_t at = (size_t)(req.authenticator_cipher.ptr - (const uint8_t *)tok.value);
    const size_t spots[] = {0, req.authenticator_cipher.len / 2, req.authenticator_cipher.len - 1};
    for (size_t i = 0; i < 3; i++) {
        ((uint8_t *)tok.value)[at + spots[i]] ^= 0x40;
        check_both_paths(&tok, NULL, SEC_E_LOGON_DENIED);
        ((uint8_t *)tok.value)[at + spots[i]] ^= 0x40;
    }
    CHECK_EQ(accept_bytes(&warm, tok.value, tok.length, NULL), SEC_E_OK); /* intact: fine */
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
}

static void test_tampered_ticket(void)
{
    gss_buffer_desc tok = client_token("localhost", NULL, client_flags);
    struct ng_krb5_ap_req req;
    locate(&tok, &req);
    size_t at = (size_t)(req.ticket_cipher.ptr - (const uint8_t *)tok.value);
    ((uint8_t *)tok.value)[at + req.ticket_cipher.len / 2] ^= 0x01;
    check_both_paths(&tok, NULL, SEC_E_LOGON_DENIED);
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
}

static void test_channel_bindings_mismatch(void)
{
    gss_buffer_desc tok = client_token("localhost", "tls-server-end-point:A", client_flags);
    check_both_paths(&tok, "tls-server-end-point:B", SEC_E_BAD_BINDINGS);
    CHECK_EQ(accept_bytes(&warm, tok.value, tok.length, "tls-server-end-point:A"), SEC_E_OK);
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
}

/* The credentials' own clock skew (tighter than libkrb5's 300 s): an authenticator 120 s
 * ahead passes libkrb5 and fails ours, on both paths. Made with libkrb5 directly, with the
 * client's clock moved. */
static gss_buffer_desc skewed_token(long offset)
{
    krb5_context k;
    krb5_ccache cc = NULL;
    krb5_creds in = {0}, *creds = NULL;
    krb5_auth_context ac = NULL;
    krb5_data ap = {0};
    REQUIRE(krb5_init_context(&k) == 0);
    REQUIRE(krb5_cc_resolve(k, realm.ccache, &cc) == 0);
    REQUIRE(krb5_cc_get_principal(k, cc, &in.client) == 0);
    REQUIRE(krb5_parse_name(k, realm.service, &in.server) == 0);
    REQUIRE(krb5_get_credentials(k, 0, cc, &in, &creds) == 0);
    krb5_set_real_time(k, (krb5_timestamp)(time(NULL) + offset), 0);
    struct ng_writer ck = ng_writer_growable();
    static const uint8_t no_bindings[16];
    ng_gss_checksum_write(&ck, no_bindings, NG_GSS_C_MUTUAL_FLAG, NG_SLICE_EMPTY);
    krb5_data ckd = {KV5M_DATA, (unsigned)ck.len, (char *)ck.buf};
    REQUIRE(krb5_auth_con_init(k, &ac) == 0);
    REQUIRE(krb5_auth_con_set_req_cksumtype(k, ac, NG_GSS_CHECKSUM_TYPE) == 0);
    REQUIRE(krb5_mk_req_extended(k, &ac, AP_OPTS_MUTUAL_REQUIRED, &ckd, creds, &ap) == 0);
    static const uint8_t tok_id[2] = {0x01, 0x00};
    struct ng_slice parts[2] = {ng_slice_of(tok_id, 2), ng_slice_of(ap.data, ap.length)};
    struct ng_writer w = ng_writer_growable();
    ng_gss_frame_write(&w, ng_mech_oid(NG_MECH_KRB5), parts, 2);
    REQUIRE(ng_writer_status(&w) == NG_OK);
    gss_buffer_desc out = {w.len, NULL};
    out.value = ng_writer_take(&w, &out.length);
    ng_writer_free(&ck);
    krb5_free_data_contents(k, &ap);
    krb5_auth_con_free(k, ac);
    krb5_free_creds(k, creds);
    krb5_free_cred_contents(k, &in);
    krb5_cc_close(k, cc);
    krb5_free_context(k);
    return out;
}

static void test_clock_skew(void)
{
    CredHandle tight = fresh_cred(realm.keytab, 60), tight_cold;
    gss_buffer_desc ok = skewed_token(0);
    CHECK_EQ(accept_bytes(&tight, ok.value, ok.length, NULL), SEC_E_OK); /* fills its cache */
    free(ok.value);
    const long offsets[] = {120, -120, 400};
    for (size_t i = 0; i < 3; i++) {
        gss_buffer_desc tok = skewed_token(offsets[i]);
        tight_cold = fresh_cred(realm.keytab, 60);
        CHECK_EQ(accept_bytes(&tight, tok.value, tok.length, NULL), SEC_E_TIME_SKEW);
        CHECK_EQ(accept_bytes(&tight_cold, tok.value, tok.length, NULL), SEC_E_TIME_SKEW);
        FreeCredentialsHandle(&tight_cold);
        free(tok.value);
    }
    FreeCredentialsHandle(&tight);
}

/* A ticket cached by one service's credentials means nothing to another's. */
static void test_wrong_service(void)
{
    CredHandle other = fresh_cred(realm.other_keytab, 0);
    gss_buffer_desc first = client_token("other.localhost", NULL, client_flags);
    CHECK_EQ(accept_bytes(&other, first.value, first.length, NULL), SEC_E_OK);
    CHECK_EQ(cached_tickets(&other), 1);
    gss_buffer_desc tok = client_token("other.localhost", NULL, client_flags);
    CredHandle cold = fresh_cred(realm.keytab, 0);
    SECURITY_STATUS want = accept_bytes(&cold, tok.value, tok.length, NULL);
    CHECK(want != SEC_E_OK);
    CHECK_EQ(accept_bytes(&warm, tok.value, tok.length, NULL), want);
    CHECK_EQ(accept_bytes(&other, tok.value, tok.length, NULL), SEC_E_OK);
    FreeCredentialsHandle(&cold);
    FreeCredentialsHandle(&other);
    OM_uint32 minor;
    gss_release_buffer(&minor, &first);
    gss_release_buffer(&minor, &tok);
}

static void test_reload_empties_the_cache(void)
{
    CHECK_EQ(cached_tickets(&warm), 1);
    CHECK_EQ(SetCredentialsAttributesA(&warm, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_OK);
    CHECK_EQ(cached_tickets(&warm), 0);
    uint64_t before = ng_krb5_cached_accept_count();
    handshake_and_protect(); /* libkrb5 again */
    CHECK_EQ(ng_krb5_cached_accept_count(), before);
    CHECK_EQ(cached_tickets(&warm), 1);
    handshake_and_protect();
    CHECK_EQ(ng_krb5_cached_accept_count(), before + 1);
}

/* A cached accept's context shares its ticket's PAC with the cache entry (krb5_state.h): the
 * context outlives the entry leaving the cache (a key reload empties it) and still reads the
 * PAC it was given (under ASan a dangling PAC is a use after free here). */
static void test_context_keeps_its_pac_after_the_cache_drops_the_ticket(void)
{
    handshake_and_protect(); /* the ticket is cached (again) */
    CHECK_EQ(cached_tickets(&warm), 1);
    struct ng_gss_initiator c;
    REQUIRE(ng_gss_initiator_init(&c, "HTTP@localhost", gss_mech_spnego, client_flags, NULL) == 0);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle handle;
    int legs;
    uint64_t before = ng_krb5_cached_accept_count();
    CHECK_EQ(ng_handshake(&warm, &c, req_flags, NULL, 0, &handle, leg, &legs), SEC_E_OK);
    CHECK_EQ(ng_krb5_cached_accept_count(), before + 1);
    struct ng_context *ctx;
    REQUIRE(ng_context_acquire(&handle, &ctx) == NG_OK);
    const struct ng_krb5_state *st = ng_krb5_state_of(ctx);
    REQUIRE(st->pac != NULL && st->pac_len > 0);
    uint8_t *copy = malloc(st->pac_len);
    REQUIRE(copy != NULL);
    memcpy(copy, st->pac, st->pac_len);
    ng_context_release(&handle);
    CHECK_EQ(SetCredentialsAttributesA(&warm, SECPKG_CRED_ATTR_NEGRING_RELOAD_KEYS, NULL, 0),
             SEC_E_OK);
    CHECK_EQ(cached_tickets(&warm), 0);
    REQUIRE(ng_context_acquire(&handle, &ctx) == NG_OK);
    st = ng_krb5_state_of(ctx);
    CHECK(st->pac != NULL && memcmp(st->pac, copy, st->pac_len) == 0);
    ng_context_release(&handle);
    CHECK_EQ(DeleteSecurityContext(&handle), SEC_E_OK);
    free(copy);
    ng_gss_initiator_free(&c);
    free(leg);
}

static void test_delegation_left_to_libkrb5(void)
{
    REQUIRE(ng_test_realm_kinit(&realm, realm.user, realm.password, realm.ccache, "-f") == 0);
    gss_buffer_desc warmup = client_token("localhost", NULL, client_flags);
    CHECK_EQ(accept_bytes(&warm, warmup.value, warmup.length, NULL), SEC_E_OK);
    gss_buffer_desc tok = client_token("localhost", NULL, client_flags | GSS_C_DELEG_FLAG);
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    CtxtHandle ctx;
    uint64_t before = ng_krb5_cached_accept_count();
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &warm,
                                               .ctx_out = &ctx,
                                               .in = tok.value,
                                               .in_len = tok.length,
                                               .req = req_flags | ASC_REQ_DELEGATE},
                      leg);
    CHECK_EQ(leg->status, SEC_E_OK);
    CHECK(leg->attrs & ASC_RET_DELEGATE);
    CHECK_EQ(ng_krb5_cached_accept_count(), before);
    if (leg->status == SEC_E_OK)
        DeleteSecurityContext(&ctx);
    free(leg);
    OM_uint32 minor;
    gss_release_buffer(&minor, &warmup);
    gss_release_buffer(&minor, &tok);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    warm = fresh_cred(realm.keytab, 0);
    RUN(test_first_accept_fills_the_cache_then_hits);
    RUN(test_replay_refused_on_both_paths);
    RUN(test_tampered_authenticator);
    RUN(test_tampered_ticket);
    RUN(test_channel_bindings_mismatch);
    RUN(test_clock_skew);
    RUN(test_wrong_service);
    RUN(test_reload_empties_the_cache);
    RUN(test_context_keeps_its_pac_after_the_cache_drops_the_ticket);
    RUN(test_delegation_left_to_libkrb5);
    FreeCredentialsHandle(&warm);
    ng_test_realm_stop(&realm);
    return check_report();
}
