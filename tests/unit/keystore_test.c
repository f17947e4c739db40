/* Which service key opens a ticket (core/kerberos/keystore.c), against a real MIT KDC whose
 * principals HTTP/web.localhost, http/WEB.localhost and HTTP/alias.localhost share one key, as
 * every SPN of an Active Directory account does (MIT: the same password with the "onlyrealm"
 * salt). Only HTTP/web.localhost is exported. Without a principal, tickets for the other
 * spelling and for the alias are accepted, as MIT's acceptor and Windows accept them; with a
 * principal, its spellings up to case are accepted and the alias is refused. A ticket whose
 * kvno or enctype the keytab lacks is refused as a stale key, and a key of the right kvno that
 * does not open the ticket as a wrong key, each with the reason and a sentence naming both
 * sides (SECBUFFER_NEGRING_FAILURE). */
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <negring/sspi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gss_peer.h"
#include "realm.h"

#define SHARED_PASSWORD "Shared-Key-1"
#define SALTS           "aes256-cts-hmac-sha1-96:onlyrealm,aes128-cts-hmac-sha1-96:onlyrealm"

static struct ng_test_realm realm;
static char web_keytab[400];

/* A first token (raw RFC 4121 AP-REQ) from MIT's GSSAPI for the principal `service`. */
static gss_buffer_desc ticket_for(const char *service)
{
    char name[160];
    snprintf(name, sizeof(name), "%s@%s", service, realm.realm);
    gss_buffer_desc nb = {strlen(name), name}, out = GSS_C_EMPTY_BUFFER;
    gss_name_t target = GSS_C_NO_NAME;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    OM_uint32 minor;
    REQUIRE(gss_import_name(&minor, &nb, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &target) ==
            GSS_S_COMPLETE);
    OM_uint32 major =
        gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, target, (gss_OID)gss_mech_krb5, 0,
                             0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL, &out, NULL, NULL);
    REQUIRE(!GSS_ERROR(major));
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    gss_release_name(&minor, &target);
    return out;
}

/* One first-leg accept of `tok` with a failure buffer; the context is deleted afterwards. */
static SECURITY_STATUS accept_tok(PCredHandle cred, gss_buffer_desc tok, NEGRING_FAILURE_INFO *f)
{
    static unsigned char out[NG_PEER_MAX_TOKEN];
    SecBuffer ib = {(ULONG)tok.length, SECBUFFER_TOKEN, tok.value};
    SecBuffer ob[2] = {{sizeof(out), SECBUFFER_TOKEN, out},
                       {sizeof(*f), SECBUFFER_NEGRING_FAILURE, f}};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 2, ob};
    CtxtHandle ctx;
    ULONG attrs;
    memset(f, 0x5a, sizeof(*f)); /* the call must clear what it does not fill */
    SECURITY_STATUS st =
        AcceptSecurityContext(cred, NULL, &id, 0, SECURITY_NATIVE_DREP, &ctx, &od, &attrs, NULL);
    if (st == SEC_E_OK)
        CHECK_EQ(DeleteSecurityContext(&ctx), SEC_E_OK);
    return st;
}

static SECURITY_STATUS accept_with(const char *principal, const char *keytab, const char *service,
                                   NEGRING_FAILURE_INFO *f)
{
    CredHandle cred;
    REQUIRE(ng_acquire_acceptor(principal, "Negotiate", keytab, 0, &cred) == SEC_E_OK);
    gss_buffer_desc tok = ticket_for(service);
    SECURITY_STATUS st = accept_tok(&cred, tok, f);
    OM_uint32 minor;
    gss_release_buffer(&minor, &tok);
    FreeCredentialsHandle(&cred);
    return st;
}

/* A keytab of HTTP/web.localhost's entries of `enctype` (0: all), each given `kvno` (0: as is)
 * and, with `random_key`, a fresh random key in place of the real one. */
static void derive_keytab(const char *dst, krb5_enctype enctype, krb5_kvno kvno, bool random_key)
{
    krb5_context k;
    krb5_keytab in, out;
    krb5_kt_cursor cur;
    krb5_keytab_entry e;
    REQUIRE(krb5_init_context(&k) == 0);
    REQUIRE(krb5_kt_resolve(k, web_keytab, &in) == 0 && krb5_kt_resolve(k, dst, &out) == 0);
    REQUIRE(krb5_kt_start_seq_get(k, in, &cur) == 0);
    while (krb5_kt_next_entry(k, in, &e, &cur) == 0) {
        if (enctype == 0 || e.key.enctype == enctype) {
            krb5_keyblock fresh;
            krb5_keyblock saved = e.key;
            if (random_key) {
                REQUIRE(krb5_c_make_random_key(k, e.key.enctype, &fresh) == 0);
                e.key = fresh;
            }
            if (kvno != 0)
                e.vno = kvno;
            REQUIRE(krb5_kt_add_entry(k, out, &e) == 0);
            if (random_key) {
                krb5_free_keyblock_contents(k, &fresh);
                e.key = saved;
            }
        }
        krb5_free_keytab_entry_contents(k, &e);
    }
    krb5_kt_end_seq_get(k, in, &cur);
    krb5_kt_close(k, in);
    krb5_kt_close(k, out);
    krb5_free_context(k);
}

static void test_other_spelling_and_alias_accepted_without_principal(void)
{
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(accept_with(NULL, web_keytab, "HTTP/web.localhost", &f), SEC_E_OK);
    CHECK_EQ(f.Reason, NEGRING_REASON_NONE);
    CHECK_EQ(f.UserName[0], '\0');
    CHECK_EQ(accept_with(NULL, web_keytab, "http/WEB.localhost", &f), SEC_E_OK);
    CHECK_EQ(accept_with(NULL, web_keytab, "HTTP/alias.localhost", &f), SEC_E_OK);
}

/* A configured principal names its service up to the case of the service class and host, the
 * realm as given; an alias of the account is another service. */
static void test_principal_matches_up_to_case_and_refuses_the_alias(void)
{
    NEGRING_FAILURE_INFO f;
    char principal[160];
    snprintf(principal, sizeof(principal), "HTTP/WEB.LocalHost@%s", realm.realm);
    CHECK_EQ(accept_with(principal, web_keytab, "HTTP/web.localhost", &f), SEC_E_OK);
    CHECK_EQ(accept_with("HTTP/web.localhost", web_keytab, "http/WEB.localhost", &f), SEC_E_OK);
    CHECK_EQ(accept_with("HTTP/web.localhost", web_keytab, "HTTP/alias.localhost", &f),
             SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(f.Reason, NEGRING_REASON_WRONG_SERVICE);
    CHECK_EQ(f.MechanismRpcId, RPC_C_AUTHN_GSS_KERBEROS);
    CHECK_EQ(f.Status, SEC_E_WRONG_PRINCIPAL);
    /* The realm is compared as configured. */
    CredHandle cred;
    CHECK_EQ(
        ng_acquire_acceptor("HTTP/web.localhost@OTHER.TEST", "Negotiate", web_keytab, 0, &cred),
        SEC_E_NO_CREDENTIALS);
}

/* The ticket is kvno 1; the keytab holds kvno 2 with another key (the account's password
 * changed and the ticket is older, or the keytab is newer than the KDC's key). */
static void test_stale_kvno_reported_with_both_versions(void)
{
    char path[400];
    snprintf(path, sizeof(path), "FILE:%s/kvno2.keytab", realm.dir);
    derive_keytab(path, 0, 2, true);
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(accept_with(NULL, path, "HTTP/web.localhost", &f), SEC_E_LOGON_DENIED);
    CHECK_EQ(f.Reason, NEGRING_REASON_STALE_KEY);
    CHECK_EQ(f.MechanismRpcId, RPC_C_AUTHN_GSS_KERBEROS);
    CHECK(strstr(f.Detail, "ticket kvno 1 aes256-cts") != NULL);
    CHECK(strstr(f.Detail, "kvno 2 aes256-cts") != NULL);
    CHECK_EQ(strcmp(negring_failure_reason_name(f.Reason), "stale_key"), 0);
}

/* An AD keytab exported before msDS-SupportedEncryptionTypes allowed AES-256: the ticket's
 * enctype is not there at all. */
static void test_missing_enctype_reported(void)
{
    char path[400];
    snprintf(path, sizeof(path), "FILE:%s/aes128.keytab", realm.dir);
    derive_keytab(path, ENCTYPE_AES128_CTS_HMAC_SHA1_96, 0, false);
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(accept_with(NULL, path, "HTTP/web.localhost", &f), SEC_E_LOGON_DENIED);
    CHECK_EQ(f.Reason, NEGRING_REASON_STALE_KEY);
    CHECK(strstr(f.Detail, "ticket kvno 1 aes256-cts") != NULL);
    CHECK(strstr(f.Detail, "kvno 1 aes128-cts") != NULL);
}

/* The keytab's kvno 1 key is another key: the ticket does not open with it. */
static void test_wrong_key_of_the_right_kvno(void)
{
    char path[400];
    snprintf(path, sizeof(path), "FILE:%s/wrong.keytab", realm.dir);
    derive_keytab(path, 0, 0, true);
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(accept_with(NULL, path, "HTTP/web.localhost", &f), SEC_E_LOGON_DENIED);
    CHECK_EQ(f.Reason, NEGRING_REASON_WRONG_KEY);
    CHECK(strstr(f.Detail, "kvno 1") != NULL);
    CHECK_EQ(f.UserName[0], '\0'); /* the ticket never opened: its client is not known */
}

/* A ticket for a service the keytab does not hold, whose key none of the realm's keys held is:
 * another service. */
static void test_service_not_held_and_no_key_opens_it(void)
{
    char path[400];
    snprintf(path, sizeof(path), "%s", realm.other_keytab);
    NEGRING_FAILURE_INFO f;
    CHECK_EQ(accept_with(NULL, path, "HTTP/web.localhost", &f), SEC_E_WRONG_PRINCIPAL);
    CHECK_EQ(f.Reason, NEGRING_REASON_WRONG_SERVICE);
    CHECK(strstr(f.Detail, "ticket kvno 1") != NULL);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    snprintf(web_keytab, sizeof(web_keytab), "FILE:%s/web.keytab", realm.dir);
    static const char *const spns[] = {"HTTP/web.localhost", "http/WEB.localhost",
                                       "HTTP/alias.localhost"};
    for (size_t i = 0; i < 3; i++)
        REQUIRE(ng_test_realm_kadmin(&realm, "addprinc -e %s -pw %s %s", SALTS, SHARED_PASSWORD,
                                     spns[i]) == 0);
    REQUIRE(ng_test_realm_kadmin(&realm, "ktadd -k %s -norandkey HTTP/web.localhost",
                                 web_keytab + 5) == 0);
    RUN(test_other_spelling_and_alias_accepted_without_principal);
    RUN(test_principal_matches_up_to_case_and_refuses_the_alias);
    RUN(test_stale_kvno_reported_with_both_versions);
    RUN(test_missing_enctype_reported);
    RUN(test_wrong_key_of_the_right_kvno);
    RUN(test_service_not_held_and_no_key_opens_it);
    ng_test_realm_stop(&realm);
    return check_report();
}
