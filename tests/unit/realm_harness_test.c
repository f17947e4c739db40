/* The throwaway realm harness itself: a real KDC answers, alice holds a forwardable TGT, the
 * service keytab matches the KDC's keys (a service ticket from the KDC decrypts with it), kadmin
 * and kinit work, and stopping removes everything. */
#include "check.h"
#include "realm.h"

#include <krb5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ng_test_realm r;

static void test_realm_fields(void)
{
    CHECK(strcmp(r.realm, "NEGRING.TEST") == 0);
    CHECK(strcmp(r.user, "alice@NEGRING.TEST") == 0);
    CHECK(strcmp(r.service, "HTTP/localhost@NEGRING.TEST") == 0);
    CHECK(strcmp(r.password, "alice-Pass-1") == 0);
    CHECK(r.kdc_port >= 1024 && r.kdc_port <= 65535);
    CHECK(strncmp(r.keytab, "FILE:", 5) == 0);
    CHECK(strncmp(r.other_keytab, "FILE:", 5) == 0);
    CHECK(strncmp(r.ccache, "FILE:", 5) == 0);

    struct stat st;
    CHECK(stat(r.dir, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(stat(r.krb5_config, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(stat(r.keytab + 5, &st) == 0 && st.st_size > 0);
    CHECK(stat(r.other_keytab + 5, &st) == 0 && st.st_size > 0);

    /* The environment now points libkrb5 at the realm. */
    const char *v = getenv("KRB5_CONFIG");
    CHECK(v != NULL && strcmp(v, r.krb5_config) == 0);
    v = getenv("KRB5CCNAME");
    CHECK(v != NULL && strcmp(v, r.ccache) == 0);
    v = getenv("KRB5_KTNAME");
    CHECK(v != NULL && strcmp(v, r.keytab) == 0);
    v = getenv("KRB5_KDC_PROFILE");
    CHECK(v != NULL && strncmp(v, r.dir, strlen(r.dir)) == 0);
}

static void test_alice_has_forwardable_tgt(void)
{
    krb5_context ctx;
    REQUIRE(krb5_init_context(&ctx) == 0);

    char *def_realm = NULL;
    CHECK(krb5_get_default_realm(ctx, &def_realm) == 0);
    CHECK(def_realm != NULL && strcmp(def_realm, "NEGRING.TEST") == 0);
    krb5_free_default_realm(ctx, def_realm);

    krb5_ccache cc;
    REQUIRE(krb5_cc_resolve(ctx, r.ccache, &cc) == 0);
    krb5_principal client = NULL;
    CHECK(krb5_cc_get_principal(ctx, cc, &client) == 0);
    char *name = NULL;
    if (client != NULL && krb5_unparse_name(ctx, client, &name) == 0) {
        CHECK(strcmp(name, r.user) == 0);
        krb5_free_unparsed_name(ctx, name);
    } else {
        CHECK(!"alice's ccache has a principal");
    }

    krb5_principal tgs = NULL;
    CHECK(krb5_build_principal(ctx, &tgs, (unsigned int)strlen(r.realm), r.realm, "krbtgt", r.realm,
                               NULL) == 0);
    krb5_creds mcreds, creds;
    memset(&mcreds, 0, sizeof mcreds);
    memset(&creds, 0, sizeof creds);
    mcreds.client = client;
    mcreds.server = tgs;
    krb5_error_code ret = krb5_cc_retrieve_cred(ctx, cc, 0, &mcreds, &creds);
    CHECK_EQ(ret, 0);
    if (ret == 0) {
        CHECK(creds.ticket_flags & TKT_FLG_FORWARDABLE);
        CHECK(creds.ticket_flags & TKT_FLG_INITIAL);
        CHECK(creds.times.endtime > creds.times.starttime);
        krb5_free_cred_contents(ctx, &creds);
    }
    krb5_free_principal(ctx, tgs);
    krb5_free_principal(ctx, client);
    krb5_cc_close(ctx, cc);
    krb5_free_context(ctx);
}

static void test_keytabs_hold_services(void)
{
    krb5_context ctx;
    REQUIRE(krb5_init_context(&ctx) == 0);
    krb5_keytab kt;
    REQUIRE(krb5_kt_resolve(ctx, r.keytab, &kt) == 0);

    const char *names[] = {"HTTP/localhost@NEGRING.TEST", "host/localhost@NEGRING.TEST"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        krb5_principal p;
        REQUIRE(krb5_parse_name(ctx, names[i], &p) == 0);
        krb5_keytab_entry e;
        /* kvno 0 = highest; check each enctype the brief requires. */
        krb5_enctype want[] = {ENCTYPE_AES256_CTS_HMAC_SHA1_96, ENCTYPE_AES128_CTS_HMAC_SHA1_96,
                               ENCTYPE_AES256_CTS_HMAC_SHA384_192,
                               ENCTYPE_AES128_CTS_HMAC_SHA256_128};
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
            krb5_error_code ret = krb5_kt_get_entry(ctx, kt, p, 0, want[k], &e);
            CHECK_EQ(ret, 0);
            if (ret == 0) {
                CHECK_EQ(e.vno, 1);
                krb5_free_keytab_entry_contents(ctx, &e);
            }
        }
        krb5_free_principal(ctx, p);
    }
    krb5_kt_close(ctx, kt);

    REQUIRE(krb5_kt_resolve(ctx, r.other_keytab, &kt) == 0);
    krb5_principal other;
    REQUIRE(krb5_parse_name(ctx, "HTTP/other.localhost@NEGRING.TEST", &other) == 0);
    krb5_keytab_entry e;
    CHECK_EQ(krb5_kt_get_entry(ctx, kt, other, 0, 0, &e), 0);
    krb5_free_keytab_entry_contents(ctx, &e);
    krb5_principal http;
    REQUIRE(krb5_parse_name(ctx, r.service, &http) == 0);
    CHECK(krb5_kt_get_entry(ctx, kt, http, 0, 0, &e) != 0); /* only the other service */
    krb5_free_principal(ctx, http);
    krb5_free_principal(ctx, other);
    krb5_kt_close(ctx, kt);
    krb5_free_context(ctx);
}

/* TGS round trip: the KDC issues a ticket for HTTP/localhost, krb5_mk_req_extended wraps it in an
 * AP-REQ and krb5_rd_req decrypts it with the exported keytab. */
static void ap_round_trip(const char *service, const char *keytab, int expect_ok)
{
    krb5_context ctx;
    REQUIRE(krb5_init_context(&ctx) == 0);
    krb5_ccache cc;
    REQUIRE(krb5_cc_resolve(ctx, r.ccache, &cc) == 0);

    krb5_creds in, *out = NULL;
    memset(&in, 0, sizeof in);
    REQUIRE(krb5_cc_get_principal(ctx, cc, &in.client) == 0);
    REQUIRE(krb5_parse_name(ctx, service, &in.server) == 0);
    krb5_error_code ret = krb5_get_credentials(ctx, 0, cc, &in, &out);
    CHECK_EQ(ret, 0);
    if (ret != 0) {
        fprintf(stderr, "krb5_get_credentials: %s\n", krb5_get_error_message(ctx, ret));
        goto out;
    }

    krb5_auth_context ac_client = NULL, ac_server = NULL;
    krb5_data apreq = {0};
    ret = krb5_mk_req_extended(ctx, &ac_client, AP_OPTS_MUTUAL_REQUIRED, NULL, out, &apreq);
    CHECK_EQ(ret, 0);

    krb5_keytab kt;
    REQUIRE(krb5_kt_resolve(ctx, keytab, &kt) == 0);
    krb5_ticket *ticket = NULL;
    krb5_flags ap_options = 0;
    ret = krb5_rd_req(ctx, &ac_server, &apreq, NULL, kt, &ap_options, &ticket);
    if (expect_ok) {
        CHECK_EQ(ret, 0);
        if (ret != 0)
            fprintf(stderr, "krb5_rd_req: %s\n", krb5_get_error_message(ctx, ret));
    } else {
        CHECK(ret != 0);
    }
    if (ret == 0) {
        CHECK(ap_options & AP_OPTS_MUTUAL_REQUIRED);
        CHECK(krb5_principal_compare(ctx, ticket->enc_part2->client, in.client));
        CHECK(krb5_principal_compare(ctx, ticket->server, in.server));
        krb5_free_ticket(ctx, ticket);
    }
    krb5_kt_close(ctx, kt);
    krb5_free_data_contents(ctx, &apreq);
    krb5_auth_con_free(ctx, ac_client);
    if (ac_server != NULL)
        krb5_auth_con_free(ctx, ac_server);
    krb5_free_creds(ctx, out);
out:
    krb5_free_cred_contents(ctx, &in);
    krb5_cc_close(ctx, cc);
    krb5_free_context(ctx);
}

static void test_service_ticket_decrypts_with_keytab(void)
{
    ap_round_trip(r.service, r.keytab, 1);
    ap_round_trip("host/localhost@NEGRING.TEST", r.keytab, 1);
    ap_round_trip("HTTP/other.localhost@NEGRING.TEST", r.other_keytab, 1);
    /* A ticket for the other service must not decrypt with the main keytab. */
    ap_round_trip("HTTP/other.localhost@NEGRING.TEST", r.keytab, 0);
}

static void test_kadmin_and_kinit(void)
{
    CHECK_EQ(ng_test_realm_kadmin(&r, "addprinc -pw %s %s", "carol-Pass-3", "carol"), 0);
    /* kadmin.local exits 0 on most failures; the harness must still report them. */
    CHECK(ng_test_realm_kadmin(&r, "addprinc -pw %s %s", "carol-Pass-3", "carol") != 0);
    CHECK(ng_test_realm_kadmin(&r, "getprinc %s", "nobody") != 0);

    char ccname[400];
    snprintf(ccname, sizeof ccname, "FILE:%s/carol.ccache", r.dir);
    CHECK_EQ(ng_test_realm_kinit(&r, "carol@NEGRING.TEST", "carol-Pass-3", ccname, "-f -l 5m"), 0);
    CHECK(ng_test_realm_kinit(&r, "carol@NEGRING.TEST", "wrong-password", ccname, NULL) != 0);
    CHECK_EQ(ng_test_realm_kinit(&r, "bob", "bob-Pass-2", ccname, NULL), 0);
    CHECK_EQ(ng_test_realm_kinit(&r, "carol", "carol-Pass-3", ccname, "-l 5m"), 0);

    krb5_context ctx;
    REQUIRE(krb5_init_context(&ctx) == 0);
    krb5_ccache cc;
    REQUIRE(krb5_cc_resolve(ctx, ccname, &cc) == 0);
    krb5_principal p = NULL;
    CHECK_EQ(krb5_cc_get_principal(ctx, cc, &p), 0);
    char *name = NULL;
    if (p != NULL && krb5_unparse_name(ctx, p, &name) == 0) {
        CHECK(strcmp(name, "carol@NEGRING.TEST") == 0);
        krb5_free_unparsed_name(ctx, name);
    }
    /* -l 5m is honoured. */
    krb5_cc_cursor cur;
    krb5_creds c;
    int seen = 0;
    if (krb5_cc_start_seq_get(ctx, cc, &cur) == 0) {
        while (krb5_cc_next_cred(ctx, cc, &cur, &c) == 0) {
            if (!krb5_is_config_principal(ctx, c.server)) {
                CHECK(c.times.endtime - c.times.starttime <= 5 * 60);
                seen++;
            }
            krb5_free_cred_contents(ctx, &c);
        }
        krb5_cc_end_seq_get(ctx, cc, &cur);
    }
    CHECK_EQ(seen, 1);
    krb5_free_principal(ctx, p);
    krb5_cc_close(ctx, cc);
    krb5_free_context(ctx);
}

static void test_stop_removes_dir(void)
{
    char dir[sizeof r.dir];
    memcpy(dir, r.dir, sizeof dir);
    ng_test_realm_stop(&r);
    CHECK(access(dir, F_OK) != 0);
    ng_test_realm_stop(&r); /* idempotent */
    CHECK(access(dir, F_OK) != 0);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&r) == 0);
    RUN(test_realm_fields);
    RUN(test_alice_has_forwardable_tgt);
    RUN(test_keytabs_hold_services);
    RUN(test_service_ticket_decrypts_with_keytab);
    RUN(test_kadmin_and_kinit);
    RUN(test_stop_removes_dir);
    return check_report();
}
