/* The PAC checked with nettle for a ticket's first use (core/kerberos/pac_signature.c),
 * differentially against libkrb5's krb5_pac_verify on PACs libkrb5 signs (krb5_pac_sign) with
 * keys of each AES enctype: a good PAC is proven good; each of its bytes changed in turn is
 * never proven good where libkrb5 refuses it, and where libkrb5 still accepts it (the KDC
 * signature's data, zeroed before the server checksum) ours agrees; a PAC for another client,
 * another authtime (or a second more), signed with another key or without the KDC signature is
 * not proven good. No realm, no network: pure functions. */
#include <krb5/krb5.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "keystore.h"
#include "pac_logon_info.h"
#include "pac_signature.h"

enum { PAC_LOGON_INFO = 1, AUTHTIME = 1700000000 };

static krb5_context k;
static const char logon_info[] = "logon info bytes (NDR in real life)";

static void random_key(krb5_enctype enctype, krb5_keyblock *out)
{
    REQUIRE(krb5_c_make_random_key(k, enctype, out) == 0);
}

/* A PAC with a logon info buffer, signed by libkrb5 for `client` at `authtime`. */
static void make_pac(const char *client, krb5_timestamp authtime, const krb5_keyblock *server,
                     const krb5_keyblock *kdc, krb5_data *out)
{
    krb5_pac pac;
    krb5_principal principal;
    REQUIRE(krb5_pac_init(k, &pac) == 0);
    krb5_data info = {KV5M_DATA, sizeof(logon_info), (char *)logon_info};
    REQUIRE(krb5_pac_add_buffer(k, pac, PAC_LOGON_INFO, &info) == 0);
    REQUIRE(krb5_parse_name(k, client, &principal) == 0);
    REQUIRE(krb5_pac_sign(k, pac, authtime, principal, server, kdc, out) == 0);
    krb5_free_principal(k, principal);
    krb5_pac_free(k, pac);
}

/* What libkrb5 says of `pac` for `client` at `authtime`. */
static bool libkrb5_accepts(const krb5_data *pac, const char *client, krb5_timestamp authtime,
                            const krb5_keyblock *key)
{
    krb5_pac parsed = NULL;
    krb5_principal principal;
    REQUIRE(krb5_parse_name(k, client, &principal) == 0);
    krb5_error_code code = krb5_pac_parse(k, pac->data, pac->length, &parsed);
    if (code == 0)
        code = krb5_pac_verify(k, parsed, authtime, principal, key, NULL);
    krb5_pac_free(k, parsed);
    krb5_free_principal(k, principal);
    return code == 0;
}

static bool proven(const krb5_data *pac, const char *client, int64_t authtime,
                   const krb5_keyblock *key)
{
    krb5_principal principal;
    REQUIRE(krb5_parse_name(k, client, &principal) == 0);
    struct ng_principal_ref ref = {.realm =
                                       ng_slice_of(principal->realm.data, principal->realm.length),
                                   .ncomponents = (size_t)principal->length};
    for (krb5_int32 i = 0; i < principal->length; i++)
        ref.components[i] = ng_slice_of(principal->data[i].data, principal->data[i].length);
    bool good = ng_pac_proven_good(ng_slice_of(pac->data, pac->length), key, &ref, authtime);
    krb5_free_principal(k, principal);
    return good;
}

static void each_byte_changed(const krb5_data *pac, const krb5_keyblock *key, unsigned *both)
{
    for (size_t at = 0; at < pac->length; at++) {
        krb5_data copy = *pac;
        char bytes[4096];
        REQUIRE(pac->length <= sizeof(bytes));
        memcpy(bytes, pac->data, pac->length);
        bytes[at] ^= 0x20;
        copy.data = bytes;
        bool ours = proven(&copy, "alice@EXAMPLE.TEST", AUTHTIME, key);
        bool theirs = libkrb5_accepts(&copy, "alice@EXAMPLE.TEST", AUTHTIME, key);
        if (ours && !theirs)
            fprintf(stderr, "byte %zu: proven good, refused by libkrb5\n", at);
        CHECK(!ours || theirs);
        *both += ours && theirs;
    }
}

static void test_each_enctype(void)
{
    static const krb5_enctype enctypes[] = {
        ENCTYPE_AES256_CTS_HMAC_SHA1_96, ENCTYPE_AES128_CTS_HMAC_SHA1_96,
        ENCTYPE_AES128_CTS_HMAC_SHA256_128, ENCTYPE_AES256_CTS_HMAC_SHA384_192};
    for (size_t e = 0; e < sizeof(enctypes) / sizeof(enctypes[0]); e++) {
        krb5_keyblock server, kdc, other;
        random_key(enctypes[e], &server);
        random_key(ENCTYPE_AES256_CTS_HMAC_SHA1_96, &kdc);
        random_key(enctypes[e], &other);
        krb5_data pac;
        make_pac("alice@EXAMPLE.TEST", AUTHTIME, &server, &kdc, &pac);
        CHECK(libkrb5_accepts(&pac, "alice@EXAMPLE.TEST", AUTHTIME, &server));
        CHECK(proven(&pac, "alice@EXAMPLE.TEST", AUTHTIME, &server));
        /* Not for this client, time or key: libkrb5 refuses, and ours does not prove it. */
        CHECK(!proven(&pac, "bob@EXAMPLE.TEST", AUTHTIME, &server));
        CHECK(!proven(&pac, "alice/admin@EXAMPLE.TEST", AUTHTIME, &server));
        CHECK(!proven(&pac, "alice@EXAMPLE.TEST", AUTHTIME + 1, &server));
        CHECK(!proven(&pac, "alice@EXAMPLE.TEST", AUTHTIME, &other));
        CHECK(!libkrb5_accepts(&pac, "alice@EXAMPLE.TEST", AUTHTIME + 1, &server));
        /* The realm is not part of the PAC's name: another realm's alice is alice. */
        CHECK_EQ(proven(&pac, "alice@OTHER.TEST", AUTHTIME, &server),
                 libkrb5_accepts(&pac, "alice@OTHER.TEST", AUTHTIME, &server));
        unsigned both = 0;
        each_byte_changed(&pac, &server, &both);
        /* The KDC signature's data is zeroed before the server checksum: changing it changes
         * nothing for either. */
        CHECK(both > 0);
        krb5_free_data_contents(k, &pac);
        krb5_free_keyblock_contents(k, &server);
        krb5_free_keyblock_contents(k, &kdc);
        krb5_free_keyblock_contents(k, &other);
    }
}

/* Names libkrb5 would have to parse with escapes are left to it. */
static void test_names_needing_libkrb5(void)
{
    krb5_keyblock server, kdc;
    random_key(ENCTYPE_AES256_CTS_HMAC_SHA1_96, &server);
    random_key(ENCTYPE_AES256_CTS_HMAC_SHA1_96, &kdc);
    static const char *const clients[] = {"host/www.example.test@EXAMPLE.TEST",
                                          "a\\/b@EXAMPLE.TEST", "j\\@doe@EXAMPLE.TEST",
                                          "jos\xc3\xa9@EXAMPLE.TEST"};
    for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
        krb5_data pac;
        make_pac(clients[i], AUTHTIME, &server, &kdc, &pac);
        bool ours = proven(&pac, clients[i], AUTHTIME, &server);
        bool theirs = libkrb5_accepts(&pac, clients[i], AUTHTIME, &server);
        bool plain = strchr(clients[i], '\\') == NULL;
        /* Plain names (a service's two components, UTF-8) are proven here as libkrb5 accepts
         * them; escaped ones are left to libkrb5, whatever it makes of them. */
        CHECK(!ours || theirs);
        CHECK_EQ(ours, plain);
        if (plain)
            CHECK(theirs);
        krb5_free_data_contents(k, &pac);
    }
    krb5_free_keyblock_contents(k, &server);
    krb5_free_keyblock_contents(k, &kdc);
}

/* Found by fuzz_pac_signature: a PAC whose logon info buffer is empty and ends the PAC. Copying
 * it read one byte past the PAC: the PAC is the last thing in its AD-IF-RELEVANT encoding, which
 * libkrb5 allocates to the byte, so ASan sees a read past it. */
static void test_empty_logon_info_at_the_end(void)
{
    static uint8_t pac[25] = {4, 0, 0, 0,  0, 0, 0, 0, 1, 0, 0, 0, 0,
                              0, 0, 0, 25, 0, 0, 0, 0, 0, 0, 0, 0};
    krb5_authdata element = {KV5M_AUTHDATA, KRB5_AUTHDATA_WIN2K_PAC, sizeof(pac), pac};
    krb5_authdata *inner[] = {&element, NULL}, **container = NULL;
    REQUIRE(krb5_encode_authdata_container(k, KRB5_AUTHDATA_IF_RELEVANT, inner, &container) == 0);
    uint8_t *info = NULL;
    size_t len = 99;
    CHECK_EQ(ng_pac_logon_info_copy(container, &info, &len), NG_OK);
    CHECK(info != NULL && len == 0);
    ng_free(info);
    krb5_free_authdata(k, container);
}

int main(void)
{
    REQUIRE(krb5_init_context(&k) == 0);
    RUN(test_each_enctype);
    RUN(test_names_needing_libkrb5);
    RUN(test_empty_logon_info_at_the_end);
    krb5_free_context(k);
    return check_report();
}
