/* The first use of a ticket without krb5_rd_req (core/kerberos/krb5_first_use.c), differentially
 * against the libkrb5 path: tickets from the test KDC, remade with the service key as only the
 * KDC could (decrypted, changed, re-encrypted with MIT's own encoders), each accepted once with
 * the first-use path on and once with it off, with fresh credentials (an empty ticket cache)
 * each time. Status, client and server names, lifetime, session key and flags must agree, and
 * the first-use path must have taken exactly the tickets it calls ordinary (docs/kerberos.md):
 * valid ones with and without a PAC, with an AES-128 session key, with MS-KILE's ignorable
 * authorization data; and must have left to libkrb5 the expired, not yet valid, INVALID ones,
 * those with addresses, transited realms, other authorization data, a wrong key, another
 * service's key, tampered ciphertext, and EncTicketParts mutated byte by byte. */
#include <krb5/krb5.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "gss_peer.h"
#include "krb5_tickets.h"
#include "krb5_first_use.h"
#include "krb5_gss_checksum.h"
#include "krb5_token.h"
#include "realm.h"
#include "writer.h"

/* MIT's own encoders (what its KDC uses): exported by libkrb5, not declared in its headers. */
krb5_error_code encode_krb5_ticket(const krb5_ticket *rep, krb5_data **code);
krb5_error_code encode_krb5_enc_tkt_part(const krb5_enc_tkt_part *rep, krb5_data **code);
krb5_error_code krb5_encrypt_tkt_part(krb5_context context, const krb5_keyblock *srv_key,
                                      krb5_ticket *dec_ticket);
krb5_error_code krb5_decrypt_tkt_part(krb5_context context, const krb5_keyblock *srv_key,
                                      krb5_ticket *ticket);

enum { KEY_USAGE_TICKET = 2, MUTATIONS = 300 };

static struct ng_test_realm realm;
static krb5_context k;
static const krb5_keyblock *service_key_now; /* the key the ticket being remade is under */

/* ---- tickets remade with the service key ------------------------------------------------- */

static void service_key(const krb5_ticket *t, const char *keytab, krb5_keytab_entry *out)
{
    krb5_keytab kt;
    REQUIRE(krb5_kt_resolve(k, keytab, &kt) == 0);
    REQUIRE(krb5_kt_get_entry(k, kt, t->server, t->enc_part.kvno, t->enc_part.enctype, out) == 0);
    krb5_kt_close(k, kt);
}

static void replace_ticket(krb5_creds *creds, const krb5_ticket *t)
{
    krb5_data *der;
    REQUIRE(encode_krb5_ticket(t, &der) == 0);
    krb5_free_data_contents(k, &creds->ticket);
    creds->ticket = *der;
    free(der);
}

/* What a variant does to the decrypted ticket (and to the client's copy of the session key). */
typedef void change_fn(krb5_enc_tkt_part *part, krb5_creds *creds);

/* A service ticket for alice, decrypted with the service key, changed, encrypted again with
 * `key` (NULL: the service key) under a fresh confounder. */
static krb5_creds *remade_ticket(change_fn *change, const krb5_keyblock *key)
{
    krb5_creds *creds = ng_test_service_ticket(k, &realm);
    REQUIRE(creds != NULL);
    krb5_ticket *t;
    krb5_keytab_entry ent;
    REQUIRE(krb5_decode_ticket(&creds->ticket, &t) == 0);
    service_key(t, realm.keytab, &ent);
    REQUIRE(krb5_decrypt_tkt_part(k, &ent.key, t) == 0);
    service_key_now = &ent.key;
    if (change != NULL)
        change(t->enc_part2, creds);
    free(t->enc_part.ciphertext.data);
    t->enc_part.ciphertext.data = NULL;
    REQUIRE(krb5_encrypt_tkt_part(k, key != NULL ? key : &ent.key, t) == 0);
    replace_ticket(creds, t);
    krb5_free_keytab_entry_contents(k, &ent);
    krb5_free_ticket(k, t);
    return creds;
}

/* The ticket's EncTicketPart as MIT encodes it, one byte replaced (at a position and with a
 * value drawn from `seed`), encrypted again with the service key. */
static krb5_creds *mutated_ticket(unsigned seed)
{
    krb5_creds *creds = ng_test_service_ticket(k, &realm);
    REQUIRE(creds != NULL);
    krb5_ticket *t;
    krb5_keytab_entry ent;
    krb5_data *plain;
    REQUIRE(krb5_decode_ticket(&creds->ticket, &t) == 0);
    service_key(t, realm.keytab, &ent);
    REQUIRE(krb5_decrypt_tkt_part(k, &ent.key, t) == 0);
    REQUIRE(encode_krb5_enc_tkt_part(t->enc_part2, &plain) == 0);
    srand(seed);
    size_t at = (size_t)rand() % plain->length;
    plain->data[at] = (char)(seed % 3 == 0 ? plain->data[at] ^ (1 << (rand() % 8)) : rand());
    size_t len;
    REQUIRE(krb5_c_encrypt_length(k, ent.key.enctype, plain->length, &len) == 0);
    free(t->enc_part.ciphertext.data);
    t->enc_part.ciphertext = (krb5_data){KV5M_DATA, (unsigned)len, malloc(len)};
    REQUIRE(krb5_c_encrypt(k, &ent.key, KEY_USAGE_TICKET, NULL, plain, &t->enc_part) == 0);
    replace_ticket(creds, t);
    krb5_free_data(k, plain);
    krb5_free_keytab_entry_contents(k, &ent);
    krb5_free_ticket(k, t);
    return creds;
}

/* ---- the variants ------------------------------------------------------------------------- */

static void expired(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    krb5_timestamp now = (krb5_timestamp)time(NULL);
    p->times.authtime = p->times.starttime = now - 7200;
    p->times.endtime = now - 3600;
}

static void not_yet_valid(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    krb5_timestamp now = (krb5_timestamp)time(NULL);
    p->times.starttime = now + 3600;
    p->times.endtime = now + 7200;
}

static void within_skew(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    krb5_timestamp now = (krb5_timestamp)time(NULL);
    p->times.starttime = now + 60; /* starts within the 300 s skew: valid */
    p->times.endtime = now + 3600;
}

static void no_start_time(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    p->times.starttime = 0; /* not encoded: the authtime stands for it */
}

static void invalid_flag(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    p->flags |= TKT_FLG_INVALID;
}

static void with_addresses(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    krb5_octet loopback[4] = {127, 0, 0, 1};
    krb5_address address = {KV5M_ADDRESS, ADDRTYPE_INET, 4, loopback};
    krb5_address *list[] = {&address, NULL};
    krb5_free_addresses(k, p->caddrs);
    REQUIRE(krb5_copy_addresses(k, list, &p->caddrs) == 0);
}

static void transited(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    static char realms[] = "OTHER.TEST,";
    free(p->transited.tr_contents.data);
    p->transited.tr_contents.data = strdup(realms);
    p->transited.tr_contents.length = sizeof(realms) - 1;
}

static void client_elsewhere(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    free(p->client->realm.data);
    p->client->realm.data = strdup("OTHER.TEST");
    p->client->realm.length = 10;
}

static void no_authdata(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    krb5_free_authdata(k, p->authorization_data);
    p->authorization_data = NULL;
}

/* One more element: `type` alone at the top level, or inside its own AD-IF-RELEVANT. */
static void add_authdata(krb5_enc_tkt_part *p, krb5_authdatatype type, bool in_if_relevant)
{
    static krb5_octet payload[] = {0x30, 0x00};
    krb5_authdata element = {KV5M_AUTHDATA, type, sizeof(payload), payload};
    krb5_authdata *inner[] = {&element, NULL}, **container = NULL, *add[2] = {NULL, NULL};
    if (in_if_relevant) {
        REQUIRE(krb5_encode_authdata_container(k, KRB5_AUTHDATA_IF_RELEVANT, inner, &container) ==
                0);
        add[0] = container[0];
    } else {
        add[0] = &element;
    }
    krb5_authdata **merged = NULL;
    REQUIRE(krb5_merge_authdata(k, p->authorization_data, add, &merged) == 0);
    krb5_free_authdata(k, p->authorization_data);
    krb5_free_authdata(k, container);
    p->authorization_data = merged;
}

static void ms_kile_restrictions(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    add_authdata(p, 141, true); /* KERB-AD-RESTRICTION-ENTRY, ignored by libkrb5 */
}

static void unknown_if_relevant(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    add_authdata(p, 999, true);
}

static void unknown_top_level(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    add_authdata(p, 999, false);
}

/* The ticket's PAC replaced by one libkrb5 signs with the service key, for `client` at the
 * ticket's authtime plus `skew_seconds`; `alter_signature` then changes the server signature. */
static void replace_pac(krb5_enc_tkt_part *p, const char *client, int skew_seconds,
                        bool alter_signature)
{
    krb5_pac pac;
    krb5_principal principal;
    krb5_keyblock kdc;
    krb5_data signed_pac;
    REQUIRE(krb5_c_make_random_key(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &kdc) == 0);
    REQUIRE(krb5_pac_init(k, &pac) == 0);
    REQUIRE(krb5_parse_name(k, client, &principal) == 0);
    REQUIRE(krb5_pac_sign(k, pac, p->times.authtime + skew_seconds, principal, service_key_now,
                          &kdc, &signed_pac) == 0);
    if (alter_signature) /* a byte the server signature covers (libkrb5 refuses the PAC) */
        signed_pac.data[signed_pac.length - 40] ^= 1;
    krb5_authdata element = {KV5M_AUTHDATA, KRB5_AUTHDATA_WIN2K_PAC, signed_pac.length,
                             (krb5_octet *)signed_pac.data};
    krb5_authdata *inner[] = {&element, NULL};
    krb5_free_authdata(k, p->authorization_data);
    p->authorization_data = NULL;
    REQUIRE(krb5_encode_authdata_container(k, KRB5_AUTHDATA_IF_RELEVANT, inner,
                                           &p->authorization_data) == 0);
    krb5_free_data_contents(k, &signed_pac);
    krb5_free_principal(k, principal);
    krb5_pac_free(k, pac);
    krb5_free_keyblock_contents(k, &kdc);
}

static void pac_resigned(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    replace_pac(p, "alice@NEGRING.TEST", 0, false);
}

static void pac_for_bob(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    replace_pac(p, "bob@NEGRING.TEST", 0, false);
}

static void pac_other_authtime(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    replace_pac(p, "alice@NEGRING.TEST", 1, false);
}

static void pac_signature_altered(krb5_enc_tkt_part *p, krb5_creds *c)
{
    (void)c;
    replace_pac(p, "alice@NEGRING.TEST", 0, true);
}

static void aes128_session(krb5_enc_tkt_part *p, krb5_creds *c)
{
    krb5_keyblock fresh, *key;
    REQUIRE(krb5_c_make_random_key(k, ENCTYPE_AES128_CTS_HMAC_SHA1_96, &fresh) == 0);
    REQUIRE(krb5_copy_keyblock(k, &fresh, &key) == 0);
    krb5_free_keyblock_contents(k, &fresh);
    krb5_free_keyblock(k, p->session);
    p->session = key;
    krb5_free_keyblock_contents(k, &c->keyblock);
    REQUIRE(krb5_copy_keyblock_contents(k, key, &c->keyblock) == 0);
}

/* ---- accepting one ticket both ways -------------------------------------------------------- */

struct outcome {
    SECURITY_STATUS status;
    bool first_use; /* the first-use path took it */
    char client[256], server[256];
    TimeStamp expiry;
    ULONG attrs, key_len;
    unsigned char key[64];
};

static void query(PCtxtHandle ctx, struct outcome *o)
{
    SecPkgContext_NamesA names = {0};
    SecPkgContext_SessionKey key = {0};
    REQUIRE(QueryContextAttributesA(ctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK);
    snprintf(o->client, sizeof(o->client), "%s", names.sUserName);
    FreeContextBuffer(names.sUserName);
    SecPkgContext_NativeNamesA native = {0};
    if (QueryContextAttributesA(ctx, SECPKG_ATTR_NATIVE_NAMES, &native) == SEC_E_OK) {
        snprintf(o->server, sizeof(o->server), "%s", native.sServerName);
        FreeContextBuffer(native.sClientName);
        FreeContextBuffer(native.sServerName);
    }
    REQUIRE(QueryContextAttributesA(ctx, SECPKG_ATTR_SESSION_KEY, &key) == SEC_E_OK);
    REQUIRE(key.SessionKeyLength <= sizeof(o->key));
    memcpy(o->key, key.SessionKey, key.SessionKeyLength);
    o->key_len = key.SessionKeyLength;
    FreeContextBuffer(key.SessionKey);
}

/* One accept of `token` with fresh credentials over `keytab`, the first-use path on or off.
 * Context replay is allowed, so one token serves both paths. */
static struct outcome accept_token(const struct ng_writer *token, const char *keytab,
                                   bool first_use)
{
    struct outcome o = {0};
    CredHandle cred;
    CtxtHandle ctx;
    static struct ng_accept_leg leg;
    ng_krb5_first_use_enable(first_use);
    REQUIRE(ng_acquire_acceptor(NULL, "Kerberos", keytab, 0, &cred) == SEC_E_OK);
    uint64_t before = ng_krb5_first_use_count();
    ng_accept_leg_run(&(struct ng_accept_call){.cred = &cred,
                                               .ctx_out = &ctx,
                                               .in = token->buf,
                                               .in_len = token->len,
                                               .req = ASC_REQ_ALLOW_CONTEXT_REPLAY},
                      &leg);
    o.first_use = ng_krb5_first_use_count() > before;
    o.status = leg.status;
    o.attrs = leg.attrs;
    o.expiry = leg.expiry;
    if (leg.status == SEC_E_OK) {
        query(&ctx, &o);
        DeleteSecurityContext(&ctx);
    }
    FreeCredentialsHandle(&cred);
    ng_krb5_first_use_enable(true);
    return o;
}

static void check_same(const char *what, const struct outcome *ours, const struct outcome *mit)
{
    bool same = ours->status == mit->status && ours->attrs == mit->attrs &&
                ours->expiry.QuadPart == mit->expiry.QuadPart &&
                strcmp(ours->client, mit->client) == 0 && strcmp(ours->server, mit->server) == 0 &&
                ours->key_len == mit->key_len && memcmp(ours->key, mit->key, mit->key_len) == 0;
    if (!same)
        fprintf(stderr, "%s: first-use path 0x%08x %s %s, libkrb5 path 0x%08x %s %s\n", what,
                (unsigned)ours->status, ours->client, ours->server, (unsigned)mit->status,
                mit->client, mit->server);
    CHECK(same);
    CHECK(!mit->first_use);
}

/* The same ticket both ways, in a non-mutual token (one token for both) and in mutual ones
 * (a token each: the AP-REP's subkey is random, so only the status is compared). Returns
 * whether the first-use path took it. */
static bool both_paths(const char *what, krb5_creds *creds, const char *keytab)
{
    struct ng_writer token = ng_writer_growable(), mutual1 = ng_writer_growable(),
                     mutual2 = ng_writer_growable();
    REQUIRE(ng_test_ap_req(k, creds, false, &token) == 0);
    REQUIRE(ng_test_ap_req(k, creds, true, &mutual1) == 0);
    REQUIRE(ng_test_ap_req(k, creds, true, &mutual2) == 0);
    struct outcome ours = accept_token(&token, keytab, true);
    struct outcome mit = accept_token(&token, keytab, false);
    check_same(what, &ours, &mit);
    struct outcome ours_mutual = accept_token(&mutual1, keytab, true);
    struct outcome mit_mutual = accept_token(&mutual2, keytab, false);
    CHECK_EQ(ours_mutual.status, mit_mutual.status);
    CHECK_EQ(ours_mutual.first_use, ours.first_use);
    ng_writer_free(&token);
    ng_writer_free(&mutual1);
    ng_writer_free(&mutual2);
    return ours.first_use;
}

/* ---- the tests ---------------------------------------------------------------------------- */

static void test_ordinary_tickets_take_the_first_use_path(void)
{
    static const struct {
        const char *name;
        change_fn *change;
    } ordinary[] = {
        {"as issued", NULL},
        {"no PAC", no_authdata},
        {"no starttime", no_start_time},
        {"starts within the skew", within_skew},
        {"AES-128 session key", aes128_session},
        {"MS-KILE restriction entry", ms_kile_restrictions},
        {"PAC signed again by libkrb5", pac_resigned},
    };
    for (size_t i = 0; i < sizeof(ordinary) / sizeof(ordinary[0]); i++) {
        krb5_creds *creds = remade_ticket(ordinary[i].change, NULL);
        CHECK(both_paths(ordinary[i].name, creds, realm.keytab));
        krb5_free_creds(k, creds);
    }
}

static void test_other_tickets_are_left_to_libkrb5(void)
{
    static const struct {
        const char *name;
        change_fn *change;
        bool accepted; /* what libkrb5's path answers */
    } others[] = {
        {"expired", expired, false},
        {"not yet valid", not_yet_valid, false},
        {"INVALID flag", invalid_flag, false},
        {"with addresses", with_addresses, true},
        {"realms transited", transited, true},
        {"client in another realm", client_elsewhere, false},
        {"unknown AD-IF-RELEVANT element", unknown_if_relevant, true},
        {"unknown top-level authorization data", unknown_top_level, true},
        {"PAC for another client", pac_for_bob, false},
        {"PAC for another authtime", pac_other_authtime, false},
        {"PAC with an altered signature", pac_signature_altered, false},
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        krb5_creds *creds = remade_ticket(others[i].change, NULL);
        CHECK(!both_paths(others[i].name, creds, realm.keytab));
        struct ng_writer token = ng_writer_growable();
        REQUIRE(ng_test_ap_req(k, creds, false, &token) == 0);
        struct outcome o = accept_token(&token, realm.keytab, true);
        if ((o.status == SEC_E_OK) != others[i].accepted)
            fprintf(stderr, "%s: 0x%08x\n", others[i].name, (unsigned)o.status);
        CHECK_EQ(o.status == SEC_E_OK, others[i].accepted);
        ng_writer_free(&token);
        krb5_free_creds(k, creds);
    }
}

static void test_wrong_keys_and_tampering(void)
{
    krb5_keyblock wrong;
    REQUIRE(krb5_c_make_random_key(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &wrong) == 0);
    krb5_creds *creds = remade_ticket(NULL, &wrong);
    CHECK(!both_paths("wrong key", creds, realm.keytab));
    krb5_free_creds(k, creds);
    krb5_free_keyblock_contents(k, &wrong);

    creds = ng_test_service_ticket(k, &realm); /* for HTTP/localhost, shown to another service */
    REQUIRE(creds != NULL);
    CHECK(!both_paths("another service's keytab", creds, realm.other_keytab));
    krb5_free_creds(k, creds);

    for (unsigned at = 40; at < 200; at += 37) {
        creds = ng_test_service_ticket(k, &realm);
        REQUIRE(creds != NULL);
        REQUIRE(at < creds->ticket.length);
        creds->ticket.data[creds->ticket.length - at] ^= 0x01;
        CHECK(!both_paths("tampered ciphertext", creds, realm.keytab));
        krb5_free_creds(k, creds);
    }
}

static void test_mutated_enc_ticket_parts(void)
{
    unsigned taken = 0;
    for (unsigned seed = 1; seed <= MUTATIONS; seed++) {
        krb5_creds *creds = mutated_ticket(seed);
        char what[48];
        snprintf(what, sizeof(what), "mutation %u", seed);
        taken += both_paths(what, creds, realm.keytab);
        krb5_free_creds(k, creds);
    }
    /* Most mutations break the DER or the PAC; some only change a name, a time or a flag. */
    fprintf(stderr, "mutations: %u of %u taken by the first-use path\n", taken, MUTATIONS);
    CHECK(taken > 0 && taken < MUTATIONS);
}

int main(void)
{
    REQUIRE(ng_test_realm_start(&realm) == 0);
    REQUIRE(krb5_init_context(&k) == 0);
    RUN(test_ordinary_tickets_take_the_first_use_path);
    RUN(test_other_tickets_are_left_to_libkrb5);
    RUN(test_wrong_keys_and_tampering);
    RUN(test_mutated_enc_ticket_parts);
    krb5_free_context(k);
    return check_report();
}
