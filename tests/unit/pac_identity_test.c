/* The client's identity from a PAC (core/kerberos/pac_identity.c): the logon info's account,
 * domain, user SID and primary group SID, the UPN_DNS_INFO's names, the canonical name, and
 * malformed UPN_DNS_INFO buffers refused at every length. The buffers are encoded here from
 * MS-PAC (tests/harness/pac_builder.c) and signed into a PAC by libkrb5; real AD PACs are in
 * tests/ad. */
#include <krb5/krb5.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "pac_builder.h"
#include "pac_identity.h"

static krb5_context k;

/* A signed PAC holding the test logon info and, unless NULL, `upn_dns`. */
static krb5_data make_pac(const struct ng_test_buf *upn_dns)
{
    struct ng_test_buf info;
    ng_test_validation_info(&info);
    krb5_pac pac;
    REQUIRE(krb5_pac_init(k, &pac) == 0);
    krb5_data d = {KV5M_DATA, (unsigned int)info.len, (char *)info.buf};
    REQUIRE(krb5_pac_add_buffer(k, pac, NG_PAC_LOGON_INFO, &d) == 0);
    if (upn_dns != NULL) {
        krb5_data u = {KV5M_DATA, (unsigned int)upn_dns->len, (char *)upn_dns->buf};
        REQUIRE(krb5_pac_add_buffer(k, pac, NG_PAC_UPN_DNS_INFO, &u) == 0);
    }
    krb5_principal client;
    krb5_keyblock *key;
    REQUIRE(krb5_parse_name(k, "alice@TEST.EXAMPLE", &client) == 0);
    REQUIRE(krb5_init_keyblock(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, &key) == 0);
    memset(key->contents, 0x42, 32);
    krb5_data out;
    REQUIRE(krb5_pac_sign(k, pac, 1700000000, client, key, key, &out) == 0);
    krb5_free_keyblock(k, key);
    krb5_free_principal(k, client);
    krb5_pac_free(k, pac);
    return out;
}

static void test_identity_from_logon_info_and_upn(void)
{
    struct ng_test_buf upn;
    ng_test_upn_dns_info(&upn, "alice.smith@test.example", "TEST.EXAMPLE");
    krb5_data pac = make_pac(&upn);
    struct ng_pac_identity id;
    REQUIRE(ng_pac_identity_read(ng_slice_of(pac.data, pac.length), &id) == NG_OK);
    CHECK_EQ(strcmp(id.logon.account, "alice"), 0);
    CHECK_EQ(strcmp(id.logon.domain, "TEST"), 0);
    CHECK_EQ(strcmp(id.logon.user_sid, NG_TEST_PAC_USER_SID), 0);
    CHECK_EQ(strcmp(id.logon.primary_group_sid, "S-1-5-21-1-2-3-513"), 0);
    CHECK_EQ(strcmp(id.upn, "alice.smith@test.example"), 0);
    CHECK_EQ(strcmp(id.dns_domain, "TEST.EXAMPLE"), 0);
    ng_pac_identity_free(&id);
    char *name = NULL;
    CHECK_EQ(ng_pac_canonical_name(ng_slice_of(pac.data, pac.length), "TEST.EXAMPLE", 12, &name),
             NG_OK);
    CHECK(name != NULL && strcmp(name, "alice@TEST.EXAMPLE") == 0);
    ng_free(name);
    krb5_free_data_contents(k, &pac);
}

/* A UPN_DNS_INFO cut at any length, or pointing outside itself, is malformed. */
static void test_bad_upn_dns_info_refused(void)
{
    struct ng_test_buf upn;
    ng_test_upn_dns_info(&upn, "alice@test.example", "TEST.EXAMPLE");
    size_t full = upn.len;
    int refused = 0;
    for (size_t len = 0; len < full; len++) {
        upn.len = len;
        krb5_data pac = make_pac(&upn);
        struct ng_pac_identity id;
        refused +=
            ng_pac_identity_read(ng_slice_of(pac.data, pac.length), &id) == NG_ERR_INVALID_TOKEN;
        krb5_free_data_contents(k, &pac);
    }
    CHECK_EQ(refused, (int)full);
    upn.len = full;
    upn.buf[2] = 0xff; /* the UPN's offset, far past the buffer */
    krb5_data pac = make_pac(&upn);
    struct ng_pac_identity id;
    CHECK_EQ(ng_pac_identity_read(ng_slice_of(pac.data, pac.length), &id), NG_ERR_INVALID_TOKEN);
    krb5_free_data_contents(k, &pac);
}

/* No logon info: no canonical name (the ticket's name stays), no identity, no error. */
static void test_pac_without_logon_info(void)
{
    krb5_pac pac;
    REQUIRE(krb5_pac_init(k, &pac) == 0);
    krb5_data bytes;
    krb5_principal client;
    krb5_keyblock *key;
    REQUIRE(krb5_parse_name(k, "alice@TEST.EXAMPLE", &client) == 0);
    REQUIRE(krb5_init_keyblock(k, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 32, &key) == 0);
    memset(key->contents, 0x42, 32);
    REQUIRE(krb5_pac_sign(k, pac, 1700000000, client, key, key, &bytes) == 0);
    char *name = (char *)"x";
    CHECK_EQ(ng_pac_canonical_name(ng_slice_of(bytes.data, bytes.length), "R", 1, &name), NG_OK);
    CHECK(name == NULL);
    struct ng_pac_identity id;
    CHECK_EQ(ng_pac_identity_read(ng_slice_of(bytes.data, bytes.length), &id), NG_OK);
    CHECK(id.logon.user_sid == NULL && id.upn == NULL);
    krb5_free_data_contents(k, &bytes);
    krb5_free_keyblock(k, key);
    krb5_free_principal(k, client);
    krb5_pac_free(k, pac);
}

int main(void)
{
    REQUIRE(krb5_init_context(&k) == 0);
    RUN(test_identity_from_logon_info_and_upn);
    RUN(test_bad_upn_dns_info_refused);
    RUN(test_pac_without_logon_info);
    krb5_free_context(k);
    return check_report();
}
