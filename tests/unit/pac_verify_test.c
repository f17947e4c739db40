/* PAC verification (core/kerberos/pac_verify.c):
 *   - PACs made with libkrb5 (krb5_pac_sign with a known service key): a good one gives its
 *     logon info; one signed with another key, with a byte of its logon info changed, for
 *     another client or another authtime, or that does not parse is NG_ERR_BAD_PAC; no PAC
 *     is no logon info and no error; the KDC (krbtgt) signature is not needed; two good PACs
 *     (in one AD-IF-RELEVANT or in two) are NG_ERR_BAD_PAC;
 *   - real tickets: the test realm's MIT 1.20 KDC puts a PAC (client info, server, KDC and
 *     ticket signatures) in every ticket. A ticket whose PAC we alter (then re-encrypt with the
 *     service key, so it still decrypts) is refused with SEC_E_LOGON_DENIED, again when re-sent
 *     (it never entered the ticket cache), while the same ticket re-encrypted unaltered is
 *     accepted, twice, the second time through the cached path. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>

#include "alloc.h"
#include "check.h"
#include "gss_peer.h"
#include "krb5_tickets.h"
#include "krb5_cached_accept.h"
#include "krb5_gss_checksum.h"
#include "krb5_token.h"
#include "pac_builder.h"
#include "pac_logon_info.h"
#include "pac_verify.h"
#include "realm.h"
#include "writer.h"

static struct ng_test_realm realm;
static krb5_context k;
static struct ng_test_buf logon_info; /* a KERB_VALIDATION_INFO (pac_builder.h) */

/* A ticket's encrypted part holding `pac` in an AD-IF-RELEVANT, for `client` at `authtime`. */
struct fake_part {
    krb5_enc_tkt_part part;
    krb5_authdata **container;
};

static void fake_part_init(struct fake_part *f, const krb5_data *pac, const char *client,
                           krb5_timestamp authtime)
{
    memset(f, 0, sizeof(*f));
    krb5_authdata ad = {KV5M_AUTHDATA, KRB5_AUTHDATA_WIN2K_PAC, pac ? pac->length : 0,
                        pac ? (krb5_octet *)pac->data : NULL};
    krb5_authdata *list[] = {&ad, NULL};
    if (pac != NULL)
        REQUIRE(krb5_encode_authdata_container(k, KRB5_AUTHDATA_IF_RELEVANT, list, &f->container) ==
                0);
    REQUIRE(krb5_parse_name(k, client, &f->part.client) == 0);
    f->part.times.authtime = authtime;
    f->part.authorization_data = f->container;
}

static void fake_part_free(struct fake_part *f)
{
    krb5_free_authdata(k, f->container);
    krb5_free_principal(k, f->part.client);
}

/* A PAC with a logon info buffer (and a PAC_REQUESTOR naming `requestor_rid` unless 0), signed
 * by libkrb5 for alice. */
static void make_pac(const krb5_keyblock *server, const krb5_keyblock *kdc, uint32_t requestor_rid,
                     krb5_data *out)
{
    krb5_pac pac;
    krb5_principal alice;
    REQUIRE(krb5_pac_init(k, &pac) == 0);
    krb5_data info = {KV5M_DATA, (unsigned int)logon_info.len, (char *)logon_info.buf};
    REQUIRE(krb5_pac_add_buffer(k, pac, NG_PAC_LOGON_INFO, &info) == 0);
    if (requestor_rid != 0) {
        struct ng_test_buf sid;
        ng_test_sid_bytes(&sid, requestor_rid);
        krb5_data r = {KV5M_DATA, (unsigned int)sid.len, (char *)sid.buf};
        REQUIRE(krb5_pac_add_buffer(k, pac, NG_PAC_REQUESTOR, &r) == 0);
    }
    REQUIRE(krb5_parse_name(k, "alice@EXAMPLE.TEST", &alice) == 0);
    REQUIRE(krb5_pac_sign(k, pac, 1700000000, alice, server, kdc, out) == 0);
    krb5_free_principal(k, alice);
    krb5_pac_free(k, pac);
}

static ng_status verify(const krb5_data *pac, const char *client, krb5_timestamp authtime,
                        const krb5_keyblock *key, uint8_t **info, size_t *len)
{
    struct fake_part f;
    fake_part_init(&f, pac, client, authtime);
    char why[200];
    ng_status st = ng_pac_verified(k, &f.part, key, info, len, why, sizeof(why));
    fake_part_free(&f);
    return st;
}

/* Two copies of one good PAC: in one AD-IF-RELEVANT, or each in its own. */
static ng_status verify_two_pacs(const krb5_data *pac, const krb5_keyblock *key, bool one_container)
{
    krb5_authdata ad = {KV5M_AUTHDATA, KRB5_AUTHDATA_WIN2K_PAC, pac->length,
                        (krb5_octet *)pac->data};
    krb5_authdata *both[] = {&ad, &ad, NULL}, *single[] = {&ad, NULL};
    krb5_authdata **first = NULL, **second = NULL;
    REQUIRE(krb5_encode_authdata_container(k, KRB5_AUTHDATA_IF_RELEVANT,
                                           one_container ? both : single, &first) == 0);
    REQUIRE(krb5_encode_authdata_container(k, KRB5_AUTHDATA_IF_RELEVANT, single, &second) == 0);
    krb5_authdata *list[] = {first[0], one_container ? NULL : second[0], NULL};
    krb5_enc_tkt_part part = {.times.authtime = 1700000000, .authorization_data = list};
    REQUIRE(krb5_parse_name(k, "alice@EXAMPLE.TEST", &part.client) == 0);
    uint8_t *info = NULL;
    size_t len = 0;
    char why[200];
    ng_status st = ng_pac_verified(k, &part, key, &info, &len, why, sizeof(why));
    CHECK(info == NULL && len == 0);
    krb5_free_principal(k, part.client);
    krb5_free_authdata(k, first);
    krb5_free_authdata(k, second);
    return st;
}

static void test_libkrb5_made_pacs(void)
{
    krb5_keyblock keys[3];
    for (int i = 0; i < 3; i++)
        REQUIRE(krb5_c_make_random_key(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &keys[i]) == 0);
    krb5_keyblock *server = &keys[0], *other = &keys[1], *kdc = &keys[2];
    krb5_data pac;
    make_pac(server, kdc, 0, &pac);
    uint8_t *info = (uint8_t *)"x";
    size_t len = 99;

    /* Good: the PAC comes back, without the KDC key. */
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_OK);
    struct ng_slice found;
    CHECK(info != NULL && ng_pac_buffer(ng_slice_of(info, len), NG_PAC_LOGON_INFO, &found) &&
          found.len == logon_info.len && memcmp(found.ptr, logon_info.buf, found.len) == 0);
    ng_free(info);
    /* Signed for another service. */
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, other, &info, &len), NG_ERR_BAD_PAC);
    CHECK(info == NULL && len == 0);
    /* Another client, another authtime (PAC_CLIENT_INFO, MS-PAC §2.7). */
    CHECK_EQ(verify(&pac, "mallory@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_ERR_BAD_PAC);
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000001, server, &info, &len), NG_ERR_BAD_PAC);
    /* One byte of the logon info changed after signing. */
    char *at = memmem(pac.data, pac.length, logon_info.buf, logon_info.len);
    REQUIRE(at != NULL);
    at[0] ^= 1;
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_ERR_BAD_PAC);
    at[0] ^= 1;
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_OK);
    ng_free(info);
    /* A PAC that does not parse; no PAC at all. */
    krb5_data junk = {KV5M_DATA, 12, "not a PAC..."};
    CHECK_EQ(verify(&junk, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_ERR_BAD_PAC);
    CHECK_EQ(verify(NULL, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_OK);
    CHECK(info == NULL && len == 0);
    /* Two PACs, each good on its own: whose identity? Refused, in one container or in two. */
    CHECK_EQ(verify_two_pacs(&pac, server, true), NG_ERR_BAD_PAC);
    CHECK_EQ(verify_two_pacs(&pac, server, false), NG_ERR_BAD_PAC);
    krb5_free_data_contents(k, &pac);
    /* PAC_REQUESTOR (MS-PAC §2.15): the logon info's user is accepted, another account refused. */
    make_pac(server, kdc, 1104, &pac);
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_OK);
    ng_free(info);
    krb5_free_data_contents(k, &pac);
    make_pac(server, kdc, 500, &pac);
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_ERR_BAD_PAC);
    krb5_free_data_contents(k, &pac);
    /* A logon info that does not parse, though signed: refused, not a user without groups. */
    struct ng_test_buf good = logon_info;
    logon_info.len = 40;
    make_pac(server, kdc, 0, &pac);
    CHECK_EQ(verify(&pac, "alice@EXAMPLE.TEST", 1700000000, server, &info, &len), NG_ERR_BAD_PAC);
    logon_info = good;
    krb5_free_data_contents(k, &pac);
    for (int i = 0; i < 3; i++)
        krb5_free_keyblock_contents(k, &keys[i]);
}

/* ---- real tickets ------------------------------------------------------------------------ */

/* Decrypts the ticket's encrypted part with the service key, changes the first byte of the
 * PAC_CLIENT_INFO name ("alice" in UTF-16LE, MS-PAC §2.7) when `alter`, re-encrypts it with a
 * fresh confounder and puts it back into the ticket's bytes (same length). */
static void reencrypt_ticket(krb5_creds *creds, bool alter)
{
    krb5_ticket *t;
    krb5_keytab kt;
    krb5_keytab_entry ent;
    REQUIRE(krb5_decode_ticket(&creds->ticket, &t) == 0);
    REQUIRE(krb5_kt_resolve(k, realm.keytab, &kt) == 0);
    REQUIRE(krb5_kt_get_entry(k, kt, t->server, t->enc_part.kvno, t->enc_part.enctype, &ent) == 0);
    krb5_data plain = {KV5M_DATA, t->enc_part.ciphertext.length,
                       malloc(t->enc_part.ciphertext.length)};
    REQUIRE(krb5_c_decrypt(k, &ent.key, KRB5_KEYUSAGE_KDC_REP_TICKET, NULL, &t->enc_part, &plain) ==
            0);
    char *name = memmem(plain.data, plain.length, "a\0l\0i\0c\0e\0", 10);
    REQUIRE(name != NULL); /* the KDC put a PAC in the ticket */
    if (alter)
        name[0] = 'b';
    krb5_enc_data enc = t->enc_part;
    size_t clen;
    REQUIRE(krb5_c_encrypt_length(k, enc.enctype, plain.length, &clen) == 0);
    REQUIRE(clen == t->enc_part.ciphertext.length);
    enc.ciphertext.data = malloc(clen);
    REQUIRE(krb5_c_encrypt(k, &ent.key, KRB5_KEYUSAGE_KDC_REP_TICKET, NULL, &plain, &enc) == 0);
    char *at = memmem(creds->ticket.data, creds->ticket.length, t->enc_part.ciphertext.data, clen);
    REQUIRE(at != NULL);
    memcpy(at, enc.ciphertext.data, clen);
    free(enc.ciphertext.data);
    free(plain.data);
    krb5_free_keytab_entry_contents(k, &ent);
    krb5_kt_close(k, kt);
    krb5_free_ticket(k, t);
}

static SECURITY_STATUS accept_ticket(CredHandle *server, krb5_creds *creds)
{
    struct ng_writer w = ng_writer_growable();
    REQUIRE(ng_test_ap_req(k, creds, true, &w) == 0);
    static struct ng_accept_leg leg;
    CtxtHandle ctx;
    ng_accept_leg_run(
        &(struct ng_accept_call){.cred = server, .ctx_out = &ctx, .in = w.buf, .in_len = w.len},
        &leg);
    ng_writer_free(&w);
    if (leg.status == SEC_E_OK)
        DeleteSecurityContext(&ctx);
    return leg.status;
}

static void test_real_tickets(void)
{
    CredHandle server;
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", realm.keytab, 0, &server) == SEC_E_OK);
    krb5_creds *good = ng_test_service_ticket(k, &realm), *bad = ng_test_service_ticket(k, &realm);
    REQUIRE(good != NULL && bad != NULL);
    reencrypt_ticket(good, false);
    reencrypt_ticket(bad, true);
    uint64_t cached = ng_krb5_cached_accept_count();
    CHECK_EQ(accept_ticket(&server, bad), SEC_E_LOGON_DENIED);
    CHECK_EQ(accept_ticket(&server, bad), SEC_E_LOGON_DENIED);
    CHECK_EQ(ng_krb5_cached_accept_count(), cached);
    CHECK_EQ(accept_ticket(&server, good), SEC_E_OK);
    CHECK_EQ(accept_ticket(&server, good), SEC_E_OK);
    CHECK_EQ(ng_krb5_cached_accept_count(), cached + 1);
    /* The same through Negotiate. */
    CredHandle nego;
    REQUIRE(ng_acquire_acceptor(NULL, "Negotiate", realm.keytab, 0, &nego) == SEC_E_OK);
    CHECK_EQ(accept_ticket(&nego, bad), SEC_E_LOGON_DENIED);
    CHECK_EQ(accept_ticket(&nego, good), SEC_E_OK);
    FreeCredentialsHandle(&nego);
    krb5_free_creds(k, good);
    krb5_free_creds(k, bad);
    FreeCredentialsHandle(&server);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(krb5_init_context(&k) == 0);
    ng_test_validation_info(&logon_info);
    RUN(test_libkrb5_made_pacs);
    RUN(test_real_tickets);
    krb5_free_context(k);
    ng_test_realm_stop(&realm);
    return check_report();
}
