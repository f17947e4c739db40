/* The Kerberos acceptor's replay cache (core/kerberos/krb5_accept_checks.c,
 * core/kerberos/replay_cache.c) run far past its size through AcceptSecurityContext:
 * NEGRING_REPLAY_CACHE_LOG2=10 gives 1,024 slots, and 3,000 AP-REQs made by libkrb5 with
 * authenticator times spread over the 300 s skew arrive oldest first (about 24 per 4 s tick, fewer
 * than a probe window). Before the watermark this ran out of room after ~1,000 and answered
 * SEC_E_INSUFFICIENT_MEMORY to everyone after. Now every one is accepted, and a second pass
 * replaying all of them is refused every time: SEC_E_LOGON_DENIED while the authenticator is still
 * cached, SEC_E_TIME_SKEW once it was evicted and the watermark passed it. Then one account floods
 * it with future-dated authenticators while others log in
 * (future_dated_flood_locks_out_no_other_account). */
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "gss_framing.h"
#include "gss_peer.h"
#include "krb5_gss_checksum.h"
#include "mech_oid.h"
#include "realm.h"
#include "writer.h"

enum { TOKENS = 3000, SPREAD = 500 /* seconds of authenticator times, within the 300 s skew */ };
enum { SKEW = 300, FLOOD = 4096 /* four times the 1,024 slots */, HONEST = 4, HONEST_TOKENS = 64 };

static struct ng_test_realm realm;
static struct ng_writer tokens[TOKENS];
static struct ng_writer flood[FLOOD];
static struct ng_writer honest[HONEST][HONEST_TOKENS];

/* n GSS-framed raw krb5 AP-REQs (RFC 4121 §4.1) from the client of `ccache` whose authenticator
 * times run from `start` over `spread` seconds, in order. One service ticket, fetched once. */
static void make_tokens(const char *ccache, time_t start, int spread, struct ng_writer *out, int n)
{
    krb5_context k;
    krb5_ccache cc = NULL;
    krb5_creds in = {0}, *creds = NULL;
    REQUIRE(krb5_init_context(&k) == 0);
    REQUIRE(krb5_cc_resolve(k, ccache, &cc) == 0);
    REQUIRE(krb5_cc_get_principal(k, cc, &in.client) == 0);
    REQUIRE(krb5_parse_name(k, realm.service, &in.server) == 0);
    REQUIRE(krb5_get_credentials(k, 0, cc, &in, &creds) == 0);
    static const uint8_t no_bindings[16];
    struct ng_writer ck = ng_writer_growable();
    ng_gss_checksum_write(&ck, no_bindings, 0, NG_SLICE_EMPTY);
    krb5_data ckd = {KV5M_DATA, (unsigned int)ck.len, (char *)ck.buf};
    for (int i = 0; i < n; i++) {
        krb5_auth_context ac = NULL;
        krb5_data ap = {0};
        krb5_set_real_time(k, (krb5_timestamp)(start + (time_t)i * spread / n), 0);
        REQUIRE(krb5_auth_con_init(k, &ac) == 0);
        REQUIRE(krb5_auth_con_set_req_cksumtype(k, ac, 0x8003) == 0);
        REQUIRE(krb5_mk_req_extended(k, &ac, 0, &ckd, creds, &ap) == 0);
        static const uint8_t tok_id[2] = {0x01, 0x00};
        struct ng_slice parts[2] = {ng_slice_of(tok_id, 2), ng_slice_of(ap.data, ap.length)};
        out[i] = ng_writer_growable();
        ng_gss_frame_write(&out[i], ng_mech_oid(NG_MECH_KRB5), parts, 2);
        REQUIRE(ng_writer_status(&out[i]) == NG_OK);
        krb5_free_data_contents(k, &ap);
        krb5_auth_con_free(k, ac);
    }
    ng_writer_free(&ck);
    krb5_free_creds(k, creds);
    krb5_free_cred_contents(k, &in);
    krb5_cc_close(k, cc);
    krb5_free_context(k);
}

static SECURITY_STATUS accept_one(PCredHandle cred, const struct ng_writer *tok,
                                  struct ng_accept_leg *leg)
{
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = cred, .ctx_out = &ctx, .in = tok->buf, .in_len = tok->len},
        leg);
    if (leg->status == SEC_E_OK)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    return leg->status;
}

static void overfilled_cache_accepts_fresh_refuses_replays(void)
{
    CredHandle cred;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    long accepted = 0, denied = 0, too_old = 0, other = 0;
    REQUIRE(leg != NULL);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, 300, &cred) == SEC_E_OK);
    for (int i = 0; i < TOKENS; i++) {
        SECURITY_STATUS st = accept_one(&cred, &tokens[i], leg);
        if (st != SEC_E_OK && other++ < 5)
            fprintf(stderr, "  token %d: 0x%08x\n", i, (unsigned)st);
        accepted += st == SEC_E_OK;
    }
    CHECK_EQ(accepted, TOKENS);
    other = 0;
    for (int i = 0; i < TOKENS; i++) {
        SECURITY_STATUS st = accept_one(&cred, &tokens[i], leg);
        denied += st == SEC_E_LOGON_DENIED;
        too_old += st == SEC_E_TIME_SKEW;
        if (st != SEC_E_LOGON_DENIED && st != SEC_E_TIME_SKEW && other++ < 5)
            fprintf(stderr, "  replay %d: 0x%08x\n", i, (unsigned)st);
    }
    fprintf(stderr, "  %d tokens into 1024 slots: replays %ld denied, %ld too old\n", TOKENS,
            denied, too_old);
    CHECK_EQ(denied + too_old, TOKENS);
    CHECK(too_old > 0);          /* evicted, caught by the watermark */
    CHECK(denied > TOKENS / 10); /* the newest still cached */
    FreeCredentialsHandle(&cred);
    free(leg);
}

/* alice floods the cache with four times its capacity of authenticators dated 250 to 290 s
 * into the future (the skew is 300 s: they expire last), while four other accounts log in with
 * current authenticators, one per 16 of the flood's. The others are all accepted: the flood
 * evicts alice's own entries and raises the watermark of her owner class only (an account
 * sharing her class, one in 4,096, would be refused with her: at most one of the four may be,
 * and then with SEC_E_TIME_SKEW). Every token replayed afterwards is refused. */
static void future_dated_flood_locks_out_no_other_account(void)
{
    CredHandle cred;
    struct ng_accept_leg *leg = calloc(1, sizeof(*leg));
    long flood_ok = 0, again = 0, refused[HONEST] = {0}, skew[HONEST] = {0};
    REQUIRE(leg != NULL);
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", NULL, SKEW, &cred) == SEC_E_OK);
    for (int i = 0; i < FLOOD; i++) {
        flood_ok += accept_one(&cred, &flood[i], leg) == SEC_E_OK;
        if (i % 16 != 0)
            continue;
        int h = (i / 16) % HONEST;
        SECURITY_STATUS st = accept_one(&cred, &honest[h][i / 16 / HONEST], leg);
        refused[h] += st != SEC_E_OK;
        skew[h] += st == SEC_E_TIME_SKEW;
    }
    for (int i = 0; i < FLOOD; i++)
        again += accept_one(&cred, &flood[i], leg) == SEC_E_OK;
    for (int h = 0; h < HONEST; h++)
        for (int t = 0; t < HONEST_TOKENS; t++)
            again += accept_one(&cred, &honest[h][t], leg) == SEC_E_OK;
    int locked = 0;
    for (int h = 0; h < HONEST; h++) {
        fprintf(stderr, "  account %d: %ld of %d refused\n", h, refused[h], HONEST_TOKENS);
        locked += refused[h] > 0;
        CHECK(refused[h] == 0 || refused[h] == skew[h]);
    }
    fprintf(stderr, "  flood of %d into 1024 slots: %ld accepted\n", FLOOD, flood_ok);
    CHECK(locked <= 1);
    CHECK(flood_ok > 0);
    CHECK_EQ(again, 0);
    FreeCredentialsHandle(&cred);
    free(leg);
}

static void make_flood_and_honest_tokens(void)
{
    char ccache[400];
    make_tokens(realm.ccache, time(NULL) + 250, 40, flood, FLOOD);
    for (int h = 0; h < HONEST; h++) {
        char name[64];
        snprintf(name, sizeof(name), "user%d", h);
        snprintf(ccache, sizeof(ccache), "FILE:%s/%s.ccache", realm.dir, name);
        REQUIRE(ng_test_realm_kadmin(&realm, "addprinc -pw %s-Pass-9 %s", name, name) == 0);
        char password[80];
        snprintf(password, sizeof(password), "%s-Pass-9", name);
        REQUIRE(ng_test_realm_kinit(&realm, name, password, ccache, NULL) == 0);
        make_tokens(ccache, time(NULL) - 10, 20, honest[h], HONEST_TOKENS);
    }
}

int main(void)
{
    /* Read when the process-wide cache is made, at the first Kerberos accept. */
    REQUIRE(setenv("NEGRING_REPLAY_CACHE_LOG2", "10", 1) == 0);
    REQUIRE(ng_test_realm_start(&realm) == 0);
    make_tokens(realm.ccache, time(NULL) - SPREAD / 2, SPREAD, tokens, TOKENS);
    make_flood_and_honest_tokens();
    RUN(overfilled_cache_accepts_fresh_refuses_replays);
    RUN(future_dated_flood_locks_out_no_other_account);
    for (int i = 0; i < TOKENS; i++)
        ng_writer_free(&tokens[i]);
    for (int i = 0; i < FLOOD; i++)
        ng_writer_free(&flood[i]);
    for (int h = 0; h < HONEST; h++)
        for (int t = 0; t < HONEST_TOKENS; t++)
            ng_writer_free(&honest[h][t]);
    ng_test_realm_stop(&realm);
    return check_report();
}
