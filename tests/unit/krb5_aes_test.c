/* krb5_aes: the AES enctypes on nettle, against the published vectors (RFC 3961 appendix A.1
 * n-fold, RFC 3962 appendix B AES-CTS, RFC 8009 appendix A derivation, encryption and
 * checksums) and differentially against libk5crypto on random keys, usages and lengths. */
#include <krb5/krb5.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "krb5_aes.h"

/* "00 01 02" -> bytes; returns the count. */
static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    for (const char *p = s; *p != '\0';) {
        if (*p == ' ') {
            p++;
            continue;
        }
        char byte[3] = {p[0], p[1], 0};
        out[n++] = (uint8_t)strtoul(byte, NULL, 16);
        p += 2;
    }
    return n;
}

static void test_nfold_rfc3961_a1(void)
{
    static const struct {
        const char *in;
        size_t bits;
        const char *out;
    } v[] = {
        {"012345", 64, "be072631276b1955"},
        {"password", 56, "78a07b6caf85fa"},
        {"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"},
        {"password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
        {"MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192,
         "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
        {"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"},
        {"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
        {"kerberos", 64, "6b65726265726f73"},
        {"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"},
        {"kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"},
        {"kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t want[32], got[32];
        size_t n = unhex(v[i].out, want);
        REQUIRE(n == v[i].bits / 8);
        ng_krb5_nfold((const uint8_t *)v[i].in, strlen(v[i].in), got, n);
        CHECK_MEM(got, want, n);
    }
}

/* RFC 3962 appendix B: AES-128-CTS, key "chicken teriyaki", IV zero, prefixes of one sentence. */
static void test_cts_rfc3962_b(void)
{
    static const char input[] = "I would like the General Gau's Chicken, please, and wonton soup.";
    static const struct {
        size_t len;
        const char *out;
    } v[] = {
        {17, "c6 35 35 68 f2 bf 8c b4 d8 a5 80 36 2d a7 ff 7f 97"},
        {31, "fc 00 78 3e 0e fd b2 c1 d4 45 d4 c8 ef f7 ed 22 97 68 72 68 d6 ec cc c0 c0 7b 25 e2 "
             "5e cf e5"},
        {32, "39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8 97 68 72 68 d6 ec cc c0 c0 7b 25 e2 "
             "5e cf e5 84"},
        {47, "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 b3 ff fd 94 0c 16 a1 8c 1b 55 49 d2 "
             "f8 38 02 9e 39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5"},
        {48, "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 "
             "a1 94 bb d8 39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8"},
        {64, "97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 39 31 25 23 a7 86 62 d5 be 7f cb cc "
             "98 eb f5 a8 48 07 ef e8 36 ee 89 a5 26 73 0d bc 2f 7b c8 40 9d ad 8b bb 96 c4 cd c0 "
             "3b c1 03 e1 a1 94 bb d8"},
    };
    struct ng_krb5_aes_keys k;
    REQUIRE(ng_krb5_aes_set_cipher_key(&k, ENCTYPE_AES128_CTS_HMAC_SHA1_96,
                                       ng_slice_of("chicken teriyaki", 16)) == NG_OK);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t want[64], got[64], back[64];
        REQUIRE(unhex(v[i].out, want) == v[i].len);
        ng_krb5_aes_cts_encrypt(&k, (const uint8_t *)input, v[i].len, got);
        CHECK_MEM(got, want, v[i].len);
        ng_krb5_aes_cts_decrypt(&k, want, v[i].len, back);
        CHECK_MEM(back, input, v[i].len);
    }
}

#define AES128_BASE "37 05 D9 60 80 C1 77 28 A0 E8 00 EA B6 E0 D2 3C"
#define AES256_BASE                                                                                \
    "6D 40 4D 37 FA F7 9F 9D F0 D3 35 68 D3 20 66 98 00 EB 48 36 47 2E A8 A0 26 D1 6B 71 82 46 "   \
    "0C "                                                                                          \
    "52"
#define PLAIN_21 "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14"

/* RFC 8009 appendix A: the sample encryptions (key usage 2, the listed confounders). They hold
 * Ke and Ki as derived from the base keys, so they prove the derivation too. */
static void test_encryption_rfc8009_a(void)
{
    static const struct {
        krb5_enctype enctype;
        const char *base, *plain, *confounder, *cipher;
    } v[] = {
        {ENCTYPE_AES128_CTS_HMAC_SHA256_128, AES128_BASE, "",
         "7E 58 95 EA F2 67 24 35 BA D8 17 F5 45 A3 71 48",
         "EF 85 FB 89 0B B8 47 2F 4D AB 20 39 4D CA 78 1D AD 87 7E DA 39 D5 0C 87 0C 0D 5A 0A 8E "
         "48 C7 18"},
        {ENCTYPE_AES128_CTS_HMAC_SHA256_128, AES128_BASE, "00 01 02 03 04 05",
         "7B CA 28 5E 2F D4 13 0F B5 5B 1A 5C 83 BC 5B 24",
         "84 D7 F3 07 54 ED 98 7B AB 0B F3 50 6B EB 09 CF B5 54 02 CE F7 E6 87 7C E9 9E 24 7E 52 "
         "D1 6E D4 42 1D FD F8 97 6C"},
        {ENCTYPE_AES128_CTS_HMAC_SHA256_128, AES128_BASE,
         "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F",
         "56 AB 21 71 3F F6 2C 0A 14 57 20 0F 6F A9 94 8F",
         "35 17 D6 40 F5 0D DC 8A D3 62 87 22 B3 56 9D 2A E0 74 93 FA 82 63 25 40 80 EA 65 C1 00 "
         "8E 8F C2 95 FB 48 52 E7 D8 3E 1E 7C 48 C3 7E EB E6 B0 D3"},
        {ENCTYPE_AES128_CTS_HMAC_SHA256_128, AES128_BASE, PLAIN_21,
         "A7 A4 E2 9A 47 28 CE 10 66 4F B6 4E 49 AD 3F AC",
         "72 0F 73 B1 8D 98 59 CD 6C CB 43 46 11 5C D3 36 C7 0F 58 ED C0 C4 43 7C 55 73 54 4C 31 "
         "C8 13 BC E1 E6 D0 72 C1 86 B3 9A 41 3C 2F 92 CA 9B 83 34 A2 87 FF CB FC"},
        {ENCTYPE_AES256_CTS_HMAC_SHA384_192, AES256_BASE, "",
         "F7 64 E9 FA 15 C2 76 47 8B 2C 7D 0C 4E 5F 58 E4",
         "41 F5 3F A5 BF E7 02 6D 91 FA F9 BE 95 91 95 A0 58 70 72 73 A9 6A 40 F0 A0 19 60 62 1A "
         "C6 12 74 8B 9B BF BE 7E B4 CE 3C"},
        {ENCTYPE_AES256_CTS_HMAC_SHA384_192, AES256_BASE, "00 01 02 03 04 05",
         "B8 0D 32 51 C1 F6 47 14 94 25 6F FE 71 2D 0B 9A",
         "4E D7 B3 7C 2B CA C8 F7 4F 23 C1 CF 07 E6 2B C7 B7 5F B3 F6 37 B9 F5 59 C7 F6 64 F6 9E "
         "AB 7B 60 92 23 75 26 EA 0D 1F 61 CB 20 D6 9D 10 F2"},
        {ENCTYPE_AES256_CTS_HMAC_SHA384_192, AES256_BASE,
         "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F",
         "53 BF 8A 0D 10 52 65 D4 E2 76 42 86 24 CE 5E 63",
         "BC 47 FF EC 79 98 EB 91 E8 11 5C F8 D1 9D AC 4B BB E2 E1 63 E8 7D D3 7F 49 BE CA 92 02 "
         "77 64 F6 8C F5 1F 14 D7 98 C2 27 3F 35 DF 57 4D 1F 93 2E 40 C4 FF 25 5B 36 A2 66"},
        {ENCTYPE_AES256_CTS_HMAC_SHA384_192, AES256_BASE, PLAIN_21,
         "76 3E 65 36 7E 86 4F 02 F5 51 53 C7 E3 B5 8A F1",
         "40 01 3E 2D F5 8E 87 51 95 7D 28 78 BC D2 D6 FE 10 1C CF D5 56 CB 1E AE 79 DB 3C 3E E8 "
         "64 29 F2 B2 A6 02 AC 86 FE F6 EC B6 47 D6 29 5F AE 07 7A 1F EB 51 75 08 D2 C1 6B 41 92 "
         "E0 1F 62"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t base[32], plain[32], confounder[16], want[96], got[96], back[96];
        size_t base_len = unhex(v[i].base, base), plain_len = unhex(v[i].plain, plain);
        size_t want_len = unhex(v[i].cipher, want);
        REQUIRE(unhex(v[i].confounder, confounder) == 16);
        struct ng_krb5_aes_keys k;
        REQUIRE(ng_krb5_aes_derive(v[i].enctype, ng_slice_of(base, base_len), 2, &k) == NG_OK);
        CHECK_EQ(plain_len + ng_krb5_aes_overhead(&k), want_len);
        ng_krb5_aes_encrypt(&k, confounder, ng_slice_of(plain, plain_len), got);
        CHECK_MEM(got, want, want_len);
        CHECK_EQ(ng_krb5_aes_decrypt(&k, ng_slice_of(want, want_len), back), NG_OK);
        CHECK_MEM(back, plain, plain_len);
    }
}

/* RFC 8009 appendix A: the sample checksums (Kc of key usage 2 over the 21-byte plaintext). */
static void test_checksum_rfc8009_a(void)
{
    static const struct {
        krb5_enctype enctype;
        const char *base, *sum;
    } v[] = {
        {ENCTYPE_AES128_CTS_HMAC_SHA256_128, AES128_BASE,
         "D7 83 67 18 66 43 D6 7B 41 1C BA 91 39 FC 1D EE"},
        {ENCTYPE_AES256_CTS_HMAC_SHA384_192, AES256_BASE,
         "45 EE 79 15 67 EE FC A3 7F 4A C1 E0 22 2D E8 0D 43 C3 BF A0 66 99 67 2A"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t base[32], plain[32], want[24], got[NG_KRB5_AES_MAX_MAC];
        size_t base_len = unhex(v[i].base, base), plain_len = unhex(PLAIN_21, plain);
        size_t want_len = unhex(v[i].sum, want);
        struct ng_krb5_hmac_key kc;
        REQUIRE(ng_krb5_aes_derive_checksum(v[i].enctype, ng_slice_of(base, base_len), 2, &kc) ==
                NG_OK);
        CHECK_EQ(kc.mac_len, want_len);
        ng_krb5_aes_checksum(&kc, ng_slice_of(plain, plain_len), got);
        CHECK_MEM(got, want, want_len);
    }
}

static const krb5_enctype all[] = {ENCTYPE_AES128_CTS_HMAC_SHA1_96, ENCTYPE_AES256_CTS_HMAC_SHA1_96,
                                   ENCTYPE_AES128_CTS_HMAC_SHA256_128,
                                   ENCTYPE_AES256_CTS_HMAC_SHA384_192};

static void random_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rand();
}

/* One key, usage and length: ours and libk5crypto's each decrypt the other's ciphertext, make
 * the same checksum, and ours refuse a ciphertext with one bit changed. */
static void compare_once(krb5_context kctx, krb5_enctype enctype, size_t len)
{
    uint8_t base[32], plain[300], confounder[16], ours[400], back[400];
    size_t key_len =
        enctype == ENCTYPE_AES128_CTS_HMAC_SHA1_96 || enctype == ENCTYPE_AES128_CTS_HMAC_SHA256_128
            ? 16
            : 32;
    uint32_t usage = 1 + (uint32_t)rand() % 1000;
    random_bytes(base, key_len);
    random_bytes(plain, len);
    random_bytes(confounder, 16);
    krb5_keyblock kb = {KV5M_KEYBLOCK, enctype, (unsigned)key_len, base};
    struct ng_krb5_aes_keys k;
    REQUIRE(ng_krb5_aes_derive(enctype, ng_slice_of(base, key_len), usage, &k) == NG_OK);

    size_t cipher_len = len + ng_krb5_aes_overhead(&k);
    ng_krb5_aes_encrypt(&k, confounder, ng_slice_of(plain, len), ours);
    krb5_enc_data enc = {
        KV5M_ENC_DATA, enctype, 0, {KV5M_DATA, (unsigned)cipher_len, (char *)ours}};
    krb5_data out = {KV5M_DATA, sizeof back, (char *)back};
    CHECK_EQ(krb5_c_decrypt(kctx, &kb, usage, NULL, &enc, &out), 0);
    CHECK(out.length == len && memcmp(back, plain, len) == 0);

    size_t theirs_len = 0;
    krb5_data in = {KV5M_DATA, (unsigned)len, (char *)plain};
    REQUIRE(krb5_c_encrypt_length(kctx, enctype, len, &theirs_len) == 0 &&
            theirs_len == cipher_len);
    krb5_enc_data theirs = {KV5M_ENC_DATA, 0, 0, {KV5M_DATA, (unsigned)theirs_len, (char *)ours}};
    REQUIRE(krb5_c_encrypt(kctx, &kb, usage, NULL, &in, &theirs) == 0);
    CHECK_EQ(ng_krb5_aes_decrypt(&k, ng_slice_of(ours, theirs_len), back), NG_OK);
    CHECK(memcmp(back, plain, len) == 0);
    ours[(size_t)rand() % theirs_len] ^= (uint8_t)(1u << (rand() % 8));
    CHECK_EQ(ng_krb5_aes_decrypt(&k, ng_slice_of(ours, theirs_len), back), NG_ERR_MESSAGE_ALTERED);

    struct ng_krb5_hmac_key kc;
    uint8_t sum[NG_KRB5_AES_MAX_MAC];
    REQUIRE(ng_krb5_aes_derive_checksum(enctype, ng_slice_of(base, key_len), usage, &kc) == NG_OK);
    ng_krb5_aes_checksum(&kc, ng_slice_of(plain, len), sum);
    krb5_checksum ck;
    REQUIRE(krb5_c_make_checksum(kctx, 0, &kb, usage, &in, &ck) == 0);
    CHECK(ck.length == kc.mac_len && memcmp(ck.contents, sum, ck.length) == 0);
    krb5_free_checksum_contents(kctx, &ck);
}

static void test_same_as_libk5crypto(void)
{
    krb5_context kctx;
    REQUIRE(krb5_init_context(&kctx) == 0);
    srand(20261206);
    for (size_t e = 0; e < sizeof all / sizeof all[0]; e++) {
        for (size_t len = 0; len <= 70; len++)
            compare_once(kctx, all[e], len);
        for (int i = 0; i < 40; i++)
            compare_once(kctx, all[e], 71 + (size_t)rand() % 229);
    }
    krb5_free_context(kctx);
}

/* A message in pieces, as RFC 4121 wrap tokens are made (confounder, data pieces some of which
 * are sign-only, the filler and header): ours and libk5crypto's krb5_k_*_iov each open the
 * other's, make the same MAC for the same confounder, and refuse a flipped bit. */
static void compare_iov_once(krb5_context kctx, krb5_enctype enctype)
{
    enum { PIECES = 5, MAX_PIECE = 70 };
    uint8_t base[32], confounder[16], pieces[PIECES][MAX_PIECE], copy[PIECES][MAX_PIECE];
    uint8_t ours_conf[16], ours_mac[NG_KRB5_AES_MAX_MAC];
    size_t key_len =
        enctype == ENCTYPE_AES128_CTS_HMAC_SHA1_96 || enctype == ENCTYPE_AES128_CTS_HMAC_SHA256_128
            ? 16
            : 32;
    uint32_t usage = 22 + (uint32_t)rand() % 4;
    random_bytes(base, key_len);
    random_bytes(confounder, sizeof confounder);
    struct ng_krb5_iov v[PIECES];
    krb5_crypto_iov kv[PIECES + 2];
    unsigned trailer = 0;
    krb5_keyblock kb = {KV5M_KEYBLOCK, enctype, (unsigned)key_len, base};
    krb5_key key;
    REQUIRE(krb5_k_create_key(kctx, &kb, &key) == 0);
    REQUIRE(krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_TRAILER, &trailer) == 0);
    uint8_t theirs_mac[32];
    kv[0] = (krb5_crypto_iov){KRB5_CRYPTO_TYPE_HEADER, {KV5M_DATA, 16, (char *)ours_conf}};
    for (size_t i = 0; i < PIECES; i++) {
        size_t len = (size_t)rand() % MAX_PIECE;
        random_bytes(pieces[i], len);
        memcpy(copy[i], pieces[i], len);
        v[i] = (struct ng_krb5_iov){pieces[i], len, rand() % 3 == 0};
        kv[i + 1] =
            (krb5_crypto_iov){v[i].sign_only ? KRB5_CRYPTO_TYPE_SIGN_ONLY : KRB5_CRYPTO_TYPE_DATA,
                              {KV5M_DATA, (unsigned)len, (char *)pieces[i]}};
    }
    kv[PIECES + 1] =
        (krb5_crypto_iov){KRB5_CRYPTO_TYPE_TRAILER, {KV5M_DATA, trailer, (char *)theirs_mac}};
    struct ng_krb5_aes_keys k;
    REQUIRE(ng_krb5_aes_derive(enctype, ng_slice_of(base, key_len), usage, &k) == NG_OK);

    /* Ours seals, libk5crypto opens (the MAC is where its trailer is). */
    memcpy(ours_conf, confounder, 16);
    CHECK_EQ(ng_krb5_aes_encrypt_iov(&k, ours_conf, v, PIECES, ours_mac), NG_OK);
    CHECK(trailer == k.integrity.mac_len);
    memcpy(theirs_mac, ours_mac, trailer);
    CHECK_EQ(krb5_k_decrypt_iov(kctx, key, usage, NULL, kv, PIECES + 2), 0);
    for (size_t i = 0; i < PIECES; i++)
        CHECK(memcmp(pieces[i], copy[i], v[i].len) == 0);
    CHECK(memcmp(ours_conf, confounder, 16) == 0);

    /* libk5crypto seals (its own confounder), ours opens; then a flipped bit is refused. */
    CHECK_EQ(krb5_k_encrypt_iov(kctx, key, usage, NULL, kv, PIECES + 2), 0);
    uint8_t sealed_conf[16];
    memcpy(sealed_conf, ours_conf, 16);
    CHECK_EQ(ng_krb5_aes_decrypt_iov(&k, ours_conf, v, PIECES, theirs_mac), NG_OK);
    for (size_t i = 0; i < PIECES; i++)
        CHECK(memcmp(pieces[i], copy[i], v[i].len) == 0);
    CHECK_EQ(krb5_k_encrypt_iov(kctx, key, usage, NULL, kv, PIECES + 2), 0);
    theirs_mac[rand() % trailer] ^= 1;
    CHECK_EQ(ng_krb5_aes_decrypt_iov(&k, ours_conf, v, PIECES, theirs_mac), NG_ERR_MESSAGE_ALTERED);

    /* The same checksum over the pieces (MIC tokens, unsealed wraps). */
    struct ng_krb5_hmac_key kc;
    struct ng_slice parts[PIECES];
    for (size_t i = 0; i < PIECES; i++) {
        memcpy(pieces[i], copy[i], v[i].len);
        parts[i] = ng_slice_of(pieces[i], v[i].len);
        kv[i] = (krb5_crypto_iov){KRB5_CRYPTO_TYPE_DATA,
                                  {KV5M_DATA, (unsigned)v[i].len, (char *)pieces[i]}};
    }
    unsigned cksum_len = 0;
    REQUIRE(krb5_c_crypto_length(kctx, enctype, KRB5_CRYPTO_TYPE_CHECKSUM, &cksum_len) == 0);
    kv[PIECES] =
        (krb5_crypto_iov){KRB5_CRYPTO_TYPE_CHECKSUM, {KV5M_DATA, cksum_len, (char *)theirs_mac}};
    REQUIRE(krb5_k_make_checksum_iov(kctx, 0, key, usage, kv, PIECES + 1) == 0);
    REQUIRE(ng_krb5_aes_derive_checksum(enctype, ng_slice_of(base, key_len), usage, &kc) == NG_OK);
    ng_krb5_aes_checksum_parts(&kc, parts, PIECES, ours_mac);
    CHECK(kc.mac_len == cksum_len && memcmp(ours_mac, theirs_mac, cksum_len) == 0);
    krb5_k_free_key(kctx, key);
}

static void test_iov_same_as_libk5crypto(void)
{
    krb5_context kctx;
    REQUIRE(krb5_init_context(&kctx) == 0);
    srand(4121);
    for (size_t e = 0; e < sizeof all / sizeof all[0]; e++)
        for (int i = 0; i < 60; i++)
            compare_iov_once(kctx, all[e]);
    krb5_free_context(kctx);
}

static void test_refusals(void)
{
    uint8_t base[32] = {0}, out[64];
    struct ng_krb5_aes_keys k;
    CHECK_EQ(ng_krb5_aes_derive(ENCTYPE_ARCFOUR_HMAC, ng_slice_of(base, 16), 2, &k),
             NG_ERR_UNSUPPORTED);
    CHECK_EQ(ng_krb5_aes_derive(ENCTYPE_AES256_CTS_HMAC_SHA1_96, ng_slice_of(base, 16), 2, &k),
             NG_ERR_INVALID_PARAM);
    REQUIRE(ng_krb5_aes_derive(ENCTYPE_AES128_CTS_HMAC_SHA1_96, ng_slice_of(base, 16), 2, &k) ==
            NG_OK);
    /* Shorter than confounder and MAC: malformed, not a forgery. */
    CHECK_EQ(ng_krb5_aes_decrypt(&k, ng_slice_of(base, 27), out), NG_ERR_INVALID_TOKEN);
    CHECK(!ng_krb5_aes_supported(ENCTYPE_ARCFOUR_HMAC));
    CHECK(ng_krb5_aes_supported(ENCTYPE_AES256_CTS_HMAC_SHA384_192));
}

int main(void)
{
    RUN(test_nfold_rfc3961_a1);
    RUN(test_cts_rfc3962_b);
    RUN(test_encryption_rfc8009_a);
    RUN(test_checksum_rfc8009_a);
    RUN(test_same_as_libk5crypto);
    RUN(test_iov_same_as_libk5crypto);
    RUN(test_refusals);
    return check_report();
}
